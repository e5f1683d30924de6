"""Webhooks of a project: create (with a whsec_ secret shown once), update, delete, list, and their
delivery log; each change with its audit event, in its own transaction.

Look-ups come before validation, so another organization's project or webhook is NOT_FOUND
whatever else the input holds (it cannot be told apart from one that does not exist).
"""
from __future__ import annotations

import base64
import secrets as random
import unicodedata
from dataclasses import dataclass


from app import models
from app.domain import audit as audit_domain
from app.domain.alerts import EventType
from app.domain.audit import AuditAction
from app.domain.cursors import encode_cursor
from app.domain.ids import encode
from app.domain.timeconv import to_micros
from app.domain.webhook_urls import UrlRefused
from app.domain.webhooks import events_from_text, events_to_text
from app.services.audit import actor_of
from app.services.callers import Tenant
from app.services.errors import Problems, not_found
from app.services.paging import Page, after_position, page_size
from app.services.webhook_targets import Resolver, checked
from app.store import audit, changes, outbox
from app.store import webhooks as webhook_rows

UNCHANGED = object()
MAX_WEBHOOKS_PER_PROJECT = 20
MAX_DESCRIPTION = 200
SECRET_PREFIX = "whsec_"
DELIVERIES_PAGE = 20


@dataclass(frozen=True)
class CreatedWebhook:
    webhook: models.Webhook
    secret: str


def new_secret() -> str:
    """whsec_ + base64 of 32 random bytes: the Standard Webhooks form that its libraries accept."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(32)).decode()


def audited_fields(hook: models.Webhook) -> audit_domain.Fields:
    """What the audit log shows of a webhook: never its secret."""
    return {
        "url": hook.url,
        "events": ",".join(e.name for e in sorted(events_from_text(hook.events), key=lambda e: e.name)),
        "enabled": "true" if hook.enabled else "false",
        "description": hook.description,
    }


async def _record(tx, tenant: Tenant, action: AuditAction, hook: models.Webhook, before, after, now_us: int) -> None:
    await audit.record(tx, org_id=tenant.org_id, actor=actor_of(tenant), action=action,
                       target_id=encode("Webhook", hook.id), project_id=hook.project_id,
                       changes=audit_domain.diff(before, after), now_us=now_us)


async def _check_url(url: str, allow_private: bool, resolver: Resolver, problems: Problems) -> None:
    try:
        await checked(url, allow_private, resolver, unresolved_ok=True)
    except UrlRefused as exc:
        problems.validation("url", str(exc))


def _check_events(events: list[EventType], problems: Problems) -> None:
    if not events:
        problems.validation("events", "events must name at least one event type")


def _clean_description(raw: str | None, problems: Problems) -> str | None:
    if raw is None:
        return None
    text = raw.strip()
    if len(text) > MAX_DESCRIPTION or any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in text):
        problems.validation("description", f"description must be at most {MAX_DESCRIPTION} characters, no control characters")
    return text or None


async def get_webhook(tenant: Tenant, webhook_id: int | None) -> models.Webhook | None:
    if webhook_id is None:
        return None
    return await models.Webhook.get_or_none(id=webhook_id, org_id=tenant.org_id)


async def _webhook_or_refuse(tenant: Tenant, webhook_id: int | None) -> models.Webhook:
    hook = await get_webhook(tenant, webhook_id)
    if hook is None:
        raise not_found("id", "webhook")
    return hook


async def create_webhook(tenant: Tenant, clock, settings, resolver: Resolver, project_id: int | None, url: str,
                         events: list[EventType], description: str | None) -> CreatedWebhook:
    project = await models.Project.get_or_none(id=project_id, org_id=tenant.org_id) if project_id else None
    if project is None:
        raise not_found("projectId", "project")
    problems = Problems()
    await _check_url(url, settings.webhook_allow_private, resolver, problems)
    _check_events(events, problems)
    clean_description = _clean_description(description, problems)
    if await models.Webhook.filter(project_id=project.id).count() >= MAX_WEBHOOKS_PER_PROJECT:
        problems.validation("projectId", f"a project may have at most {MAX_WEBHOOKS_PER_PROJECT} webhooks")
    problems.raise_if_any()
    now_us = to_micros(clock.now())
    secret = new_secret()
    async with changes.write() as tx:
        hook = await models.Webhook.create(using_db=tx, org_id=tenant.org_id, project_id=project.id, url=url,
                                           events=events_to_text(events), enabled=True, description=clean_description,
                                           secret=secret, created_at=now_us)
        await _record(tx, tenant, AuditAction.WEBHOOK_CREATED, hook, None, audited_fields(hook), now_us)
    return CreatedWebhook(hook, secret)


async def update_webhook(tenant: Tenant, clock, settings, resolver: Resolver, webhook_id: int | None, *,
                         url=UNCHANGED, events=UNCHANGED, enabled=UNCHANGED, description=UNCHANGED) -> models.Webhook:
    """A field left UNCHANGED stays; ``description`` None removes it."""
    hook = await _webhook_or_refuse(tenant, webhook_id)
    problems = Problems()
    updates: dict = {}
    if url is not UNCHANGED:
        await _check_url(url, settings.webhook_allow_private, resolver, problems)
        updates["url"] = url
    if events is not UNCHANGED:
        _check_events(events, problems)
        updates["events"] = events_to_text(events)
    if enabled is not UNCHANGED:
        updates["enabled"] = bool(enabled)
    if description is not UNCHANGED:
        updates["description"] = _clean_description(description, problems)
    problems.raise_if_any()
    now_us = to_micros(clock.now())
    async with changes.write() as tx:
        # a write first (the row lock on PostgreSQL, the write lock on SQLite), then the read: the
        # audit's "before" is exactly what this change replaces
        if not await webhook_rows.lock_webhook(tx, hook.id, tenant.org_id):
            raise not_found("id", "webhook")
        current = await models.Webhook.filter(id=hook.id).using_db(tx).first()
        before = audited_fields(current)
        for column, value in updates.items():
            setattr(current, column, value)
        after = audited_fields(current)
        if after != before:
            await models.Webhook.filter(id=hook.id).using_db(tx).update(**updates)
            await _record(tx, tenant, AuditAction.WEBHOOK_UPDATED, current, before, after, now_us)
    return current


async def delete_webhook(tenant: Tenant, clock, webhook_id: int | None) -> int:
    """The webhook and its delivery log go; deliveries not yet made are dropped."""
    hook = await _webhook_or_refuse(tenant, webhook_id)
    now_us = to_micros(clock.now())
    async with changes.write() as tx:
        deleted = await models.Webhook.filter(id=hook.id, org_id=tenant.org_id).using_db(tx).delete()
        if deleted == 0:
            raise not_found("id", "webhook")
        await models.WebhookDelivery.filter(webhook_id=hook.id).using_db(tx).delete()
        await _record(tx, tenant, AuditAction.WEBHOOK_DELETED, hook, audited_fields(hook), None, now_us)
    return hook.id


async def webhooks_of_projects(org_id: int, project_ids: list[int]) -> dict[int, list[models.Webhook]]:
    """For the DataLoader: each project's webhooks, oldest first, in one query."""
    found: dict[int, list[models.Webhook]] = {pk: [] for pk in project_ids}
    for hook in await models.Webhook.filter(org_id=org_id, project_id__in=project_ids).order_by("id"):
        found[hook.project_id].append(hook)
    return found


def deliveries_page_args(first: int | None, after: str | None) -> tuple[int, tuple[int, ...] | None]:
    """The page size and the position after the cursor, or a VALIDATION refusal (no I/O: the
    GraphQL layer also runs this before any resolver, see schema/arguments.py)."""
    return page_size(first, DELIVERIES_PAGE), after_position("d", after, 1)


async def deliveries_page(webhook_id: int, first: int | None, after: str | None) -> Page[models.WebhookDelivery]:
    """A webhook's deliveries, newest first."""
    size, position = deliveries_page_args(first, after)
    query = models.WebhookDelivery.filter(webhook_id=webhook_id)
    if position is not None:
        query = query.filter(id__lt=position[0])
    rows = await query.order_by("-id").limit(size + 1)
    items = rows[:size]
    return Page(items=items, cursors=[encode_cursor("d", row.id) for row in items],
                has_next=len(rows) > size, has_previous=position is not None)


async def resend_delivery(tenant: Tenant, clock, delivery_id: int | None) -> models.WebhookDelivery:
    """Attempt a delivery again at once, with the same event id (receivers deduplicate by it)."""
    row = None
    if delivery_id is not None:
        row = await models.WebhookDelivery.get_or_none(id=delivery_id, org_id=tenant.org_id)
    if row is None:
        raise not_found("id", "webhook delivery")
    async with changes.write() as tx:
        await outbox.schedule_now(tx, row.id, to_micros(clock.now()))
    outbox.wake()
    return await models.WebhookDelivery.get(id=row.id)
