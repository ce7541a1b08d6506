"""KPI cards, tables with downloads and drill-down, empty states."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import auth, formats
from dashboard.i18n import lang, t
from dashboard.navigation import go
from dashboard.safe import FORMULA_START
from data_access import accounts, clock, indicators, periods
from data_access.reads.ranking import ranked

_RAG_CSS = {
    "green": "background-color: #d8f0dc",
    "amber": "background-color: #fbeccb",
    "red": "background-color: #f8d3d3",
}


PLAIN_NUMBERS = ("year", "minutes", "radius_m")  # numbers written without thousands separators
TABLE_ROWS = 200  # rows a table shows (a list longer than this is read in the download, not on screen)
_MD_COLOUR = {"green": "green", "amber": "orange", "red": "red"}


def indicator_help(key: str, level: str | None = None) -> str:
    """The catalogue's definition, formula, standard and targets of an indicator (a card's help text)."""
    ind = indicators.get(key)
    target = indicators.targets(key, level)
    lines = [ind.definition if lang() == "zh" else ind.en]
    if ind.denominator:
        lines.append(f"{t('formula')}: {indicators.formula_of(key, t)}")
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
        label += t("small_sample", n=formats.count(n))
    elif colour:
        label = f":{_MD_COLOUR[colour]}[{label}]"
    delta, diff = None, None
    # A live count (超期未结, 挂账) is a stock at the as-of moment, not a count of the period's issues: it has no
    # earlier period to compare with.
    p = None
    if before is not None and key not in indicators.LIVE:
        p = before.get(key) if key in before else indicators.value(before, key)
    if p is not None and p == p and v is not None and v == v:
        diff = round(float(v - p), 1) + 0.0  # no "-0.0"
        delta = formats.signed(diff, 0 if ind.kind == "count" else 1)
        if ind.unit == "%":
            delta += t("points_unit")
    col.metric(
        label,
        formats.indicator(key, v, short=True),
        delta,
        delta_color="off" if diff == 0 else "normal" if ind.higher_is_better else "inverse",
        delta_arrow="off" if diff == 0 else "auto",  # no change: grey, no arrow
        help=indicator_help(key, level),
    )


def catalogue_rows(values: dict, level: str | None = None) -> pd.DataFrame:
    """One row per indicator of the catalogue, described in the current language, with its value from
    ``values`` (an indicator key → value mapping; — where the scope has none)."""
    rows = []
    for ind in indicators.INDICATORS:
        target = indicators.targets(ind.key, level)
        rows.append(
            {
                "domain": ind.domain,
                "indicator": t(ind.key),
                "unit": ind.unit,
                "definition": ind.definition,
                "formula": indicators.formula_of(ind.key, t),
                "standard": ind.standard,
                "target": "—" if target is None else f"{target[0]:g} / {target[1]:g}",
                "better": t("higher_better" if ind.higher_is_better else "lower_better"),
                "value_here": formats.indicator(ind.key, values.get(ind.key)),
            }
        )
    return pd.DataFrame(rows)


def kpi(
    col, label_key: str, value, previous=None, fmt: str | None = None, inverse: bool = False, label_args=None
) -> None:
    """A card for a plain figure (not an indicator of the catalogue) with its change: a count (万 when large)
    unless ``fmt`` says otherwise; ``label_args`` fill the label's placeholders."""
    show = (lambda v: formats.count(v, short=True)) if fmt is None else fmt.format
    shown = formats.MISSING if value is None or value != value else show(value)
    delta = None
    if previous is not None and previous == previous and value is not None and value == value:
        delta = formats.signed(value - previous) if fmt is None else fmt.format(value - previous)
        if not delta.startswith(("-", "+")):
            delta = "+" + delta
    col.metric(t(label_key, **(label_args or {})), shown, delta, delta_color="inverse" if inverse else "normal")


def empty_state(df: pd.DataFrame | None, key: str = "empty_scope") -> bool:
    """Show the empty-state message when there is nothing to show; True when empty."""
    if df is None or df.empty:
        st.info(t(key))
        return True
    return False


EXPORT_CONTEXT = "export_context"  # st.session_state: what filters.header() says the page shows


# On a phone (below 640 px) Streamlit stacks columns one under the other: a row of KPI cards becomes a
# column of cards and the ranking falls far below the first screen. Two cards a row instead, and less space
# above the title.
_CARDS = '[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"])'
NARROW_CSS = f"""<style>
@media (max-width: 640px) {{
  [data-testid="stMainBlockContainer"] {{ padding-top: 2.5rem; }}
  {_CARDS} {{ flex-wrap: wrap; gap: 0.5rem 1rem; }}
  {_CARDS} > [data-testid="stColumn"] {{
    flex: 1 1 calc(50% - 1rem) !important; min-width: calc(50% - 1rem) !important; width: calc(50% - 1rem) !important;
  }}
}}
</style>"""


def export_context(title: str, place: str, period, previous, as_of) -> None:
    """Record what the page shows (filters.header calls this) for the title block and names of its downloads."""
    st.session_state[EXPORT_CONTEXT] = {
        "title": title,
        "place": place,
        "period": period,
        "previous": previous,
        "as_of": as_of,
    }


def _context_rows(who) -> list[tuple[str, str]]:
    ctx = st.session_state.get(EXPORT_CONTEXT) or {}
    day = timedelta(days=1)
    rows = []
    if ctx:
        p, c = ctx["period"], ctx["previous"]
        rows += [
            (t("export_scope"), ctx["place"]),
            (t("export_period"), f"{formats.day(p.start)} — {formats.day(p.end - day)}"),
            (t("export_compare"), f"{formats.day(c.start)} — {formats.day(c.end - day)}"),
            (t("export_as_of"), formats.moment(ctx["as_of"])),
        ]
    return [*rows, (t("export_by"), (who.display_name or who.username) if who is not None else "—")]


def export_name(name: str) -> str:
    """岳阳楼区_事件办理_部门考核_2025-12_2026-11: place, page, table and period, safe as a file name."""
    ctx = st.session_state.get(EXPORT_CONTEXT) or {}
    parts = [ctx.get("place", ""), ctx.get("title", ""), t(name)]
    if ctx:
        start, last = ctx["period"].start, ctx["period"].end - timedelta(days=1)
        parts.append(
            f"{start:%Y-%m}" if (start.year, start.month) == (last.year, last.month) else f"{start:%Y-%m}_{last:%Y-%m}"
        )
    return re.sub(r'[\\/:*?"<>|\s]+', "", "_".join(p for p in parts if p)) or name


def _text_columns(df: pd.DataFrame) -> list:
    return [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]


def for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """Text that a spreadsheet would read as a formula (``=cmd|' /C calc'!A0``, ``+SUM(…)``, ``@SUM``, a tab or CR
    first) gets a leading apostrophe: opened in Excel it is shown as the text it is. Times with a zone are written
    as wall time in the clock's zone."""
    out = formats.wall_times(df)
    for c in _text_columns(out):
        out[c] = [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in out[c]]
    return out


def _clean(v):
    """Text without the control characters a workbook cannot hold (openpyxl refuses the whole file over one)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v


def for_excel(df: pd.DataFrame) -> pd.DataFrame:
    """Cells a workbook holds: text cleaned, times with a zone written as wall time in the clock's zone (Excel has
    no zones)."""
    out = formats.wall_times(df)
    for c in _text_columns(out):
        if not pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = [_clean(v) for v in out[c]]
    return out


def _as_text(cell) -> None:
    """Keep a formula-like string a string cell (openpyxl writes any text starting with "=" as a formula)."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def to_excel(df: pd.DataFrame, sheet: str = "data", context: list[tuple[str, str]] = (), plain=()) -> bytes:
    """A workbook of one sheet named ``sheet``: the ``context`` rows (label, value) as a title block, then the
    table, with column widths that fit its Chinese text and thousands separators on numbers (not on the
    ``plain`` columns: years, minutes). Text is only ever text: formula-like values are string cells."""
    from openpyxl.utils import get_column_letter

    sheet = re.sub(r"[\\/:*?\[\]]", "", sheet)[:31] or "data"
    df = for_excel(df)
    buf = io.BytesIO()
    start = len(context) + 1 if context else 0
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        df.to_excel(xl, index=False, sheet_name=sheet, startrow=start)
        ws = xl.sheets[sheet]
        for i, (label, value) in enumerate(context, start=1):
            ws.cell(row=i, column=1, value=label)
            _as_text(ws.cell(row=i, column=2, value=_clean(value)))
        text = set(_text_columns(df))
        for j in [k for k, c in enumerate(df.columns, start=1) if c in text]:
            for (cell,) in ws.iter_rows(min_row=start + 2, min_col=j, max_col=j):
                _as_text(cell)
        for j, col in enumerate(df.columns, start=1):
            texts = [str(col), *(str(v) for v in df[col].head(500))]
            width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in x) for x in texts)
            ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
            if pd.api.types.is_numeric_dtype(df[col]) and col not in plain:
                fmt = "#,##0" if pd.api.types.is_integer_dtype(df[col]) else "#,##0.0"
                for (cell,) in ws.iter_rows(min_row=start + 2, min_col=j, max_col=j):
                    cell.number_format = fmt
    return buf.getvalue()


def export(who, name: str, fmt: str, df: pd.DataFrame, plain=()):
    """The bytes of a download, built when clicked; the export is audited for the signed-in account once it is
    written (a failed one as ``export_failed``)."""
    context, sheet = _context_rows(who), t(name)
    stamp = t("export_at")
    write = {
        "csv": lambda: for_csv(df).to_csv(index=False).encode("utf-8-sig"),
        "xlsx": lambda: to_excel(df, sheet, [*context, (stamp, clock.written(clock.now()))], plain),
    }[fmt]

    def build() -> bytes:
        try:
            body = write()
        except Exception as exc:  # Streamlit tells the user the file could not be made; the audit says so too
            if who is not None:
                accounts.log_event(who, "export_failed", table=name, format=fmt, error=type(exc).__name__)
            raise
        if who is not None:
            accounts.log_event(who, "export", table=name, format=fmt, rows=len(df))
        return body

    return build


def downloads(df: pd.DataFrame, name: str, key: str, plain=()) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and Excel (with a title block: place, period, comparison, data as of,
    who exported it) downloads of a table, named after place, page, table and period, written only when
    clicked. A download does not rerun the page: the rerun would cost a page's reads and, racing the file's request,
    could drop the file before the browser fetched it."""
    who = auth.principal()
    file = export_name(name)
    row = st.container(horizontal=True)
    row.download_button(
        t("download_csv"), export(who, name, "csv", df), f"{file}.csv", "text/csv", key=f"{key}_csv", on_click="ignore"
    )
    row.download_button(
        t("download_xlsx"),
        export(who, name, "xlsx", df, plain),
        f"{file}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
    )


def trend_options(period, at, grain: str | None = None) -> dict:
    """charts.trend's marks of the period's incomplete buckets (cut by its edges, or holding today at ``at``) and
    its ticks, by ``grain`` (default: the period's, data_access.periods.grain), in the interface language."""
    grain = grain or periods.grain(period)
    return {
        "partial": sorted(periods.partial(period, grain, at.date())),
        "partial_label": t(f"partial_note_{grain}"),
        "month_format": t(f"{grain}_format"),
    }


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
    pinned=(),
):
    """A table with colours from the catalogue's targets at ``level``, downloads and, with ``drill``,
    single-row selection (``hint``: the label of the caption saying what a selection does). Only the first
    ``limit`` rows are shown (and it says so); the downloads hold every row. ``pinned`` columns stay in view
    when the table scrolls sideways (a phone).

    Returns the index label of the selected row, or None.
    """
    shown = labelled(df, columns).fillna(np.nan).infer_objects()
    # Decimals: the catalogue's for its indicators (a mean area to 0.01 km²), one for other numbers.
    decimals = {header(c): indicators.get(c).decimals for c in columns if c in indicators.CATALOGUE}
    for h in shown.select_dtypes("number").columns:
        shown[h] = shown[h].round(decimals.get(h, 1))
    n = len(df) if limit is None else min(limit, len(df))
    if n < len(df):
        st.caption(t("table_top", total=formats.count(len(df)), n=n))
    df = df.head(n)
    coloured = [c for c in rag_columns if c in columns]
    plain = [header(c) for c in columns if c in PLAIN_NUMBERS]  # years and minutes: no separators
    config = {h: st.column_config.Column(pinned=True) for h in map(header, pinned)}
    if coloured and n:  # cells coloured by the catalogue: a Styler (Streamlit marshals each cell's display value)
        css = pd.DataFrame({header(c): _rag_css(df, c, level) for c in coloured}, index=shown.index[:n])
        body = shown.head(n).style.apply(lambda _f: css, axis=None, subset=list(css.columns))
        body = body.format(
            precision=1, na_rep=formats.MISSING, thousands=",", subset=[c for c in shown if c not in plain]
        )
        for h, d in decimals.items():
            if d != 1:
                body = body.format(precision=d, na_rep=formats.MISSING, thousands=",", subset=[h])
        if plain:
            body = body.format(precision=0, na_rep=formats.MISSING, subset=plain)
    else:  # no colours: the frame as it is, formatted by the browser (a Styler here cost ≈ 25 % of a rerun's CPU)
        body = shown.head(n)
        for h in body.select_dtypes("number").columns:
            fmt = (
                "%d" if h in plain else "%,d" if pd.api.types.is_integer_dtype(body[h]) else f"%,.{decimals.get(h, 1)}f"
            )
            config[h] = st.column_config.NumberColumn(format=fmt, pinned=h in config or None)
    options = dict(hide_index=True, width="stretch", key=key, column_config=config, placeholder=formats.MISSING)
    if drill:
        event = st.dataframe(body, on_select="rerun", selection_mode="single-row", **options)
        rows = event.selection.rows if event is not None else []
        st.caption(t(hint))
        downloads(shown, name, key, plain)
        return df.index[rows[0]] if rows else None
    st.dataframe(body, **options)
    downloads(shown, name, key, plain)
    return None


def board_labels(board) -> list[str]:
    """:func:`ranked`'s board ('red', 'black', '') in words: 红榜, 黑榜, or nothing."""
    return [t(f"board_{b}") if b else "" for b in board]


def child_table(state, df: pd.DataFrame, columns: list[str], name: str, key: str, rag_columns=()) -> None:
    """A ranking of the scope's child units, worst first by the first coloured indicator (switchable), with
    rank numbers and the 红黑榜 marked; selecting a row drills the scope down to it."""
    if empty_state(df):
        return
    df = df.copy()
    df["name"] = df["code"].map(child_names(state)).fillna(df["code"])
    options = [c for c in rag_columns if c in indicators.CATALOGUE or c in indicators.ALIASES] + ["name"]
    by = st.selectbox(
        t("sort_by"),
        options,
        format_func=lambda c: t("sort_name") if c == "name" else t("sort_worst", name=header(c)),
        key=f"{key}_sort",
        label_visibility="collapsed",  # the option says what it sorts by ("结案率%（差的在前）")
    )
    df = ranked(df, None if by == "name" else by)
    df["board"] = board_labels(df["board"])
    level = child_level(state)
    picked = table(
        df.set_index("code", drop=False),
        ["place_rank", "board", "name", *columns],
        name,
        drill_key(key, state),
        rag_columns,
        drill=True,
        level=level,
        pinned=("place_rank", "name"),
    )
    drill_to(state, [picked])


def child_level(state) -> str:
    """The level of the scope's child units (the whole store's children are cities), for targets."""
    return state.place.child_level


def drill_key(base: str, state) -> str:
    """The key of a widget whose selection drills down (a ranking, a bar chart, the map).

    It changes with the scope and after every drill. The browser keeps a widget's last selection and sends it
    again when the widget comes back: without a new key, returning to a district map would repeat the last
    drill before the next click counted (clicking 幸福路社区 drilled into the 清泉路社区 clicked before)."""
    return f"{base}_{state.scope}_{st.session_state.get('_drills', 0)}"


def drill_to(state, codes) -> None:
    """Go down to the first selected child unit (micro-grids are not scopes and are ignored)."""
    for code in codes:
        if code is not None and 6 <= len(str(code)) <= 15 and str(code) != (state.scope or ""):
            st.session_state["_drills"] = st.session_state.get("_drills", 0) + 1
            go(state.with_scope(str(code)))


def child_names(state) -> dict[str, str]:
    from dashboard import data

    place = state.place
    if place.code is None:
        df = data.units("city", None)
    else:
        df = data.units(place.child_level, place.code, current=False)  # a re-division's old units have figures too
    return dict(zip(df["code"], df["name"]))


def _span(metric: str, low: float, high: float) -> str:
    """A class's range as shown: "38.2 – 41.0", or one value when the class holds one."""
    low, high = formats.indicator(metric, low), formats.indicator(metric, high)
    return low if low == high else f"{low} – {high}"


def map_legend(legend: dict) -> None:
    """The map's legend: the choropleth classes (the values each holds, and how many units), the greyed and
    empty units, and a key for every layer drawn. Only our labels and numbers reach this HTML."""
    import html

    from geo import mapping

    def chip(colour, label: str, shape: str = "box", width: float = 0) -> str:
        r, g, b, a = colour
        css = {
            "box": f"background: rgba({r},{g},{b},{a / 255:.2f}); width: 14px; height: 12px",
            "line": f"border-top: {width}px solid rgb({r},{g},{b}); width: 18px; height: 0; margin-bottom: 3px",
            "dot": f"background: rgb({r},{g},{b}); width: 10px; height: 10px; border-radius: 50%",
            "ring": f"border: 1.5px solid rgb({r},{g},{b}); width: 12px; height: 12px; border-radius: 50%",
            "heat": "background: linear-gradient(90deg, #ffffb2, #fd8d3c, #bd0026); width: 28px; height: 10px",
        }[shape]
        return (
            f"<span style='white-space: nowrap; margin-right: 14px'><span style='display: inline-block; {css};"
            f" vertical-align: middle; margin-right: 4px'></span>{html.escape(label)}</span>"
        )

    metric = legend.get("metric")

    def units(n) -> str:
        return f"（{t('legend_units').format(n=formats.count(n))}）"

    chips = [
        chip(c["colour"], _span(metric, c["from"], c["to"]) + units(c["count"])) for c in legend.get("classes", [])
    ]
    if legend.get("small"):
        minimum = indicators.get(metric).min_cases
        chips.append(chip(mapping.SMALL_SAMPLE, t("legend_small").format(n=minimum) + units(legend["small"])))
    if legend.get("missing"):
        chips.append(chip(mapping.NO_DATA, t("no_data") + units(legend["missing"])))
    styles = {  # layer key → (colour, shape, line width)
        "legend_siblings": (mapping.SIBLING_LINE, "line", 1),
        "legend_stations": (mapping.STATION, "dot", 0),
        "legend_reach": (mapping.STATION, "ring", 0),
        "legend_plan": (mapping.PLAN, "dot", 0),
        "legend_markers": (mapping.SCOPE_LINE, "ring", 0),
        "legend_issues": (mapping.NO_DATA, "heat", 0),
    }
    keys = []
    for key in legend.get("layers", []):
        if key.startswith("legend_outline_"):
            keys.append(chip(mapping.SCOPE_LINE, t(key), "line", 3))
        elif key.startswith("legend_inner_"):
            keys.append(chip(mapping.INNER_LINE, t(key), "line", 1.5))
        elif key == "legend_compounds":
            keys += [chip(c, f"{t(key)}：{t(r)}", "line", 2) for r, c in mapping.RELATION_COLOURS.items()]
        elif key in styles:
            colour, shape, width = styles[key]
            keys.append(chip(colour, t(key), shape, width))
    if legend.get("unplaced"):
        n, share = legend["unplaced"]
        note = t("legend_unplaced", n=formats.count(n), share=formats.indicator("unplaced_share", share))
        keys.append(f"<span style='white-space: nowrap'>{html.escape(note)}</span>")
    st.markdown(
        f"<div style='font-size: 0.85rem; line-height: 1.9'><b>{html.escape(t(metric))}</b>&nbsp; {' '.join(chips)}"
        f"<br>{' '.join(keys)}</div>",
        unsafe_allow_html=True,
    )


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
