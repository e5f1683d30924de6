"""Output types. Plain fields are filled when a type is built from its row (sync); only the
fields that need I/O are async, and those go through the request's DataLoaders."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from app import models
from app.domain import iam as iam_domain
from app.domain import ids
from app.domain.catalog import Offer
from app.domain.money import format_nanos
from app.domain.timeconv import from_micros, optional_from_micros, to_micros
from app.services import keys as key_service
from app.services import orgs, periods, projects as project_service, usage as usage_service
from app.services.paging import Page
from schema.enums import IamRuleType, KeyFilter, KeyStatus, Plan, Pricing, UsageSource, WindowUnit
from schema.scalars import Money


@strawberry.interface(description="An object with a global id (Relay).")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, page: Page) -> "PageInfo":
        return cls(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )


@strawberry.type
class Window:
    value: int
    unit: WindowUnit


@strawberry.type
class RecurringLimit:
    amount: Money
    window: Window


@strawberry.type
class Limits:
    all_time: Money | None
    recurring: RecurringLimit | None


@strawberry.type(description="The current recurring window of a key.")
class Period:
    started_at: datetime
    resets_at: datetime
    usage: Money
    limit: Money
    remaining: Money = strawberry.field(description="max(0, limit - usage)")


@strawberry.type
class IamRule(Node):
    id: strawberry.ID
    type: IamRuleType
    values: list[str]

    @classmethod
    def of(cls, rule: iam_domain.Rule) -> "IamRule":
        return cls(id=strawberry.ID(rule.id), type=rule.type, values=list(rule.values))


@strawberry.type
class UsageRecord(Node):
    id: strawberry.ID
    request_id: str
    occurred_at: datetime
    model: str | None
    provider: str | None
    cost: Money
    source: UsageSource

    @classmethod
    def of(cls, row: dict) -> "UsageRecord":
        return cls(
            id=strawberry.ID(ids.encode("UsageRecord", row["id"])),
            request_id=row["request_id"],
            occurred_at=from_micros(row["occurred_at"]),
            model=row["model"],
            provider=row["provider"],
            cost=Money(format_nanos(row["cost"])),
            source=UsageSource(row["source"]),
        )


@strawberry.type
class SourceTotal:
    source: UsageSource
    amount: Money
    requests: int


@strawberry.type
class DayTotal:
    day: str = strawberry.field(description="UTC date, YYYY-MM-DD")
    amount: Money
    requests: int


@strawberry.type(description="A key's spend over a range, by source and by UTC day (every day of the range).")
class UsageSummary:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    total: Money
    requests: int
    by_source: list[SourceTotal]
    by_day: list[DayTotal]

    @classmethod
    def of(cls, summary) -> "UsageSummary":
        return cls(
            from_=from_micros(summary.from_us),
            to=from_micros(summary.to_us),
            total=Money(format_nanos(summary.total)),
            requests=summary.requests,
            by_source=[
                SourceTotal(source=UsageSource(source), amount=Money(format_nanos(amount)), requests=count)
                for source, (amount, count) in sorted(summary.by_source.items())
            ],
            by_day=[
                DayTotal(day=from_micros(day).date().isoformat(), amount=Money(format_nanos(amount)), requests=count)
                for day, amount, count in summary.by_day
            ],
        )


@strawberry.type
class UsageRecordEdge:
    cursor: str
    node: UsageRecord


@strawberry.type
class UsageRecordConnection:
    edges: list[UsageRecordEdge]
    page_info: PageInfo


@strawberry.type(description="An API key of a project. Its secret is shown once, by createApiKey.")
class ApiKey(Node):
    id: strawberry.ID
    name: str
    masked_key: str = strawberry.field(description='"kp_" + first 4 + "…" + last 4 of the random part')
    status: KeyStatus
    expires_at: datetime | None = strawberry.field(description="null: never expires")
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(description="last authorization or recorded usage")
    usage: Money = strawberry.field(description="all-time tracked usage, every source")
    limits: Limits
    row: strawberry.Private[models.ApiKey]

    @classmethod
    def of(cls, row: models.ApiKey, now_us: int) -> "ApiKey":
        window = periods.window_of(row)
        return cls(
            id=strawberry.ID(ids.encode("ApiKey", row.id)),
            name=row.name,
            masked_key=row.masked_key,
            status=key_service.status_of(row, now_us),
            expires_at=optional_from_micros(row.expires_at),
            created_at=from_micros(row.created_at),
            last_used_at=optional_from_micros(row.last_used_at),
            usage=Money(format_nanos(row.usage)),
            limits=Limits(
                all_time=None if row.all_time_limit is None else Money(format_nanos(row.all_time_limit)),
                recurring=None if window is None else RecurringLimit(
                    amount=Money(format_nanos(row.recurring_amount)), window=Window(value=window.value, unit=window.unit)
                ),
            ),
            row=row,
        )

    @strawberry.field(description="The active recurring window; null when no recurring limit is set.")
    async def current_period(self, info: Info) -> Period | None:
        bounds = periods.bounds_of(self.row, info.context.now_us)
        if bounds is None:
            return None
        used = await info.context.loaders.window_usage.load((self.row.id, bounds.start_us))
        limit = self.row.recurring_amount
        return Period(
            started_at=from_micros(bounds.start_us),
            resets_at=from_micros(bounds.end_us),
            usage=Money(format_nanos(used)),
            limit=Money(format_nanos(limit)),
            remaining=Money(format_nanos(max(0, limit - used))),
        )

    @strawberry.field
    async def iam_rules(self, info: Info) -> list[IamRule]:
        return [IamRule.of(rule) for rule in await info.context.loaders.rules.load(self.row.id)]

    @strawberry.field
    async def has_iam_rules(self, info: Info) -> bool:
        return bool(await info.context.loaders.rules.load(self.row.id))

    @strawberry.field
    async def project(self, info: Info) -> Annotated["Project", strawberry.lazy("schema.types")]:
        return Project.of(await info.context.loaders.project.load(self.row.project_id), info.context)

    @strawberry.field(description="Spend over [from, to) by source and by UTC day; default: the last 30 days.")
    async def usage_summary(
        self, info: Info, from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> UsageSummary:
        from schema.errors import query_guard

        with query_guard():
            found = await usage_service.summary(
                self.row.id, info.context.now_us,
                None if from_ is None else to_micros(from_), None if to is None else to_micros(to),
            )
        return UsageSummary.of(found)

    @strawberry.field(description="Recorded usage of this key, newest first.")
    async def usage_records(self, info: Info, first: int | None = 50, after: str | None = None) -> UsageRecordConnection:
        from schema.errors import query_guard

        with query_guard():
            page = await usage_service.records_page(self.row.id, first, after)
        return UsageRecordConnection(
            edges=[UsageRecordEdge(cursor=c, node=UsageRecord.of(r)) for c, r in zip(page.cursors, page.items)],
            page_info=PageInfo.of(page),
        )


@strawberry.type
class ApiKeyEdge:
    cursor: str
    node: ApiKey


@strawberry.type
class ApiKeyConnection:
    edges: list[ApiKeyEdge]
    page_info: PageInfo
    project_row: strawberry.Private[models.Project]
    key_filter: strawberry.Private[KeyFilter]

    @strawberry.field(description="How many keys the filter selects, over every page.")
    async def total_count(self, info: Info) -> int:
        return await key_service.count_keys(self.project_row, info.context.clock, self.key_filter)


@strawberry.type
class Project(Node):
    id: strawberry.ID
    name: str
    created_at: datetime
    key_count: int = strawberry.field(description="keys that count against the plan: every key not deleted")
    key_limit: int | None = strawberry.field(description="null: no limit")
    can_create_key: bool
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
            can_create_key=limit is None or row.key_count < limit,
            row=row,
        )

    @strawberry.field(description="Keys of this project, newest first.")
    async def api_keys(
        self, info: Info, filter: KeyFilter | None = KeyFilter.ALL, first: int | None = 50, after: str | None = None
    ) -> ApiKeyConnection:
        from schema.errors import query_guard

        with query_guard():
            page = await key_service.list_keys(self.row, info.context.clock, filter or KeyFilter.ALL, first, after)
        now_us = info.context.now_us
        return ApiKeyConnection(
            edges=[ApiKeyEdge(cursor=c, node=ApiKey.of(row, now_us)) for c, row in zip(page.cursors, page.items)],
            page_info=PageInfo.of(page),
            project_row=self.row,
            key_filter=filter or KeyFilter.ALL,
        )


@strawberry.type
class Organization(Node):
    id: strawberry.ID
    name: str
    plan: Plan
    key_limit: int | None = strawberry.field(description="keys allowed per project; null: no limit")
    row: strawberry.Private[models.Organization]

    @strawberry.field
    async def projects(self, info: Info) -> list[Project]:
        return [Project.of(row, info.context) for row in await project_service.projects_of(self.row.id)]


@strawberry.type
class ModelOffer:
    provider: str
    input_price_per_million: Money
    output_price_per_million: Money
    pricing: Pricing

    @classmethod
    def of(cls, offer: Offer) -> "ModelOffer":
        return cls(
            provider=offer.provider,
            input_price_per_million=Money(format_nanos(offer.input_nanos)),
            output_price_per_million=Money(format_nanos(offer.output_nanos)),
            pricing=Pricing(offer.pricing),
        )


@strawberry.type(name="Model")
class CatalogModel:
    id: str
    offers: list[ModelOffer]


def organization_of(row: models.Organization) -> Organization:
    return Organization(
        id=strawberry.ID(ids.encode("Organization", row.id)),
        name=row.name,
        plan=Plan(row.plan),
        key_limit=orgs.org_key_limit(row),
        row=row,
    )
