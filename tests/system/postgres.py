"""Scratch PostgreSQL databases for tests that need a database of their own (fresh schema,
or servers in other processes), on the suite's PostgreSQL server or the local default one.

When no server answers: in CI (CI=true) the test fails, so a missing PostgreSQL never
passes as green; on a developer's machine it is skipped.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

LOCAL_SERVER = "postgres://root@127.0.0.1:5432/postgres"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def server_url() -> str:
    """A database on the server to create scratch databases from: the suite's one, if it runs
    on PostgreSQL, else the local default server."""
    return os.environ.get("KEYPLANE_TEST_DATABASE_URL") or LOCAL_SERVER


def url_for(name: str) -> str:
    parts = urlsplit(server_url())
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(server_url(), timeout=5)


async def require_server() -> None:
    """Fail (in CI) or skip (elsewhere) when the PostgreSQL server does not answer."""
    try:
        conn = await _admin()
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {server_url()} is unreachable: {type(exc).__name__}: {exc}"
        if in_ci():
            pytest.fail(message + " (CI=true: PostgreSQL is required)", pytrace=False)
        pytest.skip(message)
    await conn.close()


def scoped(prefix: str) -> str:
    """Scratch names start with the suite database's name when there is one (kp_ru_1 -> kp_ru_1_kp_store_…),
    so runs of several people on one shared server never touch each other's databases."""
    suite = os.environ.get("KEYPLANE_TEST_DATABASE_URL")
    return f"{urlsplit(suite).path.lstrip('/')}_{prefix}" if suite else prefix


async def create_database(prefix: str) -> tuple[str, str]:
    """Create an empty database with a unique name; returns (name, url)."""
    await require_server()
    name = f"{scoped(prefix)}_{uuid.uuid4().hex[:12]}"
    conn = await _admin()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, url_for(name)


async def drop_database(name: str) -> None:
    conn = await _admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(prefix: str):
    """An empty database for the block (async code); yields its URL and drops it afterwards."""
    name, url = await create_database(prefix)
    try:
        yield url
    finally:
        await drop_database(name)


@contextmanager
def scratch_database_sync(prefix: str):
    """The same for synchronous fixtures (no event loop may be running in this thread)."""
    name, url = asyncio.run(create_database(prefix))
    try:
        yield url
    finally:
        asyncio.run(drop_database(name))
