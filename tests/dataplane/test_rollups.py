"""Hourly rollups: after any mix of events (keys, sources, hours, retries, refusals) they equal the
sums of the usage records, also with concurrent writers; the summary and the chart read them."""
from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from app.domain.ids import decode_as
from app.domain.rollups import HOUR_US
from app.domain.timeconv import from_micros, to_micros
from app.store import sql
from tests.conftest import make_tenant
from tests.support.api import create_key

_TENANTS = itertools.count()
DAY_US = 24 * HOUR_US


async def rollups_of(key_pks: list[int]) -> dict[tuple, tuple[int, int]]:
    rows = await sql.fetch(sql.client(), "SELECT key_id, hour_start, source, amount, requests FROM usage_rollups"
                                         f" WHERE key_id IN ({', '.join('?' for _ in key_pks)})", key_pks)
    return {(r["key_id"], r["hour_start"], r["source"]): (int(r["amount"]), int(r["requests"])) for r in rows}


async def sums_of_records(key_pks: list[int]) -> dict[tuple, tuple[int, int]]:
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in await sql.fetch(sql.client(), "SELECT key_id, occurred_at, source, cost FROM usage_records"
                                           f" WHERE key_id IN ({', '.join('?' for _ in key_pks)})", key_pks):
        entry = sums[(r["key_id"], r["occurred_at"] // HOUR_US * HOUR_US, r["source"])]
        entry[0] += r["cost"]
        entry[1] += 1
    return {slot: (a, c) for slot, (a, c) in sums.items()}


def nanos(text: str) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole) * 10**9 + int((fraction + "0" * 9)[:9])


events = st.lists(st.tuples(
    st.integers(0, 2),                                   # which key
    st.sampled_from(["a", "b", "c", "d", "e", "f"]),     # request id: repeats are retries
    st.integers(0, 3 * DAY_US),                          # occurredAt: how long after the key was created
    st.sampled_from(["CREDITS", "PROVIDER_KEY"]),
    st.integers(0, 5 * 10**9),                           # cost in nanos
    st.booleans(),                                       # send occurredAt, or let it be "now"
), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=events, split=st.integers(1, 30))
async def test_rollups_equal_the_sums_of_the_records_and_the_summary_reads_them(http, clock, gateway, batch, split):
    tenant = await make_tenant(http, clock, f"rollups{next(_TENANTS)}")
    created = to_micros(clock.now())
    keys = [(await create_key(tenant))["apiKey"]["id"] for _ in range(3)]
    clock.advance(days=3, minutes=1)
    payload = [{"keyId": keys[k], "requestId": rid, "cost": f"{cost // 10**9}.{cost % 10**9:09d}", "source": source,
                **({"occurredAt": from_micros(created + offset).isoformat()} if dated else {})}
               for k, rid, offset, source, cost, dated in batch]
    for start in range(0, len(payload), split):
        answer = await gateway.usage({"events": payload[start:start + split]})
        assert all("error" not in result for result in answer["results"])
    pks = [decode_as("ApiKey", key) for key in keys]
    assert await rollups_of(pks) == await sums_of_records(pks)

    records = await sums_of_records(pks)
    for key, pk in zip(keys, pks):
        summary = (await tenant.gql.run("ApiKeyUsage", id=key, **{
            "from": from_micros(created // DAY_US * DAY_US).isoformat(),
            "to": from_micros(to_micros(clock.now()) // DAY_US * DAY_US + DAY_US).isoformat()}))["apiKey"]["usageSummary"]
        mine = {slot: v for slot, v in records.items() if slot[0] == pk}
        assert nanos(summary["total"]) == sum(a for a, _ in mine.values())
        assert summary["requests"] == sum(c for _, c in mine.values())
        per_day: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for (_, hour, _), (a, c) in mine.items():
            per_day[hour // DAY_US][0] += a
            per_day[hour // DAY_US][1] += c
        assert {day["day"]: (nanos(day["amount"]), day["requests"]) for day in summary["byDay"] if day["requests"]} == {
            from_micros(day * DAY_US).date().isoformat(): tuple(v) for day, v in per_day.items()}


async def test_concurrent_writers_lose_nothing_in_the_rollups(acme, gateway, clock):
    keys = [(await create_key(acme))["apiKey"]["id"] for _ in range(2)]
    clock.advance(hours=5)
    hour0 = to_micros(clock.now()) - 5 * HOUR_US

    async def send(writer: int) -> None:
        await gateway.usage({"events": [
            {"keyId": keys[(writer + i) % 2], "requestId": f"r{(writer * 7 + i) % 40}", "cost": "0.000000003",
             "source": ("CREDITS", "PROVIDER_KEY")[i % 2], "occurredAt": from_micros(hour0 + (i % 5) * HOUR_US + 1).isoformat()}
            for i in range(25)]})

    await asyncio.gather(*(send(w) for w in range(8)))
    pks = [decode_as("ApiKey", k) for k in keys]
    rollups = await rollups_of(pks)
    assert rollups == await sums_of_records(pks)
    total = sum(a for a, _ in rollups.values())
    usage = 0
    for key in keys:
        usage += nanos((await acme.gql.run("ApiKeyUsage", id=key))["apiKey"]["usage"])
    assert total == usage == 3 * sum(c for _, c in rollups.values())


async def test_a_range_off_the_hour_is_widened_to_the_hours_it_overlaps(acme, gateway, clock):
    key = (await create_key(acme))["apiKey"]["id"]
    clock.advance(hours=3)  # 13:00
    await gateway.usage({"events": [
        {"keyId": key, "requestId": "at-10:05", "cost": "1", "occurredAt": "2026-01-31T10:05:00Z"},
        {"keyId": key, "requestId": "at-11:55", "cost": "2", "occurredAt": "2026-01-31T11:55:00Z"},
        {"keyId": key, "requestId": "at-12:00", "cost": "4", "occurredAt": "2026-01-31T12:00:00Z"},
    ]})
    summary = (await acme.gql.run("ApiKeyUsage", id=key, **{"from": "2026-01-31T10:30:00Z", "to": "2026-01-31T11:10:00Z"}))[
        "apiKey"]["usageSummary"]
    assert (summary["from"], summary["to"]) == ("2026-01-31T10:00:00+00:00", "2026-01-31T12:00:00+00:00")
    assert (summary["total"], summary["requests"]) == ("3", 2)
    assert summary["byDay"] == [{"day": "2026-01-31", "amount": "3", "requests": 2}]
