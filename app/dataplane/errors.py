"""Telling a database outage apart from a bug: an outage is a 503 to retry, not a 500."""
from __future__ import annotations

import asyncio
import sqlite3

from tortoise.exceptions import DBConnectionError, OperationalError


def database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (DBConnectionError, ConnectionError, OSError, asyncio.TimeoutError, TimeoutError)):
        return True
    if isinstance(exc, (OperationalError, sqlite3.OperationalError)):
        return True
    try:
        import asyncpg

        if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.exceptions.CannotConnectNowError,
                            asyncpg.exceptions.QueryCanceledError, asyncpg.InterfaceError)):
            return True
    except ImportError:  # pragma: no cover
        pass
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and database_unavailable(cause)
