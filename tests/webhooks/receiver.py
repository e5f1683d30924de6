"""A real HTTP receiver for webhook deliveries: a Starlette app served by uvicorn on a free local
port, in the test's event loop. It verifies every delivery's signature with ``standardwebhooks``
(the package the README tells receivers to use), answers the statuses it is told to, and keeps
what it received."""
from __future__ import annotations

import asyncio
import json
import socket
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import standardwebhooks.webhooks
import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PORTS = range(19100, 19200)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 19100-19199")


def verify_on(clock) -> None:
    """standardwebhooks checks the timestamp against its own datetime.now(): make that the test's clock."""

    class ClockTime(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now()

    standardwebhooks.webhooks.datetime = ClockTime  # restored by the fixture


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = 0
    secret: str | None = None  # set once the webhook exists: every delivery is verified with it
    answers: deque = field(default_factory=deque)  # statuses to answer, in order; then 200
    received: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    stall: int = 0  # this many requests get no answer until ``release`` is set
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(body, headers)
            except Exception:
                self.bad_signatures += 1
                return Response(status_code=400)
        self.received.append(Received(request.url.path, headers, body))
        self.arrived.set()
        if self.stall > 0:
            self.stall -= 1
            await self.release.wait()
        if request.url.path == "/redirect":
            return Response(status_code=302, headers={"location": self.url("/elsewhere")})
        return Response(status_code=self.answers.popleft() if self.answers else 200)

    def events(self) -> list[dict]:
        return [r.event for r in self.received]


class ReceiverServer:
    def __init__(self, receiver: Receiver) -> None:
        receiver.port = free_port()
        app = Starlette(routes=[Route("/{path:path}", receiver.handle, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=receiver.port, log_level="warning",
                                                    lifespan="off", access_log=False))
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(500):
            if self.server.started:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError("the receiver did not start")

    async def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True
        if self.task is not None:
            await self.task
