"""Monthly partitions of the usage log (PostgreSQL), as pure arithmetic on UTC calendar months.

A partition holds the records whose ``occurred_at`` lies in [start of a month, start of the
next); it is dropped whole once its end is past the retention.
"""
from __future__ import annotations

from datetime import datetime, timezone

from app.domain.timeconv import from_micros, to_micros

MONTHS_AHEAD = 2  # partitions exist up to this many months after the current one
DAY_US = 86_400 * 1_000_000


def month_start(micros: int) -> int:
    moment = from_micros(micros)
    return to_micros(datetime(moment.year, moment.month, 1, tzinfo=timezone.utc))


def next_month(micros: int) -> int:
    """The start of the month after the one holding ``micros``."""
    moment = from_micros(micros)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return to_micros(datetime(year, month, 1, tzinfo=timezone.utc))


def months_between(from_us: int, to_us: int) -> list[int]:
    """Starts of the months that overlap [from, to]."""
    starts, current = [], month_start(from_us)
    while current <= to_us:
        starts.append(current)
        current = next_month(current)
    return starts


def name_of(start_us: int) -> str:
    moment = from_micros(start_us)
    return f"usage_records_{moment.year:04d}_{moment.month:02d}"
