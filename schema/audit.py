"""The audit log as GraphQL types: events of one organization, newest first."""
from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from app import models
from app.domain import audit as audit_domain
from app.domain import ids
from app.domain.timeconv import from_micros
from app.services import audit as audit_service
from schema.enums import ActorKind, AuditAction
from schema.errors import query_guard
from schema.relay import Node, PageInfo


@strawberry.type(description="Who made a change.")
class AuditActor:
    kind: ActorKind = strawberry.field(description="A management token, the operator's CLI, or keyplane itself.")
    token_id: strawberry.ID | None = strawberry.field(description="The management token's id (as in `keyplane token list`); null for others.")
    label: str | None = strawberry.field(description="The management token's label when the change was made.")


@strawberry.type(description="One changed field, before and after, as strings (amounts as decimal strings).")
class AuditChange:
    field: str = strawberry.field(description="The field's name, as the API calls it.")
    before: str | None = strawberry.field(description="The value before the change; null when there was none.")
    after: str | None = strawberry.field(description="The value after the change; null when there is none.")


@strawberry.type(description="A change made through GraphQL or the CLI, written in the same transaction as the change.")
class AuditEvent(Node):
    id: strawberry.ID = strawberry.field(description="The event's global id.")
    occurred_at: datetime = strawberry.field(description="When the change was committed.")
    action: AuditAction = strawberry.field(description="What was done.")
    actor: AuditActor = strawberry.field(description="Who did it.")
    target_id: strawberry.ID | None = strawberry.field(description="The global id of the key, project, token or organization changed.")
    project_id: strawberry.ID | None = strawberry.field(description="The project of the object changed; null for organization-wide objects.")
    changes: list[AuditChange] = strawberry.field(description="Before and after of every field that changed; never a secret or a hash.")

    @classmethod
    def of(cls, row: models.AuditEvent) -> "AuditEvent":
        return cls(
            id=strawberry.ID(ids.encode("AuditEvent", row.id)),
            occurred_at=from_micros(row.occurred_at),
            action=AuditAction.from_domain(audit_domain.AuditAction(row.action)),
            actor=AuditActor(
                kind=ActorKind.from_domain(audit_domain.ActorKind(row.actor_kind)),
                token_id=None if row.actor_token_id is None else strawberry.ID(str(row.actor_token_id)),
                label=row.actor_label,
            ),
            target_id=None if row.target_id is None else strawberry.ID(row.target_id),
            project_id=None if row.project_id is None else strawberry.ID(ids.encode("Project", row.project_id)),
            changes=[AuditChange(field=c.field, before=c.before, after=c.after)
                     for c in audit_domain.changes_from_json(row.changes)],
        )


@strawberry.input(description="Which events to list; every given condition must hold.")
class AuditFilter:
    target_id: strawberry.ID | None = strawberry.field(default=None, description="Only events about this object (a global id).")
    project_id: strawberry.ID | None = strawberry.field(default=None, description="Only events in this project.")
    actions: list[AuditAction] | None = strawberry.field(default=None, description="Only events with one of these actions.")


@strawberry.type(description="An audit event in a page of events.")
class AuditEventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to get the events after this one.")
    node: AuditEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of audit events, newest first.")
class AuditEventConnection:
    edges: list[AuditEventEdge] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page is among all pages.")
    query: strawberry.Private[audit_service.AuditQuery]

    @strawberry.field(description="How many events the filter selects, over every page.")
    async def total_count(self, info: Info) -> int:
        return await audit_service.count_events(self.query)


def audit_query(org_id: int, filter: AuditFilter | None) -> audit_service.AuditQuery:
    """The service's query for a filter; an id that names no object of this organization matches nothing."""
    if filter is None:
        return audit_service.AuditQuery(org_id)
    project_id = None
    if filter.project_id is not None:
        project_id = ids.decode_as("Project", filter.project_id)
        if project_id is None:
            project_id = -1  # not a project id: nothing is in it
    actions = None if filter.actions is None else tuple(a.to_domain() for a in filter.actions)
    return audit_service.AuditQuery(org_id, target_id=filter.target_id, project_id=project_id, actions=actions)


async def audit_events(org_id: int, filter: AuditFilter | None, first: int | None, after: str | None) -> AuditEventConnection:
    query = audit_query(org_id, filter)
    with query_guard():
        page = await audit_service.events_page(query, first, after)
    return AuditEventConnection(
        edges=[AuditEventEdge(cursor=c, node=AuditEvent.of(row)) for c, row in zip(page.cursors, page.items)],
        page_info=PageInfo.of(page),
        query=query,
    )
