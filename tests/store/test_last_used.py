"""Last use of keys, written in batches after each poll of the change feed: one statement for any
number of keys, each moved forward only (instances flush in any order)."""
from __future__ import annotations

import asyncio
import contextvars

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from tortoise.transactions import in_transaction

from app.domain.ids import decode_as
from app.store import keystate, sql
from tests.conftest import backend
from tests.support.api import create_key

BASE_US = 1_900_000_000_000_000  # 2030


@pytest.fixture
async def key_ids(acme) -> list[int]:
    """Three keys, shared by hypothesis's examples (each example starts them unused)."""
    return [decode_as("ApiKey", (await create_key(acme, name=f"k{n}"))["apiKey"]["id"]) for n in range(3)]


async def last_used(key_ids: list[int]) -> dict[int, int | None]:
    marks = ", ".join("?" for _ in key_ids)
    rows = await sql.fetch(sql.client(), f"SELECT id, last_used_at FROM api_keys WHERE id IN ({marks})", key_ids)
    return {row["id"]: row["last_used_at"] for row in rows}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flushes=st.lists(st.dictionaries(st.integers(0, 2), st.integers(1, 10_000), max_size=3), min_size=1, max_size=4))
async def test_each_key_keeps_the_newest_use_whatever_the_order_of_flushes(key_ids, flushes):
    """Any sequence of flushes, each for any subset of keys (one statement each): every key ends
    at the newest time any flush gave it, and a key no flush named is untouched."""
    await sql.execute(sql.client(), "UPDATE api_keys SET last_used_at = NULL")
    for flush in flushes:
        await keystate.record_last_used(sql.client(), {key_ids[k]: BASE_US + t for k, t in flush.items()})
    newest: dict[int, int] = {}
    for flush in flushes:
        for k, t in flush.items():
            newest[key_ids[k]] = max(newest.get(key_ids[k], 0), BASE_US + t)
    assert await last_used(key_ids) == {key_id: newest.get(key_id) for key_id in key_ids}


async def test_thousands_of_keys_are_written_in_chunks(key_ids, monkeypatch):
    ids = key_ids
    statements = []
    real = sql.execute

    async def counting(conn, statement, values=None):
        if statement.startswith("UPDATE api_keys SET last_used_at"):  # not the app's background work
            statements.append(statement)
        return await real(conn, statement, values)

    monkeypatch.setattr(sql, "execute", counting)
    # 2,500 ids, most of them of no key: three statements, and the real keys are written
    used = {key_id: 1_000_000 + key_id for key_id in range(100_000, 102_497)}
    used.update({key_id: 5_000_000 for key_id in ids})
    await keystate.record_last_used(sql.client(), used)
    assert len(statements) == 3
    assert await last_used(ids) == {key_id: 5_000_000 for key_id in ids}


@pytest.mark.skipif(backend() != "postgres", reason="SQLite has no row locks: one writer at a time")
async def test_the_flush_locks_keys_in_id_order_so_it_never_deadlocks_with_a_usage_transaction(key_ids):
    """A usage transaction locks its keys in id order and may lock more while it runs; a flush
    that took a higher key first would wait for it on a lower one, each on the other: PostgreSQL
    breaks that only after deadlock_timeout. Here the transaction holds the lowest key, the flush
    of all three starts, and the transaction then locks the highest at once (the flush holds
    nothing while it waits), commits, and the flush completes."""
    low, high = min(key_ids), max(key_ids)
    # the low key's live row version goes to the end of the table: a flush that locks in the order
    # it reads rows would take the high key first
    await sql.execute(sql.client(), "UPDATE api_keys SET name = name || '' WHERE id = ?", [low])
    pool = sql.client()
    outside = contextvars.copy_context()  # the flush's task runs outside the transaction below, on its own connection
    async with in_transaction() as usage_tx:
        await sql.fetch(usage_tx, "SELECT id FROM api_keys WHERE id = ? FOR NO KEY UPDATE", [low])
        flush = asyncio.create_task(keystate.record_last_used(pool, {k: 7_000_000 for k in key_ids}),
                                    context=outside)
        await asyncio.sleep(0.2)  # the flush is waiting for the low key
        assert not flush.done()
        await sql.execute(usage_tx, "SET LOCAL lock_timeout = '500ms'")
        await sql.fetch(usage_tx, "SELECT id FROM api_keys WHERE id = ? FOR NO KEY UPDATE", [high])
    await asyncio.wait_for(flush, 5)
    assert await last_used(key_ids) == {key_id: 7_000_000 for key_id in key_ids}
