"""The contract's "Holds, windows and request ids": usage that settles a hold counts in the window
the hold was taken in (at a rollover and after a limit change alike), and a request id whose usage
is recorded is never authorized again."""
from __future__ import annotations

import asyncio

import pytest

from tests.support.api import create_key

MODEL = "openai/gpt-4o"
HOUR = {"value": 1, "unit": "HOUR"}


async def hold(gateway, secret: str, request_id: str, estimate: str = "0.3") -> dict:
    return await gateway.authorize(key=secret, model=MODEL, estimatedCost=estimate, requestId=request_id)


async def current_period_usage(tenant, key_id: str) -> str:
    return (await tenant.gql.run("ApiKey", id=key_id))["apiKey"]["currentPeriod"]["usage"]


async def test_holds_taken_before_a_rollover_settle_in_their_own_window(acme, gateway, clock):
    created = await create_key(acme, recurringLimit={"amount": "1", "window": HOUR})
    key_id, secret = created["apiKey"]["id"], created["secret"]
    clock.advance(seconds=3590)
    assert all(a["allowed"] for a in await asyncio.gather(*(hold(gateway, secret, f"old-{i}") for i in range(3))))
    clock.advance(seconds=15)  # anchor + 3605 s: a new window
    assert all(a["allowed"] for a in await asyncio.gather(*(hold(gateway, secret, f"new-{i}") for i in range(3))))
    events = [{"keyId": key_id, "requestId": f"{when}-{i}", "cost": "0.3"} for when in ("old", "new") for i in range(3)]
    results = (await gateway.usage({"events": events}))["results"]
    assert all(r["recorded"] for r in results)
    assert await current_period_usage(acme, key_id) == "0.9"  # was 1.8 of 1
    assert (await hold(gateway, secret, "more", "0.1"))["allowed"] is True
    assert (await hold(gateway, secret, "too-much", "0.000000001"))["code"] == "PERIOD_USAGE_EXCEEDED"


async def test_usage_without_a_hold_counts_in_the_window_current_when_it_is_recorded(acme, gateway, clock):
    created = await create_key(acme, recurringLimit={"amount": "1", "window": HOUR})
    key_id = created["apiKey"]["id"]
    clock.advance(seconds=3605)
    await gateway.usage({"keyId": key_id, "requestId": "late", "cost": "0.4"})
    assert await current_period_usage(acme, key_id) == "0.4"


async def test_holds_open_when_the_recurring_limit_changes_never_fill_the_new_window(acme, gateway, clock):
    created = await create_key(acme, recurringLimit={"amount": "1", "window": HOUR})
    key_id, secret = created["apiKey"]["id"], created["secret"]
    clock.advance(minutes=10)
    for i in range(3):
        assert (await hold(gateway, secret, f"before-{i}"))["allowed"] is True
    clock.advance(seconds=1)
    payload = await acme.gql.mutate("UpdateApiKeyLimits", id=key_id,
                                    recurringLimit={"amount": "1", "window": {"value": 2, "unit": "HOUR"}})
    assert payload["errors"] == []
    answers = [await hold(gateway, secret, f"after-{i}") for i in range(4)]
    assert [a["allowed"] for a in answers] == [True, True, True, False]
    events = [{"keyId": key_id, "requestId": f"{when}-{i}", "cost": "0.3"} for when in ("before", "after") for i in range(3)]
    assert all(r["recorded"] for r in (await gateway.usage({"events": events}))["results"])
    # the old limit's requests count in the old window: the new one took only what it authorized
    assert await current_period_usage(acme, key_id) == "0.9"
    key = (await acme.gql.run("ApiKey", id=key_id))["apiKey"]
    assert key["usage"] == "1.8"  # all-time, everything counts


async def test_an_expired_hold_settles_like_usage_without_a_hold(acme, gateway, clock, settings):
    created = await create_key(acme, recurringLimit={"amount": "1", "window": HOUR})
    key_id, secret = created["apiKey"]["id"], created["secret"]
    clock.advance(minutes=50)
    assert (await hold(gateway, secret, "slow", "0.5"))["allowed"] is True
    clock.advance(seconds=settings.hold_seconds + 1)  # a new window, and the hold has expired
    await gateway.usage({"keyId": key_id, "requestId": "slow", "cost": "0.5"})
    assert await current_period_usage(acme, key_id) == "0.5"


@pytest.mark.parametrize("limits", [{"allTimeLimit": "1"}, {"recurringLimit": {"amount": "1", "window": HOUR}}, {}])
async def test_a_settled_request_id_is_refused_and_its_usage_is_not_taken_twice(acme, gateway, limits):
    created = await create_key(acme, **limits)
    key_id, secret = created["apiKey"]["id"], created["secret"]
    assert (await hold(gateway, secret, "R1", "1"))["allowed"] is True
    assert (await gateway.usage({"keyId": key_id, "requestId": "R1", "cost": "1"}))["results"][0]["recorded"] is True
    for _ in range(50):
        answer = await hold(gateway, secret, "R1", "5")
        assert (answer["allowed"], answer["code"]) == (False, "DUPLICATE_REQUEST_ID")
    # a soft check with the settled id too: the usage of a second request would never be recorded
    soft = await gateway.authorize(key=secret, model=MODEL, requestId="R1")
    assert (soft["allowed"], soft["code"]) == (False, "DUPLICATE_REQUEST_ID")
    assert (await gateway.usage({"keyId": key_id, "requestId": "R1", "cost": "5"}))["results"][0]["recorded"] is False
    assert (await acme.gql.run("ApiKey", id=key_id))["apiKey"]["usage"] == "1"


async def test_the_duplicate_check_comes_after_status_and_before_iam(acme, gateway):
    created = await create_key(acme, iamRules=[{"type": "DENY_MODELS", "values": [MODEL]}])
    key_id, secret = created["apiKey"]["id"], created["secret"]
    await gateway.usage({"keyId": key_id, "requestId": "done", "cost": "0.1"})
    assert (await gateway.authorize(key=secret, model=MODEL, requestId="new"))["code"] == "FORBIDDEN"
    assert (await gateway.authorize(key=secret, model=MODEL, requestId="done"))["code"] == "DUPLICATE_REQUEST_ID"
    assert (await hold(gateway, secret, "done"))["code"] == "DUPLICATE_REQUEST_ID"
    await acme.gql.mutate("SetApiKeyEnabled", id=key_id, enabled=False)
    assert (await gateway.authorize(key=secret, model=MODEL, requestId="done"))["code"] == "DISABLED"


async def test_a_retried_authorize_of_a_held_id_gets_the_same_answer_without_a_second_hold(acme, gateway):
    secret = (await create_key(acme, allTimeLimit="1"))["secret"]
    for _ in range(5):
        assert (await hold(gateway, secret, "same", "0.6"))["allowed"] is True
        assert (await gateway.authorize(key=secret, model=MODEL, requestId="same"))["allowed"] is True
    assert (await hold(gateway, secret, "other", "0.4"))["allowed"] is True  # 0.6 held once + 0.4 = 1
    assert (await hold(gateway, secret, "third", "0.000000001"))["code"] == "USAGE_EXCEEDED"
