"""诉求分析 on /issues: what residents asked — a keyword search of request texts and addresses, the words they
use most, and the repeat requests behind the catalogue's 重复诉求率."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import charts, data, formats
from dashboard.i18n import localised, t
from dashboard.safe import md
from dashboard.widgets import card, table

FOUND_SHOWN = 100  # issues a search lists (the newest); it says how many it found
WORDS_SHOWN = 20
REPEATS_SHOWN = 100


def section(state, period, at, now, before) -> None:
    scope, level = state.scope, state.place.level
    st.subheader(t("requests"))
    words = st.text_input(t("search_requests"), key=f"request_search_{scope}", placeholder=t("search_hint"))
    words = " ".join(words.split())
    if words:
        found = data.issue_search(scope, period, words, at, FOUND_SHOWN)
        if found.empty:
            st.caption(t("search_none", words=md(words)))
        else:
            total = int(found["matches"].iloc[0])
            st.caption(t("search_found", words=md(words), n=formats.count(total), shown=formats.count(len(found))))
            found["state"] = [t(f"issue_{s}") for s in found["state"]]
            columns = ["order_no", "reported_at", localised("category"), "community", "address", "request_text"]
            table(found, [*columns, "state"], "issue_search", "issue_search_table", limit=None)
    left, right = st.columns(2)
    top = data.request_words(scope, period)
    if top.empty:
        left.caption(t("no_request_texts"))
    else:
        left.plotly_chart(
            charts.ranking_bar(top.head(WORDS_SHOWN), "word", "issues", title=t("top_words"), whole=True),
            width="stretch",
        )
        first, last = f"{period.start:%Y-%m}", f"{period.end - timedelta(days=1):%Y-%m}"
        months = first if first == last else t("months_span", first=first, last=last)
        left.caption(t("top_words_note", months=months))
    with right:
        card(st, "repeat_rate", now, before, level)
        # A city's list groups every repeat request of its period (half a million a year at megacity scale, about a
        # second): asked for, like the medians; a district and below always.
        if level == "city" and not st.toggle(t("with_repeats"), key="with_repeats"):
            return
        repeats = data.repeat_requests(scope, period, REPEATS_SHOWN)
        if repeats.empty:
            st.caption(t("no_repeats"))
        else:
            st.caption(t("repeats_note", n=formats.count(int(repeats["total"].iloc[0]))))
            columns = ["place", "community", localised("category"), "repeats", "last_reported", "last_order_no"]
            table(repeats, columns, "repeat_requests", f"repeats_{scope}", limit=None)
