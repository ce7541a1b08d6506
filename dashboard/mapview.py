"""Assemble the map of a scope: the choropleth level that fits, and the optional layers.

``read`` holds the readers (``read.map_units(scope_code, …)``): the page passes the cached
dashboard.data, the benchmark ``data.direct(engine)``. ``label`` translates (the page's ``t``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from dashboard import formats
from data_access import indicators
from data_access.reads.maps import MAP_LEVELS
from data_access.scope import CHILD_LEVEL, CODE_LENGTH, LEVELS, Scope
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
LAYERS = ["layer_boundaries", "layer_labels", "layer_stations", "layer_plan", "layer_issues", "layer_compounds"]
FAR_APART = 0.02  # units covering less of the view than this are also drawn as points with their values


def levels(scope_code: str | None) -> tuple[str, str]:
    scope = Scope.from_code(scope_code)
    return MAP_LEVELS[scope.level if scope.code else "city"]


def inner_level(scope_code: str | None) -> str | None:
    """The level between the scope's outline and the filled units (streets on a district's map of communities)."""
    outline, fill = levels(scope_code)
    return CHILD_LEVEL[outline] if CHILD_LEVEL[outline] != fill else None


def siblings(scope_code: str | None) -> tuple[str, str] | None:
    """(parent code, level) of the units beside the scope, drawn thin around it; None at the top."""
    scope = Scope.from_code(scope_code)
    if scope.code is None or scope.level == "city":
        return None
    above = LEVELS[LEVELS.index(scope.level) - 1]
    parent = scope.code[:4] + "00" if above == "city" else scope.code[: CODE_LENGTH[above]]
    return parent, scope.level


def default_layers(scope_code: str | None) -> list[str]:
    fill = levels(scope_code)[1]
    return ["layer_boundaries", "layer_labels", "layer_stations"] + (
        ["layer_compounds"] if fill == "micro_grid" else []
    )


def reads(read, scope_code, period, at, metric: str, shown) -> list[tuple]:
    """The reader calls :func:`build` makes for this map (to :func:`dashboard.data.gather` with a page's others)."""
    outline_level, fill_level = levels(scope_code)
    calls = [(read.map_units, scope_code, fill_level, period, at), (read.unit_geoms, scope_code, outline_level)]
    if "layer_boundaries" in shown:
        if inner_level(scope_code):
            calls.append((read.unit_geoms, scope_code, inner_level(scope_code)))
        if siblings(scope_code):
            calls.append((read.unit_geoms, *siblings(scope_code)))
    if metric == "station_coverage" and fill_level != "micro_grid":
        calls.append((read.station_coverage_by, scope_code, fill_level))
    if outline_level == "district":  # districts may lie far apart (several cities): their own values as points
        calls.append((read.map_units, scope_code, outline_level, period, at))
        if metric == "station_coverage":
            calls.append((read.station_coverage_by, scope_code, outline_level))
    if "layer_compounds" in shown and fill_level in ("grid", "micro_grid"):
        calls.append((read.compound_geoms, scope_code))
    if "layer_issues" in shown:
        calls += [(read.issue_points, scope_code, period), (read.issue_kpis, scope_code, period, at)]
    if "layer_stations" in shown:
        calls.append((read.stations, scope_code))
    if "layer_plan" in shown:
        calls.append((read.station_plan, scope_code))
    return calls


def _with_metric(read, scope_code, level, period, at, metric):
    units = read.map_units(scope_code, level, period, at)
    if metric == "station_coverage" and not units.empty:
        if level == "micro_grid":
            return units.assign(station_coverage=float("nan"))
        cov = read.station_coverage_by(scope_code, level)
        return units.merge(cov[["code", "covered", "station_coverage"]], on="code", how="left")
    return units


def _shade(units, metric: str, label) -> tuple:
    """Fill colour and tooltip of every unit, and the legend's classes: rates on fewer cases than the
    catalogue's minimum are greyed (never coloured good or bad); dark is the worse end."""
    ind = indicators.get(metric)
    n = [indicators.cases(row, metric) for row in units.to_dict("records")]
    small = np.array([indicators.small_sample(metric, c) for c in n])
    v = units[metric].to_numpy(dtype=float)
    cls, classes = mapping.classify(np.where(small, np.nan, v))
    colours = mapping.ramp(len(classes), higher_is_worse=not ind.higher_is_better)
    fill = [mapping.SMALL_SAMPLE if s else colours[c] if c >= 0 else mapping.NO_DATA for c, s in zip(cls, small)]
    name = label(metric)
    tips = []
    for unit, code, value, cases, s in zip(units["name"], units["code"], v, n, small):
        line = f"{name}: {formats.indicator(metric, value)}"
        if cases is not None and ind.min_cases:
            n_text = formats.count(cases)
            line += label("small_sample").format(n=n_text) if s else f"（{label('cases_n').format(n=n_text)}）"
        tips.append(mapping.tooltip_text(unit, code, line))
    legend = {
        "metric": metric,
        "classes": [{"colour": colours[i], "from": lo, "to": hi, "count": k} for i, (lo, hi, k) in enumerate(classes)],
        "small": int(small.sum()),
        "missing": int(((cls < 0) & ~small).sum()),
    }
    return fill, tips, legend, small


def build(read, scope_code, period, at, metric: str, shown, label, settings, height: int = 640):
    """Return (deck, legend) or (None, {}) when the scope has no units to draw; the view fits a map
    ``height`` pixels high. The legend has the classes (with their counts) and every layer drawn."""
    outline_level, fill_level = levels(scope_code)
    units = _with_metric(read, scope_code, fill_level, period, at, metric)
    if units.empty:
        return None, {}
    fill, tips, legend, _ = _shade(units, metric, label)
    outlines = read.unit_geoms(scope_code, outline_level)
    shapes = shapely.from_wkb(outlines["geom"].map(bytes).to_numpy())
    bounds = shapely.union_all(shapes).bounds
    view = mapping.view_of(bounds, height_px=height)
    layers, drawn = [], []
    if "layer_boundaries" in shown and siblings(scope_code):
        beside = read.unit_geoms(*siblings(scope_code))
        beside = beside[beside["code"] != scope_code]
        if len(beside):
            layers.append(mapping.outline_layer(beside, outline_level, "siblings", mapping.SIBLING_LINE, 1))
            if "layer_labels" in shown:
                layers.append(
                    mapping.label_layer(
                        mapping.label_points(beside, outline_level, view.zoom), "sibling_labels", mapping.SIBLING_LINE
                    )
                )
            drawn.append("legend_siblings")
    shaded = units.assign(fill=fill, tooltip=tips, value=units[metric].astype(float).round(2))
    layers.append(mapping.choropleth_layer(shaded, fill_level))
    if "layer_compounds" in shown and fill_level in ("grid", "micro_grid"):
        names = {r: label(r) for r in mapping.RELATION_COLOURS}
        layers.append(mapping.compound_layer(read.compound_geoms(scope_code), names))
        drawn.append("legend_compounds")
    if "layer_issues" in shown:
        layers.append(mapping.issue_heat_layer(read.issue_points(scope_code, period)))
        drawn.append("legend_issues")
        placed = read.issue_kpis(scope_code, period, at).iloc[0]
        if placed["unplaced"]:  # placed by name: counted at their community, not in the heat map
            legend["unplaced"] = (int(placed["unplaced"]), placed["unplaced_share"])
    if "layer_boundaries" in shown:
        inner = inner_level(scope_code)
        if inner:
            layers.append(
                mapping.outline_layer(read.unit_geoms(scope_code, inner), inner, "inner", mapping.INNER_LINE, 1.5)
            )
            drawn.append(f"legend_inner_{inner}")
        layers.append(mapping.outline_layer(outlines, outline_level, "outlines"))
        drawn.append(f"legend_outline_{outline_level}")
    if "layer_stations" in shown:
        radius = walk_radius_m(
            indicators.get("station_coverage").walk_minutes,
            speed_m_per_min=settings.walk_speed_m_per_min,
            detour_factor=settings.detour_factor,
        )
        stations = read.stations(scope_code)
        tips = [mapping.tooltip_text(n, label(f"st_{k}")) for n, k in zip(stations["name"], stations["type"])]
        layers += mapping.station_layers(stations.assign(tooltip=tips), radius)
        drawn += ["legend_stations", "legend_reach"]
    if "layer_plan" in shown:
        plan = read.station_plan(scope_code)
        if len(plan):
            layers.append(mapping.plan_layer(plan, label("households_gained")))
            drawn.append("legend_plan")
    if "layer_labels" in shown:
        layers.append(mapping.label_layer(mapping.label_points(units, fill_level, view.zoom)))
    area = sum(shapely.area(shapes)) / max((bounds[2] - bounds[0]) * (bounds[3] - bounds[1]), 1e-12)
    if outline_level == "district" and area < FAR_APART and len(outlines) > 1:
        layers += _markers(read, scope_code, outlines, shapes, period, at, metric, legend, label)
        drawn.append("legend_markers")
    basemap = {"url": settings.basemap_url, "attribution": settings.basemap_attribution, "crs": settings.basemap_crs}
    return mapping.deck(layers, view, basemap), {**legend, "layers": drawn}


def _markers(read, scope_code, outlines, shapes, period, at, metric, legend, label) -> list:
    """Far-apart districts (the demo's, in seven cities) as points with their name and value, coloured in the
    fill's classes, so the view that fits them all still shows each one."""
    pts = shapely.point_on_surface(shapes)
    where = pd.DataFrame({"code": outlines["code"], "lon": shapely.get_x(pts), "lat": shapely.get_y(pts)})
    units = (
        _with_metric(read, scope_code, "district", period, at, metric).drop(columns=["geom"]).merge(where, on="code")
    )
    _, tips, _, small = _shade(units, metric, label)
    classes = legend["classes"]
    v = units[metric].to_numpy(dtype=float)
    highs = [c["to"] for c in classes]
    fill = [
        mapping.SMALL_SAMPLE
        if s
        else mapping.NO_DATA
        if x != x or not classes
        else classes[min(int(np.searchsorted(highs, x)), len(classes) - 1)]["colour"]
        for x, s in zip(v, small)
    ]
    text = [f"{n} {formats.indicator(metric, x)}" for n, x in zip(units["name"], v)]
    return mapping.marker_layer(units.assign(fill=fill, tooltip=tips, text=text))


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
