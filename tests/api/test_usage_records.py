"""A key's usage as GraphQL shows it (ApiKeyUsage document): records newest first, paging, the
summary by source and by day, lastUsedAt, and both sources counting toward usage and the window."""
from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc


def iso(*args) -> str:
    return datetime(*args, tzinfo=UTC).isoformat()


async def create_key(tenant, **fields) -> dict:
    payload = await tenant.gql.mutate("CreateApiKey", projectId=tenant.project_id, name="k", **fields)
    assert payload["errors"] == []
    return payload


async def usage_of(tenant, key_id: str, **variables) -> dict:
    return (await tenant.gql.run("ApiKeyUsage", id=key_id, **variables))["apiKey"]


async def test_records_are_listed_newest_first_with_every_field(acme, gateway, clock):
    key_id = (await create_key(acme))["apiKey"]["id"]
    await gateway.usage({"keyId": key_id, "requestId": "first", "cost": "0.01", "model": "openai/gpt-4o",
                         "provider": "openai"})
    clock.advance(minutes=1)
    await gateway.usage({"keyId": key_id, "requestId": "second", "cost": "0.02", "source": "PROVIDER_KEY"})
    clock.advance(minutes=1)
    await gateway.usage({"keyId": key_id, "requestId": "backfilled", "cost": "0.03", "occurredAt": "2026-01-31T09:57:00Z"})  # the contract allows 5 min before the key

    nodes = [edge["node"] for edge in (await usage_of(acme, key_id))["usageRecords"]["edges"]]
    assert [n["requestId"] for n in nodes] == ["second", "first", "backfilled"]
    first = nodes[1]
    assert first["occurredAt"] == iso(2026, 1, 31, 10)
    assert (first["model"], first["provider"], first["cost"], first["source"]) == ("openai/gpt-4o", "openai", "0.01", "CREDITS")
    assert (nodes[0]["model"], nodes[0]["provider"], nodes[0]["source"]) == (None, None, "PROVIDER_KEY")
    assert nodes[2]["occurredAt"] == iso(2026, 1, 31, 9, 57)
    assert len({n["id"] for n in nodes}) == 3


async def test_records_page_through_without_gaps_or_repeats(acme, gateway, clock):
    key_id = (await create_key(acme))["apiKey"]["id"]
    await gateway.usage({"events": [{"keyId": key_id, "requestId": f"r{i:02}", "cost": "0.001"} for i in range(7)]})
    clock.advance(seconds=1)
    await gateway.usage({"events": [{"keyId": key_id, "requestId": f"s{i:02}", "cost": "0.001"} for i in range(5)]})

    seen, after, pages = [], None, 0
    while True:
        connection = (await usage_of(acme, key_id, first=5, after=after))["usageRecords"]
        seen += [edge["node"]["requestId"] for edge in connection["edges"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 12
    assert set(seen[:5]) <= {f"s{i:02}" for i in range(5)}  # the later ones come first


async def test_both_sources_count_toward_usage_the_window_and_the_summary(acme, gateway, clock):
    created = await create_key(acme, recurringLimit={"amount": "1", "window": {"value": 1, "unit": "DAY"}})
    key_id = created["apiKey"]["id"]
    await gateway.usage({"events": [
        {"keyId": key_id, "requestId": "c1", "cost": "0.25", "source": "CREDITS"},
        {"keyId": key_id, "requestId": "p1", "cost": "0.5", "source": "PROVIDER_KEY"},
        {"keyId": key_id, "requestId": "c2", "cost": "0.25"},
    ]})
    key = await usage_of(acme, key_id)
    assert key["usage"] == "1"
    assert key["currentPeriod"]["usage"] == "1" and key["currentPeriod"]["remaining"] == "0"
    summary = key["usageSummary"]
    assert (summary["total"], summary["requests"]) == ("1", 3)
    assert summary["bySource"] == [
        {"source": "CREDITS", "amount": "0.5", "requests": 2},
        {"source": "PROVIDER_KEY", "amount": "0.5", "requests": 1},
    ]
    # by default the last 30 UTC days, today (and what was just recorded) included
    assert len(summary["byDay"]) == 30
    assert summary["byDay"][-1] == {"day": "2026-01-31", "amount": "1", "requests": 3}
    assert (await gateway.authorize(key=created["secret"], model="openai/gpt-4o"))["code"] == "PERIOD_USAGE_EXCEEDED"


async def test_summary_by_day_covers_every_day_of_the_range(acme, gateway, clock):
    key_id = (await create_key(acme))["apiKey"]["id"]
    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "1.5"})
    clock.advance(days=2)
    await gateway.usage({"keyId": key_id, "requestId": "b", "cost": "0.5"})
    summary = (await usage_of(acme, key_id, **{"from": "2026-01-30T00:00:00Z", "to": "2026-02-03T00:00:00Z"}))["usageSummary"]
    assert summary["byDay"] == [
        {"day": "2026-01-30", "amount": "0", "requests": 0},
        {"day": "2026-01-31", "amount": "1.5", "requests": 1},
        {"day": "2026-02-01", "amount": "0", "requests": 0},
        {"day": "2026-02-02", "amount": "0.5", "requests": 1},
    ]
    assert summary["total"] == "2"


async def test_a_retried_request_id_is_one_record(acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    event = {"keyId": key_id, "requestId": "req-1", "cost": "0.2"}
    assert (await gateway.usage(event))["results"] == [{"requestId": "req-1", "recorded": True}]
    assert (await gateway.usage({**event, "cost": "5"}))["results"] == [{"requestId": "req-1", "recorded": False}]
    key = await usage_of(acme, key_id)
    assert key["usage"] == "0.2"
    assert [e["node"]["cost"] for e in key["usageRecords"]["edges"]] == ["0.2"]


async def test_last_used_at_follows_recorded_usage(acme, gateway, clock):
    key_id = (await create_key(acme))["apiKey"]["id"]
    assert (await usage_of(acme, key_id))["lastUsedAt"] is None
    clock.advance(hours=2)
    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "0"})
    assert (await usage_of(acme, key_id))["lastUsedAt"] == iso(2026, 1, 31, 12)


async def test_another_organization_sees_no_usage(acme, rival, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "1"})
    assert (await rival.gql.run("ApiKeyUsage", id=key_id))["apiKey"] is None


async def test_a_summary_range_that_is_empty_or_too_long_is_a_clear_error(acme):
    key_id = (await create_key(acme))["apiKey"]["id"]
    for bounds, message in [
        ({"from": "2026-01-31T00:00:00Z", "to": "2026-01-30T00:00:00Z"}, "from must be before to"),
        ({"from": "2024-01-01T00:00:00Z", "to": "2026-01-30T00:00:00Z"}, "at most 366 days"),
    ]:
        response = await acme.gql.raw(
            "query($id: ID!, $from: DateTime, $to: DateTime) { apiKey(id: $id) { usageSummary(from: $from, to: $to) { total } } }",
            {"id": key_id, **bounds},
        )
        [error] = response.json()["errors"]
        assert message in error["message"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
