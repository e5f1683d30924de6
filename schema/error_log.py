"""How GraphQL errors reach the log.

A client's mistake (syntax, validation, bad variables, refused arguments, limits) is not an
error of the server: it is one DEBUG line with its kind and code, never its message, which
quotes the document or the variables (a secret pasted into a query would land in the log),
and never at ERROR (any tenant could flood it). A bug in a resolver is logged at ERROR with
the field's path and the traceback's frames, but not the exception's message nor any variable.
"""
from __future__ import annotations

import logging
import traceback

from graphql import GraphQLError, GraphQLSyntaxError

log = logging.getLogger("keyplane.graphql")


def is_resolver_bug(error: GraphQLError) -> bool:
    """An exception raised while resolving a field that is not meant for the client."""
    original = error.original_error
    return error.path is not None and original is not None and not isinstance(original, GraphQLError)


def _kind(error: GraphQLError) -> str:
    if isinstance(error, GraphQLSyntaxError):
        return "syntax"
    if error.path is not None:
        return "field"
    return "request"


def log_error(error: GraphQLError) -> None:
    if is_resolver_bug(error):
        original = error.original_error
        log.error("resolver failed", extra={"fields": {
            "path": ".".join(str(part) for part in error.path),
            "exception": type(original).__name__,
            "traceback": "".join(traceback.format_tb(original.__traceback__)),
        }})
        return
    code = (error.extensions or {}).get("code")
    log.debug("graphql request refused", extra={"fields": {"kind": _kind(error), "code": code}})
