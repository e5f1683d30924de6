"""Plan quota: keys per project by plan, the operator's override, and concurrent creates."""
import asyncio

from app.services import orgs
from tests.conftest import make_tenant


async def create(tenant, name="k"):
    return await tenant.gql.mutate("CreateApiKey", projectId=tenant.project_id, name=name)


async def project(tenant):
    return (await tenant.gql.run("ProjectApiKeys", projectId=tenant.project_id))["project"]


async def test_free_plan_allows_five_keys_per_project(acme, clock):
    for i in range(5):
        assert (await create(acme, f"k{i}"))["errors"] == []
    full = await project(acme)
    assert (full["keyCount"], full["keyLimit"], full["canCreateKey"]) == (5, 5, False)
    refused = await create(acme, "sixth")
    assert refused["apiKey"] is None and refused["secret"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("KEY_LIMIT_REACHED", "projectId")]
    assert (await project(acme))["keyCount"] == 5


async def test_disabled_and_expired_keys_count_deleting_frees_a_slot(acme, clock):
    ids = [(await create(acme, f"k{i}"))["apiKey"]["id"] for i in range(4)]
    await acme.gql.mutate("SetApiKeyEnabled", id=ids[0], enabled=False)
    await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="ttl", ttl={"value": 1, "unit": "MINUTE"})
    clock.advance(minutes=5)
    assert [e["code"] for e in (await create(acme))["errors"]] == ["KEY_LIMIT_REACHED"]
    await acme.gql.mutate("DeleteApiKey", id=ids[1])
    assert (await project(acme))["canCreateKey"] is True
    assert (await create(acme))["errors"] == []


async def test_limits_by_plan_and_override(http, clock):
    pro = await make_tenant(http, clock, "pro-org", plan="pro")
    enterprise = await make_tenant(http, clock, "ent-org", plan="enterprise")
    custom = await make_tenant(http, clock, "custom-org", plan="free", key_limit=2)
    assert (await project(pro))["keyLimit"] == 20
    assert (await project(enterprise))["keyLimit"] == 500
    assert (await project(custom))["keyLimit"] == 2
    for i in range(2):
        assert (await create(custom, f"k{i}"))["errors"] == []
    assert [e["code"] for e in (await create(custom))["errors"]] == ["KEY_LIMIT_REACHED"]
    await orgs.set_plan(clock, "custom-org", "pro")
    assert (await project(custom))["keyLimit"] == 20
    assert (await create(custom))["errors"] == []
    organization = (await custom.gql.run("Organization"))["organization"]
    assert organization["plan"] == "PRO"


async def test_the_limit_is_per_project(acme):
    for i in range(5):
        await create(acme, f"k{i}")
    other = (await acme.gql.mutate("CreateProject", name="Other"))["project"]
    created = await acme.gql.mutate("CreateApiKey", projectId=other["id"], name="k")
    assert created["errors"] == []


async def test_concurrent_creates_never_pass_the_limit(acme):
    results = await asyncio.gather(*(create(acme, f"k{i}") for i in range(20)))
    created = [r for r in results if r["errors"] == []]
    refused = [r for r in results if r["errors"]]
    assert len(created) == 5
    assert {e["code"] for r in refused for e in r["errors"]} == {"KEY_LIMIT_REACHED"}
    data = await acme.gql.run("ProjectApiKeys", projectId=acme.project_id)
    assert data["project"]["keyCount"] == 5 and len(data["project"]["apiKeys"]["edges"]) == 5
