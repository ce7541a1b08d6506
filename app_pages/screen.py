"""指挥大屏 Wall screen: full screen, dark, rotating through places, refreshing itself; keeps the last
data with a banner while the database is unreachable. Configured by URL (see dashboard/screen.py)."""

import logging
from datetime import timedelta

import streamlit as st
import streamlit.components.v1 as components

from dashboard import data, mapview
from dashboard import screen as sc
from dashboard.i18n import localised, t
from data_access.scope import Period, Scope
from data_access.settings import get_settings
from geo import mapping

log = logging.getLogger(__name__)
config = sc.parse(st.query_params)
st.markdown(sc.css(config.theme), unsafe_allow_html=True)


def _places() -> list[str | None]:
    if config.rotate == "children":
        kids = data.fetch("queries.children", config.scope)
        return list(kids["code"]) or [config.scope]
    return list(config.rotate) or [config.scope]


def _alerted(at) -> tuple[str | None, str]:
    """A child unit with issues newly overdue, and the banner saying why."""
    fresh = data.fetch("queries.newly_overdue", config.scope, at, 60)
    if fresh.empty:
        return None, ""
    slot = sc.current(list(fresh["code"]), config.every)
    n = int(fresh.set_index("code").loc[slot, "issues"])
    name = data.names_of(Scope.from_code(config.scope).child_level, config.scope).get(slot, slot)
    return slot, t("screen_alert", place=name, n=n)


def _chart_or_none(col, figure, n, title_key: str) -> None:
    if n:
        col.plotly_chart(figure, width="stretch", key=title_key)
    else:
        col.markdown(sc.empty_panel(t(title_key)), unsafe_allow_html=True)


def _panels(snap: dict, at) -> None:
    k, k30 = snap["kpis"].iloc[0], snap["kpis_30"].iloc[0]
    v = snap["volunteers"].iloc[0]
    cov = snap["coverage"].set_index("minutes")
    cov15 = cov.loc[15, "coverage"] if 15 in cov.index else float("nan")
    rate = k30["closure_rate"]
    st.markdown(
        sc.kpi_cards(
            [
                (t("screen_reported_today"), f"{int(k['reported']):,}", ""),
                (t("screen_closed_today"), f"{int(k['closed']):,}", "green"),
                (t("screen_overdue_open"), f"{int(k30['overdue_open']):,}", "red" if k30["overdue_open"] else "green"),
                (t("screen_closure_30"), "—" if rate != rate else f"{rate:.1f}%", "green" if rate >= 90 else "amber"),
                (t("screen_volunteers_today"), f"{int(v['active']):,}", ""),
                (t("coverage_15"), "—" if cov15 != cov15 else f"{cov15:.1f}%", ""),
            ]
        ),
        unsafe_allow_html=True,
    )
    a, b, c = st.columns([1.25, 1, 1])
    with a:  # the 30-day closure rate of the child units, with today's issues on top
        month = Period(at.date() - timedelta(days=29), at.date() + timedelta(days=1))
        shown = ["layer_boundaries"]
        deck, _ = mapview.build(data.fetch, snap["code"], month, at, "closure_rate", shown, t, get_settings(), 430)
        if deck is not None:
            if len(snap["points"]):
                deck.layers.append(mapping.issue_point_layer(snap["points"]))
            st.pydeck_chart(deck, height=430, key=f"map_{snap['code']}")
    _chart_or_none(b, sc.funnel_figure(snap["funnel"], config.theme), snap["funnel"]["count"].sum(), "screen_funnel")
    cats = snap["categories"].head(8)
    _chart_or_none(
        c,
        sc.bars_figure(cats[localised("l3")], cats["issues"], config.theme, t("screen_categories")),
        len(cats),
        "screen_categories",
    )
    d, e, f = st.columns([1.25, 1, 1])
    overdue = [
        (f"{r.community} · {getattr(r, localised('category'))}", sc.overdue_text(r.hours_overdue))
        for r in snap["overdue"].itertuples()
    ]
    d.markdown(sc.rows_panel(t("screen_overdue"), overdue, t("screen_none")), unsafe_allow_html=True)
    acts = snap["activity"]
    labels = [t(f"at_{x}") for x in acts["key"]]
    figure = sc.bars_figure(labels, acts["activities"], config.theme, t("screen_activity"), "#4c9f70")
    _chart_or_none(e, figure, len(acts), "screen_activity")
    names = dict(zip(snap["children"].get("code", []), snap["children"].get("name", [])))
    rank = (
        snap["ranking"].sort_values("closure_rate", ascending=False).head(9)
        if len(snap["ranking"])
        else snap["ranking"]
    )
    rows = [
        (f"{i}. {names.get(r.code, r.code)}", "—" if r.closure_rate != r.closure_rate else f"{r.closure_rate:.1f}%")
        for i, r in enumerate(rank.itertuples(), start=1)
    ]
    f.markdown(sc.rows_panel(t("screen_ranking"), rows, t("screen_none")), unsafe_allow_html=True)


@st.fragment(run_every=config.tick)
def wall() -> None:
    last = st.session_state.setdefault("screen_last", {})
    banner = ""
    try:
        at = data.as_of()
        code = sc.current(_places(), config.every)
        if config.alert and Scope.from_code(config.scope).level != "grid":
            alerted, banner = _alerted(at)
            code = alerted or code
        snap = {**sc.snapshot(data.fetch, code, at), "code": code, "at": at}
        last["snap"] = snap
    except Exception:  # the store is unreachable: keep the last data, say so, try again next tick
        log.warning("wall screen: store unreachable", exc_info=True)
        snap = last.get("snap")
        when = snap["read_at"].strftime("%H:%M") if snap else "—"
        st.markdown(sc.banner("down", t("screen_offline", time=when)), unsafe_allow_html=True)
        if snap is None:
            return
    if banner:
        st.markdown(sc.banner("alert", banner), unsafe_allow_html=True)
    path = snap["path"]
    place = " · ".join(path["name"]) if len(path) else t("all_places")
    period = t("screen_today", day=snap["at"].strftime("%Y-%m-%d"))
    left, right = st.columns([4, 1])
    left.markdown(sc.strip(place, period, snap["read_at"]), unsafe_allow_html=True)
    with right:
        components.html(sc.clock(config.theme), height=56)
    _panels(snap, snap["at"])


wall()
