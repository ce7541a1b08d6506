"""The command-centre wall screen: configuration from the URL, rotation, panels, layouts for any wall, the
snapshot kept while the database is away.

    /screen?scope=430602&rotate=children&every=30&refresh=60&layout=16:9&panels=kpi,map,funnel,ranking&alert=1

scope: the area (any place code; empty = every city). rotate: ``children`` (every child unit of the scope in
turn), a comma-separated list of place codes, ``panels`` (the scope, one panel at a time, full size), or empty
(the scope only, all panels). every: seconds per place (≥ 3). refresh: seconds between reads of the store (≥ 3).
layout: ``16:9`` (1920×1080, 3840×2160, …) or ``wide`` (video walls of several panels: 3840×1080, 5760×1080);
without it the screen picks one by its own shape. panels: which panels, in order (default all: kpi, map, funnel,
categories, overdue, volunteers, ranking). theme: dark or light. alert: 1 moves the screen to a child unit
holding an alert (预警, data_access.alerts) first seen in the last hour and says which rule fired there.

Everything is drawn for a screen 1080 design pixels high and scaled to the real height (a 4K wall draws it twice
as large): every text is at least 24 px of 1080 (2.2 % of the height), headline numbers 72 px (6.7 %), every
colour at least 4.5:1 against its panel (WCAG AA).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from string import Template

import pandas as pd
import plotly.graph_objects as go

from dashboard import formats
from dashboard.i18n import t
from data_access import clock, periods
from data_access.scope import Period, Scope, is_place_code

MIN_SECONDS = 3
DESIGN_HEIGHT = 1080  # design pixels; the screen's own height is scaled to it
STRIP_HEIGHT, KPI_HEIGHT, GAP = 64, 150, 12
FONT, TITLE_FONT = 24, 26  # px of 1080: the smallest text on the screen, and panel titles
PANELS = ("kpi", "map", "funnel", "categories", "overdue", "volunteers", "ranking")
LAYOUTS = ("16:9", "wide")
RANKED = ("on_time_rate", "closure_rate", "satisfaction_rate")  # the 红黑榜 rotates through these
_ALIASES = {"volunteering": "volunteers"}


@dataclass(frozen=True)
class ScreenConfig:
    scope: str | None = None
    rotate: tuple[str, ...] | str = ()  # place codes, "children" or "panels"
    every: int = 30
    refresh: int = 60
    theme: str = "dark"
    alert: bool = False
    layout: str = ""  # "" until the screen has said its shape (then 16:9 or wide)
    panels: tuple[str, ...] = PANELS
    scale: float = 1.0  # the screen's height / 1080, said by the screen itself

    def px(self, design: float) -> int:
        """Design pixels (of a 1080-high screen) in this screen's pixels."""
        return round(design * self.scale)

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
    scope = scope if is_place_code(scope) else None
    rotate_raw = (params.get("rotate") or "").strip()
    if rotate_raw in ("children", "panels"):
        rotate: tuple[str, ...] | str = rotate_raw
    else:
        rotate = tuple(c.strip() for c in rotate_raw.split(",") if is_place_code(c.strip()))
    theme = params.get("theme") if params.get("theme") in ("dark", "light") else "dark"
    asked = [_ALIASES.get(p.strip(), p.strip()) for p in (params.get("panels") or "").split(",")]
    panels = tuple(dict.fromkeys(p for p in asked if p in PANELS)) or PANELS
    return ScreenConfig(
        scope=scope,
        rotate=rotate,
        every=_seconds(params.get("every"), 30),
        refresh=_seconds(params.get("refresh"), 60),
        theme=theme,
        alert=params.get("alert") in ("1", "true", "yes"),
        layout=params.get("layout") if params.get("layout") in LAYOUTS else "",
        panels=panels,
        scale=_scale(params.get("scale")),
    )


def _scale(value) -> float:
    try:
        scale = float(value)
    except (TypeError, ValueError):
        return 1.0
    return min(max(scale, 0.5), 4.0) if scale == scale else 1.0


def to_params(config: ScreenConfig) -> dict[str, str]:
    """The URL parameters of a configuration (parse's inverse; defaults left out, the screen says its scale)."""
    default = ScreenConfig()
    out = {"scope": config.scope} if config.scope else {}
    if config.rotate:
        out["rotate"] = config.rotate if isinstance(config.rotate, str) else ",".join(config.rotate)
    for key in ("every", "refresh", "theme", "layout"):
        if getattr(config, key) != getattr(default, key):
            out[key] = str(getattr(config, key))
    if config.panels != PANELS:
        out["panels"] = ",".join(config.panels)
    if config.alert:
        out["alert"] = "1"
    return out


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
    now = clock.seconds() if now is None else now
    return places[int(now // every) % len(places)]


def arrangement(config: ScreenConfig) -> tuple[str | None, list[list[str]], int, int]:
    """Where the panels go: (the panel drawn tall at the left of a wide wall, or None; rows of the other panels;
    the body's height; a row's height), in design pixels. One panel at a time (``rotate=panels``) is the body."""
    body = DESIGN_HEIGHT - STRIP_HEIGHT - (KPI_HEIGHT if "kpi" in config.panels else 0) - 30
    rest = [p for p in config.panels if p != "kpi"]
    tall = "map" if config.layout == "wide" and "map" in rest and len(rest) > 2 else None
    rest = [p for p in rest if p != tall]
    if len(rest) <= 2 and tall is None:
        return None, [rest] if rest else [], config.px(body), config.px(body)
    half = (len(rest) + 1) // 2
    return tall, [rest[:half], rest[half:]], config.px(body), config.px((body - GAP) / 2)


def snapshot(read, code: str | None, at: datetime) -> dict:
    """Every panel's data for one place, read now by ``read`` (dashboard.data or data.direct(engine));
    raises when the store is unreachable."""
    day = periods.period_of("today", at.date())
    # The panels show yesterday and today so far: just after midnight, and on a quiet street, today alone is empty.
    recent = Period(day.start - timedelta(days=1), day.end)
    month = periods.period_of("30d", at.date())
    scope = Scope.from_code(code)
    snap = {
        "path": read.place_path(code),
        "kpis": read.issue_kpis(code, day, at),
        "kpis_30": read.issue_kpis(code, month, at),
        "funnel": read.issue_funnel(code, recent, at),
        "categories": read.issues_by_category(code, recent),
        "watch": read.watch_list(code, at, 10),
        "volunteers": read.volunteer_kpis(code, day),
        "activity": read.activity_types(code, recent),
        "points": read.issue_points(code, recent),
        "coverage": read.station_coverage(code),
        "ranking": read.issue_by_child(code, month, at) if scope.level != "grid" else pd.DataFrame(),
        "children": read.children(code) if scope.level != "grid" else pd.DataFrame(),
    }
    snap["read_at"] = clock.now()
    return snap


CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"], footer,
[data-testid="stSkipToContent"], #MainMenu { display: none !important; }
html, body, .stApp { overflow: hidden !important; }
.stApp { background: $bg; color: $fg; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: 6px 16px 0 16px !important; max-width: 100% !important; }
[data-testid="stVerticalBlock"] { gap: ${gap}px; }
[data-testid="stHorizontalBlock"] { gap: ${gap}px; }
.ggc-strip { display: flex; align-items: center; height: ${strip}px; border-bottom: 2px solid $accent;
  white-space: nowrap; overflow: hidden; }
.ggc-title { font-size: 38px; font-weight: 700; color: $fg; }
.ggc-sub { font-size: ${font}px; color: $muted; margin-left: 20px; } .ggc-sub.overdue { color: $red; }
.ggc-kpis { display: grid; grid-auto-flow: column; grid-auto-columns: 1fr; gap: ${gap}px; }
.ggc-kpi { background: $panel; border-radius: 8px; padding: 8px 18px; height: ${kpi}px; box-sizing: border-box;
  overflow: hidden; }
.ggc-kpi .v { font-size: 72px; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.ggc-kpi .l { font-size: ${font}px; color: $muted; white-space: nowrap; }
.ggc-kpi.red .v, .ggc-rag.red { color: $red; } .ggc-kpi.green .v, .ggc-rag.green { color: $green; }
.ggc-kpi.amber .v, .ggc-rag.amber { color: $amber; }
.ggc-panel { background: $panel; border-radius: 8px; padding: 8px 16px; overflow: hidden; box-sizing: border-box; }
.ggc-panel h3 { font-size: ${title}px; font-weight: 700; margin: 0 0 6px 0; color: $fg; padding: 0;
  line-height: 1.3; white-space: nowrap; overflow: hidden; }
.ggc-panel h4 { font-size: ${font}px; margin: 6px 0 2px 0; color: $muted; padding: 0; font-weight: 600; }
.ggc-row { display: flex; justify-content: space-between; gap: 12px; font-size: ${font}px; line-height: 1.45;
  border-bottom: 1px solid $line; white-space: nowrap; overflow: hidden; color: $fg; }
.ggc-row span:first-child { overflow: hidden; text-overflow: ellipsis; }
.ggc-row span:last-child { font-variant-numeric: tabular-nums; }
.ggc-tag { font-size: ${font}px; font-weight: 700; margin-right: 8px; }
.ggc-tag.new { color: $red; } .ggc-tag.due_soon { color: $amber; } .ggc-tag.overdue { color: $muted; }
.ggc-note { font-size: ${font}px; color: $muted; margin-top: 4px; white-space: nowrap; }
.ggc-legend { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: ${font}px; color: $fg; margin-top: 4px; }
.ggc-legend i { display: inline-block; width: 22px; height: 22px; border-radius: 3px; margin-right: 6px;
  vertical-align: -3px; }
.ggc-banner { position: fixed; bottom: 0; left: 0; right: 0; z-index: 1000; padding: 10px 24px; font-size: 30px;
  font-weight: 700; text-align: center; }
.ggc-banner.down { background: #8a1c1c; color: #fff; }
.ggc-banner.alert { background: #8a4600; color: #fff; }
[data-testid="stPlotlyChart"], [data-testid="stDeckGlJsonChart"] { background: $panel; border-radius: 8px; }
[data-testid="stIFrame"] { background: $bg; }
</style>
"""
THEMES = {  # every text colour ≥ 4.5:1 against the panel (tests/integration/test_screen.py measures it)
    "dark": {"bg": "#0b1220", "fg": "#e8eef7", "muted": "#a9b8cc", "panel": "#131d31", "line": "#2b3d5e",
             "red": "#ff6b6b", "green": "#5fd38d", "amber": "#ffc247", "bar": "#c98a00", "funnel": "#1f5f8b"},
    "light": {"bg": "#eef1f6", "fg": "#1c2533", "muted": "#4d5b6e", "panel": "#ffffff", "line": "#d9dfe8",
              "red": "#b3261e", "green": "#1e7b45", "amber": "#8a5a00", "bar": "#d99a0b", "funnel": "#1f5f8b"},
}  # fmt: skip


def _scaled(text: str, scale: float) -> str:
    """Every ``Npx`` of a design (1080 high) in the screen's own pixels."""
    return re.sub(r"(\d+(?:\.\d+)?)px", lambda m: f"{float(m.group(1)) * scale:.1f}px", text)


def css(theme: str, scale: float = 1.0) -> str:
    design = Template(CSS).substitute(
        **THEMES[theme], accent="#c8102e", gap=GAP, strip=STRIP_HEIGHT, kpi=KPI_HEIGHT, font=FONT, title=TITLE_FONT
    )
    return _scaled(design, scale)


def strip(place: str, period: str, read_at: datetime, loaded: datetime | None = None, sources=None) -> str:
    """The caption strip: area and period, when the data last changed (its day too, when not today), when each
    source last delivered (red when overdue) and when the screen read it; a live clock beside it."""
    changed = ""
    if loaded is not None:
        when = loaded.strftime("%H:%M" if loaded.date() == read_at.date() else "%Y-%m-%d %H:%M")
        changed = (
            f'<span class="ggc-sub" data-testid="screen-loaded">{html.escape(t("screen_loaded", time=when))}</span>'
        )
    for r in [] if sources is None else sources.itertuples():
        when = formats.recent(r.last_delivery_at, read_at) if clock.local(r.last_delivery_at) else t("source_never")
        overdue = " overdue" if r.overdue else ""
        text = f"{r.label} {when}{t('source_overdue') if r.overdue else ''}"
        changed += f'<span class="ggc-sub{overdue}" data-testid="screen-source">{html.escape(text)}</span>'
    return (
        '<div class="ggc-strip"><div>'
        f'<span class="ggc-title" data-testid="screen-place">{html.escape(place)}</span>'
        f'<span class="ggc-sub">{html.escape(period)}</span>{changed}'
        f'<span class="ggc-sub">{html.escape(t("screen_read_at", time=read_at.strftime("%H:%M")))}</span>'
        "</div></div>"
    )


# The clock, and what only the browser knows: its height (the screen is drawn for 1080 and scaled to it: every size
# in its pixels, so charts and the map are drawn sharp at their size) and its shape (16:9 or a wide wall). A URL
# without them, or with a height the screen does not have, gets them once. Same-origin frame: it reaches the page;
# the page navigates itself (a sandboxed frame may not).
CLOCK = """
<div id="c" style="font: 700 34px 'Noto Sans CJK SC', sans-serif; color: $fg; text-align: right;
  font-variant-numeric: tabular-nums; background: $bg; height: 52px; line-height: 52px"></div>
<script>
const c = document.getElementById('c');
const tick = () => { c.textContent = new Date().toLocaleString('$locale', {hour12: false, timeZone: '$zone'}); };
tick(); setInterval(tick, 1000);
const top_ = window.parent;
const fit = () => {
  const q = new URLSearchParams(top_.location.search);
  const scale = (top_.innerHeight / $design).toFixed(2);
  if (q.get('layout') && q.get('scale') === scale) return;
  if (!q.get('layout')) q.set('layout', top_.innerWidth / top_.innerHeight >= 2.4 ? 'wide' : '16:9');
  q.set('scale', scale);
  top_.setTimeout('location.replace(' + JSON.stringify(top_.location.pathname + '?' + q.toString()) + ')', 0);
};
fit(); top_.onresize = () => { clearTimeout(top_.ggcFit); top_.ggcFit = setTimeout(fit, 500); };
</script>
"""


def clock_frame(theme: str, locale: str = "zh-CN", scale: float = 1.0) -> str:
    """The screen's live clock, in the clock's zone whatever the browser's (a wall PC set to UTC shows China time)."""
    zone = clock.zone().key
    html_ = Template(CLOCK).substitute(**THEMES[theme], locale=locale, design=DESIGN_HEIGHT, zone=zone)
    return _scaled(html_, scale)


def kpi_cards(cards: list[tuple[str, str, str]]) -> str:
    """Big numbers: (label, value, colour class)."""
    cells = "".join(
        f'<div class="ggc-kpi {cls}"><div class="l">{html.escape(label)}</div>'
        f'<div class="v">{html.escape(value)}</div></div>'
        for label, value, cls in cards
    )
    return f'<div class="ggc-kpis" data-testid="screen-kpis">{cells}</div>'


def banner(kind: str, text: str) -> str:
    """A full-width banner over the screen: "down" (database unreachable) or "alert"."""
    return f'<div class="ggc-banner {kind}" data-testid="screen-{kind}">{html.escape(text)}</div>'


def _rows(rows) -> str:
    """Label/value rows; a row is (label, value) or (label, value, tag kind, tag text, value colour class)."""
    out = []
    for row in rows:
        label, value, kind, tag, cls = (*row, "", "", "")[:5]
        badge = f'<span class="ggc-tag {kind}">{html.escape(tag)}</span>' if tag else ""
        out.append(
            f'<div class="ggc-row"><span>{badge}{html.escape(str(label))}</span>'
            f'<span class="ggc-rag {cls}">{html.escape(str(value))}</span></div>'
        )
    return "".join(out)


def rows_panel(title: str, rows: list, empty: str, height: int, note: str = "", name: str = "") -> str:
    """A titled panel of rows (every text escaped: names come from imported files)."""
    return board_panel(title, [("", rows)], empty, height, note, name)


def board_panel(
    title: str, sections: list[tuple[str, list]], empty: str, height: int, note: str = "", name: str = "ranking"
) -> str:
    """A titled panel of sections, each its heading (none when empty) and its rows: the 红黑榜, or one list."""
    body = "".join(f"<h4>{html.escape(head)}</h4>" * bool(head) + _rows(rows) for head, rows in sections if rows)
    body = body or f'<div class="ggc-row"><span>{html.escape(empty)}</span><span></span></div>'
    foot = f'<div class="ggc-note">{html.escape(note)}</div>' if note else ""
    return (
        f'<div class="ggc-panel" data-panel="{html.escape(name)}" style="height: {int(height)}px">'
        f"<h3>{html.escape(title)}</h3>{body}{foot}</div>"
    )


def map_heading(title: str, legend: dict, fmt, note: str = "") -> str:
    """The map's title and legend (its classes with their colours), above the map."""
    keys = []
    for c in legend.get("classes", []):
        r, g, b = c["colour"][:3]
        low, high = fmt(c["from"]), fmt(c["to"])
        shown = low if low == high else f"{low}–{high}"
        keys.append(f'<span><i style="background: rgb({r},{g},{b})"></i>{html.escape(shown)}</span>')
    if note:
        keys.append(f"<span>{html.escape(note)}</span>")
    return (
        f'<div class="ggc-panel" data-panel="map-title" style="padding-bottom: 4px"><h3>{html.escape(title)}</h3>'
        f'<div class="ggc-legend">{"".join(keys)}</div></div>'
    )


def _styled(fig: go.Figure, theme: str, title: str, height: int, scale: float) -> go.Figure:
    colours = THEMES[theme]
    font, s = round(FONT * scale), lambda v: round(v * scale)
    fig.update_layout(
        title=dict(text=title, font=dict(size=s(TITLE_FONT), color=colours["fg"]), x=0.01, y=0.97, yanchor="top"),
        height=height,
        margin=dict(l=s(10), r=s(30), t=s(56), b=s(10)),
        paper_bgcolor=colours["panel"],
        plot_bgcolor=colours["panel"],
        font=dict(family="Noto Sans CJK SC, sans-serif", size=font, color=colours["fg"]),
        showlegend=False,
        uniformtext=dict(minsize=font, mode="show"),
    )
    fig.update_traces(textfont=dict(size=font, color=colours["fg"]))
    fig.update_yaxes(
        gridcolor=colours["line"], zerolinecolor=colours["line"], tickfont=dict(size=font, color=colours["fg"])
    )
    # The values are written on the bars: no value axis to misread (and never a tick at 0.2 of a case).
    fig.update_xaxes(visible=False)
    return fig


def overdue_text(hours: float, due: bool = False) -> str:
    """How late an open issue is, or for one not yet due (``due``), within how many hours it falls due."""
    if due or hours < 0:
        return t("screen_due_in", h=max(1, int(-hours) + 1))
    return t("screen_hours_overdue", h=int(hours)) if hours < 48 else t("screen_days_overdue", d=int(hours // 24))


def funnel_figure(funnel: pd.DataFrame, theme: str, height: int, scale: float = 1.0) -> go.Figure:
    stages = [t(f"stage_{s}") for s in funnel["stage"]]
    counts = [int(c) for c in funnel["count"]]
    # The share of the reported issues is the catalogue's (issues.funnel_of), undefined when none were reported.
    texts = [f"{c:,}" + ("" if pd.isna(s) else f"（{s:.0f}%）") for c, s in zip(counts, funnel["share_of_reported"])]
    colours = THEMES[theme]
    fig = go.Figure(
        go.Bar(
            x=counts[::-1], y=stages[::-1], orientation="h", text=texts[::-1], textposition="outside",
            cliponaxis=False, marker=dict(color=colours["funnel"]),
        )
    )  # fmt: skip
    fig.update_xaxes(range=[0, max(counts + [1]) * 1.45])  # room for the text after the longest bar
    return _styled(fig, theme, t("screen_funnel"), height, scale)


def bars_figure(
    labels, values, theme: str, title: str, height: int, colour: str | None = None, scale: float = 1.0
) -> go.Figure:
    colours = THEMES[theme]
    values = [int(v) for v in values]
    fig = go.Figure(
        go.Bar(
            x=values[::-1], y=list(labels)[::-1], orientation="h", text=[f"{v:,}" for v in values[::-1]],
            textposition="outside", cliponaxis=False, marker=dict(color=colour or colours["bar"]),
        )
    )  # fmt: skip
    fig.update_xaxes(range=[0, max(values + [1]) * 1.25])
    return _styled(fig, theme, title, height, scale)
