"""物业与业委会 Property: companies, party coverage, credit, satisfaction, owners' committees, issues."""

import streamlit as st

from dashboard import charts, data, filters
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import card, empty_state, kpi, table, trend_options

with guarded():
    state = filters.current()
    period, previous = filters.header("property_page", state)
    scope, at = state.scope, data.as_of()
    # The page's reads at once (each below then comes from the cache).
    companies, committees, *_ = data.gather(
        (data.property_companies, scope),
        (data.committees, scope),
        (data.coverage_rates, scope),
        (data.satisfaction_surveys, scope),
        (data.property_issue_trend, scope, period, at),
    )
    if companies.empty and committees.empty:
        empty_state(None)
        st.stop()
    cover = data.coverage_rates(scope).iloc[0]
    surveys = data.satisfaction_surveys(scope)
    oc = committees.set_index("kind")
    owners = oc.loc["owners_committee"] if "owners_committee" in oc.index else None
    level = state.place.level
    c = st.columns(6)
    kpi(c[0], "companies", len(companies))
    card(c[1], "property_party_coverage", cover, level=level)
    card(c[2], "mean_credit_score", cover, level=level)
    card(
        c[3],
        "property_satisfaction",
        surveys.iloc[-1] if len(surveys) else {},
        surveys.iloc[-2] if len(surveys) > 1 else None,
        level,
    )
    card(c[4], "committee_formation_rate", cover, level=level)
    card(c[5], "committee_party_share", cover, level=level)
    left, right = st.columns(2)
    forms = companies.groupby("party_org_form").size().rename("companies").reset_index()
    forms["label"] = [t(f"form_{k}") for k in forms["party_org_form"]]
    left.plotly_chart(charts.donut(forms, "label", "companies", t("party_org_form")), width="stretch")
    right.plotly_chart(charts.histogram(companies["credit_score"].dropna(), t("credit_scores")), width="stretch")
    left, right = st.columns(2)
    with left:
        st.subheader(t("committees"))
        shown = committees.assign(kind=[t(f"kind_{k}") for k in committees["kind"]])
        table(
            shown,
            ["kind", "committees", "members", "party_members", "party_chairs", "party_majority"],
            "committees",
            "committees_table",
        )
    right.plotly_chart(
        charts.trend(
            surveys,
            "year",
            {"respondents": t("respondents")},
            t("satisfaction_trend"),
            rate_series={"property_satisfaction": t("property_satisfaction")},
        ),
        width="stretch",
    )
    st.subheader(t("fees"))
    fees = data.fee_years(scope)
    if not empty_state(fees, "no_fees"):
        left, right = st.columns([3, 2])
        left.plotly_chart(
            charts.trend(
                fees,
                "year",
                {"fees_billed": t("fees_billed"), "fees_collected": t("fees_collected")},
                t("fee_trend"),
                rate_series={"fee_collection_rate": t("fee_collection_rate")},
            ),
            width="stretch",
        )
        with right:
            latest = fees.iloc[-1]
            year = int(latest["year"])
            earlier = fees[fees["year"] == year - 2]  # the change on two years before, as 江汉区 reports it
            card(st, "fee_collection_rate", latest, earlier.iloc[0] if len(earlier) else None, level)
            st.caption(t("fee_vs", year=year, before=year - 2) if len(earlier) else t("fee_year", year=year))
            taken = data.fee_takeovers(scope)
            if len(taken) == 2:  # before and after a 红色物业 company took over
                st.markdown(f"**{t('fee_takeover')}**")
                table(
                    taken.assign(side=[t(f"taken_{s}") for s in taken["side"]]),
                    ["side", "compounds", "fees_collected", "fee_collection_rate"],
                    "fee_takeovers",
                    "fee_takeover_table",
                )
    st.subheader(t("property_issues"))
    trend = data.property_issue_trend(scope, period, at)
    if not empty_state(trend):
        st.plotly_chart(
            charts.trend(
                trend,
                "bucket",
                {"reported": t("reported"), "closed": t("closed")},
                rate_series={"satisfaction_rate": t("satisfaction_rate")},
                **trend_options(period, at),
            ),
            width="stretch",
        )
    st.subheader(t("companies"))
    table(
        companies.assign(party_org_form=[t(f"form_{k}") for k in companies["party_org_form"]]),
        ["name", "party_org_form", "compounds", "households", "credit_score", "cross_appointments"],
        "property_companies",
        "companies_table",
    )
