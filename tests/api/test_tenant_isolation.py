"""Tenant isolation, generated from the schema: every query field and mutation that takes an
id, called by another organization with the victim's ids, answers null or NOT_FOUND and
changes nothing. A mutation added later is covered without editing this test."""
import json
from datetime import datetime, timezone

from graphql import (GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType,
                     get_named_type)

from app.domain.ids import decode, decode_as, encode
from app.store import sql
from schema.build import schema
from tests.conftest import backend

SDL = schema._schema
# tokens are left out: the attacker's own token records its (legitimate) last use
TABLES = ("organizations", "projects", "api_keys", "iam_rules", "usage_windows", "usage_records", "usage_rollups", "holds",
          "audit_events", "webhooks", "webhook_deliveries", "alert_firings",
          *(("usage_request_ids",) if backend() == "postgres" else ()))


async def snapshot() -> dict:
    state = {}
    for table in TABLES:
        rows = await sql.fetch(sql.client(), f"SELECT * FROM {table}")
        state[table] = sorted(tuple(sorted(row.items())) for row in rows)
    return state


def value_for(type_, field_name: str, victim: dict):
    """A valid value of an input type; ids are the victim's."""
    if isinstance(type_, GraphQLNonNull):
        return value_for(type_.of_type, field_name, victim)
    if isinstance(type_, GraphQLList):
        return []
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: value_for(field.type, name, victim)
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return {
        "ID": victim.get(field_name, victim["id"]),
        "String": "renamed",
        "Int": 1,
        "Boolean": False,
        "Decimal": "1",
        "DateTime": datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat(),
    }[type_.name]


def takes_an_id(type_) -> bool:
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType):
        return named.name == "ID"
    if isinstance(named, GraphQLInputObjectType):
        return any(takes_an_id(field.type) for field in named.fields.values())
    return False


async def victim_objects(acme, gateway) -> dict:
    created = await acme.gql.mutate(
        "CreateApiKey", projectId=acme.project_id, name="victim", allTimeLimit="10",
        recurringLimit={"amount": "5", "window": {"value": 1, "unit": "DAY"}},
        iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai"]}],
    )
    key = created["apiKey"]
    await gateway.usage({"keyId": key["id"], "requestId": "r1", "cost": "0.5"})
    await gateway.authorize(key=created["secret"], model="openai/gpt-4o", estimatedCost="0.1", requestId="r2")
    records = (await acme.gql.run("ApiKeyUsage", id=key["id"]))["apiKey"]["usageRecords"]["edges"]
    event = (await acme.gql.run("AuditEvents", first=1))["organization"]["auditEvents"]["edges"][0]["node"]["id"]
    hook = (await acme.gql.mutate("CreateWebhook", projectId=acme.project_id, url="https://93.184.216.34/hook",
                                  events=["KEY_USAGE_THRESHOLD", "KEY_LIMIT_REACHED", "KEY_ROLLED", "KEY_DELETED"]))["webhook"]
    await gateway.usage({"keyId": key["id"], "requestId": "r3", "cost": "4.5"})  # 5 of 5 a day: two alerts
    deliveries = (await acme.gql.run("WebhookDeliveries", id=hook["id"]))["node"]["deliveries"]["edges"]
    return {
        "id": key["id"],
        "projectId": acme.project_id,
        "all": [key["id"], acme.project_id, encode("Organization", acme.org_id), key["iamRules"][0]["id"],
                records[0]["node"]["id"], event, hook["id"]],
        "deliveryId": deliveries[0]["node"]["id"],
    }


def node_types() -> set[str]:
    return {type_.name for type_ in SDL.get_possible_types(SDL.type_map["Node"])}


async def test_the_victim_has_an_object_of_every_node_type(acme, gateway):
    victim = await victim_objects(acme, gateway)
    assert {decode(victim_id)[0] for victim_id in victim["all"]} == node_types()


async def test_every_query_field_with_an_id_is_blind_to_other_organizations(acme, rival, gateway):
    victim = await victim_objects(acme, gateway)
    before = await snapshot()
    checked = []
    for name, field in SDL.query_type.fields.items():
        if "id" not in field.args:
            continue
        for victim_id in victim["all"]:
            response = await rival.gql.raw(f"query($id: ID!) {{ {name}(id: $id) {{ __typename }} }}", {"id": victim_id})
            body = response.json()
            assert response.status_code == 200 and "errors" not in body, body
            assert body["data"][name] is None, (name, victim_id)
            checked.append(name)
    assert set(checked) >= {"project", "apiKey", "node"}
    assert await snapshot() == before


async def test_every_mutation_with_an_id_is_blind_to_other_organizations(acme, rival, gateway):
    victim = await victim_objects(acme, gateway)
    before = await snapshot()
    checked = []
    for name, field in SDL.mutation_type.fields.items():
        if not any(takes_an_id(arg.type) for arg in field.args.values()):
            continue
        # every victim id in turn: each mutation also meets the id of the very type it takes
        for victim_id in [*victim["all"], victim["deliveryId"]]:
            given = {**victim, "id": victim_id}
            variables = {arg_name: value_for(arg.type, arg_name, given) for arg_name, arg in field.args.items()}
            declared = ", ".join(f"${arg_name}: {arg.type}" for arg_name, arg in field.args.items())
            passed = ", ".join(f"{arg_name}: ${arg_name}" for arg_name in field.args)
            payload_type = get_named_type(field.type)
            results = [f for f in payload_type.fields if f != "errors"]
            query = f"mutation({declared}) {{ {name}({passed}) {{ errors {{ code field }} {' '.join(r if not hasattr(get_named_type(payload_type.fields[r].type), 'fields') else r + ' { __typename }' for r in results)} }} }}"
            response = await rival.gql.raw(query, variables)
            body = response.json()
            assert response.status_code == 200 and "errors" not in body, (name, body)
            payload = body["data"][name]
            assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"], (name, victim_id, payload)
            assert all(payload[r] is None for r in results), (name, payload)
        checked.append(name)
    assert set(checked) >= {"createApiKey", "updateApiKeyLimits", "setApiKeyEnabled", "renameApiKey",
                            "setApiKeyIamRules", "deleteApiKey", "createWebhook", "updateWebhook", "deleteWebhook",
                            "resendWebhookDelivery"}
    assert await snapshot() == before


async def test_the_victim_still_sees_its_own_objects(acme, rival, gateway):
    victim = await victim_objects(acme, gateway)
    for victim_id in victim["all"]:
        node = (await acme.gql.run("Node", id=victim_id))["node"]
        assert node is not None and node["id"] == victim_id, victim_id
    assert (await rival.gql.run("Organization"))["organization"]["projects"][0]["id"] != acme.project_id


async def test_the_audit_log_is_blind_to_other_organizations(acme, rival, gateway):
    victim = await victim_objects(acme, gateway)
    for victim_id in victim["all"]:
        for flt in ({"targetId": victim_id}, {"projectId": victim_id}, {"targetId": victim_id, "projectId": victim["projectId"]}):
            data = (await rival.gql.run("AuditEvents", filter=flt))["organization"]["auditEvents"]
            assert data["totalCount"] == 0 and data["edges"] == [], (flt, data)
    own = (await rival.gql.run("AuditEvents"))["organization"]["auditEvents"]["edges"]
    assert own and all(edge["node"]["projectId"] != victim["projectId"] for edge in own)


async def test_the_usage_export_is_blind_to_other_organizations(http, acme, rival, gateway):
    """HTTP, not GraphQL: another organization's key answers exactly as a key that never existed."""
    victim = await victim_objects(acme, gateway)
    before = await snapshot()

    async def export(token: str, key_id: str):
        return await http.get("/v1/export/usage", params={"keyId": key_id, "format": "ndjson"},
                              headers={"Authorization": f"Bearer {token}"})

    stolen = await export(rival.token, victim["id"])
    never = await export(rival.token, encode("ApiKey", 999_999))
    assert stolen.status_code == never.status_code == 404
    assert stolen.json() == never.json() and stolen.json()["error"]["code"] == "NOT_FOUND"
    own = await export(acme.token, victim["id"])
    recorded = await sql.fetch(sql.client(), "SELECT request_id FROM usage_records WHERE key_id = ? ORDER BY id",
                               [decode_as("ApiKey", victim["id"])])
    assert recorded and own.status_code == 200
    assert [json.loads(line)["requestId"] for line in own.text.splitlines()] == [r["request_id"] for r in recorded]
    assert await snapshot() == before
