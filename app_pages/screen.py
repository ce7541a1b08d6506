"""指挥大屏 Wall screen: full screen, dark, rotating through places, refreshing itself; keeps the last
data with a banner while the database is unreachable. Configured by URL (see dashboard/screen.py)."""

import logging

import pandas as pd
import streamlit as st

from dashboard import auth, data, formats, mapview
from dashboard import screen as sc
from dashboard.i18n import lang, localised, t
from data_access import alerts, clock, indicators, periods
from data_access.reads import stations
from data_access.reads.ranking import ranked
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import get_settings
from geo import mapping

log = logging.getLogger(__name__)
config = sc.within(sc.parse(st.query_params), auth.principal())
st.markdown(sc.css(config.theme, config.scale), unsafe_allow_html=True)


def _places() -> list[str | None]:
    if config.rotate == "panels":
        return [config.scope]
    if config.rotate == "children":
        kids = data.children(config.scope)
        return list(kids["code"]) or [config.scope]
    return list(config.rotate) or [config.scope]


def _alerted() -> tuple[str | None, str]:
    """A child unit holding an alert first seen within the last ALERT_WINDOW_MIN minutes (rotating among them),
    and the banner saying which rule fired there."""
    fresh = data.alert_listing(config.scope, True, 30, 500)
    since = pd.Timestamp(clock.seconds(), unit="s", tz="UTC") - pd.Timedelta(minutes=ALERT_WINDOW_MIN)
    fresh = fresh[fresh["first_seen"] >= since]
    child = Scope.from_code(config.scope).child_level
    width = CODE_LENGTH[child]
    fresh = fresh[fresh["unit_code"].str.len() >= width]  # the scope's own alerts cannot be jumped to
    if fresh.empty:
        return None, ""
    fresh = fresh.assign(slot=fresh["unit_code"].str[:width])
    slot = sc.current(sorted(set(fresh["slot"])), config.every)
    row = fresh[fresh["slot"] == slot].iloc[0]
    try:
        rule = alerts.load().by_name.get(row["rule"])
    except alerts.RuleError:  # a broken rules file is the admin's to mend; the screen still says what fired
        log.warning("wall screen: the alert rules cannot be read", exc_info=True)
        rule = None
    place = row["unit"] + (f" · {row['subject_name']}" if row["subject_name"] else "")
    value = alerts.value_text(rule, row["last_value"])
    return slot, t("screen_alert_rule", title=rule.title if rule else row["rule"], place=place, value=value)


ALERT_WINDOW_MIN = 60
MAP_HEADING = 140  # the map's title and legend, above it (design px)
MAP_METRIC = "closure_rate"


def _chart_or_none(col, figure, n, title_key: str, height: int, key: str) -> None:
    if n:
        col.plotly_chart(figure, width="stretch", key=key, config={"staticPlot": True})
    else:
        col.markdown(sc.rows_panel(t(title_key), [], t("screen_none"), height, name=key), unsafe_allow_html=True)


def _map_height() -> int:
    tall, rows, body, row = sc.arrangement(config)
    whole = tall == "map" or config.rotate == "panels" or len(rows) == 1
    return (body if whole else row) - config.px(MAP_HEADING + sc.GAP)


def _map_deck(snap: dict, at, height: int):
    """The 30-day closure rate of the child units with today's issues on top, and its legend; read with the rest
    of the snapshot so that a screen showing its last data touches no database."""
    month = periods.period_of("30d", at.date())
    deck, legend = mapview.build(
        data, snap["code"], month, at, MAP_METRIC, ["layer_boundaries"], t, get_settings(), height
    )
    if deck is not None and len(snap["points"]):
        deck.layers.append(mapping.issue_point_layer(snap["points"]))
    return deck, legend


def _kpis(snap: dict) -> None:
    k, k30 = snap["kpis"].iloc[0], snap["kpis_30"].iloc[0]
    v = snap["volunteers"].iloc[0]
    cov15 = stations.walk_coverage(snap["coverage"]) if len(snap["coverage"]) else {}
    level = Scope.from_code(snap["code"]).level

    def colour(key, row) -> str:  # the catalogue's colour, as on every page
        return indicators.rag(key, indicators.value(row, key), level, indicators.cases(row, key)) or ""

    cards = [
        (t("screen_today_of", name=t("reported")), formats.indicator("reported", k["reported"]), ""),
        (t("screen_today_closed"), formats.indicator("closed", k["closed"]), ""),
        (t("overdue_open"), formats.indicator("overdue_open", k30["overdue_open"]), colour("overdue_open", k30)),
        (
            t("screen_30_of", name=t("closure_rate")),
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
    st.markdown(sc.kpi_cards(cards), unsafe_allow_html=True)


def _rows_that_fit(height: int, reserved: int = 100) -> int:
    """List rows (24 px text, 1.45 line height) under a title and a note in a panel ``height`` pixels high."""
    return max(1, int((height - config.px(reserved)) // config.px(36)))


def _watch(snap: dict, height: int) -> str:
    """超期预警: newly overdue, due within 24 h, longest overdue; 挂账 counted apart."""
    shown = snap["watch"].head(_rows_that_fit(height))
    value_class = {"new": "red", "due_soon": "amber", "overdue": ""}
    rows = [
        (f"{r.community or '—'} · {getattr(r, localised('category'))}", sc.overdue_text(r.hours, r.kind == "due_soon"),
         r.kind,
         t(f"screen_tag_{r.kind}"), value_class[r.kind])
        for r in shown.itertuples()
    ]  # fmt: skip
    held = int(snap["kpis"]["suspended_open"].iloc[0])  # the stock at the as-of, as every page counts it
    note = t("screen_suspended_note", n=formats.count(held)) if held else ""
    return sc.rows_panel(t("screen_overdue"), rows, t("screen_none"), height, note, "overdue")


def _board(snap: dict, height: int) -> str:
    """红黑榜 of the child units over 30 days by one indicator of the catalogue, rotating through sc.RANKED."""
    key = sc.current(list(sc.RANKED), config.every)
    title = t("screen_board_title", name=t(key))
    children = snap["children"]
    if snap["ranking"].empty or children.empty:
        return sc.board_panel(title, [], t("screen_none"), height)
    df = ranked(children.merge(snap["ranking"], on="code", how="left"), key)
    level = Scope.from_code(snap["code"]).child_level

    def row(r):
        v = r[key]
        rag = indicators.rag(key, v, level, indicators.cases(r, key)) or ""
        return (f"{r['place_rank']}. {r['name']}", formats.indicator(key, v), "", "", rag)

    rows = df[df["place_rank"].notna()]
    if (df["board"] != "").any():
        black = [row(r) for _, r in rows[rows["board"] == "black"].head(3).iterrows()]
        red = [row(r) for _, r in rows[rows["board"] == "red"].iloc[::-1].head(3).iterrows()]
        sections = [(t("screen_board_black"), black), (t("screen_board_red"), red)]
    else:
        sections = [(t("screen_board_all"), [row(r) for _, r in rows.head(6).iterrows()])]
    note = t("screen_board_note", n=len(rows), m=len(df) - len(rows))
    return sc.board_panel(title, sections, t("screen_none"), height, note)


def _panel(name: str, col, snap: dict, at, height: int) -> None:
    """One panel into ``col``, ``height`` design pixels high."""
    key = f"{name}_{snap['code']}_{height}"
    if name == "map":
        deck, legend = snap["deck"]
        fmt = lambda v: formats.indicator(MAP_METRIC, v)  # noqa: E731
        heading = sc.map_heading(t("screen_30_of", name=t(MAP_METRIC)), legend or {}, fmt, t("screen_map_points"))
        col.markdown(
            heading.replace('style="', f'style="height: {config.px(MAP_HEADING)}px; ', 1), unsafe_allow_html=True
        )
        if deck is not None:
            col.pydeck_chart(deck, height=height - config.px(MAP_HEADING + sc.GAP), key=f"map_{key}")
    elif name == "funnel":
        figure = sc.funnel_figure(snap["funnel"], config.theme, height, config.scale)
        _chart_or_none(col, figure, snap["funnel"]["count"].sum(), "screen_funnel", height, key)
    elif name == "categories":
        cats = snap["categories"].head(_rows_that_fit(height, 70))
        title = t("screen_categories")
        figure = sc.bars_figure(cats[localised("l3")], cats["issues"], config.theme, title, height, None, config.scale)
        _chart_or_none(col, figure, len(cats), "screen_categories", height, key)
    elif name == "overdue":
        col.markdown(_watch(snap, height), unsafe_allow_html=True)
    elif name == "volunteers":
        acts = snap["activity"].head(_rows_that_fit(height, 70))
        labels = [t(f"at_{x}") for x in acts["key"]]
        colour = sc.THEMES[config.theme]["green"]
        title = t("screen_activity")
        figure = sc.bars_figure(labels, acts["activities"], config.theme, title, height, colour, config.scale)
        _chart_or_none(col, figure, len(acts), "screen_activity", height, key)
    elif name == "ranking":
        col.markdown(_board(snap, height), unsafe_allow_html=True)


def _panels(snap: dict, at) -> None:
    if "kpi" in config.panels:
        _kpis(snap)
    tall, rows, body, row = sc.arrangement(config)
    if config.rotate == "panels":
        shown = [p for p in config.panels if p != "kpi"] or ["map"]
        _panel(sc.current(shown, config.every), st.container(), snap, at, body)
        return
    target = st
    if tall:
        left, target = st.columns([1, 2 if max(len(r) for r in rows) <= 2 else 3])
        _panel(tall, left, snap, at, body)
    for names in rows:
        weights = [1.25 if n == "map" else 1 for n in names]
        for name, col in zip(names, target.columns(weights), strict=True):
            _panel(name, col, snap, at, row if len(rows) > 1 else body)


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
            alerted, banner = _alerted()
            code = alerted or code
        snap = {**sc.snapshot(data, code, at), "code": code, "at": at, "loaded": data.loaded_at()}
        snap["sources"] = data.sources()
        snap["deck"] = _map_deck(snap, at, _map_height()) if "map" in config.panels else (None, {})
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
    strip = sc.strip(place, period, snap["read_at"], snap.get("loaded"), snap.get("sources"))
    left.markdown(strip, unsafe_allow_html=True)
    with right:
        locale = "en-GB" if lang() == "en" else "zh-CN"
        st.iframe(sc.clock_frame(config.theme, locale, config.scale), height=config.px(56))
    _panels(snap, snap["at"])


wall()
