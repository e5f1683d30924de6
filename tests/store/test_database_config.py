"""The PostgreSQL settings (pool size, statement timeout, statement cache) reach a real asyncpg
pool through Tortoise, and show in what the database does."""
from __future__ import annotations

import re
import time
from pathlib import Path

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from app import db
from app.settings import Settings
from app.store import sql
from tests.system import postgres


def test_settings_become_asyncpg_pool_options():
    config = db.tortoise_config(Settings(database_url="postgresql://kp:secret@db.internal:6432/keyplane", pool_min=2,
                                         pool_max=7, statement_timeout_ms=1500, statement_cache_size=0))
    connection = config["connections"]["default"]
    assert connection["engine"] == "tortoise.backends.asyncpg"
    credentials = connection["credentials"]
    assert (credentials["host"], credentials["port"], credentials["database"]) == ("db.internal", 6432, "keyplane")
    assert (credentials["minsize"], credentials["maxsize"], credentials["statement_cache_size"]) == (2, 7, 0)
    assert credentials["server_settings"]["statement_timeout"] == "1500"
    assert credentials["command_timeout"] > 1.5  # the server's timeout fires first
    assert credentials["timeout"] == db.CONNECT_TIMEOUT_S


def test_an_unknown_scheme_is_refused():
    with pytest.raises(db.DatabaseUrlError):
        db.tortoise_config(Settings(database_url="mysql://localhost/keyplane"))


async def _open(**settings) -> None:
    await db.connect(Settings(database_url=postgres.server_url(), **settings))


async def _prepared_statements_after_two_queries() -> int:
    async with in_transaction() as tx:  # one connection throughout
        for _ in range(2):
            await sql.fetch(tx, "SELECT ? + 1 AS n", [41])
        row = await sql.fetch_one(tx, "SELECT COUNT(*) AS n FROM pg_prepared_statements")
    return row["n"]


async def test_a_postgres_pool_has_the_configured_size_timeout_and_statement_cache():
    await postgres.require_server()
    await _open(pool_min=2, pool_max=3, statement_timeout_ms=300, statement_cache_size=0)
    try:
        conn = sql.client()
        assert (await sql.fetch_one(conn, "SHOW statement_timeout"))["statement_timeout"] == "300ms"
        pool = conn._pool  # Tortoise creates it on first use
        assert (pool.get_min_size(), pool.get_max_size()) == (2, 3)
        assert (await sql.fetch_one(conn, "SHOW application_name"))["application_name"] == "keyplane"
        started = time.monotonic()
        with pytest.raises(asyncpg.QueryCanceledError):
            await sql.fetch(conn, "SELECT pg_sleep(5)")
        assert time.monotonic() - started < 2
        # no named prepared statements stay on the server connection: what PgBouncer's transaction mode needs
        assert await _prepared_statements_after_two_queries() == 0
    finally:
        await db.close_database()

    await _open(statement_cache_size=100)
    try:
        assert await _prepared_statements_after_two_queries() >= 1
    finally:
        await db.close_database()


# what a pooled connection would carry to its next user if keyplane wrote it: a session-level
# advisory lock, a SET without LOCAL, a LISTEN, a cursor
_SESSION_STATE = re.compile(r"pg_advisory_lock|pg_try_advisory_lock\(|[\"']\s*SET\s+(?!LOCAL\b)"
                            r"|\bLISTEN\b|\bDECLARE\b", re.I)


def test_no_source_keeps_session_state_that_a_released_connection_would_need_reset():
    """Pooled connections are released without asyncpg's reset statement (db.SessionlessConnection),
    which is only safe while no statement leaves session state behind."""
    root = Path(__file__).resolve().parents[2]
    offending = [f"{path.relative_to(root)}:{number}: {line.strip()}"
                 for folder in ("app", "schema", "resolvers") for path in sorted((root / folder).rglob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if _SESSION_STATE.search(line) and not line.lstrip().startswith("#")
                 and "get_reset_query" not in line and '"""' not in line]
    assert offending == []
    assert _SESSION_STATE.search('await sql.execute(tx, "SET statement_timeout = 0")')
    assert _SESSION_STATE.search("SELECT pg_advisory_lock(1)")
    assert not _SESSION_STATE.search("SET LOCAL lock_timeout = '5s'")
    assert not _SESSION_STATE.search('"UPDATE api_keys SET usage = usage + 1"')


async def test_a_released_connection_sends_no_reset_but_its_open_transaction_is_rolled_back():
    await postgres.require_server()
    await _open(pool_min=1, pool_max=1)
    try:
        await sql.fetch(sql.client(), "SELECT 1")  # Tortoise creates the pool on first use
        pool = sql.client()._pool
        async with pool.acquire() as connection:
            assert isinstance(connection, db.SessionlessConnection) and connection.get_reset_query() == ""
            await connection.execute("CREATE TEMP TABLE released (n int)")
            await connection.execute("BEGIN")
            await connection.execute("INSERT INTO released VALUES (1)")
        async with pool.acquire() as connection:  # the same connection: the pool holds one
            assert await connection.fetchval("SELECT count(*) FROM released") == 0
            assert not connection.is_in_transaction()
    finally:
        await db.close_database()
