"""PostgreSQL's monthly partitions of usage_records: records land in their month, a request id
counts once across months, the housekeeping creates months ahead and drops whole months past
the retention (totals unchanged), and an unpartitioned table migrates with its rows and ids."""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from app.domain import partitions as months
from app.domain.ids import decode_as, encode
from app.domain.timeconv import to_micros
from app.server import create_app
from app.settings import Settings
from app.store import migrations, partitions, sql
from tests.conftest import backend
from tests.store.test_migrations import fill_version_1
from tests.support.api import create_key
from tests.support.clock import FakeClock

pytestmark = pytest.mark.skipif(backend() != "postgres", reason="SQLite keeps one table: partitions are PostgreSQL's")
DAY_US = 86_400 * 1_000_000


async def partition_of(record_request_id: str) -> str:
    row = await sql.fetch_one(sql.client(), "SELECT tableoid::regclass::text AS part FROM usage_records WHERE request_id = ?",
                              [record_request_id])
    return row["part"]


async def test_records_land_in_their_month_and_a_request_id_counts_once_across_months(app, acme, gateway, clock):
    await app.state.change_feed.stop()
    key_id = (await create_key(acme))["apiKey"]["id"]
    clock.advance(days=70)  # Apr 11
    first = clock.now() - timedelta(days=60)
    event = {"keyId": key_id, "requestId": "twice", "cost": "1.5", "occurredAt": first.isoformat()}
    assert (await gateway.usage(event))["results"] == [{"requestId": "twice", "recorded": True}]
    # the same id dated in another month (another partition): still the same request
    retry = {**event, "occurredAt": clock.now().isoformat(), "cost": "9"}
    assert (await gateway.usage(retry))["results"] == [{"requestId": "twice", "recorded": False}]
    await gateway.usage({"keyId": key_id, "requestId": "now", "cost": "1"})
    assert await partition_of("now") == months.name_of(months.month_start(to_micros(clock.now())))
    assert await partition_of("twice") != await partition_of("now")
    assert (await acme.gql.run("ApiKeyUsage", id=key_id))["apiKey"]["usage"] == "2.5"


async def test_housekeeping_creates_months_ahead_and_drops_whole_months_past_the_retention(app, acme, gateway, clock):
    await app.state.change_feed.stop()
    key_id = (await create_key(acme))["apiKey"]["id"]
    for _ in range(5):  # one record a month, Jan 31 to Jun 30
        await gateway.usage({"keyId": key_id, "requestId": f"at-{clock.now().date()}", "cost": "1"})
        clock.advance(days=30)
    clock.advance(days=120)  # Oct 28: the 90-day cutoff is Jul 30
    before = (await acme.gql.run("ApiKeyUsage", id=key_id, **{
        "from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}))["apiKey"]
    await app.state.housekeeping()

    now_us = to_micros(clock.now())
    cutoff = now_us - 90 * DAY_US
    found = await partitions.bounds(sql.client())
    assert all(end > cutoff for _, _, end in found)  # nothing older is left: whole months went
    assert any(low is not None and low <= now_us < end for _, low, end in found)
    ahead = months.next_month(months.next_month(now_us))
    assert any(low is not None and low <= ahead < end for _, low, end in found)  # two months ahead exist
    assert (await sql.fetch_one(sql.client(), "SELECT COUNT(*) AS n FROM usage_records WHERE occurred_at < ?",
                                [cutoff]))["n"] == 0
    assert (await sql.fetch_one(sql.client(), "SELECT COUNT(*) AS n FROM usage_request_ids WHERE occurred_at < ?",
                                [cutoff]))["n"] == 0
    after = (await acme.gql.run("ApiKeyUsage", id=key_id, **{
        "from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}))["apiKey"]
    assert after["usageRecords"]["edges"] == []
    assert {k: after[k] for k in ("usage", "usageSummary")} == {k: before[k] for k in ("usage", "usageSummary")}
    assert after["usage"] == "5" and after["usageSummary"]["requests"] == 5


async def test_an_unpartitioned_table_migrates_with_its_records_and_request_ids(connected):
    clock = FakeClock()
    now_us = to_micros(clock.now())
    await migrations.migrate(now_us, target=7)
    filled = await fill_version_1(now_us)
    old_ids = [r["id"] for r in await sql.fetch(sql.client(), "SELECT id FROM usage_records ORDER BY id")]
    assert 8 in await migrations.migrate(now_us)

    found = await partitions.bounds(sql.client())
    assert [(name, low) for name, low, _ in found] == [("usage_records_legacy", None)]
    assert found[0][2] == months.next_month(now_us + DAY_US)
    assert [r["id"] for r in await sql.fetch(sql.client(), "SELECT id FROM usage_records ORDER BY id")] == old_ids
    assert (await sql.fetch_one(sql.client(), "SELECT COUNT(*) AS n FROM usage_request_ids"))["n"] == len(old_ids)

    app = create_app(Settings(database_url=connected, poll_interval_ms=50), clock, manage_database=False)
    gateway = {"Authorization": f"Bearer {filled['secret']['gateway']}"}
    key = encode("ApiKey", filled["key_ids"]["limited"])
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://keyplane.test") as http:
        old = await http.post("/v1/usage", headers=gateway, json={"keyId": key, "requestId": "old-1", "cost": "5"})
        assert old.json() == {"results": [{"requestId": "old-1", "recorded": False}]}  # recorded before the migration
        new = await http.post("/v1/usage", headers=gateway, json={"keyId": key, "requestId": "new-1", "cost": "0.5"})
        assert new.json() == {"results": [{"requestId": "new-1", "recorded": True}]}
        clock.advance(days=45)  # past the legacy partition's end: a month of its own, made on demand
        later = await http.post("/v1/usage", headers=gateway, json={"keyId": key, "requestId": "new-2", "cost": "0.5"})
        assert later.json() == {"results": [{"requestId": "new-2", "recorded": True}]}
    rows = await sql.fetch(sql.client(), "SELECT id, request_id, tableoid::regclass::text AS part FROM usage_records"
                                         " WHERE key_id = ? ORDER BY id", [decode_as("ApiKey", key)])
    assert [r["request_id"] for r in rows] == ["old-1", "old-2", "new-1", "new-2"]
    assert rows[2]["id"] > max(old_ids) and rows[3]["part"] != "usage_records_legacy"
