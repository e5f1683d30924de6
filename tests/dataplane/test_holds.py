"""Holds: /v1/authorize with estimatedCost and requestId reserves the estimate until the usage of
that request arrives (which replaces it) or the hold expires (KEYPLANE_HOLD_SECONDS, 600 s by
default). Concurrency is real: many asyncio tasks against the in-process app."""
from __future__ import annotations

import asyncio

import pytest

from tests.support.api import create_key

MODEL = "openai/gpt-4o"
DAY = {"value": 1, "unit": "DAY"}


async def hold(gateway, secret: str, request_id: str, estimate: str = "0.3") -> dict:
    return await gateway.authorize(key=secret, model=MODEL, estimatedCost=estimate, requestId=request_id)


@pytest.mark.parametrize("limits, refusal", [
    ({"allTimeLimit": "1"}, "USAGE_EXCEEDED"),
    ({"recurringLimit": {"amount": "1", "window": DAY}}, "PERIOD_USAGE_EXCEEDED"),
])
async def test_concurrent_holds_never_over_allocate_a_limit(acme, gateway, limits, refusal):
    secret = (await create_key(acme, **limits))["secret"]
    answers = await asyncio.gather(*(hold(gateway, secret, f"req-{i}") for i in range(12)))
    allowed = [a for a in answers if a["allowed"]]
    assert len(allowed) == 3  # 3 x 0.3 = 0.9 fits in 1; a fourth would make 1.2
    assert {a["code"] for a in answers if not a["allowed"]} == {refusal}
    # the held budget also refuses a soft check (no estimate) once nothing more fits
    assert (await hold(gateway, secret, "req-more", "0.1"))["allowed"] is True
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == refusal


async def test_usage_replaces_the_hold_by_the_real_cost(acme, gateway):
    created = await create_key(acme, allTimeLimit="1")
    key_id, secret = created["apiKey"]["id"], created["secret"]
    for request_id in ("a", "b", "c"):
        assert (await hold(gateway, secret, request_id))["allowed"] is True
    assert (await hold(gateway, secret, "d"))["code"] == "USAGE_EXCEEDED"  # 0.9 held

    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "0.05"})  # 0.05 used + 0.6 held
    assert (await hold(gateway, secret, "d"))["allowed"] is True              # + 0.3 = 0.95
    assert (await hold(gateway, secret, "e", "0.06"))["code"] == "USAGE_EXCEEDED"
    assert (await hold(gateway, secret, "e", "0.05"))["allowed"] is True      # exactly 1

    # the real cost may pass the estimate: it counts in full, and the limit then refuses
    await gateway.usage({"keyId": key_id, "requestId": "b", "cost": "0.7"})
    key = (await acme.gql.run("ApiKey", id=key_id))["apiKey"]
    assert key["usage"] == "0.75"
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "USAGE_EXCEEDED"


async def test_an_expired_hold_frees_the_budget(acme, gateway, clock, settings):
    assert settings.hold_seconds == 600
    created = await create_key(acme, recurringLimit={"amount": "1", "window": DAY})
    secret = created["secret"]
    assert (await hold(gateway, secret, "a", "1"))["allowed"] is True
    assert (await hold(gateway, secret, "b", "0.000000001"))["code"] == "PERIOD_USAGE_EXCEEDED"
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "PERIOD_USAGE_EXCEEDED"

    clock.advance(seconds=599)
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "PERIOD_USAGE_EXCEEDED"
    assert (await hold(gateway, secret, "b", "0.000000001"))["allowed"] is False

    clock.advance(seconds=1)  # 600 s: the hold is gone
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"
    assert (await hold(gateway, secret, "b", "1"))["allowed"] is True


async def test_usage_arriving_after_its_hold_expired_still_counts(acme, gateway, clock):
    created = await create_key(acme, allTimeLimit="1")
    key_id, secret = created["apiKey"]["id"], created["secret"]
    assert (await hold(gateway, secret, "a", "0.5"))["allowed"] is True
    clock.advance(minutes=11)
    assert (await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "0.6"}))["results"][0]["recorded"] is True
    assert (await hold(gateway, secret, "b", "0.4"))["allowed"] is True
    assert (await hold(gateway, secret, "c", "0.000000001"))["code"] == "USAGE_EXCEEDED"


async def test_a_second_authorize_with_the_same_request_id_holds_once(acme, gateway):
    created = await create_key(acme, allTimeLimit="1")
    secret = created["secret"]
    first = await hold(gateway, secret, "a", "0.6")
    again = await hold(gateway, secret, "a", "0.6")
    assert first["allowed"] is True and again["allowed"] is True
    assert again["keyId"] == first["keyId"]
    assert (await hold(gateway, secret, "b", "0.4"))["allowed"] is True  # 0.6 + 0.4: "a" was held once
    assert (await hold(gateway, secret, "c", "0.000000001"))["allowed"] is False


async def test_concurrent_retries_of_one_request_hold_once(acme, gateway):
    secret = (await create_key(acme, allTimeLimit="1"))["secret"]
    answers = await asyncio.gather(*(hold(gateway, secret, "same", "0.6") for _ in range(8)))
    assert all(a["allowed"] for a in answers)
    assert (await hold(gateway, secret, "other", "0.4"))["allowed"] is True
    assert (await hold(gateway, secret, "third", "0.000000001"))["allowed"] is False


async def test_a_retry_still_obeys_status_changes(acme, gateway):
    created = await create_key(acme, allTimeLimit="1")
    secret = created["secret"]
    assert (await hold(gateway, secret, "a", "0.5"))["allowed"] is True
    await acme.gql.mutate("SetApiKeyEnabled", id=created["apiKey"]["id"], enabled=False)
    assert (await hold(gateway, secret, "a", "0.5"))["code"] == "DISABLED"


async def test_a_refused_hold_takes_nothing(acme, gateway):
    secret = (await create_key(acme, allTimeLimit="1"))["secret"]
    assert (await hold(gateway, secret, "big", "1.5"))["code"] == "USAGE_EXCEEDED"
    assert (await hold(gateway, secret, "fits", "1"))["allowed"] is True


async def test_a_hold_counts_in_its_window_and_all_time_until_settled(acme, gateway, clock):
    created = await create_key(acme, allTimeLimit="2", recurringLimit={"amount": "1", "window": {"value": 1, "unit": "HOUR"}})
    key_id, secret = created["apiKey"]["id"], created["secret"]
    clock.advance(minutes=55)
    assert (await hold(gateway, secret, "a", "1"))["allowed"] is True
    clock.advance(minutes=5)  # a new window: the open hold no longer takes from it, but still from all-time
    assert (await hold(gateway, secret, "b", "1"))["allowed"] is True
    assert (await hold(gateway, secret, "c", "0.000000001"))["code"] == "USAGE_EXCEEDED"
    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "0.25"})
    assert (await hold(gateway, secret, "c", "0.000000001"))["allowed"] is False  # window: 1 held by "b"
    key = (await acme.gql.run("ApiKey", id=key_id))["apiKey"]
    # "a" was authorized in the first window: its usage counts there, not in the current one
    assert key["usage"] == "0.25" and key["currentPeriod"]["usage"] == "0"


async def test_an_estimate_without_request_id_holds_nothing(acme, gateway):
    secret = (await create_key(acme, allTimeLimit="1"))["secret"]
    for _ in range(5):
        answer = await gateway.authorize(key=secret, model=MODEL, estimatedCost="0.6")
        assert answer["allowed"] is True
    assert (await gateway.authorize(key=secret, model=MODEL, estimatedCost="1.1"))["code"] == "USAGE_EXCEEDED"


async def test_a_hold_reaches_other_instances_through_the_change_feed(acme, gateway, clock):
    """Another instance answers soft checks from its own cache, which learns of changes only from
    the change feed: it must count a hold taken here."""
    from app.dataplane.cache import KeyCache
    from app.dataplane.feed import ChangeFeed
    from app.domain.secrets import hash_secret
    from app.domain.timeconv import to_micros
    from app.store import changes

    secret = (await create_key(acme, allTimeLimit="1"))["secret"]
    other_cache, other_feed = KeyCache(), ChangeFeed(interval_ms=1000)
    await other_feed.poll_once()  # the other instance is up to date
    now = to_micros(clock.now())
    assert (await other_cache.get(hash_secret(secret), now)).counters(now).held == 0

    assert (await hold(gateway, secret, "a", "0.6"))["allowed"] is True

    changes.subscribe_local(other_cache.on_change)  # only while the other instance reads its feed
    try:
        await other_feed.poll_once()
    finally:
        changes.unsubscribe_local(other_cache.on_change)
    assert (await other_cache.get(hash_secret(secret), now)).counters(now).held == 600_000_000


async def test_a_key_without_limits_is_allowed_and_holds_nothing(acme, gateway):
    created = await create_key(acme)
    key_id, secret = created["apiKey"]["id"], created["secret"]
    assert (await hold(gateway, secret, "a", "1000"))["code"] == "VALID"
    # a limit set afterwards counts only usage: there was no limit to hold against
    await acme.gql.mutate("UpdateApiKeyLimits", id=key_id, allTimeLimit="1")
    assert (await hold(gateway, secret, "b", "1"))["allowed"] is True
