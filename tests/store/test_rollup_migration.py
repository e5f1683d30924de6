"""Migration 7 fills the hourly rollups from the usage records an older database already holds,
so the summary of an upgraded database shows its whole history."""
from __future__ import annotations

from app.domain.rollups import HOUR_US
from app.domain.timeconv import to_micros
from app.store import migrations, sql
from tests.store.test_migrations import fill_version_1
from tests.support.clock import FakeClock


async def rollup_rows() -> list[tuple]:
    rows = await sql.fetch(sql.client(), "SELECT key_id, hour_start, source, amount, requests FROM usage_rollups"
                                         " ORDER BY key_id, hour_start, source")
    return [(r["key_id"], r["hour_start"], r["source"], r["amount"], r["requests"]) for r in rows]


async def record_sums() -> list[tuple]:
    sums: dict[tuple, list[int]] = {}
    for r in await sql.fetch(sql.client(), "SELECT key_id, occurred_at, source, cost FROM usage_records"):
        entry = sums.setdefault((r["key_id"], r["occurred_at"] // HOUR_US * HOUR_US, r["source"]), [0, 0])
        entry[0] += r["cost"]
        entry[1] += 1
    return sorted((*slot, amount, count) for slot, (amount, count) in sums.items())


async def test_the_rollups_of_an_upgraded_database_are_the_sums_of_its_records(connected):
    now_us = to_micros(FakeClock().now())
    await migrations.migrate(now_us, target=5)
    await fill_version_1(now_us)
    # two records in one hour and source, one a microsecond before the next hour
    key_id = (await sql.fetch_one(sql.client(), "SELECT id FROM api_keys WHERE name = 'limited'"))["id"]
    hour = now_us // HOUR_US * HOUR_US - 10 * HOUR_US
    for request_id, occurred, cost in (("h-1", hour, 7), ("h-2", hour + HOUR_US - 1, 11), ("h-3", hour + HOUR_US, 13)):
        await sql.execute(sql.client(), "INSERT INTO usage_records (key_id, request_id, occurred_at, recorded_at, model,"
                          " provider, cost, source) VALUES (?, ?, ?, ?, NULL, NULL, ?, 'CREDITS')",
                          [key_id, request_id, occurred, occurred, cost])

    assert 7 in await migrations.migrate(now_us)
    rows = await rollup_rows()
    assert rows == await record_sums()
    assert (key_id, hour, "CREDITS", 18, 2) in rows and (key_id, hour + HOUR_US, "CREDITS", 13, 1) in rows
    assert len(rows) == 5
