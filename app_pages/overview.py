"""总览 Overview: KPIs with change, ranking of child units, trends; the places table at the top level."""

import streamlit as st

from dashboard import charts, data, filters, formats, mapview
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.safe import md
from dashboard.widgets import (
    card,
    child_level,
    child_names,
    child_table,
    drill_key,
    drill_to,
    empty_state,
    kpi,
    map_legend,
    table,
    trend_options,
)
from data_access import indicators
from data_access.reads.stations import walk_coverage

MAP = ("issues_per_1000", ["layer_boundaries", "layer_labels"])  # the overview map: metric and layers
HEADLINE = ("reported", "closure_rate", "on_time_rate", "satisfaction_rate", "overdue_open")

with guarded():
    state = filters.current()
    period, previous = filters.header("overview", state)
    at, scope = data.as_of(), state.scope
    now, before, units, orgs, cover, walk, workers, vol_now, vol_before, stations, ranking, trend = data.gather(
        (data.issue_kpis, scope, period, at),
        (data.issue_kpis, scope, previous, at),
        (data.hierarchy_counts, scope),
        (data.party_org_counts, scope),
        (data.coverage_rates, scope),
        (data.station_coverage, scope),
        (data.worker_counts, scope),
        (data.volunteer_kpis, scope, period),
        (data.volunteer_kpis, scope, previous),
        (data.stations, scope),
        (data.issue_by_child, scope, period, at),
        (data.issue_trend, scope, period, at),
        *mapview.reads(data, scope, period, at, *MAP),
    )[:12]
    now, before, units, cover = now.iloc[0], before.iloc[0], units.iloc[0], cover.iloc[0]
    if units["micro_grids"] == 0 and now["reported"] == 0:
        empty_state(None)
        st.stop()
    orgs = orgs.groupby("level")["orgs"].sum()
    workers = workers["workers"].sum()
    vol_now, vol_before = vol_now.iloc[0], vol_before.iloc[0]

    level = state.place.level
    # What a leader reads first: the headline indicators, then the worst units; the counts behind them after.
    c = st.columns(len(HEADLINE) + 1)
    for col, key in zip(c, HEADLINE):
        card(col, key, now, before, level)
    card(c[-1], "compound_party_coverage", cover, level=level)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("ranking"))
        child_table(
            state,
            ranking,
            ["reported", "closure_rate", "on_time_rate", "satisfaction_rate", "overdue_open"],
            "ranking",
            "overview_ranking",
            rag_columns=("on_time_rate", "closure_rate", "satisfaction_rate", "overdue_open"),
        )
    with right:
        if not ranking.empty:
            r = ranking.assign(name=ranking["code"].map(child_names(state)).fillna(ranking["code"]))
            kids = child_level(state)
            r["rag"] = [indicators.rag("closure_rate", v, kids, n) for v, n in zip(r["closure_rate"], r["due"])]
            event = st.plotly_chart(
                charts.ranking_bar(r, "name", "closure_rate", "rag", t("closure_rate"), code="code", percent=True),
                width="stretch",
                key=drill_key("overview_bar", state),
                on_select="rerun",
                selection_mode="points",
            )
            drill_to(state, [p.get("customdata") for p in event.selection.get("points", [])] if event else [])
    c = st.columns(4)
    kpi(c[0], "branches", orgs.get("branch", 0))
    kpi(c[1], "building_groups", orgs.get("building_group", 0))
    kpi(c[2], "center_households", orgs.get("center_household", 0))
    kpi(c[3], "station_count", stations.shape[0])
    c = st.columns(4)
    card(c[0], "station_coverage", walk_coverage(walk), level=level)
    card(c[1], "workers_per_1000", {"workers": workers, "households": units["households"]}, level=level)
    kpi(c[2], "active", vol_now["active"], vol_before["active"])
    kpi(c[3], "hours", float(vol_now["hours"]), float(vol_before["hours"]))
    deck, legend = data.map_deck(scope, period, at, *MAP, height=360)
    if deck is not None:
        st.subheader(t("map_page"))
        st.pydeck_chart(deck, height=360, key=f"overview_map_{scope}")
        map_legend(legend)
    st.subheader(t("trend_issues"))
    if not empty_state(trend):
        st.plotly_chart(
            charts.trend(
                trend,
                "bucket",
                {"reported": t("reported"), "closed": t("closed")},
                rate_series={"on_time_rate": t("on_time_rate")},
                **trend_options(period, at),
            ),
            width="stretch",
        )
    if state.scope is None:
        st.subheader(t("places_title"))
        places = data.place_overview(period.start, period.end, at)
        cols = [
            "name",
            "city",
            "code",
            "streets",
            "communities",
            "grids",
            "micro_grids",
            "compounds",
            "party_branches",
            "stations",
            "grid_workers",
            "volunteers",
            "reported",
            "closure_rate",
            "on_time_rate",
        ]
        for start in range(0, len(places), 4):
            for col, (_, p) in zip(st.columns(4), places.iloc[start : start + 4].iterrows()):
                with col.container(border=True):
                    st.markdown(f"**{md(p['name'])}** · {md(p['city'])}")
                    a, b = st.columns(2)
                    a.metric(t("grids"), formats.count(p["grids"]))
                    b.metric(t("micro_grids"), formats.count(p["micro_grids"]))
        table(places, cols, "places", "places_table", rag_columns=("closure_rate", "on_time_rate"))
