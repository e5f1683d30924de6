"""Logging: one JSON object per line; secrets never reach a log (tokens and keys are hashed
before anything else sees them, and Tortoise's statement log, which carries parameters, is
kept quiet)."""
from __future__ import annotations

import json
import logging
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


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
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
