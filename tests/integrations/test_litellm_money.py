"""keyplane-litellm's conversion of LiteLLM's float costs to keyplane's exact decimal strings."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, strategies as st

from app.domain import money
from keyplane_litellm.money import CostError, cost_string, estimate_string

NANO = Decimal("0.000000001")


def test_litellms_float_noise_is_gone():
    assert cost_string(0.00022500000000000002) == "0.000225"
    assert cost_string(0.1 + 0.2) == "0.3"
    assert cost_string(None) == cost_string(0.0) == "0"
    assert cost_string(1e-10) == "0"  # below a nano-dollar, half-even to 0
    assert cost_string(2.5e-9) == "0.000000002" and cost_string(3.5e-9) == "0.000000004"  # half to even


@given(st.decimals(min_value=0, max_value=10**6, places=12, allow_nan=False, allow_infinity=False)
       .filter(lambda d: len(d.normalize().as_tuple().digits) <= 15))
def test_a_float_is_read_through_its_shortest_repr_and_rounded_half_even(amount):
    """Up to 15 significant digits a float keeps its decimal exactly: the result is that decimal at 9 places."""
    expected = amount.quantize(NANO, rounding=ROUND_HALF_EVEN)
    result = cost_string(float(amount))
    assert Decimal(result) == expected
    assert money.parse_cost(result) == int(expected / NANO)  # keyplane accepts it as the same nanos


@given(st.integers(0, 2_000_000), st.integers(0, 200_000),
       st.sampled_from([(2.5e-6, "2.5"), (1e-5, "10"), (1.5e-7, "0.15"), (6e-7, "0.6"), (1.1e-6, "1.1")]),
       st.sampled_from([(2.5e-6, "2.5"), (1e-5, "10"), (6e-7, "0.6"), (4.4e-6, "4.4")]))
def test_litellms_token_arithmetic_comes_out_exact(prompt, completion, input_price, output_price):
    """LiteLLM multiplies token counts by per-token float prices; the report is the exact amount."""
    litellm_float = prompt * input_price[0] + completion * output_price[0]
    exact = (prompt * Decimal(input_price[1]) + completion * Decimal(output_price[1])) / 1_000_000
    assert Decimal(cost_string(litellm_float)) == exact.quantize(NANO, rounding=ROUND_HALF_EVEN)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -0.01, True, "abc", [1]])
def test_an_unusable_cost_is_refused(bad):
    with pytest.raises(CostError):
        cost_string(bad)


@given(st.integers(1, 10**6), st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False,
                                          allow_infinity=False))
def test_an_estimate_never_falls_short_of_the_price(max_tokens, price_per_million):
    estimate = Decimal(estimate_string(max_tokens, str(price_per_million)))
    exact = max_tokens * price_per_million / 1_000_000
    assert exact <= estimate < exact + NANO
