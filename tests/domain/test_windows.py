"""Recurring spend windows: validation, calendar-month arithmetic, and which window holds a moment."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import windows
from app.domain.windows import (
    WINDOW_BOUNDS,
    Window,
    WindowError,
    WindowUnit,
    add_months,
    current_window,
    validate_window,
    window_start,
)

UTC = timezone.utc
PROPS = settings(max_examples=200, deadline=None)

HOUR, DAY, WEEK, MONTH = WindowUnit.HOUR, WindowUnit.DAY, WindowUnit.WEEK, WindowUnit.MONTH


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- validate_window ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unit, value",
    [(u, v) for u, (low, high) in WINDOW_BOUNDS.items() for v in (low, low + 1, high - 1, high)],
)
def test_validate_window_accepts_edges(unit, value):
    assert validate_window(value, unit) == Window(value, unit)
    assert validate_window(value, unit.value) == Window(value, unit)  # by name
    assert validate_window(value, unit.value).unit is unit


@pytest.mark.parametrize(
    "unit, value, message",
    [
        (HOUR, 0, "HOUR windows must be between 1 and 8760"),
        (HOUR, 8761, "HOUR windows must be between 1 and 8760"),
        (HOUR, -1, "HOUR windows must be between 1 and 8760"),
        (DAY, 0, "DAY windows must be between 1 and 365"),
        (DAY, 366, "DAY windows must be between 1 and 365"),
        (DAY, -365, "DAY windows must be between 1 and 365"),
        (WEEK, 0, "WEEK windows must be between 1 and 52"),
        (WEEK, 53, "WEEK windows must be between 1 and 52"),
        (WEEK, -7, "WEEK windows must be between 1 and 52"),
        (MONTH, 0, "MONTH windows must be between 1 and 12"),
        (MONTH, 13, "MONTH windows must be between 1 and 12"),
        (MONTH, -1, "MONTH windows must be between 1 and 12"),
        ("MONTH", 10**30, "MONTH windows must be between 1 and 12"),
    ],
)
def test_validate_window_refuses_out_of_bounds(unit, value, message):
    with pytest.raises(WindowError) as info:
        validate_window(value, unit)
    assert str(info.value) == message


@pytest.mark.parametrize("value", [True, False, 1.0, 2.5, "1", None, [1]])
@pytest.mark.parametrize("unit", list(WindowUnit))
def test_validate_window_refuses_non_int_values(value, unit):
    with pytest.raises(WindowError, match="must be an integer"):
        validate_window(value, unit)


@pytest.mark.parametrize("unit", ["hour", "Hour", "MINUTE", "YEAR", "", " HOUR", None, 1, [], "H"])
def test_validate_window_refuses_unknown_units(unit):
    with pytest.raises(WindowError, match="unit must be HOUR, DAY, WEEK or MONTH"):
        validate_window(1, unit)


def test_window_error_is_a_value_error():
    assert issubclass(WindowError, ValueError)


def test_window_is_frozen():
    window = Window(1, HOUR)
    with pytest.raises(AttributeError):
        window.value = 2  # type: ignore[misc]


# --- add_months --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "anchor, months, expected",
    [
        (utc(2024, 1, 31, 10), 1, utc(2024, 2, 29, 10)),  # leap year
        (utc(2023, 1, 31, 10), 1, utc(2023, 2, 28, 10)),  # non-leap year
        (utc(2023, 1, 31, 10), 2, utc(2023, 3, 31, 10)),  # computed from the anchor, not via Feb 28
        (utc(2024, 1, 31, 10), 2, utc(2024, 3, 31, 10)),
        (utc(2024, 1, 31), 3, utc(2024, 4, 30)),
        (utc(2100, 1, 31), 1, utc(2100, 2, 28)),  # centuries are not leap...
        (utc(2000, 1, 31), 1, utc(2000, 2, 29)),  # ...unless divisible by 400
        (utc(1999, 1, 31), 13, utc(2000, 2, 29)),
        (utc(2024, 1, 29), 1, utc(2024, 2, 29)),
        (utc(2023, 1, 29), 1, utc(2023, 2, 28)),
        (utc(2024, 1, 30), 1, utc(2024, 2, 29)),
        (utc(2023, 1, 30), 1, utc(2023, 2, 28)),
        (utc(2024, 3, 31), 1, utc(2024, 4, 30)),
        (utc(2024, 5, 30), 1, utc(2024, 6, 30)),
        (utc(2024, 4, 30), 1, utc(2024, 5, 30)),  # no snapping up to the month's end
        (utc(2024, 2, 29), 12, utc(2025, 2, 28)),
        (utc(2024, 2, 29), 48, utc(2028, 2, 29)),
        (utc(2023, 11, 30), 3, utc(2024, 2, 29)),
        (utc(2024, 11, 30), 3, utc(2025, 2, 28)),
        (utc(2024, 12, 15), 1, utc(2025, 1, 15)),  # December rolls into the next year
        (utc(2024, 12, 31), 1, utc(2025, 1, 31)),
        (utc(2024, 12, 31), 2, utc(2025, 2, 28)),
        (utc(2024, 12, 31), 14, utc(2026, 2, 28)),
        (utc(2024, 11, 30), 2, utc(2025, 1, 30)),
        (utc(2024, 1, 15), 0, utc(2024, 1, 15)),
        (utc(2024, 3, 31), -1, utc(2024, 2, 29)),
        (utc(2024, 1, 31), -1, utc(2023, 12, 31)),
        (utc(2024, 1, 31), 120, utc(2034, 1, 31)),
        (utc(2024, 1, 31, 23, 59, 59, 999_999), 1, utc(2024, 2, 29, 23, 59, 59, 999_999)),  # time kept
    ],
)
def test_add_months(anchor, months, expected):
    result = add_months(anchor, months)
    assert result == expected
    assert result.tzinfo is not None and result.utcoffset() == timedelta(0)


def test_add_months_works_in_utc():
    # 2024-03-01T01:00+02:00 is 2024-02-29T23:00Z; one month on is 2024-03-29T23:00Z.
    local = datetime(2024, 3, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    assert add_months(local, 1) == utc(2024, 3, 29, 23)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_months(datetime(2024, 1, 1), 1)
    with pytest.raises(ValueError):
        current_window(utc(2024, 1, 1), Window(1, HOUR), datetime(2024, 1, 2))


# --- window_start ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "window, k, expected",
    [
        (Window(1, HOUR), 0, utc(2024, 1, 31, 10)),
        (Window(2, HOUR), 3, utc(2024, 1, 31, 16)),
        (Window(8760, HOUR), 1, utc(2025, 1, 30, 10)),  # 2024 is leap: 365 days, not a calendar year
        (Window(1, DAY), 30, utc(2024, 3, 1, 10)),
        (Window(2, WEEK), 2, utc(2024, 2, 28, 10)),
        (Window(1, MONTH), 1, utc(2024, 2, 29, 10)),
        (Window(1, MONTH), 2, utc(2024, 3, 31, 10)),
        (Window(1, MONTH), 3, utc(2024, 4, 30, 10)),
        (Window(1, MONTH), 4, utc(2024, 5, 31, 10)),
        (Window(1, MONTH), 13, utc(2025, 2, 28, 10)),
        (Window(12, MONTH), 1, utc(2025, 1, 31, 10)),
    ],
)
def test_window_start(window, k, expected):
    assert window_start(utc(2024, 1, 31, 10), window, k) == expected


def test_window_start_refuses_negative_k():
    with pytest.raises(ValueError):
        window_start(utc(2024, 1, 1), Window(1, DAY), -1)


def test_quarterly_windows_from_november_30():
    anchor = utc(2023, 11, 30, 8)
    starts = [window_start(anchor, Window(3, MONTH), k) for k in range(7)]
    assert starts == [
        utc(2023, 11, 30, 8),
        utc(2024, 2, 29, 8),
        utc(2024, 5, 30, 8),
        utc(2024, 8, 30, 8),
        utc(2024, 11, 30, 8),
        utc(2025, 2, 28, 8),
        utc(2025, 5, 30, 8),
    ]


# --- current_window ----------------------------------------------------------------------------

ANCHOR = utc(2024, 5, 1)


@pytest.mark.parametrize(
    "window, now, expected",
    [
        # skipped windows stay on the anchor's grid
        (Window(2, HOUR), ANCHOR + timedelta(hours=5, minutes=30), (utc(2024, 5, 1, 4), utc(2024, 5, 1, 6))),
        # the boundary belongs to the window it starts
        (Window(2, HOUR), ANCHOR, (ANCHOR, utc(2024, 5, 1, 2))),
        (Window(2, HOUR), utc(2024, 5, 1, 2), (utc(2024, 5, 1, 2), utc(2024, 5, 1, 4))),
        (Window(2, HOUR), utc(2024, 5, 1, 1, 59, 59, 999_999), (ANCHOR, utc(2024, 5, 1, 2))),
        # before the anchor: window 0
        (Window(2, HOUR), ANCHOR - timedelta(microseconds=1), (ANCHOR, utc(2024, 5, 1, 2))),
        (Window(2, HOUR), utc(1990, 1, 1), (ANCHOR, utc(2024, 5, 1, 2))),
        (Window(1, MONTH), utc(2024, 4, 30), (ANCHOR, utc(2024, 6, 1))),
        (Window(1, DAY), utc(2024, 5, 3, 23, 59), (utc(2024, 5, 3), utc(2024, 5, 4))),
        (Window(1, WEEK), utc(2024, 5, 8), (utc(2024, 5, 8), utc(2024, 5, 15))),
        (Window(7, DAY), utc(2024, 5, 8), (utc(2024, 5, 8), utc(2024, 5, 15))),
        (Window(3, DAY), utc(2024, 5, 9, 12), (utc(2024, 5, 7), utc(2024, 5, 10))),
        (Window(1, MONTH), utc(2024, 5, 31, 23, 59), (ANCHOR, utc(2024, 6, 1))),
        (Window(12, MONTH), utc(2030, 7, 4), (utc(2030, 5, 1), utc(2031, 5, 1))),
    ],
)
def test_current_window(window, now, expected):
    assert current_window(ANCHOR, window, now) == expected


MONTH_END = utc(2024, 1, 31, 10)


@pytest.mark.parametrize(
    "now, expected",
    [
        (utc(2024, 1, 31, 10), (utc(2024, 1, 31, 10), utc(2024, 2, 29, 10))),
        (utc(2024, 2, 15), (utc(2024, 1, 31, 10), utc(2024, 2, 29, 10))),
        (utc(2024, 2, 29, 9, 59, 59, 999_999), (utc(2024, 1, 31, 10), utc(2024, 2, 29, 10))),
        (utc(2024, 2, 29, 10), (utc(2024, 2, 29, 10), utc(2024, 3, 31, 10))),
        (utc(2024, 3, 1), (utc(2024, 2, 29, 10), utc(2024, 3, 31, 10))),
        (utc(2024, 3, 31, 9), (utc(2024, 2, 29, 10), utc(2024, 3, 31, 10))),
        (utc(2024, 3, 31, 10), (utc(2024, 3, 31, 10), utc(2024, 4, 30, 10))),
        (utc(2024, 4, 30, 10), (utc(2024, 4, 30, 10), utc(2024, 5, 31, 10))),
        (utc(2025, 2, 28, 11), (utc(2025, 2, 28, 10), utc(2025, 3, 31, 10))),
        (utc(2024, 1, 1), (utc(2024, 1, 31, 10), utc(2024, 2, 29, 10))),  # before the anchor
    ],
)
def test_current_window_monthly_from_january_31(now, expected):
    assert current_window(MONTH_END, Window(1, MONTH), now) == expected


def test_current_window_quarterly_from_november_30():
    anchor = utc(2023, 11, 30)
    w = Window(3, MONTH)
    assert current_window(anchor, w, utc(2024, 2, 29)) == (utc(2024, 2, 29), utc(2024, 5, 30))
    assert current_window(anchor, w, utc(2024, 2, 28, 23)) == (utc(2023, 11, 30), utc(2024, 2, 29))
    assert current_window(anchor, w, utc(2024, 5, 29)) == (utc(2024, 2, 29), utc(2024, 5, 30))
    assert current_window(anchor, w, utc(2024, 5, 30)) == (utc(2024, 5, 30), utc(2024, 8, 30))
    assert current_window(anchor, w, utc(2024, 6, 1)) == (utc(2024, 5, 30), utc(2024, 8, 30))


def test_anchor_forty_years_back_with_hourly_windows_is_fast_and_right():
    anchor = utc(1985, 3, 7, 4, 30)
    w = Window(1, HOUR)
    now = utc(2025, 6, 15, 12, 34, 56)
    assert current_window(anchor, w, now) == (utc(2025, 6, 15, 12, 30), utc(2025, 6, 15, 13, 30))
    assert current_window(anchor, w, utc(2025, 6, 15, 12, 30)) == (utc(2025, 6, 15, 12, 30), utc(2025, 6, 15, 13, 30))
    assert current_window(anchor, w, utc(2025, 6, 15, 12, 29)) == (utc(2025, 6, 15, 11, 30), utc(2025, 6, 15, 12, 30))
    # ~350,000 windows in: a step-by-step search would take seconds for this loop.
    began = time.perf_counter()
    for minute in range(200):
        current_window(anchor, w, now + timedelta(minutes=minute))
    assert time.perf_counter() - began < 1.0


def test_monthly_windows_far_from_the_anchor_need_only_a_few_month_steps(monkeypatch):
    calls = []
    real_add_months = windows.add_months

    def counting_add_months(anchor, months):
        calls.append(months)
        return real_add_months(anchor, months)

    monkeypatch.setattr(windows, "add_months", counting_add_months)
    anchor = utc(1990, 1, 31, 10)
    assert current_window(anchor, Window(1, MONTH), utc(2100, 2, 28, 9)) == (utc(2100, 1, 31, 10), utc(2100, 2, 28, 10))
    assert len(calls) <= 4
    calls.clear()
    assert current_window(anchor, Window(1, MONTH), utc(2100, 2, 28, 10)) == (utc(2100, 2, 28, 10), utc(2100, 3, 31, 10))
    assert len(calls) <= 4


# --- properties --------------------------------------------------------------------------------

any_window = st.sampled_from(list(WindowUnit)).flatmap(
    lambda unit: st.integers(*WINDOW_BOUNDS[unit]).map(lambda value: Window(value, unit))
)
anchors = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31, 23, 59, 59, 999_999), timezones=st.just(UTC)
)
# Up to 1000 windows of at most a year each stays far below datetime's year 9999.
indices = st.integers(min_value=0, max_value=1000)


@PROPS
@given(anchors, any_window, indices)
def test_consecutive_windows_tile(anchor, window, k):
    start, end = window_start(anchor, window, k), window_start(anchor, window, k + 1)
    assert end > start
    assert current_window(anchor, window, start) == (start, end)
    assert current_window(anchor, window, end - timedelta(microseconds=1)) == (start, end)
    assert current_window(anchor, window, end) == (end, window_start(anchor, window, k + 2))
    if window.unit != HOUR:
        assert start.time() == anchor.time()  # DAY, WEEK and MONTH windows keep the anchor's time of day


@PROPS
@given(anchors, any_window, st.integers(min_value=0, max_value=1000 * 366 * 86_400 * 10**6))
def test_current_window_contains_now(anchor, window, offset_micros):
    now = anchor + timedelta(microseconds=offset_micros)
    start, end = current_window(anchor, window, now)
    assert start <= now < end
    assert start >= anchor
    # start is on the anchor's grid: it is window_start(k) for the k it claims to be
    if window.unit == MONTH:
        k = ((start.year - anchor.year) * 12 + start.month - anchor.month) // window.value
    else:
        k = (start - anchor) // (window.value * windows._STEP[window.unit])
    assert (window_start(anchor, window, k), window_start(anchor, window, k + 1)) == (start, end)


@PROPS
@given(anchors, any_window, st.integers(min_value=1, max_value=100 * 366 * 86_400 * 10**6))
def test_before_the_anchor_is_window_zero(anchor, window, offset_micros):
    now = anchor - timedelta(microseconds=offset_micros)
    assert current_window(anchor, window, now) == (anchor, window_start(anchor, window, 1))


@PROPS
@given(anchors, st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=15 * 366 * 86_400 * 10**6))
def test_monthly_current_window_matches_a_linear_scan(anchor, value, offset_micros):
    window = Window(value, MONTH)
    now = anchor + timedelta(microseconds=offset_micros)
    k = 0
    while window_start(anchor, window, k + 1) <= now:
        k += 1
    assert current_window(anchor, window, now) == (window_start(anchor, window, k), window_start(anchor, window, k + 1))


@pytest.mark.parametrize("unit", list(WindowUnit))
def test_every_allowed_value_tiles_from_a_month_end_anchor(unit):
    low, high = WINDOW_BOUNDS[unit]
    anchor = utc(2024, 1, 31, 10)
    for value in range(low, high + 1):
        window = validate_window(value, unit)
        starts = [window_start(anchor, window, k) for k in range(5)]
        assert starts[0] == anchor
        assert all(a < b for a, b in zip(starts, starts[1:]))
        for k in range(4):
            assert current_window(anchor, window, starts[k]) == (starts[k], starts[k + 1])
            assert current_window(anchor, window, starts[k + 1] - timedelta(microseconds=1)) == (starts[k], starts[k + 1])
