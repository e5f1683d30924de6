"""Explicit SQL that runs on SQLite and PostgreSQL alike.

Statements are written with ``?`` placeholders; for PostgreSQL they are numbered ``$1..$n``.
Tortoise's clients do the I/O (and the pooling, and the transactions).
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Sequence, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

T = TypeVar("T")
_PLACEHOLDER = re.compile(r"\?")
_converted: dict[str, str] = {}


def client() -> BaseDBAsyncClient:
    return connections.get("default")


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def _prepare(conn: BaseDBAsyncClient, sql: str) -> str:
    if not is_postgres(conn):
        return sql
    done = _converted.get(sql)
    if done is None:
        counter = iter(range(1, 10_000))
        done = _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)
        _converted[sql] = done
    return done


async def execute(conn: BaseDBAsyncClient, sql: str, params: Sequence[Any] = ()) -> int:
    """Run a statement without result rows; returns the number of rows it changed."""
    count, _ = await conn.execute_query(_prepare(conn, sql), list(params))
    return count


async def fetch(conn: BaseDBAsyncClient, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    """Run a statement that returns rows (SELECT, or anything with RETURNING)."""
    return await conn.execute_query_dict(_prepare(conn, sql), list(params))


async def fetch_one(conn: BaseDBAsyncClient, sql: str, params: Sequence[Any] = ()) -> dict | None:
    rows = await fetch(conn, sql, params)
    return rows[0] if rows else None


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``: multi-row statements stay below every
    backend's limit on parameters."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def is_deadlock(exc: BaseException) -> bool:
    """PostgreSQL aborted the transaction to break a deadlock (SQLSTATE 40P01), e.g. a usage batch
    against the housekeeping creating next month's partition: the whole transaction rolled back,
    and running it again is the remedy."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "sqlstate", None) == "40P01" or type(exc).__name__ == "DeadlockDetectedError":
            return True
        exc = exc.__cause__ or exc.__context__
    return False
