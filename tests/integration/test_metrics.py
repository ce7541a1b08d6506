"""The read layer (data_access.reads) against independent computations over raw rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import clock
from data_access.reads import issues, organisation, places, property_management, stations, volunteers
from data_access.scope import Period, Scope

PERIOD = None


@pytest.fixture(scope="module")
def period(engine):
    at = clock.as_of().date()
    return Period(date(at.year - 1, at.month, 1), date(at.year, at.month, 1))


SCOPES = [
    Scope(),
    Scope("city", "420100"),
    Scope("district", "430602"),
    Scope("street", "430602001"),
    Scope("community", "430602001001"),
]


def _raw_issues(engine, scope: Scope, period: Period) -> pd.DataFrame:
    with engine.connect() as conn:
        df = pd.read_sql_query(
            sa.text(
                "SELECT i.*, d.city_code FROM issue i JOIN district d ON d.code = i.district_code "
                "WHERE i.reported_at >= :a AND i.reported_at < :b"
            ),
            conn,
            params={"a": period.start, "b": period.end},
        )
    if scope.code is None:
        return df
    col = {"city": "city_code", "district": "district_code", "street": "street_code", "community": "community_code"}[
        scope.level
    ]
    return df[df[col] == scope.code]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.level}-{s.code}")
def test_issue_kpis_match_raw_rows(engine, period, scope):
    at = clock.as_of()
    got = issues.issue_kpis(engine, scope, period).iloc[0]
    raw = _raw_issues(engine, scope, period)
    closed = raw["closed_at"].notna()
    due = closed | (raw["due_at"] <= at)
    assert got["reported"] == len(raw) > 0
    assert got["due"] == due.sum()
    assert got["closed"] == closed.sum()
    assert got["on_time"] == (closed & (raw["closed_at"] <= raw["due_at"])).sum()
    ev = raw["evaluated_at"].notna()
    assert got["satisfaction_rate"] == pytest.approx(
        100 * raw.loc[ev, "satisfaction"].isin(["satisfied", "basically_satisfied"]).mean()
    )
    hours = (raw["closed_at"] - raw["handled_at"]).dt.total_seconds() / 3600
    medians = issues.stage_medians(engine, scope, period, at).iloc[0]
    assert medians["mean_closed_hours"] == pytest.approx(hours.median())  # the mean's median, from raw rows
    from_raw = issues.issue_kpis(engine, scope, period, raw=True).iloc[0]
    assert from_raw["due"] == got["due"] and from_raw["satisfied"] == got["satisfied"]
    assert 80 < got["closure_rate"] <= 100


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.level}-{s.code}")
def test_hierarchy_counts_match_sql(engine, scope):
    got = places.hierarchy_counts(engine, scope).iloc[0]
    with engine.connect() as conn:
        mg = pd.read_sql_query(
            sa.text(  # the current layout: a reform keeps the old micro-grids with an end date
                "SELECT m.*, d.city_code FROM micro_grid m JOIN district d ON d.code = m.district_code "
                "WHERE m.valid_to IS NULL"
            ),
            conn,
        )
    if scope.code:
        col = {
            "city": "city_code",
            "district": "district_code",
            "street": "street_code",
            "community": "community_code",
        }[scope.level]
        mg = mg[mg[col] == scope.code]
    assert got["micro_grids"] == len(mg)
    assert got["households"] == mg["households"].sum()
    assert got["grids"] == mg["grid_code"].nunique()


def test_volunteer_kpis_match_raw_rows(engine, period):
    scope = Scope("district", "350802")
    got = volunteers.volunteer_kpis(engine, scope, period).iloc[0]
    with engine.connect() as conn:
        act = pd.read_sql_query(
            sa.text(
                "SELECT volunteer_id, hours, points FROM volunteer_activity WHERE district_code = "
                "'350802' AND activity_date >= :a AND activity_date < :b"
            ),
            conn,
            params={"a": period.start, "b": period.end},
        )
    assert got["active"] == act["volunteer_id"].nunique() > 0
    assert got["hours"] == pytest.approx(act["hours"].astype(float).sum())
    assert got["points_earned"] == act["points"].sum()
    assert got["in_service_registered"] <= 4320


def test_station_coverage_is_monotonic_in_minutes(engine):
    cov = stations.station_coverage(engine, Scope("district", "420602"))
    assert list(cov["minutes"]) == [5, 10, 15]
    assert np.all(np.diff(cov["covered"]) >= 0)
    assert 0 < cov["coverage"].iloc[-1] <= 100


def test_coverage_rates_are_percentages(engine):
    rates = organisation.coverage_rates(engine, Scope("district", "420103")).iloc[0]
    assert rates["committee_formation_rate"] == pytest.approx(88, abs=0.5)
    assert rates["committee_party_share"] == pytest.approx(51, abs=0.5)
    for key in (
        "compound_party_coverage",
        "committee_formation_rate",
        "committee_party_share",
        "property_party_coverage",
    ):
        assert 0 <= rates[key] <= 100
    companies = property_management.property_companies(engine, Scope("district", "420103"))
    assert rates["mean_credit_score"] == pytest.approx(companies["credit_score"].mean())  # the same companies


def test_place_overview_lists_every_district(engine, period):
    df = places.place_overview(engine, period, clock.as_of())
    with engine.connect() as conn:
        names = conn.execute(sa.text("SELECT name FROM district")).scalars().all()
    assert len(names) == 18 and sorted(df["name"]) == sorted(names)  # the seven seed districts and all of Wuhan
    row = df.set_index("code").loc["430602"]
    assert row["grids"] == 675 and row["micro_grids"] == 1819 and row["compounds"] == 977


def test_scope_validates_codes():
    with pytest.raises(ValueError, match="9 digits"):
        Scope("street", "4306'; DROP TABLE issue; --")
    with pytest.raises(ValueError, match="unknown scope level"):
        Scope("planet", None)
    assert Scope.from_code("420100") == Scope("city", "420100")
    assert Scope.from_code("430602001") == Scope("street", "430602001")
