"""POST /v1/authorize: the answer's shape, the order of the checks, bad bodies, and the
in-process cache following every change at once (usage, limits, status, rules, deletion)."""
from __future__ import annotations

import pytest

from tests.support.api import create_key

MODEL = "openai/gpt-4o"
DAY = {"value": 1, "unit": "DAY"}


async def spend(gateway, key_id: str, request_id: str, cost: str) -> None:
    answer = await gateway.usage({"keyId": key_id, "requestId": request_id, "cost": cost})
    assert answer["results"][0]["recorded"] is True


async def test_a_valid_key_is_allowed_with_the_graphql_ids(acme, gateway):
    created = await create_key(acme)
    answer = await gateway.authorize(key=created["secret"], model=MODEL, provider="openai")
    assert answer == {"allowed": True, "code": "VALID", "message": "ok",
                      "keyId": created["apiKey"]["id"], "projectId": acme.project_id}
    listed = await gateway.authorize(key=created["secret"], model=MODEL)
    assert listed["allowedProviders"] == ["openai", "azure"]


@pytest.mark.parametrize("secret", ["kp_unknown", "kp_" + "x" * 43, "not even a key"])
async def test_an_unknown_key_is_not_found_without_ids(gateway, acme, secret):
    answer = await gateway.authorize(key=secret, model=MODEL)
    assert answer["allowed"] is False and answer["code"] == "NOT_FOUND"
    assert "keyId" not in answer and "projectId" not in answer


async def test_a_deleted_key_is_not_found_at_once(acme, gateway):
    created = await create_key(acme)
    assert (await gateway.authorize(key=created["secret"], model=MODEL))["allowed"] is True
    await acme.gql.mutate("DeleteApiKey", id=created["apiKey"]["id"])
    answer = await gateway.authorize(key=created["secret"], model=MODEL)
    assert answer["code"] == "NOT_FOUND" and "keyId" not in answer
    held = await gateway.authorize(key=created["secret"], model=MODEL, estimatedCost="0.1", requestId="r")
    assert held["code"] == "NOT_FOUND"


async def test_a_key_created_after_a_miss_is_found(acme, gateway):
    # unknown hashes are remembered; creating any key must forget them
    payload = await create_key(acme)
    secret = payload["secret"]
    await acme.gql.mutate("DeleteApiKey", id=payload["apiKey"]["id"])
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "NOT_FOUND"
    created = await create_key(acme)
    assert (await gateway.authorize(key=created["secret"], model=MODEL))["code"] == "VALID"


async def test_checks_come_in_the_contract_order(acme, gateway, clock):
    """EXPIRED, DISABLED, FORBIDDEN, USAGE_EXCEEDED, PERIOD_USAGE_EXCEEDED: each shown while every later one also holds."""
    created = await create_key(
        acme, ttl={"value": 1, "unit": "HOUR"}, allTimeLimit="1", recurringLimit={"amount": "0.5", "window": DAY},
        iamRules=[{"type": "DENY_PROVIDERS", "values": ["azure"]}],
    )
    key_id, secret = created["apiKey"]["id"], created["secret"]
    await spend(gateway, key_id, "r1", "1")
    await acme.gql.mutate("SetApiKeyEnabled", id=key_id, enabled=False)

    async def code(**body) -> str:
        return (await gateway.authorize(key=secret, model=MODEL, provider="azure", **body))["code"]

    clock.advance(hours=1)
    assert await code() == "EXPIRED"
    for operation, fields, expected in [
        ("SetApiKeyEnabled", {"enabled": True, "ttl": {"value": 1, "unit": "DAY"}}, None),
        ("SetApiKeyEnabled", {"enabled": False}, "DISABLED"),
        ("SetApiKeyEnabled", {"enabled": True}, "FORBIDDEN"),
        ("SetApiKeyIamRules", {"rules": []}, "USAGE_EXCEEDED"),
        ("UpdateApiKeyLimits", {"allTimeLimit": None}, "PERIOD_USAGE_EXCEEDED"),
        ("UpdateApiKeyLimits", {"recurringLimit": {"amount": "5", "window": DAY}}, "VALID"),
    ]:
        assert (await acme.gql.mutate(operation, id=key_id, **fields))["errors"] == []
        if expected is not None:
            assert await code() == expected


async def test_a_key_expires_by_the_clock_alone(acme, gateway, clock):
    secret = (await create_key(acme, ttl={"value": 30, "unit": "MINUTE"}))["secret"]
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"
    clock.advance(minutes=29, seconds=59)
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"
    clock.advance(seconds=1)
    answer = await gateway.authorize(key=secret, model=MODEL)
    assert answer["code"] == "EXPIRED" and "new TTL" in answer["message"]


async def test_usage_is_enforced_by_the_next_authorize(acme, gateway):
    """The key is in this instance's cache; the usage just recorded must be seen at once."""
    created = await create_key(acme, allTimeLimit="10", recurringLimit={"amount": "1", "window": DAY})
    key_id, secret = created["apiKey"]["id"], created["secret"]
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"  # cached now
    await spend(gateway, key_id, "r1", "0.999999999")
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"
    await spend(gateway, key_id, "r2", "0.000000001")
    answer = await gateway.authorize(key=secret, model=MODEL)
    assert answer["code"] == "PERIOD_USAGE_EXCEEDED"
    assert "recurring limit of 1 reached" in answer["message"]

    await acme.gql.mutate("UpdateApiKeyLimits", id=key_id, recurringLimit=None)
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"
    await spend(gateway, key_id, "r3", "9")
    answer = await gateway.authorize(key=secret, model=MODEL)
    assert answer["code"] == "USAGE_EXCEEDED" and "all-time limit of 10 reached (used 10)" in answer["message"]


async def test_status_changes_are_enforced_at_once(acme, gateway):
    created = await create_key(acme)
    key_id, secret = created["apiKey"]["id"], created["secret"]
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"
    await acme.gql.mutate("SetApiKeyEnabled", id=key_id, enabled=False)
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "DISABLED"
    await acme.gql.mutate("SetApiKeyEnabled", id=key_id, enabled=True)
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"


async def test_an_estimate_that_does_not_fit_says_so(acme, gateway):
    created = await create_key(acme, allTimeLimit="1")
    await spend(gateway, created["apiKey"]["id"], "r1", "0.75")
    answer = await gateway.authorize(key=created["secret"], model=MODEL, estimatedCost="0.5")
    assert answer["code"] == "USAGE_EXCEEDED"
    assert "estimated cost 0.5 does not fit in the all-time limit of 1 (used 0.75)" in answer["message"]
    # without an estimate the gateway's soft cap lets it through while usage is below the limit
    assert (await gateway.authorize(key=created["secret"], model=MODEL))["code"] == "VALID"


async def test_last_used_at_follows_allowed_authorizations(acme, gateway, clock, app):
    created = await create_key(acme, allTimeLimit="0")
    key_id, secret = created["apiKey"]["id"], created["secret"]
    clock.advance(minutes=5)
    assert (await gateway.authorize(key=secret, model=MODEL))["allowed"] is False
    assert (await gateway.authorize(key=secret, model=MODEL, estimatedCost="1", requestId="r"))["allowed"] is False
    await app.state.key_cache.flush_last_used()
    assert (await acme.gql.run("ApiKey", id=key_id))["apiKey"]["lastUsedAt"] is None

    await acme.gql.mutate("UpdateApiKeyLimits", id=key_id, allTimeLimit="100")
    assert (await gateway.authorize(key=secret, model=MODEL))["allowed"] is True
    await app.state.key_cache.flush_last_used()  # what the change feed's loop does every poll interval
    assert (await acme.gql.run("ApiKey", id=key_id))["apiKey"]["lastUsedAt"] == "2026-01-31T10:05:00+00:00"

    clock.advance(minutes=5)
    assert (await gateway.authorize(key=secret, model=MODEL, estimatedCost="1", requestId="r"))["allowed"] is True
    await app.state.key_cache.flush_last_used()  # holds record their use the same way
    assert (await acme.gql.run("ApiKey", id=key_id))["apiKey"]["lastUsedAt"] == "2026-01-31T10:10:00+00:00"


@pytest.mark.parametrize("body, message", [
    ({"model": MODEL}, "key is required"),
    ({"key": "kp_x"}, "model is required"),
    ({"key": "kp_x", "model": ""}, "model must be a non-empty string"),
    ({"key": "kp_x", "model": 5}, "model must be a non-empty string"),
    ({"key": "kp_x", "model": MODEL, "provider": ["openai"]}, "provider must be a non-empty string"),
    ({"key": "kp_x", "model": MODEL, "estimatedCost": "-1"}, "estimatedCost must not be negative"),
    ({"key": "kp_x", "model": MODEL, "estimatedCost": "lots"}, "estimatedCost must be a decimal number"),
    ({"key": "kp_x", "model": MODEL, "estimatedCost": "NaN"}, "estimatedCost must be a decimal number"),
    ({"key": "kp_x", "model": MODEL, "requestId": ""}, "requestId is required and must be a non-empty string"),
])
async def test_a_malformed_authorize_body_is_a_bad_request(gateway, body, message):
    response = await gateway.post("/v1/authorize", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert message in response.json()["error"]["message"]


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b"\xff"])
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(gateway, raw):
    response = await gateway.post("/v1/authorize", raw)
    assert response.status_code == 400 and response.json()["error"]["code"] == "BAD_REQUEST"


async def test_authorize_needs_a_gateway_token(acme, gateway):
    secret = (await create_key(acme))["secret"]
    assert (await gateway.http.post("/v1/authorize", json={"key": secret, "model": MODEL})).status_code == 401
    assert (await gateway.post("/v1/authorize", {"key": secret, "model": MODEL}, token=acme.token)).status_code == 403


async def test_usage_recorded_while_authorizations_run_is_seen_afterwards(acme, gateway):
    """Cache loads racing with usage writes must not keep stale counters."""
    import asyncio

    created = await create_key(acme, allTimeLimit="1")
    key_id, secret = created["apiKey"]["id"], created["secret"]

    async def authorize_many() -> None:
        for _ in range(30):
            await gateway.authorize(key=secret, model=MODEL)

    async def report_usage() -> None:
        for i in range(10):
            await gateway.usage({"keyId": key_id, "requestId": f"r{i}", "cost": "0.1"})

    await asyncio.gather(authorize_many(), authorize_many(), report_usage(), authorize_many())
    answer = await gateway.authorize(key=secret, model=MODEL)
    assert answer["code"] == "USAGE_EXCEEDED" and "(used 1)" in answer["message"]


async def racing_usage(monkeypatch, clock, key_id: str, cost: str) -> None:
    """The next cache load reads the key's row, then this usage is recorded before the load ends."""
    from app.domain.usage import parse_event
    from app.services import usage as usage_service
    from app.store import keystate

    original = keystate.key_row_by_hash

    async def read_then_race(*args):
        row = await original(*args)
        monkeypatch.setattr(keystate, "key_row_by_hash", original)
        await usage_service.record_events(clock, [parse_event({"keyId": key_id, "requestId": "race", "cost": cost})])
        return row

    monkeypatch.setattr(keystate, "key_row_by_hash", read_then_race)


async def test_a_cache_load_overtaken_by_usage_of_its_key_is_not_kept(acme, gateway, clock, monkeypatch):
    created = await create_key(acme, allTimeLimit="1")
    key_id, secret = created["apiKey"]["id"], created["secret"]
    await racing_usage(monkeypatch, clock, key_id, "1")
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"  # read before the usage landed
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "USAGE_EXCEEDED"


async def test_usage_of_other_keys_does_not_keep_a_key_out_of_the_cache(acme, gateway, clock, monkeypatch, app):
    created = await create_key(acme, allTimeLimit="1")
    other_id = (await create_key(acme))["apiKey"]["id"]
    await app.state.change_feed.stop()  # polled by hand: it must not drop the entry when it catches up later
    await app.state.change_feed.poll_once()
    await racing_usage(monkeypatch, clock, other_id, "1")
    cache = app.state.key_cache
    assert (await gateway.authorize(key=created["secret"], model=MODEL))["code"] == "VALID"
    misses = cache.misses
    assert (await gateway.authorize(key=created["secret"], model=MODEL))["code"] == "VALID"
    assert cache.misses == misses  # answered from the cache
