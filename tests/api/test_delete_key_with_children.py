"""Deleting a key that has IAM rules, usage records or a usage window: SQLite counts the rows its
ON DELETE CASCADE removes as changes too, which once made such deletes answer NOT_FOUND."""
import pytest

from tests.support.api import create_key

WINDOW = {"amount": "1", "window": {"value": 1, "unit": "DAY"}}


@pytest.mark.parametrize("fields, usage", [
    ({"iamRules": [{"type": "ALLOW_PROVIDERS", "values": ["openai"]}]}, False),
    ({}, True),
    ({"recurringLimit": WINDOW, "iamRules": [{"type": "DENY_PRICING", "values": ["FREE"]}]}, True),
])
async def test_a_key_with_rules_or_usage_can_be_deleted(acme, gateway, fields, usage):
    key = (await create_key(acme, name="k", **fields))["apiKey"]
    if usage:
        await gateway.usage({"keyId": key["id"], "requestId": "r1", "cost": "0.1"})
    payload = (await acme.gql.run("DeleteApiKey", input={"id": key["id"]}))["deleteApiKey"]
    assert payload == {"deletedId": key["id"], "errors": []}
    assert (await acme.gql.run("ApiKey", id=key["id"]))["apiKey"] is None
    project = (await acme.gql.run("ProjectApiKeys", projectId=acme.project_id))["project"]
    assert project["keyCount"] == 0 and project["apiKeys"]["edges"] == []
