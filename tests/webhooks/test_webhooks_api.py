"""Webhooks through GraphQL: create (the secret shown once), update, delete, list, each audited
without the secret; bad input refused with typed errors and nothing changed; no secret logged."""
from __future__ import annotations

import logging

from standardwebhooks import Webhook

from app import logs
from app.logs import configure_logging
from tests.support.api import create_key
from tests.webhooks.conftest import ALL_EVENTS, add_webhook


async def webhooks_of(tenant) -> list[dict]:
    """The project's webhooks, without their latest deliveries."""
    hooks = (await tenant.gql.run("ProjectWebhooks", projectId=tenant.project_id))["project"]["webhooks"]
    return [{k: v for k, v in hook.items() if k != "deliveries"} for hook in hooks]


async def audit_of(tenant, n: int) -> list[dict]:
    edges = (await tenant.gql.run("AuditEvents", first=n))["organization"]["auditEvents"]["edges"]
    return [edge["node"] for edge in edges]


async def test_create_update_delete_each_audited_and_the_secret_only_in_the_create_payload(acme, receiver):
    created = await acme.gql.mutate("CreateWebhook", projectId=acme.project_id, url=receiver.url(),
                                    events=["KEY_LIMIT_REACHED", "KEY_USAGE_THRESHOLD"], description=" alerts ")
    assert created["errors"] == []
    hook, secret = created["webhook"], created["secret"]
    Webhook(secret)  # a secret the Standard Webhooks libraries accept
    assert hook["events"] == ["KEY_LIMIT_REACHED", "KEY_USAGE_THRESHOLD"] and hook["enabled"] is True
    assert hook["description"] == "alerts"
    assert await webhooks_of(acme) == [hook]

    updated = await acme.gql.mutate("UpdateWebhook", id=hook["id"], enabled=False, events=["KEY_DELETED"], description=None)
    assert updated["errors"] == []
    assert (updated["webhook"]["enabled"], updated["webhook"]["events"], updated["webhook"]["description"]) == (
        False, ["KEY_DELETED"], None)
    assert updated["webhook"]["url"] == receiver.url()
    deleted = await acme.gql.mutate("DeleteWebhook", id=hook["id"])
    assert deleted == {"deletedId": hook["id"], "errors": []}
    assert await webhooks_of(acme) == []

    events = await audit_of(acme, 3)
    assert [(e["action"], e["targetId"], e["projectId"]) for e in events] == [
        ("WEBHOOK_DELETED", hook["id"], acme.project_id), ("WEBHOOK_UPDATED", hook["id"], acme.project_id),
        ("WEBHOOK_CREATED", hook["id"], acme.project_id)]
    assert {c["field"]: (c["before"], c["after"]) for c in events[1]["changes"]} == {
        "events": ("KEY_LIMIT_REACHED,KEY_USAGE_THRESHOLD", "KEY_DELETED"), "enabled": ("true", "false"),
        "description": ("alerts", None)}
    assert all(secret not in str(e) and secret[6:] not in str(e) for e in events)


async def test_bad_input_is_refused_with_every_problem_and_nothing_is_created(acme):
    payload = await acme.gql.mutate("CreateWebhook", projectId=acme.project_id, url="ftp://x", events=[],
                                    description="d" * 201)
    assert payload["webhook"] is None and payload["secret"] is None
    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == [
        ("VALIDATION", "description"), ("VALIDATION", "events"), ("VALIDATION", "url")]
    assert await webhooks_of(acme) == []
    missing = await acme.gql.mutate("CreateWebhook", projectId="nope", url="https://93.184.216.34/", events=ALL_EVENTS)
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", "projectId")]


async def test_a_refused_update_changes_nothing(acme, receiver):
    hook = await add_webhook(acme, receiver)
    refused = await acme.gql.mutate("UpdateWebhook", id=hook["id"], url="http://93.184.216.34/", enabled=False)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", "url")]
    assert await webhooks_of(acme) == [hook]
    assert (await audit_of(acme, 1))[0]["action"] == "WEBHOOK_CREATED"


async def test_no_webhook_secret_is_logged_at_debug(acme, gateway, receiver, deliver, caplog):
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("DEBUG")
    logging.getLogger().addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        hook = await add_webhook(acme, receiver)
        receiver.answers.append(500)
        key = (await create_key(acme, allTimeLimit="1"))["apiKey"]
        await gateway.usage({"keyId": key["id"], "requestId": "r1", "cost": "2"})
        await deliver()
        await acme.gql.mutate("UpdateWebhook", id=hook["id"], description="x")
    finally:
        # back to the logging the test started with: keyplane's writer thread stops here, so no line
        # of a later test is queued in it
        root.removeHandler(caplog.handler)
        logs._stop_listener()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    assert len(receiver.received) == 2
    text = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records
    assert receiver.secret not in text and receiver.secret[6:] not in text
    assert "/hook" not in text  # nor the receiver's URL (it may carry a token)
