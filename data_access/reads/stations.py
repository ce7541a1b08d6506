"""Service stations and walking reach: stations, compounds, the households within a walk of a station or an
active grid worker, where the next stations would cover most, and service items.

Counts only: rates come from the catalogue (data_access.indicators); see data_access.reads for the layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data_access import indicators
from data_access.reads import run
from data_access.scope import Scope
from data_access.settings import get_settings
from geo.coverage import greedy_sites, walk_radius_m, within_reach


def stations(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Service stations of the scope (points with type and opening date)."""
    w, p = scope.where("s")
    return run(
        engine,
        f"""SELECT s.code, s.name, s.type, s.lon, s.lat, s.opened_on, s.floor_area_m2,
                             s.construction, c.name AS community FROM service_station s
                             JOIN community c ON c.code = s.community_code WHERE {w} ORDER BY s.code""",
        p,
    )


def compounds(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Compounds of the scope with households, centroid and community name."""
    w, p = scope.where("x")
    return run(
        engine,
        f"""SELECT x.code, x.name, x.type, x.households, x.centroid_lon AS lon,
                             x.centroid_lat AS lat, x.management_mode, c.name AS community
                             FROM compound x JOIN community c ON c.code = x.community_code WHERE {w}""",
        p,
    )


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


def service_items(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Service items residents can have done nearby, by category: items (distinct names), offers (community ×
    item), communities offering, offers at a station, and ``all_items``: the distinct names of every category (a
    name may stand in two)."""
    w, p = scope.where(finest="community")
    return run(
        engine,
        f"""SELECT category, count(DISTINCT name) AS items, count(*) AS offers,
                   count(DISTINCT community_code) AS communities, count(station_id) AS at_station,
                   (SELECT count(DISTINCT name) FROM service_item WHERE {w}) AS all_items
            FROM service_item WHERE {w} GROUP BY category ORDER BY offers DESC, category""",
        p,
    )
