"""Spend limits through the GraphQL documents, with usage reported on /v1/usage and the injected clock.

Covers: limits on createApiKey and updateApiKeyLimits (left out = unchanged, null = removed),
every bound on amounts and windows, recurring windows (rollover, skipped windows on the anchor
grid, calendar months clamped across a leap year), the reset when the recurring limit changes
(and none when the same one is sent again), and exact money.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

UTC = timezone.utc
DAY = {"value": 1, "unit": "DAY"}


def iso(*args) -> str:
    return datetime(*args, tzinfo=UTC).isoformat()


async def create_key(tenant, **fields) -> dict:
    payload = await tenant.gql.mutate("CreateApiKey", projectId=tenant.project_id, name=fields.pop("name", "k"), **fields)
    assert payload["errors"] == []
    return payload


async def read_key(tenant, key_id: str) -> dict:
    """The key as the ApiKey document shows it, without its project."""
    key = (await tenant.gql.run("ApiKey", id=key_id))["apiKey"]
    assert key is not None
    key.pop("project")
    return key


async def update_limits(tenant, key_id: str, **fields) -> dict:
    return await tenant.gql.mutate("UpdateApiKeyLimits", id=key_id, **fields)


async def spend(gateway, key_id: str, request_id: str, cost: str) -> None:
    answer = await gateway.usage({"keyId": key_id, "requestId": request_id, "cost": cost})
    assert answer == {"results": [{"requestId": request_id, "recorded": True}]}


async def key_count(tenant) -> int:
    return (await tenant.gql.run("ProjectApiKeys", projectId=tenant.project_id))["project"]["keyCount"]


# --- setting limits ------------------------------------------------------------------------


async def test_create_key_with_both_limits_shows_them_and_a_fresh_period(acme, clock):
    created = await create_key(
        acme, allTimeLimit="50", recurringLimit={"amount": "10.50", "window": {"value": 2, "unit": "WEEK"}}
    )
    key = created["apiKey"]
    assert key["limits"] == {"allTime": "50", "recurring": {"amount": "10.5", "window": {"value": 2, "unit": "WEEK"}}}
    assert key["usage"] == "0"
    assert key["currentPeriod"] == {
        "startedAt": iso(2026, 1, 31, 10), "resetsAt": iso(2026, 2, 14, 10),
        "usage": "0", "limit": "10.5", "remaining": "10.5",
    }
    assert await read_key(acme, key["id"]) == key


async def test_key_without_limits_has_no_current_period(acme):
    key = (await create_key(acme))["apiKey"]
    assert key["limits"] == {"allTime": None, "recurring": None}
    assert key["currentPeriod"] is None


@pytest.mark.parametrize("amount, shown", [
    ("0", "0"),
    ("0.000000001", "0.000000001"),
    ("1000000000", "1000000000"),
    ("999999999.999999999", "999999999.999999999"),
    ("12.500000000", "12.5"),
    (7, "7"),
    (12.5, "12.5"),  # a JSON number
])
async def test_amounts_within_bounds_are_kept_exactly(acme, amount, shown):
    key = (await create_key(acme, allTimeLimit=amount))["apiKey"]
    assert key["limits"]["allTime"] == shown


BAD_AMOUNTS = [
    ("-1", "must not be negative"),
    ("-0.000000001", "must not be negative"),
    ("NaN", "must be a decimal number"),
    ("Infinity", "must be a decimal number"),
    ("abc", "must be a decimal number"),
    ("", "must be a decimal number"),
    ("1e3", "must be a decimal number"),
    ("1,5", "must be a decimal number"),
    ("0.0000000001", "at most 9 decimal places"),
    ("1.1234567891", "at most 9 decimal places"),
    ("1000000000.000000001", "must be at most 1000000000"),
    ("1000000001", "must be at most 1000000000"),
    (True, "must be a decimal number"),
]


@pytest.mark.parametrize("amount, message", BAD_AMOUNTS)
async def test_bad_all_time_limit_on_create_is_refused_and_creates_nothing(acme, amount, message):
    payload = await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="k", allTimeLimit=amount)
    assert payload["apiKey"] is None and payload["secret"] is None
    [error] = payload["errors"]
    assert error["code"] == "VALIDATION" and error["field"] == "allTimeLimit"
    assert message in error["message"]
    assert await key_count(acme) == 0


@pytest.mark.parametrize("amount, message", BAD_AMOUNTS)
async def test_bad_recurring_amount_on_update_is_refused_and_changes_nothing(acme, gateway, amount, message):
    key = (await create_key(acme, allTimeLimit="5", recurringLimit={"amount": "1", "window": DAY}))["apiKey"]
    await spend(gateway, key["id"], "r1", "0.25")
    before = await read_key(acme, key["id"])
    payload = await update_limits(acme, key["id"], recurringLimit={"amount": amount, "window": {"value": 2, "unit": "DAY"}})
    assert payload["apiKey"] is None
    [error] = payload["errors"]
    assert error["code"] == "VALIDATION" and error["field"] == "recurringLimit.amount"
    assert message in error["message"]
    after = await read_key(acme, key["id"])
    assert after == before
    assert after["currentPeriod"]["usage"] == "0.25"


BAD_WINDOWS = [
    (0, "HOUR", "HOUR windows must be between 1 and 8760"),
    (8761, "HOUR", "HOUR windows must be between 1 and 8760"),
    (0, "DAY", "DAY windows must be between 1 and 365"),
    (366, "DAY", "DAY windows must be between 1 and 365"),
    (-1, "WEEK", "WEEK windows must be between 1 and 52"),
    (53, "WEEK", "WEEK windows must be between 1 and 52"),
    (0, "MONTH", "MONTH windows must be between 1 and 12"),
    (13, "MONTH", "MONTH windows must be between 1 and 12"),
]


@pytest.mark.parametrize("value, unit, message", BAD_WINDOWS)
async def test_windows_out_of_bounds_are_refused(acme, value, unit, message):
    window = {"value": value, "unit": unit}
    payload = await acme.gql.mutate(
        "CreateApiKey", projectId=acme.project_id, name="k", recurringLimit={"amount": "1", "window": window}
    )
    assert payload["apiKey"] is None
    assert payload["errors"] == [{"code": "VALIDATION", "field": "recurringLimit.window", "message": message}]
    assert await key_count(acme) == 0

    key = (await create_key(acme, recurringLimit={"amount": "1", "window": DAY}))["apiKey"]
    payload = await update_limits(acme, key["id"], recurringLimit={"amount": "2", "window": window})
    assert payload["errors"] == [{"code": "VALIDATION", "field": "recurringLimit.window", "message": message}]
    assert (await read_key(acme, key["id"]))["limits"]["recurring"] == {"amount": "1", "window": {"value": 1, "unit": "DAY"}}


@pytest.mark.parametrize("value, unit, resets_at", [
    (8760, "HOUR", iso(2027, 1, 31, 10)),
    (365, "DAY", iso(2027, 1, 31, 10)),
    (52, "WEEK", iso(2027, 1, 30, 10)),
    (12, "MONTH", iso(2027, 1, 31, 10)),
    (1, "HOUR", iso(2026, 1, 31, 11)),
])
async def test_longest_and_shortest_windows_are_accepted(acme, value, unit, resets_at):
    key = (await create_key(acme, recurringLimit={"amount": "1", "window": {"value": value, "unit": unit}}))["apiKey"]
    assert key["currentPeriod"]["resetsAt"] == resets_at


async def test_every_problem_of_one_input_is_reported_at_once(acme):
    payload = await acme.gql.mutate(
        "CreateApiKey", projectId=acme.project_id, name="k",
        allTimeLimit="-5", recurringLimit={"amount": "x", "window": {"value": 13, "unit": "MONTH"}},
    )
    assert sorted(e["field"] for e in payload["errors"]) == ["allTimeLimit", "recurringLimit.amount", "recurringLimit.window"]
    assert {e["code"] for e in payload["errors"]} == {"VALIDATION"}


# --- updating limits -----------------------------------------------------------------------


async def test_fields_left_out_stay_and_explicit_null_removes(acme):
    key = (await create_key(acme, allTimeLimit="50", recurringLimit={"amount": "10", "window": DAY}))["apiKey"]

    payload = await update_limits(acme, key["id"], allTimeLimit="60")
    assert payload["errors"] == []
    assert payload["apiKey"]["limits"] == {"allTime": "60", "recurring": {"amount": "10", "window": {"value": 1, "unit": "DAY"}}}

    payload = await update_limits(acme, key["id"], recurringLimit=None)
    assert payload["apiKey"]["limits"] == {"allTime": "60", "recurring": None}
    assert payload["apiKey"]["currentPeriod"] is None

    payload = await update_limits(acme, key["id"], allTimeLimit=None)
    assert payload["apiKey"]["limits"] == {"allTime": None, "recurring": None}

    payload = await update_limits(acme, key["id"])
    assert payload["errors"] == [] and payload["apiKey"]["limits"] == {"allTime": None, "recurring": None}
    assert (await read_key(acme, key["id"]))["limits"] == {"allTime": None, "recurring": None}


async def test_update_limits_on_a_foreign_key_is_not_found_and_changes_nothing(acme, rival, gateway):
    key = (await create_key(acme, allTimeLimit="5", recurringLimit={"amount": "1", "window": DAY}))["apiKey"]
    await spend(gateway, key["id"], "r1", "0.5")
    before = await read_key(acme, key["id"])

    for change in ({"allTimeLimit": "100"}, {"allTimeLimit": None}, {"recurringLimit": None},
                   {"recurringLimit": {"amount": "9", "window": {"value": 1, "unit": "HOUR"}}}):
        payload = await update_limits(rival, key["id"], **change)
        assert payload == {"apiKey": None, "errors": [{"code": "NOT_FOUND", "field": "id", "message": "API key not found"}]}
    payload = await update_limits(acme, "not-an-id", allTimeLimit="1")
    assert payload["errors"][0]["code"] == "NOT_FOUND"

    assert await read_key(acme, key["id"]) == before
    assert (await rival.gql.run("ApiKey", id=key["id"]))["apiKey"] is None


# --- recurring windows ---------------------------------------------------------------------


async def test_window_rolls_over_with_the_clock_and_all_time_usage_stays(acme, gateway, clock):
    created = await create_key(acme, recurringLimit={"amount": "1", "window": DAY})
    key_id, secret = created["apiKey"]["id"], created["secret"]
    await spend(gateway, key_id, "r1", "0.6")
    await spend(gateway, key_id, "r2", "0.4")
    refused = await gateway.authorize(key=secret, model="openai/gpt-4o")
    assert refused["code"] == "PERIOD_USAGE_EXCEEDED"

    clock.advance(hours=23, minutes=59, seconds=59)
    key = await read_key(acme, key_id)
    assert key["currentPeriod"] == {
        "startedAt": iso(2026, 1, 31, 10), "resetsAt": iso(2026, 2, 1, 10), "usage": "1", "limit": "1", "remaining": "0",
    }
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "PERIOD_USAGE_EXCEEDED"

    clock.advance(seconds=1)  # exactly at the reset
    key = await read_key(acme, key_id)
    assert key["currentPeriod"] == {
        "startedAt": iso(2026, 2, 1, 10), "resetsAt": iso(2026, 2, 2, 10), "usage": "0", "limit": "1", "remaining": "1",
    }
    assert key["usage"] == "1"
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "VALID"

    await spend(gateway, key_id, "r3", "0.25")
    key = await read_key(acme, key_id)
    assert key["currentPeriod"]["usage"] == "0.25" and key["usage"] == "1.25"


async def test_skipped_windows_stay_on_the_anchor_grid(acme, gateway, clock):
    created = await create_key(acme, recurringLimit={"amount": "1", "window": {"value": 3, "unit": "HOUR"}})
    key_id = created["apiKey"]["id"]
    await spend(gateway, key_id, "r1", "0.5")

    clock.advance(hours=10, minutes=20)  # 20:20: windows started at 13:00 and 16:00 went by unused
    key = await read_key(acme, key_id)
    assert key["currentPeriod"]["startedAt"] == iso(2026, 1, 31, 19)
    assert key["currentPeriod"]["resetsAt"] == iso(2026, 1, 31, 22)
    assert key["currentPeriod"]["usage"] == "0"

    await spend(gateway, key_id, "r2", "0.75")
    clock.advance(hours=1, minutes=39, seconds=59)  # 21:59:59, same window
    assert (await read_key(acme, key_id))["currentPeriod"]["usage"] == "0.75"

    clock.advance(days=3, seconds=1)  # 24 windows later, still on the 10:00 + 3h grid
    period = (await read_key(acme, key_id))["currentPeriod"]
    assert (period["startedAt"], period["resetsAt"], period["usage"]) == (iso(2026, 2, 3, 22), iso(2026, 2, 4, 1), "0")


async def test_month_windows_clamp_to_month_end_across_a_leap_year(acme, gateway, clock):
    clock.set(datetime(2028, 1, 31, 10, tzinfo=UTC))
    created = await create_key(acme, recurringLimit={"amount": "1", "window": {"value": 1, "unit": "MONTH"}})
    key_id = created["apiKey"]["id"]
    expected = [
        (datetime(2028, 1, 31, 10, tzinfo=UTC), iso(2028, 2, 29, 10)),  # leap year: Feb 29
        (datetime(2028, 2, 29, 10, tzinfo=UTC), iso(2028, 3, 31, 10)),  # back to the 31st, no drift
        (datetime(2028, 4, 15, tzinfo=UTC), iso(2028, 4, 30, 10)),
        (datetime(2029, 2, 28, 9, 59, 59, tzinfo=UTC), iso(2029, 2, 28, 10)),  # not a leap year: Feb 28
        (datetime(2029, 2, 28, 10, tzinfo=UTC), iso(2029, 3, 31, 10)),
    ]
    for now, resets_at in expected:
        clock.set(now)
        await spend(gateway, key_id, f"r-{now.isoformat()}", "0.1")
        period = (await read_key(acme, key_id))["currentPeriod"]
        assert period["resetsAt"] == resets_at
        assert period["usage"] == "0.1"  # each of these moments is in a new window


async def test_yearly_window_anchored_on_a_leap_day_comes_back_to_it(acme, clock):
    clock.set(datetime(2028, 2, 29, 12, tzinfo=UTC))
    key_id = (await create_key(acme, recurringLimit={"amount": "1", "window": {"value": 12, "unit": "MONTH"}}))["apiKey"]["id"]
    for now, started, resets in [
        (datetime(2029, 3, 1, tzinfo=UTC), iso(2029, 2, 28, 12), iso(2030, 2, 28, 12)),
        (datetime(2032, 2, 29, 12, tzinfo=UTC), iso(2032, 2, 29, 12), iso(2033, 2, 28, 12)),
    ]:
        clock.set(now)
        period = (await read_key(acme, key_id))["currentPeriod"]
        assert (period["startedAt"], period["resetsAt"]) == (started, resets)


async def test_a_different_recurring_limit_starts_a_new_window_with_zero_usage(acme, gateway, clock):
    created = await create_key(acme, allTimeLimit="100", recurringLimit={"amount": "1", "window": DAY})
    key_id, secret = created["apiKey"]["id"], created["secret"]
    await spend(gateway, key_id, "r1", "1")
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "PERIOD_USAGE_EXCEEDED"

    clock.advance(hours=5)
    payload = await update_limits(acme, key_id, recurringLimit={"amount": "2", "window": DAY})
    assert payload["errors"] == []
    assert payload["apiKey"]["currentPeriod"] == {
        "startedAt": iso(2026, 1, 31, 15), "resetsAt": iso(2026, 2, 1, 15), "usage": "0", "limit": "2", "remaining": "2",
    }
    assert payload["apiKey"]["usage"] == "1"  # the all-time usage never resets
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "VALID"

    await spend(gateway, key_id, "r2", "0.5")
    clock.advance(hours=1)
    payload = await update_limits(acme, key_id, recurringLimit={"amount": "2", "window": {"value": 2, "unit": "DAY"}})
    assert payload["apiKey"]["currentPeriod"] == {
        "startedAt": iso(2026, 1, 31, 16), "resetsAt": iso(2026, 2, 2, 16), "usage": "0", "limit": "2", "remaining": "2",
    }
    assert payload["apiKey"]["usage"] == "1.5"


async def test_a_new_window_starts_even_when_changed_twice_in_the_same_instant(acme, gateway):
    key_id = (await create_key(acme, recurringLimit={"amount": "1", "window": DAY}))["apiKey"]["id"]
    await spend(gateway, key_id, "r1", "0.5")  # same instant as the anchor
    payload = await update_limits(acme, key_id, recurringLimit={"amount": "3", "window": DAY})
    assert payload["apiKey"]["currentPeriod"]["usage"] == "0"


async def test_re_sending_the_same_recurring_limit_changes_nothing(acme, gateway, clock):
    key_id = (await create_key(acme, recurringLimit={"amount": "10", "window": DAY}))["apiKey"]["id"]
    await spend(gateway, key_id, "r1", "4")
    clock.advance(hours=5)
    before = await read_key(acme, key_id)
    for amount in ("10", "10.000000000", 10):
        payload = await update_limits(acme, key_id, recurringLimit={"amount": amount, "window": DAY})
        assert payload["errors"] == []
        assert payload["apiKey"]["currentPeriod"] == {
            "startedAt": iso(2026, 1, 31, 10), "resetsAt": iso(2026, 2, 1, 10), "usage": "4", "limit": "10", "remaining": "6",
        }
    assert await read_key(acme, key_id) == before
    # changing only the all-time limit does not touch the window either
    payload = await update_limits(acme, key_id, allTimeLimit="20")
    assert payload["apiKey"]["currentPeriod"]["usage"] == "4"


async def test_removing_and_setting_again_starts_a_fresh_window(acme, gateway, clock):
    key_id = (await create_key(acme, recurringLimit={"amount": "1", "window": DAY}))["apiKey"]["id"]
    await spend(gateway, key_id, "r1", "0.75")
    await update_limits(acme, key_id, recurringLimit=None)
    await spend(gateway, key_id, "r2", "0.25")
    clock.advance(minutes=30)
    payload = await update_limits(acme, key_id, recurringLimit={"amount": "1", "window": DAY})
    period = payload["apiKey"]["currentPeriod"]
    assert (period["startedAt"], period["usage"]) == (iso(2026, 1, 31, 10, 30), "0")
    assert payload["apiKey"]["usage"] == "1"


# --- money is exact ------------------------------------------------------------------------


async def test_three_tenths_make_exactly_three_tenths(acme, gateway):
    created = await create_key(acme, allTimeLimit="0.3", recurringLimit={"amount": "0.3", "window": DAY})
    key_id, secret = created["apiKey"]["id"], created["secret"]
    for request_id in ("a", "b"):
        await spend(gateway, key_id, request_id, "0.1")
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "VALID"
    await spend(gateway, key_id, "c", "0.1")
    key = await read_key(acme, key_id)
    assert key["usage"] == "0.3"
    assert key["currentPeriod"]["usage"] == "0.3" and key["currentPeriod"]["remaining"] == "0"
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "USAGE_EXCEEDED"


async def test_sums_that_floats_get_wrong_are_exact(acme, gateway):
    # in binary floating point 0.7 + 0.1 == 0.7999999999999999, which would still be under 0.8
    created = await create_key(acme, allTimeLimit="0.8")
    key_id, secret = created["apiKey"]["id"], created["secret"]
    await spend(gateway, key_id, "a", "0.7")
    await spend(gateway, key_id, "b", "0.1")
    assert (await read_key(acme, key_id))["usage"] == "0.8"
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "USAGE_EXCEEDED"


# --- enforcement follows the limits at once --------------------------------------------------


async def test_raising_or_removing_a_limit_lets_the_key_through_at_once(acme, gateway):
    created = await create_key(acme, allTimeLimit="1")
    key_id, secret = created["apiKey"]["id"], created["secret"]
    await spend(gateway, key_id, "r1", "1")
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "USAGE_EXCEEDED"
    await update_limits(acme, key_id, allTimeLimit="1.5")
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "VALID"
    await update_limits(acme, key_id, allTimeLimit="0.5")
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "USAGE_EXCEEDED"
    await update_limits(acme, key_id, allTimeLimit=None)
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "VALID"


async def test_a_zero_limit_blocks_every_request(acme, gateway):
    created = await create_key(acme, recurringLimit={"amount": "0", "window": DAY})
    answer = await gateway.authorize(key=created["secret"], model="openai/gpt-4o")
    assert answer["allowed"] is False and answer["code"] == "PERIOD_USAGE_EXCEEDED"
    await update_limits(acme, created["apiKey"]["id"], recurringLimit=None, allTimeLimit="0")
    assert (await gateway.authorize(key=created["secret"], model="openai/gpt-4o"))["code"] == "USAGE_EXCEEDED"
