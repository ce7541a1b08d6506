"""网格地图 Map: the level that fits the scope as a choropleth, with stations, issues and compounds."""

import shapely
import streamlit as st

from dashboard import data, filters
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import drill_to, empty_state, legend_strip
from data_access.queries import MAP_LEVELS
from data_access.settings import get_settings
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
LAYERS = ["layer_boundaries", "layer_stations", "layer_issues", "layer_compounds"]

with guarded():
    state = filters.current()
    period, _ = filters.header("map_page", state)
    scope, at = state.place, data.as_of()
    outline_level, fill_level = MAP_LEVELS[scope.level if scope.code else "city"]
    left, right = st.columns([1, 2])
    metric = left.selectbox(t("map_metric"), METRICS, format_func=t)
    default = ["layer_boundaries", "layer_stations"] + (["layer_compounds"] if fill_level == "micro_grid" else [])
    shown = right.pills(t("map_layers"), LAYERS, selection_mode="multi", default=default, format_func=t) or []
    units = data.fetch("queries.map_units", state.scope, fill_level, period, at)
    if not empty_state(units):
        if metric == "station_coverage" and fill_level != "micro_grid":
            cov = data.fetch("metrics.station_coverage_by", state.scope, fill_level)
            units = units.merge(cov[["code", "station_coverage"]], on="code", how="left")
        elif metric == "station_coverage":
            units = units.assign(station_coverage=float("nan"))
        fill, legend = mapping.choropleth_layer(units, fill_level, metric, t(metric), "units")
        layers = [fill]
        if "layer_boundaries" in shown:
            layers.append(
                mapping.outline_layer(
                    data.fetch("queries.unit_geoms", state.scope, outline_level), outline_level, "outlines"
                )
            )
        if "layer_compounds" in shown and fill_level in ("grid", "micro_grid"):
            layers.append(mapping.compound_layer(data.fetch("queries.compound_geoms", state.scope)))
        if "layer_issues" in shown:
            layers.append(mapping.issue_heat_layer(data.fetch("queries.issue_points", state.scope, period)))
        if "layer_stations" in shown:
            s = get_settings()
            radius = walk_radius_m(15, speed_m_per_min=s.walk_speed_m_per_min, detour_factor=s.detour_factor)
            layers += mapping.station_layers(data.fetch("queries.stations", state.scope), radius)
        bounds = data.fetch("queries.unit_geoms", state.scope, outline_level)
        view = mapping.view_of(shapely.union_all(shapely.from_wkb(bounds["geom"].map(bytes).to_numpy())).bounds)
        st.caption(t("map_hint"))
        event = st.pydeck_chart(
            mapping.deck(layers, view),
            height=640,
            on_select="rerun",
            selection_mode="single-object",
            key=f"map_{state.scope}",
        )
        picked = (event.selection.get("objects", {}) or {}).get("units", []) if event else []
        drill_to(state, [o.get("properties", {}).get("code") for o in picked])
        legend_strip(legend, t(metric))
