"""网格地图 Map: the level that fits the scope as a choropleth, with stations, issues and compounds."""

import streamlit as st

from dashboard import data, filters, mapview
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import drill_key, drill_to, empty_state, kpi, map_legend, table

with guarded():
    state = filters.current()
    period, _ = filters.header("map_page", state)
    left, right = st.columns([1, 2])
    metric = left.selectbox(t("map_metric"), mapview.METRICS, format_func=t)
    shown = (
        right.pills(
            t("map_layers"),
            mapview.LAYERS,
            selection_mode="multi",
            default=mapview.default_layers(state.scope),
            format_func=t,
        )
        or []
    )
    deck, legend = data.map_deck(state.scope, period, data.as_of(), metric, shown)
    if deck is None:
        empty_state(None)
    else:
        st.caption(t("map_hint"))
        event = st.pydeck_chart(
            deck, height=640, on_select="rerun", selection_mode="single-object", key=drill_key("map", state)
        )
        objects = (event.selection.get("objects", {}) or {}) if event else {}
        picked = objects.get("units", []) + objects.get("markers", [])
        drill_to(state, [o.get("properties", o).get("code") for o in picked])
        map_legend(legend)
        stats = data.micro_grid_stats(state.scope).iloc[0]
        c = st.columns(4)
        kpi(c[0], "micro_grids", stats["micro_grids"])
        for col, key in zip(c[1:], ["mean_area_km2", "households_per_micro_grid", "workers_per_micro_grid"]):
            kpi(col, key, stats[key], fmt="{:.3f}" if key == "mean_area_km2" else "{:,.1f}")
        st.subheader(t("overlay"))
        overlay = data.overlay_counts(state.scope)
        overlay["name"] = overlay["code"].map(data.names_of("district", None))
        table(overlay, ["name", "same", "larger", "smaller", "compounds"], "overlay", "overlay_table")
        history = data.layouts(state.scope, data.as_of())
        if not history.empty:  # a reform re-divided the micro-grids: the layouts side by side
            st.subheader(t("layouts"))
            st.caption(t("layouts_hint"))
            shown = history.assign(
                layout=[t("layout_old") if ended else t("layout_current") for ended in history["valid_to"].notna()],
                valid_from=history["valid_from"].dt.strftime("%Y-%m-%d"),
                valid_to=history["valid_to"].dt.strftime("%Y-%m-%d"),
            )
            table(
                shown,
                [
                    "layout",
                    "valid_from",
                    "valid_to",
                    "units",
                    "unit_mean_area",
                    "unit_area",
                    "coverage_change",
                    "households",
                    "unit_issues",
                    "issues_per_unit_month",
                ],
                "layouts",
                "layouts_table",
            )
