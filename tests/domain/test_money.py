"""Money parsing and formatting: exact nanos inside, plain decimal strings outside."""
from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.money import (
    MAX_AMOUNT_NANOS,
    NANOS_PER_DOLLAR,
    MoneyError,
    format_nanos,
    parse_cost,
    parse_limit,
)

PROPS = settings(max_examples=200, deadline=None)

# Inputs both parsers accept with at most 9 places, and their value in nanos.
ACCEPTED = [
    ("0", 0),
    ("12", 12 * NANOS_PER_DOLLAR),
    ("12.5", 12_500_000_000),
    ("0.000000001", 1),
    ("0.1", 100_000_000),
    ("123.456789012", 123_456_789_012),
    (".5", 500_000_000),
    ("5.", 5 * NANOS_PER_DOLLAR),
    ("007", 7 * NANOS_PER_DOLLAR),
    ("0.0", 0),
    ("-0", 0),
    ("-0.0", 0),
    ("-.0", 0),
    ("-0.0000000000000", 0),
    ("1.0000000000", NANOS_PER_DOLLAR),  # trailing zeros beyond 9 places are harmless
    ("1.000000000000000000000000000000000000000000000000000000000000000000000000", NANOS_PER_DOLLAR),
    ("  12.5  ", 12_500_000_000),
    ("\t1\n", NANOS_PER_DOLLAR),
    ("1000000000", MAX_AMOUNT_NANOS),
    ("1000000000.000000000", MAX_AMOUNT_NANOS),
    ("999999999.999999999", MAX_AMOUNT_NANOS - 1),
    (0, 0),
    (5, 5 * NANOS_PER_DOLLAR),
    (1_000_000_000, MAX_AMOUNT_NANOS),
    (Decimal("1.5"), 1_500_000_000),
    (Decimal("0.000000001"), 1),
    (Decimal("-0"), 0),
    (Decimal("1E+3"), 1000 * NANOS_PER_DOLLAR),  # a Decimal value, not exponent text
    (Decimal("1.50000000000000"), 1_500_000_000),
]

# Not a plain decimal number (syntax or type): refused by both parsers.
NOT_A_NUMBER = [
    "",
    "   ",
    "abc",
    "1,5",
    "+1",
    "+0",
    "1e3",
    "1E3",
    "1e-3",
    "1.5E+2",
    "NaN",
    "nan",
    "sNaN",
    "-NaN",
    "Infinity",
    "inf",
    "-Infinity",
    "1_000",
    "0x10",
    "1.2.3",
    ".",
    "-",
    "-.",
    "--1",
    "- 1",
    "1 000",
    "1.5$",
    "$1.5",
    "\u0661\u0662",  # Arabic-Indic digits: Decimal() accepts them, we don't
    "\uff11",  # fullwidth 1
    1.0,
    0.5,
    float("nan"),
    True,
    False,
    None,
    b"1",
    [1],
    object(),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
]

NEGATIVE = ["-1", "-0.000000001", "-0.0000000001", "-1000000001", -1, Decimal("-0.5")]

TOO_LARGE = [
    "1000000000.000000001",
    "1000000000.0000000001",
    "1000000001",
    "99999999999999999999999999999999999999999999999999999999999999999999999999",
    1_000_000_001,
    10**100,
    Decimal("1E+10"),
]

TOO_PRECISE = [
    "0.0000000001",
    "0.0000000005",
    "1.0000000001",
    "12.3456789012",
    "999999999.9999999999",
    Decimal("0.0000000001"),
    Decimal("1E-30"),
]


def _raises(fn, raw, message: str) -> None:
    with pytest.raises(MoneyError) as info:
        fn(raw)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


# --- parse_limit -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, nanos", ACCEPTED)
def test_parse_limit_accepts(raw, nanos):
    assert parse_limit(raw) == nanos
    assert type(parse_limit(raw)) is int


@pytest.mark.parametrize("raw", NOT_A_NUMBER)
def test_parse_limit_refuses_non_numbers(raw):
    _raises(parse_limit, raw, "must be a decimal number")


@pytest.mark.parametrize("raw", NEGATIVE)
def test_parse_limit_refuses_negatives(raw):
    _raises(parse_limit, raw, "must not be negative")


@pytest.mark.parametrize("raw", TOO_LARGE)
def test_parse_limit_refuses_too_large(raw):
    _raises(parse_limit, raw, "must be at most 1000000000")


@pytest.mark.parametrize("raw", TOO_PRECISE)
def test_parse_limit_refuses_more_than_nine_places(raw):
    _raises(parse_limit, raw, "must have at most 9 decimal places")


# --- parse_cost --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, nanos", ACCEPTED)
def test_parse_cost_accepts_what_limit_accepts(raw, nanos):
    assert parse_cost(raw) == nanos


@pytest.mark.parametrize("raw", NOT_A_NUMBER)
def test_parse_cost_refuses_non_numbers(raw):
    _raises(parse_cost, raw, "must be a decimal number")


@pytest.mark.parametrize("raw", NEGATIVE)
def test_parse_cost_refuses_negatives(raw):
    # Checked before rounding: -0.0000000001 would round to 0 but is still refused.
    _raises(parse_cost, raw, "must not be negative")


@pytest.mark.parametrize("raw", TOO_LARGE)
def test_parse_cost_refuses_too_large(raw):
    # Checked before rounding: 1000000000.0000000001 would round to the maximum but is still refused.
    _raises(parse_cost, raw, "must be at most 1000000000")


@pytest.mark.parametrize(
    "raw, nanos",
    [
        # exact ties go to the even 9th digit
        ("0.0000000005", 0),
        ("0.0000000015", 2),
        ("0.0000000025", 2),
        ("0.0000000035", 4),
        ("0.0000000045", 4),
        ("0.00000000450", 4),
        ("1.0000000005", 1_000_000_000),
        ("1.0000000015", 1_000_000_002),
        ("1.9999999995", 2_000_000_000),  # carry through every place
        ("999999999.9999999995", MAX_AMOUNT_NANOS),  # rounds up to exactly the maximum
        # not ties: nearest wins
        ("0.0000000004", 0),
        ("0.0000000004999999", 0),
        ("0.0000000005000001", 1),
        ("0.0000000006", 1),
        ("0.0000000014", 1),
        ("0.0000000016", 2),
        ("0.0000000024999", 2),
        ("0.0000000025001", 3),
        ("12.3456789012", 12_345_678_901),
        ("0.0000000001", 0),
        (Decimal("0.0000000015"), 2),
        (Decimal("1E-30"), 0),
    ],
)
def test_parse_cost_rounds_half_even(raw, nanos):
    assert parse_cost(raw) == nanos


# --- format_nanos ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "nanos, text",
    [
        (0, "0"),
        (1, "0.000000001"),
        (10, "0.00000001"),
        (100_000_000, "0.1"),
        (500_000_000, "0.5"),
        (NANOS_PER_DOLLAR, "1"),
        (12_500_000_000, "12.5"),
        (12_000_000_000, "12"),
        (10 * NANOS_PER_DOLLAR, "10"),
        (123_456_789_012, "123.456789012"),
        (1_000_000_001, "1.000000001"),
        (MAX_AMOUNT_NANOS - 1, "999999999.999999999"),
        (MAX_AMOUNT_NANOS, "1000000000"),
        (10**30, "1000000000000000000000"),  # beyond the maximum still formats, without exponent
        (-1, "-0.000000001"),
        (-12_500_000_000, "-12.5"),
        (-NANOS_PER_DOLLAR, "-1"),
    ],
)
def test_format_nanos(nanos, text):
    assert format_nanos(nanos) == text


@pytest.mark.parametrize("bad", [1.0, "1", Decimal(1), None, True])
def test_format_nanos_refuses_non_int(bad):
    with pytest.raises(TypeError):
        format_nanos(bad)


# --- exactness and context independence --------------------------------------------------------


def test_point_one_three_times_is_point_three_exactly():
    tenth = parse_limit("0.1")
    assert tenth + tenth + tenth == parse_limit("0.3")
    assert format_nanos(tenth + tenth + tenth) == "0.3"
    assert format_nanos(parse_cost("0.1") * 3) == "0.3"


def test_results_do_not_depend_on_the_global_decimal_context():
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        ctx.traps[decimal.Inexact] = True
        ctx.traps[decimal.Rounded] = True
        assert parse_limit("123456.789012345") == 123_456_789_012_345
        assert parse_limit("999999999.999999999") == MAX_AMOUNT_NANOS - 1
        assert parse_cost("0.0000000015") == 2
        assert parse_cost("0.0000000019") == 2
        assert parse_cost("999999999.9999999995") == MAX_AMOUNT_NANOS
        with pytest.raises(MoneyError, match="9 decimal places"):
            parse_limit("1.0000000001")


def test_money_error_is_a_value_error():
    assert issubclass(MoneyError, ValueError)


# --- properties --------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=MAX_AMOUNT_NANOS)


@PROPS
@given(amounts)
def test_format_then_parse_limit_round_trips(nanos):
    text = format_nanos(nanos)
    assert parse_limit(text) == nanos
    assert format_nanos(parse_limit(text)) == text
    assert parse_cost(text) == nanos


@PROPS
@given(amounts)
def test_format_is_plain_and_canonical(nanos):
    text = format_nanos(nanos)
    assert set(text) <= set("0123456789.")
    assert not text.endswith(".")
    if "." in text:
        assert not text.endswith("0")
        assert len(text.split(".")[1]) <= 9
    assert Decimal(text) * NANOS_PER_DOLLAR == nanos  # exact under the default context (28 digits)


@st.composite
def decimal_strings(draw):
    """A non-negative plain decimal string of at most 1,000,000,000 with 0 to 12 places."""
    places = draw(st.integers(min_value=0, max_value=12))
    scaled = draw(st.integers(min_value=0, max_value=10**9 * 10**places))
    digits = str(scaled).rjust(places + 1, "0")
    return digits[: len(digits) - places] + "." + digits[len(digits) - places :] if places else digits


@PROPS
@given(decimal_strings())
def test_parse_cost_equals_decimal_quantize_half_even(text):
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        expected = Decimal(text).quantize(Decimal("1E-9"), rounding=decimal.ROUND_HALF_EVEN)
        assert parse_cost(text) == int(expected * NANOS_PER_DOLLAR)


@PROPS
@given(decimal_strings())
def test_parse_limit_accepts_exactly_the_nine_place_values(text):
    exact_in_nanos = (Decimal(text) * NANOS_PER_DOLLAR) % 1 == 0  # exact: at most 22 digits
    if exact_in_nanos:
        assert parse_limit(text) == parse_cost(text)
    else:
        with pytest.raises(MoneyError, match="at most 9 decimal places"):
            parse_limit(text)
