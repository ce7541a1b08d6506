"""服务阵地 Service stations: counts by type, households per station, walking coverage, openings."""

import pandas as pd
import streamlit as st

from dashboard import charts, data, filters
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import card, empty_state, kpi, table
from data_access.reads.stations import walk_coverage

with guarded():
    state = filters.current()
    filters.header("stations_page", state)
    scope = state.scope
    # The page's reads at once (each below then comes from the cache).
    stations, *_ = data.gather(
        (data.stations, scope),
        (data.hierarchy_counts, scope),
        (data.station_coverage, scope),
        (data.worker_reach, scope),
        (data.uncovered_compounds, scope),
        (data.station_plan, scope),
    )
    if not empty_state(stations):
        units = data.hierarchy_counts(scope).iloc[0]
        walk = data.station_coverage(scope)
        c = st.columns(4)
        kpi(c[0], "station_count", len(stations))
        level = state.place.level
        card(
            c[1], "households_per_station", {"households": units["households"], "stations": len(stations)}, level=level
        )
        coverage = walk_coverage(walk)
        card(c[2], "station_coverage", coverage, level=level)
        kpi(c[3], "uncovered_compounds", coverage["uncovered_compounds"], inverse=True)
        left, right = st.columns(2)
        by_type = stations.groupby("type").size().rename("stations").reset_index()
        by_type["label"] = [t(f"st_{k}") for k in by_type["type"]]
        left.plotly_chart(charts.donut(by_type, "label", "stations", t("by_type")), width="stretch")
        opened = pd.to_datetime(stations["opened_on"]).dt.year.dropna().astype(int)
        years = opened.rename("year").to_frame().groupby("year").size()
        right.plotly_chart(
            charts.bars(years.rename("stations").reset_index(), "year", "stations", t("openings")), width="stretch"
        )
        st.subheader(t("coverage_by_walk"))
        table(
            walk,
            ["minutes", "radius_m", "households", "covered", "coverage", "uncovered_compounds"],
            "coverage",
            "coverage_table",
        )
        reach = data.worker_reach(scope).iloc[0]
        card(st, "worker_reach", reach, level=level)
        st.subheader(t("uncovered_compounds"))
        table(
            data.uncovered_compounds(scope),
            ["name", "community", "households"],
            "uncovered_compounds",
            "uncovered_table",
        )
        st.subheader(t("plan"))
        table(
            data.station_plan(scope),
            ["rank", "name", "community", "households_gained", "coverage_after"],
            "station_plan",
            "plan_table",
        )
        st.subheader(t("stations"))
        shown = stations.assign(type=[t(f"st_{k}") for k in stations["type"]], station_code=stations["code"])
        table(
            shown,
            ["station_code", "name", "type", "community", "opened_on", "floor_area_m2"],
            "stations",
            "stations_table",
        )
    st.subheader(t("service_items"))
    items = data.service_items(scope)
    if not empty_state(items, "no_service_items"):
        c = st.columns(3)
        kpi(c[0], "service_items_distinct", items["all_items"].iloc[0])
        kpi(c[1], "service_offers", items["offers"].sum())
        kpi(c[2], "service_offers_at_station", items["at_station"].sum())
        items["label"] = [t(f"svc_{k}") for k in items["category"]]
        st.plotly_chart(charts.donut(items, "label", "offers", t("service_items_by_category")), width="stretch")
