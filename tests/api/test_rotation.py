"""rollApiKey: a new secret for the same key, the previous one working only through its grace period
(computed from the injected clock), rolling again ending the earlier grace, and bad graces refused."""
from datetime import timedelta

import pytest
from hypothesis import given, strategies as st

from app.domain import secrets
from app.services import keys
from app.services.errors import Problems
from app.store import sql
from tests.support.api import create_key

MODEL = "openai/gpt-4o"


async def roll(tenant, key_id, grace=None):
    fields = {"id": key_id}
    if grace is not None:
        fields["gracePeriod"] = grace
    return await tenant.gql.mutate("RollApiKey", **fields)


async def code_of(gateway, secret):
    return (await gateway.authorize(key=secret, model=MODEL))["code"]


async def test_both_secrets_work_during_the_grace_and_the_old_one_stops_at_its_end(acme, gateway, clock):
    created = await create_key(acme)
    key_id, old = created["apiKey"]["id"], created["secret"]
    assert await code_of(gateway, old) == "VALID"  # cached on this instance before the roll
    rolled = await roll(acme, key_id, {"value": 1, "unit": "HOUR"})
    assert rolled["errors"] == []
    new = rolled["secret"]
    assert new != old and new.startswith("kp_")
    key = rolled["apiKey"]
    assert key["id"] == key_id and key["maskedKey"] == secrets.mask_key(new) != created["apiKey"]["maskedKey"]
    assert key["previousKeyExpiresAt"] == (clock.now() + timedelta(hours=1)).isoformat()
    for secret in (old, new):
        answer = await gateway.authorize(key=secret, model=MODEL)
        assert (answer["code"], answer["keyId"]) == ("VALID", key_id)

    clock.advance(minutes=59, seconds=59)
    assert await code_of(gateway, old) == "VALID"
    clock.advance(seconds=1)  # the grace ends: no job runs, the clock decides
    assert await code_of(gateway, old) == "NOT_FOUND"
    assert await code_of(gateway, new) == "VALID"
    assert (await acme.gql.run("ApiKey", id=key_id))["apiKey"]["previousKeyExpiresAt"] is None


async def test_without_a_grace_the_old_secret_stops_at_once(acme, gateway):
    created = await create_key(acme)
    assert await code_of(gateway, created["secret"]) == "VALID"
    rolled = await roll(acme, created["apiKey"]["id"])
    assert rolled["errors"] == [] and rolled["apiKey"]["previousKeyExpiresAt"] is None
    assert await code_of(gateway, created["secret"]) == "NOT_FOUND"
    assert await code_of(gateway, rolled["secret"]) == "VALID"


async def test_rolling_again_ends_the_earlier_grace_at_once(acme, gateway):
    created = await create_key(acme)
    key_id, first = created["apiKey"]["id"], created["secret"]
    second = (await roll(acme, key_id, {"value": 7, "unit": "DAY"}))["secret"]
    assert await code_of(gateway, first) == "VALID"
    third = (await roll(acme, key_id, {"value": 1, "unit": "DAY"}))["secret"]
    assert await code_of(gateway, first) == "NOT_FOUND"  # at most two working secrets
    assert await code_of(gateway, second) == "VALID"
    assert await code_of(gateway, third) == "VALID"


async def test_usage_limits_windows_rules_and_status_carry_over(acme, gateway):
    created = await create_key(acme, allTimeLimit="1", recurringLimit={"amount": "0.5", "window": {"value": 1, "unit": "DAY"}},
                               iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai"]}])
    key_id = created["apiKey"]["id"]
    await gateway.usage({"keyId": key_id, "requestId": "r1", "cost": "0.5"})
    before = (await acme.gql.run("ApiKey", id=key_id))["apiKey"]
    rolled = await roll(acme, key_id, {"value": 10, "unit": "MINUTE"})
    after = rolled["apiKey"]
    for field in ("name", "status", "usage", "limits", "currentPeriod", "iamRules", "createdAt", "expiresAt"):
        assert after[field] == before[field], field
    # the window's usage came along: the new secret is refused for the period limit, like the old one
    assert await code_of(gateway, rolled["secret"]) == "PERIOD_USAGE_EXCEEDED"
    assert await code_of(gateway, created["secret"]) == "PERIOD_USAGE_EXCEEDED"
    assert (await gateway.authorize(key=rolled["secret"], model="anthropic/claude-sonnet-4"))["code"] == "FORBIDDEN"


async def test_a_disabled_key_rolls_and_stays_disabled(acme, gateway):
    created = await create_key(acme)
    key_id = created["apiKey"]["id"]
    await acme.gql.mutate("SetApiKeyEnabled", id=key_id, enabled=False)
    rolled = await roll(acme, key_id, {"value": 1, "unit": "HOUR"})
    assert rolled["errors"] == [] and rolled["apiKey"]["status"] == "DISABLED"
    assert await code_of(gateway, rolled["secret"]) == "DISABLED"
    assert await code_of(gateway, created["secret"]) == "DISABLED"


async def test_only_hashes_are_stored(acme):
    created = await create_key(acme)
    rolled = await roll(acme, created["apiKey"]["id"], {"value": 1, "unit": "DAY"})
    dump = str(await sql.fetch(sql.client(), "SELECT * FROM api_keys")) + str(
        await sql.fetch(sql.client(), "SELECT * FROM audit_events"))
    for secret in (created["secret"], rolled["secret"]):
        assert secret[3:] not in dump
    row = (await sql.fetch(sql.client(), "SELECT key_hash, previous_key_hash FROM api_keys"))[0]
    assert row == {"key_hash": secrets.hash_secret(rolled["secret"]),
                   "previous_key_hash": secrets.hash_secret(created["secret"])}


@pytest.mark.parametrize("grace", [
    {"value": 0, "unit": "MINUTE"}, {"value": -1, "unit": "HOUR"}, {"value": 31, "unit": "DAY"},
    {"value": 721, "unit": "HOUR"}, {"value": 43201, "unit": "MINUTE"}, {"value": 2**31 - 1, "unit": "DAY"},
])
async def test_a_bad_grace_is_a_validation_error_and_changes_nothing(acme, gateway, grace):
    created = await create_key(acme)
    key_id = created["apiKey"]["id"]
    state = await sql.fetch(sql.client(), "SELECT * FROM api_keys")
    events = await sql.fetch(sql.client(), "SELECT * FROM audit_events")
    rolled = await roll(acme, key_id, grace)
    assert rolled["secret"] is None and rolled["apiKey"] is None
    assert [(e["code"], e["field"]) for e in rolled["errors"]] == [("VALIDATION", "gracePeriod")]
    assert await sql.fetch(sql.client(), "SELECT * FROM api_keys") == state
    assert await sql.fetch(sql.client(), "SELECT * FROM audit_events") == events
    assert await code_of(gateway, created["secret"]) == "VALID"


async def test_an_unknown_key_is_not_found(acme):
    rolled = await roll(acme, "QXBpS2V5Ojk5OQ", {"value": 1, "unit": "HOUR"})
    assert [e["code"] for e in rolled["errors"]] == ["NOT_FOUND"] and rolled["secret"] is None


UNIT_SECONDS = {"MINUTE": 60, "HOUR": 3600, "DAY": 86400}


@given(value=st.integers(min_value=-10**6, max_value=10**7), unit=st.sampled_from(sorted(UNIT_SECONDS)))
def test_a_grace_is_accepted_exactly_from_one_unit_to_30_days(value, unit):
    problems = Problems()
    grace = keys._grace((value, unit), problems)
    valid = 1 <= value and value * UNIT_SECONDS[unit] <= 30 * 86400
    assert (grace is not None) == valid and (not problems.errors) == valid
    if valid:
        assert grace == timedelta(seconds=value * UNIT_SECONDS[unit])
    else:
        assert [(e.code.value, e.field) for e in problems.errors] == [("VALIDATION", "gracePeriod")]
