"""The metrics layer: DataFrames for any scope and time range, from the store.

Every function takes an engine, a :class:`~data_access.scope.Scope` and where relevant a
:class:`~data_access.scope.Period`, and returns a pandas DataFrame. Counts are read here; every rate
and its definition comes from the indicator catalogue (data_access.indicators).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data_access import clock, indicators, queries, summary
from data_access.read import run
from data_access.schema import CURRENT
from data_access.scope import Period, Scope
from data_access.settings import get_settings
from geo.coverage import greedy_sites, walk_radius_m, within_reach


def hierarchy_counts(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Streets, communities, villages, grids, micro-grids, compounds and households in the scope."""
    w, p = scope.where()
    ws, _ = scope.where_unit("street")
    wc, _ = scope.where_unit("community")
    wg, _ = scope.where_unit("grid")
    sql = f"""
        SELECT
          (SELECT count(*) FROM street WHERE {ws}) AS streets,
          (SELECT count(*) FROM community WHERE kind = 'community' AND {wc}) AS communities,
          (SELECT count(*) FROM community WHERE kind = 'village' AND {wc}) AS villages,
          (SELECT count(*) FROM grid WHERE {wg} AND {CURRENT}) AS grids,
          (SELECT count(*) FROM micro_grid WHERE {w} AND {CURRENT}) AS micro_grids,
          (SELECT count(*) FROM compound WHERE {w}) AS compounds,
          (SELECT coalesce(sum(households), 0) FROM micro_grid WHERE {w} AND {CURRENT}) AS households
    """
    return run(engine, sql, p)


def party_org_counts(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Party organisations by level (and branch kind)."""
    w, p = scope.where()
    sql = f"""SELECT level, coalesce(branch_kind, '') AS branch_kind, count(*) AS orgs, sum(members) AS members
              FROM party_org WHERE {w} GROUP BY level, branch_kind ORDER BY min(id)"""
    return run(engine, sql, p)


def coverage_rates(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Organisational coverage (the catalogue's compound_party_coverage, committee_formation_rate,
    committee_party_share, property_party_coverage, mean_credit_score) with the counts they rest on.

    Property companies are those managing a compound of the scope, at every level (/organization and
    /property show the same figure)."""
    w, p = scope.where("c")
    sql = f"""
        WITH rated AS (  -- the latest credit score of each company serving the scope that has one
          SELECT r.score FROM property_company pc
          CROSS JOIN LATERAL (SELECT score FROM property_credit_rating r WHERE r.company_id = pc.id
                              ORDER BY r.year DESC LIMIT 1) r
          WHERE EXISTS (SELECT 1 FROM compound c WHERE c.property_company_id = pc.id AND {w}))
        SELECT {indicators.compound_counts("c")},
          (SELECT coalesce(sum(oc.party_members), 0) FROM owners_committee oc
             JOIN compound c ON c.code = oc.compound_code WHERE {w} AND oc.kind = 'owners_committee')
            AS committee_party_members,
          (SELECT coalesce(sum(oc.members), 0) FROM owners_committee oc
             JOIN compound c ON c.code = oc.compound_code WHERE {w} AND oc.kind = 'owners_committee')
            AS committee_members,
          (SELECT count(*) FROM property_company pc WHERE EXISTS (SELECT 1 FROM compound c
             WHERE c.property_company_id = pc.id AND {w})) AS companies,
          (SELECT count(*) FROM property_company pc WHERE pc.party_org_form <> 'none' AND EXISTS (
             SELECT 1 FROM compound c WHERE c.property_company_id = pc.id AND {w})) AS companies_with_party,
          (SELECT coalesce(sum(score), 0)::float FROM rated) AS credit_score_total,
          (SELECT count(*) FROM rated) AS rated_companies
        FROM compound c WHERE {w}
    """
    return indicators.derive(run(engine, sql, p))


def _radius(minutes: float) -> float:
    s = get_settings()
    return walk_radius_m(minutes, speed_m_per_min=s.walk_speed_m_per_min, detour_factor=s.detour_factor)


def _compounds(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Compounds of the scope: codes, name, community name, households and centroid."""
    w, p = scope.where("x")
    return run(
        engine,
        f"""SELECT x.code, x.name, c.name AS community, x.district_code, x.street_code,
                             x.community_code, x.grid_code, x.households, x.centroid_lon AS lon,
                             x.centroid_lat AS lat
                             FROM compound x JOIN community c ON c.code = x.community_code WHERE {w}""",
        p,
    )


def _points(engine: sa.Engine, scope: Scope, table: str) -> pd.DataFrame:
    """Locations of service stations or of active grid workers in the scope."""
    w, p = scope.where()
    active = "AND left_on IS NULL AND lon IS NOT NULL" if table == "grid_worker" else ""
    return run(engine, f"SELECT lon, lat FROM {table} WHERE {w} {active}", p)


def _reached(comp: pd.DataFrame, sites: pd.DataFrame, minutes: float) -> np.ndarray:
    return within_reach(comp["lon"], comp["lat"], sites["lon"], sites["lat"], _radius(minutes))


def _coverage_row(comp: pd.DataFrame, hit: np.ndarray, minutes: float) -> dict:
    total = comp["households"].sum()
    covered = comp.loc[hit, "households"].sum()
    return {
        "minutes": minutes,
        "radius_m": round(_radius(minutes)),
        "households": int(total),
        "covered": int(covered),
        "coverage": indicators.value({"covered": covered, "households": total}, "station_coverage"),
        "uncovered_compounds": int((~hit).sum()),
    }


COVERAGE_WALKS = (5, 10, 15)  # minutes shown beside the catalogue's (station_coverage.walk_minutes, one of them)


def station_coverage(engine: sa.Engine, scope: Scope, minutes=COVERAGE_WALKS) -> pd.DataFrame:
    """Share of households whose compound lies within a walk of a service station, per walk (``minutes``)."""
    comp, st = _compounds(engine, scope), _points(engine, scope, "service_station")
    return pd.DataFrame([_coverage_row(comp, _reached(comp, st, m), m) for m in minutes])


def walk_coverage(coverage: pd.DataFrame) -> pd.Series:
    """The row of :func:`station_coverage` at the catalogue's walk (station_coverage.walk_minutes): covered,
    households, uncovered_compounds and the indicator itself."""
    row = coverage.set_index("minutes").loc[indicators.get("station_coverage").walk_minutes].copy()
    row["station_coverage"] = indicators.value(row, "station_coverage")
    return row


def issue_kpis(
    engine: sa.Engine, scope: Scope, period: Period, at: datetime | None = None, raw: bool = False
) -> pd.DataFrame:
    """Every issue count and indicator of the catalogue for the issues reported in ``period``, at time
    ``at`` (default: the clock's as-of, now to the minute), one row; from the summaries where they cover the scope."""
    at = at or clock.as_of()
    return indicators.derive(queries.issue_counts(engine, scope, period, at, raw=raw))


def stage_medians(engine: sa.Engine, scope: Scope, period: Period, at: datetime) -> pd.DataFrame:
    """Median hours of each stage (the catalogue's mean_*_hours indicators' medians), from raw rows.

    Medians do not add up, so no summary holds them: one raw scan of the period's issues.
    """
    w, p = scope.where()
    pw, pp = period.where("reported_at")
    cols = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM {b} - {a}) / 3600) "
        f"FILTER (WHERE {b} <= :at) AS {ind.key}"
        for ind in indicators.INDICATORS
        if ind.median
        for b, a in [ind.median]
    )
    return run(engine, f"SELECT {cols} FROM issue WHERE {w} AND {pw} AND reported_at <= :at", {**p, **pp, "at": at})


def volunteer_kpis(engine: sa.Engine, scope: Scope, period: Period, raw: bool = False) -> pd.DataFrame:
    """Registered and active volunteers, activities, hours, points earned and redeemed."""
    w, p = scope.where(finest="community")
    pw, pp = period.where("activity_date")
    rw, _ = period.where("redeemed_on")
    people = f"""(SELECT count(*) FROM volunteer WHERE {w} AND registered_on < :p_end) AS registered,
               (SELECT count(*) FROM volunteer WHERE {w} AND registered_on >= :p_start AND registered_on < :p_end)
                 AS newly_registered,
               (SELECT coalesce(sum(points), 0) FROM point_redemption WHERE {w} AND {rw}) AS points_redeemed,
               (SELECT count(*) FROM volunteer_team WHERE {w}) AS teams,
               (SELECT count(*) FROM in_service_registration WHERE {w} AND registered_on < :p_end)
                 AS in_service_registered"""
    if not raw and summary.covers(scope):
        df = run(engine, f"SELECT {people}", {**p, **pp})
        df["active"] = summary.active_volunteers(engine, scope, period)
        for key, value in summary.activity_totals(engine, scope, period).items():
            df[key] = value
        return df
    sql = f"""
        SELECT {people}, count(DISTINCT volunteer_id) AS active, count(*) AS activities,
               coalesce(sum(hours), 0) AS hours, coalesce(sum(points), 0) AS points_earned
        FROM volunteer_activity WHERE {w} AND {pw}
    """
    return run(engine, sql, {**p, **pp})


def place_overview(engine: sa.Engine, period: Period, at: datetime, scope: Scope | None = None) -> pd.DataFrame:
    """One row per district in the scope with its key figures (the first page)."""
    scope = scope or Scope()
    w, p = scope.where("d")
    w_district = w.replace("d.district_code", "d.code")
    sql = f"""
        SELECT d.code, d.name, c.name AS city,
          (SELECT count(*) FROM street s WHERE s.district_code = d.code) AS streets,
          (SELECT count(*) FROM community m WHERE m.district_code = d.code) AS communities,
          (SELECT count(*) FROM grid g WHERE g.district_code = d.code AND g.{CURRENT}) AS grids,
          (SELECT count(*) FROM micro_grid g WHERE g.district_code = d.code AND g.{CURRENT}) AS micro_grids,
          (SELECT count(*) FROM compound x WHERE x.district_code = d.code) AS compounds,
          (SELECT count(*) FROM party_org o WHERE o.district_code = d.code AND o.level = 'branch') AS party_branches,
          (SELECT count(*) FROM service_station t WHERE t.district_code = d.code) AS stations,
          (SELECT count(*) FROM grid_worker k WHERE k.district_code = d.code AND k.left_on IS NULL) AS grid_workers,
          (SELECT count(*) FROM volunteer v WHERE v.district_code = d.code) AS volunteers
        FROM district d JOIN city c ON c.code = d.city_code
        WHERE {w_district}
        ORDER BY d.code
    """
    df = run(engine, sql, p)
    issues = summary.issue_counts(engine, scope, period, at, "district_code")
    counts = ["reported", "due", "closed", "on_time"]
    df = df.merge(issues[["code", *counts]], on="code", how="left").fillna({c: 0 for c in counts})
    return indicators.derive(df, ["closure_rate", "on_time_rate"])


def worker_counts(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Active grid workers by role, with how many are party members."""
    w, p = scope.where()
    sql = f"""SELECT role, count(*) AS workers, count(*) FILTER (WHERE party_member) AS party_members
              FROM grid_worker WHERE {w} AND left_on IS NULL GROUP BY role ORDER BY workers DESC, role"""
    return run(engine, sql, p)


def station_coverage_by(engine: sa.Engine, scope: Scope, level: str, minutes: float | None = None) -> pd.DataFrame:
    """Walking coverage of compound households per unit of ``level`` (street, community or grid), within ``minutes``
    (default: the catalogue's walk of station_coverage)."""
    if level not in ("district", "street", "community", "grid"):
        raise ValueError(f"no compound coverage at level {level!r}")
    minutes = minutes or indicators.get("station_coverage").walk_minutes
    comp = _compounds(engine, scope)
    hit = _reached(comp, _points(engine, scope, "service_station"), minutes)
    comp["covered"] = comp["households"].where(hit, 0)
    out = comp.groupby(f"{level}_code")[["households", "covered"]].sum().rename_axis("code").reset_index()
    return indicators.derive(out, ["station_coverage"])


def station_plan(engine: sa.Engine, scope: Scope, k: int = 10, minutes: float = 15) -> pd.DataFrame:
    """ "Where next": k compound sites that would cover the most uncovered households (greedy)."""
    comp = _compounds(engine, scope)
    covered = _reached(comp, _points(engine, scope, "service_station"), minutes)
    total = comp["households"].sum()
    picks = greedy_sites(
        comp["lon"], comp["lat"], comp["lon"], comp["lat"], comp["households"], covered, _radius(minutes), k
    )
    rows, running = [], comp.loc[covered, "households"].sum()
    for rank, (i, gain) in enumerate(picks, start=1):
        running += gain
        rows.append(
            {
                "rank": rank,
                **comp.iloc[i][["code", "name", "community", "lon", "lat"]].to_dict(),
                "households_gained": int(gain),
                "coverage_after": indicators.value({"covered": running, "households": total}, "station_coverage"),
            }
        )
    return pd.DataFrame(
        rows, columns=["rank", "code", "name", "community", "lon", "lat", "households_gained", "coverage_after"]
    )


def uncovered_compounds(engine: sa.Engine, scope: Scope, minutes: float = 15, limit: int = 500) -> pd.DataFrame:
    """Compounds with no service station within a walk, largest first."""
    comp = _compounds(engine, scope)
    hit = _reached(comp, _points(engine, scope, "service_station"), minutes)
    cols = ["code", "name", "community", "households", "lon", "lat"]
    return comp.loc[~hit, cols].sort_values("households", ascending=False).head(limit).reset_index(drop=True)


def worker_reach(engine: sa.Engine, scope: Scope, minutes: float = 5) -> pd.DataFrame:
    """Share of compound households within a ``minutes`` walk of an active grid worker (emergency reach)."""
    comp = _compounds(engine, scope)
    return pd.DataFrame([_coverage_row(comp, _reached(comp, _points(engine, scope, "grid_worker"), minutes), minutes)])


def micro_grid_stats(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Micro-grids: count, mean service area (km², equal-area), households and workers per micro-grid."""
    w, p = scope.where()
    sql = f"""SELECT count(*) AS micro_grids, avg(area_km2) AS mean_area_km2,
                     avg(households) AS households_per_micro_grid,
                     (SELECT count(*) FROM grid_worker WHERE {w} AND left_on IS NULL AND micro_grid_code IS NOT NULL)
                       ::float / nullif(count(*), 0) AS workers_per_micro_grid
              FROM micro_grid WHERE {w} AND {CURRENT}"""
    return run(engine, sql, p)


def overlay_counts(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Compounds by their relation to their grid (seed 003), per district."""
    w, p = scope.where()
    sql = f"""SELECT district_code AS code, count(*) FILTER (WHERE grid_relation = 'same') AS same,
                     count(*) FILTER (WHERE grid_relation = 'larger') AS larger,
                     count(*) FILTER (WHERE grid_relation = 'smaller') AS smaller, count(*) AS compounds
              FROM compound WHERE {w} GROUP BY 1 ORDER BY 1"""
    return run(engine, sql, p)
