"""事件办理 Issue handling: funnel, on-time, backlog, overdue, categories, rising, mix, units, trends."""

import streamlit as st

from dashboard import charts, data, filters
from dashboard.errors import guarded
from dashboard.i18n import localised, t
from dashboard.widgets import child_table, empty_state, kpi, page_buttons, page_cursor, table

OVERDUE_PAGE = 100

with guarded():
    state = filters.current()
    period, previous = filters.header("issues_page", state)
    scope, at = state.scope, data.as_of()
    now, before = (data.fetch("metrics.issue_kpis", scope, p, at).iloc[0] for p in (period, previous))
    if now["reported"] == 0:
        empty_state(None)
        st.stop()
    c = st.columns(6)
    kpi(c[0], "reported", now["reported"], before["reported"], inverse=True)
    kpi(c[1], "closed", now["closed"], before["closed"])
    kpi(c[2], "closure_rate", now["closure_rate"], before["closure_rate"], fmt="{:.1f}")
    kpi(c[3], "on_time_rate", now["on_time_rate"], before["on_time_rate"], fmt="{:.1f}")
    kpi(c[4], "satisfaction_rate", now["satisfaction_rate"], before["satisfaction_rate"], fmt="{:.1f}")
    kpi(c[5], "overdue_open", now["overdue_open"], before["overdue_open"], inverse=True)

    funnel = data.fetch("queries.issue_funnel", scope, period, at)
    funnel["label"] = [t(f"stage_{s}") for s in funnel["stage"]]
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.funnel(funnel, "label", "count", t("funnel")), width="stretch")
    with right:
        st.subheader(t("funnel"))
        table(
            funnel.rename(columns={"label": "stage_label"}).assign(stage=funnel["label"]),
            ["stage", "count", "conversion", "mean_hours"],
            "funnel",
            "funnel_table",
        )
    backlog = data.fetch("queries.backlog_by_age", scope, at)
    left, right = st.columns(2)
    left.plotly_chart(
        charts.stacked_bars(backlog, "bucket", {"in_time": t("in_time"), "overdue": t("overdue")}, t("backlog")),
        width="stretch",
    )
    cats = data.fetch("queries.issues_by_category", scope, period)
    right.plotly_chart(
        charts.hierarchy(cats, [localised(c) for c in ("l1", "l2", "l3")], "issues", t("categories")), width="stretch"
    )
    left, right = st.columns(2)
    for col, column, prefix, title in (
        (left, "source_channel", "src_", "source_mix"),
        (right, "escalation_level", "esc_", "escalation_mix"),
    ):
        mix = data.fetch("queries.issue_mix", scope, period, column)
        mix["label"] = [t(prefix + k) for k in mix["key"]]
        col.plotly_chart(charts.donut(mix, "label", "issues", t(title)), width="stretch")
    st.subheader(t("rising"))
    rising = data.fetch("queries.rising_categories", scope, period, previous).head(20)
    table(
        rising, [localised("l1"), localised("l3"), "issues", "previous", "change", "growth"], "rising", "rising_table"
    )
    st.subheader(t("by_unit"))
    child_table(
        state,
        data.fetch("queries.issue_by_child", scope, period, at),
        ["reported", "due", "closed", "closure_rate", "on_time_rate", "satisfaction_rate", "overdue_open"],
        "issues_by_unit",
        "issues_units",
        rag_columns=("closure_rate", "on_time_rate", "satisfaction_rate"),
    )
    st.subheader(t("trend_issues"))
    trend = data.fetch("queries.issue_trend", scope, period, at)
    st.plotly_chart(
        charts.trend(
            trend,
            "month",
            {"reported": t("reported"), "closed": t("closed")},
            rate_series={"on_time_rate": t("on_time_rate"), "satisfaction_rate": t("satisfaction_rate")},
        ),
        width="stretch",
    )
    st.subheader(t("overdue_list"))
    pager = f"overdue_pages_{scope}_{at:%Y%m%d%H%M}"
    overdue = data.fetch("queries.overdue_issues", scope, at, OVERDUE_PAGE, page_cursor(pager))
    if not empty_state(overdue):
        overdue["source_channel"] = [t(f"src_{k}") for k in overdue["source_channel"]]
        table(
            overdue,
            [
                "order_no",
                "reported_at",
                "due_at",
                "hours_overdue",
                localised("category"),
                "source_channel",
                "street",
                "community",
            ],
            "overdue",
            "overdue_table",
        )
    page_buttons(pager, overdue, OVERDUE_PAGE, ("due_at", "order_no"))
