"""Slow clients: bounds on how long a connection may take to send a request.

uvicorn bounds idle keep-alive connections (``timeout_keep_alive``) and, with
``limit_concurrency``, how many connections it serves at once, but nothing bounds a client that
sends its headers or body a byte at a time: each such connection stays open for good (and
uses up a slot of the concurrency limit). This module adds that bound at the protocol level,
where the bytes arrive, so the application and its hot path see nothing of it: from the moment
a connection opens (or its previous response completes) a request's headers must arrive within
``header_timeout`` seconds, and then its body within ``body_timeout``; otherwise the
connection is closed.
"""
from __future__ import annotations

import asyncio

from app.write_coalescing import CoalescedWrites


_HEADERS, _BODY, _APP = "headers", "body", "app"  # what the connection is waiting for


class SlowClientGuard:
    """Mixed into uvicorn's HTTP protocol (httptools or h11): both keep ``loop``, ``transport`` and
    ``cycle`` (the current request, created when its headers are complete, whose ``more_body``
    turns False once its body is complete), and call ``on_response_complete``.

    Per request only two attributes are written; one timer per connection checks them, so the
    guard costs the hot path no timer operations."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    _timer: asyncio.TimerHandle | None = None
    _phase = _HEADERS
    _since = 0.0  # loop time at which the current phase began
    _guarded_cycle: object = None  # the request whose headers were already seen

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._phase, self._since = _HEADERS, self.loop.time()
        self._timer = self.loop.call_later(self.header_timeout, self._check)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if cycle is None:
            return
        if cycle is not self._guarded_cycle:  # a new request's headers are complete
            self._guarded_cycle = cycle
            if cycle.more_body:
                self._phase, self._since = _BODY, self.loop.time()
            else:
                self._phase = _APP
        elif self._phase == _BODY and not cycle.more_body:  # all in: the application takes it from here
            self._phase = _APP

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._phase, self._since = _HEADERS, self.loop.time()  # the next request on this connection

    def connection_lost(self, exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def _check(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._phase == _APP:
            wait = self.header_timeout  # nothing is due from the client: look again later
        else:
            limit = self.header_timeout if self._phase == _HEADERS else self.body_timeout
            wait = self._since + limit - self.loop.time()
            if wait <= 0:
                self.transport.close()
                return
        self._timer = self.loop.call_later(wait, self._check)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base


class GuardedHTTPProtocol(SlowClientGuard, CoalescedWrites, _Base):
    """uvicorn's fastest available HTTP protocol (httptools, else h11) with the guard mixed in, and
    one socket write per response (app/write_coalescing.py). A module-level class, so that
    `serve --workers N` can name it to its worker processes."""


def configure(settings) -> type[asyncio.Protocol]:
    """Set the guard's timeouts from the settings (in each process that serves)."""
    GuardedHTTPProtocol.header_timeout = settings.header_timeout_ms / 1000
    GuardedHTTPProtocol.body_timeout = settings.body_timeout_ms / 1000
    return GuardedHTTPProtocol


def uvicorn_options(settings, workers: int = 1) -> dict:
    """What ``keyplane serve`` passes to uvicorn for slow clients and connection counts. Worker
    processes get the class by name and set its timeouts from the environment
    (app.server:app_from_environment)."""
    configure(settings)
    return {
        "http": GuardedHTTPProtocol if workers == 1 else "app.slowclients:GuardedHTTPProtocol",
        # beyond this many connections and tasks at once, uvicorn answers 503 instead of queueing
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": 5,
    }
