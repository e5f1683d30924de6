"""Opening and closing the database: Tortoise's connection, the migrations, the default catalog.

On PostgreSQL the connection is an asyncpg pool per process (Tortoise's ``asyncpg``
backend). The credentials below are the names that Tortoise 1.1 reads (``minsize``,
``maxsize``) or hands through to ``asyncpg.create_pool`` unchanged (``statement_cache_size``,
``command_timeout``, ``timeout``, ``server_settings``); tests/store/test_database_config.py
checks that a real pool ends up with them.
"""
from __future__ import annotations

import logging
from urllib.parse import urlparse

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE

from app.services import catalog
from app.settings import Settings
from app.store import migrations

MODELS = ["app.models"]


# A connection attempt that gets no answer (host down, packets dropped) gives up after this
# many seconds instead of asyncpg's 60, so requests fail with 503 instead of hanging.
CONNECT_TIMEOUT_S = 3


class SessionlessConnection(asyncpg.Connection):
    """A pooled connection released without asyncpg's reset statement.

    By default every release from the pool sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL;``: one more round trip per transaction and per statement run outside
    one, which doubled the cost of a single pooled query (0.59 → 0.29 ms, bench by hand) and
    was a tenth of a usage batch's round trips. keyplane keeps no session state on a pooled
    connection: its advisory locks are ``pg_advisory_xact_lock``, its settings ``SET LOCAL``, it
    neither LISTENs nor declares cursors (tests/store/test_database_config.py checks the
    sources), so there is nothing to reset. A transaction left open is still rolled back on
    release (asyncpg does that before the reset statement, and still does)."""

    def get_reset_query(self) -> str:
        return ""


class DatabaseUrlError(ValueError):
    pass


def tortoise_config(settings: Settings) -> dict:
    url = settings.database_url
    scheme = urlparse(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise DatabaseUrlError(
            f"KEYPLANE_DATABASE_URL must start with sqlite:// or postgres://, got scheme {scheme!r}"
        )
    if scheme == "postgresql":
        url = "postgres" + url[len("postgresql"):]
    connection = expand_db_url(url)
    credentials = connection["credentials"]
    if scheme == "sqlite":
        # several processes may share one file: wait for the write lock instead of failing
        credentials.setdefault("busy_timeout", 10_000)
        credentials.setdefault("synchronous", "NORMAL")
    else:
        # a value given in the URL's query string (?maxsize=20) wins over the settings
        credentials.setdefault("minsize", settings.pool_min)
        credentials.setdefault("maxsize", settings.pool_max)
        # 0 behind PgBouncer in transaction mode: named prepared statements do not survive there
        credentials.setdefault("statement_cache_size", settings.statement_cache_size)
        # the server cancels a statement after statement_timeout; the client stops waiting 2 s
        # later, for when the server cannot even answer (0: no timeout on either side)
        timeout_ms = settings.statement_timeout_ms
        credentials.setdefault("command_timeout", timeout_ms / 1000 + 2 if timeout_ms > 0 else None)
        credentials.setdefault("timeout", CONNECT_TIMEOUT_S)
        credentials.setdefault("connection_class", SessionlessConnection)
        credentials.setdefault("server_settings", {
            "statement_timeout": str(settings.statement_timeout_ms),
            "application_name": "keyplane",
        })
    return {
        "connections": {"default": connection},
        "apps": {"keyplane": {"models": MODELS, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def connect(settings: Settings) -> None:
    """Connect Tortoise to the database, without touching the schema."""
    # Tortoise logs every statement with its parameters at DEBUG: those include secret hashes;
    # and at INFO "Tortoise-ORM shutdown" whenever it disconnects, which after the bootstrap at
    # start read as if the server had stopped
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    logging.getLogger("tortoise.db_client").setLevel(logging.WARNING)
    # Tortoise caches each model's INSERT statement by connection name, not by dialect: a
    # process that opens SQLite and then PostgreSQL (the tests) would send "?" to asyncpg
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def open_database(settings: Settings, now_us: int) -> None:
    """Connect, migrate to the latest schema, and load the default catalog into an empty database."""
    await connect(settings)
    try:
        await migrations.migrate(now_us)
        await catalog.seed_default(now_us)
    except BaseException:
        # close what was opened: a SQLite connection's thread would otherwise keep the process alive
        await close_database()
        raise


async def close_database() -> None:
    """Close the pool: waits for connections in use to be released (up to 10 s), then closes them."""
    await Tortoise.close_connections()
