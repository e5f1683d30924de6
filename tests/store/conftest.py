"""A database of the suite's backend with no schema at all, for the migration tests: a fresh
SQLite file, or a scratch database on the suite's PostgreSQL server."""
from __future__ import annotations

import os

import pytest

from app import db
from app.settings import Settings
from tests.system import postgres


@pytest.fixture
async def empty_database_url(tmp_path):
    if os.environ.get("KEYPLANE_TEST_DATABASE_URL"):
        async with postgres.scratch_database("kp_store") as url:
            yield url
    else:
        yield f"sqlite://{tmp_path}/empty.sqlite3"


@pytest.fixture
async def connected(empty_database_url):
    """Tortoise connected to the empty database (not migrated)."""
    await db.connect(Settings(database_url=empty_database_url))
    yield empty_database_url
    await db.close_database()
