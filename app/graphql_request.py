"""GraphQL over HTTP: from an HTTP request to the GraphQL request it carries, and back.

Which media type the answer takes (``Accept``), where the parameters come from (the query
string of a GET, or a JSON POST body decoded by ``app/jsonbody.py``), their types, which
operation runs, and that a GET never runs a mutation. Malformed HTTP is an ``HttpError`` (its
own status, whatever the media type); a GraphQL request error found here is a ``RequestError``
(its status depends on the media type, like any other request error: see ``status_for``).
"""
from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from app import jsonbody

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# enough for any document the schema's own token limit lets through; a longer one is left to it
MAX_PRECHECK_TOKENS = 20_000


class HttpError(Exception):
    def __init__(self, status: int, message: str, code: str = "BAD_REQUEST", headers: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


class RequestError(Exception):
    """A GraphQL request error (nothing executed, no ``data``), found before the schema runs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def mutation_over_get() -> HttpError:
    """The spec's answer to a GET that would run a mutation: nothing runs, 405, use POST."""
    return HttpError(405, "mutations need POST: a GET may only run queries", code="METHOD_NOT_ALLOWED",
                     headers={"Allow": "POST"})


@dataclass(frozen=True)
class Params:
    query: object
    variables: dict | None
    operation_name: str | None
    extensions: dict | None


def response_media_type(accept: str | None) -> str:
    """The media type of the answer: the client's most preferred of the two we speak. Wildcards, a
    missing header and a header naming neither get application/json, the legacy default."""
    ranges = []
    for position, part in enumerate((accept or "").split(",")):
        media, *options = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append((-quality, position, media.lower()))
    for _, _, media in sorted(ranges):
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media in (JSON, "application/*", "*/*"):
            return JSON
    return JSON


def status_for(media_type: str, request_error: bool) -> int:
    """With application/graphql-response+json a request error is a 400; with application/json every
    well-formed request gets 200 (what legacy clients expect)."""
    return 400 if request_error and media_type == GRAPHQL_RESPONSE else 200


def _json_parameter(raw: str | None, name: str) -> object:
    if raw is None or raw == "":
        return None
    try:
        return jsonbody.decode(raw)
    except jsonbody.NotJson:
        raise HttpError(400, f"the {name} parameter must be JSON") from None


def read_params(method: str, query_params, content_type: str | None, body: bytes) -> Params:
    if method == "GET":
        data = {
            "query": query_params.get("query"),
            "operationName": query_params.get("operationName"),
            "variables": _json_parameter(query_params.get("variables"), "variables"),
            "extensions": _json_parameter(query_params.get("extensions"), "extensions"),
        }
    else:
        media = (content_type or "").split(";")[0].strip().lower()
        if media != JSON:
            raise HttpError(415, "send the request as content-type: application/json", code="UNSUPPORTED_MEDIA_TYPE")
        try:
            data = jsonbody.decode(body)
        except jsonbody.NotJson:
            data = None
        if not isinstance(data, dict):
            raise HttpError(400, "the body must be a JSON object")
    for name, kind, label in (("query", str, "a string"), ("operationName", str, "a string"),
                              ("variables", dict, "an object"), ("extensions", dict, "an object")):
        if data.get(name) is not None and not isinstance(data[name], kind):
            raise HttpError(400, f"{name} must be {label} or null")
    extensions = data.get("extensions")
    if data.get("query") is None and not (extensions and "persistedQuery" in extensions):
        raise HttpError(400, "no GraphQL query found: send query (or a persisted query's hash)")
    return Params(data.get("query"), data.get("variables"), data.get("operationName"), extensions)


def check_operation(query: str, operation_name: str | None, method: str) -> None:
    """The rules on the operation that is about to run. A document that does not parse is left to
    the schema, which reports its syntax error the usual way."""
    try:
        document = parse(query, no_location=True, max_tokens=MAX_PRECHECK_TOKENS)
    except GraphQLError:
        return
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None and len(operations) > 1:
        raise RequestError("OPERATION_NAME_REQUIRED",
                           "the document has several operations: say which one to run with operationName")
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if method == "GET" and chosen and chosen[0].operation != OperationType.QUERY:
        raise mutation_over_get()
