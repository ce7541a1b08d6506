"""Assemble the map of a scope: the choropleth level that fits, and the optional layers.

``read`` holds the readers (``read.map_units(scope_code, …)``): the page passes the cached
dashboard.data, the benchmark ``data.direct(engine)``. No streamlit here.
"""

from __future__ import annotations

import shapely

from data_access.queries import MAP_LEVELS
from data_access.scope import Scope
from geo import mapping
from geo.coverage import walk_radius_m

METRICS = [
    "issues_per_1000",
    "closure_rate",
    "on_time_rate",
    "station_coverage",
    "volunteers_per_1000",
    "party_coverage",
]
LAYERS = ["layer_boundaries", "layer_stations", "layer_plan", "layer_issues", "layer_compounds"]


def levels(scope_code: str | None) -> tuple[str, str]:
    scope = Scope.from_code(scope_code)
    return MAP_LEVELS[scope.level if scope.code else "city"]


def default_layers(scope_code: str | None) -> list[str]:
    fill = levels(scope_code)[1]
    return ["layer_boundaries", "layer_stations"] + (["layer_compounds"] if fill == "micro_grid" else [])


def reads(read, scope_code, period, at, metric: str, shown) -> list[tuple]:
    """The reader calls :func:`build` makes for this map (to :func:`dashboard.data.gather` with a page's others)."""
    outline_level, fill_level = levels(scope_code)
    calls = [(read.map_units, scope_code, fill_level, period, at), (read.unit_geoms, scope_code, outline_level)]
    if metric == "station_coverage" and fill_level != "micro_grid":
        calls.append((read.station_coverage_by, scope_code, fill_level))
    if "layer_compounds" in shown and fill_level in ("grid", "micro_grid"):
        calls.append((read.compound_geoms, scope_code))
    if "layer_issues" in shown:
        calls.append((read.issue_points, scope_code, period))
    if "layer_stations" in shown:
        calls.append((read.stations, scope_code))
    if "layer_plan" in shown:
        calls.append((read.station_plan, scope_code))
    return calls


def build(read, scope_code, period, at, metric: str, shown, label, settings, height: int = 640):
    """Return (deck, legend) or (None, []) when the scope has no units to draw; the view fits a map
    ``height`` pixels high."""
    outline_level, fill_level = levels(scope_code)
    units = read.map_units(scope_code, fill_level, period, at)
    if units.empty:
        return None, []
    if metric == "station_coverage":
        if fill_level == "micro_grid":
            units = units.assign(station_coverage=float("nan"))
        else:
            cov = read.station_coverage_by(scope_code, fill_level)
            units = units.merge(cov[["code", "station_coverage"]], on="code", how="left")
    fill, legend = mapping.choropleth_layer(units, fill_level, metric, label(metric), "units")
    layers = [fill]
    outlines = read.unit_geoms(scope_code, outline_level)
    if "layer_boundaries" in shown:
        layers.append(mapping.outline_layer(outlines, outline_level, "outlines"))
    if "layer_compounds" in shown and fill_level in ("grid", "micro_grid"):
        layers.append(mapping.compound_layer(read.compound_geoms(scope_code)))
    if "layer_issues" in shown:
        layers.append(mapping.issue_heat_layer(read.issue_points(scope_code, period)))
    if "layer_stations" in shown:
        radius = walk_radius_m(15, speed_m_per_min=settings.walk_speed_m_per_min, detour_factor=settings.detour_factor)
        layers += mapping.station_layers(read.stations(scope_code), radius)
    if "layer_plan" in shown:
        plan = read.station_plan(scope_code)
        if len(plan):
            layers.append(mapping.plan_layer(plan, label("households_gained")))
    bounds = shapely.union_all(shapely.from_wkb(outlines["geom"].map(bytes).to_numpy())).bounds
    basemap = {"url": settings.basemap_url, "attribution": settings.basemap_attribution, "crs": settings.basemap_crs}
    return mapping.deck(layers, mapping.view_of(bounds, height_px=height), basemap), legend


def preview(shapes, level: str, settings, height: int = 360):
    """The uploaded boundaries before they load (code, name, geom WKB): filled, with code and name
    as (plain-text) tooltips."""
    import pydeck as pdk

    geoms = mapping.simplify(shapely.from_wkb(shapes["geom"].map(bytes).to_numpy()), level)
    d = shapes[["code", "name"]].assign(
        tooltip=[mapping.tooltip_text(n, c) for n, c in zip(shapes["name"], shapes["code"])]
    )
    layer = pdk.Layer(
        "GeoJsonLayer",
        mapping.feature_collection(d, geoms, ["code", "name", "tooltip"]),
        id="preview",
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color=[46, 134, 171, 90],
        get_line_color=[20, 60, 90, 255],
        line_width_min_pixels=2,
    )
    view = mapping.view_of(shapely.union_all(geoms).bounds, height_px=height)
    basemap = {"url": settings.basemap_url, "attribution": settings.basemap_attribution, "crs": settings.basemap_crs}
    return mapping.deck([layer], view, basemap)
