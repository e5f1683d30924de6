"""Request guards in front of every endpoint (the contract's "Limits on requests").

Bodies over 1 MiB are refused with 413 before anything parses them (by Content-Length, or
while streaming when it is absent or lies). The endpoints validate their own bodies (with the
one decoder of ``app/jsonbody.py``: they need the parsed object anyway). Anything that still escapes as an exception becomes a masked 500 body,
never a stack trace.
"""
from __future__ import annotations

import logging

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.dataplane.errors import database_unavailable
from app.http_errors import error_for_path

MAX_BODY = 1024 * 1024
log = logging.getLogger("keyplane.guards")


class TooLarge(Exception):
    pass


class ClientGone(Exception):
    """The connection closed before the whole body arrived (e.g. a slow client timed out): a partial
    body must never reach a handler."""


class RequestGuards:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        refused = length_refusal(path, headers.get(b"content-length"), self.max_body)
        if refused is not None:
            await refused(scope, receive, send)
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self._call_masked(scope, receive, send, path)
            return
        try:
            body = await read_body(receive, self.max_body)
        except TooLarge:
            await too_large(path)(scope, receive, send)
            return
        except ClientGone:
            return
        scope["keyplane.body"] = body  # handlers that know it skip reading the body again
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self._call_masked(scope, replay, send, path)

    async def _call_masked(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                failure(path, exc)
                raise
            await failure(path, exc)(scope, receive, send)


def too_large(path: str) -> Response:
    return error_for_path(path, 413, "PAYLOAD_TOO_LARGE", "request bodies are limited to 1 MiB")


def length_refusal(path: str, declared: bytes | None, max_body: int) -> Response | None:
    """The answer to a Content-Length over the limit or unreadable, before any body is read."""
    if declared is None:
        return None
    try:
        return too_large(path) if int(declared) > max_body else None
    except ValueError:
        return error_for_path(path, 400, "BAD_REQUEST", "invalid Content-Length")


async def read_body(receive: Receive, max_body: int) -> bytes:
    """The whole body, refused (TooLarge) as soon as it passes the limit, whatever Content-Length said."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            raise TooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def failure(path: str, exc: Exception) -> Response:
    """What a handler's escaped exception becomes, logged: a database outage is a 503 the client may
    retry (one line, no traceback); anything else is a bug, a masked 500 (the traceback goes to the
    log, the client learns nothing about it)."""
    if database_unavailable(exc):
        log.warning("database unavailable on %s: %s", path, type(exc).__name__)
        return error_for_path(path, 503, "UNAVAILABLE", "the database is unavailable; retry shortly")
    log.error("unhandled error on %s: %s", path, type(exc).__name__, exc_info=exc)
    return error_for_path(path, 500, "INTERNAL", "internal error")
