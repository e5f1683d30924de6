"""POST /v1/usage: single events and batches, retries, exact rounding, concurrency, and every bad
input refused with a clear error and nothing recorded."""
from __future__ import annotations

import asyncio
import json

import pytest

DAY = {"value": 1, "unit": "DAY"}


async def create_key(tenant, **fields) -> dict:
    payload = await tenant.gql.mutate("CreateApiKey", projectId=tenant.project_id, name="k", **fields)
    assert payload["errors"] == []
    return payload


async def totals(tenant, key_id: str) -> tuple[str, str | None, int]:
    """(all-time usage, current window usage, number of usage records) as GraphQL shows them."""
    key = (await tenant.gql.run("ApiKeyUsage", id=key_id, first=100))["apiKey"]
    period = key["currentPeriod"]
    return key["usage"], period and period["usage"], key["usageSummary"]["requests"]


async def test_a_single_event_is_recorded(acme, gateway):
    key_id = (await create_key(acme, recurringLimit={"amount": "5", "window": DAY}))["apiKey"]["id"]
    answer = await gateway.usage({"keyId": key_id, "requestId": "req-1", "cost": "0.0123", "model": "openai/gpt-4o",
                                  "provider": "openai", "source": "CREDITS"})
    assert answer == {"results": [{"requestId": "req-1", "recorded": True}]}
    assert await totals(acme, key_id) == ("0.0123", "0.0123", 1)


async def test_a_batch_answers_each_event_in_order(acme, gateway):
    key_a = (await create_key(acme))["apiKey"]["id"]
    key_b = (await create_key(acme))["apiKey"]["id"]
    await gateway.usage({"keyId": key_a, "requestId": "old", "cost": "1"})
    answer = await gateway.usage({"events": [
        {"keyId": key_a, "requestId": "new", "cost": "0.5"},
        {"keyId": key_a, "requestId": "old", "cost": "0.5"},          # recorded before: a retry
        {"keyId": key_b, "requestId": "new", "cost": "0.25"},         # request ids are per key
        {"keyId": key_a, "requestId": "new", "cost": "0.5"},          # twice in one batch
    ]})
    assert answer == {"results": [
        {"requestId": "new", "recorded": True},
        {"requestId": "old", "recorded": False},
        {"requestId": "new", "recorded": True},
        {"requestId": "new", "recorded": False},
    ]}
    assert await totals(acme, key_a) == ("1.5", None, 2)
    assert await totals(acme, key_b) == ("0.25", None, 1)


async def test_a_retried_request_id_counts_once(acme, gateway):
    created = await create_key(acme, allTimeLimit="1")
    key_id = created["apiKey"]["id"]
    for _ in range(3):
        await gateway.usage({"keyId": key_id, "requestId": "req-1", "cost": "0.6"})
    assert await totals(acme, key_id) == ("0.6", None, 1)
    assert (await gateway.authorize(key=created["secret"], model="openai/gpt-4o"))["code"] == "VALID"


async def test_an_event_for_an_unknown_key_fails_alone(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    deleted_id = (await create_key(acme))["apiKey"]["id"]
    assert (await acme.gql.mutate("DeleteApiKey", id=deleted_id))["errors"] == []
    answer = await gateway.usage({"events": [
        {"keyId": "bm9wZQ", "requestId": "a", "cost": "1"},
        {"keyId": key_id, "requestId": "b", "cost": "1"},
        {"keyId": deleted_id, "requestId": "c", "cost": "1"},
        {"keyId": acme.project_id, "requestId": "d", "cost": "1"},  # a project's id is not a key's
    ]})
    results = answer["results"]
    assert results[1] == {"requestId": "b", "recorded": True}
    for result, request_id in zip([results[0], results[2], results[3]], "acd"):
        assert result["requestId"] == request_id and result["recorded"] is False
        assert result["error"]["code"] == "NOT_FOUND"
    assert await totals(acme, key_id) == ("1", None, 1)


@pytest.mark.parametrize("cost, recorded", [
    ("0.0000000005", "0"),              # half-even: to the even nano below
    ("0.0000000015", "0.000000002"),    # ... and above
    ("0.0000000025", "0.000000002"),
    ("0.00000000250001", "0.000000003"),
    ("0.1234567894999", "0.123456789"),
    ("1.000000000000", "1"),
    (0.00001, "0.00001"),               # a JSON number, exponent notation in Python's float repr
    (1e-05, "0.00001"),
    (2, "2"),
    ("1000000000", "1000000000"),
])
async def test_costs_are_rounded_half_even_to_nine_places(acme, gateway, cost, recorded):
    key_id = (await create_key(acme))["apiKey"]["id"]
    assert (await gateway.usage({"keyId": key_id, "requestId": "r", "cost": cost}))["results"][0]["recorded"] is True
    assert (await totals(acme, key_id))[0] == recorded


async def test_a_cost_written_with_more_digits_than_a_float_holds_is_exact(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    body = '{"keyId": "%s", "requestId": "r", "cost": 0.100000000499999999999}' % key_id
    response = await gateway.post("/v1/usage", body)
    assert response.status_code == 200, response.text
    assert (await totals(acme, key_id))[0] == "0.1"


async def test_three_tenths_are_exactly_three_tenths(acme, gateway):
    key_id = (await create_key(acme, recurringLimit={"amount": "0.3", "window": DAY}))["apiKey"]["id"]
    await gateway.usage({"events": [{"keyId": key_id, "requestId": "a", "cost": "0.1"}]})
    await gateway.usage({"keyId": key_id, "requestId": "b", "cost": 0.1})
    await gateway.usage({"keyId": key_id, "requestId": "c", "cost": "0.1"})
    assert await totals(acme, key_id) == ("0.3", "0.3", 3)


async def test_concurrent_events_against_one_key_lose_nothing(acme, gateway):
    key_id = (await create_key(acme, recurringLimit={"amount": "1000", "window": DAY}))["apiKey"]["id"]

    async def report(worker: int) -> list[dict]:
        answers = []
        for i in range(20):
            answers.append(await gateway.usage({"keyId": key_id, "requestId": f"w{worker}-{i}", "cost": "0.001000001"}))
        return answers

    results = await asyncio.gather(*(report(worker) for worker in range(20)))
    assert all(a["results"][0]["recorded"] for answers in results for a in answers)
    assert await totals(acme, key_id) == ("0.4000004", "0.4000004", 400)


async def test_concurrent_batches_that_share_request_ids_record_each_once(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    events = [{"keyId": key_id, "requestId": f"r{i}", "cost": "0.01"} for i in range(50)]
    batches = [events, events[::-1], events[10:] + events[:10], events]
    answers = await asyncio.gather(*(gateway.usage({"events": batch}) for batch in batches))
    recorded = sum(result["recorded"] for answer in answers for result in answer["results"])
    assert recorded == 50
    assert await totals(acme, key_id) == ("0.5", None, 50)


async def test_a_batch_of_a_thousand_events_is_recorded_at_once(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    answer = await gateway.usage({"events": [{"keyId": key_id, "requestId": f"r{i}", "cost": "0.001"} for i in range(1000)]})
    assert len(answer["results"]) == 1000 and all(r["recorded"] for r in answer["results"])
    assert await totals(acme, key_id) == ("1", None, 1000)


# --- bad input: a clear 400, and nothing recorded ------------------------------------------------

def event(key_id: str, **overrides) -> dict:
    body = {"keyId": key_id, "requestId": "req-x", "cost": "0.5"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


BAD_EVENTS = [
    ({"requestId": ...}, "requestId is required"),
    ({"requestId": ""}, "requestId is required"),
    ({"requestId": 42}, "requestId is required"),
    ({"requestId": "x" * 129}, "at most 128"),
    ({"requestId": "a\nb"}, "control characters"),
    ({"cost": ...}, "cost is required"),
    ({"cost": None}, "cost is required"),
    ({"cost": "-0.01"}, "cost must not be negative"),
    ({"cost": -1}, "cost must not be negative"),
    ({"cost": "abc"}, "cost must be a decimal number"),
    ({"cost": "NaN"}, "cost must be a decimal number"),
    ({"cost": "1e-3"}, "cost must be a decimal number"),
    ({"cost": True}, "cost must be a decimal number"),
    ({"cost": [1]}, "cost must be a decimal number"),
    ({"cost": "1000000000.1"}, "cost must be at most 1000000000"),
    ({"keyId": ...}, "keyId is required"),
    ({"keyId": 7}, "keyId must be a string"),
    ({"source": "FREE"}, "source must be CREDITS or PROVIDER_KEY"),
    ({"model": 5}, "model must be a string"),
    ({"occurredAt": "yesterday"}, "occurredAt must be an ISO 8601 date-time"),
    ({"occurredAt": "2026-01-31T10:00:00"}, "occurredAt needs a UTC offset"),
]


@pytest.mark.parametrize("overrides, message", BAD_EVENTS)
async def test_a_bad_event_is_refused_and_nothing_is_recorded(acme, gateway, overrides, message):
    key_id = (await create_key(acme, recurringLimit={"amount": "5", "window": DAY}))["apiKey"]["id"]
    for body in (event(key_id, **overrides),
                 {"events": [event(key_id, requestId="good"), event(key_id, **overrides)]}):
        response = await gateway.post("/v1/usage", body)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "BAD_REQUEST" and message in error["message"]
    assert "events[1]: " in error["message"]  # a batch names the event
    assert await totals(acme, key_id) == ("0", "0", 0)


@pytest.mark.parametrize("raw, message", [
    (b"{bad json", "not valid JSON"),
    (b"", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'"cost"', "must be a JSON object"),
    (b'{"events": {}}', "events must be a list"),
    (b'{"events": []}', "events must not be empty"),
    (b'{"events": [1]}', "each event must be a JSON object"),
])
async def test_a_malformed_body_is_refused(acme, gateway, raw, message):
    key_id = (await create_key(acme))["apiKey"]["id"]
    response = await gateway.post("/v1/usage", raw)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST" and message in error["message"]
    assert await totals(acme, key_id) == ("0", None, 0)


async def test_a_nan_or_infinite_json_number_is_refused(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    for literal in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = '{"keyId": "%s", "requestId": "r", "cost": %s}' % (key_id, literal)
        response = await gateway.post("/v1/usage", body)
        assert response.status_code == 400, literal
        assert response.json()["error"]["message"].startswith("cost must")
    assert await totals(acme, key_id) == ("0", None, 0)


async def test_more_than_a_thousand_events_are_refused_whole(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    events = [{"keyId": key_id, "requestId": f"r{i}", "cost": "0.001"} for i in range(1001)]
    response = await gateway.post("/v1/usage", {"events": events})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "BAD_REQUEST", "message": "at most 1000 events per request"}
    assert await totals(acme, key_id) == ("0", None, 0)


async def test_a_body_over_one_mebibyte_is_refused(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    body = json.dumps({"keyId": key_id, "requestId": "r", "cost": "1", "model": "x" * (1 << 20)})
    response = await gateway.post("/v1/usage", body)
    assert response.status_code in (400, 413)
    assert await totals(acme, key_id) == ("0", None, 0)


async def test_usage_needs_a_gateway_token(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    body = {"keyId": key_id, "requestId": "r", "cost": "1"}
    missing = await gateway.http.post("/v1/usage", json=body)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "UNAUTHENTICATED"
    wrong = await gateway.post("/v1/usage", body, token="kpg_not-a-token")
    assert wrong.status_code == 401
    management = await gateway.post("/v1/usage", body, token=acme.token)
    assert management.status_code == 403
    assert await totals(acme, key_id) == ("0", None, 0)
