"""Logging: one JSON object per line; secrets never reach a log (tokens and keys are hashed
before anything else sees them, and Tortoise's statement log, which carries parameters, is
kept quiet)."""
from __future__ import annotations

import atexit
import collections
import json
import logging
import sys
import threading
import time


def _timestamp(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created * 1000) % 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": _timestamp(record.created),
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


class BatchedStderr(logging.Handler):
    """Queue each record as it is; a thread formats what has queued and writes it in one go,
    every ``interval`` seconds.

    A request on the event loop then pays only for the record itself. Waking the thread per
    record would hand the GIL back and forth with the event loop on every request (slower
    than writing inline); waking it a few times a second does not. The message is resolved
    here (its arguments may change later) and the exception is reduced to its type, which is
    all the formatter writes.
    """

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.interval = interval
        # records, or the fields of access lines: (created, method, path, status, ms)
        self._queued: collections.deque = collections.deque()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._write_periodically, name="keyplane-log-writer", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_info = (record.exc_info[0], None, None)
        record.exc_text = None
        record.stack_info = None
        self._queued.append(record)

    def access(self, method: str, path: str, status: int, ms: float) -> None:
        """An access line, queued without a LogRecord: the one line written per request."""
        self._queued.append((time.time(), method, path, status, ms))

    def _write_queued(self) -> None:
        lines = []
        while self._queued:
            item = self._queued.popleft()
            if isinstance(item, tuple):
                created, method, path, status, ms = item
                lines.append(json.dumps({"ts": _timestamp(created), "level": "info", "logger": ACCESS_LOGGER,
                                         "msg": "request", "method": method, "path": path, "status": status,
                                         "ms": ms}))
            else:
                lines.append(self.format(item))
        if lines:
            stream = sys.stderr
            try:
                stream.write("\n".join(lines) + "\n")
                stream.flush()
            except (OSError, ValueError):  # stderr closed: nothing useful left to do
                pass

    def _write_periodically(self) -> None:
        while not self._stopping.wait(self.interval):
            self._write_queued()
        self._write_queued()

    def close(self) -> None:
        """Write everything still queued, then stop the thread."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._write_queued()
        super().close()


_handler: BatchedStderr | None = None


def _stop_listener() -> None:
    """Write what is still queued (at exit, or before logging is configured again)."""
    global _handler
    if _handler is not None:
        _handler.close()
        _handler = None


atexit.register(_stop_listener)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr, formatted and written off the event loop (BatchedStderr)."""
    global _handler
    _stop_listener()
    # the JSON lines carry neither source lines nor thread or process names: skip working them
    # out for every record (finding the caller walks the stack, on the event loop)
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    _handler = BatchedStderr()
    root = logging.getLogger()
    root.handlers[:] = [_handler]
    root.setLevel(level)
    for quiet in ("tortoise", "tortoise.db_client", "aiosqlite", "asyncpg"):
        logging.getLogger(quiet).setLevel(max(logging.INFO, logging.getLogger(quiet).level))
    logging.getLogger("tortoise.db_client").setLevel(logging.WARNING)


ACCESS_LOGGER = "keyplane.access"


class AccessLog:
    """One structured line per request: method, path, status, duration. Never headers, query
    strings or bodies, which is where tokens, keys and ids travel.

    With keyplane's own logging (configure_logging), the line skips the logging machinery
    (a LogRecord per request is a measurable share of /v1/authorize); otherwise it is an
    ordinary INFO record of the logger ``keyplane.access``."""

    def __init__(self, app, logger_name: str = ACCESS_LOGGER) -> None:
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
            access_line(self.log, scope.get("method"), scope.get("path"), status, started)


def access_line(log: logging.Logger, method: str | None, path: str | None, status: int, started: float) -> None:
    """Write the access line of a request that began at ``started`` (``time.perf_counter()``), if
    ``log`` takes INFO: queued as plain fields with keyplane's own logging, else an INFO record."""
    if not log.isEnabledFor(logging.INFO):
        return
    ms = round((time.perf_counter() - started) * 1000, 3)
    handler = _handler
    if handler is not None and log.name == ACCESS_LOGGER:
        handler.access(method, path, status, ms)
    else:
        log.info("request", extra={"fields": {"method": method, "path": path, "status": status, "ms": ms}})
