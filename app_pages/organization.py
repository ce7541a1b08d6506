"""组织体系 Organisation: the five-level party organisation, coverage, secretaries, units."""

import streamlit as st

from dashboard import charts, data, filters
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import card, child_table, empty_state, kpi, table
from data_access import indicators

LEVEL_LABEL = {
    "street_committee": "street_committees",
    "community_committee": "community_committees",
    "branch": "branches",
    "building_group": "building_groups",
    "center_household": "center_households",
}

with guarded():
    state = filters.current()
    period, _ = filters.header("organization", state)
    scope = state.scope
    orgs = data.party_org_counts(scope)
    if not empty_state(orgs):
        by_level = orgs.groupby("level")["orgs"].sum()
        cover = data.coverage_rates(scope).iloc[0]
        c = st.columns(5)
        for col, level in zip(c, LEVEL_LABEL):
            kpi(col, LEVEL_LABEL[level], by_level.get(level, 0))
        c = st.columns(4)
        for col, key in zip(
            c,
            ["compound_party_coverage", "committee_formation_rate", "committee_party_share", "property_party_coverage"],
        ):
            card(col, key, cover, level=state.place.level)
        left, right = st.columns([3, 2])
        tree = orgs.assign(
            level_name=[t(LEVEL_LABEL[lv]) for lv in orgs["level"]],
            kind=[t(f"level_{k}") if k in ("grid",) else (k or "") for k in orgs["branch_kind"]],
        )
        tree["root"] = filters.place_name(state)
        left.plotly_chart(
            charts.hierarchy(tree, ["root", "level_name"], "orgs", t("org_levels"), kind="treemap"), width="stretch"
        )
        mix = data.secretary_mix(scope)
        mix["label"] = [t(f"bg_{k}") for k in mix["key"]]
        right.plotly_chart(charts.donut(mix, "label", "branches", t("secretary_mix")), width="stretch")
        st.subheader(t("by_unit"))
        child_table(
            state,
            data.org_by_child(scope),
            [
                "branches",
                "building_groups",
                "center_households",
                "compounds",
                "with_branch",
                "branch_coverage",
                "eligible",
                "committees",
                "committee_rate",
            ],
            "organisation",
            "org_table",
            rag_columns=("branch_coverage", "committee_rate"),
        )
    level = state.place.level
    st.subheader(t("zones_registry"))
    rz = data.registry_and_zones(scope)
    if not empty_state(rz):
        totals = indicators.total(rz)
        c = st.columns(4)
        kpi(c[0], "zones", totals["zones"])
        card(c[1], "zone_coverage", totals, level=level)
        kpi(c[2], "registry_entered", totals["registry_entered"])
        card(c[3], "registry_entry_rate", totals, level=level)
        child_table(
            state,
            rz,
            [
                "zones",
                "zone_households",
                "households",
                "zone_coverage",
                "registry_entered",
                "registry_total",
                "registry_entry_rate",
            ],
            "zones_registry",
            "zones_table",
            rag_columns=("registry_entry_rate", "zone_coverage"),
        )
    st.subheader(t("community_staff"))
    cs = data.community_staff(scope)
    if not empty_state(cs):
        totals = indicators.total(cs)
        c = st.columns(4)
        kpi(c[0], "communities", totals["communities"])
        kpi(c[1], "residents", totals["residents"])
        kpi(c[2], "community_workers", totals["community_workers"])
        card(c[3], "community_worker_ratio", totals, level=level)
        child_table(
            state,
            cs,
            ["communities", "residents", "community_workers", "community_worker_ratio"],
            "community_staff",
            "staff_table",
            rag_columns=("community_worker_ratio",),
        )
    st.subheader(t("notices"))
    nd = data.notice_delivery(scope)
    if not empty_state(nd, "no_notices"):
        home = nd[nd["level"] == "household"].set_index("side")  # the time to reach the households
        left, right = st.columns([1, 3])
        if len(home):
            now = home.loc["after"] if "after" in home.index else home.iloc[0]
            card(left, "notice_hours", now, home.loc["before"] if "before" in home.index else None, level)
        sent = t("notices_sent", n=int(nd.groupby("side")["notices"].max().sum()))
        left.caption(sent + (t("vs_before_reform") if "before" in home.index else ""))
        hours = nd.pivot(index="level", columns="side", values="notice_hours").reindex(nd["level"].unique())
        hours = hours.reset_index().assign(level=lambda d: [t(f"notice_{v}") for v in d["level"]])
        right.plotly_chart(
            charts.stacked_bars(
                hours,
                "level",
                {s: t(f"side_{s}") for s in ("before", "after", "all") if s in hours},
                t("notice_by_level"),
                mode="group",
            ),
            width="stretch",
        )
    st.subheader(t("projects"))
    projects = data.projects(scope, period)
    if not empty_state(projects, "no_projects"):
        totals = indicators.total(projects)
        c = st.columns(4)
        kpi(c[0], "projects", totals["projects"])
        card(c[1], "project_completion_rate", totals, level=level)
        for col, row in zip(c[2:], projects.itertuples()):
            kpi(col, f"projects_{row.kind}", row.projects)
        latest = data.recent_projects(scope)
        table(
            latest.assign(
                kind=[t(f"project_{k}") for k in latest["kind"]], status=[t(f"status_{s}") for s in latest["status"]]
            ),
            ["name", "kind", "partner", "community", "status", "started_on", "finished_on"],
            "projects",
            "projects_table",
        )
