"""GET /v1/export/usage: a key's records in [from, to), oldest first, as CSV or NDJSON, streamed in
batches; management tokens only, the caller's organization only; bad parameters are 400."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from app.domain.ids import encode
from app.services import export as export_service
from tests.support.api import create_key

UTC = timezone.utc


async def export(http, token: str, **params):
    return await http.get("/v1/export/usage", params=params, headers={"Authorization": f"Bearer {token}"})


async def record_over_hours(gateway, key_id: str, clock, count: int) -> list[str]:
    """``count`` events, one a minute from the key's creation on (clock moved past them); returns their ids in time order."""
    start = clock.now()
    clock.advance(minutes=count + 1)
    ids = [f"req-{i:05d}" for i in range(count)]
    for offset in range(0, count, 1000):
        await gateway.usage({"events": [
            {"keyId": key_id, "requestId": ids[i], "cost": f"0.{i + 1:09d}", "model": "openai/gpt-4o",
             "source": ("CREDITS", "PROVIDER_KEY")[i % 2], "occurredAt": (start + timedelta(minutes=i)).isoformat()}
            for i in range(offset, min(count, offset + 1000))]})
    return ids


async def test_csv_holds_exactly_the_records_in_range_oldest_first(http, acme, gateway, clock, monkeypatch):
    monkeypatch.setattr(export_service, "BATCH", 7)  # many batches: each page starts where the last ended
    start = clock.now()
    key_id = (await create_key(acme))["apiKey"]["id"]
    ids = await record_over_hours(gateway, key_id, clock, 60)
    response = await export(http, acme.token, keyId=key_id, **{"from": (start + timedelta(minutes=10)).isoformat(),
                                                              "to": (start + timedelta(minutes=50)).isoformat()})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["requestId"] for r in rows] == ids[10:50]
    first = rows[0]
    assert first == {"id": first["id"], "requestId": "req-00010", "occurredAt": (start + timedelta(minutes=10)).isoformat(),
                     "model": "openai/gpt-4o", "provider": "", "cost": "0.000000011", "source": "CREDITS"}


async def test_ndjson_without_a_range_holds_every_record_across_batches(http, acme, gateway, clock):
    key_id = (await create_key(acme))["apiKey"]["id"]
    ids = await record_over_hours(gateway, key_id, clock, 2500)  # more than two batches of 1000
    response = await export(http, acme.token, keyId=key_id, format="ndjson")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["requestId"] for line in lines] == ids
    assert lines[-1]["cost"] == "0.0000025" and lines[-1]["provider"] is None
    assert len({line["id"] for line in lines}) == 2500
    graphql_ids = {e["node"]["id"] for e in (await acme.gql.run("ApiKeyUsage", id=key_id, first=5))["apiKey"]["usageRecords"]["edges"]}
    assert graphql_ids <= {line["id"] for line in lines}  # the same ids as GraphQL's UsageRecord


async def test_an_empty_range_is_just_the_header(http, acme):
    key_id = (await create_key(acme))["apiKey"]["id"]
    response = await export(http, acme.token, keyId=key_id)
    assert response.status_code == 200
    assert response.text == "id,requestId,occurredAt,model,provider,cost,source\r\n"


@pytest.mark.parametrize("params, message", [
    ({}, "keyId is required"),
    ({"keyId": "nonsense"}, "keyId is not the id of an API key"),
    ({"keyId": encode("Project", 1)}, "keyId is not the id of an API key"),
    ({"from": "yesterday"}, "from must be an ISO 8601 date-time"),
    ({"to": "2026-01-31T10:00:00"}, "to must be an ISO 8601 date-time"),  # no offset
    ({"to": "9999-12-31T23:59:59-01:00"}, "to must be an ISO 8601 date-time"),
    ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from must be before to"),
    ({"format": "xlsx"}, "format must be csv or ndjson"),
])
async def test_bad_parameters_are_a_typed_400(http, acme, params, message):
    key_id = (await create_key(acme))["apiKey"]["id"]
    response = await export(http, acme.token, **{"keyId": key_id, **params} if params != {} else {})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST" and message in error["message"]


async def test_only_management_tokens_may_export(http, acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    assert (await export(http, gateway.token, keyId=key_id)).json()["error"]["code"] == "FORBIDDEN"
    missing = await http.get("/v1/export/usage", params={"keyId": key_id})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_a_deleted_key_is_not_found(http, acme, gateway):
    key_id = (await create_key(acme))["apiKey"]["id"]
    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "1"})
    assert (await acme.gql.mutate("DeleteApiKey", id=key_id))["errors"] == []
    response = await export(http, acme.token, keyId=key_id)
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
