"""The JSON log lines: formatted and written by the listener thread, never on the caller's
(the event loop's) thread, and nothing queued is lost when logging stops."""
import io
import json
import logging
import threading

from app import logs


def test_lines_are_formatted_off_the_calling_thread_and_flushed_on_stop(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    formatted_on: list[threading.Thread] = []
    original = logs.JsonFormatter.format

    def spying_format(self, record):
        formatted_on.append(threading.current_thread())
        return original(self, record)

    monkeypatch.setattr(logs.JsonFormatter, "format", spying_format)
    logs.configure_logging("INFO")
    try:
        log = logging.getLogger("keyplane.test")
        for n in range(200):
            log.info("request %s", n, extra={"fields": {"path": "/v1/authorize", "status": 200}})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
        log.debug("below the level")
    finally:
        logs._stop_listener()
        logs.configure_logging("INFO")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["msg"] for line in lines[:200]] == [f"request {n}" for n in range(200)]
    assert lines[0]["path"] == "/v1/authorize" and lines[0]["status"] == 200 and lines[0]["level"] == "info"
    assert lines[200]["msg"] == "failed" and lines[200]["exc"] == "ValueError"
    assert len(lines) == 201
    assert formatted_on and threading.current_thread() not in formatted_on


async def test_access_lines_keep_their_shape_and_never_carry_query_strings(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    logs.configure_logging("INFO")

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    try:
        await logs.AccessLog(app)({"type": "http", "method": "POST", "path": "/v1/usage",
                                   "query_string": b"token=kp_secret", "headers": []}, receive, send)
    finally:
        logs._stop_listener()
        logs.configure_logging("INFO")
    (line,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert line["logger"] == "keyplane.access" and line["msg"] == "request" and line["level"] == "info"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/v1/usage", 201)
    assert isinstance(line["ms"], float) and line["ts"].endswith("Z")
    assert "kp_secret" not in stream.getvalue()
