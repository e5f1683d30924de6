"""The contract: an event that would take a key's all-time usage past 9,000,000,000 fails with
LIMIT_OVERFLOW, for that event only; nothing else changes and never a 5xx. And no path can store
an amount that is not an integer within range (a CHECK on PostgreSQL, triggers on SQLite)."""
from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.domain.ids import decode_as
from app.domain.timeconv import to_micros
from app.store import partitions, sql
from tests.conftest import make_tenant
from tests.support.api import create_key
from tests.support.clock import FakeClock

CEILING = Decimal(9_000_000_000)
BILLION = "1000000000"
_TENANTS = itertools.count()
NOW_US = to_micros(FakeClock().now())  # a record dated when the tests' clock starts


async def usage_of(tenant, key_id: str) -> str:
    return (await tenant.gql.run("ApiKey", id=key_id))["apiKey"]["usage"]


@pytest.mark.parametrize("as_batch", [True, False])
async def test_ten_events_of_a_billion_fill_the_key_to_the_ceiling_and_the_tenth_overflows(acme, gateway, as_batch):
    key_id = (await create_key(acme))["apiKey"]["id"]
    events = [{"keyId": key_id, "requestId": f"r{i}", "cost": BILLION} for i in range(10)]
    if as_batch:
        response = await gateway.post("/v1/usage", {"events": events})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
    else:
        results = []
        for event in events:
            response = await gateway.post("/v1/usage", event)
            assert response.status_code == 200, response.text
            results += response.json()["results"]
    assert [r["recorded"] for r in results] == [True] * 9 + [False]
    assert results[9]["error"]["code"] == "LIMIT_OVERFLOW"
    assert await usage_of(acme, key_id) == "9000000000"
    records = (await acme.gql.run("ApiKeyUsage", id=key_id))
    assert records  # the key and its usage stay readable
    # a cost that still fits is recorded after the refusal: only the overflowing event failed
    assert (await gateway.usage({"keyId": key_id, "requestId": "zero", "cost": "0"}))["results"][0]["recorded"] is True


costs = st.one_of(
    st.sampled_from(["0", "0.000000001", "1", "999999999.999999999", BILLION]),
    st.decimals(min_value=0, max_value=10**9, places=9, allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f")),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(costs, min_size=1, max_size=12), min_size=1, max_size=4))
async def test_any_costs_in_any_batches_stop_exactly_at_the_ceiling(http, clock, gateway, batches):
    tenant = await make_tenant(http, clock, f"overflow{next(_TENANTS)}", "free", 1)
    key_id = (await create_key(tenant))["apiKey"]["id"]
    expected, serial = Decimal(0), 0
    for batch in batches:
        events = []
        for cost in batch:
            serial += 1
            events.append({"keyId": key_id, "requestId": f"r{serial}", "cost": cost})
        response = await gateway.post("/v1/usage", {"events": events})
        assert response.status_code == 200, response.text
        for cost, result in zip(batch, response.json()["results"]):
            fits = expected + Decimal(cost) <= CEILING
            assert result["recorded"] is fits, (cost, expected, result)
            if fits:
                expected += Decimal(cost)
            else:
                assert result["error"]["code"] == "LIMIT_OVERFLOW"
    assert Decimal(await usage_of(tenant, key_id)) == expected


@pytest.mark.parametrize("statement", [
    "UPDATE api_keys SET usage = usage + 9000000000000000000 WHERE id = ?",
    "UPDATE api_keys SET usage = -1 WHERE id = ?",
    "UPDATE api_keys SET all_time_limit = 9000000000000000001 WHERE id = ?",
    "INSERT INTO holds (key_id, request_id, amount, window_start, expires_at) VALUES (?, 'h', -5, NULL, 0)",
    "INSERT INTO usage_records (key_id, request_id, occurred_at, recorded_at, cost, source)"
    f" VALUES (?, 'u', {NOW_US}, {NOW_US}, 9000000000000000001, 'CREDITS')",
])
async def test_the_database_refuses_amounts_that_are_not_integers_in_range(acme, statement):
    await partitions.cover(NOW_US, NOW_US)  # PostgreSQL: the month has a partition, so only the amount is wrong
    key_id = decode_as("ApiKey", (await create_key(acme))["apiKey"]["id"])
    await sql.execute(sql.client(), "UPDATE api_keys SET usage = 1 WHERE id = ?", [key_id])
    with pytest.raises(Exception) as raised:
        await sql.execute(sql.client(), statement, [key_id])
    assert "range" in str(raised.value).lower() or "check" in str(raised.value).lower()
    row = await sql.fetch_one(sql.client(), "SELECT usage, all_time_limit FROM api_keys WHERE id = ?", [key_id])
    assert (row["usage"], row["all_time_limit"]) == (1, None)


@pytest.mark.parametrize("statement, read", [
    ("UPDATE api_keys SET usage = 1.5 WHERE id = ?", "SELECT usage AS amount FROM api_keys WHERE id = ?"),
    ("INSERT INTO usage_windows (key_id, window_start, usage) VALUES (?, 0, 0.5)",
     "SELECT usage AS amount FROM usage_windows WHERE key_id = ?"),
])
async def test_no_amount_is_ever_stored_as_anything_but_an_integer(acme, statement, read):
    """SQLite refuses the write (its columns would take a REAL); PostgreSQL's BIGINT casts it to an integer."""
    key_id = decode_as("ApiKey", (await create_key(acme))["apiKey"]["id"])
    try:
        await sql.execute(sql.client(), statement, [key_id])
    except Exception as exc:
        assert "range" in str(exc).lower()
    for row in await sql.fetch(sql.client(), read, [key_id]):
        assert type(row["amount"]) is int
