"""The URL ↔ view state ↔ periods, as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.state import ViewState, comparison_of, from_params, partial_months, period_of, to_params
from data_access.scope import Period

AS_OF = date(2026, 11, 22)


def test_round_trip_through_the_query_string():
    state = ViewState(
        scope="430602001", range="custom", start=date(2026, 1, 5), end=date(2026, 3, 1), compare="yoy", lang="en"
    )
    assert from_params(to_params(state)) == state
    assert to_params(ViewState()) == {}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"scope": "x1"}, ViewState()),
        ({"scope": "1234567"}, ViewState()),
        ({"range": "custom", "from": "2026-03-01", "to": "2026-01-01"}, ViewState()),
        ({"cmp": "tomorrow", "lang": "fr"}, ViewState()),
        ({"scope": "420100"}, ViewState(scope="420100")),
    ],
)
def test_invalid_values_fall_back_to_defaults(params, expected):
    assert from_params(params) == expected


@pytest.mark.parametrize(
    ("rng", "start"),
    [
        ("month", date(2026, 11, 1)),
        ("quarter", date(2026, 10, 1)),
        ("year", date(2026, 1, 1)),
        ("12m", date(2025, 11, 23)),
    ],
)
def test_periods_end_with_the_as_of_day(rng, start):
    p = period_of(ViewState(range=rng), AS_OF)
    assert p == Period(start, date(2026, 11, 23))


def test_comparison_periods():
    p = Period(date(2026, 10, 1), date(2026, 11, 23))
    assert comparison_of(p, "yoy") == Period(date(2025, 10, 1), date(2025, 11, 23))
    prev = comparison_of(p, "prev")
    assert prev.end == p.start and prev.end - prev.start == p.end - p.start
    leap = Period(date(2024, 2, 29), date(2024, 3, 1))
    assert comparison_of(leap, "yoy").start == date(2023, 2, 28)


def test_custom_period_includes_its_last_day():
    p = period_of(ViewState(range="custom", start=date(2026, 1, 1), end=date(2026, 1, 31)), AS_OF)
    assert p == Period(date(2026, 1, 1), date(2026, 2, 1))


@pytest.mark.parametrize(
    "start,end,partial",
    [
        (date(2025, 12, 2), date(2026, 12, 2), [date(2025, 12, 1), date(2026, 12, 1)]),  # the last 12 months
        (date(2026, 1, 1), date(2026, 12, 1), []),  # whole months
        (date(2026, 11, 1), date(2026, 11, 18), [date(2026, 11, 1)]),  # this month so far
        (date(2026, 2, 1), date(2026, 3, 1), []),
    ],
)
def test_partial_months_are_those_the_period_covers_in_part(start, end, partial):
    assert partial_months(Period(start, end)) == partial
