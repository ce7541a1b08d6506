"""工作简报: a briefing per unit and period (week, month, quarter) as PDF and DOCX, written from the catalogue.

:func:`collect` reads what a briefing says (headline indicators against the previous period and the target,
the ranking of child units with the 红黑榜, rising categories, repeat requests, the most overdue open cases,
organisation and volunteer highlights) through the same readers as the pages; :func:`sentences` turns it into
sentences by rules whose words live in ``templates/briefing.toml``; :func:`pdf` lays it out with the Jinja2 template
``templates/briefing.html`` (WeasyPrint, Noto CJK) and :func:`docx` with python-docx. Charts and the map are
plotly figures exported as PNG by kaleido, which drives the Chromium the machine has.

The briefing is a Chinese document whatever the interface's language.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import threading
import tomllib
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from dashboard import charts, formats
from data_access import clock, indicators, periods
from data_access.periods import last_complete_day
from data_access.reads import issues, maps, organisation, places, stations, volunteers
from data_access.reads.ranking import ranking
from data_access.scope import Period, Scope
from geo.mapping import geoms_of

TEMPLATES = Path(__file__).with_name("templates")
KINDS = ("week", "month", "quarter")
HEADLINE = (
    "reported",
    "closure_rate",
    "on_time_rate",
    "satisfaction_rate",
    "repeat_rate",
    "overdue_open",
    "compound_party_coverage",
    "committee_formation_rate",
    "station_coverage",
)
SENTENCE_RATES = ("on_time_rate", "closure_rate", "satisfaction_rate")
RANKED_BY = "on_time_rate"  # the ranking, the 红黑榜 and the map
LISTED = 5  # rows of the rising, repeat, overdue and team lists
OVERDUE_LISTED = 10
_UNSAFE = re.compile(r'[\\/:*?"<>|\s.]+')  # out of a file name: separators, wildcards, spaces, dots
_log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def words() -> dict:
    with open(TEMPLATES / "briefing.toml", "rb") as fh:
        return tomllib.load(fh)


def _w(section: str, key: str, **values) -> str:
    return words()[section][key].format(**values)


# Periods ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefingPeriod:
    kind: str  # week, month, quarter
    text: str  # 2026-11, 2026-W48, 2026-Q4
    period: Period
    previous: Period

    @property
    def label(self) -> str:
        return self._name("")

    @property
    def short(self) -> str:
        return self._name("_short")

    @property
    def previous_word(self) -> str:
        return _w("period", f"{self.kind}_previous")

    def _name(self, suffix: str) -> str:
        s = self.period.start
        last = self.period.end - timedelta(days=1)
        values = {
            "year": s.isocalendar().year if self.kind == "week" else s.year,
            "month": s.month,
            "quarter": (s.month - 1) // 3 + 1,
            "week": s.isocalendar().week,
            "start": f"{s.month}月{s.day}日",
            "end": f"{last.month}月{last.day}日",
        }
        return _w("period", f"{self.kind}{suffix}", **values)


def parse_period(text: str) -> BriefingPeriod:
    """``2026-11`` (a month), ``2026-W48`` (an ISO week) or ``2026-Q4`` (a quarter); ValueError otherwise."""
    text = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ValueError(f"no month {mo} in {text}")
        start = date(y, mo, 1)
        return _calendar("month", f"{y}-{mo:02d}", Period(start, periods.shift_month_start(start, 1)))
    if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", text):
        y, wk = int(m[1]), int(m[2])
        try:
            start = date.fromisocalendar(y, wk, 1)
        except ValueError:
            raise ValueError(f"no week {wk} in {y}") from None
        return _calendar("week", f"{y}-W{wk:02d}", Period(start, start + timedelta(days=7)))
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        y, q = int(m[1]), int(m[2])
        start = date(y, 3 * q - 2, 1)
        return _calendar("quarter", f"{y}-Q{q}", Period(start, periods.shift_month_start(start, 3)))
    raise ValueError(f"not a period: {text!r} (expected 2026-11, 2026-W48 or 2026-Q4)")


def _calendar(kind: str, text: str, period: Period) -> BriefingPeriod:
    """A whole week, month or quarter and its previous one, as the pages compare them (data_access.periods)."""
    return BriefingPeriod(kind, text, period, periods.comparison(periods.Named(period, kind, False)))


def last_complete(kind: str, as_of: date | datetime) -> str:
    """The newest week, month or quarter whose days are all in the data at ``as_of`` (a date: that day is whole)."""
    day = last_complete_day(as_of) + timedelta(days=1)
    if kind == "week":
        y, w, _ = (day - timedelta(days=day.weekday() + 1)).isocalendar()
        return f"{y}-W{w:02d}"
    if kind == "quarter":
        q = (day.month - 1) // 3  # quarters before the current one
        return f"{day.year - (q == 0)}-Q{q or 4}"
    prev = day.replace(day=1) - timedelta(days=1)
    return f"{prev.year}-{prev.month:02d}"


# What a briefing says --------------------------------------------------------------------------------------


@dataclass
class Briefing:
    scope: Scope
    place: str
    path: list[str]  # names from the city down
    period: BriefingPeriod
    as_of: datetime
    generated_by: str
    generated_at: datetime
    counts: dict  # the period's counts and indicators (issues.issue_kpis, organisation.coverage_rates)
    headline: list[dict]
    ranking: pd.DataFrame  # child units, worst first (data_access.reads.ranking), with the 红黑榜
    rank: dict | None  # the unit's place among its siblings: rank (1 = best), count, parent, level
    rising: pd.DataFrame
    repeats: pd.DataFrame
    overdue: pd.DataFrame
    overdue_total: int
    teams: pd.DataFrame
    coverage_gaps: pd.DataFrame  # child units below the party-coverage target
    trend: pd.DataFrame
    child_shapes: pd.DataFrame  # code, name, geom of the child units

    @property
    def partial(self) -> bool:
        return self.period.period.end > last_complete_day(self.as_of) + timedelta(days=1)

    @property
    def filename(self) -> str:
        """工作简报_民意街道_2026-11: the place's name made safe as a file name (no separators, no spaces)."""
        return f"工作简报_{_UNSAFE.sub('', self.place) or self.scope.code}_{self.period.text}"


def _level(scope: Scope) -> str:
    return "city" if scope.code is None else scope.level


def _headline_row(key: str, now: dict, before: dict, level: str) -> dict:
    ind = indicators.get(key)
    v = now.get(key)
    # Coverage is a stock and overdue is read live at the as-of time: neither has a previous period's value.
    p = before.get(key) if ind.domain == "issues" and ind.numerator not in indicators.LIVE else None
    n = now.get(ind.denominator) if ind.denominator else None
    small = ind.denominator is not None and indicators.small_sample(key, n)
    target = indicators.targets(key, level)
    status = indicators.rag(key, v, level, n)
    change = None if formats._missing(v) or formats._missing(p) else float(v) - float(p)
    return {
        "key": key,
        "name": ind.zh,
        "value": v,
        "previous": p,
        "change": change,
        "cases": n,
        "small": small,
        "target": target[0] if target else None,
        "status": status,
        "value_text": formats.indicator(key, v),
        "previous_text": formats.indicator(key, p),
        "change_text": _change_text(ind, change),
        "target_text": "—" if target is None else formats.indicator(key, target[0]),
        "status_text": _w("status", "small" if small else status or "none"),
    }


def _change_text(ind, change) -> str:
    if change is None:
        return formats.MISSING
    if round(change, 1) == 0:
        return "持平"
    if ind.unit == "%":
        return f"{formats.signed(change, 1)}个百分点"
    return formats.signed(change, 0 if ind.kind == "count" else ind.decimals)


def _sibling_rank(engine, scope: Scope, period: Period, at: datetime, key: str) -> dict | None:
    """Where the unit stands among the children of its parent by ``key`` (1 = best), or None for the city."""
    if scope.code is None or scope.level == "city":
        return None
    path = places.place_path(engine, scope)
    if len(path) < 2:
        return None
    parent = Scope.from_code(path.iloc[-2]["code"])
    df = ranking(engine, parent, period, at, key)
    rows = df[df["place_rank"].notna()]
    if scope.code not in set(rows["code"]) or len(rows) < 3:  # a place among one or two is no ranking
        return None
    ind = indicators.get(key)
    values = rows[key].astype(float)
    best = values.rank(method="min", ascending=not ind.higher_is_better)
    own = int(best[rows["code"] == scope.code].iloc[0])
    return {"rank": own, "count": len(rows), "parent": _w("levels", parent.level), "level": _w("levels", scope.level)}


def _in_chinese(fn):
    """Briefings are Chinese documents: their figures are written the Chinese way, whatever page asks for them."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with formats.writing_in("zh"):
            return fn(*args, **kwargs)

    return wrapped


@_in_chinese
def collect(engine, scope: Scope, period_text: str, generated_by: str = "", at: datetime | None = None) -> Briefing:
    """Everything one briefing says, read as the engine's account (row-level security applies)."""
    bp = parse_period(period_text)
    at = at or clock.as_of()
    if bp.period.start > at.date():
        raise ValueError(f"{bp.text} begins after the data's as-of day {at.date()}")
    path = places.place_path(engine, scope)
    if scope.code is not None and (path.empty or path.iloc[-1]["code"] != scope.code):
        raise ValueError(f"no place has the code {scope.code}")
    names = path["name"].tolist()
    place = names[-1] if names else _w("headings", "all_places")
    level = _level(scope)
    now = {**issues.issue_kpis(engine, scope, bp.period, at).iloc[0].to_dict(),
           **organisation.coverage_rates(engine, scope).iloc[0].to_dict()}  # fmt: skip
    before = issues.issue_kpis(engine, scope, bp.previous, at).iloc[0].to_dict()
    walk = stations.walk_coverage(stations.station_coverage(engine, scope))  # the pages' card
    now.update(walk[["covered", "households", "station_coverage"]].to_dict())
    headline = [_headline_row(k, now, before, level) for k in HEADLINE if k in now]
    ranks = pd.DataFrame()
    gaps = pd.DataFrame(columns=["code", "name", "branch_coverage"])
    shapes = pd.DataFrame(columns=["code", "name", "geom"])
    if scope.level != "grid":
        ranks = ranking(engine, scope, bp.period, at, RANKED_BY)
        units = ranks[["code", "name"]]
        org = units.merge(organisation.org_by_child(engine, scope), on="code")
        level = ranking_level(scope)  # below target: the catalogue's colour, amber or red (small samples never)
        short = [
            indicators.rag("branch_coverage", r["branch_coverage"], level, indicators.cases(r, "branch_coverage"))
            in ("amber", "red")
            for _, r in org.iterrows()
        ]
        gaps = org[pd.Series(short, index=org.index, dtype=bool)].sort_values("branch_coverage")
        child = ranking_level(scope)
        if child in ("district", "street", "community", "grid"):
            shapes = maps.unit_geoms(engine, scope, child)
    rising = issues.rising_categories(
        issues.issues_by_category(engine, scope, bp.period), issues.issues_by_category(engine, scope, bp.previous)
    )
    rising = rising[rising["change"] > 0].head(LISTED)
    trend_start = periods.shift_month_start((bp.period.end - timedelta(days=1)).replace(day=1), -5)
    trend = issues.issue_trend(engine, scope, Period(trend_start, bp.period.end), at, grain="month")
    return Briefing(
        scope=scope,
        place=place,
        path=names,
        period=bp,
        as_of=at,
        generated_by=generated_by,
        generated_at=clock.now(),
        counts=now,
        headline=headline,
        ranking=ranks,
        rank=_sibling_rank(engine, scope, bp.period, at, RANKED_BY),
        rising=rising,
        repeats=issues.repeat_requests(engine, scope, bp.period, limit=LISTED),
        overdue=issues.overdue_issues(engine, scope, at, limit=OVERDUE_LISTED),
        overdue_total=int(now.get("overdue_open") or 0),
        teams=volunteers.top_teams(engine, scope, bp.period, limit=LISTED),
        coverage_gaps=gaps,
        trend=trend,
        child_shapes=shapes,
    )


def ranking_level(scope: Scope) -> str:
    """The level of the scope's child units (the whole store's are its cities)."""
    return scope.child_level


# Sentences -------------------------------------------------------------------------------------------------


def _names(df: pd.DataFrame, key: str | None = None, n: int = 3) -> str:
    rows = df.head(n)
    if key is None:
        return "、".join(rows["name"])
    return "、".join(f"{r['name']}（{formats.indicator(key, r[key])}）" for _, r in rows.iterrows())


@_in_chinese
def sentences(b: Briefing) -> list[str]:
    """The briefing's findings, one sentence each, every figure read from ``b`` (the catalogue's values)."""
    out = []
    row = {r["key"]: r for r in b.headline}
    prev = b.period.previous_word
    if "reported" in row:
        r = row["reported"]
        change = ""
        if r["change"] is not None and r["change"] != 0:
            direction = _w("sentences", "more" if r["change"] > 0 else "fewer")
            delta = formats.count(abs(r["change"]))
            change = _w("sentences", "count_change", previous=prev, direction=direction, delta=delta)
        closed = formats.count(b.counts.get("closed"))
        out.append(
            _w(
                "sentences",
                "count",
                period=b.period.short,
                place=b.place,
                reported=r["value_text"],
                change=change,
                closed=closed,
            )  # fmt: skip
        )
    for key in SENTENCE_RATES:
        if key not in row:
            continue
        r = row[key]
        if r["value"] is None or formats._missing(r["value"]):
            continue
        if r["small"]:
            target = _w("sentences", "small_sample", cases=formats.count(r["cases"]))
            rank = change = ""
        else:
            change = ""
            if r["change"] is not None:
                pts = round(abs(r["change"]), 1)
                kind = "change_flat" if pts == 0 else "change_up" if r["change"] > 0 else "change_down"
                change = _w("sentences", kind, previous=prev, points=f"{pts:.1f}")
            target = ""
            if r["target"] is not None:
                diff = float(r["value"]) - r["target"]
                kind = "at_target" if diff == 0 else "above_target" if diff > 0 else "below_target"
                target = _w("sentences", kind, target=formats.indicator(key, r["target"]).replace(".0%", "%"))
            rank = ""
            if key == RANKED_BY and b.rank:
                rank = _w("sentences", "rank", **b.rank)
        out.append(
            _w(
                "sentences",
                "rate",
                period=b.period.short,
                place=b.place,
                indicator=r["name"],
                value=r["value_text"],
                change=change,
                target=target,
                rank=rank,
            )  # fmt: skip
        )
    board = b.ranking["board"] if len(b.ranking) else pd.Series(dtype=str)
    if (board != "").any():  # the 红黑榜 (data_access.reads.ranking): the worst and the best three
        name = indicators.get(RANKED_BY).zh
        black, red = b.ranking[board == "black"], b.ranking[board == "red"]
        bottom = _w("sentences", "bottom", indicator=name, units=_names(black, RANKED_BY))
        top = _w("sentences", "top", units=_names(red.iloc[::-1], RANKED_BY))
        out.append(bottom[:-1] + "；" + top)
    as_of = formats.day(b.as_of, "zh")
    if b.overdue_total and len(b.overdue):
        o = b.overdue.iloc[0]
        out.append(
            _w(
                "sentences",
                "overdue",
                as_of=as_of,
                place=b.place,
                n=formats.count(b.overdue_total),
                order_no=o["order_no"],
                category=o["category"],
                department=o["department"] or formats.MISSING,
                overdue=formats.hours(o["hours_overdue"], "zh").replace(" ", ""),
            )  # fmt: skip
        )
    else:
        out.append(_w("sentences", "no_overdue", as_of=as_of, place=b.place))
    if len(b.rising):
        r = b.rising.iloc[0]
        out.append(
            _w(
                "sentences",
                "rising",
                category=f"{r['l1']}·{r['l3']}",
                previous=prev,
                delta=formats.count(r["change"]),
                now=formats.count(r["issues"]),
            )  # fmt: skip
        )
    if len(b.repeats):
        r = b.repeats.iloc[0]
        out.append(
            _w(
                "sentences",
                "repeats",
                total=formats.count(r["total"]),
                place=r["place"],
                category=r["category"],
                n=formats.count(r["repeats"]),
            )  # fmt: skip
        )
    if "compound_party_coverage" in row and row["compound_party_coverage"]["value"] is not None:
        r = row["compound_party_coverage"]
        tgt = r["target_text"].replace(".0%", "%")
        if len(b.coverage_gaps):
            n, units = len(b.coverage_gaps), _names(b.coverage_gaps, None, 5)
            plural = _w("levels", f"{ranking_level(b.scope)}_plural")
            units = f"{units}等{n}个{plural}" if n > 5 else f"其中{units}"
            gaps = _w("sentences", "coverage_gaps", units=units, target=tgt)
        else:
            gaps = _w("sentences", "coverage_none", target=tgt)
        out.append(_w("sentences", "coverage", value=r["value_text"], gaps=gaps))
    if len(b.teams):
        r = b.teams.iloc[0]
        out.append(
            _w(
                "sentences",
                "teams",
                team=r["name"],
                activities=formats.count(r["activities"]),
                hours=formats.count(r["hours"]),
            )  # fmt: skip
        )
    return out


# Figures as images -----------------------------------------------------------------------------------------

_kaleido_lock = threading.Lock()
_kaleido_started = False


def png(fig: go.Figure, width: int = 900, height: int = 420) -> bytes:
    """A plotly figure as PNG (kaleido, with one Chromium kept for every later figure of the process)."""
    global _kaleido_started
    import kaleido

    with _kaleido_lock:
        if not _kaleido_started:
            kaleido.start_sync_server(silence_warnings=True)
            _kaleido_started = True
        with warnings.catch_warnings():  # "kopts is ignored if using a server": the server is meant
            warnings.simplefilter("ignore", UserWarning)
            return fig.to_image(format="png", width=width, height=height, scale=2)


def _plain(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=dict(text=title, font=dict(size=16)), paper_bgcolor="white", plot_bgcolor="white",
                      font=dict(family="Noto Sans CJK SC", size=13))  # fmt: skip
    fig.update_yaxes(automargin=True)
    return fig


def trend_figure(b: Briefing) -> go.Figure:
    df = b.trend.copy()
    df["label"] = [f"{pd.Timestamp(m).month}月" for m in df["bucket"]]
    series = {"reported": _w("charts", "trend_reported"), "closed": _w("charts", "trend_closed")}
    fig = go.Figure(
        [
            go.Bar(
                x=df["label"],
                y=df[k],
                name=name,
                marker_color=c,
                text=[formats.count(v) for v in df[k]],
                textposition="outside",
            )
            for (k, name), c in zip(series.items(), charts.PALETTE[2:4])
        ]  # fmt: skip
    )
    fig.update_yaxes(tickformat=",~f")
    fig.update_layout(legend=dict(orientation="h", y=-0.12), font=dict(family="Noto Sans CJK SC"), margin=dict(t=50))
    return _plain(fig, _w("charts", "trend"))


def ranking_figure(b: Briefing) -> go.Figure:
    df = b.ranking[b.ranking[RANKED_BY].notna()].copy()
    level = ranking_level(b.scope)
    df["rag"] = [indicators.rag(RANKED_BY, v, level, n) for v, n in zip(df[RANKED_BY], df["due"])]
    fig = charts.ranking_bar(df, "name", RANKED_BY, colour="rag", percent=True)
    d = df.sort_values(RANKED_BY)
    fig.update_traces(text=[formats.indicator(RANKED_BY, v) for v in d[RANKED_BY]], textposition="outside")
    return _plain(fig, _w("charts", "ranking", indicator=indicators.get(RANKED_BY).zh))


def rising_figure(b: Briefing) -> go.Figure:
    df = b.rising.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=df["change"],
            y=df["l3"],
            orientation="h",
            marker_color=charts.PALETTE[2],
            text=[formats.signed(v) for v in df["change"]],
            textposition="outside",
        )  # fmt: skip
    )
    fig.update_layout(font=dict(family="Noto Sans CJK SC"), margin=dict(l=10, r=40, t=50, b=10))
    return _plain(fig, _w("charts", "rising"))


def map_figure(b: Briefing) -> go.Figure | None:
    """The child units filled in the catalogue's colours for RANKED_BY, with their names and the legend."""
    if b.child_shapes.empty:
        return None
    level = ranking_level(b.scope)
    values = b.ranking.set_index("code")
    geoms = geoms_of(b.child_shapes, level)
    fig = go.Figure()
    seen = set()
    for code, name, geom in zip(b.child_shapes["code"], b.child_shapes["name"], geoms):
        v = values[RANKED_BY].get(code) if RANKED_BY in values else None
        n = values["due"].get(code) if "due" in values else None
        status = indicators.rag(RANKED_BY, v, level, n)
        label = _w("status", "small" if indicators.small_sample(RANKED_BY, n) else status or "none")
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.xy
            fig.add_trace(
                go.Scatter(
                    x=list(x),
                    y=list(y),
                    fill="toself",
                    mode="lines",
                    line=dict(color="white", width=1),
                    fillcolor=charts.RAG_COLOURS[status],
                    name=label,
                    legendgroup=label,
                    showlegend=label not in seen,
                    hoverinfo="skip",
                )  # fmt: skip
            )
            seen.add(label)
        pt = shapely.point_on_surface(geom)
        text = f"{name}<br>{formats.indicator(RANKED_BY, v)}"
        fig.add_trace(go.Scatter(x=[pt.x], y=[pt.y], mode="text", text=[text], showlegend=False,
                                 textfont=dict(size=13, color="#111"), hoverinfo="skip"))  # fmt: skip
    lat = float(np.mean([g.centroid.y for g in geoms])) if len(geoms) else 30.0
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1 / np.cos(np.radians(lat)))
    fig.update_layout(font=dict(family="Noto Sans CJK SC"), legend=dict(orientation="h", y=-0.02),
                      margin=dict(l=10, r=10, t=50, b=10))  # fmt: skip
    return _plain(fig, _w("charts", "map", place=b.place, indicator=indicators.get(RANKED_BY).zh))


@_in_chinese
def images(b: Briefing) -> dict[str, bytes]:
    """The map and the charts as PNG, by name (a figure with nothing to show is left out)."""
    out = {}
    m = map_figure(b)
    if m is not None:
        out["map"] = png(m, 900, 620)
    if len(b.trend):
        out["trend"] = png(trend_figure(b))
    if len(b.ranking) and b.ranking[RANKED_BY].notna().any():
        out["ranking"] = png(ranking_figure(b), 900, max(320, 26 * len(b.ranking) + 90))
    if len(b.rising):
        out["rising"] = png(rising_figure(b), 900, 320)
    return out


# Tables ----------------------------------------------------------------------------------------------------


def tables(b: Briefing) -> dict[str, dict]:
    """Each table of the briefing as a header and rows of text (both renderers draw these)."""
    c = words()["columns"]
    st_ = words()["status"]
    head = {
        "columns": [c["indicator"], c["value"], c["previous"], c["change"], c["target"], c["status"]],
        "rows": [
            [h["name"], h["value_text"], h["previous_text"], h["change_text"], h["target_text"], h["status_text"]]
            for h in b.headline
        ],  # fmt: skip
        "status": [h["status"] for h in b.headline],
    }
    rk = b.ranking
    ranking = {"columns": [c["rank"], c["unit"], indicators.get(RANKED_BY).zh, c["cases"], c["board"]], "rows": []}
    if len(rk):
        ranking["rows"] = [
            [formats.MISSING if pd.isna(r["place_rank"]) else str(int(r["place_rank"])), r["name"],
             formats.indicator(RANKED_BY, r[RANKED_BY]), formats.count(r.get("due")),
             st_[f"{r['board']}_board"] if r["board"] else ""]
            for _, r in rk.iterrows()
        ]  # fmt: skip
    rising = {
        "columns": [c["l1"], c["category"], c["now"], c["previous"], c["delta"]],
        "rows": [
            [r["l1"], r["l3"], formats.count(r["issues"]), formats.count(r["previous"]), formats.signed(r["change"])]
            for _, r in b.rising.iterrows()
        ],  # fmt: skip
    }
    repeats = {
        "columns": [c["place"], c["community"], c["category"], c["repeats"], c["last"]],
        "rows": [
            [
                r["place"] or formats.MISSING,
                r["community"] or formats.MISSING,
                r["category"],
                formats.count(r["repeats"]),
                r["last_order_no"],
            ]
            for _, r in b.repeats.iterrows()
        ],  # fmt: skip
    }
    overdue = {
        "columns": [c["order_no"], c["reported_at"], c["category"], c["community"], c["department"], c["overdue"]],
        "rows": [
            [
                r["order_no"],
                formats.day(r["reported_at"], "zh"),
                r["category"],
                r["community"] or formats.MISSING,
                r["department"] or formats.MISSING,
                formats.hours(r["hours_overdue"], "zh"),
            ]
            for _, r in b.overdue.iterrows()
        ],  # fmt: skip
    }
    teams = {
        "columns": [c["team"], c["activities"], c["hours"], c["volunteers"]],
        "rows": [
            [r["name"], formats.count(r["activities"]), formats.count(r["hours"]), formats.count(r["volunteers"])]
            for _, r in b.teams.iterrows()
        ],  # fmt: skip
    }
    return {"headline": head, "ranking": ranking, "rising": rising, "repeats": repeats, "overdue": overdue,
            "teams": teams}  # fmt: skip


def _context(b: Briefing) -> dict:
    h = words()["headings"]
    return {
        "title": _w("headings", "title", place=b.place),
        "path": " · ".join(b.path),
        "period": b.period.label,
        "as_of": _w("cover", "as_of", as_of=formats.day(b.as_of, "zh") + b.as_of.strftime(" %H:%M")),
        "generated": _w(
            "cover", "generated", who=b.generated_by or "—", when=clock.written(b.generated_at)
        ),  # fmt: skip
        "partial": _w("cover", "partial", as_of=formats.day(b.as_of, "zh")) if b.partial else "",
        "h": {**h, "ranking": _w("headings", "ranking", indicator=indicators.get(RANKED_BY).zh)},
        "sentences": sentences(b),
        "tables": tables(b),
        "colours": charts.RAG_COLOURS,
    }


# Documents -------------------------------------------------------------------------------------------------


@_in_chinese
def pdf(b: Briefing, imgs: dict[str, bytes] | None = None) -> bytes:
    """The briefing as PDF (A4), laid out by templates/briefing.html."""
    import base64

    import jinja2
    import weasyprint

    imgs = images(b) if imgs is None else imgs
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True)
    uris = {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in imgs.items()}
    text = env.get_template("briefing.html").render(**_context(b), images=uris)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=text).write_pdf()


def _docx_table(doc, table: dict, colours=None) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    if not table["rows"]:
        doc.add_paragraph(words()["headings"]["no_rows"])
        return
    t = doc.add_table(rows=1, cols=len(table["columns"]))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, table["columns"]):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for i, row in enumerate(table["rows"]):
        cells = t.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = str(text)
        status = (colours or [None] * len(table["rows"]))[i]
        if status:  # the status cell in the catalogue's colour
            shade = OxmlElement("w:shd")
            shade.set(qn("w:val"), "clear")
            shade.set(qn("w:fill"), charts.RAG_COLOURS[status].lstrip("#"))
            cells[-1]._tc.get_or_add_tcPr().append(shade)


@_in_chinese
def docx(b: Briefing, imgs: dict[str, bytes] | None = None) -> bytes:
    """The briefing as DOCX (python-docx), the same sections, tables and images as the PDF."""
    import docx as python_docx
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    imgs = images(b) if imgs is None else imgs
    ctx = _context(b)
    doc = python_docx.Document()
    for style in ("Normal", "Title", "Heading 1", "Heading 2"):
        s = doc.styles[style]
        s.font.name = "Noto Sans CJK SC"
        s.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    doc.styles["Normal"].font.size = Pt(10.5)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.2)
    doc.add_heading(ctx["title"], level=0)
    doc.add_paragraph(ctx["period"]).runs[0].bold = True
    for line in (ctx["path"], ctx["as_of"], ctx["generated"], ctx["partial"]):
        if line:
            doc.add_paragraph(line)
    for s in ctx["sentences"]:
        doc.add_paragraph(s, style="List Bullet")
    h, tb = ctx["h"], ctx["tables"]
    doc.add_heading(h["headline"], level=1)
    _docx_table(doc, tb["headline"], tb["headline"]["status"])
    if "map" in imgs:
        doc.add_picture(io.BytesIO(imgs["map"]), width=Cm(16))
    doc.add_heading(h["ranking"], level=1)
    _docx_table(doc, tb["ranking"])
    doc.add_heading(h["problems"], level=1)
    doc.add_heading(h["rising"], level=2)
    _docx_table(doc, tb["rising"])
    doc.add_heading(h["repeats"], level=2)
    _docx_table(doc, tb["repeats"])
    doc.add_heading(h["overdue"], level=1)
    _docx_table(doc, tb["overdue"])
    doc.add_heading(h["organisation"], level=1)
    _docx_table(doc, tb["teams"])
    doc.add_heading(h["charts"], level=1)
    for key in ("trend", "ranking", "rising"):
        if key in imgs:
            doc.add_picture(io.BytesIO(imgs[key]), width=Cm(16))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render(b: Briefing, fmt: str) -> bytes:
    if fmt not in ("pdf", "docx"):
        raise ValueError(f"not a briefing format: {fmt!r} (pdf or docx)")
    return pdf(b) if fmt == "pdf" else docx(b)


def first_page_png(pdf_bytes: bytes, width: int = 900) -> bytes:
    """The PDF's first page as PNG (pypdfium2), for the page's preview."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf_bytes)
    try:
        page = doc[0]
        image = page.render(scale=width / page.get_width()).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()
    finally:
        doc.close()


def period_text(value: str, as_of: date | datetime) -> str:
    """A period as given (``2026-11``, ``2026-W48``, ``2026-Q4``), or ``week``/``month``/``quarter`` for the
    newest complete one (what a schedule asks for)."""
    return last_complete(value, as_of) if value in KINDS else parse_period(value).text


def write(
    engine, scope: Scope, period: str, fmt: str, out_dir: Path, children: bool = False, who: str = ""
) -> list[Path]:
    """The briefing of ``scope`` (and with ``children`` one per child unit) written into ``out_dir``."""
    at = clock.as_of()
    period = period_text(period, at)
    scopes = [scope]
    if children:
        if scope.level == "grid":
            raise ValueError("a grid has no child units to brief")
        scopes = [Scope.from_code(c) for c in places.children(engine, scope)["code"]]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in scopes:
        b = collect(engine, s, period, who, at)
        path = out_dir / f"{b.filename}.{fmt}"
        path.write_bytes(render(b, fmt))
        paths.append(path)
    return paths


def zipped(files: list[tuple[str, str, bytes]]) -> bytes:
    """Documents (name, the unit's code, bytes) as one ZIP (names in UTF-8); a name two units share gets the
    unit's code."""
    import zipfile
    from collections import Counter

    twice = {n for n, k in Counter(n for n, _, _ in files).items() if k > 1}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, code, data in files:
            stem, dot, ext = name.rpartition(".")
            z.writestr(f"{stem}_{code}.{ext}" if name in twice else name, data)
    return out.getvalue()
