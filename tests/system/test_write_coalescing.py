"""One socket write per response (app/write_coalescing.py), through the very protocol class
`keyplane serve` runs (uvicorn's, with keyplane's mixins), fed bytes as a socket would: a small
response leaves in one write, whole and in order; pipelined requests get their answers in order;
a streamed response still leaves chunk by chunk; nothing written before a close is lost."""
from __future__ import annotations

import asyncio

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from app.slowclients import GuardedHTTPProtocol
from app.write_coalescing import CoalescingTransport


class RecordingTransport(asyncio.Transport):
    """What the protocol's socket would have sent: one entry per write call."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.events: list[str] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.events.append("write")

    def close(self) -> None:
        self.closed = True
        self.events.append("close")

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass


async def json_app(scope, receive, send):
    body = b'{"allowed":true,"code":"VALID"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def streaming_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]})
    for row in (b"a,b\n", b"1,2\n"):
        await asyncio.sleep(0)  # the next row is produced in a later step, as a database cursor does
        await send({"type": "http.response.body", "body": row, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def serve_bytes(app, request: bytes, settle_steps: int = 20) -> RecordingTransport:
    config = Config(app=app, lifespan="off", log_level="warning", access_log=False)
    config.load()
    protocol = GuardedHTTPProtocol(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(settle_steps):
        await asyncio.sleep(0)
    protocol.connection_lost(None)
    return transport


POST = (b"POST /v1/authorize HTTP/1.1\r\nHost: keyplane\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\n\r\n{}")


async def test_a_small_response_leaves_in_one_write_head_and_body_together():
    transport = await serve_bytes(json_app, POST)
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: 31" in head
    assert body == b'{"allowed":true,"code":"VALID"}'


async def test_pipelined_requests_are_answered_whole_and_in_order():
    transport = await serve_bytes(json_app, POST * 3)
    sent = b"".join(transport.writes)
    assert sent.count(b"HTTP/1.1 200 OK") == 3
    assert len(transport.writes) == 3  # one per response
    assert all(w.endswith(b'"VALID"}') for w in transport.writes)


async def test_a_close_comes_after_everything_written_before_it():
    transport = await serve_bytes(json_app, POST.replace(b"Host: keyplane", b"Host: keyplane\r\nConnection: close"))
    assert transport.events[:2] == ["write", "close"] and transport.events.count("write") == 1
    assert transport.writes[0].endswith(b'"VALID"}') and b"connection: close" in transport.writes[0]


async def test_a_streamed_response_still_leaves_as_it_is_produced():
    transport = await serve_bytes(streaming_app, b"GET /v1/export/usage HTTP/1.1\r\nHost: keyplane\r\n\r\n")
    sent = b"".join(transport.writes)
    assert sent.endswith(b"4\r\na,b\n\r\n4\r\n1,2\n\r\n0\r\n\r\n")
    assert len(transport.writes) >= 3  # the rows were not held back until the end


async def test_held_bytes_count_in_the_write_buffer_and_an_abort_drops_them():
    real = RecordingTransport()
    real.abort = lambda: real.events.append("abort")
    coalescing = CoalescingTransport(real, asyncio.get_running_loop())
    coalescing.write(b"abc")
    coalescing.write(b"de")
    assert coalescing.get_write_buffer_size() == 5 and real.writes == []
    await asyncio.sleep(0)
    assert real.writes == [b"abcde"]
    coalescing.write(b"lost")
    coalescing.abort()
    await asyncio.sleep(0)
    assert real.writes == [b"abcde"] and real.events[-1] == "abort"


@pytest.mark.parametrize("chunks", [[b"x"], [b"a", b"b", b"c"], [b"", b"tail"]])
async def test_whatever_is_written_in_one_step_arrives_once_in_order(chunks):
    real = RecordingTransport()
    coalescing = CoalescingTransport(real, asyncio.get_running_loop())
    coalescing.writelines(chunks)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert real.writes == [b"".join(chunks)]
