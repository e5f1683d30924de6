"""API keys as GraphQL types: a key, its limits, current period and IAM rules, and a project's
page of keys. A key's project comes from the request's loaders (schema/context.py), which build
it as schema/types/projects.py's Project: that module shows a project's keys and imports this one."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from app import models
from app.domain import alerts, decision
from app.domain import iam as iam_domain
from app.domain import ids
from app.domain.money import format_nanos
from app.domain.timeconv import from_micros, optional_from_micros, to_micros
from app.services import keys as key_service
from app.services import periods, usage as usage_service
from schema.enums import IamRuleType, KeyStatus, WindowUnit
from schema.errors import query_guard
from schema.relay import AFTER_ARGUMENT, FIRST_ARGUMENT, Node, PageInfo
from schema.scalars import Money
from schema.types.usage import UsageRecord, UsageRecordConnection, UsageRecordEdge, UsageSummary

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
        return cls(id=strawberry.ID(rule.id), type=IamRuleType.from_domain(rule.type), values=list(rule.values))


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
            status=KeyStatus.from_domain(key_service.status_of(row, now_us)),
            expires_at=optional_from_micros(row.expires_at),
            created_at=from_micros(row.created_at),
            last_used_at=optional_from_micros(row.last_used_at),
            usage=Money(format_nanos(row.usage)),
            limits=Limits(
                all_time=None if row.all_time_limit is None else Money(format_nanos(row.all_time_limit)),
                recurring=None if window is None else RecurringLimit(
                    amount=Money(format_nanos(row.recurring_amount)),
                    window=Window(value=window.value, unit=WindowUnit.from_domain(window.unit)),
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
    async def project(self, info: Info) -> Annotated["Project", strawberry.lazy("schema.types.projects")]:
        return await info.context.loaders.project.load(self.row.project_id)

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
    key_filter: strawberry.Private[key_service.KeyFilter]

    @strawberry.field(description="How many keys the filter selects, over every page.")
    async def total_count(self, info: Info) -> int:
        return await key_service.count_keys(self.project_row, info.context.clock, self.key_filter)
