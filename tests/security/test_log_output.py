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
