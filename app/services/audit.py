"""The audit log as tenants read it (newest first, filtered, paged), and who a caller is in it."""
from __future__ import annotations

from dataclasses import dataclass

from app import models
from app.domain.audit import Actor, ActorKind, AuditAction
from app.domain.cursors import encode_cursor
from app.services.callers import Tenant
from app.services.paging import Page, after_position, page_size


def actor_of(tenant: Tenant) -> Actor:
    return Actor(ActorKind.MANAGEMENT_TOKEN, tenant.token_id, tenant.label)


@dataclass(frozen=True)
class AuditQuery:
    org_id: int
    target_id: str | None = None
    project_id: int | None = None
    actions: tuple[AuditAction, ...] | None = None


def _filtered(query: AuditQuery):
    found = models.AuditEvent.filter(org_id=query.org_id)
    if query.target_id is not None:
        found = found.filter(target_id=query.target_id)
    if query.project_id is not None:
        found = found.filter(project_id=query.project_id)
    if query.actions is not None:
        found = found.filter(action__in=[a.value for a in query.actions])
    return found


def page_args(first: int | None, after: str | None) -> tuple[int, tuple[int, ...] | None]:
    """The page size and the position after the cursor, or a VALIDATION refusal (no I/O: the
    GraphQL layer also runs this before any resolver, see schema/arguments.py)."""
    return page_size(first), after_position("a", after, 1)


async def events_page(query: AuditQuery, first: int | None, after: str | None) -> Page[models.AuditEvent]:
    size, position = page_args(first, after)
    found = _filtered(query)
    if position is not None:
        found = found.filter(id__lt=position[0])
    rows = await found.order_by("-id").limit(size + 1)
    items = rows[:size]
    return Page(items=items, cursors=[encode_cursor("a", row.id) for row in items],
                has_next=len(rows) > size, has_previous=position is not None)


async def count_events(query: AuditQuery) -> int:
    return await _filtered(query).count()


async def get_event(tenant: Tenant, event_id: int | None) -> models.AuditEvent | None:
    if event_id is None:
        return None
    return await models.AuditEvent.get_or_none(id=event_id, org_id=tenant.org_id)
