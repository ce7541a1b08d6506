"""What the maps draw: units with their geometry and map figures, outlines, compounds, issue points, micro-grid
and overlay figures.

Counts only: rates come from the catalogue (data_access.indicators); see data_access.reads for the layout."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from data_access import indicators, schema, summary
from data_access.reads import from_summaries, run
from data_access.reads.places import UNIT_TABLE, layout_now
from data_access.schema import CURRENT
from data_access.scope import Period, Scope

MAP_LEVELS = {  # scope level → (outline level, choropleth level)
    "city": ("district", "street"),
    "district": ("district", "community"),
    "street": ("street", "grid"),
    "community": ("community", "micro_grid"),
    "grid": ("grid", "micro_grid"),
}


def map_units(engine: sa.Engine, scope: Scope, level: str, period: Period, at: datetime) -> pd.DataFrame:
    """Units of ``level`` inside the scope with their geometry (WKB) and the map metrics.

    Metrics: issues per 1,000 households, closure and on-time rate, station coverage (15-minute walk,
    share of compound households), volunteers per 1,000 residents, party-organisation coverage of
    compounds. A metric a level does not record is NaN.
    """
    if level not in ("district", "street", "community", "grid", "micro_grid"):
        raise ValueError(f"cannot map level {level!r}")
    table, col = UNIT_TABLE[level], f"{level}_code"
    if level == "district":
        uw, p = scope.where()
        uw = uw.replace("district_code", "code")
    elif level == "micro_grid":
        uw, p = scope.where()
    else:
        uw, p = scope.where_unit(level)
    units = run(engine, f"SELECT code, name, geom FROM {table} WHERE {uw} AND {layout_now(level)} ORDER BY code", p)
    if units.empty:
        return units
    w, _ = scope.where()
    if from_summaries(scope) and level in ("district", "street", "community"):
        issues = summary.issue_counts(engine, scope, period, at, col)
    else:
        pw, pp = period.where("reported_at")
        issues = run(
            engine,
            f"""SELECT {col} AS code, {indicators.raw_counts(keys=["reported", "due", "closed", "on_time"])}
                FROM issue WHERE {w} AND {pw} AND reported_at <= :at GROUP BY 1""",
            {**p, **pp, "at": at},
        )
    hh_col = "code" if level == "micro_grid" else col
    hh = run(
        engine,
        f"SELECT {hh_col} AS code, sum(households) AS households FROM micro_grid WHERE {w} AND {schema.CURRENT} "
        "GROUP BY 1",
        p,
    )
    df = units.merge(issues, on="code", how="left").merge(hh, on="code", how="left")
    df["reported"] = df["reported"].fillna(0)
    df["issues"] = df["reported"]
    if level != "micro_grid":
        comp = run(
            engine,
            f"""
            SELECT {col} AS code, sum(residents) AS residents,
                   {indicators.compound_counts("x", ["compounds", "with_branch"])}
            FROM compound x WHERE {w} GROUP BY 1""",
            p,
        )
        df = df.merge(comp, on="code", how="left")
        if level in ("district", "street", "community"):
            vols = run(engine, f"SELECT {col} AS code, count(*) AS volunteers FROM volunteer WHERE {w} GROUP BY 1", p)
            df = df.merge(vols, on="code", how="left")
            df["volunteers"] = df["volunteers"].fillna(0)
    df = indicators.derive(
        df,
        ["issues_per_1000", "closure_rate", "on_time_rate", "compound_party_coverage", "volunteers_per_1000"],
        {"compound_party_coverage": "party_coverage"},
    )
    for metric in ("party_coverage", "volunteers_per_1000"):
        if metric not in df:
            df[metric] = float("nan")
    return df


def unit_geoms(engine: sa.Engine, scope: Scope, level: str) -> pd.DataFrame:
    """Code, name and geometry (WKB) of the units of ``level`` in the scope (outlines)."""
    if level == "district":
        w, p = scope.where()
        w = w.replace("district_code", "code")
    else:
        w, p = scope.where_unit(level)
    return run(
        engine, f"SELECT code, name, geom FROM {UNIT_TABLE[level]} WHERE {w} AND {layout_now(level)} ORDER BY code", p
    )


def compound_geoms(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    w, p = scope.where()
    return run(engine, f"SELECT code, name, grid_relation, geom FROM compound WHERE {w}", p)


def issue_points(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """Locations of the issues reported in the period (for server-side binning)."""
    w, p = scope.where()
    pw, pp = period.where("reported_at")
    return run(engine, f"SELECT lon, lat FROM issue WHERE {w} AND {pw} AND lon IS NOT NULL", {**p, **pp})


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
