"""Times are stored as integer microseconds since the Unix epoch (UTC): exact, portable, comparable in SQL."""
from __future__ import annotations

from datetime import datetime, timezone

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    from datetime import timedelta

    return _EPOCH + timedelta(microseconds=micros)


def optional_from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)
