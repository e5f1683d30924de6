"""The audit log: every mutation writes exactly one event, in its own transaction, with the token
that made it and before/after of what changed; failures write none; reading is newest first,
filtered, paged and per organization; old events are pruned by the housekeeping."""
import json
from datetime import timedelta

import pytest

from app.domain.ids import encode
from app.domain.timeconv import to_micros
from app.services import tokens
from app.store import audit, sql
from tests.support.api import create_key
from tests.support.documents import document as named_document


async def events(tenant, **variables) -> list[dict]:
    data = await tenant.gql.run("AuditEvents", **variables)
    return [edge["node"] for edge in data["organization"]["auditEvents"]["edges"]]


async def event_count() -> int:
    return (await sql.fetch_one(sql.client(), "SELECT COUNT(*) AS n FROM audit_events"))["n"]


def changes_of(event) -> dict:
    return {c["field"]: (c["before"], c["after"]) for c in event["changes"]}


async def the_one_new_event(tenant, count_before: int) -> dict:
    assert await event_count() == count_before + 1, "a change must write exactly one event"
    return (await events(tenant, first=1))[0]


async def test_each_mutation_writes_one_event_with_its_actor_and_before_after(acme, clock):
    token_id = (await tokens.list_tokens(acme.org_id))[0].id
    actor = {"kind": "MANAGEMENT_TOKEN", "tokenId": str(token_id), "label": "tests"}

    n = await event_count()
    project = (await acme.gql.mutate("CreateProject", name="Backend"))["project"]
    event = await the_one_new_event(acme, n)
    assert (event["action"], event["targetId"], event["projectId"], event["actor"]) == (
        "PROJECT_CREATED", project["id"], project["id"], actor)
    assert changes_of(event) == {"name": (None, "Backend")}
    assert event["occurredAt"] == clock.now().isoformat()

    n = await event_count()
    created = await create_key(acme, name="prod", allTimeLimit="10",
                               recurringLimit={"amount": "2.5", "window": {"value": 1, "unit": "DAY"}},
                               iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai"]}])
    key_id, masked = created["apiKey"]["id"], created["apiKey"]["maskedKey"]
    event = await the_one_new_event(acme, n)
    assert (event["action"], event["targetId"], event["projectId"]) == ("KEY_CREATED", key_id, acme.project_id)
    assert changes_of(event) == {
        "name": (None, "prod"), "maskedKey": (None, masked), "enabled": (None, "true"), "allTimeLimit": (None, "10"),
        "recurringLimit": (None, "2.5"), "recurringWindow": (None, "1 DAY"),
        "iamRules": (None, json.dumps([{"type": "ALLOW_PROVIDERS", "values": ["openai"]}])),
    }

    steps = [
        ("RenameApiKey", dict(id=key_id, name="production"), "KEY_RENAMED", {"name": ("prod", "production")}),
        ("UpdateApiKeyLimits", dict(id=key_id, allTimeLimit="20.000000001", recurringLimit=None), "KEY_LIMITS_UPDATED",
         {"allTimeLimit": ("10", "20.000000001"), "recurringLimit": ("2.5", None), "recurringWindow": ("1 DAY", None)}),
        ("SetApiKeyEnabled", dict(id=key_id, enabled=False), "KEY_DISABLED", {"enabled": ("true", "false")}),
        ("SetApiKeyEnabled", dict(id=key_id, enabled=True, ttl={"value": 2, "unit": "DAY"}), "KEY_ENABLED",
         {"enabled": ("false", "true"), "expiresAt": (None, (clock.now() + timedelta(days=2)).isoformat().replace("+00:00", "Z"))}),
        ("SetApiKeyIamRules", dict(id=key_id, rules=[]), "KEY_IAM_RULES_UPDATED",
         {"iamRules": (json.dumps([{"type": "ALLOW_PROVIDERS", "values": ["openai"]}]), None)}),
    ]
    for document, fields, action, expected in steps:
        n = await event_count()
        payload = await acme.gql.mutate(document, **fields)
        assert payload["errors"] == [], payload
        event = await the_one_new_event(acme, n)
        assert (event["action"], event["targetId"], event["projectId"], event["actor"]) == (
            action, key_id, acme.project_id, actor), document
        assert changes_of(event) == expected, document

    n = await event_count()
    rolled = await acme.gql.mutate("RollApiKey", id=key_id, gracePeriod={"value": 1, "unit": "HOUR"})
    event = await the_one_new_event(acme, n)
    assert event["action"] == "KEY_ROLLED"
    assert changes_of(event) == {
        "maskedKey": (masked, rolled["apiKey"]["maskedKey"]),
        "previousKeyExpiresAt": (None, (clock.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")),
    }
    assert rolled["secret"][3:] not in json.dumps(event) and created["secret"][3:] not in json.dumps(event)

    n = await event_count()
    await acme.gql.mutate("DeleteApiKey", id=key_id)
    event = await the_one_new_event(acme, n)
    assert event["action"] == "KEY_DELETED" and changes_of(event)["name"] == ("production", None)
    assert changes_of(event)["maskedKey"] == (rolled["apiKey"]["maskedKey"], None)


@pytest.mark.parametrize("document,fields", [
    ("RenameApiKey", dict(name="   ")),
    ("RenameApiKey", dict(name="prod")),  # the same name: nothing changed
    ("UpdateApiKeyLimits", dict(allTimeLimit="-1")),
    ("UpdateApiKeyLimits", dict(allTimeLimit="5")),  # the same limit
    ("SetApiKeyEnabled", dict(enabled=True)),  # already enabled
    ("SetApiKeyEnabled", dict(enabled=False, ttl={"value": 1, "unit": "DAY"})),
    ("SetApiKeyIamRules", dict(rules=[{"type": "ALLOW_MODELS", "values": ["no/such-model"]}])),
    ("RollApiKey", dict(gracePeriod={"value": 31, "unit": "DAY"})),
    ("DeleteApiKey", dict(id="QXBpS2V5Ojk5OQ")),
])
async def test_a_refused_or_empty_change_writes_no_event(acme, document, fields):
    key_id = (await create_key(acme, name="prod", allTimeLimit="5"))["apiKey"]["id"]
    n = await event_count()
    await acme.gql.mutate(document, **{"id": key_id, **fields})
    assert await event_count() == n


async def test_refused_creations_write_no_event(acme):
    for _ in range(5):  # FREE: five keys per project
        await create_key(acme)
    n = await event_count()
    assert (await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="sixth"))["errors"]
    assert (await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name=""))["errors"]
    assert (await acme.gql.mutate("CreateProject", name=""))["errors"]
    assert await event_count() == n


async def test_a_change_whose_event_cannot_be_written_is_rolled_back(acme, monkeypatch):
    created = await create_key(acme, name="prod")
    key_id = created["apiKey"]["id"]
    n = await event_count()

    async def broken(tx, **_):
        raise RuntimeError("the audit insert failed")

    monkeypatch.setattr(audit, "record", broken)
    for document, fields in [("RenameApiKey", dict(name="other")), ("DeleteApiKey", {}),
                             ("RollApiKey", {}), ("SetApiKeyEnabled", dict(enabled=False))]:
        response = await acme.gql.raw(named_document(document), {"input": {"id": key_id, **fields}})
        assert response.json()["errors"][0]["message"] == "Internal error."
    monkeypatch.undo()
    key = (await acme.gql.run("ApiKey", id=key_id))["apiKey"]
    assert (key["name"], key["status"], key["maskedKey"]) == ("prod", "ACTIVE", created["apiKey"]["maskedKey"])
    assert await event_count() == n


async def test_events_are_newest_first_filtered_and_paged(acme):
    a = (await create_key(acme, name="a"))["apiKey"]["id"]
    b = (await create_key(acme, name="b"))["apiKey"]["id"]
    for i in range(3):
        await acme.gql.mutate("RenameApiKey", id=a, name=f"a{i}")
    await acme.gql.mutate("RenameApiKey", id=b, name="b1")
    other = (await acme.gql.mutate("CreateProject", name="Other"))["project"]["id"]

    everything = await events(acme)
    # the fixture's organization, token and project came first
    assert [e["action"] for e in everything] == [
        "PROJECT_CREATED", "KEY_RENAMED", "KEY_RENAMED", "KEY_RENAMED", "KEY_RENAMED", "KEY_CREATED", "KEY_CREATED",
        "PROJECT_CREATED", "TOKEN_CREATED", "PLAN_CHANGED"]
    # pages of 2 through the whole log: every event once, in the same order
    seen, after = [], None
    while True:
        data = (await acme.gql.run("AuditEvents", first=2, after=after))["organization"]["auditEvents"]
        assert data["totalCount"] == 10
        seen += [edge["node"]["id"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == [e["id"] for e in everything]

    of_a = (await acme.gql.run("AuditEvents", filter={"targetId": a}))["organization"]["auditEvents"]
    assert of_a["totalCount"] == 4 and [changes_of(e["node"])["name"][1] for e in of_a["edges"]] == ["a2", "a1", "a0", "a"]
    renames = await events(acme, filter={"targetId": a, "actions": ["KEY_RENAMED"]})
    assert len(renames) == 3
    in_project = await events(acme, filter={"projectId": acme.project_id})
    assert len(in_project) == 7 and all(e["projectId"] == acme.project_id for e in in_project)
    assert [e["targetId"] for e in await events(acme, filter={"projectId": other})] == [other]
    assert await events(acme, filter={"actions": ["KEY_DELETED"]}) == []
    node = (await acme.gql.execute("query($id: ID!) { node(id: $id) { ... on AuditEvent { action targetId } } }",
                                   {"id": everything[-4]["id"]}))["node"]
    assert node == {"action": "KEY_CREATED", "targetId": a}


async def test_a_bad_cursor_is_refused(acme):
    response = await acme.gql.raw("{ organization { auditEvents(after: \"nope\") { totalCount } } }")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_organization_sees_only_its_own_events(acme, rival):
    key_id = (await create_key(acme))["apiKey"]["id"]
    await acme.gql.mutate("RenameApiKey", id=key_id, name="secretive")
    await create_key(rival)
    mine = await events(acme)
    for flt in (None, {"targetId": key_id}, {"projectId": acme.project_id}, {"actions": ["KEY_RENAMED", "KEY_CREATED"]}):
        theirs = await events(rival, filter=flt)
        assert all(e["targetId"] != key_id and e["projectId"] != acme.project_id for e in theirs), flt
    assert len(await events(rival, filter={"targetId": key_id})) == 0
    for event in mine:
        found = await rival.gql.execute("query($id: ID!) { node(id: $id) { id } }", {"id": event["id"]})
        assert found["node"] is None


async def test_housekeeping_prunes_events_past_their_retention_in_bounded_batches(app, acme, clock):
    key_id = (await create_key(acme))["apiKey"]["id"]
    clock.advance(days=200)
    await acme.gql.mutate("RenameApiKey", id=key_id, name="recent")
    clock.advance(days=200)  # the first two events are now 400 days old, the rename 200
    await app.state.housekeeping()
    left = await events(acme)
    assert [e["action"] for e in left] == ["KEY_RENAMED"]

    # a backlog larger than one run's bound is worked off over several runs, oldest first
    old = to_micros(clock.now()) - 400 * 86_400_000_000
    for i in range(25):
        await sql.execute(sql.client(), "INSERT INTO audit_events (org_id, occurred_at, action, actor_kind, changes)"
                          " VALUES (?, ?, 'KEY_RENAMED', 'OPERATOR', '[]')", [acme.org_id, old + i])
    assert await audit.prune(sql.client(), to_micros(clock.now()) - 365 * 86_400_000_000, batch=4, max_batches=3) == 12
    assert await event_count() == 1 + 13
    assert await audit.prune(sql.client(), to_micros(clock.now()) - 365 * 86_400_000_000, batch=4, max_batches=10) == 13
    assert [e["action"] for e in await events(acme)] == ["KEY_RENAMED"]


async def test_retention_comes_from_the_environment():
    from app.settings import Settings

    assert Settings.from_env({}).audit_retention_days == 365
    assert Settings.from_env({"KEYPLANE_AUDIT_RETENTION_DAYS": "30"}).audit_retention_days == 30
    assert encode("AuditEvent", 1)  # a Node type of its own
