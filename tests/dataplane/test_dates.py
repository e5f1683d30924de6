"""Dates from clients: ``occurredAt`` must lie between 5 minutes before the key was created and 5
minutes after now (else that event fails with VALIDATION), and no DateTime input outside what UTC
can represent is ever stored or breaks a later read."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.domain.timeconv import MAX_MICROS, MIN_MICROS, OutOfRange, checked_micros, from_micros, to_micros
from tests.conftest import make_tenant
from tests.support.api import create_key

_TENANTS = itertools.count()
SLACK = timedelta(minutes=5)
offsets = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)).map(
    lambda d: timezone(timedelta(minutes=round(d.total_seconds() / 60))))


@given(moment=st.datetimes(), tz=offsets)
def test_checked_micros_accepts_exactly_what_utc_can_represent(moment, tz):
    aware = moment.replace(tzinfo=tz)
    try:
        utc = aware.astimezone(timezone.utc)
    except OverflowError:
        utc = None
    if utc is None or not datetime.min.replace(tzinfo=timezone.utc) <= utc:
        with pytest.raises(OutOfRange):
            checked_micros(aware)
        return
    micros = checked_micros(aware)
    assert MIN_MICROS <= micros <= MAX_MICROS and from_micros(micros) == aware


def test_checked_micros_refuses_the_reported_extremes():
    for text in ("9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+00:01"):
        with pytest.raises(OutOfRange):
            checked_micros(datetime.fromisoformat(text))


async def test_an_unrepresentable_occurred_at_fails_that_event_and_the_key_stays_readable(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    results = (await gateway.usage({"events": [
        {"keyId": key_id, "requestId": "far", "cost": "1", "occurredAt": "9999-12-31T23:59:59-01:00"},
        {"keyId": key_id, "requestId": "now", "cost": "2"},
    ]}))["results"]
    assert results[0]["recorded"] is False and results[0]["error"]["code"] == "VALIDATION"
    assert results[1]["recorded"] is True
    data = await acme.gql.run("ApiKeyUsage", id=key_id)
    assert [e["node"]["requestId"] for e in data["apiKey"]["usageRecords"]["edges"]] == ["now"]
    assert data["apiKey"]["usage"] == "2"


@pytest.mark.parametrize("arguments", [{"to": "9999-12-31T23:59:59-23:59"}, {"from": "0001-01-01T00:00:00+23:59"},
                                       {"to": "0001-01-02T00:00:00Z"}])
async def test_usage_summary_out_of_range_is_a_typed_error(acme, arguments):
    key_id = (await create_key(acme))["apiKey"]["id"]
    response = await acme.gql.raw(
        "query($id: ID!, $from: DateTime, $to: DateTime) { apiKey(id: $id) { usageSummary(from: $from, to: $to) { total } } }",
        {"id": key_id, **arguments})
    body = response.json()
    assert response.status_code == 200
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert "9999-12-31" in body["errors"][0]["message"]


near = st.timedeltas(min_value=-2 * SLACK, max_value=2 * SLACK)
far = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(st.tuples(st.one_of(near, far), offsets), min_size=1, max_size=8),
       age=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
async def test_occurred_at_is_recorded_only_within_the_keys_life_give_or_take_five_minutes(http, clock, gateway, cases, age):
    tenant = await make_tenant(http, clock, f"dates{next(_TENANTS)}")
    created_at = clock.now()
    key_id = (await create_key(tenant))["apiKey"]["id"]
    clock.advance(seconds=age.total_seconds())
    now = clock.now()
    events, expected = [], []
    for index, (when, tz) in enumerate(cases):
        # near: around the creation or around now (alternately); far: any representable local time
        moment = ((created_at if index % 2 else now) + when) if isinstance(when, timedelta) else when.replace(tzinfo=tz)
        moment = moment.astimezone(tz) if moment.tzinfo is not None and moment.year not in (1, 9999) else moment
        events.append({"keyId": key_id, "requestId": f"r{index}", "cost": "0.1", "occurredAt": moment.isoformat()})
        try:
            micros = to_micros(moment)
        except OverflowError:
            micros = None
        expected.append(micros is not None and to_micros(created_at - SLACK) <= micros <= to_micros(now + SLACK))
    response = await gateway.post("/v1/usage", {"events": events})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["recorded"] for r in results] == expected
    assert all(r["error"]["code"] == "VALIDATION" for r, ok in zip(results, expected) if not ok)
    data = await tenant.gql.run("ApiKeyUsage", id=key_id, first=100)
    assert len(data["apiKey"]["usageRecords"]["edges"]) == sum(expected)
    clock.set(created_at)
