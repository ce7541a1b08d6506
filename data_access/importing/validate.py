"""Read an imported file and check every row, reporting every problem at once.

A problem names the file row (the header is row 1), the column, the value and the reason.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data_access.importing.encodings import decode
from data_access.importing.kinds import ENUM_VALUES, Kind
from data_access.schema import LIFECYCLE
from geo.crs import CHINA_BBOX, normalise_crs, to_wgs84

_MARKUP = re.compile(r"<\s*[a-zA-Z/!]")


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    value: str
    reason: str

    def line(self) -> str:
        return f"row {self.row}, column {self.column}, value {self.value!r}: {self.reason}"


def read_table(path: Path, encoding: str | None = None) -> tuple[pd.DataFrame, str]:
    """The file's rows as strings (CSV) or cells (Excel), and the encoding used."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=object).fillna(""), "xlsx"
    if suffix not in (".csv", ".txt"):
        raise ValueError(f"{path.name}: expected a .csv or .xlsx file")
    text, used = decode(path.read_bytes(), encoding)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True), used


def map_headers(df: pd.DataFrame, kind: Kind) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename Chinese or English headers to column names; report unknown and missing columns."""
    lookup = {h.strip().lower(): c.name for c in kind.columns for h in c.headers}
    problems, rename = [], {}
    for header in df.columns:
        name = lookup.get(str(header).strip().lower())
        if name is None:
            problems.append(Problem(1, str(header), str(header), "unknown column"))
        elif name in rename.values():
            problems.append(Problem(1, str(header), str(header), f"column {name} appears twice"))
        else:
            rename[header] = name
    df = df[list(rename)].rename(columns=rename)
    for col in kind.columns:
        if col.required and col.name not in df.columns:
            problems.append(Problem(1, col.zh, "", f"missing required column {col.zh} ({col.name})"))
    return df, problems


def _parse_datetime(values: pd.Series) -> pd.Series:
    """ISO, 2024/1/5, 2024年1月5日 10时5分, Excel date cells and Excel serial day numbers (vectorised)."""
    cells = values.map(lambda v: pd.Timestamp(v) if hasattr(v, "year") else pd.NaT)
    text = values.map(lambda v: "" if hasattr(v, "year") else str(v)).str.strip()
    serial = text.str.fullmatch(r"\d{5}(\.\d+)?")
    norm = (
        text.str.replace(r"[年月]", "-", regex=True)
        .str.replace("日", " ")
        .str.replace("时", ":")
        .str.replace("分", ":")
        .str.replace("秒", "")
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
        .str.rstrip(":")
    )
    parsed = pd.to_datetime(norm.where(~serial & (norm != "")), format="mixed", errors="coerce")
    days = pd.to_numeric(text.where(serial), errors="coerce")
    from_serial = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
    return parsed.where(~serial, from_serial).fillna(cells)


def _row(i: int) -> int:
    return int(i) + 2


def parse(df: pd.DataFrame, kind: Kind, crs: str = "WGS-84") -> tuple[pd.DataFrame, list[Problem]]:
    """Typed values and the problems of every row (reference checks against the store come later)."""
    problems: list[Problem] = []
    out = pd.DataFrame(index=df.index)
    for col in kind.columns:
        if col.name not in df.columns:
            out[col.name] = None
            continue
        raw = df[col.name].map(lambda v: "" if v is None else v)
        text = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
        empty = text.map(lambda v: v == "" or v is None)
        if col.required:
            for i in df.index[empty]:
                problems.append(Problem(_row(i), col.zh, "", "required value is empty"))
        if col.type in ("text", "code"):
            value = text.where(~empty, None)
            as_text = value.astype("string")
            bad = as_text.str.contains(_MARKUP, na=False)
            for i in df.index[bad.to_numpy(dtype=bool)]:
                problems.append(Problem(_row(i), col.zh, str(value[i]), "contains markup (HTML or script)"))
            if col.type == "code":
                bad = value.notna() & ~as_text.str.fullmatch(r"[0-9A-Za-z]{2,24}").fillna(False).astype(bool)
                for i in df.index[bad.to_numpy(dtype=bool)]:
                    problems.append(Problem(_row(i), col.zh, str(value[i]), "not a code (digits and letters)"))
        elif col.type in ("int", "float"):
            value = pd.to_numeric(text.where(~empty, None), errors="coerce")
            for i in df.index[~empty & value.isna()]:
                problems.append(Problem(_row(i), col.zh, str(raw[i]), "not a number"))
            lo = col.min if col.min is not None else -np.inf
            hi = col.max if col.max is not None else np.inf
            for i in df.index[value.notna() & ((value < lo) | (value > hi))]:
                problems.append(Problem(_row(i), col.zh, str(raw[i]), f"outside {col.min}–{col.max}"))
        elif col.type in ("date", "datetime"):
            value = _parse_datetime(text.where(~empty, ""))
            value = value.where(~empty, pd.NaT)
            for i in df.index[~empty & value.isna()]:
                problems.append(Problem(_row(i), col.zh, str(raw[i]), "not a date (use 2024-05-01 or 2024年5月1日)"))
            if col.type == "date":
                value = value.dt.date.where(value.notna(), None)
        elif col.type == "enum":
            allowed = set(ENUM_VALUES[(kind.name, col.name)])
            labels = col.labels
            value = text.map(lambda v, m=labels: m.get(v, v) if isinstance(v, str) else v).where(~empty, None)
            for i in df.index[value.notna() & ~value.isin(allowed)]:
                problems.append(
                    Problem(
                        _row(i),
                        col.zh,
                        str(raw[i]),
                        f"unknown value; use one of {', '.join(list(col.labels)[:6] or sorted(allowed))}",
                    )
                )
        out[col.name] = value
    if kind.located and {"lon", "lat"} <= set(df.columns):
        problems += _check_coordinates(out, crs)
    if kind.name == "issues":
        problems += _check_lifecycle(out)
    dup = out[kind.key].notna() & out[kind.key].duplicated(keep="first")
    for i in out.index[dup]:
        first = out.index[(out[kind.key] == out.at[i, kind.key])][0]
        problems.append(
            Problem(
                _row(i),
                kind.column(kind.key).zh,
                str(out.at[i, kind.key]),
                f"duplicate key; first on row {_row(first)}",
            )
        )
    return out, problems


def _check_coordinates(out: pd.DataFrame, crs: str) -> list[Problem]:
    """Convert lon/lat to WGS-84 and report points outside China or with lon/lat swapped."""
    import shapely

    problems = []
    ok = out["lon"].notna() & out["lat"].notna()
    name = normalise_crs(crs)
    if name != "WGS-84" and ok.any():
        pts = to_wgs84(shapely.points(out.loc[ok, "lon"].astype(float), out.loc[ok, "lat"].astype(float)), name)
        out.loc[ok, "lon"], out.loc[ok, "lat"] = shapely.get_x(pts), shapely.get_y(pts)
    minx, miny, maxx, maxy = CHINA_BBOX
    for i in out.index[ok]:
        x, y = float(out.at[i, "lon"]), float(out.at[i, "lat"])
        if minx <= x <= maxx and miny <= y <= maxy:
            continue
        if minx <= y <= maxx and miny <= x <= maxy:
            problems.append(Problem(_row(i), "经度/纬度", f"{x}, {y}", "longitude and latitude look swapped"))
        else:
            problems.append(Problem(_row(i), "经度/纬度", f"{x}, {y}", "outside China"))
    return problems


def _check_lifecycle(out: pd.DataFrame) -> list[Problem]:
    """Each stage that happened is no earlier than every stage before it (vectorised over rows)."""
    problems = []
    stages = [c for c in LIFECYCLE if c in out.columns]
    latest = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    latest_col = pd.Series("", index=out.index)
    for col in stages:
        t = pd.to_datetime(out[col], errors="coerce")
        bad = t.notna() & latest.notna() & (t < latest)
        for i in out.index[bad]:
            problems.append(Problem(_row(i), col, str(t[i]), f"earlier than {latest_col[i]} ({latest[i]})"))
        newer = t.notna() & (latest.isna() | (t > latest))
        latest = latest.where(~newer, t)
        latest_col = latest_col.where(~newer, col)
    return problems
