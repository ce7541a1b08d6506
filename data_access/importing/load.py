"""Check imported rows against the store, derive spatial keys, and load all or nothing.

Each load runs in one transaction through a staging table and upserts on the natural key, so
loading the same file twice changes nothing and a failed load leaves the store as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from data_access import schema
from data_access.bulk import copy_dataframe
from data_access.categories import deadline
from data_access.importing.kinds import KINDS, Kind
from data_access.importing.validate import Problem, map_headers, parse, read_table

OUTSIDE_TOLERANCE_DEG = 0.002  # ≈ 200 m: a point this far outside its community is reported
MAX_BYTES = 200 * 1024 * 1024


@dataclass
class Report:
    kind: str
    path: str
    encoding: str = ""
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    loaded: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems if p.row > 1})

    def summary(self) -> str:
        if self.loaded:
            skipped = f", {self.rejected_rows} rows with problems skipped" if self.problems else ""
            return (
                f"loaded {self.inserted + self.updated} of {self.rows} rows from {Path(self.path).name} "
                f"({self.inserted} new, {self.updated} updated{skipped})"
            )
        if self.problems:
            return (
                f"rejected {Path(self.path).name}: {len(self.problems)} problems in "
                f"{max(self.rejected_rows, 1)} rows; nothing was loaded"
            )
        return f"{Path(self.path).name}: {self.rows} rows are valid (dry run, nothing loaded)"


def _row(i) -> int:
    return int(i) + 2


def _units(conn, table: str, districts) -> pd.DataFrame:
    df = pd.read_sql(
        sa.text(f"SELECT code, geom FROM {table} WHERE district_code = ANY(:d)"), conn, params={"d": list(districts)}
    )
    df["g"] = shapely.from_wkb(df["geom"].map(bytes).to_numpy()) if len(df) else []
    return df


def _locate(units: pd.DataFrame, pts) -> np.ndarray:
    """The code of the unit containing each point (None where none does)."""
    out = np.full(len(pts), None, dtype=object)
    if len(units) == 0 or len(pts) == 0:
        return out
    tree = shapely.STRtree(units["g"].to_numpy())
    pi, ui = tree.query(pts, predicate="within")
    out[pi] = units["code"].to_numpy()[ui]
    return out


def resolve(conn, kind: Kind, values: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Check codes against the store and derive the hierarchy keys from the coordinates."""
    problems: list[Problem] = []
    df = values.copy()
    communities = pd.read_sql(sa.text("SELECT code, geom FROM community"), conn)
    communities["g"] = shapely.from_wkb(communities["geom"].map(bytes).to_numpy()) if len(communities) else []
    has_xy = df["lon"].notna() & df["lat"].notna()
    pts = shapely.points(df["lon"].astype(float).fillna(0), df["lat"].astype(float).fillna(0))
    found = _locate(communities, pts)
    by_code = communities.set_index("code")["g"]
    given = df["community_code"]
    has_given = given.notna()
    unknown = has_given & ~given.isin(by_code.index)
    known = (has_given & ~unknown & has_xy).to_numpy()
    outside = np.zeros(len(df), dtype=bool)
    if known.any():
        polys = by_code.loc[given[known]].to_numpy()
        outside[known] = shapely.distance(polys, pts[known]) > OUTSIDE_TOLERANCE_DEG
    derive = (~has_given & has_xy).to_numpy()
    df.loc[derive, "community_code"] = found[derive]
    nowhere = derive & pd.isna(found)
    for i in df.index[unknown.to_numpy()]:
        problems.append(Problem(_row(i), "社区代码", str(given[i]), "unknown community code"))
    for i in df.index[outside]:
        problems.append(
            Problem(_row(i), "经度/纬度", f"{df.at[i, 'lon']}, {df.at[i, 'lat']}", f"outside community {given[i]}")
        )
    for i in df.index[nowhere]:
        problems.append(
            Problem(
                _row(i),
                "经度/纬度",
                f"{df.at[i, 'lon']}, {df.at[i, 'lat']}",
                "the point lies in no community of the store",
            )
        )
    df["street_code"] = df["community_code"].map(lambda c: c[:9] if isinstance(c, str) else None)
    df["district_code"] = df["community_code"].map(lambda c: c[:6] if isinstance(c, str) else None)
    districts = set(df["district_code"].dropna())
    df["grid_code"] = _locate(_units(conn, "grid", districts), pts)
    if kind.name == "issues":
        df["micro_grid_code"] = _locate(_units(conn, "micro_grid", districts), pts)
        cats = pd.read_sql(
            sa.text("SELECT code, time_limit, time_limit_unit FROM issue_category WHERE level = 3"), conn
        ).set_index("code")
        unknown = df["category_code"].notna() & ~df["category_code"].isin(cats.index)
        for i in df.index[unknown]:
            problems.append(
                Problem(_row(i), "事件分类代码", str(df.at[i, "category_code"]), "unknown level-3 category code")
            )
        known = df["category_code"].isin(cats.index) & df["reported_at"].notna()
        df["category_l1"] = df["category_code"].str[:2]
        df["category_l2"] = df["category_code"].str[:4]
        missing_due = known & df["due_at"].isna()
        if missing_due.any():
            lim = cats.loc[df.loc[missing_due, "category_code"]]
            df.loc[missing_due, "due_at"] = deadline(
                pd.to_datetime(df.loc[missing_due, "reported_at"]),
                lim["time_limit"].to_numpy(),
                lim["time_limit_unit"].to_numpy(),
            ).to_numpy()
    return df, problems


def _upsert(conn, kind: Kind, df: pd.DataFrame) -> tuple[int, int]:
    table = schema.metadata.tables[kind.table]
    # A column the file leaves empty keeps its database default (construction = 'existing', …).
    cols = [
        c.name
        for c in table.columns
        if c.name in df.columns and not (c.server_default is not None and df[c.name].isna().all())
    ]
    listed = ", ".join(f'"{c}"' for c in cols)
    conn.execute(
        sa.text(f'CREATE TEMP TABLE _stage ON COMMIT DROP AS SELECT {listed} FROM "{kind.table}" WITH NO DATA')
    )
    copy_dataframe(conn, "_stage", df[cols])
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in cols if c != kind.key)
    rows = conn.execute(
        sa.text(
            f'INSERT INTO "{kind.table}" ({listed}) SELECT {listed} FROM _stage '
            f'ON CONFLICT ("{kind.key}") DO UPDATE SET {updates} RETURNING (xmax = 0) AS inserted'
        )
    ).all()
    inserted = sum(1 for r in rows if r.inserted)
    return inserted, len(rows) - inserted


def import_file(
    engine: sa.Engine,
    kind_name: str,
    path: Path | str,
    *,
    crs: str = "WGS-84",
    encoding: str | None = None,
    dry_run: bool = False,
    valid_rows_only: bool = False,
    max_bytes: int = MAX_BYTES,
) -> Report:
    """Validate ``path`` as ``kind_name`` and, when it is clean (or ``valid_rows_only``), load it."""
    if kind_name not in KINDS:
        raise LookupError(f"unknown kind {kind_name!r}; one of {', '.join(KINDS)}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if path.stat().st_size > max_bytes:
        raise ValueError(f"{path.name} is {path.stat().st_size:,} bytes, over the {max_bytes:,}-byte upload limit")
    kind = KINDS[kind_name]
    report = Report(kind_name, str(path))
    raw, report.encoding = read_table(path, encoding)
    report.rows = len(raw)
    mapped, report.problems = map_headers(raw, kind)
    if any(p.reason.startswith("missing required column") for p in report.problems):
        return report
    values, problems = parse(mapped, kind, crs)
    report.problems += problems
    with engine.connect() as conn:
        values, problems = resolve(conn, kind, values)
    report.problems += problems
    header_problem = any(p.row == 1 for p in report.problems)
    bad = {p.row for p in report.problems if p.row > 1}
    if (report.problems and not valid_rows_only) or header_problem or dry_run:
        return report
    good = values[[(_row(i) not in bad) for i in values.index]]
    with engine.begin() as conn:
        report.inserted, report.updated = _upsert(conn, kind, good)
    report.loaded = True
    return report
