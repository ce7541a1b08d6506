"""The indicator catalogue (data_access.indicators) against independent SQL over the raw issue rows.

The SQL here is written from the definitions in words (DESIGN.md, docs/indicators.md), not taken from
the catalogue: a definition that drifts in the catalogue, in the summaries or in a reader fails here.
A new issue indicator without a definition below fails loudly until one is written.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import clock, indicators
from data_access.reads import issues
from data_access.reads.places import units
from data_access.scope import Period, Scope

REL = 1e-9  # relative tolerance for rates and means (float sums of hours in a different order)

# ---------------------------------------------------------------------------------------------- definitions
# Over issue rows aliased ``i``, at the bound time ``:at``.


def _n(cond: str) -> str:
    return f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END)"


REPORTED = "count(i.id)"
CLOSED = _n("i.closed_at <= :at")
DUE = _n("(i.closed_at IS NOT NULL AND i.closed_at <= :at) OR i.due_at <= :at")
DISPATCHED = _n("i.dispatched_at <= :at")
EVALUATED = _n("i.evaluated_at <= :at")
ACCEPTED_IN_TIME = _n("i.accepted_at <= i.accept_due_at AND i.accepted_at <= :at")
# An earlier issue (strictly earlier, at most 30 days) of the same compound and level-3 category.
PREVIOUS = (
    "(SELECT max(p.reported_at) FROM issue p WHERE p.compound_code = i.compound_code "
    "AND p.category_code = i.category_code AND p.reported_at < i.reported_at)"
)
# …or of the same normalised address (address_key) in the same community.
PREVIOUS_HERE = (
    "(SELECT max(p.reported_at) FROM issue p WHERE p.address_key = i.address_key AND p.community_code = "
    "i.community_code AND p.category_code = i.category_code AND p.reported_at < i.reported_at)"
)
REPEATED = _n(
    f"(i.compound_code IS NOT NULL AND {PREVIOUS} >= i.reported_at - make_interval(days => 30)) OR "
    f"(i.address_key IS NOT NULL AND {PREVIOUS_HERE} >= i.reported_at - make_interval(days => 30))"
)


def _stage(later: str, earlier: str) -> tuple[str, str, float]:
    both = f"i.{later} IS NOT NULL AND i.{earlier} IS NOT NULL AND i.{later} <= :at"
    hours = f"(extract(epoch FROM i.{later}) - extract(epoch FROM i.{earlier})) / 3600.0"
    return f"sum(CASE WHEN {both} THEN {hours} END)", _n(both), 1.0


# key -> (numerator SQL, denominator SQL or None for a count, scale)
DEFINITIONS: dict[str, tuple[str, str | None, float]] = {
    "reported": (REPORTED, None, 1.0),
    "closed": (CLOSED, None, 1.0),
    "due": (DUE, None, 1.0),
    # Stocks at :at whatever the period (STOCKS): overdue, open, past the limit and not suspended (挂账) by then;
    # suspended, open and suspended by then.
    "overdue_open": (
        _n("i.closed_at IS NULL AND i.due_at <= :at AND NOT coalesce(i.suspended_at <= :at, false)"),
        None,
        1.0,
    ),
    "suspended_open": (_n("i.closed_at IS NULL AND i.suspended_at IS NOT NULL AND i.suspended_at <= :at"), None, 1.0),
    "closed_late": (_n("i.closed_at <= :at AND i.closed_at > i.due_at"), None, 1.0),
    "on_time_acceptance_rate": (ACCEPTED_IN_TIME, REPORTED, 100.0),
    "response_rate": (ACCEPTED_IN_TIME, REPORTED, 100.0),
    # Closed issues handled within the limit, of the due ones (an issue handled but not closed is not counted).
    "on_time_handling_rate": (_n("i.closed_at <= :at AND i.handled_at <= i.due_at"), DUE, 100.0),
    "on_time_rate": (_n("i.closed_at <= i.due_at AND i.closed_at <= :at"), DUE, 100.0),
    "closure_rate": (CLOSED, DUE, 100.0),
    "rework_rate": (_n("i.closed_at <= :at AND i.reworked_count > 0"), CLOSED, 100.0),
    "return_rate": (_n("i.dispatched_at <= :at AND i.returned_count > 0"), DISPATCHED, 100.0),
    "extension_rate": (_n("i.dispatched_at <= :at AND i.extended_count > 0"), DISPATCHED, 100.0),
    "redispatch_rate": (_n("i.dispatched_at <= :at AND i.redispatch_count > 0"), DISPATCHED, 100.0),
    "self_settled_rate": (
        _n("i.closed_at <= :at AND i.escalation_level IN ('compound', 'community')"),
        CLOSED,
        100.0,
    ),
    "satisfaction_rate": (
        _n("i.evaluated_at <= :at AND i.satisfaction IN ('satisfied', 'basically_satisfied')"),
        EVALUATED,
        100.0,
    ),
    "resolution_rate": (
        _n("i.evaluated_at <= :at AND i.resolved IS TRUE"),
        _n("i.evaluated_at <= :at AND i.resolved IS NOT NULL"),
        100.0,
    ),
    "repeat_rate": (REPEATED, REPORTED, 100.0),
    "unplaced_share": (_n("i.lon IS NULL OR i.lat IS NULL"), REPORTED, 100.0),
    "closed_late_rate": (_n("i.closed_at <= :at AND i.closed_at > i.due_at"), CLOSED, 100.0),
    "worker_reported": (_n("i.reporter_code IS NOT NULL"), None, 1.0),
    "valid_report_rate": (
        _n("i.reporter_code IS NOT NULL AND i.registered_at <= :at"),
        _n("i.reporter_code IS NOT NULL"),
        100.0,
    ),
    "worker_self_settled": (
        _n("i.reporter_code IS NOT NULL AND i.closed_at <= :at AND i.escalation_level = 'compound'"),
        None,
        1.0,
    ),
    "mean_accepted_hours": _stage("accepted_at", "reported_at"),
    "mean_dispatched_hours": _stage("dispatched_at", "accepted_at"),
    "mean_handled_hours": _stage("handled_at", "dispatched_at"),
    "mean_closed_hours": _stage("closed_at", "handled_at"),
    "mean_satisfied_hours": _stage("evaluated_at", "closed_at"),
}

STOCKS = ("overdue_open", "suspended_open")  # of the scope's issues of any report date
ISSUE_INDICATORS = [i for i in indicators.INDICATORS if i.domain == "issues"]
RATIOS = [i.key for i in ISSUE_INDICATORS if i.denominator is not None]  # derived columns of the readers
SCOPES = ("city", "district", "street", "community")
PERIODS = ("last30", "year2025")

# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def at(engine) -> datetime:
    return clock.as_of()


@pytest.fixture(scope="module")
def places(engine) -> dict[str, Scope]:
    """The city 420100, the district 430602, its busiest street and that street's busiest community."""
    with engine.connect() as conn:
        street = conn.execute(
            sa.text(
                "SELECT street_code FROM issue WHERE district_code = '430602' GROUP BY 1 ORDER BY count(*) DESC, 1 "
                "LIMIT 1"
            )
        ).scalar_one()
        community = conn.execute(
            sa.text(
                "SELECT community_code FROM issue WHERE street_code = :s GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ),
            {"s": street},
        ).scalar_one()
    return {
        "city": Scope.from_code("420100"),
        "district": Scope.from_code("430602"),
        "street": Scope.from_code(street),
        "community": Scope.from_code(community),
    }


@pytest.fixture(scope="module")
def periods(at) -> dict[str, Period]:
    end = at.date() + timedelta(days=1)
    return {"last30": Period(end - timedelta(days=30), end), "year2025": Period(date(2025, 1, 1), date(2026, 1, 1))}


def _scope_sql(scope: Scope) -> tuple[str, str, dict]:
    """(join, condition, params) selecting the scope's issue rows, written here from the hierarchy."""
    if scope.level == "city":
        return "JOIN district d ON d.code = i.district_code", "d.city_code = :code", {"code": scope.code}
    column = {"district": "district_code", "street": "street_code", "community": "community_code"}[scope.level]
    return "", f"i.{column} = :code", {"code": scope.code}


def independent_counts(engine, scope: Scope, period: Period, at: datetime) -> dict[str, float | None]:
    """Numerator and denominator of every definition above, over the issues reported in the period by ``at``."""
    cols = []
    for key, (num, den, _) in DEFINITIONS.items():
        if key in STOCKS:
            continue
        cols.append(f"{num} AS {key}__num")
        if den is not None:
            cols.append(f"{den} AS {key}__den")
    join, cond, params = _scope_sql(scope)
    sql = (
        f"SELECT {', '.join(cols)} FROM issue i {join} "
        f"WHERE {cond} AND i.reported_at >= :start AND i.reported_at < :end AND i.reported_at <= :at"
    )
    stocks = ", ".join(f"{DEFINITIONS[k][0]} AS {k}__num" for k in STOCKS)
    start, end = (datetime.combine(d, datetime.min.time()) for d in (period.start, period.end))
    with engine.connect() as conn:
        row = conn.execute(sa.text(sql), {**params, "start": start, "end": end, "at": at}).mappings().one()
        held = (
            conn.execute(
                sa.text(f"SELECT {stocks} FROM issue i {join} WHERE {cond} AND i.reported_at <= :at"),
                {**params, "at": at},
            )
            .mappings()
            .one()
        )
    return {k: (None if v is None else float(v)) for k, v in {**row, **held}.items()}


def expected_value(counts: dict, key: str) -> float | None:
    _, den_sql, scale = DEFINITIONS[key]
    num = counts[f"{key}__num"] or 0.0
    if den_sql is None:
        return num
    den = counts[f"{key}__den"] or 0.0
    return None if den == 0 else scale * num / den


@pytest.fixture(scope="module")
def figures(engine, at, places, periods):
    """(independent counts, issue_kpis row) per scope × period, read once for the module."""
    cache: dict[tuple[str, str], tuple[dict, pd.Series]] = {}

    def get(scope: str, period: str) -> tuple[dict, pd.Series]:
        if (scope, period) not in cache:
            s, p = places[scope], periods[period]
            cache[scope, period] = (independent_counts(engine, s, p, at), issues.issue_kpis(engine, s, p, at).iloc[0])
        return cache[scope, period]

    return get


def _missing(v) -> bool:
    return v is None or bool(pd.isna(v))


# ---------------------------------------------------------------------------------------------- 1. values


@pytest.mark.parametrize(
    "key,scope,period",
    [pytest.param(i.key, s, p, id=f"{i.key}-{s}-{p}") for i in ISSUE_INDICATORS for s in SCOPES for p in PERIODS],
)
def test_issue_kpis_equal_the_independent_sql(figures, key, scope, period):
    if key not in DEFINITIONS:
        pytest.fail(f"issue indicator {key!r} has no independent definition in DEFINITIONS (this file)")
    counts, row = figures(scope, period)
    assert counts["reported__num"] > 0, f"no issues reported at {scope}/{period}: the comparison would be empty"
    assert key in row.index, f"issue_kpis has no column {key!r}"
    want, got = expected_value(counts, key), row[key]
    if want is None:
        assert _missing(got), f"{key}: no cases, expected None/NaN, got {got!r}"
    elif DEFINITIONS[key][1] is None:
        assert not _missing(got) and int(got) == int(want), f"{key}: {got!r} != {want!r}"
    else:
        assert not _missing(got), f"{key}: expected {want!r}, got {got!r}"
        assert float(got) == pytest.approx(want, rel=REL, abs=1e-9), f"{key} at {scope}/{period}"


def test_every_definition_here_is_an_issue_indicator_of_the_catalogue():
    """A removed or renamed indicator leaves a stale definition behind: say so."""
    assert set(DEFINITIONS) <= {i.key for i in ISSUE_INDICATORS}


@pytest.mark.parametrize("level", ["street", "community"])
def test_issue_rates_stay_within_0_and_100_in_every_unit(engine, at, periods, level):
    """A rate counts a subset of its denominator's cases: no street or community (every one in the store,
    last 30 days, where open issues are not yet due) shows more than 100 %."""
    parent = "district" if level == "street" else "street"
    df = pd.concat(
        [
            issues.issue_by_child(engine, Scope(parent, code), periods["last30"], at)
            for code in units(engine, parent)["code"]
        ],
        ignore_index=True,
    )
    assert len(df) > 10
    over = {}
    for ind in ISSUE_INDICATORS:
        if ind.kind != "ratio":
            continue
        bad = df[(df[ind.key] > 100) | (df[ind.key] < 0)]
        if len(bad):
            over[ind.key] = (
                len(bad),
                bad[["code", ind.numerator, ind.denominator, ind.key]].head(3).to_dict("records"),
            )
    assert not over, f"{len(df)} {level} units; out of 0..100: {over}"


# ---------------------------------------------------------------------------------------------- 2. summaries = raw


def _assert_same(summ: pd.DataFrame, raw: pd.DataFrame, keys: list[str], what: str) -> None:
    counts = list(indicators.COUNTS)
    for df, src in ((summ, "summary"), (raw, "raw")):
        missing = [c for c in [*keys, *counts, *RATIOS] if c not in df.columns]
        assert not missing, f"{what} ({src}) lacks columns {missing}"
    if keys:
        summ = summ.sort_values(keys).reset_index(drop=True)
        raw = raw.sort_values(keys).reset_index(drop=True)
        assert summ[keys].astype(str).values.tolist() == raw[keys].astype(str).values.tolist(), f"{what}: keys differ"
    assert len(summ) == len(raw) > 0, what
    exact = [c for c in counts if not c.startswith("h_")]  # h_*: sums of hours, floats
    pd.testing.assert_frame_equal(
        summ[exact].astype("int64"), raw[exact].astype("int64"), check_dtype=False, obj=f"{what} counts"
    )
    floats = [c for c in counts if c.startswith("h_")] + RATIOS
    pd.testing.assert_frame_equal(
        summ[floats].astype(float), raw[floats].astype(float), check_dtype=False, rtol=REL, obj=f"{what} indicators"
    )


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("scope", ["district", "street"])
def test_summaries_equal_the_raw_rows(engine, at, places, periods, scope, period):
    s, p = places[scope], periods[period]
    _assert_same(issues.issue_kpis(engine, s, p, at), issues.issue_kpis(engine, s, p, at, raw=True), [], "kpis")
    _assert_same(
        issues.issue_by_child(engine, s, p, at),
        issues.issue_by_child(engine, s, p, at, raw=True),
        ["code"],
        "issue_by_child",
    )
    trend, trend_raw = issues.issue_trend(engine, s, p, at), issues.issue_trend(engine, s, p, at, raw=True)
    _assert_same(trend, trend_raw, ["bucket"], "issue_trend")
    by_dept = issues.issue_by_department(engine, s, p, at)
    by_dept_raw = issues.issue_by_department(engine, s, p, at, raw=True)
    _assert_same(by_dept, by_dept_raw, ["code", "name", "kind"], "issue_by_department")


# ---------------------------------------------------------------------------------------------- 3. departments


@pytest.mark.parametrize("period", PERIODS)
def test_departments_of_the_district_rank_apart(engine, at, places, periods, period):
    scope, p = places["district"], periods[period]
    with engine.connect() as conn:
        known = set(
            conn.execute(sa.text("SELECT code FROM department WHERE district_code = :d"), {"d": scope.code}).scalars()
        )
        without = conn.execute(
            sa.text(
                "SELECT count(*) FROM issue WHERE district_code = :d AND department_code IS NULL "
                "AND reported_at >= :s AND reported_at < :e AND reported_at <= :at"
            ),
            {"d": scope.code, "s": p.start, "e": p.end, "at": at},
        ).scalar_one()
    assert known, "no departments of 430602 in the department table"
    df = issues.issue_by_department(engine, scope, p, at)
    assert len(df) > 1
    codes = list(df["code"])
    assert all(c.startswith(f"{scope.code}D") for c in codes), codes
    assert set(codes) <= known, sorted(set(codes) - known)
    assert df["name"].notna().all() and df["kind"].notna().all()
    district = issues.issue_kpis(engine, scope, p, at).iloc[0]
    assert int(df["reported"].sum()) + without == int(district["reported"])
    enough = df[df["due"] >= indicators.get("on_time_rate").min_cases]["on_time_rate"].dropna()
    assert len(enough) > 1
    assert enough.max() - enough.min() > 5, enough.describe()
