"""The PostgreSQL settings (pool size, statement timeout, statement cache) reach a real asyncpg
pool through Tortoise, and show in what the database does."""
from __future__ import annotations

import time

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
