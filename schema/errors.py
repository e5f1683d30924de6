"""Errors as clients see them: payload ``errors { code field message }`` for mutations, and a
public top-level error (with ``extensions.code``) for bad arguments on query fields.
Every other exception is a bug and is masked (see schema/build.py)."""
from __future__ import annotations

import functools
import typing
from contextlib import contextmanager

import strawberry
from graphql import GraphQLError

from app.services.errors import Refused
from schema.enums import ErrorCode


@strawberry.type(description="An expected failure of a mutation: bad input, quota, not found.")
class UserError:
    code: ErrorCode = strawberry.field(description="What kind of failure.")
    field: str | None = strawberry.field(description="The input field or argument at fault, by its GraphQL name; null: none in particular.")
    message: str = strawberry.field(description="For humans; do not parse it.")


def user_errors(refused: Refused) -> list[UserError]:
    return [UserError(code=ErrorCode.from_domain(e.code), field=e.field, message=e.message) for e in refused.errors]


class PublicError(GraphQLError):
    """An error whose message is meant for the client; never masked."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def argument_error(refused: Refused, nodes=None) -> GraphQLError:
    """A refused argument as a top-level GraphQL error: the same shape from a query field's
    resolver and from the check before execution (schema/arguments.py)."""
    first = refused.errors[0]
    extensions = {"code": "BAD_USER_INPUT" if first.code.value == "VALIDATION" else first.code.value}
    if first.field:
        extensions["field"] = first.field
    return GraphQLError(str(refused), nodes, extensions=extensions)


@contextmanager
def query_guard():
    """Turn a service's refusal inside a query field into a public GraphQL error."""
    try:
        yield
    except Refused as refused:
        raise argument_error(refused) from None


def refusals_in_payload(resolver):
    """A mutation resolver whose service refusals become its payload's ``errors`` (the one place
    that does it, as Saleor's ``BaseMutation.handle_errors``): the payload type is the resolver's
    return annotation, and it must take ``errors``."""
    payload = typing.get_type_hints(resolver, include_extras=False)["return"]

    @functools.wraps(resolver)
    async def resolve(*args, **kwargs):
        try:
            return await resolver(*args, **kwargs)
        except Refused as refused:
            return payload(errors=user_errors(refused))

    return resolve
