"""The view a URL describes: scope, time range, comparison, language.

Pure functions: the query string ↔ ViewState ↔ Periods. Unknown or malformed values fall
back to defaults, so a hand-edited or hostile URL never breaks a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from data_access.scope import Period, Scope

RANGES = ("month", "quarter", "year", "12m", "custom")
COMPARES = ("prev", "yoy")
LANGS = ("zh", "en")


@dataclass(frozen=True)
class ViewState:
    scope: str | None = None  # a place code (city, district, street, community or grid)
    range: str = "12m"
    start: date | None = None  # custom range, inclusive
    end: date | None = None
    compare: str = "prev"
    lang: str = "zh"

    @property
    def place(self) -> Scope:
        return Scope.from_code(self.scope)

    def with_scope(self, code: str | None) -> ViewState:
        return replace(self, scope=code)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


FIRST_DAY = date(2000, 1, 1)  # the earliest day a link or the date picker may ask for


def from_params(params) -> ViewState:
    """Read a ViewState from a query-params mapping, dropping anything invalid."""
    get = params.get
    scope = get("scope")
    try:
        scope = scope if scope and re.fullmatch(r"[0-9]{6,15}", scope) and Scope.from_code(scope) else None
    except ValueError:
        scope = None
    rng = get("range") if get("range") in RANGES else "12m"
    start, end = _date(get("from")), _date(get("to"))
    if start and end:  # a hostile or mistyped link (1900-01-01 … 2999-12-31) is clamped, never an error
        start, end = (min(max(d, FIRST_DAY), date.today()) for d in (start, end))
    if rng == "custom" and not (start and end and start <= end):
        rng, start, end = "12m", None, None
    return ViewState(
        scope=scope,
        range=rng,
        start=start if rng == "custom" else None,
        end=end if rng == "custom" else None,
        compare=get("cmp") if get("cmp") in COMPARES else "prev",
        lang=get("lang") if get("lang") in LANGS else "zh",
    )


def to_params(state: ViewState) -> dict[str, str]:
    """The query string of a ViewState (defaults left out, so links stay short)."""
    out = {}
    if state.scope:
        out["scope"] = state.scope
    if state.range != "12m":
        out["range"] = state.range
    if state.range == "custom":
        out["from"], out["to"] = state.start.isoformat(), state.end.isoformat()
    if state.compare != "prev":
        out["cmp"] = state.compare
    if state.lang != "zh":
        out["lang"] = state.lang
    return out


def _shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def period_of(state: ViewState, as_of: date) -> Period:
    """The half-open period the state selects, ending with the data's as-of day."""
    end = as_of + timedelta(days=1)
    if state.range == "month":
        return Period(as_of.replace(day=1), end)
    if state.range == "quarter":
        return Period(date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1), end)
    if state.range == "year":
        return Period(date(as_of.year, 1, 1), end)
    if state.range == "custom":
        return Period(state.start, state.end + timedelta(days=1))
    return Period(_shift_year(end, -1), end)


def partial_months(period: Period) -> list[date]:
    """The months the period covers only in part (their counts are not a whole month's), first day each."""
    first, last = period.start.replace(day=1), (period.end - timedelta(days=1)).replace(day=1)
    after_last = (last + timedelta(days=32)).replace(day=1)
    return sorted({m for m, whole in ((first, period.start == first), (last, period.end == after_last)) if not whole})


def comparison_of(period: Period, compare: str) -> Period:
    """The previous period of equal length, or the same period a year earlier."""
    if compare == "yoy":
        return Period(_shift_year(period.start, -1), _shift_year(period.end, -1))
    length = period.end - period.start
    return Period(period.start - length, period.start)
