"""Logging: one JSON object per line; secrets never reach a log (tokens and keys are hashed
before anything else sees them, and Tortoise's statement log, which carries parameters, is
kept quiet)."""
from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import time


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(entry, default=str)


class _DeferredQueueHandler(logging.handlers.QueueHandler):
    """Queue a record without formatting it: the JSON line is built and written by the
    listener's thread, so a request on the event loop pays only for the record itself.
    The message is resolved here (its arguments may change later) and the exception is
    reduced to its type, which is all the formatter writes."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_info = (record.exc_info[0], None, None)
        record.exc_text = None
        record.stack_info = None
        return record


_listener: logging.handlers.QueueListener | None = None


def _stop_listener() -> None:
    """Write what is still queued (at exit, or before logging is configured again)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None


atexit.register(_stop_listener)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr, formatted and written off the event loop by a listener thread."""
    global _listener
    _stop_listener()
    stream = logging.StreamHandler()
    stream.setFormatter(JsonFormatter())
    records: queue.SimpleQueue = queue.SimpleQueue()
    _listener = logging.handlers.QueueListener(records, stream, respect_handler_level=False)
    _listener.start()
    root = logging.getLogger()
    root.handlers[:] = [_DeferredQueueHandler(records)]
    root.setLevel(level)
    for quiet in ("tortoise", "tortoise.db_client", "aiosqlite", "asyncpg"):
        logging.getLogger(quiet).setLevel(max(logging.INFO, logging.getLogger(quiet).level))
    logging.getLogger("tortoise.db_client").setLevel(logging.WARNING)


class AccessLog:
    """One structured line per request: method, path, status, duration. Never headers, query
    strings or bodies, which is where tokens, keys and ids travel."""

    def __init__(self, app, logger_name: str = "keyplane.access") -> None:
        self.app = app
        self.log = logging.getLogger(logger_name)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not self.log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_remember(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_remember)
        finally:
            self.log.info("request", extra={"fields": {
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 3),
            }})
