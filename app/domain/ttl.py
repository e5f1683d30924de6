"""Key expiry: a TTL of value x unit, at least 1 and at most 3650 days in any unit."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta


class TtlUnit(str, enum.Enum):
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"


MAX_TTL = timedelta(days=3650)
_UNIT = {TtlUnit.MINUTE: timedelta(minutes=1), TtlUnit.HOUR: timedelta(hours=1), TtlUnit.DAY: timedelta(days=1)}


class TtlError(ValueError):
    pass


def ttl_length(value: int, unit: TtlUnit | str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TtlError("value must be an integer")
    if value < 1:
        raise TtlError("value must be at least 1")
    try:
        step = _UNIT[TtlUnit(unit)]
    except ValueError:
        raise TtlError("unit must be MINUTE, HOUR or DAY") from None
    if value > MAX_TTL // step:
        raise TtlError("must be at most 3650 days")
    return value * step


def expires_at(now: datetime, value: int, unit: TtlUnit | str) -> datetime:
    return now + ttl_length(value, unit)
