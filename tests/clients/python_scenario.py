"""A caller's code: every operation of graphql/queries/ through the generated, installed
``keyplane_client``, as an integrator would write it. Typed throughout: test_python_client.py
runs ``mypy --strict`` over this file, so a client whose types do not fit its own use fails.

It only uses what the package exports and the standard library; the test gives it the clock and
the gateway's usage reports (both outside the GraphQL API) as callbacks."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from keyplane_client import (
    ActorKind,
    AuditAction,
    AuditFilter,
    CreateApiKeyInput,
    CreateProjectInput,
    CreateWebhookInput,
    DeleteApiKeyInput,
    DeleteWebhookInput,
    ErrorCode,
    IamRuleInput,
    IamRuleType,
    KeyFilter,
    KeyplaneClient,
    KeyStatus,
    NodeNodeApiKey,
    NodeNodeProject,
    RecurringLimitInput,
    RenameApiKeyInput,
    ResendWebhookDeliveryInput,
    RollApiKeyInput,
    SetApiKeyEnabledInput,
    SetApiKeyIamRulesInput,
    TtlInput,
    TtlUnit,
    UpdateApiKeyLimitsInput,
    UpdateWebhookInput,
    UsageSource,
    WebhookDeliveriesNodeWebhook,
    WebhookEventType,
    WindowInput,
    WindowUnit,
)
from keyplane_client.async_base_client import Response

AdvanceClock = Callable[[timedelta], None]
RecordUsage = Callable[[str, list[tuple[str, str, str]]], Awaitable[None]]  # key id, [(request id, cost, source)]


class RecordingClient(KeyplaneClient):
    """The generated client, remembering the name of every operation it sent."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(url=url, headers={"Authorization": f"Bearer {token}"})
        self.sent: list[str] = []

    async def execute(self, query: str, operation_name: str | None = None,
                      variables: dict[str, Any] | None = None, **kwargs: Any) -> Response:
        if operation_name is not None:
            self.sent.append(operation_name)
        return await super().execute(query, operation_name, variables, **kwargs)


async def run(client: KeyplaneClient, advance_clock: AdvanceClock, record_usage: RecordUsage) -> None:
    """Every operation at least once, checking what a user of the client would rely on."""
    organization = (await client.organization()).organization
    assert organization.name == "clients"

    created_project = (await client.create_project(CreateProjectInput(name="Python client"))).create_project
    assert created_project.errors == [] and created_project.project is not None
    project = created_project.project
    assert project.key_count == 0 and project.can_create_key

    # a key with a TTL, both limits (exact decimals, one with nine places) and IAM rules
    created = (await client.create_api_key(CreateApiKeyInput(
        project_id=project.id, name="production", ttl=TtlInput(value=30, unit=TtlUnit.DAY),
        all_time_limit=Decimal("50.000000001"),
        recurring_limit=RecurringLimitInput(amount=Decimal("1E+1"), window=WindowInput(value=1, unit=WindowUnit.DAY)),
        iam_rules=[IamRuleInput(type_=IamRuleType.ALLOW_PROVIDERS, values=["openai"])],
    ))).create_api_key
    assert created.errors == [] and created.api_key is not None and created.secret is not None
    assert created.secret.startswith("kp_")
    key = created.api_key
    assert key.status is KeyStatus.ACTIVE
    assert key.limits.all_time == Decimal("50.000000001")
    assert key.limits.recurring is not None and key.limits.recurring.amount == Decimal("10")
    assert key.expires_at is not None and key.expires_at - key.created_at == timedelta(days=30)
    assert key.created_at.utcoffset() == timedelta(0)
    assert [(rule.type_, rule.values) for rule in key.iam_rules] == [(IamRuleType.ALLOW_PROVIDERS, ["openai"])]

    # a refused input comes back as typed errors in the payload, with nothing created
    refused = (await client.create_api_key(CreateApiKeyInput(project_id=project.id, name="  "))).create_api_key
    assert refused.api_key is None and refused.secret is None
    assert [(error.code, error.field) for error in refused.errors] == [(ErrorCode.VALIDATION, "name")]

    fetched = (await client.api_key(key.id)).api_key
    assert fetched is not None and fetched.name == "production" and fetched.project.id == project.id
    node = (await client.node(key.id)).node
    assert isinstance(node, NodeNodeApiKey) and node.name == "production"
    project_node = (await client.node(project.id)).node
    assert isinstance(project_node, NodeNodeProject) and project_node.name == "Python client"

    await limits_can_be_changed_and_removed(client, key.id)
    await rules_are_replaced(client, key.id)
    await renamed(client, key.id)
    short_lived = await the_ttl_rule(client, project.id, advance_clock)
    await pages_through(client, project.id)
    await usage_details(client, key.id, record_usage)
    hook_id = await webhook_created(client, project.id)
    await rolled_and_audited(client, key.id, project.id)
    await webhook_log(client, hook_id)

    deleted = (await client.delete_api_key(DeleteApiKeyInput(id=short_lived))).delete_api_key
    assert deleted.errors == [] and deleted.deleted_id == short_lived
    assert (await client.api_key(short_lived)).api_key is None
    listed = (await client.project_api_keys(project.id)).project
    assert listed is not None and listed.key_count == 4 and short_lived not in [e.node.id for e in listed.api_keys.edges]
    again = (await client.delete_api_key(DeleteApiKeyInput(id=short_lived))).delete_api_key
    assert again.deleted_id is None and [error.code for error in again.errors] == [ErrorCode.NOT_FOUND]
    used = (await client.delete_api_key(DeleteApiKeyInput(id=key.id))).delete_api_key  # with usage records
    assert used.errors == [] and used.deleted_id == key.id


async def webhook_created(client: KeyplaneClient, project_id: str) -> str:
    """A webhook for key events; its signing secret comes once, in the create payload."""
    created = (await client.create_webhook(CreateWebhookInput(
        project_id=project_id, url="https://93.184.216.34/keyplane", events=[WebhookEventType.KEY_ROLLED],
        description="rotations"))).create_webhook
    assert created.errors == [] and created.webhook is not None and created.secret is not None
    assert created.secret.startswith("whsec_") and created.webhook.enabled
    refused = (await client.create_webhook(CreateWebhookInput(
        project_id=project_id, url="http://93.184.216.34/", events=[WebhookEventType.KEY_ROLLED]))).create_webhook
    assert refused.webhook is None and [(e.code, e.field) for e in refused.errors] == [(ErrorCode.VALIDATION, "url")]
    updated = (await client.update_webhook(UpdateWebhookInput(
        id=created.webhook.id, events=[WebhookEventType.KEY_ROLLED, WebhookEventType.KEY_DELETED]))).update_webhook
    assert updated.webhook is not None and updated.webhook.description == "rotations"  # left out: kept
    assert set(updated.webhook.events) == {WebhookEventType.KEY_ROLLED, WebhookEventType.KEY_DELETED}
    listed = (await client.project_webhooks(project_id)).project
    assert listed is not None and [hook.id for hook in listed.webhooks] == [created.webhook.id]
    return created.webhook.id


async def webhook_log(client: KeyplaneClient, hook_id: str) -> None:
    """The roll wrote a delivery (this server delivers nothing: it waits in the log); resend and delete."""
    found = (await client.webhook_deliveries(hook_id)).node
    assert isinstance(found, WebhookDeliveriesNodeWebhook)
    (edge,) = found.deliveries.edges
    assert edge.node.event_type is WebhookEventType.KEY_ROLLED and edge.node.attempts == 0
    assert edge.node.delivered_at is None and edge.node.next_attempt_at is not None
    resent = (await client.resend_webhook_delivery(ResendWebhookDeliveryInput(id=edge.node.id))).resend_webhook_delivery
    assert resent.errors == [] and resent.delivery is not None and resent.delivery.event_id == edge.node.event_id
    deleted = (await client.delete_webhook(DeleteWebhookInput(id=hook_id))).delete_webhook
    assert deleted.errors == [] and deleted.deleted_id == hook_id
    assert (await client.project_webhooks(found.id)).project is None  # a webhook id is not a project's


async def rolled_and_audited(client: KeyplaneClient, key_id: str, project_id: str) -> None:
    """A roll keeps the key (id, usage, limits) with a new secret; the audit log names it."""
    before = (await client.api_key(key_id)).api_key
    assert before is not None
    rolled = (await client.roll_api_key(RollApiKeyInput(
        id=key_id, grace_period=TtlInput(value=1, unit=TtlUnit.HOUR)))).roll_api_key
    assert rolled.errors == [] and rolled.api_key is not None and rolled.secret is not None
    assert rolled.secret.startswith("kp_") and rolled.api_key.masked_key != before.masked_key
    assert rolled.api_key.id == key_id and rolled.api_key.usage == before.usage
    assert rolled.api_key.limits.all_time == before.limits.all_time
    too_long = (await client.roll_api_key(RollApiKeyInput(
        id=key_id, grace_period=TtlInput(value=31, unit=TtlUnit.DAY)))).roll_api_key
    assert too_long.secret is None and [(e.code, e.field) for e in too_long.errors] == [(ErrorCode.VALIDATION, "gracePeriod")]

    rolls = (await client.audit_events(filter_=AuditFilter(target_id=key_id, actions=[AuditAction.KEY_ROLLED]))).organization
    assert rolls.audit_events.total_count == 1  # the refused roll wrote nothing
    (edge,) = rolls.audit_events.edges
    assert edge.node.actor.kind is ActorKind.MANAGEMENT_TOKEN and edge.node.project_id == project_id
    assert {change.field for change in edge.node.changes} >= {"maskedKey", "previousKeyExpiresAt"}
    everything = (await client.audit_events(filter_=AuditFilter(project_id=project_id), first=2)).organization
    assert everything.audit_events.total_count > 2 and everything.audit_events.page_info.has_next_page
    newest = [e.node.occurred_at for e in everything.audit_events.edges]
    assert newest == sorted(newest, reverse=True)


async def limits_can_be_changed_and_removed(client: KeyplaneClient, key_id: str) -> None:
    """A field left out stays as it is; a field given as None is sent as null and removes the limit."""
    changed = (await client.update_api_key_limits(UpdateApiKeyLimitsInput(
        id=key_id, all_time_limit=Decimal("0.000000001")))).update_api_key_limits
    assert changed.errors == [] and changed.api_key is not None
    assert changed.api_key.limits.all_time == Decimal("0.000000001")
    assert changed.api_key.limits.recurring is not None  # left out: kept

    removed = (await client.update_api_key_limits(UpdateApiKeyLimitsInput(
        id=key_id, recurring_limit=None))).update_api_key_limits
    assert removed.errors == [] and removed.api_key is not None
    assert removed.api_key.limits.recurring is None and removed.api_key.current_period is None
    assert removed.api_key.limits.all_time == Decimal("0.000000001")

    negative = (await client.update_api_key_limits(UpdateApiKeyLimitsInput(
        id=key_id, all_time_limit=Decimal("-1")))).update_api_key_limits
    assert negative.api_key is None and [error.code for error in negative.errors] == [ErrorCode.VALIDATION]

    restored = (await client.update_api_key_limits(UpdateApiKeyLimitsInput(
        id=key_id, all_time_limit=None,
        recurring_limit=RecurringLimitInput(amount=Decimal("2.5"), window=WindowInput(value=1, unit=WindowUnit.WEEK)),
    ))).update_api_key_limits
    assert restored.api_key is not None and restored.api_key.limits.all_time is None
    assert restored.api_key.current_period is not None
    assert restored.api_key.current_period.limit == Decimal("2.5")
    assert restored.api_key.current_period.resets_at - restored.api_key.current_period.started_at == timedelta(weeks=1)


async def rules_are_replaced(client: KeyplaneClient, key_id: str) -> None:
    replaced = (await client.set_api_key_iam_rules(SetApiKeyIamRulesInput(id=key_id, rules=[
        IamRuleInput(type_=IamRuleType.ALLOW_MODELS, values=["openai/*"]),
        IamRuleInput(type_=IamRuleType.DENY_PRICING, values=["FREE"]),
    ]))).set_api_key_iam_rules
    assert replaced.errors == [] and replaced.api_key is not None
    assert sorted((rule.type_.value, tuple(rule.values)) for rule in replaced.api_key.iam_rules) == [
        ("ALLOW_MODELS", ("openai/*",)), ("DENY_PRICING", ("FREE",))]

    unknown = (await client.set_api_key_iam_rules(SetApiKeyIamRulesInput(id=key_id, rules=[
        IamRuleInput(type_=IamRuleType.ALLOW_PROVIDERS, values=["no-such-provider"])]))).set_api_key_iam_rules
    assert unknown.api_key is None and [error.code for error in unknown.errors] == [ErrorCode.UNKNOWN_PROVIDER]

    cleared = (await client.set_api_key_iam_rules(SetApiKeyIamRulesInput(id=key_id, rules=[]))).set_api_key_iam_rules
    assert cleared.api_key is not None and cleared.api_key.iam_rules == [] and not cleared.api_key.has_iam_rules

    catalog = await client.catalog()
    assert "openai" in catalog.providers
    assert all(offer.input_price_per_million >= 0 for model in catalog.models for offer in model.offers)


async def renamed(client: KeyplaneClient, key_id: str) -> None:
    renamed = (await client.rename_api_key(RenameApiKeyInput(id=key_id, name="  billing  "))).rename_api_key
    assert renamed.errors == [] and renamed.api_key is not None and renamed.api_key.name == "billing"
    too_long = (await client.rename_api_key(RenameApiKeyInput(id=key_id, name="x" * 65))).rename_api_key
    assert too_long.api_key is None and [(e.code, e.field) for e in too_long.errors] == [(ErrorCode.VALIDATION, "name")]


async def the_ttl_rule(client: KeyplaneClient, project_id: str, advance_clock: AdvanceClock) -> str:
    """An expired key comes back only with a new TTL; disabling always works."""
    created = (await client.create_api_key(CreateApiKeyInput(
        project_id=project_id, name="short-lived", ttl=TtlInput(value=1, unit=TtlUnit.HOUR)))).create_api_key
    assert created.api_key is not None
    key_id = created.api_key.id

    disabled = (await client.set_api_key_enabled(SetApiKeyEnabledInput(id=key_id, enabled=False))).set_api_key_enabled
    assert disabled.api_key is not None and disabled.api_key.status is KeyStatus.DISABLED
    enabled = (await client.set_api_key_enabled(SetApiKeyEnabledInput(id=key_id, enabled=True))).set_api_key_enabled
    assert enabled.api_key is not None and enabled.api_key.status is KeyStatus.ACTIVE

    advance_clock(timedelta(hours=2))
    expired = (await client.api_key(key_id)).api_key
    assert expired is not None and expired.status is KeyStatus.EXPIRED
    refused = (await client.set_api_key_enabled(SetApiKeyEnabledInput(id=key_id, enabled=True))).set_api_key_enabled
    assert refused.api_key is None and [error.code for error in refused.errors] == [ErrorCode.TTL_REQUIRED]
    revived = (await client.set_api_key_enabled(SetApiKeyEnabledInput(
        id=key_id, enabled=True, ttl=TtlInput(value=7, unit=TtlUnit.DAY)))).set_api_key_enabled
    assert revived.errors == [] and revived.api_key is not None and revived.api_key.status is KeyStatus.ACTIVE
    assert revived.api_key.expires_at is not None and expired.expires_at is not None
    assert revived.api_key.expires_at - expired.expires_at == timedelta(days=7, hours=1)
    return key_id


async def pages_through(client: KeyplaneClient, project_id: str) -> None:
    """Every key exactly once, newest first, over pages of two; ``filter_`` is GraphQL's ``filter``."""
    for number in range(3):
        made = (await client.create_api_key(CreateApiKeyInput(project_id=project_id, name=f"batch-{number}"))).create_api_key
        assert made.errors == []
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        project = (await client.project_api_keys(project_id, filter_=KeyFilter.ALL, first=2, after=after)).project
        assert project is not None
        connection = project.api_keys
        seen += [edge.node.name for edge in connection.edges]
        pages += 1
        if not connection.page_info.has_next_page:
            break
        after = connection.page_info.end_cursor
    total = project.api_keys.total_count
    assert pages == 3 and len(seen) == total == 5 and len(set(seen)) == 5
    assert seen[:3] == ["batch-2", "batch-1", "batch-0"]

    inactive = (await client.project_api_keys(project_id, filter_=KeyFilter.INACTIVE)).project
    assert inactive is not None and inactive.api_keys.total_count == 0


async def usage_details(client: KeyplaneClient, key_id: str, record_usage: RecordUsage) -> None:
    """Amounts come back exact, as Decimal; DateTime arguments go out with their offset."""
    await record_usage(key_id, [("r-1", "0.000000001", "CREDITS"), ("r-2", "1.25", "PROVIDER_KEY"),
                                ("r-3", "0.1", "CREDITS")])
    everything = (await client.api_key_usage(key_id, first=2)).api_key
    assert everything is not None
    assert everything.usage == Decimal("1.350000001")
    assert everything.usage_summary.total == Decimal("1.350000001") and everything.usage_summary.requests == 3
    by_source = {row.source: row.amount for row in everything.usage_summary.by_source}
    assert by_source == {UsageSource.CREDITS: Decimal("0.100000001"), UsageSource.PROVIDER_KEY: Decimal("1.25")}
    records = everything.usage_records
    assert len(records.edges) == 2 and records.page_info.has_next_page and records.page_info.end_cursor is not None
    rest = (await client.api_key_usage(key_id, first=2, after=records.page_info.end_cursor)).api_key
    assert rest is not None and not rest.usage_records.page_info.has_next_page
    request_ids = {edge.node.request_id for edge in records.edges + rest.usage_records.edges}
    assert request_ids == {"r-1", "r-2", "r-3"}
    assert sum((edge.node.cost for edge in records.edges + rest.usage_records.edges), Decimal(0)) == Decimal("1.350000001")

    occurred = records.edges[0].node.occurred_at
    later = (await client.api_key_usage(key_id, from_=occurred + timedelta(days=1),
                                        to=occurred + timedelta(days=2))).api_key
    assert later is not None and later.usage_summary.total == Decimal(0) and later.usage_summary.requests == 0
    around = (await client.api_key_usage(key_id, from_=occurred - timedelta(days=1),
                                         to=occurred + timedelta(days=1))).api_key
    assert around is not None and around.usage_summary.total == Decimal("1.350000001")
