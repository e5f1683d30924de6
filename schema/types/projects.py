"""Projects and the organization as GraphQL types: what a management token sees of its own
organization, a project's keys and its webhooks."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from app import models
from app.domain import ids, quota
from app.domain.timeconv import from_micros
from app.services import keys as key_service
from app.services import orgs, projects as project_service
from schema.audit import AuditEventConnection, AuditFilter, audit_events
from schema.enums import KeyFilter, Plan
from schema.errors import query_guard
from schema.relay import AFTER_ARGUMENT, FIRST_ARGUMENT, Node, PageInfo
from schema.types.keys import ApiKey, ApiKeyConnection, ApiKeyEdge
from schema.webhooks import Webhook, webhooks_of_project


@strawberry.type(description="A project of the organization; keys belong to a project.")
class Project(Node):
    id: strawberry.ID = strawberry.field(description="The project's global id.")
    name: str = strawberry.field(description="The project's name.")
    created_at: datetime = strawberry.field(description="When the project was created.")
    key_count: int = strawberry.field(description="Keys that count against the plan: every key not deleted")
    key_limit: int | None = strawberry.field(description="Keys the plan allows in this project; null: no limit")
    can_create_key: bool = strawberry.field(description="False when the project has as many keys as the plan allows.")
    row: strawberry.Private[models.Project]

    @classmethod
    def of(cls, row: models.Project, context) -> "Project":
        limit = context.key_limit()
        return cls(
            id=strawberry.ID(ids.encode("Project", row.id)),
            name=row.name,
            created_at=from_micros(row.created_at),
            key_count=row.key_count,
            key_limit=limit,
            can_create_key=quota.can_create(row.key_count, limit),
            row=row,
        )

    @strawberry.field(description="Keys of this project, newest first.")
    async def api_keys(
        self, info: Info,
        filter: Annotated[KeyFilter | None, strawberry.argument(description="Which keys: by status.")] = KeyFilter.ALL,
        first: Annotated[int | None, strawberry.argument(description=FIRST_ARGUMENT)] = 50,
        after: Annotated[str | None, strawberry.argument(description=AFTER_ARGUMENT)] = None,
    ) -> ApiKeyConnection:
        key_filter = (filter or KeyFilter.ALL).to_domain()
        with query_guard():
            page = await key_service.list_keys(self.row, info.context.clock, key_filter, first, after)
        now_us = info.context.now_us
        return ApiKeyConnection(
            edges=[ApiKeyEdge(cursor=c, node=ApiKey.of(row, now_us)) for c, row in zip(page.cursors, page.items)],
            page_info=PageInfo.of(page),
            project_row=self.row,
            key_filter=key_filter,
        )

    @strawberry.field(description="Webhooks of this project, oldest first.")
    async def webhooks(self, info: Info) -> list[Webhook]:
        return await webhooks_of_project(info, self.row.id)


@strawberry.type(description="The caller's organization: what a management token sees.")
class Organization(Node):
    id: strawberry.ID = strawberry.field(description="The organization's global id.")
    name: str = strawberry.field(description="The organization's name.")
    plan: Plan = strawberry.field(description="The organization's plan.")
    key_limit: int | None = strawberry.field(description="Keys allowed per project; null: no limit")
    row: strawberry.Private[models.Organization]

    @strawberry.field(description="The organization's projects, oldest first.")
    async def projects(self, info: Info) -> list[Project]:
        return [Project.of(row, info.context) for row in await project_service.projects_of(self.row.id)]

    @strawberry.field(description="Every change made to this organization's objects, newest first.")
    async def audit_events(
        self,
        filter: Annotated[AuditFilter | None,
                          strawberry.argument(description="Which events to list; all when left out.")] = None,
        first: Annotated[int | None, strawberry.argument(description="How many events per page (at most 100).")] = 50,
        after: Annotated[str | None, strawberry.argument(description="The cursor of the event to continue after.")] = None,
    ) -> AuditEventConnection:
        return await audit_events(self.row.id, filter, first, after)


def organization_of(row: models.Organization) -> Organization:
    return Organization(
        id=strawberry.ID(ids.encode("Organization", row.id)),
        name=row.name,
        plan=Plan.from_domain(quota.Plan(row.plan)),
        key_limit=orgs.org_key_limit(row),
        row=row,
    )
