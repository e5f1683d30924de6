"""keyplane's custom scalars, exactly: ``Decimal`` travels as a plain decimal string (never a
float, never an exponent) and ``DateTime`` as ISO 8601 with its UTC offset.

Copied into the generated package by ariadne-codegen (``files_to_include``); the generated
client also calls the serializers on optional arguments left out (UNSET) or given as None,
which pass through unchanged."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, overload

from .base_model import UnsetType


def parse_decimal(value: Any) -> Decimal:
    """The server sends amounts as strings; a JSON number could already have lost digits."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError(f"a Decimal must arrive as a string, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return amount


@overload
def serialize_decimal(value: Decimal) -> str: ...
@overload
def serialize_decimal(value: None) -> None: ...
@overload
def serialize_decimal(value: UnsetType) -> UnsetType: ...
def serialize_decimal(value: Decimal | None | UnsetType) -> str | None | UnsetType:
    """``Decimal("1E+1")`` is sent as ``"10"``: the server takes plain decimal strings only."""
    if value is None or isinstance(value, UnsetType):
        return value
    if not isinstance(value, Decimal):
        raise TypeError(f"amounts are decimal.Decimal, not {type(value).__name__} (floats are inexact)")
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return format(value, "f")


def parse_datetime(value: Any) -> datetime:
    """An instant: a time without its offset would be ambiguous."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        raise ValueError(f"a DateTime must arrive as an ISO 8601 string, not {type(value).__name__}")
    if moment.utcoffset() is None:
        raise ValueError(f"a DateTime needs its UTC offset: {value!r}")
    return moment


@overload
def serialize_datetime(value: datetime) -> str: ...
@overload
def serialize_datetime(value: None) -> None: ...
@overload
def serialize_datetime(value: UnsetType) -> UnsetType: ...
def serialize_datetime(value: datetime | None | UnsetType) -> str | None | UnsetType:
    """Naive datetimes are refused rather than guessed to be UTC or local time."""
    if value is None or isinstance(value, UnsetType):
        return value
    if not isinstance(value, datetime):
        raise TypeError(f"times are datetime.datetime, not {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError("a datetime sent to keyplane needs a timezone, e.g. datetime.now(timezone.utc)")
    return value.isoformat()
