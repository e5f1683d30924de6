"""alertThresholds on createApiKey, updateApiKeyLimits and ApiKey: default [80], 1–100, at most 5,
bad values refused with VALIDATION on the field and nothing changed."""
from __future__ import annotations

import pytest


async def create(tenant, **fields) -> dict:
    return await tenant.gql.mutate("CreateApiKey", projectId=tenant.project_id, name="k", **fields)


async def test_a_key_alerts_at_80_percent_unless_told_otherwise(acme):
    assert (await create(acme))["apiKey"]["alertThresholds"] == [80]
    assert (await create(acme, alertThresholds=[90, 50]))["apiKey"]["alertThresholds"] == [50, 90]
    assert (await create(acme, alertThresholds=[]))["apiKey"]["alertThresholds"] == []


@pytest.mark.parametrize("bad", [[0], [101], [-5], [10, 20, 30, 40, 50, 60], [50, 50]])
async def test_bad_thresholds_are_refused_and_nothing_is_created(acme, bad):
    payload = await create(acme, alertThresholds=bad)
    assert payload["apiKey"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "alertThresholds")]
    keys = (await acme.gql.run("ProjectApiKeys", projectId=acme.project_id))["project"]["apiKeys"]["edges"]
    assert keys == []


async def test_updating_thresholds_keeps_the_limits_and_null_restores_the_default(acme):
    key = (await create(acme, allTimeLimit="10"))["apiKey"]
    changed = await acme.gql.mutate("UpdateApiKeyLimits", id=key["id"], alertThresholds=[50, 100])
    assert changed["errors"] == [] and changed["apiKey"]["alertThresholds"] == [50, 100]
    assert changed["apiKey"]["limits"]["allTime"] == "10"
    refused = await acme.gql.mutate("UpdateApiKeyLimits", id=key["id"], alertThresholds=[1, 2, 3, 4, 5, 6], allTimeLimit="3")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", "alertThresholds")]
    again = (await acme.gql.run("ApiKey", id=key["id"]))["apiKey"]
    assert again["alertThresholds"] == [50, 100] and again["limits"]["allTime"] == "10"
    reset = await acme.gql.mutate("UpdateApiKeyLimits", id=key["id"], alertThresholds=None)
    assert reset["apiKey"]["alertThresholds"] == [80]


async def test_a_threshold_change_is_audited(acme):
    key = (await create(acme))["apiKey"]
    await acme.gql.mutate("UpdateApiKeyLimits", id=key["id"], alertThresholds=[50])
    event = (await acme.gql.run("AuditEvents", first=1))["organization"]["auditEvents"]["edges"][0]["node"]
    assert event["action"] == "KEY_LIMITS_UPDATED"
    assert [(c["field"], c["before"], c["after"]) for c in event["changes"]] == [("alertThresholds", None, "[50]")]
