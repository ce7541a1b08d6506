"""Summary tables: the figures they give equal the raw tables' figures, and imports keep them fresh."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import clock, reads, summary
from data_access.importing.load import import_file
from data_access.reads import issues, maps, places, property_management, volunteers
from data_access.scope import Period, Scope
from data_access.settings import PROJECT_ROOT
from tests.apptest import app_test
from tests.conftest import writable_copy

SCOPES = [Scope(), Scope("city", "420100"), Scope("district", "430602"), Scope("street", "420106001")]
PERIODS = [
    Period(date(2025, 11, 23), date(2026, 11, 23)),  # the last 12 months: edge days at both ends
    Period(date(2026, 11, 1), date(2026, 11, 23)),  # this month: days only
    Period(date(2024, 2, 29), date(2024, 3, 1)),  # one day
    Period(date(2023, 3, 15), date(2024, 6, 3)),  # long and ragged
    Period(date(2026, 1, 1), date(2026, 4, 1)),  # whole months only
]
CASES = [(s, p) for s in SCOPES for p in PERIODS]


def same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str] | None = None) -> None:
    if keys:
        a, b = a.sort_values(keys), b.sort_values(keys)
    cols = [c for c in a.columns if c in b.columns]
    assert len(cols) >= 2
    pd.testing.assert_frame_equal(
        a[cols].reset_index(drop=True), b[cols].reset_index(drop=True), check_dtype=False, rtol=1e-9
    )


@pytest.fixture(scope="module")
def at(engine):
    return clock.as_of()


def test_covers_city_district_and_street_scopes_only():
    assert [reads.from_summaries(Scope.from_code(c)) for c in (None, "420100", "430602", "430602001")] == [True] * 4
    assert not reads.from_summaries(Scope.from_code("430602001001")) and not reads.from_summaries(
        Scope.from_code("4306020010010" + "01")
    )


def test_spans_select_every_day_of_a_period_exactly_once(engine):
    """Expand the 'd' and 'm' buckets a period selects into days: each day of the period once, nothing else."""
    for period in [*PERIODS, Period(date(2024, 1, 31), date(2024, 3, 1)), Period(date(2024, 12, 1), date(2025, 1, 1))]:
        cond, params = summary.spans(period)
        sql = f"""
            WITH b AS (SELECT 'd' AS span, d::date AS bucket FROM generate_series(:lo, :hi, interval '1 day') d
                       UNION ALL
                       SELECT 'm', m::date FROM generate_series(:lo, :hi, interval '1 month') m)
            SELECT d::date FROM b, generate_series(b.bucket,
                   CASE WHEN span = 'm' THEN b.bucket + interval '1 month' - interval '1 day' ELSE b.bucket END,
                   interval '1 day') d
            WHERE {cond} ORDER BY 1"""
        with engine.connect() as conn:
            days = [
                r[0] for r in conn.execute(sa.text(sql), {**params, "lo": date(2022, 1, 1), "hi": date(2027, 1, 1)})
            ]
        expected = list(pd.date_range(period.start, period.end, inclusive="left").date)
        assert days == expected, period


@pytest.mark.parametrize("scope,period", CASES)
def test_issue_figures_from_summaries_equal_the_raw_rows(engine, at, scope, period):
    kpis = issues.issue_kpis(engine, scope, period, at)
    same(kpis, issues.issue_kpis(engine, scope, period, at, raw=True))
    assert kpis["reported"].iloc[0] > 0 or period.end - period.start < pd.Timedelta(days=2)
    same(
        issues.issue_by_child(engine, scope, period, at),
        issues.issue_by_child(engine, scope, period, at, raw=True),
        ["code"],
    )
    same(issues.issue_trend(engine, scope, period, at), issues.issue_trend(engine, scope, period, at, raw=True))
    same(
        property_management.property_issue_trend(engine, scope, period, at),
        property_management.property_issue_trend(engine, scope, period, at, raw=True),
    )
    same(issues.issue_funnel(engine, scope, period, at), issues.issue_funnel(engine, scope, period, at, raw=True))
    same(
        issues.issues_by_category(engine, scope, period),
        issues.issues_by_category(engine, scope, period, raw=True),
        ["code"],
    )
    for column in ("source_channel", "escalation_level"):
        same(
            issues.issue_mix(engine, scope, period, column),
            issues.issue_mix(engine, scope, period, column, raw=True),
            ["key"],
        )


@pytest.mark.parametrize("scope,period", CASES)
def test_volunteering_from_summaries_equals_the_raw_rows(engine, scope, period):
    same(
        volunteers.activity_types(engine, scope, period),
        volunteers.activity_types(engine, scope, period, raw=True),
        ["key"],
    )
    same(volunteers.volunteer_daily(engine, scope, period), volunteers.volunteer_daily(engine, scope, period, raw=True))
    kpis = volunteers.volunteer_kpis(engine, scope, period)
    same(kpis, volunteers.volunteer_kpis(engine, scope, period, raw=True))
    assert kpis["active"].iloc[0] > 0 or period.end - period.start < pd.Timedelta(days=2)
    same(volunteers.volunteer_trend(engine, scope, period), volunteers.volunteer_trend(engine, scope, period, raw=True))
    same(volunteers.top_teams(engine, scope, period), volunteers.top_teams(engine, scope, period, raw=True))


def test_the_overview_table_of_districts_matches_the_raw_counts(engine, at):
    period = PERIODS[0]
    df = places.place_overview(engine, period, at).set_index("code")
    for code in ("430602", "420106"):
        raw = issues.issue_kpis(engine, Scope("district", code), period, at, raw=True).iloc[0]
        assert (df.loc[code, "reported"], df.loc[code, "due"], df.loc[code, "closed"]) == (
            raw["reported"],
            raw["due"],
            raw["closed"],
        )


def _tables(engine) -> dict[str, pd.DataFrame]:
    out = {}
    with engine.connect() as conn:
        for table in summary.TABLES:
            df = pd.read_sql_query(sa.text(f"SELECT * FROM {table}"), conn)
            keys = [
                c
                for c in df.columns
                if c
                in (
                    "span",
                    "bucket",
                    "district_code",
                    "community_code",
                    "street_code",
                    "category_code",
                    "department_code",
                )
                or c in ("activity_type", "word")
                or c in ("team_id", "volunteer_id")
            ]
            out[table] = df.sort_values(keys).reset_index(drop=True)
    return out


def test_imports_refresh_only_what_they_touch_and_match_a_full_rebuild(engine, tmp_path):
    """New issues, then the same work orders moved to another community and month: the summaries follow."""
    with writable_copy("cockpit_test_summary") as copy:
        with copy.connect() as conn:
            far = conn.execute(
                sa.text(
                    "SELECT centroid_lon, centroid_lat, community_code FROM micro_grid "
                    "WHERE district_code = '430602' AND community_code <> '430602001002' ORDER BY code LIMIT 1"
                )
            ).one()
        lines = (PROJECT_ROOT / "examples" / "issues.csv").read_text("utf-8").splitlines()
        first = tmp_path / "first.csv"
        first.write_text("\n".join(lines), "utf-8")
        before = issues.issue_kpis(copy, Scope("district", "430602"), Period(date(2026, 3, 1), date(2026, 4, 1)))
        report = import_file(copy, "issues", first)
        assert report.loaded and report.inserted == len(lines) - 1
        after = issues.issue_kpis(copy, Scope("district", "430602"), Period(date(2026, 3, 1), date(2026, 4, 1)))
        assert after["reported"].iloc[0] == before["reported"].iloc[0] + report.inserted  # the example is March 2026

        header, rows = lines[0].split(","), [r.split(",") for r in lines[1:]]
        col = {name: header.index(name) for name in ("社区代码", "经度", "纬度")}
        moved = []
        for r in rows:
            r = [c.replace("2026-03-", "2025-07-").replace("2026年3月", "2025年7月") for c in r]
            r[col["社区代码"]], r[col["经度"]], r[col["纬度"]] = "", str(far.centroid_lon), str(far.centroid_lat)
            moved.append(",".join(r))
        second = tmp_path / "moved.csv"
        second.write_text("\n".join([lines[0], *moved]), "utf-8")
        report = import_file(copy, "issues", second)
        assert report.loaded and report.updated == len(rows), [p.reason for p in report.problems]
        again = issues.issue_kpis(copy, Scope("district", "430602"), Period(date(2026, 3, 1), date(2026, 4, 1)))
        assert again["reported"].iloc[0] == before["reported"].iloc[0]  # gone from March 2026
        moved_to = issues.issue_kpis(
            copy, Scope("street", far.community_code[:9]), Period(date(2025, 7, 1), date(2025, 8, 1))
        )
        pd.testing.assert_frame_equal(  # hour sums add up in another order: equal to rounding
            moved_to,
            issues.issue_kpis(
                copy, Scope("street", far.community_code[:9]), Period(date(2025, 7, 1), date(2025, 8, 1)), raw=True
            )[moved_to.columns],
            check_dtype=False,
            rtol=1e-9,
        )

        incremental = _tables(copy)
        with copy.begin() as conn:
            summary.refresh(conn)
        rebuilt = _tables(copy)
        for table in summary.TABLES:
            pd.testing.assert_frame_equal(incremental[table], rebuilt[table], check_dtype=False)


def test_refresh_command_rebuilds_the_summaries_and_bumps_the_data_version(engine):
    from data_access.meta import data_version

    with writable_copy("cockpit_test_refresh") as copy:
        with copy.begin() as conn:
            conn.execute(sa.text("DELETE FROM issue_summary WHERE district_code = '430602'"))
        version = data_version(copy)
        out = subprocess.run(
            [sys.executable, "-m", "data_access", "refresh", "--json"],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env=os.environ.copy(),
            timeout=600,
        )
        assert out.returncode == 0, out.stderr
        assert data_version(copy) == version + 1
        scope, period = Scope("district", "430602"), PERIODS[0]
        at = clock.as_of()
        same(issues.issue_kpis(copy, scope, period, at), issues.issue_kpis(copy, scope, period, at, raw=True))


def test_overdue_list_pages_by_keyset_without_gaps_or_repeats(engine, at):
    scope = Scope()  # the whole store: a district may hold fewer than 20 overdue cases on a given day
    whole = issues.overdue_issues(engine, scope, at, 10_000)
    n = len(whole)
    assert n >= 20
    first = issues.overdue_issues(engine, scope, at, n // 2)
    last = first.iloc[-1]
    second = issues.overdue_issues(engine, scope, at, n, (last["due_at"].to_pydatetime(), last["order_no"]))
    assert list(whole["order_no"]) == list(first["order_no"]) + list(second["order_no"])


def test_the_issue_page_turns_the_overdue_list(engine):

    app = app_test(timeout=120)  # the whole store: more overdue cases than a page holds
    app.switch_page("app_pages/issues.py")
    app.run()
    first = [b for b in app.button if b.key and b.key.endswith("_next")]
    assert len(first) == 1 and not first[0].disabled
    frames = [d.value for d in app.dataframe]
    codes_before = set(frames[-1]["工单编号"])
    first[0].click().run()
    assert not app.exception
    assert any(c.value == "第 2 页" for c in app.caption)
    frames = [d.value for d in app.dataframe]
    codes_after = set(frames[-1]["工单编号"])
    assert codes_after and not codes_before & codes_after


def test_city_scope_reads_by_street_sum_the_street_rows(engine, at):
    """A city's rollup has no streets: the map of a city's streets still reads the street rows."""
    scope, period = Scope("city", "420100"), PERIODS[0]
    df = maps.map_units(engine, scope, "street", period, at).set_index("code")
    w, p = scope.where()
    pw, pp = period.where("reported_at")
    with engine.connect() as conn:
        raw = dict(
            conn.execute(
                sa.text(
                    f"SELECT street_code, count(*) FROM issue WHERE {w} AND {pw} AND reported_at <= :at GROUP BY 1"
                ),
                {**p, **pp, "at": at},
            ).all()
        )
    assert len(raw) > 1 and {c: int(n) for c, n in df["reported"].items() if n} == raw


def test_a_period_across_the_first_day_with_day_rows_counts_each_day_once(engine, at):
    """Day rows are kept from summary_days_from on; a period around that day reads the days before it from the raw
    rows and the days after from the day rows (a read of either twice, or neither, would differ from raw)."""
    from datetime import timedelta

    with engine.connect() as conn:
        first = date.fromisoformat(
            conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'summary_days_from'")).scalar()
        )
        older = sum(
            conn.execute(sa.text(f"SELECT count(*) FROM {t} WHERE span = 'd' AND bucket < :f"), {"f": first}).scalar()
            for t in summary.RECENT_DAYS
        )
    assert older == 0 and first.day == 1  # no day rows before it
    period = Period(first - timedelta(days=10), first + timedelta(days=10))
    for scope in (Scope(), Scope("city", "420100"), Scope("street", "420106001")):
        same(issues.issue_kpis(engine, scope, period, at), issues.issue_kpis(engine, scope, period, at, raw=True))
        same(
            volunteers.top_teams(engine, scope, period, 10),
            volunteers.top_teams(engine, scope, period, 10, raw=True),
            ["name"],
        )
        for read in (volunteers.volunteer_daily, volunteers.activity_types, volunteers.volunteer_trend):
            same(read(engine, scope, period), read(engine, scope, period, raw=True))
