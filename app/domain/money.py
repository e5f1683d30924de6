"""Money: integer nano-dollars inside, plain decimal strings at the edges.

Integers make sums exact (0.1 + 0.1 + 0.1 == 0.3) and comparisons cheap; nine
decimal places are enough for per-token LLM prices. Floats never appear: they
cannot represent most decimal amounts exactly.
"""
from __future__ import annotations

import decimal
import re
from decimal import Decimal

NANOS_PER_DOLLAR = 10**9
MAX_AMOUNT_NANOS = 10**9 * NANOS_PER_DOLLAR  # 1,000,000,000 dollars
# The most a key's all-time usage may reach: 9,000,000,000 dollars, below BIGINT's 9.22e18 nanos, so
# sums in SQL never overflow (PostgreSQL would fail, SQLite would silently turn them into floats).
MAX_USAGE_NANOS = 9 * 10**9 * NANOS_PER_DOLLAR

_MAX_DOLLARS = MAX_AMOUNT_NANOS // NANOS_PER_DOLLAR
_NANO = Decimal("1E-9")

# Plain decimals only: optional '-', ASCII digits, at most one '.', at least one digit.
# Refuses what Decimal() would otherwise accept: exponents, NaN/Infinity, '+', '_', non-ASCII digits.
_PLAIN_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# A file's prices are written once and read by people and tools: canonical decimals only (no
# spaces, no bare dot). The '-' is accepted so that "-1" gets "must not be negative".
_CANONICAL_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
MAX_PRICE_PER_MILLION = 1_000_000  # dollars; anything above is a typo, not a price


class MoneyError(ValueError):
    """Carries a human message fit for an API client, e.g. 'must have at most 9 decimal places'."""


def _context() -> decimal.Context:
    """A private context so results never depend on the caller's (thread-global) decimal context."""
    return decimal.Context(
        prec=60,
        rounding=decimal.ROUND_HALF_EVEN,
        Emin=decimal.MIN_EMIN,
        Emax=decimal.MAX_EMAX,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


def _to_decimal(raw: object) -> Decimal:
    """The exact value of raw as a finite Decimal, or MoneyError for anything that is not a plain decimal."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        # bool is an int subclass but True is not an amount; floats are inexact by nature.
        raise MoneyError("must be a decimal number")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise MoneyError("must be a decimal number")
        return Decimal(text)  # the constructor is exact, whatever the context
    if not raw.is_finite():
        raise MoneyError("must be a decimal number")
    return raw


def _check_range(value: Decimal) -> None:
    # Comparisons between Decimals are exact and context-independent; "-0" is not negative.
    if value < 0:
        raise MoneyError("must not be negative")
    if value > _MAX_DOLLARS:
        raise MoneyError(f"must be at most {_MAX_DOLLARS}")


def _nanos(value: Decimal, ctx: decimal.Context) -> int:
    """value (already a multiple of 1e-9 within range) as integer nanos; exact, as 19 digits < prec."""
    return int(value.scaleb(9, context=ctx))


def parse_limit(raw: str | int | Decimal) -> int:
    """A spend limit in nanos. Refuses (rather than rounds) sub-nano precision: a limit is what the user typed."""
    value = _to_decimal(raw)
    _check_range(value)
    ctx = _context()
    quantized = value.quantize(_NANO, context=ctx)
    if quantized != value:  # trailing zeros beyond 9 places compare equal and pass
        raise MoneyError("must have at most 9 decimal places")
    return _nanos(quantized, ctx)


def parse_cost(raw: str | int | Decimal) -> int:
    """A usage cost in nanos, rounded half-even to 9 places: upstream prices may carry more precision.

    The range is checked on the value as given, before rounding.
    """
    value = _to_decimal(raw)
    _check_range(value)
    ctx = _context()
    return _nanos(value.quantize(_NANO, rounding=decimal.ROUND_HALF_EVEN, context=ctx), ctx)


def parse_price(raw: str | int) -> int:
    """A list price per million tokens (the catalog file's) in nanos: a canonical decimal string or
    an int, at most 9 decimal places (refused, not rounded: a price is what the operator wrote)."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise MoneyError('must be a decimal string such as "2.5"')
    if isinstance(raw, str) and not _CANONICAL_DECIMAL.fullmatch(raw):
        raise MoneyError(f'must be a plain decimal string such as "2.5", got {raw!r}')
    value = Decimal(raw)  # exact, whatever the context
    if value < 0:
        raise MoneyError("must not be negative")
    if value > MAX_PRICE_PER_MILLION:
        raise MoneyError(f"must be at most {MAX_PRICE_PER_MILLION}")
    ctx = _context()
    quantized = value.quantize(_NANO, context=ctx)
    if quantized != value:
        raise MoneyError("must have at most 9 decimal places")
    return _nanos(quantized, ctx)


def format_nanos(nanos: int) -> str:
    """Exact plain decimal string: no exponent, no trailing zeros, no trailing dot. Pure integer arithmetic."""
    if isinstance(nanos, bool) or not isinstance(nanos, int):
        raise TypeError("nanos must be an int")
    sign = "-" if nanos < 0 else ""
    whole, frac = divmod(abs(nanos), NANOS_PER_DOLLAR)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:09d}".rstrip("0")
