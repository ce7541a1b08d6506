"""The command-centre wall screen: configuration from the URL, rotation, panels, the snapshot kept
while the database is away.

    /screen?scope=430602&rotate=children&every=30&refresh=60&theme=dark&lang=zh&alert=1

scope: the area (any place code; empty = every city). rotate: ``children`` (every child unit of the
scope in turn), a comma-separated list of place codes, ``panels`` (the scope, one panel at a time,
full size), or empty (the scope only, all panels). every: seconds per
place (≥ 3). refresh: seconds between reads of the store (≥ 3). theme: dark or light. alert: 1 moves
the screen to a child unit with issues that fell overdue in the last hour and says so.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from string import Template

import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from data_access.scope import Period, Scope

MIN_SECONDS = 3
PANEL_HEIGHT, BIG_PANEL_HEIGHT = 430, 860  # pixels at 1920×1080: two rows of panels, or one big one
_CODE = re.compile(r"^[0-9]{6}$|^[0-9]{9}$|^[0-9]{12}$|^[0-9]{15}$")


@dataclass(frozen=True)
class ScreenConfig:
    scope: str | None = None
    rotate: tuple[str, ...] | str = ()  # place codes, "children" or "panels"
    every: int = 30
    refresh: int = 60
    theme: str = "dark"
    alert: bool = False

    @property
    def tick(self) -> int:
        """Seconds between reruns of the screen fragment."""
        return max(MIN_SECONDS, min(self.every if self.rotate else self.refresh, self.refresh))


def _seconds(value, default: int) -> int:
    try:
        return max(MIN_SECONDS, min(int(value), 3600))
    except (TypeError, ValueError):
        return default


def parse(params) -> ScreenConfig:
    """The screen's configuration from URL parameters; anything invalid falls back to the default."""
    scope = params.get("scope")
    scope = scope if scope and _CODE.match(scope) else None
    rotate_raw = (params.get("rotate") or "").strip()
    if rotate_raw in ("children", "panels"):
        rotate: tuple[str, ...] | str = rotate_raw
    else:
        rotate = tuple(c for c in rotate_raw.split(",") if _CODE.match(c.strip()))
    theme = params.get("theme") if params.get("theme") in ("dark", "light") else "dark"
    return ScreenConfig(
        scope=scope,
        rotate=rotate,
        every=_seconds(params.get("every"), 30),
        refresh=_seconds(params.get("refresh"), 60),
        theme=theme,
        alert=params.get("alert") in ("1", "true", "yes"),
    )


def within(config: ScreenConfig, who) -> ScreenConfig:
    """The configuration kept inside the account's area: a scope outside it becomes the area itself,
    rotation places outside it are dropped."""
    scope = config.scope if who.sees(config.scope) else (who.area or None)
    rotate = config.rotate if isinstance(config.rotate, str) else tuple(c for c in config.rotate if who.sees(c))
    return replace(config, scope=scope, rotate=rotate)


def current(places: list[str], every: int, now: float | None = None) -> str | None:
    """The place shown now: rotation by the wall clock, so every screen with the same URL agrees."""
    if not places:
        return None
    now = time.time() if now is None else now
    return places[int(now // every) % len(places)]


def today(at: datetime) -> Period:
    start = at.date()
    return Period(start, start + timedelta(days=1))


def snapshot(read, code: str | None, at: datetime) -> dict:
    """Every panel's data for one place, read now by ``read`` (dashboard.data or data.direct(engine));
    raises when the store is unreachable."""
    day = today(at)
    month = Period(at.date() - timedelta(days=29), at.date() + timedelta(days=1))
    scope = Scope.from_code(code)
    snap = {
        "path": read.place_path(code),
        "kpis": read.issue_kpis(code, day, at),
        "kpis_30": read.issue_kpis(code, month, at),
        "funnel": read.issue_funnel(code, day, at),
        "categories": read.issues_by_category(code, day),
        "overdue": read.overdue_issues(code, at, 8),
        "volunteers": read.volunteer_kpis(code, day),
        "activity": read.activity_types(code, day),
        "points": read.issue_points(code, day),
        "coverage": read.station_coverage(code),
        "ranking": read.issue_by_child(code, month, at) if scope.level != "grid" else pd.DataFrame(),
        "children": read.children(code) if scope.level != "grid" else pd.DataFrame(),
    }
    snap["read_at"] = datetime.now()
    return snap


CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"], footer,
#MainMenu { display: none !important; }
html, body, .stApp { overflow: hidden !important; }
.stApp { background: $bg; color: $fg; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: 0.6rem 1.2rem 0 1.2rem !important; max-width: 100% !important; }
[data-testid="stVerticalBlock"] { gap: 0.5rem; }
.ggc-strip { display: flex; align-items: baseline; justify-content: space-between; height: 58px;
  border-bottom: 2px solid $accent; margin-bottom: 6px; white-space: nowrap; overflow: hidden; }
.ggc-title { font-size: 34px; font-weight: 700; color: $fg; }
.ggc-sub { font-size: 22px; color: $muted; margin-left: 18px; }
.ggc-clock { font-size: 34px; font-variant-numeric: tabular-nums; color: $fg; }
.ggc-kpis { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; margin-bottom: 4px; }
.ggc-kpi { background: $panel; border-radius: 8px; padding: 8px 16px; height: 118px; }
.ggc-kpi .v { font-size: 54px; font-weight: 700; line-height: 1.15; font-variant-numeric: tabular-nums; }
.ggc-kpi .l { font-size: 20px; color: $muted; }
.ggc-kpi.red .v { color: #ff5c5c; } .ggc-kpi.green .v { color: #5fd38d; } .ggc-kpi.amber .v { color: #ffc247; }
.ggc-panel { background: $panel; border-radius: 8px; padding: 8px 14px; overflow: hidden; }
.ggc-panel h3 { font-size: 22px; margin: 0 0 6px 0; color: $fg; padding: 0; }
.ggc-row { display: flex; justify-content: space-between; font-size: 19px; padding: 3px 0;
  border-bottom: 1px solid $line; white-space: nowrap; overflow: hidden; }
.ggc-row span:last-child { font-variant-numeric: tabular-nums; }
.ggc-banner { position: fixed; bottom: 0; left: 0; right: 0; z-index: 1000; padding: 10px 24px; font-size: 26px;
  font-weight: 700; text-align: center; }
.ggc-banner.down { background: #8a1c1c; color: #fff; }
.ggc-banner.alert { background: #b35c00; color: #fff; }
[data-testid="stPlotlyChart"], [data-testid="stDeckGlJsonChart"] { background: $panel; border-radius: 8px; }
@media (min-width: 3000px) { .stApp { zoom: 2; } }
</style>
"""
THEMES = {
    "dark": {"bg": "#0b1220", "fg": "#e8eef7", "muted": "#8fa3bf", "panel": "#131d31", "line": "#22314d"},
    "light": {"bg": "#f4f6fa", "fg": "#1c2533", "muted": "#5b6b80", "panel": "#ffffff", "line": "#e3e8ef"},
}


def css(theme: str) -> str:
    return Template(CSS).substitute(**THEMES[theme], accent="#c8102e")


def strip(place: str, period: str, read_at: datetime) -> str:
    """The caption strip: area and period, the time the data was read, a live clock."""
    return (
        '<div class="ggc-strip"><div>'
        f'<span class="ggc-title" data-testid="screen-place">{html.escape(place)}</span>'
        f'<span class="ggc-sub">{html.escape(period)}</span>'
        f'<span class="ggc-sub">{html.escape(t("screen_read_at", time=read_at.strftime("%H:%M:%S")))}</span>'
        "</div></div>"
    )


CLOCK = """
<div id="c" style="font: 700 34px 'Noto Sans CJK SC', sans-serif; color: $fg; text-align: right;
  font-variant-numeric: tabular-nums; background: $bg; height: 52px; line-height: 52px"></div>
<script>
const c = document.getElementById('c');
const tick = () => { c.textContent = new Date().toLocaleString('zh-CN', {hour12: false}); };
tick(); setInterval(tick, 1000);
</script>
"""


def clock(theme: str) -> str:
    return Template(CLOCK).substitute(**THEMES[theme])


def kpi_cards(cards: list[tuple[str, str, str]]) -> str:
    """Big numbers: (label, value, colour class)."""
    cells = "".join(
        f'<div class="ggc-kpi {cls}"><div class="l">{html.escape(label)}</div>'
        f'<div class="v">{html.escape(value)}</div></div>'
        for label, value, cls in cards
    )
    return f'<div class="ggc-kpis">{cells}</div>'


def banner(kind: str, text: str) -> str:
    """A full-width banner over the screen: "down" (database unreachable) or "alert"."""
    return f'<div class="ggc-banner {kind}" data-testid="screen-{kind}">{html.escape(text)}</div>'


def rows_panel(title: str, rows: list[tuple[str, str]], empty: str, height: int = PANEL_HEIGHT) -> str:
    """A panel of label/value rows (every text escaped: names come from imported files)."""
    body = "".join(
        f'<div class="ggc-row"><span>{html.escape(str(a))}</span><span>{html.escape(str(b))}</span></div>'
        for a, b in rows
    )
    return (
        f'<div class="ggc-panel" style="height: {int(height)}px"><h3>{html.escape(title)}</h3>'
        f"{body or html.escape(empty)}</div>"
    )


def _dark(fig: go.Figure, theme: str, title: str, height: int) -> go.Figure:
    colours = THEMES[theme]
    fig.update_layout(
        title=dict(text=title, font=dict(size=22, color=colours["fg"]), x=0.01, y=0.97),
        height=height,
        margin=dict(l=10, r=20, t=46, b=10),
        paper_bgcolor=colours["panel"],
        plot_bgcolor=colours["panel"],
        font=dict(family="Noto Sans CJK SC, sans-serif", size=17, color=colours["fg"]),
        showlegend=False,
    )
    fig.update_xaxes(gridcolor=colours["line"], zerolinecolor=colours["line"])
    fig.update_yaxes(gridcolor=colours["line"], zerolinecolor=colours["line"])
    return fig


def overdue_text(hours: float) -> str:
    return t("screen_hours_overdue", h=int(hours)) if hours < 48 else t("screen_days_overdue", d=int(hours // 24))


def empty_panel(title: str, height: int = PANEL_HEIGHT) -> str:
    return rows_panel(title, [], t("screen_none"), height)


def funnel_figure(funnel: pd.DataFrame, theme: str, height: int = PANEL_HEIGHT) -> go.Figure:
    stages = [t(f"stage_{s}") for s in funnel["stage"]]
    fig = go.Figure(
        go.Funnel(y=stages, x=funnel["count"], textinfo="value+percent initial", marker=dict(color="#2e86ab"))
    )
    return _dark(fig, theme, t("screen_funnel"), height)


def bars_figure(
    labels, values, theme: str, title: str, height: int = PANEL_HEIGHT, colour: str = "#f2a900"
) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(values)[::-1], y=list(labels)[::-1], orientation="h", marker=dict(color=colour)))
    fig.update_traces(text=list(values)[::-1], textposition="auto")
    return _dark(fig, theme, title, height)
