"""A transaction in one hop to SQLite's thread, instead of one hop per statement.

aiosqlite runs every statement in the connection's own thread and hands the result back to the
event loop: each statement of a transaction is a round trip between two threads, and while the
event loop is busy answering HTTP that round trip waits for it. A usage batch or a group of holds
is a dozen statements that do nothing else between them, so the data plane's transactions were
bound by those hops, not by SQLite. Here the whole transaction (BEGIN, the body's statements,
COMMIT or ROLLBACK) runs in the connection's thread as one call.

The body is an ordinary ``async def body(tx)`` written against ``app.store.sql``, as for any other
backend; it must await nothing but statements on ``tx`` (it runs to its end without suspending,
and a body that tries to suspend is an error, not a silent hang). On PostgreSQL, and whenever the
connection is not Tortoise's SQLite client, it is an ordinary transaction.
"""
from __future__ import annotations

import sqlite3
from typing import Any, Awaitable, Callable, Sequence, TypeVar

from tortoise.backends.sqlite.client import SqliteClient
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from app.store import sql

T = TypeVar("T")


class _SyncSqliteTransaction:
    """The statements of a transaction on the raw connection, in the connection's thread: the
    subset of Tortoise's client that ``app.store.sql`` calls, with the same results and the same
    exception types."""

    def __init__(self, raw: sqlite3.Connection, client: SqliteClient) -> None:
        self._raw = raw
        self.capabilities = client.capabilities

    def _rows(self, query: str, values: Sequence[Any] | None) -> list:
        try:
            return self._raw.execute(query, values or ()).fetchall()
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc

    async def execute_query(self, query: str, values: list | None = None) -> tuple[int, list]:
        start = self._raw.total_changes
        rows = self._rows(query, values)
        return (self._raw.total_changes - start) or len(rows), rows

    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        return [dict(row) for row in self._rows(query, values)]


def _run_to_end(coroutine) -> Any:
    """The result of a coroutine that never suspends, run here and now."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a one-hop transaction awaited something other than its own statements")


async def transaction(body: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``body(tx)`` in one transaction: on SQLite in one hop to the connection's thread."""
    client = sql.client()
    if not isinstance(client, SqliteClient):
        async with in_transaction() as tx:
            return await body(tx)
    # Tortoise's lock of the connection: no other statement or transaction interleaves with this one
    async with client._lock:
        if client._connection is None:
            await client.create_connection(with_db=True)
        connection = client._connection

        def whole_transaction() -> T:
            raw = connection._conn
            raw.execute("BEGIN")
            try:
                result = _run_to_end(body(_SyncSqliteTransaction(raw, client)))
                raw.commit()
            except BaseException:
                if raw.in_transaction:
                    raw.rollback()
                raise
            return result

        return await connection._execute(whole_transaction)
