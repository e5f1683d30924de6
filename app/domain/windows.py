"""Recurring spend windows: value x unit, back to back from an anchor, in UTC.

Window k is [window_start(k), window_start(k + 1)). Every start is computed from
the anchor (never by chaining), so month-end clamping cannot drift: a window
anchored on Jan 31 starts on Feb 29, then Mar 31 again, not Mar 29.
"""
from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


class WindowUnit(str, enum.Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


# Each unit allows up to one year.
WINDOW_BOUNDS = {
    WindowUnit.HOUR: (1, 8760),
    WindowUnit.DAY: (1, 365),
    WindowUnit.WEEK: (1, 52),
    WindowUnit.MONTH: (1, 12),
}

# Fixed-length units; UTC has no DST, so a day is always 24 hours.
_STEP = {
    WindowUnit.HOUR: timedelta(hours=1),
    WindowUnit.DAY: timedelta(days=1),
    WindowUnit.WEEK: timedelta(weeks=1),
}


@dataclass(frozen=True)
class Window:
    value: int
    unit: WindowUnit


class WindowError(ValueError):
    """Carries a human message fit for an API client, e.g. 'HOUR windows must be between 1 and 8760'."""


def validate_window(value: int, unit: WindowUnit | str) -> Window:
    """A Window from client input; unit may be a WindowUnit or its name."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise WindowError("window value must be an integer")
    try:
        unit = WindowUnit(unit)
    except (ValueError, TypeError):
        raise WindowError("window unit must be HOUR, DAY, WEEK or MONTH") from None
    low, high = WINDOW_BOUNDS[unit]
    if not low <= value <= high:
        raise WindowError(f"{unit.value} windows must be between {low} and {high}")
    return Window(int(value), unit)


def stored_window(recurring_amount: int | None, recurring_value: int | None, recurring_unit: str | None) -> Window | None:
    """A key's recurring window from its stored columns (api_keys.recurring_*); None without a recurring limit."""
    if recurring_amount is None:
        return None
    return Window(recurring_value, WindowUnit(recurring_unit))


def _utc(moment: datetime) -> datetime:
    """Calendar arithmetic must happen in UTC; naive datetimes are a programming error."""
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(timezone.utc)


def add_months(anchor: datetime, months: int) -> datetime:
    """anchor moved by whole calendar months (UTC), the day clamped to the target month's end, time kept."""
    anchor = _utc(anchor)
    year, month0 = divmod(anchor.year * 12 + (anchor.month - 1) + months, 12)
    month = month0 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def window_start(anchor: datetime, window: Window, k: int) -> datetime:
    """Start of window k (k >= 0), computed directly from the anchor."""
    if k < 0:
        raise ValueError("window index must not be negative")
    anchor = _utc(anchor)
    if window.unit == WindowUnit.MONTH:
        return add_months(anchor, k * window.value)
    return anchor + k * window.value * _STEP[window.unit]


def _window_index(anchor: datetime, window: Window, now: datetime) -> int:
    """The k with start_k <= now < start_{k+1}, for now >= anchor, in O(1)."""
    if window.unit != WindowUnit.MONTH:
        return (now - anchor) // (window.value * _STEP[window.unit])
    # Window k starts in calendar month anchor.month + k*value. Flooring the month difference gives the
    # last window starting in or before now's month; if that one starts later within the same month
    # (a later day or time), the previous window, which starts `value` months earlier, is the one.
    month_diff = (now.year - anchor.year) * 12 + (now.month - anchor.month)
    k = month_diff // window.value
    if window_start(anchor, window, k) > now:
        k -= 1
    return k


def current_window(anchor: datetime, window: Window, now: datetime) -> tuple[datetime, datetime]:
    """(start, end) of the window containing now; before the anchor, the first window."""
    anchor, now = _utc(anchor), _utc(now)
    k = 0 if now < anchor else _window_index(anchor, window, now)
    return window_start(anchor, window, k), window_start(anchor, window, k + 1)
