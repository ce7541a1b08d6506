"""KPI cards, tables with downloads and drill-down, empty states."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.i18n import lang, t
from data_access import accounts, indicators

_RAG_CSS = {
    "green": "background-color: #d8f0dc",
    "amber": "background-color: #fbeccb",
    "red": "background-color: #f8d3d3",
}


TABLE_ROWS = 200  # rows a table shows (a list longer than this is read in the download, not on screen)
_MD_COLOUR = {"green": "green", "amber": "orange", "red": "red"}


def fmt_value(key: str, v) -> str:
    """An indicator's value as shown: counts with separators, rates with one decimal and %, hours."""
    if v is None or v != v:
        return "—"
    ind = indicators.get(key)
    if ind.kind == "count":
        return f"{v:,.0f}"
    if ind.unit == "%":
        return f"{v:.1f}%"
    if ind.unit == "小时":
        return f"{v:.1f} {t('hours_unit')}"
    return f"{v:,.{ind.decimals}f}"


def indicator_help(key: str, level: str | None = None) -> str:
    """The catalogue's definition, formula, standard and targets of an indicator (a card's help text)."""
    ind = indicators.get(key)
    target = indicators.targets(key, level)
    lines = [ind.definition if lang() == "zh" else ind.en]
    if ind.denominator:
        lines.append(f"{t('formula')}: {t(ind.numerator)} / {t(ind.denominator)}")
    lines.append(f"{t('standard')}: {ind.standard}")
    if target:
        better = "≥" if ind.higher_is_better else "≤"
        lines.append(f"{t('target')}: {t('green')} {better} {target[0]:g}，{t('amber')} {better} {target[1]:g}")
    return "\n\n".join(lines)


def card(col, key: str, now, before=None, level: str | None = None) -> None:
    """A KPI card for the catalogue indicator ``key``, from rows of counts and indicators (``now``, and
    ``before`` for the change): coloured by its targets at ``level``, with its definition as help, the
    change of a rate in percentage points, and a small sample shown with its count and no colour."""
    ind = indicators.get(key)
    v = now.get(key) if key in now else indicators.value(now, key)
    n = indicators.cases(now, key)
    label = t(key)
    colour = indicators.rag(key, v, level, n)
    if indicators.small_sample(key, n):
        label += t("small_sample", n=f"{n:,.0f}")
    elif colour:
        label = f":{_MD_COLOUR[colour]}[{label}]"
    delta = None
    p = None if before is None else before.get(key) if key in before else indicators.value(before, key)
    if p is not None and p == p and v is not None and v == v:
        diff = round(float(v - p), 1) + 0.0  # no "-0.0"
        delta = f"{diff:+,.0f}" if ind.kind == "count" else f"{diff:+.1f}"
        if ind.unit == "%":
            delta += t("points_unit")
    col.metric(
        label,
        fmt_value(key, v),
        delta,
        delta_color="normal" if ind.higher_is_better else "inverse",
        help=indicator_help(key, level),
    )


def catalogue_rows(values: dict, level: str | None = None) -> pd.DataFrame:
    """One row per indicator of the catalogue, described in the current language, with its value from
    ``values`` (an indicator key → value mapping; — where the scope has none)."""
    rows = []
    for ind in indicators.INDICATORS:
        target = indicators.targets(ind.key, level)
        formula = t(ind.numerator) if ind.denominator is None else f"{t(ind.numerator)} / {t(ind.denominator)}"
        rows.append(
            {
                "domain": ind.domain,
                "indicator": t(ind.key),
                "unit": ind.unit,
                "definition": ind.definition,
                "formula": formula + {"ratio": " × 100%", "per_1000": " × 1000"}.get(ind.kind, ""),
                "standard": ind.standard,
                "target": "—" if target is None else f"{target[0]:g} / {target[1]:g}",
                "better": t("higher_better" if ind.higher_is_better else "lower_better"),
                "value_here": fmt_value(ind.key, values.get(ind.key)),
            }
        )
    return pd.DataFrame(rows)


def kpi(col, label_key: str, value, previous=None, fmt: str = "{:,.0f}", inverse: bool = False) -> None:
    """A card for a plain figure (not an indicator of the catalogue) with its change."""
    shown = "—" if value is None or value != value else fmt.format(value)
    delta = None
    if previous is not None and previous == previous and value is not None and value == value:
        delta = fmt.format(value - previous)
        if not delta.startswith("-"):
            delta = "+" + delta
    col.metric(t(label_key), shown, delta, delta_color="inverse" if inverse else "normal")


def empty_state(df: pd.DataFrame | None, key: str = "empty_scope") -> bool:
    """Show the empty-state message when there is nothing to show; True when empty."""
    if df is None or df.empty:
        st.info(t(key))
        return True
    return False


def to_excel(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        df.to_excel(xl, index=False, sheet_name="data")
    return buf.getvalue()


def export(who, name: str, fmt: str, df: pd.DataFrame):
    """The bytes of a download, built when clicked; the export is audited for the signed-in account."""
    write = {"csv": lambda: df.to_csv(index=False).encode("utf-8-sig"), "xlsx": lambda: to_excel(df)}[fmt]

    def build() -> bytes:
        if who is not None:
            accounts.log_event(who, "export", table=name, format=fmt, rows=len(df))
        return write()

    return build


def downloads(df: pd.DataFrame, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and Excel downloads of a table, written only when clicked."""
    who = auth.principal()
    row = st.container(horizontal=True)
    row.download_button(t("download_csv"), export(who, name, "csv", df), f"{name}.csv", "text/csv", key=f"{key}_csv")
    row.download_button(
        t("download_xlsx"),
        export(who, name, "xlsx", df),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )


def header(column: str) -> str:
    """A column's header: its label, with % for a rate of the catalogue."""
    known = column in indicators.CATALOGUE or column in indicators.ALIASES
    return f"{t(column)}%" if known and indicators.get(column).unit == "%" else t(column)


def labelled(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The chosen columns with translated headers."""
    return df[columns].rename(columns={c: header(c) for c in columns})


def _rag_css(df: pd.DataFrame, col: str, level: str | None) -> list[str]:
    """The colour of each cell of indicator column ``col`` (the denominator column, when present, gives the
    cases each value rests on: small samples stay white)."""
    den = indicators.get(col).denominator
    cases = df[den] if den in df else pd.Series([None] * len(df), index=df.index)
    return [_RAG_CSS.get(indicators.rag(col, v, level, n), "") for v, n in zip(df[col], cases)]


def table(
    df: pd.DataFrame,
    columns: list[str],
    name: str,
    key: str,
    rag_columns=(),
    drill: bool = False,
    level: str | None = None,
    hint: str = "drill_hint",
    limit: int | None = TABLE_ROWS,
):
    """A table with colours from the catalogue's targets at ``level``, downloads and, with ``drill``,
    single-row selection (``hint``: the label of the caption saying what a selection does). Only the first
    ``limit`` rows are shown (and it says so); the downloads hold every row.

    Returns the index label of the selected row, or None.
    """
    shown = labelled(df, columns).fillna(np.nan).infer_objects()
    numeric = shown.select_dtypes("number").columns
    shown[numeric] = shown[numeric].round(1)
    n = len(df) if limit is None else min(limit, len(df))
    if n < len(df):
        st.caption(t("table_top", total=f"{len(df):,}", n=n))
    df = df.head(n)
    styler = shown.head(n).style
    coloured = [c for c in rag_columns if c in columns]
    if coloured and n:  # one apply for every coloured column (an apply a column cost 2–3 ms each)
        css = pd.DataFrame({header(c): _rag_css(df, c, level) for c in coloured}, index=shown.index[:n])
        styler = styler.apply(lambda _f: css, axis=None, subset=list(css.columns))
    styler = styler.format(precision=1, na_rep="—")
    if drill:
        st.caption(t(hint))
        event = st.dataframe(
            styler, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key=key
        )
        rows = event.selection.rows if event is not None else []
        downloads(shown, name, key)
        return df.index[rows[0]] if rows else None
    st.dataframe(styler, hide_index=True, width="stretch", key=key)
    downloads(shown, name, key)
    return None


def child_table(state, df: pd.DataFrame, columns: list[str], name: str, key: str, rag_columns=()) -> None:
    """A ranking of the scope's child units; selecting a row drills the scope down to it."""
    if empty_state(df):
        return
    df = df.copy()
    df["name"] = df["code"].map(child_names(state)).fillna(df["code"])
    # The key carries the scope: after a drill the new table starts with no selection.
    level = child_level(state)
    picked = table(
        df.set_index("code", drop=False),
        ["name", *columns],
        name,
        f"{key}_{state.scope}",
        rag_columns,
        drill=True,
        level=level,
    )
    drill_to(state, [picked])


def child_level(state) -> str:
    """The level of the scope's child units (the whole store's children are districts), for targets."""
    return state.place.child_level if state.place.code else "district"


def drill_to(state, codes) -> None:
    """Go down to the first selected child unit (micro-grids are not scopes and are ignored)."""
    from dashboard.filters import go

    for code in codes:
        if code is not None and 6 <= len(str(code)) <= 15 and str(code) != (state.scope or ""):
            go(state.with_scope(str(code)))


def child_names(state) -> dict[str, str]:
    from dashboard import data

    place = state.place
    if place.code is None:
        df = data.units("city", None)
    else:
        df = data.units(place.child_level, place.code)
    return dict(zip(df["code"], df["name"]))


def legend_strip(legend: list[dict], label: str) -> None:
    """The choropleth classes as coloured chips (values are numbers; the label is ours)."""
    from dashboard.safe import md

    chips = []
    for item in legend:
        r, g, b, _ = item["colour"]
        low = "" if item["from"] is None else f"{item['from']:.1f}"
        chips.append(
            f"<span style='background: rgba({r},{g},{b},0.85); padding: 2px 10px; margin-right: 4px'>"
            f"{low} – {item['to']:.1f}</span>"
        )
    st.markdown(" ".join(chips) + f" {md(label)}", unsafe_allow_html=True)


def page_cursor(key: str):
    """The keyset cursor of the page of list ``key`` being shown (None: the first page)."""
    pages = st.session_state.setdefault(key, [None])
    return pages[-1]


def page_buttons(key: str, page: pd.DataFrame, size: int, cursor_columns: tuple[str, ...]) -> None:
    """Previous/next buttons under a keyset-paginated list; the next page starts after this one's last row."""
    pages = st.session_state.setdefault(key, [None])
    if len(pages) == 1 and len(page) < size:
        return  # one page: nothing to turn
    left, mid, right = st.columns([1, 2, 1])
    mid.caption(t("page_n").format(n=len(pages)))
    if left.button(t("page_prev"), key=f"{key}_prev", disabled=len(pages) == 1):
        pages.pop()
        st.rerun()
    if right.button(t("page_next"), key=f"{key}_next", disabled=len(page) < size):
        last = page.iloc[-1]
        pages.append(
            tuple(last[c].to_pydatetime() if hasattr(last[c], "to_pydatetime") else last[c] for c in cursor_columns)
        )
        st.rerun()
