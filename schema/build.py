"""The schema, assembled: root types, limits on documents, caches, and error masking."""
from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from resolvers.mutations import Mutation
from resolvers.queries import Query
from schema.scalars import MONEY_SCALAR, Money
from schema.types import ApiKey, Organization, Project

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


def _should_mask(error: GraphQLError) -> bool:
    """Mask bugs in resolvers; let through what is meant for clients: our public errors, and
    GraphQL's own parse, validation and variable-coercion errors (those have no path)."""
    original = error.original_error
    if error.path is None or original is None:
        return False
    return not isinstance(original, GraphQLError)


def build_schema(introspection: bool = True) -> strawberry.Schema:
    extensions = [
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(ParserCache, maxsize=256),
        partial(ValidationCache, maxsize=256),
        partial(MaskErrors, should_mask_error=_should_mask, error_message="Internal error."),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[ApiKey, Project, Organization],
        extensions=extensions,
        config=StrawberryConfig(
            disable_field_suggestions=True, relay_max_results=100, scalar_map={Money: MONEY_SCALAR}
        ),
    )


schema = build_schema()
