"""Output types. Plain fields are filled when a type is built from its row (sync); only the
fields that need I/O are async, and those go through the request's DataLoaders."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from app import models
from app.domain import alerts, decision, quota
from app.domain import iam as iam_domain
from app.domain import ids
from app.domain.catalog import Offer
from app.domain.money import format_nanos
from app.domain.timeconv import from_micros, optional_from_micros, to_micros
from app.services import keys as key_service
from app.services import orgs, periods, projects as project_service, usage as usage_service
from schema.audit import AuditEventConnection, AuditFilter, audit_events
from schema.enums import IamRuleType, KeyFilter, KeyStatus, Plan, Pricing, UsageSource, WindowUnit
from schema.errors import query_guard
from schema.relay import Node, PageInfo
from schema.scalars import Money

FIRST_ARGUMENT = "How many items per page: at most 100 (more is capped); not negative."
AFTER_ARGUMENT = "The endCursor of the previous page; absent: the first page."
FROM_ARGUMENT = "Start of the range (inclusive); default: 29 UTC days before the day of to."
TO_ARGUMENT = "End of the range (exclusive); default: the end of today (UTC). At most 366 days after from."


@strawberry.type(description="The length of a recurring limit's window: value of unit.")
class Window:
    value: int = strawberry.field(description="How many units.")
    unit: WindowUnit = strawberry.field(description="The unit.")


@strawberry.type(description="A limit on spend per window; windows run back to back from when it was set.")
class RecurringLimit:
    amount: Money = strawberry.field(description="The most a key may spend in one window, in US dollars.")
    window: Window = strawberry.field(description="The length of each window.")


@strawberry.type(description="A key's spending limits.")
class Limits:
    all_time: Money | None = strawberry.field(description="The most the key may ever spend; null: no limit.")
    recurring: RecurringLimit | None = strawberry.field(description="The limit per recurring window; null: none.")


@strawberry.type(description="The current recurring window of a key.")
class Period:
    started_at: datetime = strawberry.field(description="When the window began.")
    resets_at: datetime = strawberry.field(description="When the window ends and the next one starts with zero usage.")
    usage: Money = strawberry.field(description="Spend recorded in this window.")
    limit: Money = strawberry.field(description="The recurring limit's amount.")
    remaining: Money = strawberry.field(description="Max(0, limit - usage)")


@strawberry.type(description="A rule restricting which models, providers or pricing a key may use.")
class IamRule(Node):
    id: strawberry.ID = strawberry.field(description="The rule's global id.")
    type: IamRuleType = strawberry.field(description="What the rule matches, and whether it allows or denies.")
    values: list[str] = strawberry.field(description="Model ids (openai/* for a prefix), provider ids, or FREE/PAID.")

    @classmethod
    def of(cls, rule: iam_domain.Rule) -> "IamRule":
        return cls(id=strawberry.ID(rule.id), type=rule.type, values=list(rule.values))


@strawberry.type(description="The recorded cost of one gateway request.")
class UsageRecord(Node):
    id: strawberry.ID = strawberry.field(description="The record's global id.")
    request_id: str = strawberry.field(description="The gateway's request id (recorded once per key).")
    occurred_at: datetime = strawberry.field(description="When the request happened (the gateway's occurredAt, or arrival).")
    model: str | None = strawberry.field(description="The model id, when the gateway sent it.")
    provider: str | None = strawberry.field(description="The provider id, when the gateway sent it.")
    cost: Money = strawberry.field(description="What the request cost, in US dollars.")
    source: UsageSource = strawberry.field(description="Who paid for it.")

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


@strawberry.type(description="Spend of one source over a summary's range.")
class SourceTotal:
    source: UsageSource = strawberry.field(description="The source.")
    amount: Money = strawberry.field(description="Its spend, in US dollars.")
    requests: int = strawberry.field(description="Its number of recorded requests.")


@strawberry.type(description="Spend of one UTC day of a summary's range: days are UTC, the sum of their 24 hours.")
class DayTotal:
    day: str = strawberry.field(description="UTC date, YYYY-MM-DD")
    amount: Money = strawberry.field(description="The day's spend, in US dollars.")
    requests: int = strawberry.field(description="The day's number of recorded requests.")


@strawberry.type(description="A key's spend over a range, by source and by UTC day (every day of the range). Read from hourly rollups: it covers all recorded usage, also usage whose records are past their retention.")
class UsageSummary:
    from_: datetime = strawberry.field(name="from", description="Start of the range (inclusive), on a whole UTC hour.")
    to: datetime = strawberry.field(description="End of the range (exclusive), on a whole UTC hour.")
    total: Money = strawberry.field(description="Spend over the range, in US dollars.")
    requests: int = strawberry.field(description="Recorded requests over the range.")
    by_source: list[SourceTotal] = strawberry.field(description="Spend per source that has any.")
    by_day: list[DayTotal] = strawberry.field(description="Spend per UTC day, every day of the range, oldest first.")

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


@strawberry.type(description="A usage record in a page, with its cursor.")
class UsageRecordEdge:
    cursor: str = strawberry.field(description="Pass it as after to get the records after this one.")
    node: UsageRecord = strawberry.field(description="The record.")


@strawberry.type(description="A page of a key's usage records, newest first (Relay).")
class UsageRecordConnection:
    edges: list[UsageRecordEdge] = strawberry.field(description="The page's records.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")


@strawberry.type(description="An API key of a project. Its secret is shown once, by createApiKey.")
class ApiKey(Node):
    id: strawberry.ID = strawberry.field(description="The key's global id (the gateway's keyId).")
    name: str = strawberry.field(description="The key's name, 1 to 64 characters.")
    masked_key: str = strawberry.field(description='The masked secret: "kp_" + first 4 + "…" + last 4 of the random part')
    status: KeyStatus = strawberry.field(description="Whether the key may be used now.")
    expires_at: datetime | None = strawberry.field(description="When the key expires; null: never expires")
    created_at: datetime = strawberry.field(description="When the key was created.")
    last_used_at: datetime | None = strawberry.field(description="The last authorization or recorded usage; null: never used")
    usage: Money = strawberry.field(description="All-time tracked usage, every source")
    limits: Limits = strawberry.field(description="The key's spending limits.")
    previous_key_expires_at: datetime | None = strawberry.field(
        description="When the previous secret stops working; null when there is none.")
    alert_thresholds: list[int] = strawberry.field(
        description="Percentages of each limit at which KEY_USAGE_THRESHOLD fires (KEY_LIMIT_REACHED fires at 100% always).")
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
            previous_key_expires_at=optional_from_micros(key_service.previous_key_valid_until(row, now_us)),
            alert_thresholds=list(alerts.thresholds_from_text(row.alert_thresholds)),
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
            remaining=Money(format_nanos(decision.remaining(limit, used))),
        )

    @strawberry.field(description="The key's IAM rules, in the order they were set; empty: everything is allowed.")
    async def iam_rules(self, info: Info) -> list[IamRule]:
        return [IamRule.of(rule) for rule in await info.context.loaders.rules.load(self.row.id)]

    @strawberry.field(description="True when the key has any IAM rule.")
    async def has_iam_rules(self, info: Info) -> bool:
        return bool(await info.context.loaders.rules.load(self.row.id))

    @strawberry.field(description="The project the key belongs to.")
    async def project(self, info: Info) -> Annotated["Project", strawberry.lazy("schema.types")]:
        return Project.of(await info.context.loaders.project.load(self.row.project_id), info.context)

    @strawberry.field(description="Spend over [from, to) by source and by day; days are UTC. Default: the last 30 days. Usage is summed per UTC hour: a range that does not start or end on a whole hour is widened to the hours it overlaps (the summary's from and to say which).")
    async def usage_summary(
        self, info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from", description=FROM_ARGUMENT)] = None,
        to: Annotated[datetime | None, strawberry.argument(description=TO_ARGUMENT)] = None,
    ) -> UsageSummary:
        with query_guard():
            found = await usage_service.summary(
                self.row.id, info.context.now_us,
                None if from_ is None else to_micros(from_), None if to is None else to_micros(to),
            )
        return UsageSummary.of(found)

    @strawberry.field(description="Recorded usage of this key, newest first. Records are kept for the usage retention (KEYPLANE_USAGE_RETENTION_DAYS, 90 days by default) and then pruned; usage, the current period and usageSummary still count them.")
    async def usage_records(
        self, info: Info, first: Annotated[int | None, strawberry.argument(description=FIRST_ARGUMENT)] = 50,
        after: Annotated[str | None, strawberry.argument(description=AFTER_ARGUMENT)] = None,
    ) -> UsageRecordConnection:
        with query_guard():
            page = await usage_service.records_page(self.row.id, first, after)
        return UsageRecordConnection(
            edges=[UsageRecordEdge(cursor=c, node=UsageRecord.of(r)) for c, r in zip(page.cursors, page.items)],
            page_info=PageInfo.of(page),
        )


@strawberry.type(description="A key in a page, with its cursor.")
class ApiKeyEdge:
    cursor: str = strawberry.field(description="Pass it as after to get the keys after this one.")
    node: ApiKey = strawberry.field(description="The key.")


@strawberry.type(description="A page of a project's keys, newest first (Relay).")
class ApiKeyConnection:
    edges: list[ApiKeyEdge] = strawberry.field(description="The page's keys.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")
    project_row: strawberry.Private[models.Project]
    key_filter: strawberry.Private[KeyFilter]

    @strawberry.field(description="How many keys the filter selects, over every page.")
    async def total_count(self, info: Info) -> int:
        return await key_service.count_keys(self.project_row, info.context.clock, self.key_filter)


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
        with query_guard():
            page = await key_service.list_keys(self.row, info.context.clock, filter or KeyFilter.ALL, first, after)
        now_us = info.context.now_us
        return ApiKeyConnection(
            edges=[ApiKeyEdge(cursor=c, node=ApiKey.of(row, now_us)) for c, row in zip(page.cursors, page.items)],
            page_info=PageInfo.of(page),
            project_row=self.row,
            key_filter=filter or KeyFilter.ALL,
        )

    @strawberry.field(description="Webhooks of this project, oldest first.")
    async def webhooks(self, info: Info) -> list[Annotated["Webhook", strawberry.lazy("schema.webhooks")]]:
        from schema.webhooks import webhooks_of_project

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


@strawberry.type(description="One provider's offer of a model, with its prices.")
class ModelOffer:
    provider: str = strawberry.field(description="The provider id (openai).")
    input_price_per_million: Money = strawberry.field(description="US dollars per million input tokens.")
    output_price_per_million: Money = strawberry.field(description="US dollars per million output tokens.")
    pricing: Pricing = strawberry.field(description="FREE when both prices are 0, else PAID.")

    @classmethod
    def of(cls, offer: Offer) -> "ModelOffer":
        return cls(
            provider=offer.provider,
            input_price_per_million=Money(format_nanos(offer.input_nanos)),
            output_price_per_million=Money(format_nanos(offer.output_nanos)),
            pricing=Pricing(offer.pricing),
        )


@strawberry.type(name="Model", description="A model of the catalog the gateway serves.")
class CatalogModel:
    id: str = strawberry.field(description="The model id (openai/gpt-4o).")
    offers: list[ModelOffer] = strawberry.field(description="Every provider's offer of it.")


def organization_of(row: models.Organization) -> Organization:
    return Organization(
        id=strawberry.ID(ids.encode("Organization", row.id)),
        name=row.name,
        plan=Plan(row.plan),
        key_limit=orgs.org_key_limit(row),
        row=row,
    )
