"""总览 Overview: the places in the store with their key figures."""

from datetime import date

import streamlit as st

from dashboard import data
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.safe import md

COLUMNS = [
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
CARDS_PER_ROW = 4

with guarded():
    st.title(t("places_title"))
    as_of = data.data_as_of()
    period = data.last_12_months(date.fromisoformat(as_of))
    places = data.place_overview(period.start, period.end)
    if places.empty:
        st.info(t("empty_store"))
    else:
        st.caption(t("places_caption", as_of=as_of))
        for start in range(0, len(places), CARDS_PER_ROW):
            for col, (_, p) in zip(st.columns(CARDS_PER_ROW), places.iloc[start : start + CARDS_PER_ROW].iterrows()):
                with col.container(border=True):
                    st.markdown(f"**{md(p['name'])}** · {md(p['city'])}")
                    a, b = st.columns(2)
                    a.metric(t("grids"), f"{p['grids']:,}")
                    b.metric(t("micro_grids"), f"{p['micro_grids']:,}")
                    a.metric(t("closure_rate"), f"{p['closure_rate']:.1f}")
                    b.metric(t("on_time_rate"), f"{p['on_time_rate']:.1f}")
        table = places[COLUMNS].round({"closure_rate": 1, "on_time_rate": 1})
        st.dataframe(table.rename(columns={c: t(c) for c in COLUMNS}), hide_index=True, width="stretch")
