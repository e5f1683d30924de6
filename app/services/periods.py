"""The current recurring window of a key, computed from its anchor and the clock (no background job)."""
from __future__ import annotations

from dataclasses import dataclass

from app import models
from app.domain import windows
from app.domain.timeconv import from_micros, to_micros
from app.store import sql


@dataclass(frozen=True)
class PeriodBounds:
    start_us: int
    end_us: int


def window_of(key: models.ApiKey) -> windows.Window | None:
    return windows.stored_window(key.recurring_amount, key.recurring_value, key.recurring_unit)


def current_bounds(anchor_us: int, window: windows.Window, now_us: int) -> PeriodBounds:
    start, end = windows.current_window(from_micros(anchor_us), window, from_micros(now_us))
    return PeriodBounds(to_micros(start), to_micros(end))


def bounds_of(key: models.ApiKey, now_us: int) -> PeriodBounds | None:
    window = window_of(key)
    if window is None:
        return None
    return current_bounds(key.recurring_anchor, window, now_us)


async def window_usage_many(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Usage recorded in each (key id, window start), in one query; 0 where nothing was recorded."""
    result = {pair: 0 for pair in pairs}
    if not pairs:
        return result
    key_ids = sorted({key_id for key_id, _ in pairs})
    starts = sorted({start for _, start in pairs})
    rows = await sql.fetch(
        sql.client(),
        f"SELECT key_id, window_start, usage FROM usage_windows WHERE key_id IN ({', '.join('?' for _ in key_ids)})"
        f" AND window_start IN ({', '.join('?' for _ in starts)})",
        [*key_ids, *starts],
    )
    for row in rows:
        pair = (row["key_id"], row["window_start"])
        if pair in result:
            result[pair] = row["usage"]
    return result
