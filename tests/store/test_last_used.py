"""Last use of keys, written in batches after each poll of the change feed: one statement for any
number of keys, each moved forward only (instances flush in any order)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.domain.ids import decode_as
from app.store import keystate, sql
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
