"""事件办理 Issue handling: funnel, on-time, backlog, overdue, categories, rising, mix, units, trends."""

import pandas as pd
import streamlit as st

from dashboard import charts, data, filters, requests
from dashboard.errors import guarded
from dashboard.i18n import localised, t
from dashboard.widgets import (
    board_labels,
    card,
    child_table,
    empty_state,
    kpi,
    page_buttons,
    page_cursor,
    table,
    trend_options,
)
from data_access import indicators, reads
from data_access.reads import issues
from data_access.reads.ranking import ranked

OVERDUE_PAGE = 50
DEPARTMENTS_SHOWN = 30  # worst first; a city has some 300 departments (the download holds them all)
HEADLINE = (
    "reported",
    "closure_rate",
    "on_time_rate",
    "satisfaction_rate",
    "overdue_open",
    "suspended_open",
    "closed_late",
)
STANDARD = (
    "on_time_acceptance_rate",
    "on_time_handling_rate",
    "self_settled_rate",
    "resolution_rate",
    "repeat_rate",
    "rework_rate",
    "return_rate",
    "extension_rate",
    "redispatch_rate",
    "closed_late_rate",
)
RANKED = ("reported", "due", "on_time_rate", "closure_rate", "satisfaction_rate", "overdue_open")
WORKER = ("worker_reported", "valid_report_rate", "worker_self_settled", "on_time_rate")
DEPARTMENT = (*RANKED, "on_time_handling_rate", "return_rate", "extension_rate", "redispatch_rate")

with guarded():
    state = filters.current()
    period, previous = filters.header("issues_page", state)
    scope, at = state.scope, data.as_of()
    # The page's reads at once (each below then comes from the cache).
    now, before, *_ = data.gather(
        (data.issue_kpis, scope, period, at),
        (data.issue_kpis, scope, previous, at),
        (data.backlog_by_age, scope, at),
        (data.issues_by_category, scope, period),
        (data.issues_by_category, scope, previous),
        (data.issue_mix, scope, period, "source_channel"),
        (data.issue_mix, scope, period, "escalation_level"),
        (data.issue_by_child, scope, period, at),
        (data.issue_by_department, scope, period, at),
        (data.issue_trend, scope, period, at),
    )
    now, before = now.iloc[0], before.iloc[0]
    level = state.place.level
    if now["reported"] or now["overdue_open"] or now["suspended_open"]:  # the stocks stand whatever the period
        for col, key in zip(st.columns(len(HEADLINE)), HEADLINE):
            card(col, key, now, before, level)
    if now["reported"] == 0:  # nothing reported in the period (今日 just after midnight): nothing more to show
        empty_state(None)
        st.stop()
    with st.expander(t("standard_indicators"), expanded=True):
        for row in (STANDARD[:5], STANDARD[5:]):
            for col, key in zip(st.columns(len(row)), row):
                card(col, key, now, before, level)
        means = [i for i in indicators.INDICATORS if i.median]
        st.caption(t("stage_times"))
        # Medians come from raw rows (they do not add up): asked for above a community, always below.
        with_medians = not reads.from_summaries(state.place) or st.toggle(t("with_medians"), key="with_medians")
        medians = data.stage_medians(scope, period, at).iloc[0] if with_medians else {}
        stages = pd.DataFrame(
            {
                "stage": [t(f"stage_{i.numerator[2:]}") for i in means],
                "mean_hours": [now[i.key] for i in means],
                "median_hours": [medians.get(i.key) for i in means],
            }
        )
        table(
            stages, ["stage", "mean_hours", *(["median_hours"] if with_medians else [])], "stage_times", "stage_times"
        )

    funnel = issues.funnel_of(now)  # the same counts as the cards: no second read
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
    backlog = data.backlog_by_age(scope, at)
    backlog["bucket"] = [t(f"age_{b}") for b in backlog["bucket"]]
    left, right = st.columns(2)
    series = {"in_time": t("in_time"), "overdue": t("overdue"), "suspended": t("suspended_open")}
    left.plotly_chart(charts.stacked_bars(backlog, "bucket", series, t("backlog")), width="stretch")
    left.caption(t("backlog_note"))
    cats = data.issues_by_category(scope, period)
    right.plotly_chart(
        charts.hierarchy(cats, [localised(c) for c in ("l1", "l2", "l3")], "issues", t("categories")), width="stretch"
    )
    left, right = st.columns(2)
    for col, column, prefix, title in (
        (left, "source_channel", "src_", "source_mix"),
        (right, "escalation_level", "esc_", "escalation_mix"),
    ):
        mix = data.issue_mix(scope, period, column)
        mix["label"] = [t(prefix + k) for k in mix["key"]]
        col.plotly_chart(charts.donut(mix, "label", "issues", t(title)), width="stretch")
    st.subheader(t("rising"))
    rising = issues.rising_categories(cats, data.issues_by_category(scope, previous)).head(20)
    table(
        rising, [localised("l1"), localised("l3"), "issues", "previous", "change", "growth"], "rising", "rising_table"
    )
    requests.section(state, period, at, now, before)
    st.subheader(t("by_unit"))
    child_table(
        state,
        data.issue_by_child(scope, period, at),
        list(RANKED),
        "issues_by_unit",
        "issues_units",
        rag_columns=("on_time_rate", "closure_rate", "satisfaction_rate", "overdue_open"),
    )
    st.subheader(t("department_ranking"))
    depts = data.issue_by_department(scope, period, at)
    picked = None
    if not empty_state(depts):
        # Worst first; small samples (never coloured) after the rest, unranked.
        depts = ranked(depts, "on_time_rate")
        depts = depts.assign(
            department=depts["name"],
            department_kind=[t(f"dept_{k}") for k in depts["kind"]],
            board=board_labels(depts["board"]),
        )
        picked = table(
            depts.set_index("code", drop=False),
            ["place_rank", "board", "department", "department_kind", *DEPARTMENT],
            "departments",
            f"departments_{scope}",
            rag_columns=[k for k in DEPARTMENT if k not in ("reported", "due")],
            drill=True,
            level="department",
            hint="dept_pick",
            limit=DEPARTMENTS_SHOWN,
        )
    st.subheader(t("trend_issues"))
    trend = data.issue_trend(scope, period, at)
    st.plotly_chart(
        charts.trend(
            trend,
            "bucket",
            {"reported": t("reported"), "closed": t("closed")},
            rate_series={"on_time_rate": t("on_time_rate"), "satisfaction_rate": t("satisfaction_rate")},
            **trend_options(period, at),
        ),
        width="stretch",
    )
    st.subheader(t("worker_ranking"))
    if state.place.level in ("street", "community", "grid"):
        workers = data.issue_by_worker(scope, period, at)
        if not empty_state(workers):
            table(
                workers.assign(role=[t(f"wrole_{r}") for r in workers["role"]]),
                ["name", "role", "community", *WORKER],
                "grid_workers",
                f"workers_{scope}",
                rag_columns=("valid_report_rate", "on_time_rate"),
                level="grid",
            )
    else:
        st.caption(t("worker_pick_street"))
    if picked is not None:
        st.subheader(t("dept_overdue", name=depts.set_index("code").loc[picked, "name"]))
    else:
        st.subheader(t("overdue_list"))
    pager = f"overdue_pages_{scope}_{picked}_{at:%Y%m%d%H%M}"
    overdue = data.overdue_issues(scope, at, OVERDUE_PAGE, page_cursor(pager), picked)
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
                "department",
            ],
            "overdue",
            "overdue_table",
        )
    page_buttons(pager, overdue, OVERDUE_PAGE, ("due_at", "order_no"))
    st.subheader(t("questions"))
    asked = data.questions(scope, period)
    if not empty_state(asked, "no_questions"):
        totals = indicators.total(asked)
        c = st.columns(5)
        kpi(c[0], "questions", totals["questions"])
        card(c[1], "question_resolution_rate", totals, level=level)
        kpi(c[2], "frequent_topics", int(asked["frequent"].sum()), label_args={"n": indicators.FREQUENT_TOPIC})
        kpi(c[3], "answering", totals["answering"])
        kpi(c[4], "collected", totals["collected"])
        st.plotly_chart(
            charts.ranking_bar(asked.head(10), "topic", "questions", title=t("question_topics"), whole=True),
            width="stretch",
        )
