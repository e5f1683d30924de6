"""A key's usage as GraphQL types: its recorded requests (a Relay connection) and its summaries."""
from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain import ids
from app.domain import usage as usage_domain
from app.domain.money import format_nanos
from app.domain.timeconv import from_micros
from schema.enums import UsageSource
from schema.relay import Node, PageInfo
from schema.scalars import Money


def _source(stored: str) -> UsageSource:
    return UsageSource.from_domain(usage_domain.UsageSource(stored))


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
            source=_source(row["source"]),
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
                SourceTotal(source=_source(source), amount=Money(format_nanos(amount)), requests=count)
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
