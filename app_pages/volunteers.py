"""志愿服务 Volunteers: registrations, activity, hours, points, types, teams, in-service members, calendar."""

import streamlit as st

from dashboard import charts, data, filters
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import child_table, empty_state, kpi, table, trend_options

with guarded():
    state = filters.current()
    period, previous = filters.header("volunteers_page", state)
    scope, at = state.scope, data.as_of()
    # The page's reads at once (each below then comes from the cache).
    now, before, *_ = data.gather(
        (data.volunteer_kpis, scope, period),
        (data.volunteer_kpis, scope, previous),
        (data.volunteer_trend, scope, period),
        (data.activity_types, scope, period),
        (data.top_teams, scope, period),
        (data.volunteer_daily, scope, period),
        (data.in_service_by_child, scope, period),
    )
    now, before = now.iloc[0], before.iloc[0]
    if now["registered"] == 0:
        empty_state(None)
        st.stop()
    c = st.columns(6)
    for col, key in zip(c, ["registered", "active", "activities", "hours", "points_earned", "points_redeemed"]):
        kpi(col, key, float(now[key]), float(before[key]))
    monthly = data.volunteer_trend(scope, period)
    left, right = st.columns(2)
    left.plotly_chart(
        charts.trend(
            monthly,
            "bucket",
            {"active": t("active"), "registrations": t("registrations")},
            t("trend"),
            **trend_options(period, at),
        ),
        width="stretch",
    )
    right.plotly_chart(
        charts.trend(
            monthly,
            "bucket",
            {"points_earned": t("points_earned"), "points_redeemed": t("points_redeemed"), "hours": t("hours")},
            **trend_options(period, at),
        ),
        width="stretch",
    )
    types = data.activity_types(scope, period)
    types["label"] = [t(f"at_{k}") for k in types["key"]]
    left, right = st.columns(2)
    left.plotly_chart(charts.donut(types, "label", "activities", t("activity_types")), width="stretch")
    with right:
        st.subheader(t("top_teams"))
        table(
            data.top_teams(scope, period),
            ["name", "activities", "hours", "volunteers"],
            "top_teams",
            "teams_table",
        )
    kinds = data.team_kinds(scope)
    if not kinds.empty:  # 专业服务团队, 邻里服务队 …: the teams there are, not only the busiest
        st.subheader(t("team_kinds"))
        c = st.columns(len(kinds))
        for col, (_, row) in zip(c, kinds.iterrows()):
            kpi(col, f"tkind_{row['kind']}", row["teams"])
    daily = data.volunteer_daily(scope, period)
    if not empty_state(daily):
        st.plotly_chart(charts.calendar_heatmap(daily, "day", "activities", t("calendar")), width="stretch")
    st.subheader(t("in_service"))
    child_table(
        state,
        data.in_service_by_child(scope, period),
        ["in_service_registered", "volunteering", "in_service_active", "active_rate"],
        "in_service",
        "in_service_table",
        rag_columns=("active_rate",),
    )
