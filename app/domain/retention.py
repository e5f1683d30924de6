"""How long raw usage records are kept, and what that means for request ids, without I/O.

A request id is recognized only while its record exists. So that a retry is never counted a
second time after its record was pruned, an event dated older than the retention less a
margin is refused as too old: the margin covers the clocks of the instances and the time
between two housekeeping runs, so no event is accepted whose record could already be gone.
"""
from __future__ import annotations

DAY_US = 86_400 * 1_000_000
MARGIN_US = DAY_US
MIN_DAYS = 2  # anything shorter would leave no room for the margin


def prune_before(now_us: int, retention_days: int) -> int | None:
    """Records that happened before this are past their retention; None: they are kept forever (0 days)."""
    return None if retention_days <= 0 else now_us - retention_days * DAY_US


def too_old(occurred_at_us: int, now_us: int, retention_days: int) -> bool:
    """Whether an event happened too long ago to be counted exactly once (its request id may be forgotten)."""
    cutoff = prune_before(now_us, retention_days)
    return cutoff is not None and occurred_at_us < cutoff + MARGIN_US


def too_old_message(retention_days: int) -> str:
    return (f"occurredAt is too old: usage records are kept {retention_days} days, and an event more than"
            f" {retention_days - 1} days old may be a retry of one already pruned, so it is not counted")
