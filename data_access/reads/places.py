"""The units of the store: a level's units, a scope's path and children, their counts (streets down to households),
the districts' overview, and per child unit the registry, responsibility zones and community staff.

Counts only: rates come from the catalogue (data_access.indicators); see data_access.reads for the layout."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from data_access import indicators, schema, summary
from data_access.reads import run
from data_access.schema import CURRENT
from data_access.scope import CODE_LENGTH, LEVELS, Period, Scope

UNIT_TABLE = {
    "city": "city",
    "district": "district",
    "street": "street",
    "community": "community",
    "grid": "grid",
    "micro_grid": "micro_grid",
}


_PARENT_COLUMN = {
    "district": "city_code",
    "street": "district_code",
    "community": "street_code",
    "grid": "community_code",
    "micro_grid": "grid_code",
}


_CHILD_COLUMN = {
    "district": "district_code",
    "street": "street_code",
    "community": "community_code",
    "grid": "grid_code",
}


def layout_now(level: str) -> str:
    """The condition for the current layout of a level's units (grids and micro-grids keep old layouts)."""
    return schema.CURRENT if level in ("grid", "micro_grid") else "TRUE"


def units(engine: sa.Engine, level: str, parent: str | None = None, current: bool = True) -> pd.DataFrame:
    """Code and name of the units of ``level`` (under ``parent`` when given), of the current layout (for
    selectors) or of every layout (``current=False``: to name units a period's figures fall on)."""
    if level not in UNIT_TABLE:
        raise ValueError(f"unknown level {level!r}")
    table, now = UNIT_TABLE[level], layout_now(level) if current else "TRUE"
    if parent is None or level == "city":
        return run(engine, f"SELECT code, name FROM {table} WHERE {now} ORDER BY code")
    return run(
        engine,
        f"SELECT code, name FROM {table} WHERE {_PARENT_COLUMN[level]} = :p AND {now} ORDER BY code",
        {"p": parent},
    )


def place_path(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """The scope and its ancestors from the city down: level, code, name."""
    if scope.code is None:
        return pd.DataFrame(columns=["level", "code", "name"])
    rows = []
    if scope.level == "city":
        return run(engine, "SELECT 'city' AS level, code, name FROM city WHERE code = :c", {"c": scope.code})
    city = run(
        engine,
        "SELECT 'city' AS level, c.code, c.name FROM city c JOIN district d ON d.city_code = c.code WHERE d.code = :c",
        {"c": scope.code[:6]},
    )
    rows.append(city)
    for level in LEVELS[1 : LEVELS.index(scope.level) + 1]:
        code = scope.code[: CODE_LENGTH[level]]
        rows.append(
            run(
                engine,
                f"SELECT :lv AS level, code, name FROM {UNIT_TABLE[level]} WHERE code = :c",
                {"lv": level, "c": code},
            )
        )
    return pd.concat(rows, ignore_index=True)


def children(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """The child units of the scope: code, name."""
    if scope.code is None:
        return units(engine, "city")
    return units(engine, scope.child_level, scope.code)


def child_key(scope: Scope, alias: str = "", finest: str = "grid") -> str:
    """The SQL expression grouping fact rows by the scope's child unit.

    ``finest`` is the finest level the table records (issues: micro_grid; people: community);
    below it rows stay with the scope's own unit.
    """
    a = f"{alias}." if alias else ""
    level = scope.child_level
    if level == "city":
        return f"left({a}district_code, 4) || '00'"
    order = ["district", "street", "community", "grid", "micro_grid"]
    level = order[min(order.index(level), order.index(finest))]
    return f"{a}{level}_code"


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


def registry_and_zones(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Per child unit of the scope: houses and people known and entered (registry_total, registry_entered),
    responsibility zones, the households in them and in the compounds, with the entry rate and zone coverage."""
    w, p = scope.where(finest="community")
    child = child_key(scope, finest="community")
    df = run(
        engine,
        f"""WITH c AS (SELECT {child} AS code, sum(households) AS households FROM compound WHERE {w} GROUP BY 1),
                 r AS (SELECT {child} AS code, sum(houses + people) AS registry_total,
                              sum(houses_entered + people_entered) AS registry_entered
                       FROM housing_registry WHERE {w} GROUP BY 1),
                 z AS (SELECT {child} AS code, count(*) AS zones, sum(households) AS zone_households
                       FROM responsibility_zone WHERE {w} GROUP BY 1)
            SELECT c.code, c.households, coalesce(r.registry_total, 0) AS registry_total,
                   coalesce(r.registry_entered, 0) AS registry_entered, coalesce(z.zones, 0) AS zones,
                   coalesce(z.zone_households, 0) AS zone_households
            FROM c LEFT JOIN r USING (code) LEFT JOIN z USING (code) ORDER BY c.code""",
        p,
    )
    return indicators.derive(df, ["registry_entry_rate", "zone_coverage"])


def community_staff(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Per child unit of the scope: communities (and villages), their permanent residents and the community
    workers in post, with the catalogue's community_worker_ratio."""
    uw, p = scope.where_unit("community", "cm")
    w, _ = scope.where("w", finest="community")
    key = child_key(scope, "cm", finest="community").replace("cm.community_code", "cm.code")
    df = run(
        engine,
        f"""WITH k AS (SELECT community_code, count(*) AS community_workers FROM grid_worker w
                       WHERE {w} AND w.role = 'community_worker' AND w.left_on IS NULL GROUP BY 1)
            SELECT {key} AS code, count(*) AS communities, coalesce(sum(cm.residents), 0)::bigint AS residents,
                   coalesce(sum(k.community_workers), 0)::bigint AS community_workers
            FROM community cm LEFT JOIN k ON k.community_code = cm.code WHERE {uw} GROUP BY 1 ORDER BY 1""",
        p,
    )
    return indicators.derive(df, ["community_worker_ratio"])


def layouts(engine: sa.Engine, scope: Scope, at, level: str = "micro_grid") -> pd.DataFrame:
    """The layouts of a level's units in the scope's re-divided districts, current first (``valid_to`` NaT):
    units, unit_area (km² covered), households, the issues reported in them (unit_issues) and the months of their
    window (unit_months: units × months), with the mean area, the issues per unit a month and the coverage's
    change against the layout before. Empty when no district of the scope was re-divided."""
    if level not in ("grid", "micro_grid"):
        raise ValueError(f"{level} has no layouts")
    uw, p = scope.where_unit(level, "u") if level == "grid" else scope.where("u")
    reformed = run(engine, f"SELECT DISTINCT u.district_code FROM {level} u WHERE {uw} AND NOT u.{CURRENT}", p)
    if reformed.empty:
        return pd.DataFrame()
    w, _ = scope.where()
    col = f"{level}_code"
    df = run(
        engine,
        f"""WITH n AS (SELECT {col} AS code, count(*) AS issues, min(reported_at) AS first FROM issue
                       WHERE {w} AND district_code = ANY(:reformed) AND {col} IS NOT NULL AND reported_at <= :at
                       GROUP BY 1)
            SELECT u.valid_to, count(*) AS units, sum(u.area_km2) AS unit_area, sum(u.households) AS households,
                   coalesce(sum(n.issues), 0)::bigint AS unit_issues, min(n.first) AS first_issue
            FROM {level} u LEFT JOIN n USING (code) WHERE {uw} AND u.district_code = ANY(:reformed)
            GROUP BY u.valid_to ORDER BY u.valid_to DESC NULLS FIRST""",
        {**p, "at": at, "reformed": reformed["district_code"].tolist()},
    )
    df["valid_to"] = pd.to_datetime(df["valid_to"])
    start = df["valid_to"].shift(-1).fillna(pd.to_datetime(df["first_issue"]).min())  # the layout before ended
    end = df["valid_to"].fillna(pd.Timestamp(at))
    df["valid_from"] = start.where(df.index < len(df) - 1)
    df["unit_months"] = df["units"] * ((end - start).dt.days / 30.4375).clip(lower=0)
    df["coverage_change"] = indicators.change_percent(df["unit_area"], df["unit_area"].shift(-1)).to_numpy()
    return indicators.derive(df.drop(columns="first_issue"), ["unit_mean_area", "issues_per_unit_month"])
