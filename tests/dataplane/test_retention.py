"""Usage retention: the housekeeping prunes raw records past KEYPLANE_USAGE_RETENTION_DAYS in
bounded batches, and nothing a user reads as a total changes (usage, the current window, the
summary and its chart, the rollups); an event too old to be counted exactly once is refused."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.retention import prune_before, too_old_message
from app.domain.timeconv import to_micros
from app.domain.usage import parse_event
from app.services import usage as usage_service
from app.settings import Settings
from app.store import sql, usage_records
from tests.support.api import create_key

DAY_US = 86_400 * 1_000_000
YEAR = {"value": 12, "unit": "MONTH"}


async def request_ids(tenant, key_id: str) -> list[str]:
    edges = (await tenant.gql.run("ApiKeyUsage", id=key_id, first=100))["apiKey"]["usageRecords"]["edges"]
    return [edge["node"]["requestId"] for edge in edges]


async def what_users_see(tenant, key_id: str, start) -> dict:
    key = (await tenant.gql.run("ApiKeyUsage", id=key_id, **{
        "from": start.isoformat(), "to": (start + timedelta(days=200)).isoformat()}))["apiKey"]
    tables = {}
    for table, order in (("usage_rollups", "hour_start, source"), ("usage_windows", "window_start")):
        tables[table] = await sql.fetch(sql.client(), f"SELECT * FROM {table} ORDER BY {order}")
    return {"usage": key["usage"], "period": key["currentPeriod"], "summary": key["usageSummary"], **tables}


async def test_pruning_removes_old_records_and_leaves_every_total_unchanged(app, acme, gateway, clock):
    await app.state.change_feed.stop()  # the housekeeping runs when this test says, not after a poll
    start = clock.now().replace(hour=0)
    key_id = (await create_key(acme, recurringLimit={"amount": "1000", "window": YEAR}))["apiKey"]["id"]
    day = 0
    for target, source in ((0, "CREDITS"), (30, "PROVIDER_KEY"), (60, "CREDITS"), (89, "CREDITS"), (110, "PROVIDER_KEY")):
        clock.advance(days=target - day)
        day = target
        await gateway.usage({"keyId": key_id, "requestId": f"day-{day}", "cost": f"1.{day:03d}", "source": source})
    clock.advance(days=125 - day)  # the records of days 0 and 30 are now past the 90 days
    before = await what_users_see(acme, key_id, start)

    await app.state.housekeeping()

    assert await request_ids(acme, key_id) == ["day-110", "day-89", "day-60"]
    assert await what_users_see(acme, key_id, start) == before
    assert before["usage"] == "5.289" and before["period"]["usage"] == "5.289"
    assert before["summary"]["requests"] == 5
    assert [d["day"] for d in before["summary"]["byDay"] if d["requests"]] == [
        (start + timedelta(days=n)).date().isoformat() for n in (0, 30, 60, 89, 110)]


async def test_a_backlog_is_pruned_in_bounded_batches_oldest_first(app, acme, gateway, clock):
    await app.state.change_feed.stop()  # the housekeeping runs when this test says, not after a poll
    key_id = (await create_key(acme))["apiKey"]["id"]
    await gateway.usage({"events": [{"keyId": key_id, "requestId": f"r{i:02}", "cost": "0.1"} for i in range(25)]})
    clock.advance(days=91)
    await gateway.usage({"keyId": key_id, "requestId": "recent", "cost": "0.1"})
    cutoff = to_micros(clock.now()) - 90 * DAY_US
    assert await usage_records.prune(sql.client(), cutoff, batch=4, max_batches=3) == 12
    assert len(await request_ids(acme, key_id)) == 14
    assert await usage_records.prune(sql.client(), cutoff, batch=4, max_batches=10) == 13
    assert await request_ids(acme, key_id) == ["recent"]
    assert (await acme.gql.run("ApiKeyUsage", id=key_id))["apiKey"]["usage"] == "2.6"


async def test_a_retried_request_id_older_than_the_retention_is_refused_not_counted_twice(app, acme, gateway, clock):
    await app.state.change_feed.stop()  # the housekeeping runs when this test says, not after a poll
    key_id = (await create_key(acme))["apiKey"]["id"]
    first_seen = clock.now()
    event = {"keyId": key_id, "requestId": "req-1", "cost": "2", "occurredAt": first_seen.isoformat()}
    assert (await gateway.usage(event))["results"] == [{"requestId": "req-1", "recorded": True}]
    clock.advance(days=100)
    await app.state.housekeeping()
    assert await request_ids(acme, key_id) == []  # its record is gone: the id alone cannot be recognized

    [result] = (await gateway.usage(event))["results"]
    assert result["recorded"] is False and result["error"]["code"] == "VALIDATION"
    assert "too old" in result["error"]["message"]
    assert (await acme.gql.run("ApiKeyUsage", id=key_id))["apiKey"]["usage"] == "2"


async def test_events_older_than_the_retention_less_a_day_are_refused_and_younger_ones_recorded(acme, gateway, clock):
    key_id = (await create_key(acme))["apiKey"]["id"]
    clock.advance(days=95)
    now = clock.now()
    results = (await gateway.usage({"events": [
        {"keyId": key_id, "requestId": "89.5-days", "cost": "1", "occurredAt": (now - timedelta(days=89.5)).isoformat()},
        {"keyId": key_id, "requestId": "88-days", "cost": "1", "occurredAt": (now - timedelta(days=88)).isoformat()},
        {"keyId": key_id, "requestId": "undated", "cost": "1"},
    ]}))["results"]
    assert [r["recorded"] for r in results] == [False, True, True]
    assert results[0]["error"]["code"] == "VALIDATION"
    assert await request_ids(acme, key_id) == ["undated", "88-days"]


def test_retention_comes_from_the_environment():
    assert Settings.from_env({}).usage_retention_days == 90
    assert Settings.from_env({"KEYPLANE_USAGE_RETENTION_DAYS": "30"}).usage_retention_days == 30
    assert Settings.from_env({"KEYPLANE_USAGE_RETENTION_DAYS": "0"}).usage_retention_days == 0
    with pytest.raises(SystemExit, match="at least 2 days"):
        Settings.from_env({"KEYPLANE_USAGE_RETENTION_DAYS": "1"})


async def test_with_retention_off_old_events_are_recorded(acme, clock):
    key_id = (await create_key(acme))["apiKey"]["id"]
    clock.advance(days=400)
    event = parse_event({"keyId": key_id, "requestId": "old", "cost": "1",
                         "occurredAt": (clock.now() - timedelta(days=399)).isoformat()})
    assert await usage_service.record_events(clock, [event], retention_days=0) == [
        usage_service.EventResult("old", True)]
    assert await usage_service.record_events(clock, [event], retention_days=90) == [
        usage_service.EventResult("old", False, "VALIDATION", too_old_message(90))]
    assert prune_before(to_micros(clock.now()), 0) is None
