"""The schema, assembled: root types, checks on documents, caches, error masking and logging."""
from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaskErrors, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from resolvers.mutations import Mutation
from resolvers.queries import Query
from schema.checks import DocumentChecks
from schema.error_log import is_resolver_bug, log_error
from schema.scalars import MONEY_SCALAR, Money
from schema.types.keys import ApiKey
from schema.types.projects import Organization, Project
from schema.webhooks import Webhook


def _should_mask(error: GraphQLError) -> bool:
    """Mask bugs in resolvers; let through what is meant for clients: our public errors, and
    GraphQL's own parse, validation and variable-coercion errors (those have no path)."""
    return is_resolver_bug(error)


class KeyplaneSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Instead of Strawberry's logging (every client mistake at ERROR, with the document
        and the variables): see schema/error_log.py."""
        for error in errors:
            log_error(error)


def build_schema(introspection: bool = True) -> strawberry.Schema:
    extensions = [
        DocumentChecks,
        partial(ParserCache, maxsize=256),
        partial(ValidationCache, maxsize=256),
        partial(MaskErrors, should_mask_error=_should_mask, error_message="Internal error."),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return KeyplaneSchema(
        query=Query,
        mutation=Mutation,
        types=[ApiKey, Project, Organization, Webhook],
        extensions=extensions,
        config=StrawberryConfig(
            disable_field_suggestions=True, scalar_map={Money: MONEY_SCALAR}
        ),
    )


schema = build_schema()
