"""The URL ↔ view state ↔ periods, as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.state import ViewState, from_params, periods_of, to_params
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
        ("12m", date(2025, 12, 1)),
    ],
)
def test_periods_to_date_end_with_the_as_of_day(rng, start):
    p, _ = periods_of(ViewState(range=rng), AS_OF)
    assert p == Period(start, date(2026, 11, 23))


def test_new_ranges_and_old_links_read_from_the_url():
    assert from_params({"range": "last_month"}).range == "last_month"
    assert from_params({"range": "this_month"}).range == "month"
    assert from_params({"range": "fortnight"}) == ViewState()
    p, previous = periods_of(from_params({"range": "last_month"}), AS_OF)
    assert (p, previous) == (Period(date(2026, 10, 1), date(2026, 11, 1)), Period(date(2026, 9, 1), date(2026, 10, 1)))


def test_custom_period_includes_its_last_day():
    p, _ = periods_of(ViewState(range="custom", start=date(2026, 1, 1), end=date(2026, 1, 31)), AS_OF)
    assert p == Period(date(2026, 1, 1), date(2026, 2, 1))
