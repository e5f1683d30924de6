"""Slow clients against a real `keyplane serve`: connections that send their headers or body a
byte at a time are closed once KEYPLANE_HEADER_TIMEOUT_MS / KEYPLANE_BODY_TIMEOUT_MS pass,
while normal requests keep being answered. (Real time and a real socket: what is bounded here
is the server's event loop, not keyplane's clock.)"""
from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from tests.system import servers

TIMEOUT_MS = 1000
DRIP_S = 0.2  # one byte this often: far slower than any real client
GIVE_UP_S = 6.0  # without the guard the connections would still be open here


@pytest.fixture
def server(tmp_path):
    instance = servers.start(f"sqlite://{tmp_path}/slow.sqlite3", tmp_path / "server.log",
                             KEYPLANE_HEADER_TIMEOUT_MS=str(TIMEOUT_MS), KEYPLANE_BODY_TIMEOUT_MS=str(TIMEOUT_MS))
    try:
        servers.wait_ready(instance)
        yield instance
    finally:
        servers.stop(instance)


def drip(base_url: str, head: bytes, rest: bytes, closed_after: list, index: int) -> None:
    """Send ``head`` at once, then ``rest`` a byte per DRIP_S; record when the server closed the connection."""
    host, port = base_url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=GIVE_UP_S) as sock:
        sock.settimeout(DRIP_S)
        try:
            sock.sendall(head)
            for byte in rest:
                if time.monotonic() - started > GIVE_UP_S:
                    return
                sock.sendall(bytes([byte]))
                try:
                    if sock.recv(4096) == b"":
                        break  # closed by the server
                except socket.timeout:
                    continue
        except (BrokenPipeError, ConnectionResetError):
            pass
        closed_after[index] = time.monotonic() - started


def run_slow_clients(base_url: str, head: bytes, rest: bytes, count: int = 10) -> list:
    closed_after: list = [None] * count
    threads = [threading.Thread(target=drip, args=(base_url, head, rest, closed_after, i)) for i in range(count)]
    for thread in threads:
        thread.start()
    # normal requests are answered all along
    answered = 0
    deadline = time.monotonic() + 1.5
    with httpx.Client(base_url=base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            assert client.get("/healthz").status_code == 200
            answered += 1
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert answered >= 5
    return closed_after


def test_connections_that_drip_their_headers_are_closed(server):
    closed_after = run_slow_clients(server.base_url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-Slow: " + b"a" * 200)
    assert all(t is not None and t < TIMEOUT_MS / 1000 + 2 for t in closed_after), closed_after


def test_connections_that_drip_their_body_are_closed(server):
    head = b"POST /v1/usage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    closed_after = run_slow_clients(server.base_url, head, b"{" + b" " * 199)
    assert all(t is not None and t < TIMEOUT_MS / 1000 + 2 for t in closed_after), closed_after


def test_a_keep_alive_connection_that_drips_its_next_request_is_closed(server):
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in sock.recv(4096)
        started = time.monotonic()
        sock.settimeout(DRIP_S)
        closed = None
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 100:
            if time.monotonic() - started > GIVE_UP_S:
                break
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(4096) == b"":
                    closed = time.monotonic() - started
                    break
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = time.monotonic() - started
                break
        assert closed is not None and closed < TIMEOUT_MS / 1000 + 2


def test_the_limits_have_documented_defaults():
    from app.settings import Settings

    settings = Settings.from_env({})
    assert (settings.header_timeout_ms, settings.body_timeout_ms, settings.max_connections) == (10_000, 30_000, 1000)


def test_connections_beyond_the_limit_are_refused_until_slow_ones_are_closed(tmp_path):
    instance = servers.start(f"sqlite://{tmp_path}/limit.sqlite3", tmp_path / "server.log",
                             KEYPLANE_HEADER_TIMEOUT_MS=str(TIMEOUT_MS), KEYPLANE_MAX_CONNECTIONS="3")
    try:
        servers.wait_ready(instance)
        host, port = instance.base_url.removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(3)]
        try:
            time.sleep(0.2)  # the server has accepted them
            assert httpx.get(instance.base_url + "/healthz", timeout=5).status_code == 503
            time.sleep(TIMEOUT_MS / 1000 + 0.5)  # the idle ones never sent a header: closed
            assert httpx.get(instance.base_url + "/healthz", timeout=5).status_code == 200
        finally:
            for sock in idle:
                sock.close()
    finally:
        servers.stop(instance)
