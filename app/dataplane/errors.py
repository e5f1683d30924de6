"""Telling a database outage apart from a bug: an outage is a 503 to retry, not a 500.

Narrow on purpose: a syntax error or a missing table is a bug (500, masked), not an outage.
"""
from __future__ import annotations

import asyncio
import sqlite3

from tortoise.exceptions import DBConnectionError

_SQLITE_OUTAGES = ("database is locked", "unable to open", "disk i/o error")
_INTERFACE_OUTAGES = ("connection is closed", "pool is closing", "connection was closed")


def database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (DBConnectionError, ConnectionError, asyncio.TimeoutError, TimeoutError)):
        return True
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return True
    if isinstance(exc, sqlite3.OperationalError) or type(exc).__name__ == "OperationalError":
        if any(text in str(exc).lower() for text in _SQLITE_OUTAGES):
            return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover
        asyncpg = None
    if asyncpg is not None:
        if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.exceptions.CannotConnectNowError,
                            asyncpg.exceptions.QueryCanceledError, asyncpg.exceptions.OperatorInterventionError,
                            asyncpg.exceptions.InsufficientResourcesError)):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and any(t in str(exc).lower() for t in _INTERFACE_OUTAGES):
            return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and database_unavailable(cause)
