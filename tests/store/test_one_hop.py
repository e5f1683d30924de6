"""changes.write_at_once: the data plane's transactions commit whole or not at all, and on SQLite
each is one hop to aiosqlite's thread however many statements it runs."""
from __future__ import annotations

import asyncio

import pytest

from app import db
from app.domain.timeconv import to_micros
from app.settings import Settings
from app.store import changes, sql


@pytest.fixture
async def sqlite_database(tmp_path, clock):
    """SQLite whatever the suite's backend: the one-hop path exists only there."""
    await db.open_database(Settings(database_url=f"sqlite://{tmp_path}/one_hop.sqlite3"), to_micros(clock.now()))
    yield
    await db.close_database()


async def _changes_count() -> int:
    return (await sql.fetch_one(sql.client(), "SELECT COUNT(*) AS n FROM changes"))["n"]


async def _three_statements(tx) -> str:
    for ref in (1, 2, 3):
        await sql.execute(tx, "INSERT INTO changes (kind, ref_id, at) VALUES (?, ?, ?)", ["test", ref, ref])
    return "done"


async def test_a_body_commits_whole_and_applies_its_callbacks_after(database):
    applied = []
    before = await _changes_count()

    async def body(tx):
        changes.after_commit(tx, lambda: applied.append("after commit"))
        return await _three_statements(tx)

    assert await changes.write_at_once(body) == "done"
    assert await _changes_count() == before + 3 and applied == ["after commit"]


async def test_a_body_that_fails_leaves_nothing_and_runs_no_callback(database):
    applied = []
    before = await _changes_count()

    async def body(tx):
        changes.after_commit(tx, lambda: applied.append("after commit"))
        await _three_statements(tx)
        raise ValueError("refused half-way")

    with pytest.raises(ValueError):
        await changes.write_at_once(body)
    assert await _changes_count() == before and applied == []


async def test_on_sqlite_a_transaction_is_one_hop_to_the_database_thread(sqlite_database, monkeypatch):
    connection = sql.client()._connection
    hops = []
    original = connection._execute

    async def counted(fn, *args, **kwargs):
        hops.append(fn)
        return await original(fn, *args, **kwargs)

    monkeypatch.setattr(connection, "_execute", counted)
    assert await changes.write_at_once(_three_statements) == "done"
    assert len(hops) == 1


async def test_on_sqlite_a_body_that_awaits_anything_else_is_refused_and_rolled_back(sqlite_database):
    before = await _changes_count()

    async def suspends(tx):
        await _three_statements(tx)
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="awaited something other than its own statements"):
        await changes.write_at_once(suspends)
    assert await _changes_count() == before
