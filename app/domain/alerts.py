"""Budget alerts: which thresholds of a limit a key's usage has reached (pure, no I/O).

A threshold is a whole percentage of a limit (1–100); usage reaches it when
``usage * 100 >= threshold * amount`` (integers, so exact). KEY_LIMIT_REACHED is the 100% line
of every limit, whatever thresholds the key has. Whether an alert is *new* is not decided
here: the usage transaction inserts every reached alert with ON CONFLICT DO NOTHING, and the
rows it did insert are the ones that fire (exactly once, across instances).
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from app.domain.windows import Window, current_bounds

DEFAULT_THRESHOLDS: tuple[int, ...] = (80,)
MAX_THRESHOLDS = 5
ALL_TIME_WINDOW = 0  # the window_start of the all-time limit in alert_firings
# a recurring window's firings are forgotten this long after the window ended: an instance whose
# clock is behind may still be charging it (usage settling an open hold is guarded by the store)
FIRING_GRACE_US = 3_600 * 1_000_000
EVERY_WINDOW = 2**63 - 1  # without a recurring limit no recurring alert can fire: every window has ended


class EventType(str, enum.Enum):
    """Webhook event types: the GraphQL enum's names, the wire's dotted values."""

    KEY_USAGE_THRESHOLD = "key.usage_threshold"
    KEY_LIMIT_REACHED = "key.limit_reached"
    KEY_ROLLED = "key.rolled"
    KEY_DELETED = "key.deleted"


class LimitKind(str, enum.Enum):
    ALL_TIME = "ALL_TIME"
    RECURRING = "RECURRING"


@dataclass(frozen=True)
class Alert:
    """One alert a transaction may fire: unique by every field but ``usage``."""

    kind: LimitKind
    window_start: int  # ALL_TIME_WINDOW for the all-time limit
    amount: int  # the limit, nanos
    event_type: EventType
    threshold: int  # percent; 100 for KEY_LIMIT_REACHED
    usage: int  # what the transaction left the counter at, nanos


class ThresholdError(ValueError):
    pass


def validate_thresholds(values: list[int]) -> tuple[int, ...]:
    """Sorted thresholds, or ThresholdError saying what is wrong (1–100, at most 5, no repeats)."""
    if len(values) > MAX_THRESHOLDS:
        raise ThresholdError(f"must hold at most {MAX_THRESHOLDS} percentages")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
            raise ThresholdError("must be whole percentages from 1 to 100")
    if len(set(values)) != len(values):
        raise ThresholdError("must not repeat a percentage")
    return tuple(sorted(values))


def thresholds_to_text(values: tuple[int, ...]) -> str:
    return json.dumps(list(values))


def thresholds_from_text(text: str | None) -> tuple[int, ...]:
    return DEFAULT_THRESHOLDS if text is None else tuple(json.loads(text))


def reached(usage: int, amount: int, thresholds: tuple[int, ...]) -> list[tuple[EventType, int]]:
    """Every alert line of one limit that ``usage`` has reached (threshold events, then the limit)."""
    found = [(EventType.KEY_USAGE_THRESHOLD, t) for t in thresholds if usage * 100 >= t * amount]
    if usage >= amount:
        found.append((EventType.KEY_LIMIT_REACHED, 100))
    return found


def alerts_for(usage: int, all_time_limit: int | None, window_usage: dict[int, int], recurring_amount: int | None,
               thresholds: tuple[int, ...]) -> list[Alert]:
    """The alerts reached by the counters one usage transaction wrote: the all-time total, and each
    window it charged (``window_usage``: window start -> usage of that window)."""
    alerts: list[Alert] = []
    if all_time_limit is not None:
        alerts += [Alert(LimitKind.ALL_TIME, ALL_TIME_WINDOW, all_time_limit, event, t, usage)
                   for event, t in reached(usage, all_time_limit, thresholds)]
    if recurring_amount is not None:
        for start in sorted(window_usage):
            alerts += [Alert(LimitKind.RECURRING, start, recurring_amount, event, t, window_usage[start])
                       for event, t in reached(window_usage[start], recurring_amount, thresholds)]
    return alerts


def firings_ended_before(window: Window | None, anchor_us: int | None, now_us: int,
                         grace_us: int = FIRING_GRACE_US) -> int | None:
    """The recurring windows of a key (its limit's ``window`` and ``anchor_us`` now) that start before
    the returned time ended at least ``grace_us`` ago: their firings can be forgotten, since usage can
    no longer reach their thresholds. None: no window has ended so long ago. The all-time limit's
    firings (``ALL_TIME_WINDOW``) are never forgotten, and the current window's never are either, so
    nothing fires twice.

    Windows are back to back, so the window ``grace_us`` ago starts where every older one has ended;
    a window of an earlier recurring limit (starting before the anchor) ended when the new limit was
    set, at the anchor."""
    if window is None or anchor_us is None:
        return EVERY_WINDOW
    then = now_us - grace_us
    if then < anchor_us:
        return None
    return current_bounds(anchor_us, window, then).start_us
