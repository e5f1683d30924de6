"""Every error body keyplane builds outside a GraphQL result, in one place and always with a code.

Two shapes, fixed by the contract: the HTTP endpoints answer ``{"error": {"code", "message"}}``;
``/graphql`` answers a request it could not execute in GraphQL's own shape,
``{"errors": [{"message", "extensions": {"code"}}]}``. (Envoy's ext_authz answers in OpenAI's
shape, ``app/dataplane/ext_authz.py``: that is what an OpenAI client of the gateway reads.)
"""
from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def graphql_error_body(code: str, message: str) -> dict:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


@dataclass(frozen=True)
class Reply:
    """An HTTP endpoint's answer before it is encoded: status, JSON body, extra headers."""

    status: int
    body: dict
    headers: dict | None = None

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def error_reply(status: int, code: str, message: str, headers: dict | None = None) -> Reply:
    """An HTTP endpoint's error; a 401 always carries the Bearer challenge."""
    if status == 401:
        headers = {**BEARER_CHALLENGE, **(headers or {})}
    return Reply(status, error_body(code, message), headers)


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return error_reply(status, code, message, headers).response()


def graphql_error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    if status == 401:
        headers = {**BEARER_CHALLENGE, **(headers or {})}
    return JSONResponse(graphql_error_body(code, message), status_code=status, headers=headers)


def error_for_path(path: str, status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    """For code in front of every endpoint (the request guards, the router): the shape of the endpoint asked."""
    if path.startswith("/graphql"):
        return graphql_error_response(status, code, message, headers)
    return error_response(status, code, message, headers)


_ROUTER_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def router_error(request: Request, exc: HTTPException) -> JSONResponse:
    """What the router answers itself (no such path, a method the route does not take), in our shape
    instead of Starlette's plain text; a 405 keeps its ``Allow`` header."""
    code = _ROUTER_CODES.get(exc.status_code, "BAD_REQUEST")
    return error_for_path(request.url.path, exc.status_code, code, exc.detail, exc.headers)
