"""Plotly figure builders. Each takes a DataFrame (and labels) and returns a Figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#c8102e", "#f2a900", "#2e86ab", "#4c9f70", "#7b5ea7", "#e07a5f", "#3d405b", "#81b29a", "#9c6644"]
RAG_COLOURS = {"green": "#4c9f70", "amber": "#f2a900", "red": "#c8102e", None: "#9aa5b1"}
_LAYOUT = dict(
    margin=dict(l=10, r=10, t=40, b=10),
    font=dict(family="Noto Sans CJK SC, sans-serif"),
    colorway=PALETTE,
    legend=dict(orientation="h", y=-0.15),
)


def _require(df: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"missing columns {missing}; have {list(df.columns)}")


def _style(fig: go.Figure, title: str | None) -> go.Figure:
    fig.update_layout(title=title, **_LAYOUT)
    return fig


def trend(
    df: pd.DataFrame,
    x: str,
    series: dict[str, str],
    title: str | None = None,
    rate_series: dict[str, str] | None = None,
) -> go.Figure:
    """Lines of counts over time; ``rate_series`` (percent) on a second axis."""
    _require(df, [x, *series, *(rate_series or {})])
    fig = go.Figure()
    for col, label in series.items():
        fig.add_trace(go.Scatter(x=df[x], y=df[col], name=label, mode="lines+markers"))
    for col, label in (rate_series or {}).items():
        fig.add_trace(go.Scatter(x=df[x], y=df[col], name=label, mode="lines", yaxis="y2", line=dict(dash="dot")))
    if rate_series:
        fig.update_layout(yaxis2=dict(overlaying="y", side="right", range=[0, 105], ticksuffix="%"))
    return _style(fig, title)


def ranking_bar(
    df: pd.DataFrame,
    name: str,
    value: str,
    colour: str | None = None,
    title: str | None = None,
    code: str | None = None,
) -> go.Figure:
    """Horizontal bars sorted by value, coloured by a RAG column when given; ``code`` rides along
    as custom data so a click can drill down."""
    _require(df, [name, value])
    d = df.sort_values(value)
    colours = [RAG_COLOURS.get(c, RAG_COLOURS[None]) for c in d[colour]] if colour else PALETTE[0]
    fig = go.Figure(
        go.Bar(
            x=d[value],
            y=d[name],
            orientation="h",
            marker_color=colours,
            customdata=d[code] if code else None,
            hovertemplate="%{y}: %{x:.1f}<extra></extra>",
        )
    )
    fig.update_layout(height=max(260, 24 * len(d) + 80))
    return _style(fig, title)


def funnel(df: pd.DataFrame, stage: str, count: str, title: str | None = None) -> go.Figure:
    _require(df, [stage, count])
    fig = go.Figure(go.Funnel(y=df[stage], x=df[count], textinfo="value+percent initial"))
    return _style(fig, title)


def donut(df: pd.DataFrame, names: str, values: str, title: str | None = None) -> go.Figure:
    _require(df, [names, values])
    fig = go.Figure(go.Pie(labels=df[names], values=df[values], hole=0.5, sort=False))
    return _style(fig, title)


def hierarchy(
    df: pd.DataFrame, path: list[str], values: str, title: str | None = None, kind: str = "sunburst"
) -> go.Figure:
    """A sunburst or treemap over ``path`` columns; a node's id is its path joined by "/"."""
    _require(df, [*path, values])
    if df.empty:
        return _style(go.Figure(), title)
    ids, labels, parents, sizes = [], [], [], []
    for depth in range(len(path)):
        cols = path[: depth + 1]
        g = df.groupby(cols, dropna=False, sort=False)[values].sum().reset_index()
        keys = g[cols].astype(str)
        ids += list(keys.agg("/".join, axis=1))
        parents += list(keys[cols[:-1]].agg("/".join, axis=1)) if depth else [""] * len(g)
        labels += list(keys[cols[-1]])
        sizes += list(g[values])
    trace = go.Sunburst if kind == "sunburst" else go.Treemap
    fig = go.Figure(
        trace(ids=ids, labels=labels, parents=parents, values=sizes, branchvalues="total", textinfo="label+value")
    )
    fig.update_layout(colorway=PALETTE)
    return _style(fig, title)


def stacked_bars(df: pd.DataFrame, x: str, series: dict[str, str], title: str | None = None) -> go.Figure:
    _require(df, [x, *series])
    fig = go.Figure([go.Bar(x=df[x], y=df[c], name=label) for c, label in series.items()])
    fig.update_layout(barmode="stack")
    return _style(fig, title)


def bars(df: pd.DataFrame, x: str, y: str, title: str | None = None) -> go.Figure:
    _require(df, [x, y])
    return _style(go.Figure(go.Bar(x=df[x], y=df[y], marker_color=PALETTE[0])), title)


def histogram(values: pd.Series, title: str | None = None, nbins: int = 20) -> go.Figure:
    return _style(go.Figure(go.Histogram(x=values, nbinsx=nbins, marker_color=PALETTE[2])), title)


def calendar_heatmap(daily: pd.DataFrame, day: str, value: str, title: str | None = None) -> go.Figure:
    """A GitHub-style calendar: weeks across, weekdays down, colour by ``value``."""
    _require(daily, [day, value])
    if daily.empty:
        return _style(go.Figure(), title)
    d = daily.copy()
    d[day] = pd.to_datetime(d[day])
    full = pd.DataFrame({day: pd.date_range(d[day].min(), d[day].max(), freq="D")})
    d = full.merge(d, on=day, how="left").fillna({value: 0})
    d["week"] = (d[day] - d[day].min()).dt.days // 7
    d["weekday"] = d[day].dt.dayofweek
    grid = d.pivot_table(index="weekday", columns="week", values=value, aggfunc="sum").reindex(range(7))
    dates = d.pivot_table(index="weekday", columns="week", values=day, aggfunc="first").reindex(range(7))
    text = dates.apply(lambda col: col.dt.strftime("%Y-%m-%d") if hasattr(col, "dt") else col)
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=grid.columns,
            y=["一", "二", "三", "四", "五", "六", "日"],
            text=np.asarray(text.astype(str)),
            hovertemplate="%{text}: %{z}<extra></extra>",
            colorscale="Reds",
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(height=260, yaxis=dict(autorange="reversed"), xaxis=dict(showticklabels=False))
    return _style(fig, title)
