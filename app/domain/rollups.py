"""Usage rollups: recorded usage summed per key, UTC hour and source, without I/O.

The summary and the charts read these sums instead of the raw records, so what they cost
depends on the range asked for, not on how much traffic a key had. Days are UTC, so a day is
exactly 24 hours and its total is the sum of its hours.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

HOUR_US = 3_600 * 1_000_000


def hour_of(micros: int) -> int:
    """The start of the UTC hour holding ``micros`` (floored, before 1970 too)."""
    return micros - micros % HOUR_US


def covering_hours(from_us: int, to_us: int) -> tuple[int, int]:
    """[from, to) widened to whole hours: the hours that overlap the range. Rollups know nothing
    finer than an hour, so a range that is not aligned counts the whole of its first and last hours."""
    return hour_of(from_us), -hour_of(-to_us)


def sums_by_hour(events: Iterable[tuple[int, int, str, int]]) -> dict[tuple[int, int, str], tuple[int, int]]:
    """(key id, occurred at, source, cost) of recorded events -> {(key id, hour, source): (amount, requests)}."""
    sums: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for key_id, occurred_at, source, cost in events:
        entry = sums[(key_id, hour_of(occurred_at), source)]
        entry[0] += cost
        entry[1] += 1
    return {slot: (amount, requests) for slot, (amount, requests) in sums.items()}
