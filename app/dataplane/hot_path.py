"""The gateway's two calls per LLM request, answered before Starlette's middleware and router.

``POST /v1/authorize`` and ``POST /v1/usage`` are most of keyplane's traffic. Through the
full stack each passes five ASGI layers (error middleware, access log, request guards,
exception middleware, router), each wrapping ``send`` in a closure of its own, and a
Request object is built for two headers and the body: about a quarter of the event loop's
time per request (bench/profile_loop.py). Here the same steps run once, in order, with the
same functions: the access line (app/logs.py), the body limits and the masking of escaped
exceptions (app/guards.py), the handlers (DataPlane.authorize_reply/usage_reply), and one
JSON encoding of the answer, identical to Starlette's JSONResponse. What the stack adds
beyond that stays there: a request with an ``Origin`` header goes through the stack when CORS
is configured (CORSMiddleware answers it), and so does every other method and path.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Awaitable, Callable

from starlette.types import Receive, Scope, Send

from app.guards import MAX_BODY, ClientGone, TooLarge, failure, length_refusal, read_body, too_large
from app.http_errors import Reply
from app.logs import ACCESS_LOGGER, access_line

Handler = Callable[[str | None, bytes], Awaitable[Reply]]

# Starlette's JSONResponse.render, built once
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
_JSON = (b"content-type", b"application/json")


def encoded(reply: Reply) -> tuple[dict, dict]:
    """The two ASGI messages of a reply: the start with its headers, and the whole body."""
    body = _ENCODER.encode(reply.body).encode("utf-8")
    headers = [(b"content-length", str(len(body)).encode("latin-1")), _JSON]
    if reply.headers:
        headers.extend((name.lower().encode("latin-1"), value.encode("latin-1"))
                       for name, value in reply.headers.items())
    return ({"type": "http.response.start", "status": reply.status, "headers": headers},
            {"type": "http.response.body", "body": body})


class HotPath:
    """Answers the data plane's POSTs itself; ``answered`` is False for anything it leaves to the app."""

    def __init__(self, handlers: dict[str, Handler], *, cors: bool, max_body: int = MAX_BODY) -> None:
        self.handlers = handlers  # path → handler(authorization, body)
        self.cors = cors
        self.max_body = max_body
        self.log = logging.getLogger(ACCESS_LOGGER)

    async def answered(self, scope: Scope, receive: Receive, send: Send) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        path = scope["path"]
        handler = self.handlers.get(path)
        if handler is None:
            return False
        authorization = declared = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if authorization is None:  # the first, as Starlette's request.headers reads it
                    authorization = value.decode("latin-1")
            elif name == b"content-length":
                declared = value  # the last, as the request guards read it
            elif name == b"origin" and self.cors:
                return False
        started = time.perf_counter()
        status = 500
        try:
            status = await self._answer(handler, path, authorization, declared, scope, receive, send)
        finally:
            access_line(self.log, "POST", path, status, started)
        return True

    async def _answer(self, handler: Handler, path: str, authorization: str | None, declared: bytes | None,
                      scope: Scope, receive: Receive, send: Send) -> int:
        """The status answered (500 when the client went away before its body was in)."""
        refused = length_refusal(path, declared, self.max_body)
        if refused is None:
            try:
                body = await read_body(receive, self.max_body)
            except TooLarge:
                refused = too_large(path)
            except ClientGone:
                return 500
        if refused is None:
            try:
                start, whole = encoded(await handler(authorization, body))
            except Exception as exc:
                refused = failure(path, exc)
        if refused is not None:
            await refused(scope, receive, send)
            return refused.status_code
        await send(start)
        await send(whole)
        return start["status"]
