"""The API key lifecycle through the client documents: create, read, rename, enable/disable, delete."""
import re
from datetime import timedelta

import pytest

from app.domain.timeconv import to_micros
from app.store import sql


async def create(tenant, **fields):
    fields.setdefault("projectId", tenant.project_id)
    fields.setdefault("name", "prod")
    return await tenant.gql.mutate("CreateApiKey", **fields)


async def key_count(tenant) -> int:
    data = await tenant.gql.run("ProjectApiKeys", projectId=tenant.project_id)
    return data["project"]["keyCount"]


async def test_create_shows_the_secret_once_and_stores_only_its_hash(acme):
    payload = await create(acme, name="  production  ")
    assert payload["errors"] == []
    secret, key = payload["secret"], payload["apiKey"]
    assert re.fullmatch(r"kp_[0-9A-Za-z]{43}", secret)
    assert key["name"] == "production"
    assert key["maskedKey"] == f"kp_{secret[3:7]}…{secret[-4:]}"
    assert key["status"] == "ACTIVE" and key["expiresAt"] is None and key["usage"] == "0"
    again = await acme.gql.run("ApiKey", id=key["id"])
    assert secret not in str(again)
    rows = await sql.fetch(sql.client(), "SELECT * FROM api_keys")
    assert all(secret not in str(value) and secret[3:] not in str(value) for row in rows for value in row.values())


async def test_secret_has_at_least_190_bits_of_entropy(acme):
    secrets = {(await create(acme, name=f"k{i}"))["secret"] for i in range(3)}
    assert len(secrets) == 3
    for secret in secrets:
        assert len(secret) - 3 >= 33  # 43 base62 characters hold 256 bits; 33 would already be 196


@pytest.mark.parametrize("name,message", [
    ("", "must not be empty"),
    ("   ", "must not be empty"),
    ("x" * 65, "at most 64"),
    ("bad\nname", "control characters"),
    ("bad\x00name", "control characters"),
    ("tab\tname", "control characters"),
])
async def test_bad_names_are_refused_and_nothing_is_created(acme, name, message):
    payload = await create(acme, name=name)
    assert payload["apiKey"] is None and payload["secret"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "name")]
    assert message in payload["errors"][0]["message"]
    assert await key_count(acme) == 0


async def test_a_64_character_name_is_fine(acme):
    payload = await create(acme, name="é" * 64)
    assert payload["errors"] == [] and payload["apiKey"]["name"] == "é" * 64


@pytest.mark.parametrize("ttl", [
    {"value": 0, "unit": "DAY"},
    {"value": -1, "unit": "HOUR"},
    {"value": 3651, "unit": "DAY"},
    {"value": 3650 * 24 + 1, "unit": "HOUR"},
    {"value": 3650 * 24 * 60 + 1, "unit": "MINUTE"},
])
async def test_bad_ttls_are_refused(acme, ttl):
    payload = await create(acme, ttl=ttl)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "ttl")]
    assert await key_count(acme) == 0


async def test_every_problem_of_an_input_is_reported_at_once(acme):
    payload = await create(acme, name="", ttl={"value": 0, "unit": "DAY"}, allTimeLimit="-1")
    assert {e["field"] for e in payload["errors"]} == {"name", "ttl", "allTimeLimit"}


async def test_ttl_sets_expiry_and_the_key_expires_by_the_clock(acme, clock):
    created = clock.now()
    payload = await create(acme, ttl={"value": 3650, "unit": "DAY"})
    assert payload["errors"] == []
    key = (await create(acme, name="short", ttl={"value": 30, "unit": "MINUTE"}))["apiKey"]
    assert key["expiresAt"] == (created + timedelta(minutes=30)).isoformat()
    clock.advance(minutes=29, seconds=59)
    assert (await acme.gql.run("ApiKey", id=key["id"]))["apiKey"]["status"] == "ACTIVE"
    clock.advance(seconds=1)
    assert (await acme.gql.run("ApiKey", id=key["id"]))["apiKey"]["status"] == "EXPIRED"


async def test_filters_follow_the_status(acme, clock):
    active = (await create(acme, name="active"))["apiKey"]["id"]
    disabled = (await create(acme, name="disabled"))["apiKey"]["id"]
    expiring = (await create(acme, name="expiring", ttl={"value": 1, "unit": "HOUR"}))["apiKey"]["id"]
    await acme.gql.mutate("SetApiKeyEnabled", id=disabled, enabled=False)
    clock.advance(hours=2)

    async def ids(filter_):
        data = await acme.gql.run("ProjectApiKeys", projectId=acme.project_id, filter=filter_)
        return [edge["node"]["id"] for edge in data["project"]["apiKeys"]["edges"]]

    assert await ids("ACTIVE") == [active]
    assert await ids("INACTIVE") == [expiring, disabled]
    assert await ids("ALL") == [expiring, disabled, active]
    for filter_, expected in (("ACTIVE", 1), ("INACTIVE", 2), ("ALL", 3)):
        data = await acme.gql.run("ProjectApiKeys", projectId=acme.project_id, filter=filter_, first=1)
        assert data["project"]["apiKeys"]["totalCount"] == expected


async def test_enabling_an_expired_key_needs_a_fresh_ttl(acme, clock):
    key = (await create(acme, ttl={"value": 1, "unit": "HOUR"}))["apiKey"]
    clock.advance(hours=1)
    refused = await acme.gql.mutate("SetApiKeyEnabled", id=key["id"], enabled=True)
    assert refused["apiKey"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("TTL_REQUIRED", "ttl")]
    assert (await acme.gql.run("ApiKey", id=key["id"]))["apiKey"]["status"] == "EXPIRED"
    # disabling an expired key always works; it stays EXPIRED
    disabled = await acme.gql.mutate("SetApiKeyEnabled", id=key["id"], enabled=False)
    assert disabled["errors"] == [] and disabled["apiKey"]["status"] == "EXPIRED"
    enabled = await acme.gql.mutate("SetApiKeyEnabled", id=key["id"], enabled=True, ttl={"value": 2, "unit": "DAY"})
    assert enabled["errors"] == []
    assert enabled["apiKey"]["status"] == "ACTIVE"
    assert enabled["apiKey"]["expiresAt"] == (clock.now() + timedelta(days=2)).isoformat()


async def test_keys_without_ttl_or_with_a_future_one_toggle_freely(acme):
    plain = (await create(acme, name="plain"))["apiKey"]
    ttl = (await create(acme, name="ttl", ttl={"value": 5, "unit": "DAY"}))["apiKey"]
    for key in (plain, ttl):
        off = await acme.gql.mutate("SetApiKeyEnabled", id=key["id"], enabled=False)
        assert off["errors"] == [] and off["apiKey"]["status"] == "DISABLED"
        on = await acme.gql.mutate("SetApiKeyEnabled", id=key["id"], enabled=True)
        assert on["errors"] == [] and on["apiKey"]["status"] == "ACTIVE"
        assert on["apiKey"]["expiresAt"] == key["expiresAt"]


async def test_a_ttl_on_enable_sets_a_new_expiry_and_a_bad_one_changes_nothing(acme, clock):
    key = (await create(acme))["apiKey"]
    bad = await acme.gql.mutate("SetApiKeyEnabled", id=key["id"], enabled=True, ttl={"value": 0, "unit": "DAY"})
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("VALIDATION", "ttl")]
    assert (await acme.gql.run("ApiKey", id=key["id"]))["apiKey"]["expiresAt"] is None
    good = await acme.gql.mutate("SetApiKeyEnabled", id=key["id"], enabled=True, ttl={"value": 3, "unit": "HOUR"})
    assert good["apiKey"]["expiresAt"] == (clock.now() + timedelta(hours=3)).isoformat()


async def test_rename(acme):
    key = (await create(acme))["apiKey"]
    renamed = await acme.gql.mutate("RenameApiKey", id=key["id"], name=" staging ")
    assert renamed["errors"] == [] and renamed["apiKey"]["name"] == "staging"
    bad = await acme.gql.mutate("RenameApiKey", id=key["id"], name="")
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("VALIDATION", "name")]
    assert (await acme.gql.run("ApiKey", id=key["id"]))["apiKey"]["name"] == "staging"


async def test_delete_is_permanent_and_frees_the_slot(acme, gateway):
    payload = await create(acme)
    key_id, secret = payload["apiKey"]["id"], payload["secret"]
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "VALID"
    deleted = await acme.gql.mutate("DeleteApiKey", id=key_id)
    assert deleted == {"deletedId": key_id, "errors": []}
    assert (await acme.gql.run("ApiKey", id=key_id))["apiKey"] is None
    assert (await acme.gql.run("Node", id=key_id))["node"] is None
    assert await key_count(acme) == 0
    answer = await gateway.authorize(key=secret, model="openai/gpt-4o")
    assert answer["allowed"] is False and answer["code"] == "NOT_FOUND" and "keyId" not in answer
    again = await acme.gql.mutate("DeleteApiKey", id=key_id)
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"] and again["deletedId"] is None


async def test_pages_are_newest_first_and_capped_at_100(http, clock):
    from tests.conftest import make_tenant

    big = await make_tenant(http, clock, "big", plan="enterprise")
    names = [f"key-{i}" for i in range(105)]
    for name in names:
        clock.advance(seconds=1)
        assert (await create(big, name=name))["errors"] == []
    page = (await big.gql.run("ProjectApiKeys", projectId=big.project_id, first=3))["project"]["apiKeys"]
    assert [e["node"]["name"] for e in page["edges"]] == ["key-104", "key-103", "key-102"]
    assert page["pageInfo"]["hasNextPage"] is True and page["pageInfo"]["hasPreviousPage"] is False
    following = (await big.gql.run("ProjectApiKeys", projectId=big.project_id, first=2,
                                   after=page["pageInfo"]["endCursor"]))["project"]["apiKeys"]
    assert [e["node"]["name"] for e in following["edges"]] == ["key-101", "key-100"]
    assert following["pageInfo"]["hasPreviousPage"] is True
    capped = (await big.gql.run("ProjectApiKeys", projectId=big.project_id, first=1000))["project"]["apiKeys"]
    assert len(capped["edges"]) == 100 and capped["pageInfo"]["hasNextPage"] is True
    rest = (await big.gql.run("ProjectApiKeys", projectId=big.project_id, first=100,
                              after=capped["pageInfo"]["endCursor"]))["project"]["apiKeys"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["key-4", "key-3", "key-2", "key-1", "key-0"]
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("args", [{"first": -1}, {"after": "not-a-cursor"}])
async def test_bad_page_arguments_are_clear_errors(acme, args):
    response = await acme.gql.raw(
        "query($p: ID!, $first: Int, $after: String) { project(id: $p) { apiKeys(first: $first, after: $after) { edges { cursor } } } }",
        {"p": acme.project_id, **args},
    )
    body = response.json()
    assert response.status_code == 200
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Internal" not in body["errors"][0]["message"]


@pytest.mark.parametrize("bad_id", ["", "nonsense", "QXBpS2V5Ong", "UHJvamVjdDox", "QXBpS2V5Oi0x", "QXBpS2V5OjE5OTk5OTk5OTk5OTk5OTk5OTk5OTk"])
async def test_malformed_or_unknown_ids_are_not_found(acme, bad_id):
    await create(acme)
    assert (await acme.gql.run("ApiKey", id=bad_id))["apiKey"] is None
    if bad_id != acme.project_id:  # a project's id is a fine node, but not a key
        assert (await acme.gql.run("Node", id=bad_id))["node"] is None
    for operation, extra in [("RenameApiKey", {"name": "x"}), ("SetApiKeyEnabled", {"enabled": False}),
                             ("DeleteApiKey", {}), ("UpdateApiKeyLimits", {"allTimeLimit": "1"}),
                             ("SetApiKeyIamRules", {"rules": []})]:
        payload = await acme.gql.mutate(operation, id=bad_id, **extra)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "id")], operation
    created = await create(acme, projectId=bad_id if bad_id != acme.project_id else "QXBpS2V5OjE")
    assert [(e["code"], e["field"]) for e in created["errors"]] == [("NOT_FOUND", "projectId")]


async def test_projects(acme):
    created = await acme.gql.mutate("CreateProject", name="Second")
    assert created["errors"] == [] and created["project"]["name"] == "Second"
    assert created["project"]["keyCount"] == 0 and created["project"]["keyLimit"] == 5
    bad = await acme.gql.mutate("CreateProject", name=" ")
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("VALIDATION", "name")]
    org = (await acme.gql.run("Organization"))["organization"]
    assert org["name"] == "acme" and org["plan"] == "FREE"
    assert [p["name"] for p in org["projects"]] == ["Default", "Second"]


async def test_expiry_is_computed_from_the_process_clock(acme, clock):
    key = (await create(acme, ttl={"value": 1, "unit": "MINUTE"}))["apiKey"]
    rows = await sql.fetch(sql.client(), "SELECT expires_at, created_at FROM api_keys")
    assert rows[0]["created_at"] == to_micros(clock.now())
    assert rows[0]["expires_at"] == to_micros(clock.now() + timedelta(minutes=1))
    assert key["createdAt"] == clock.now().isoformat()
