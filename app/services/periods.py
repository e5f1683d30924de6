"""The current recurring window of a key, computed from its anchor and the clock (no background job)."""
from __future__ import annotations

from app import models
from app.domain import windows


def window_of(key: models.ApiKey) -> windows.Window | None:
    return windows.stored_window(key.recurring_amount, key.recurring_value, key.recurring_unit)


def bounds_of(key: models.ApiKey, now_us: int) -> windows.PeriodBounds | None:
    window = window_of(key)
    if window is None:
        return None
    return windows.current_bounds(key.recurring_anchor, window, now_us)
