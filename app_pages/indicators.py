"""指标说明 Indicators: every indicator of the catalogue with its definition, formula, standard, targets and
its value at the current scope and period."""

import streamlit as st

from dashboard import data, filters
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import catalogue_rows, table

with guarded():
    state = filters.current()
    period, _ = filters.header("indicators_page", state)
    scope, at = state.scope, data.as_of()
    values = {
        **data.issue_kpis(scope, period, at).iloc[0].to_dict(),
        **data.coverage_rates(scope).iloc[0].to_dict(),
        "station_coverage": data.station_coverage(scope).set_index("minutes").loc[15, "coverage"],
    }
    rows = catalogue_rows(values, state.place.level)
    for domain, part in rows.groupby("domain", sort=False):
        st.subheader(t(f"domain_{domain}"))
        table(
            part,
            ["indicator", "unit", "definition", "formula", "standard", "target", "better", "value_here"],
            f"domain_{domain}",
            f"indicators_{domain}_table",
        )
