"""预警 Alerts: the rules' firings under the scope, open first (newest first), optionally with those cleared in
the last 30 days; selecting one opens /issues at its unit. The rules and their evaluation: data_access.alerts."""

import pandas as pd
import streamlit as st

from dashboard import data, filters, formats
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import table
from data_access import alerts

COLUMNS = ["alert_state", "alert_rule", "alert_unit", "alert_subject", "alert_value", "alert_threshold",
           "alert_first_seen", "alert_last_seen", "alert_cleared_at", "alert_delivered"]  # fmt: skip


when = formats.moment  # a stored instant as wall time in the clock's zone, to the minute


def rows(df: pd.DataFrame, rules: alerts.Rules) -> pd.DataFrame:
    """The firings in words: the rule's title, the values as the catalogue writes them, times to the minute."""
    rule = [rules.by_name.get(r) for r in df["rule"]]
    return pd.DataFrame(
        {
            "code": df["unit_code"],
            "alert_state": [t("alert_cleared") if pd.notna(c) else t("alert_open") for c in df["cleared_at"]],
            "alert_rule": [r.title if r else name for r, name in zip(rule, df["rule"])],
            "alert_unit": df["unit"],
            "alert_subject": df["subject_name"].replace("", formats.MISSING),
            "alert_value": [alerts.value_text(r, v) for r, v in zip(rule, df["last_value"])],
            "alert_threshold": [alerts.value_text(r, v) for r, v in zip(rule, df["threshold"])],
            "alert_first_seen": df["first_seen"].map(when),
            "alert_last_seen": df["last_seen"].map(when),
            "alert_cleared_at": df["cleared_at"].map(when),
            "alert_delivered": [
                when(d) if pd.notna(d) else t("alert_undelivered") if isinstance(e, str) and e else formats.MISSING
                for d, e in zip(df["delivered_at"], df["delivery_error"])
            ],
        },
        index=df.index,
    )


with guarded():
    state = filters.current()
    st.title(t("alerts_page"))
    filters.breadcrumb(state)
    rules = alerts.load()
    st.caption(t("alerts_caption", n=len(rules.rules)))
    cleared_too = st.toggle(t("alerts_cleared_too"), key="alerts_cleared_too")
    df = data.alert_listing(state.scope, not cleared_too, 30, 500)
    n_open = int(df["cleared_at"].isna().sum())
    if n_open:
        st.subheader(t("alerts_open", n=formats.count(n_open)))
    elif not cleared_too:
        st.info(t("alerts_none"))
    if len(df):
        shown = rows(df, rules)
        picked = table(shown, COLUMNS, "alerts_page", "alerts", drill=True, hint="alert_issues", limit=None)
        if picked is not None:
            st.switch_page("app_pages/issues.py", query_params={**st.query_params.to_dict(),
                                                               "scope": shown.loc[picked, "code"]})  # fmt: skip
