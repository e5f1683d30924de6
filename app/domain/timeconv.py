"""Times are stored as integer microseconds since the Unix epoch (UTC): exact, portable, comparable in SQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class OutOfRange(ValueError):
    """A moment that, in UTC, falls outside years 1 to 9999: it could be stored but never shown again."""


def to_micros(moment: datetime) -> int:
    """A naive datetime (a client that sent no offset) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


MIN_MICROS = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
MAX_MICROS = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z


def checked_micros(moment: datetime) -> int:
    """An aware datetime from a client as micros, or OutOfRange when UTC cannot represent it (e.g.
    9999-12-31T23:59:59-01:00): every DateTime input goes through here before it is stored or compared."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise OutOfRange("a date-time needs a UTC offset")
    micros = to_micros(moment)
    if not representable(micros):
        raise OutOfRange(RANGE_MESSAGE)
    return micros


RANGE_MESSAGE = "date-times must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z"


def representable(micros: int) -> bool:
    """Whether a moment in micros can be shown as a date-time again (years 1 to 9999 in UTC)."""
    return MIN_MICROS <= micros <= MAX_MICROS


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def optional_from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)
