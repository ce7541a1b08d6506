"""指挥大屏 Wall screen: full screen, dark, rotating through places, refreshing itself; keeps the last
data with a banner while the database is unreachable. Configured by URL (see dashboard/screen.py)."""

import logging
from datetime import timedelta

import streamlit as st

from dashboard import auth, data, formats, mapview
from dashboard import screen as sc
from dashboard.i18n import localised, t
from data_access import indicators
from data_access.scope import Period, Scope
from data_access.settings import get_settings
from geo import mapping

log = logging.getLogger(__name__)
config = sc.within(sc.parse(st.query_params), auth.principal())
st.markdown(sc.css(config.theme), unsafe_allow_html=True)


def _places() -> list[str | None]:
    if config.rotate == "panels":
        return [config.scope]
    if config.rotate == "children":
        kids = data.children(config.scope)
        return list(kids["code"]) or [config.scope]
    return list(config.rotate) or [config.scope]


def _alerted(at) -> tuple[str | None, str]:
    """A child unit with issues newly overdue, and the banner saying why."""
    fresh = data.newly_overdue(config.scope, at, 60)
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
        col.markdown(sc.empty_panel(t(title_key), figure.layout.height), unsafe_allow_html=True)


def _map_deck(snap: dict, at, height: int):
    """The 30-day closure rate of the child units with today's issues on top; read with the rest of
    the snapshot so that a screen showing its last data touches no database."""
    month = Period(at.date() - timedelta(days=29), at.date() + timedelta(days=1))
    deck, _ = mapview.build(
        data, snap["code"], month, at, "closure_rate", ["layer_boundaries"], t, get_settings(), height
    )
    if deck is not None and len(snap["points"]):
        deck.layers.append(mapping.issue_point_layer(snap["points"]))
    return deck


PANELS = ["map", "funnel", "categories", "overdue", "volunteering", "ranking"]
ROW_HEIGHT, BIG_HEIGHT = sc.PANEL_HEIGHT, sc.BIG_PANEL_HEIGHT


def _kpis(snap: dict) -> None:
    k, k30 = snap["kpis"].iloc[0], snap["kpis_30"].iloc[0]
    v = snap["volunteers"].iloc[0]
    cov = snap["coverage"].set_index("minutes")
    cov15 = cov.loc[15] if 15 in cov.index else {}
    level = Scope.from_code(snap["code"]).level

    def colour(key, row) -> str:  # the catalogue's colour, as on every page
        return indicators.rag(key, indicators.value(row, key), level, indicators.cases(row, key)) or ""

    st.markdown(
        sc.kpi_cards(
            [
                (t("screen_reported_today"), formats.indicator("reported", k["reported"]), ""),
                (t("screen_closed_today"), formats.indicator("closed", k["closed"]), ""),
                (
                    t("screen_overdue_open"),
                    formats.indicator("overdue_open", k30["overdue_open"]),
                    colour("overdue_open", k30),
                ),
                (
                    t("screen_closure_30"),
                    formats.indicator("closure_rate", k30["closure_rate"]),
                    colour("closure_rate", k30),
                ),
                (t("screen_volunteers_today"), formats.count(v["active"]), ""),
                (
                    t("station_coverage"),
                    formats.indicator("station_coverage", indicators.value(cov15, "station_coverage")),
                    colour("station_coverage", cov15),
                ),
            ]
        ),
        unsafe_allow_html=True,
    )


def _panel(name: str, col, snap: dict, at, height: int) -> None:
    """One panel into ``col``, ``height`` pixels high; lists get longer on a big panel."""
    rows = 8 if height <= ROW_HEIGHT else 22
    if name == "map":
        if snap["deck"] is not None:
            col.pydeck_chart(snap["deck"], height=height, key=f"map_{snap['code']}_{height}")
    elif name == "funnel":
        figure = sc.funnel_figure(snap["funnel"], config.theme, height)
        _chart_or_none(col, figure, snap["funnel"]["count"].sum(), "screen_funnel")
    elif name == "categories":
        cats = snap["categories"].head(rows)
        figure = sc.bars_figure(cats[localised("l3")], cats["issues"], config.theme, t("screen_categories"), height)
        _chart_or_none(col, figure, len(cats), "screen_categories")
    elif name == "overdue":
        items = [
            (f"{r.community} · {getattr(r, localised('category'))}", sc.overdue_text(r.hours_overdue))
            for r in snap["overdue"].head(rows).itertuples()
        ]
        col.markdown(sc.rows_panel(t("screen_overdue"), items, t("screen_none"), height), unsafe_allow_html=True)
    elif name == "volunteering":
        acts = snap["activity"]
        labels = [t(f"at_{x}") for x in acts["key"]]
        figure = sc.bars_figure(labels, acts["activities"], config.theme, t("screen_activity"), height, "#4c9f70")
        _chart_or_none(col, figure, len(acts), "screen_activity")
    elif name == "ranking":
        names = dict(zip(snap["children"].get("code", []), snap["children"].get("name", [])))
        rank = snap["ranking"]
        rank = rank.sort_values("closure_rate", ascending=False).head(rows) if len(rank) else rank
        items = [
            (f"{i}. {names.get(r.code, r.code)}", formats.indicator("closure_rate", r.closure_rate))
            for i, r in enumerate(rank.itertuples(), start=1)
        ]
        col.markdown(sc.rows_panel(t("screen_ranking"), items, t("screen_none"), height), unsafe_allow_html=True)


def _panels(snap: dict, at) -> None:
    _kpis(snap)
    if config.rotate == "panels":
        _panel(sc.current(PANELS, config.every), st.container(), snap, at, BIG_HEIGHT)
        return
    for names in (PANELS[:3], PANELS[3:]):
        for name, col in zip(names, st.columns([1.25, 1, 1]), strict=True):
            _panel(name, col, snap, at, ROW_HEIGHT)


@st.fragment(run_every=config.tick)
def wall() -> None:
    last = st.session_state.setdefault("screen_last", {})
    banner = ""
    try:
        if auth.resolve() is None:  # the token or account was disabled: show nothing more
            last.clear()
            st.markdown(sc.banner("down", t("screen_token_bad")), unsafe_allow_html=True)
            return
        at = data.as_of()
        code = sc.current(_places(), config.every)
        if config.alert and Scope.from_code(config.scope).level != "grid":
            alerted, banner = _alerted(at)
            code = alerted or code
        snap = {**sc.snapshot(data, code, at), "code": code, "at": at}
        snap["deck"] = _map_deck(snap, at, BIG_HEIGHT if config.rotate == "panels" else ROW_HEIGHT)
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
        st.iframe(sc.clock(config.theme), height=56)
    _panels(snap, snap["at"])


wall()
