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


class SlowClientGuard:
    """Mixed into uvicorn's HTTP protocol (httptools or h11): both keep ``loop``, ``transport`` and
    ``cycle`` (the current request, created when its headers are complete, whose ``more_body``
    turns False once its body is complete), and call ``on_response_complete``."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    _timer: asyncio.TimerHandle | None = None
    _guarded_cycle: object = None  # the request whose headers were already seen
    _reading_body = False

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if cycle is None or self._timer is None:
            return
        if cycle is not self._guarded_cycle:  # a new request's headers are complete: now its body
            self._guarded_cycle = cycle
            self._reading_body = True
            self._arm(self.body_timeout)
        if self._reading_body and not cycle.more_body:  # all in: the application takes it from here
            self._reading_body = False
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._reading_body = False
            self._arm(self.header_timeout)  # the next request on this connection

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol_class(header_timeout_s: float, body_timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's fastest available HTTP protocol (httptools, else h11) with the guard mixed in."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
        from uvicorn.protocols.http.h11_impl import H11Protocol as base
    return type("GuardedHTTPProtocol", (SlowClientGuard, base),
                {"header_timeout": header_timeout_s, "body_timeout": body_timeout_s})


def uvicorn_options(settings) -> dict:
    """What ``keyplane serve`` passes to uvicorn for slow clients and connection counts."""
    return {
        "http": protocol_class(settings.header_timeout_ms / 1000, settings.body_timeout_ms / 1000),
        # beyond this many connections and tasks at once, uvicorn answers 503 instead of queueing
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": 5,
    }
