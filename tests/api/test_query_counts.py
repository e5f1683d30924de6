"""DataLoaders at work: a page of keys with every field costs the same number of SQL queries,
whether it holds 1 key or 100."""
import pytest

from tests.conftest import make_tenant
from tests.support.queries import QueryCounter


async def page_cost(tenant, monkeypatch) -> int:
    counter = QueryCounter(monkeypatch)
    data = await tenant.gql.run("ProjectApiKeys", projectId=tenant.project_id, first=100)
    assert data["project"]["apiKeys"]["edges"]
    monkeypatch.undo()
    return counter.count


@pytest.mark.parametrize("keys", [1, 100])
async def test_a_page_of_keys_costs_a_constant_number_of_queries(app, http, clock, gateway, monkeypatch, keys):
    tenant = await make_tenant(http, clock, f"org{keys}", plan="enterprise")
    for i in range(keys):
        created = await tenant.gql.mutate(
            "CreateApiKey", projectId=tenant.project_id, name=f"k{i}", allTimeLimit="10",
            recurringLimit={"amount": "1", "window": {"value": 1, "unit": "DAY"}},
            iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai"]}],
        )
        await gateway.usage({"keyId": created["apiKey"]["id"], "requestId": "r", "cost": "0.1"})
    await app.state.change_feed.stop()  # its polls would be counted too
    # the organization, the project, the page, its count, the rules, the window usage
    assert await page_cost(tenant, monkeypatch) == 6
