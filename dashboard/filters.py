"""The shared filters: navigation that keeps the view, the cascading scope, time range,
comparison and language, and the breadcrumb. All state lives in the URL query string."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import streamlit as st

from dashboard import auth, data, formats
from dashboard.i18n import t
from dashboard.navigation import go
from dashboard.safe import md
from dashboard.state import FIRST_DAY, ViewState, from_params, periods_of, to_params
from dashboard.widgets import export_context
from data_access import clock
from data_access.periods import COMPARES, RANGES
from data_access.scope import CODE_LENGTH, LEVELS, Period


def current() -> ViewState:
    """The view the URL describes, kept inside the signed-in account's area."""
    state = from_params(st.query_params)
    who = auth.principal()
    if who is not None and not who.sees(state.scope):
        state = state.with_scope(who.area or None)
    return state


def _level_code(code: str | None, level: str) -> str | None:
    """The code of ``level`` containing ``code`` (cities are the district code's first four digits + 00)."""
    if not code:
        return None
    if level == "city":
        return code[:4] + "00"
    n = CODE_LENGTH[level]
    if len(code) < n or (len(code) == 6 and code.endswith("00")):
        return None
    return code[:n]


def scope_selector(state: ViewState) -> None:
    """Cascading selectboxes city → 区 → 街道 → 社区 → 网格; the levels down to the account's own are fixed."""
    parent = None
    who = auth.principal()
    for level in LEVELS:
        options = data.units(level, parent)
        if options.empty:
            break
        names = dict(zip(options["code"], options["name"]))
        chosen = _level_code(state.scope, level)
        fixed = who is not None and _level_code(who.area, level) is not None  # at or above the account's area
        choices = [chosen] if fixed and chosen in names else [None, *options["code"]]
        pick = st.selectbox(
            t(f"level_{level}"),
            choices,
            index=choices.index(chosen) if chosen in names else 0,
            format_func=lambda c, n=names: t("all") if c is None else n[c],
            disabled=fixed,
        )
        if pick != chosen:
            go(state.with_scope(pick if pick is not None else parent))
        if pick is None:
            break
        parent = pick


CUSTOM_DAYS = 30  # a custom range starts as the last 30 days


def time_selector(state: ViewState) -> None:
    rng = st.selectbox(t("time_range"), RANGES, index=RANGES.index(state.range), format_func=lambda r: t(f"range_{r}"))
    if st.query_params.get("range") == "custom" and state.range != "custom":  # a link with unusable dates
        st.warning(t("custom_invalid"))
    if rng == "custom":
        today = data.as_of().date()
        start, end = state.start or today - timedelta(days=CUSTOM_DAYS - 1), state.end or today
        default = (min(start, today), min(end, today))  # the data may end before the link's dates
        picked = st.date_input(t("custom_dates"), value=default, min_value=FIRST_DAY, max_value=today)
        if not (isinstance(picked, tuple) and len(picked) == 2):  # one date picked so far: say what is shown
            shown, _ = periods_of(state, today)
            st.caption(
                t("custom_incomplete", start=shown.start.isoformat(), end=(shown.end - timedelta(days=1)).isoformat())
            )
        elif (picked[0], picked[1]) != (state.start, state.end):
            go(replace(state, range="custom", start=picked[0], end=picked[1]))
    elif rng != state.range:
        go(replace(state, range=rng, start=None, end=None))
    cmp = st.selectbox(t("compare"), COMPARES, index=COMPARES.index(state.compare), format_func=lambda c: t(f"cmp_{c}"))
    if cmp != state.compare:
        go(replace(state, compare=cmp))


def language_selector(state: ViewState) -> None:
    lang = st.radio(
        t("language"),
        ("zh", "en"),
        index=("zh", "en").index(state.lang),
        horizontal=True,
        format_func=lambda v: "中文" if v == "zh" else "English",
    )
    if lang != state.lang:
        go(replace(state, lang=lang))


def sidebar(pages: list, who) -> ViewState:
    """The sidebar of every page; returns the view the URL describes."""
    state = current()
    with st.sidebar:
        st.markdown(f"### {t('app_title')}")
        for page in pages:
            st.page_link(page, query_params=to_params(state))
        st.divider()
        scope_selector(state)
        time_selector(state)
        language_selector(state)
        st.divider()
        auth.account_box(who)
    return state


def periods(state: ViewState) -> tuple[Period, Period]:
    """(the period, its comparison) the URL selects at the figures' as-of (data_access.periods)."""
    return periods_of(state, data.as_of().date())


def breadcrumb(state: ViewState) -> None:
    """全部 › 城市 › 区 › …: each step goes back up."""
    path = data.place_path(state.scope)
    who = auth.principal()
    steps = [(None, t("all_places"))] + list(zip(path["code"], path["name"]))
    row = st.container(horizontal=True, gap="small")
    for i, (code, name) in enumerate(steps):
        last = i == len(steps) - 1
        outside = who is not None and not who.sees(code)
        if row.button(("› " if i else "") + name, key=f"crumb_{i}", disabled=last or outside, type="tertiary"):
            go(state.with_scope(code))


def header(title_key: str, state: ViewState) -> tuple[Period, Period]:
    """Title, breadcrumb and the period caption of a page; returns (period, comparison)."""
    period, previous = periods(state)
    st.title(t(title_key))
    breadcrumb(state)
    export_context(t(title_key), _place(state), period, previous, data.as_of())
    st.caption(caption(state, period, previous))
    if delivered := sources_line():
        st.caption(delivered)
    return period, previous


def sources_line() -> str:
    """数据来源：12345工单 08:05 · 网格事件 昨日 23:00, an overdue source in red and said so ('' without sources)."""
    df = data.sources()
    parts = []
    for r in df.itertuples():
        when = formats.recent(r.last_delivery_at) if clock.local(r.last_delivery_at) else t("source_never")
        text = f"{md(r.label)} {when}"
        parts.append(f":red[{text}{t('source_overdue')}]" if r.overdue else text)
    return t("sources_caption", sources=" · ".join(parts)) if parts else ""


def span(period: Period) -> str:
    """2026-11-01 至 2026-11-30 (one day: the day alone)."""
    last = period.end - timedelta(days=1)
    if last == period.start:
        return period.start.isoformat()
    return t("period_span", start=period.start.isoformat(), end=last.isoformat())


def caption(state: ViewState, period: Period, previous: Period) -> str:
    """The period and what it is compared with, the figures' moment and when the data last changed (with how long
    ago, when that is more than a day)."""
    loaded = data.loaded_at()
    loaded_text = clock.written(loaded) if loaded else "—"
    if loaded:
        mins, unit = clock.age_text(loaded)
        if unit == "days":
            loaded_text += t("age_ago", age=t("age_days", n=mins // (24 * 60)))
    return t(
        "period_caption",
        period=span(period),
        cmp=t(f"cmp_{state.compare}_short"),
        previous=span(previous),
        now=clock.written(data.as_of()),
        loaded=loaded_text,
    )


def _place(state: ViewState) -> str:
    path = data.place_path(state.scope)
    return path["name"].iloc[-1] if len(path) else t("all_places")


def place_name(state: ViewState) -> str:
    """The scope's name, escaped for markdown."""
    return md(_place(state))
