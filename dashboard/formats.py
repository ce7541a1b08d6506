"""Figures written the Chinese way (and the English way when the interface is English): the one place cards,
tables, charts, exports and the wall screen turn a number, a rate, a duration or a date into text.

Counts carry thousands separators; in Chinese, large counts on cards and chart labels are written in 万 and
亿 (41.2万, not 412,348 or 412k); rates have one decimal and %; durations of two days or more are written in
days; a missing value is "—", never None or nan.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

import pandas as pd

from dashboard.labels import text_in
from data_access import clock, indicators

_writing: ContextVar[str | None] = ContextVar("ggc_writing_in", default=None)


@contextmanager
def writing_in(language: str):
    """Write figures in ``language`` inside (a document chooses its own; a page takes its session's)."""
    token = _writing.set(language)
    try:
        yield
    finally:
        _writing.reset(token)


def lang() -> str:
    """The language figures are written in: the enclosing :func:`writing_in`'s, else the page session's."""
    chosen = _writing.get()
    if chosen:
        return chosen
    from dashboard.i18n import lang as session_language  # a page's (imports Streamlit: pages only)

    return session_language()


MISSING = "—"
SHORT_FROM = 100_000  # a count from this size on is written in 万 (亿 from 100 million) where space is short


def _missing(v) -> bool:
    try:
        return v is None or v != v
    except (TypeError, ValueError):
        return True


def count(n, short: bool = False) -> str:
    """21,439; with ``short`` in Chinese 41.2万 and 1.23亿 from 100,000 on."""
    if _missing(n):
        return MISSING
    n = float(n)
    if short and lang() == "zh" and abs(n) >= SHORT_FROM:
        big = abs(round(n / 1e4, 1)) >= 1e4  # 99,995,000 is 1亿, not 10,000万
        value, unit, decimals = (n / 1e8, "亿", 2) if big else (n / 1e4, "万", 1)
        return f"{value:,.{decimals}f}".rstrip("0").rstrip(".") + unit
    return f"{n:,.0f}"


def signed(n, decimals: int = 0) -> str:
    """A change: +1,234 or -5 (never -0)."""
    if _missing(n):
        return MISSING
    n = round(float(n), decimals) + 0.0
    return f"{n:+,.{decimals}f}"


def rate(v) -> str:
    """93.4%"""
    return MISSING if _missing(v) else f"{float(v):.1f}%"


def hours(h, language: str | None = None) -> str:
    """5.2 小时; from two days on 3.1 天 (in ``language``, default the interface's)."""
    if _missing(h):
        return MISSING
    h, language = float(h), language or lang()
    if h >= 48:
        return f"{h / 24:,.1f} {text_in(language, 'days_unit')}"
    return f"{h:,.1f} {text_in(language, 'hours_unit')}"


def day(d, language: str | None = None) -> str:
    """2026年11月23日 (2026-11-23 in English; ``language``: default the interface's)."""
    if _missing(d):
        return MISSING
    d = d.date() if isinstance(d, datetime) else d
    return f"{d.year}年{d.month}月{d.day}日" if (language or lang()) == "zh" and isinstance(d, date) else str(d)


def moment(v) -> str:
    """A time as a person reads it: 2026-12-07 08:30, wall time in the clock's zone (a stored instant converted),
    no offset."""
    return MISSING if _missing(v) else clock.written(pd.Timestamp(v).to_pydatetime())


def recent(v, at: datetime | None = None) -> str:
    """A recent moment by its day: 08:05 today, 昨日 23:00, else 2026-12-05 23:00 (``at``: default now)."""
    if _missing(v):
        return MISSING
    v = pd.Timestamp(v).to_pydatetime()
    days = ((at or clock.now()).date() - v.date()).days
    if days == 0:
        return f"{v:%H:%M}"
    if days == 1:
        return text_in(lang(), "yesterday_at", time=f"{v:%H:%M}")
    return clock.written(v)


def wall_times(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its zoned time columns (instants the store stamped: sign-ins, audit, alerts) as wall time in the
    clock's zone, without the zone (Excel and the tables hold no zones)."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_convert(clock.zone()).dt.tz_localize(None)
    return out


def indicator(key: str, v, short: bool = False) -> str:
    """A catalogue indicator's value as shown: counts (``short``: 万 on cards), rates, hours, the rest with the
    indicator's own decimals."""
    if _missing(v):
        return MISSING
    ind = indicators.get(key)
    if ind.kind == "count":
        return count(v, short)
    if ind.unit == "%":
        return rate(v)
    if ind.unit == "小时":
        return hours(v)
    return f"{float(v):,.{ind.decimals}f}"
