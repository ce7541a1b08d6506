"""The view a URL describes: scope, time range, comparison, language.

Pure functions: the query string ↔ ViewState ↔ Periods. Unknown or malformed values fall
back to defaults, so a hand-edited or hostile URL never breaks a page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from dashboard.labels import LANGS
from data_access import clock, periods
from data_access.periods import COMPARES, DEFAULT_RANGE, RANGES
from data_access.scope import Period, Scope, is_place_code


@dataclass(frozen=True)
class ViewState:
    scope: str | None = None  # a place code (city, district, street, community or grid)
    range: str = DEFAULT_RANGE
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
    scope = scope if is_place_code(scope) else None
    rng = periods.ALIASES.get(get("range"), get("range"))
    rng = rng if rng in RANGES else DEFAULT_RANGE
    start, end = _date(get("from")), _date(get("to"))
    if start and end:  # a hostile or mistyped link (1900-01-01 … 2999-12-31) is clamped, never an error
        start, end = (min(max(d, FIRST_DAY), clock.today()) for d in (start, end))
    if rng == "custom" and not (start and end and start <= end):
        rng, start, end = DEFAULT_RANGE, None, None
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
    if state.range != DEFAULT_RANGE:
        out["range"] = state.range
    if state.range == "custom":
        out["from"], out["to"] = state.start.isoformat(), state.end.isoformat()
    if state.compare != "prev":
        out["cmp"] = state.compare
    if state.lang != "zh":
        out["lang"] = state.lang
    return out


def periods_of(state: ViewState, today: date) -> tuple[Period, Period]:
    """(the period the state selects on ``today``, what it is compared with): data_access.periods."""
    return periods.periods(state.range, today, state.compare, state.start, state.end)
