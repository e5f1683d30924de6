"""LiteLLM's float costs as keyplane's exact decimal strings.

LiteLLM computes ``response_cost`` in binary floating point (0.000225 arrives as
0.00022500000000000002). The float's shortest repr is the decimal LiteLLM meant, up to that
noise, so it is read as a Decimal from ``repr`` (never through binary arithmetic) and rounded
half-even to keyplane's 9 places (nano-dollars).
"""
from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, InvalidOperation

NANO = Decimal("0.000000001")


class CostError(ValueError):
    pass


def cost_string(cost: float | int | str | Decimal | None) -> str:
    """The cost as a plain decimal string with at most 9 places; None (no cost known) is 0."""
    if cost is None:
        return "0"
    if isinstance(cost, bool):
        raise CostError("a cost must be a number")
    if isinstance(cost, float):
        if not math.isfinite(cost):
            raise CostError(f"a cost must be finite, not {cost!r}")
        exact = Decimal(repr(cost))
    elif isinstance(cost, (int, Decimal, str)):
        try:
            exact = Decimal(cost)
        except InvalidOperation:
            raise CostError(f"a cost must be a number, not {cost!r}") from None
    else:
        raise CostError(f"a cost must be a number, not {type(cost).__name__}")
    if not exact.is_finite() or exact < 0:
        raise CostError(f"a cost must be a finite amount >= 0, not {cost!r}")
    rounded = exact.quantize(NANO, rounding=ROUND_HALF_EVEN)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def estimate_string(max_tokens: int, output_price_per_million: str) -> str:
    """The most a call can cost in output: max_tokens at the model's output price (per million
    tokens), rounded up to a nano-dollar so the estimate never falls short of the price."""
    amount = (Decimal(max_tokens) * Decimal(output_price_per_million) / Decimal(1_000_000)).quantize(
        NANO, rounding=ROUND_CEILING)
    text = format(amount, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"
