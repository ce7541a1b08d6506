"""Check imported rows against the store, derive spatial keys, and load all or nothing.

Each load runs in one transaction through a staging table and upserts on the natural key, so
loading the same file twice changes nothing and a failed load leaves the store as it was.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from data_access import clock, schema, summary
from data_access.bulk import copy_dataframe, insert_dataframe
from data_access.categories import deadline
from data_access.importing.kinds import KINDS, LAYER_SUFFIXES, Kind
from data_access.importing.layers import read_layer
from data_access.importing.names import match, nearest, normal, split_path, with_norm
from data_access.importing.profiles import Profile
from data_access.importing.validate import FileProblem, Problem, map_headers, parse, read_table
from data_access.meta import bump_data_version
from geo.measure import area_km2, to_albers
from geo.overlay import classify_compounds

OUTSIDE_TOLERANCE_DEG = 0.002  # ≈ 200 m: a point this far outside its unit is reported
OUTSIDE_SHARE = 0.10  # a boundary with more than this share of its area outside its parent is reported
OVERLAP_SHARE = 0.05  # two units of one level overlapping by more than this share of the smaller are reported
MAX_BYTES = 200 * 1024 * 1024
PARENT = {"street": "district", "community": "street", "grid": "community", "micro_grid": "grid"}
LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}


@dataclass
class Report:
    kind: str
    path: str
    encoding: str = ""
    crs: str = ""
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # not problems: repairs, assumptions
    preview: pd.DataFrame | None = None  # the first rows as read
    shapes: pd.DataFrame | None = None  # boundaries: code, name, geom (WKB, WGS-84) of the usable features
    inserted: int = 0
    updated: int = 0
    loaded: bool = False
    new_departments: pd.DataFrame | None = None  # --create-departments: the departments this file adds
    new_categories: pd.DataFrame | None = None  # a category tree: the stored categories it adds
    replaces_tree: bool | None = None  # a category tree: it replaces the default tree (None: as the district had it)
    alerts: dict | None = None  # an issues load: the alert evaluation after it (data_access.alerts.evaluate)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems if p.of_a_row})

    def summary(self, lang: str = "en") -> str:
        name, zh = Path(self.path).name, lang == "zh"
        if self.loaded:
            new, updated, skipped = self.inserted, self.updated, self.rejected_rows if self.problems else 0
            if zh:
                counts = f"新增 {new}，更新 {updated}，有问题跳过 {skipped}"
                return f"{name}：读取 {self.rows} 行，导入 {new + updated} 行（{counts}）"
            skipped = f", {skipped} rows with problems skipped" if skipped else ""
            fired = f"; alerts: {self.alerts['new']} new, {self.alerts['cleared']} cleared" if self.alerts else ""
            return (
                f"loaded {new + updated} of {self.rows} rows from {name} ({new} new, {updated} updated{skipped}){fired}"
            )
        if self.problems:
            rows = max(self.rejected_rows, 1)
            if zh:
                return f"{name}：{rows} 行共 {len(self.problems)} 个问题，未导入任何数据"
            return f"rejected {name}: {len(self.problems)} problems in {rows} rows; nothing was loaded"
        if zh:
            return f"{name}：{self.rows} 行均可导入（校验，未导入）"
        return f"{name}: {self.rows} rows are valid (dry run, nothing loaded)"


def _row(i) -> int:
    return int(i) + 2


def _flag(problems: list[Problem], df: pd.DataFrame, mask, column: str, values, key: str, **params) -> None:
    for i in df.index[np.asarray(mask, dtype=bool)]:
        problems.append(Problem(_row(i), column, str(values[i]), key, params))


def _geoms(conn, table: str, where: str = "", params: dict | None = None) -> pd.DataFrame:
    df = pd.read_sql_query(sa.text(f"SELECT code, geom FROM {table} {where}"), conn, params=params or {})
    df["g"] = shapely.from_wkb(df["geom"].map(bytes).to_numpy()) if len(df) else []
    return df.set_index("code")


def _units(conn, table: str, districts) -> pd.DataFrame:
    """A grid or micro-grid layer of the districts, every layout (old ones with their end date)."""
    df = pd.read_sql_query(
        sa.text(f"SELECT code, geom, valid_from, valid_to FROM {table} WHERE district_code = ANY(:d)"),
        conn,
        params={"d": sorted(districts)},
    )
    df["g"] = shapely.from_wkb(df["geom"].map(bytes).to_numpy()) if len(df) else []
    return df.set_index("code")


def _locate(units: pd.DataFrame, pts, days=None) -> np.ndarray:
    """The code of the unit containing each point (None where none does). Units with a validity (grids and
    micro-grids) count on each point's day (``days``; today's layout without)."""
    out = np.full(len(pts), None, dtype=object)
    if len(units) == 0 or len(pts) == 0:
        return out
    polys = units["g"].to_numpy()
    pi, ui = shapely.STRtree(polys).query(pts)  # candidates by bounding box
    if "valid_to" in units.columns:  # the layout of the day: valid from (or since ever) and not yet ended
        day = np.full(len(pts), np.datetime64("now", "D")) if days is None else np.asarray(days, "datetime64[D]")
        start = pd.to_datetime(units["valid_from"]).to_numpy("datetime64[D]")[ui]
        end = pd.to_datetime(units["valid_to"]).to_numpy("datetime64[D]")[ui]
        d = day[pi]
        valid = (np.isnat(start) | (start <= d)) & (np.isnat(end) | (end > d)) | np.isnat(d) & np.isnat(end)
        pi, ui = pi[valid], ui[valid]
    shapely.prepare(polys)  # then point-in-polygon on prepared polygons (twice as fast as predicate="within")
    hit = shapely.contains_xy(polys[ui], shapely.get_x(pts[pi]), shapely.get_y(pts[pi]))
    out[pi[hit]] = units.index.to_numpy()[ui[hit]]
    return out


def _ids(conn, table: str, codes: pd.Series, extra: str = "") -> pd.DataFrame:
    """Rows of ``table`` (id, code …) whose code is among ``codes``."""
    wanted = sorted(set(codes.dropna()))
    sql = f"SELECT id, code{extra} FROM {table} WHERE code = ANY(:c)"
    return pd.read_sql_query(sa.text(sql), conn, params={"c": wanted}).set_index("code")


def _known(conn, table: str, codes: pd.Series) -> set:
    wanted = sorted(set(codes.dropna()))
    if not wanted:
        return set()
    return set(conn.execute(sa.text(f"SELECT code FROM {table} WHERE code = ANY(:c)"), {"c": wanted}).scalars())


def _place(conn, kind: Kind, df: pd.DataFrame, problems: list[Problem]) -> None:
    """Check the hierarchy codes a row gives, fill the coarser ones, and derive the rest from its point.

    Codes nest (a grid's code starts with its community's), so a finer code fixes the coarser ones;
    a point fixes the community (when none is given) and the grid and micro-grid.
    """
    for level in ("street", "community", "grid", "micro_grid"):
        col = f"{level}_code"
        if col in df.columns:
            unknown = df[col].notna() & ~df[col].isin(_known(conn, level, df[col]))
            _flag(problems, df, unknown, kind.column(col).zh, df[col], "unknown_ref", unit=level)
            df.loc[unknown, col] = None
    for finer, coarser in (("micro_grid", "grid"), ("grid", "community"), ("community", "street")):
        fcol, ccol = f"{finer}_code", f"{coarser}_code"
        if fcol not in df.columns:
            continue
        prefix = df[fcol].str[: LENGTH[coarser]]
        if ccol in df.columns:
            clash = df[fcol].notna() & df[ccol].notna() & (prefix != df[ccol])
            _flag(problems, df, clash, kind.column(fcol).zh, df[fcol], "not_in_parent", unit=coarser, code="")
            df[ccol] = df[ccol].where(df[ccol].notna(), prefix)
        else:
            df[ccol] = prefix
    if kind.located and "lon" in df.columns:
        has_xy = (df["lon"].notna() & df["lat"].notna()).to_numpy()
        pts = shapely.points(df["lon"].astype(float).fillna(0), df["lat"].astype(float).fillna(0))
        xy = df["lon"].astype(str) + ", " + df["lat"].astype(str)
        communities = _geoms(conn, "community")
        given = df["community_code"]
        check = given.isin(communities.index).to_numpy() & has_xy
        outside = np.zeros(len(df), dtype=bool)
        if check.any():
            polys = communities.loc[given[check], "g"].to_numpy()
            outside[check] = shapely.distance(polys, pts[check]) > OUTSIDE_TOLERANCE_DEG
        for i in df.index[outside]:
            problems.append(
                Problem(_row(i), "经度/纬度", xy[i], "outside_unit", {"unit": "community", "code": given[i]})
            )
        derive = given.isna().to_numpy() & has_xy
        found = _locate(communities, pts[derive])
        df.loc[derive, "community_code"] = found
        nowhere = np.zeros(len(df), dtype=bool)
        nowhere[derive] = pd.isna(found)
        _flag(problems, df, nowhere, "经度/纬度", xy, "nowhere", unit="community")
        districts = set(df["community_code"].dropna().str[:6])
        table = schema.metadata.tables[kind.table]
        for level in [lv for lv in ("grid", "micro_grid") if f"{lv}_code" in table.c]:
            col = f"{level}_code"
            if col not in df.columns:
                df[col] = None
            todo = df[col].isna().to_numpy() & has_xy
            days = pd.to_datetime(df.loc[todo, "reported_at"]) if "reported_at" in df.columns else None
            df.loc[todo, col] = _locate(_units(conn, level, districts), pts[todo], days)
            # Where stored units overlap, the unit found may belong to another parent: then the row keeps
            # the coarser place only (a grid of its community, a micro-grid of its grid, or none).
            parent = "community_code" if level == "grid" else "grid_code"
            n = LENGTH["community" if level == "grid" else "grid"]
            if parent in df.columns:
                foreign = todo & df[col].notna().to_numpy() & (df[col].str[:n] != df[parent]).to_numpy(dtype=bool)
                df.loc[foreign, col] = None
    finest = next((c for c in ("community_code", "street_code") if c in df.columns), None)
    if finest:
        if "street_code" not in df.columns:
            df["street_code"] = None
        df["street_code"] = df["street_code"].where(df["street_code"].notna(), df[finest].str[:9])
        df["district_code"] = df["street_code"].str[:6]


def _needs_place(df: pd.DataFrame, problems: list[Problem], need: str = "community_code") -> None:
    missing = df[need].isna()
    already = {p.row for p in problems}
    for i in df.index[missing]:
        if _row(i) not in already:
            problems.append(Problem(_row(i), "社区代码", "", "needs_place"))


def _code_names(conn, table: str) -> pd.DataFrame:
    """Every unit (or department) of ``table``: code and name, to match names against."""
    return pd.read_sql_query(sa.text(f"SELECT code, name FROM {table}"), conn)


def _by_name(df, mask, name_col: str, code_col: str, scope_col: str | None, units, level: str, zh: str, problems):
    """Fill ``code_col`` from ``name_col`` on the rows of ``mask``, matching among the ``units`` (code, name)
    whose code starts with the row's ``scope_col`` (its district or street); report what matches none or
    several, with the candidates. Each distinct (scope, name) is matched once."""
    if not mask.any():
        return
    units = with_norm(units, level)
    scopes = df.loc[mask, scope_col].fillna("") if scope_col else pd.Series("", index=df.index[mask])
    keys = scopes.astype(str) + "\x1f" + df.loc[mask, name_col].astype(str)  # (scope, name) as one string
    found = {}
    for key in keys.unique():
        scope, value = key.split("\x1f", 1)
        found[key] = match(value, units[units["code"].str.startswith(scope)] if scope else units, level)
    codes = keys.map({k: code for k, (code, _, _) in found.items()})  # a dict lookup, vectorised
    hit = codes.notna()
    df.loc[codes.index[hit], code_col] = codes[hit]  # one assignment, not one a row (30 µs each)
    for i, key in keys[~hit].items():
        _, problem, candidates = found[key]
        params = {"unit": level, "candidates": "、".join(candidates) or "—"}
        problems.append(Problem(_row(i), zh, key.split("\x1f", 1)[1], problem, params))


def _name_clashes(conn, df, problems) -> None:
    """A row giving both a code and a name for its street or community: they must name the same unit."""
    for level, zh in (("street", "所属街道"), ("community", "所属社区")):
        both = df[f"{level}_code"].notna() & df[f"{level}_name"].notna()
        if not both.any():
            continue
        codes = sorted(set(df.loc[both, f"{level}_code"]))
        sql = sa.text(f"SELECT code, name FROM {level} WHERE code = ANY(:c)")
        stored = pd.read_sql_query(sql, conn, params={"c": codes}).set_index("code")["name"]
        for i in df.index[both]:
            code, given = df.at[i, f"{level}_code"], df.at[i, f"{level}_name"]
            if code in stored.index and normal(stored[code], level) != normal(given, level):
                problems.append(
                    Problem(_row(i), zh, given, "name_code_clash", {"unit": level, "code": code, "name": stored[code]})
                )


def _place_by_names(conn, df, problems, district: str | None) -> None:
    """Street and community codes from their names, for the rows that have neither a point nor a community
    code: within the row's district (its column, its name, or ``district`` for the whole file)."""
    if district:
        df["district_code"] = df["district_code"].fillna(district)
    _name_clashes(conn, df, problems)
    names = functools.partial(_code_names, conn)
    todo = df["district_code"].isna() & df["district_name"].notna()
    _by_name(df, todo, "district_name", "district_code", None, names("district"), "district", "所属区", problems)
    located = (df["lon"].notna() & df["lat"].notna()) | df["community_code"].notna()
    todo = ~located & df["street_code"].isna() & df["street_name"].notna()
    if todo.any():
        _by_name(
            df, todo, "street_name", "street_code", "district_code", names("street"), "street", "所属街道", problems
        )
    df["_scope"] = df["street_code"].where(df["street_code"].notna(), df["district_code"])
    todo = ~located & df["community_name"].notna()
    if todo.any():
        units = names("community")
        _by_name(df, todo, "community_name", "community_code", "_scope", units, "community", "所属社区", problems)
    df.drop(columns="_scope", inplace=True)


def _trees(conn, districts) -> dict[str, tuple[bool, pd.DataFrame]]:
    """The districts' own category trees: district → (whether it replaces the default tree, its categories: code,
    source_code, time_limit, time_limit_unit, accept_limit_hours)."""
    wanted = sorted({d for d in districts if isinstance(d, str)})
    if not wanted:
        return {}
    trees = conn.execute(
        sa.text("SELECT district_code, replaces FROM category_tree WHERE district_code = ANY(:d)"), {"d": wanted}
    ).all()
    rows = pd.read_sql_query(
        sa.text(
            "SELECT district_code, code, source_code, time_limit, time_limit_unit, accept_limit_hours "
            "FROM district_category WHERE district_code = ANY(:d)"
        ),
        conn,
        params={"d": wanted},
    )
    return {d: (replaces, rows[rows["district_code"] == d].drop(columns="district_code")) for d, replaces in trees}


def _category_by_name(conn, df, problems, mapping: dict | None, trees: dict) -> None:
    """Level-3 category codes from a name or a path (市容环境>市容秩序>占道经营), after the file's own
    mapping (--map-categories, or the profile's); a name the tree lacks is reported on its rows and once with its
    count. A district with its own tree (``trees``) is matched against it first (its own codes, then its names),
    and against the default tree only when its tree extends it."""
    if mapping:
        target = df["category_name"].map(mapping)
        is_code = target.str.fullmatch(r"[0-9]{6}").fillna(False).astype(bool)
        df.loc[is_code, "category_code"] = target[is_code]
        df.loc[target.notna() & ~is_code, "category_name"] = target
    own = df["district_code"].isin(list(trees))
    for district, (_, tree) in trees.items():  # the district's own codes (分类代码) first
        rows = own & (df["district_code"] == district) & df["category_code"].notna()
        codes = df.loc[rows, "category_code"].map(dict(zip(tree["source_code"], tree["code"], strict=True)))
        df.loc[codes.index[codes.notna()], "category_code"] = codes[codes.notna()]
    cats = pd.read_sql_query(sa.text("SELECT code, name, level, district_code FROM issue_category"), conn)
    name = dict(zip(cats["code"], cats["name"], strict=True))
    leaves = cats[cats["level"] == 3]
    default = set(leaves.loc[leaves["district_code"].isna(), "code"])
    allowed = {None: default} | {
        d: set(tree["code"]) | (default if not replaces else set()) for d, (replaces, tree) in trees.items()
    }
    paths = {c: (normal(name[c[:2]]), normal(name[c[:4]]), normal(name[c])) for c in leaves["code"]}
    shown = {c: ">".join((name[c[:2]], name[c[:4]], name[c])) for c in paths}
    tree_of = df["district_code"].where(own, None)
    todo = df["category_code"].isna() & df["category_name"].notna()
    # A code where a name was expected (诉求类型 holding 010201, or 10201 after Excel): the code it is.
    code = df["category_name"].where(todo).str.strip().str.zfill(6)
    is_code = code.isin(list(paths))
    df.loc[is_code, "category_code"] = code[is_code]
    todo &= ~is_code
    for (tree, value), rows in df[todo].groupby([tree_of[todo].fillna(""), "category_name"]).groups.items():
        codes = allowed[tree or None]
        parts = tuple(split_path(value))[-3:]
        hits = [c for c in codes if parts and paths[c][-len(parts) :] == parts]
        if len(hits) == 1:
            df.loc[rows, "category_code"] = hits[0]
            continue
        if hits:
            params = {"unit": "category", "candidates": "、".join(sorted(shown[c] for c in hits))}
            problems += [Problem(_row(i), "事件分类", value, "ambiguous_name", params) for i in rows]
            continue
        near = "、".join(nearest(parts[-1] if parts else value, sorted(name[c] for c in codes))) or "—"
        problems.append(
            Problem(0, "事件分类", value, "unknown_category", {"value": value, "n": len(rows), "nearest": near})
        )
        params = {"unit": "category", "candidates": near}
        problems += [Problem(_row(i), "事件分类", value, "unknown_name", params) for i in rows]
    neither = df["category_code"].isna() & df["category_name"].isna()
    problems += [Problem(_row(i), "事件分类代码", "", "needs_category") for i in df.index[neither]]


def _stored_deadlines(conn, df: pd.DataFrame) -> pd.DataFrame:
    """The stored category_code, due_at and accept_due_at of each row's work order (NaN for a new one), row by row."""
    sql = "SELECT code, category_code, due_at, accept_due_at FROM issue WHERE code = ANY(:c)"
    found = pd.read_sql_query(sa.text(sql), conn, params={"c": df["code"].dropna().unique().tolist()})
    return df[["code"]].merge(found, on="code", how="left").reset_index(drop=True)


def _limits(conn, df: pd.DataFrame, trees: dict) -> pd.DataFrame:
    """Each row's category limits (time_limit, time_limit_unit, accept_limit_hours; NaN where its category is
    not one its district may use): the district's own tree's, else the default tree's."""
    cats = pd.read_sql_query(
        sa.text(
            "SELECT code, time_limit, time_limit_unit, accept_limit_hours FROM issue_category "
            "WHERE level = 3 AND district_code IS NULL"
        ),
        conn,
    )
    own = [tree.assign(district_code=d) for d, (_, tree) in trees.items()]
    default = [cats.assign(district_code=d) for d, (replaces, _) in trees.items() if not replaces]
    by_district = pd.concat([*own, *default]).drop_duplicates(["district_code", "code"]) if own else None
    keys = df[["district_code", "category_code"]].rename(columns={"category_code": "code"})
    plain = keys.merge(cats, on="code", how="left")
    if by_district is None:
        return plain.set_index(df.index)
    special = keys.merge(by_district.drop(columns="source_code"), on=["district_code", "code"], how="left")
    in_tree = keys["district_code"].isin(list(trees))
    for col in ("time_limit", "time_limit_unit", "accept_limit_hours"):
        plain[col] = special[col].where(in_tree.to_numpy(), plain[col]).infer_objects()
    return plain.set_index(df.index)


def _department_by_name(conn, df, problems, options: dict) -> None:
    """Department codes from their names within the row's district. With ``create_departments`` a name the
    district lacks becomes a new department (kind 其他, the district's next code), recorded in
    ``options["new_departments"]`` and inserted by the load; ambiguous names stay problems. A profile's map
    (``options["departments"]``: the file's name → a name or code of the store) is applied first."""
    if options.get("departments"):
        target = df["department_name"].map(options["departments"])
        is_code = target.isin(set(_code_names(conn, "department")["code"]))
        df.loc[is_code, "department_code"] = target[is_code]
        df.loc[target.notna() & ~is_code, "department_name"] = target
    todo = df["department_code"].isna() & df["department_name"].notna()
    if not todo.any():
        return
    units = _code_names(conn, "department")
    found: list[Problem] = []
    _by_name(df, todo, "department_name", "department_code", "district_code", units, "department", "承办单位", found)
    if not options.get("create_departments"):
        problems += found
        return
    unknown = {p.row for p in found if p.key == "unknown_name"}
    problems += [p for p in found if p.row not in unknown]
    rows = df.index[[(_row(i) in unknown) for i in df.index]]
    rows = rows[df.loc[rows, "district_code"].notna()]
    new = df.loc[rows, ["district_code", "department_name"]].drop_duplicates()
    last = units["code"].str.extract(r"^([0-9]{6})D([0-9]+)$").dropna().astype({1: int}).groupby(0)[1].max()
    codes = {
        (district, name): f"{district}D{k:03d}"
        for district, names in new.groupby("district_code", sort=True)["department_name"]
        for k, name in enumerate(sorted(names), start=int(last.get(district, 0)) + 1)
    }
    keys = zip(df.loc[rows, "district_code"], df.loc[rows, "department_name"], strict=True)
    df.loc[rows, "department_code"] = [codes[key] for key in keys]
    options["new_departments"] = pd.DataFrame(
        [{"code": c, "district_code": d, "name": n, "kind": "other"} for (d, n), c in codes.items()],
        columns=["code", "district_code", "name", "kind"],
    )


def _resolve_issues(conn, kind, df, problems, options=None):
    options = options or {}
    _place_by_names(conn, df, problems, options.get("district"))
    _place(conn, kind, df, problems)
    _needs_place(df, problems)
    trees = _trees(conn, df["district_code"].unique())
    _category_by_name(conn, df, problems, options.get("categories"), trees)
    _department_by_name(conn, df, problems, options)
    empty_source = df["source_channel"].isna()
    problems += [Problem(_row(i), "来源渠道", "", "empty") for i in df.index[empty_source]]
    # Excel drops a category code's leading zero (010101 → 10101): padded back when that names a category.
    limits = _limits(conn, df, trees)
    padded = df["category_code"].str.zfill(6)
    short = df["category_code"].str.fullmatch(r"[0-9]{1,5}").fillna(False).astype(bool)
    lost_zero = short & limits["time_limit"].isna()
    if lost_zero.any():
        df.loc[lost_zero, "category_code"] = padded[lost_zero]
        limits = _limits(conn, df, trees)
    # A work order delivered again (closed since, evaluated) in the category it was stored with keeps the deadlines
    # it was judged by, whatever tree the district has now.
    stored = _stored_deadlines(conn, df)
    same = df["category_code"].to_numpy() == stored["category_code"].to_numpy()
    again = df["category_code"].notna() & pd.Series(same, index=df.index)
    known = limits["time_limit"].notna()
    unknown = df["category_code"].notna() & ~known & ~again
    _flag(problems, df, unknown, "事件分类代码", df["category_code"], "unknown_ref", unit="category")
    keep_due = again & df["due_at"].isna()
    df.loc[keep_due, "due_at"] = pd.to_datetime(stored.loc[keep_due.to_numpy(), "due_at"]).to_numpy()
    known &= df["reported_at"].notna() & ~again
    df["category_l1"] = df["category_code"].str[:2]
    df["category_l2"] = df["category_code"].str[:4]
    missing_due = known & df["due_at"].isna()
    if missing_due.any():
        lim = limits[missing_due]
        df.loc[missing_due, "due_at"] = deadline(
            pd.to_datetime(df.loc[missing_due, "reported_at"]),
            lim["time_limit"].to_numpy(),
            lim["time_limit_unit"].to_numpy(),
        ).to_numpy()
    # The acceptance deadline (受理时限) from the category; none when the category has no limit.
    df["accept_due_at"] = pd.to_datetime(stored["accept_due_at"]).where(again.to_numpy()).to_numpy()
    if known.any():
        hours = limits.loc[known, "accept_limit_hours"].to_numpy(dtype=float)
        df.loc[known, "accept_due_at"] = (
            pd.to_datetime(df.loc[known, "reported_at"]) + pd.to_timedelta(hours, unit="h")
        ).to_numpy()
    if "department_code" in df:
        depts = set(pd.read_sql_query(sa.text("SELECT code FROM department"), conn)["code"])
        if options.get("new_departments") is not None:
            depts |= set(options["new_departments"]["code"])
        unknown = df["department_code"].notna() & ~df["department_code"].isin(depts)
        _flag(problems, df, unknown, "承办单位代码", df["department_code"], "unknown_ref", unit="department")
    if "reporter_code" in df:
        known_workers = pd.read_sql_query(sa.text("SELECT code FROM grid_worker"), conn)["code"]
        unknown = df["reporter_code"].notna() & ~df["reporter_code"].isin(known_workers)
        _flag(problems, df, unknown, "上报人编号", df["reporter_code"], "unknown_ref", unit="worker")


def _resolve_categories(conn, kind, df, problems, options):
    """A district's tree: each row's stored category, found by its path (names normalised) among every stored
    category or added under the next free code of its parent (in ``options["new_categories"]``, inserted by the
    load). The file is the district's whole tree."""
    if options.get("district"):
        df["district_code"] = df["district_code"].fillna(options["district"])
    missing = df["district_code"].isna()
    problems += [Problem(_row(i), "区划代码", "", "tree_district") for i in df.index[missing]]
    unknown = df["district_code"].notna() & ~df["district_code"].isin(_known(conn, "district", df["district_code"]))
    _flag(problems, df, unknown, "区划代码", df["district_code"], "unknown_ref", unit="district")
    sql = "SELECT code, coalesce(parent_code, '') AS parent, name FROM issue_category ORDER BY district_code NULLS LAST"
    cats = pd.read_sql_query(sa.text(sql), conn)  # the default tree's last: it wins a path two trees added
    found = {(p, normal(n)): c for c, p, n in zip(cats["code"], cats["parent"], cats["name"], strict=True)}
    used = set(cats["code"])
    added = []

    def code_of(parent: str, name: str, row) -> str | None:
        key = (parent, normal(name))
        if key not in found:
            free = next((f"{parent}{k:02d}" for k in range(1, 100) if f"{parent}{k:02d}" not in used), None)
            if free is None:
                return None
            found[key] = free
            used.add(free)
            level = len(free) // 2
            limits = row if level == 3 else {"time_limit": None, "time_limit_unit": None, "accept_limit_hours": None}
            added.append(
                {
                    "code": free,
                    "parent_code": parent or None,
                    "level": level,
                    "name": name,
                    "name_en": name,
                    "time_limit": limits["time_limit"],
                    "time_limit_unit": limits["time_limit_unit"],
                    "accept_limit_hours": limits["accept_limit_hours"],
                    "district_code": row["district_code"],
                }
            )
        return found[key]

    ok = df["district_code"].notna() & ~unknown & df[["l1_name", "l2_name", "name", "time_limit"]].notna().all(axis=1)
    df["code"] = None
    for i in df.index[ok]:
        row = df.loc[i]
        code = ""
        for name in (row["l1_name"], row["l2_name"], row["name"]):
            code = code_of(code, name, row) if code is not None else None
        if code is None:
            problems.append(Problem(_row(i), "三级分类", row["name"], "tree_full"))
        df.at[i, "code"] = code
    path = df["district_code"].astype("string") + "/" + df["code"].astype("string")
    dup = df["code"].notna() & path.duplicated(keep="first")
    first = {p: _row(i) for i, p in path[df["code"].notna()].drop_duplicates().items()}
    problems += [Problem(_row(i), "三级分类", df.at[i, "name"], "duplicate", {"first": first[path[i]]})
                 for i in df.index[dup]]  # fmt: skip
    options["new_categories"] = pd.DataFrame(added, columns=[c.name for c in schema.issue_category.columns])


def _resolve_workers(conn, kind, df, problems):
    _place(conn, kind, df, problems)
    _needs_place(df, problems)
    early = df["left_on"].notna() & df["joined_on"].notna() & (df["left_on"] < df["joined_on"])
    _flag(problems, df, early, "离职日期", df["left_on"], "dates_order", joined="")


def _ref_ids(conn, df, problems, table: str, column: str, label: str, unit: str) -> pd.Series:
    """The id of the ``table`` row each row names by code in ``column`` (an unknown code is a problem)."""
    rows = _ids(conn, table, df[column])
    unknown = df[column].notna() & ~df[column].isin(rows.index)
    _flag(problems, df, unknown, label, df[column], "unknown_ref", unit=unit)
    return df[column].map(rows["id"]).astype("Int64")


def _team_ids(conn, df, problems):
    df["team_id"] = _ref_ids(conn, df, problems, "volunteer_team", "team_code", "队伍编码", "team")


def _resolve_volunteers(conn, kind, df, problems):
    _place(conn, kind, df, problems)
    _team_ids(conn, df, problems)


def _resolve_activities(conn, kind, df, problems):
    vols = _ids(conn, "volunteer", df["volunteer_code"], ", community_code, team_id")
    unknown = df["volunteer_code"].notna() & ~df["volunteer_code"].isin(vols.index)
    _flag(problems, df, unknown, "志愿者编号", df["volunteer_code"], "unknown_ref", unit="volunteer")
    df["volunteer_id"] = df["volunteer_code"].map(vols["id"]).astype("Int64")
    df["community_code"] = df["community_code"].where(
        df["community_code"].notna(), df["volunteer_code"].map(vols["community_code"])
    )
    _place(conn, kind, df, problems)
    _team_ids(conn, df, problems)
    df["team_id"] = df["team_id"].where(df["team_id"].notna(), df["volunteer_code"].map(vols["team_id"]))
    df["points"] = df["points"].fillna(0)


def _resolve_companies(conn, kind, df, problems):
    unknown = df["district_code"].notna() & ~df["district_code"].isin(_known(conn, "district", df["district_code"]))
    _flag(problems, df, unknown, "区代码", df["district_code"], "unknown_ref", unit="district")


def _compound_places(conn, df, problems) -> None:
    """The community, street and district of each row's compound (an unknown compound is a problem)."""
    places = pd.read_sql_query(
        sa.text("SELECT code, community_code, street_code, district_code FROM compound WHERE code = ANY(:c)"),
        conn,
        params={"c": sorted(set(df["compound_code"].dropna()))},
    ).set_index("code")
    unknown = df["compound_code"].notna() & ~df["compound_code"].isin(places.index)
    _flag(problems, df, unknown, "小区编码", df["compound_code"], "unknown_ref", unit="compound")
    for col in ("community_code", "street_code", "district_code"):
        df[col] = df["compound_code"].map(places[col])


def _no_more_than(df, problems, part: str, whole: str, label: str, key: str) -> None:
    """A problem for every row whose ``part`` exceeds its ``whole`` (collected over billed, entered over known)."""
    over = df[part].notna() & df[whole].notna() & (df[part] > df[whole])
    for i in df.index[over.to_numpy(dtype=bool)]:
        problems.append(Problem(_row(i), label, str(df.at[i, part]), key, {"whole": df.at[i, whole]}))


def _company_ids(conn, df, problems) -> pd.Series:
    """The id of each row's property company (by its credit code)."""
    return _ref_ids(conn, df, problems, "property_company", "property_company_code", "物业企业代码", "company")


def _resolve_fees(conn, kind, df, problems):
    _compound_places(conn, df, problems)
    df["company_id"] = _company_ids(conn, df, problems)
    _no_more_than(df, problems, "collected", "billed", "实收物业费(元)", "collected_range")


def _resolve_registry(conn, kind, df, problems):
    _compound_places(conn, df, problems)
    _no_more_than(df, problems, "houses_entered", "houses", "已录入房屋(套)", "entered_range")
    _no_more_than(df, problems, "people_entered", "people", "已录入人口(人)", "entered_range")


def _resolve_partners(conn, kind, df, problems):
    """The district from the community when one is given, else the row's 区代码 (both: they must agree)."""
    given = df["district_code"].copy()
    _place(conn, kind, df, problems)
    clash = given.notna() & df["community_code"].notna() & (df["community_code"].str[:6] != given)
    for i in df.index[clash.to_numpy(dtype=bool)]:  # the community's code names another district
        problems.append(
            Problem(
                _row(i),
                "区代码",
                given[i],
                "not_in_parent",
                {"unit": "district", "code": df.at[i, "community_code"][:6]},
            )
        )
    df["district_code"] = df["district_code"].where(df["district_code"].notna(), given)
    unknown = df["district_code"].notna() & ~df["district_code"].isin(_known(conn, "district", df["district_code"]))
    _flag(problems, df, unknown, "区代码", df["district_code"], "unknown_ref", unit="district")
    _flag(problems, df, df["district_code"].isna(), "区代码", df["district_code"].fillna(""), "needs_district")


def _resolve_projects(conn, kind, df, problems):
    """The place from the community; the partner unit by its name in the district (共建单位)."""
    _place(conn, kind, df, problems)
    _needs_place(df, problems)
    wanted = df[["district_code", "partner"]].dropna()
    units = pd.read_sql_query(
        sa.text("SELECT id, district_code, name FROM partner_unit WHERE name = ANY(:n)"),
        conn,
        params={"n": sorted(set(wanted["partner"]))},
    )
    ids = units.set_index(["district_code", "name"])["id"]
    keys = list(zip(df["district_code"], df["partner"]))
    df["partner_unit_id"] = pd.array([ids.get(k) for k in keys], dtype="Int64")
    unknown = df["partner"].notna() & df["district_code"].notna() & df["partner_unit_id"].isna()
    _flag(problems, df, unknown, "共建单位", df["partner"], "unknown_partner")


def _resolve_items(conn, kind, df, problems):
    _place(conn, kind, df, problems)
    _needs_place(df, problems)
    df["station_id"] = _ref_ids(conn, df, problems, "service_station", "station_code", "办理阵地编码", "station")


def _resolve_questions(conn, kind, df, problems):
    _place(conn, kind, df, problems)
    _needs_place(df, problems)


def _resolve_committees(conn, kind, df, problems):
    _compound_places(conn, df, problems)
    df["kind"] = df["kind"].fillna("owners_committee")
    over = df["party_members"].notna() & df["members"].notna() & (df["party_members"] > df["members"])
    for i in df.index[over.to_numpy(dtype=bool)]:
        problems.append(
            Problem(
                _row(i), "党员人数", str(df.at[i, "party_members"]), "members_range", {"members": df.at[i, "members"]}
            )
        )


def _resolve_party_orgs(conn, kind, df, problems):
    _place(conn, kind, df, problems)
    compounds = _known(conn, "compound", df["compound_code"])
    unknown = df["compound_code"].notna() & ~df["compound_code"].isin(compounds)
    _flag(problems, df, unknown, "小区编码", df["compound_code"], "unknown_ref", unit="compound")
    branch = df["level"] == "branch"
    wrong = df["level"].notna() & (branch != df["branch_kind"].notna())
    _flag(problems, df, wrong, "支部类型", df["branch_kind"].fillna(""), "branch_kind")
    street_level = df["level"] == "street_committee"
    no_street = street_level & df["street_code"].isna()
    _flag(problems, df, no_street, "街道代码", df["level"], "level_place", what="街道代码")
    no_community = df["level"].notna() & ~street_level & df["community_code"].isna()
    _flag(problems, df, no_community, "社区代码", df["level"], "level_place", what="社区代码")
    parents = _known(conn, "party_org", df["parent_code"]) | set(df["code"].dropna())
    orphan = df["parent_code"].notna() & (~df["parent_code"].isin(parents) | (df["parent_code"] == df["code"]))
    _flag(problems, df, orphan, "上级组织编码", df["parent_code"], "unknown_ref", unit="party_org")


def _geometry_columns(df: pd.DataFrame) -> None:
    geoms = df["g"].to_numpy()
    ok = pd.notna(geoms)
    cent = shapely.centroid(geoms[ok])
    df["geom"], df["area_km2"], df["centroid_lon"], df["centroid_lat"] = None, np.nan, np.nan, np.nan
    df.loc[ok, "geom"] = pd.Series(list(shapely.to_wkb(geoms[ok])), index=df.index[ok], dtype=object)
    df.loc[ok, "area_km2"] = area_km2(geoms[ok])
    df.loc[ok, "centroid_lon"], df.loc[ok, "centroid_lat"] = shapely.get_x(cent), shapely.get_y(cent)
    df["srid"] = 4326


def _outside_parent(df, parents: pd.DataFrame, parent_col: str, unit: str, problems) -> None:
    """Report boundaries with more than OUTSIDE_SHARE of their area outside their parent unit."""
    has = df[parent_col].isin(parents.index) & df["g"].notna()
    if not has.any():
        return
    mine = df.loc[has, "g"].to_numpy()
    theirs = shapely.buffer(parents.loc[df.loc[has, parent_col], "g"].to_numpy(), OUTSIDE_TOLERANCE_DEG)
    share = 1 - shapely.area(shapely.intersection(mine, theirs)) / shapely.area(mine)
    for i, s in zip(df.index[has], share, strict=True):
        if s > OUTSIDE_SHARE:
            problems.append(
                Problem(
                    _row(i),
                    "geometry",
                    f"{s:.0%}",
                    "outside_parent",
                    {"share": f"{s * 100:.0f}", "unit": unit, "code": df.at[i, parent_col]},
                )
            )


def _periods(stored: pd.DataFrame, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Valid from and to of the stored units then the file's rows, in that order (no date: open-ended)."""

    def days(column: str, default: str) -> np.ndarray:
        values = [f[column] if column in f.columns else pd.Series(pd.NaT, index=f.index) for f in (stored, rows)]
        out = pd.to_datetime(pd.concat(values, ignore_index=True)).to_numpy("datetime64[D]")
        return np.where(np.isnat(out), np.datetime64(default), out)

    return days("valid_from", "0001-01-01"), days("valid_to", "9999-12-31")


def _overlaps(conn, level: str, df: pd.DataFrame, problems: list[Problem]) -> None:
    """Report boundaries that overlap another unit of their level, stored (other codes) or in the file.

    Units of one level tile their parent; a grid drawn over another would place the issues of the
    overlap in either. Slivers where two outlines were digitised a little differently stay below
    OVERLAP_SHARE and pass.
    """
    has = (df["g"].notna() & df["code"].notna()).to_numpy()
    if not has.any():
        return
    mine, codes, rows = df.loc[has, "g"].to_numpy(), df.loc[has, "code"].to_numpy(), df.index[has]
    where, params = "WHERE code <> ALL(:c)", {"c": sorted(set(codes))}
    if level != "district":
        where += " AND district_code = ANY(:d)"
        params["d"] = sorted({c[:6] for c in codes})
    if level in ("grid", "micro_grid"):  # units with a layout period: only those valid at the same time clash
        stored = _units(conn, level, params["d"]).drop(index=codes, errors="ignore")
    else:
        stored = _geoms(conn, level, where, params)
    others = np.concatenate([stored["g"].to_numpy(), mine]) if len(stored) else mine
    other_codes = np.concatenate([stored.index.to_numpy(), codes]) if len(stored) else codes
    a, b = shapely.STRtree(others).query(mine, predicate="intersects")
    within_file = b - len(stored)
    keep = (within_file < 0) | (within_file > a)  # each pair of the file's own once, and no unit with itself
    a, b = a[keep], b[keep]
    if "valid_to" in stored.columns or "valid_to" in df.columns:
        start, end = _periods(stored, df.loc[has])
        n = len(stored)  # a: the file's rows (after the stored units), b: stored units, then the file's rows
        same_time = (start[n + a] < end[b]) & (start[b] < end[n + a])  # a replaced layout does not clash
        a, b = a[same_time], b[same_time]
    if not len(a):
        return
    share = shapely.area(shapely.intersection(mine[a], others[b])) / np.minimum(
        shapely.area(mine[a]), shapely.area(others[b])
    )
    for i, j, s in zip(a, b, share, strict=True):
        if s > OVERLAP_SHARE:
            params = {"unit": level, "code": other_codes[j], "share": f"{s * 100:.0f}"}
            problems.append(Problem(_row(rows[i]), "geometry", f"{s:.0%}", "overlaps", params))


# Columns a unit file may leave out and keep: a grid's or micro-grid's period (a file without 启用日期/停用日期 does
# not revive an ended unit, nor clash with the layout that replaced it), a community's 常住人口.
_KEPT = {"grid": ("valid_from", "valid_to"), "micro_grid": ("valid_from", "valid_to"), "community": ("residents",)}


def _kept_columns(conn, level: str, df: pd.DataFrame) -> None:
    """The stored values of the units a file updates, for the _KEPT columns the file has no header for."""
    absent = [c for c in _KEPT.get(level, ()) if c in df.attrs.get("absent", ())]
    if not absent:
        return
    stored = pd.read_sql_query(
        sa.text(f"SELECT code, {', '.join(absent)} FROM {level} WHERE code = ANY(:c)"),
        conn,
        params={"c": sorted(set(df["code"].dropna()))},
    ).set_index("code")
    for col in absent:
        df[col] = df["code"].map(stored[col])


def _resolve_units(conn, kind, df, problems):
    """Districts, streets, communities, grids and micro-grids: the parent is the code's prefix."""
    level = kind.table
    _kept_columns(conn, level, df)
    _overlaps(conn, level, df, problems)
    if level == "district":
        df["city_code"] = df["city_code"].where(df["city_code"].notna(), df["code"].str[:4] + "00")
        cities = _known(conn, "city", df["city_code"])
        new_city = df["city_code"].notna() & ~df["city_code"].isin(cities)
        unnamed = new_city & (df["city_name"].isna() | df["province"].isna())
        _flag(problems, df, unnamed, "城市代码", df["city_code"], "city_name")
        return
    parent = PARENT[level]
    pcol = f"{parent}_code"
    df[pcol] = df["code"].str[: LENGTH[parent]]
    parents = _geoms(conn, parent, "WHERE code = ANY(:c)", {"c": sorted(set(df[pcol].dropna()))})
    unknown = df[pcol].notna() & ~df[pcol].isin(parents.index)
    _flag(problems, df, unknown, kind.column("code").zh, df["code"], "unknown_ref", unit=parent)
    _outside_parent(df, parents, pcol, parent, problems)
    for coarser, n in LENGTH.items():
        if n < LENGTH.get(level, 20):
            df[f"{coarser}_code"] = df["code"].str[:n]
    if "kind" in df.columns:
        df["kind"] = df["kind"].fillna(kind.enums["kind"][0])


def _resolve_compounds(conn, kind, df, problems):
    communities = _geoms(conn, "community")
    given = df["community_code"]
    unknown = given.notna() & ~given.isin(communities.index)
    _flag(problems, df, unknown, "社区代码", given, "unknown_ref", unit="community")
    has_g = df["g"].notna().to_numpy()
    derive = given.isna().to_numpy() & has_g
    reps = shapely.point_on_surface(df.loc[derive, "g"].to_numpy())
    df.loc[derive, "community_code"] = _locate(communities, reps)
    nowhere = derive & df["community_code"].isna().to_numpy()
    _flag(problems, df, nowhere, "geometry", df["code"], "nowhere", unit="community")
    _outside_parent(df, communities, "community_code", "community", problems)
    df["street_code"] = df["community_code"].str[:9]
    df["district_code"] = df["community_code"].str[:6]
    df["property_company_id"] = _company_ids(conn, df, problems)
    grids = _units(conn, "grid", set(df["district_code"].dropna()))
    grids = grids[grids["valid_to"].isna()]  # today's layout
    placed = df["g"].notna().to_numpy()
    rel = classify_compounds(to_albers(df.loc[placed, "g"].to_numpy()), to_albers(grids["g"].to_numpy()), grids.index)
    df["grid_code"], df["grid_relation"] = None, None
    df.loc[placed, "grid_code"] = rel["grid_code"].to_numpy()
    df.loc[placed, "grid_relation"] = rel["relation"].to_numpy()


RESOLVE = {
    "stations": _place,
    "grid-workers": _resolve_workers,
    "volunteers": _resolve_volunteers,
    "activities": _resolve_activities,
    "property-companies": _resolve_companies,
    "owners-committees": _resolve_committees,
    "property-fees": _resolve_fees,
    "housing-registry": _resolve_registry,
    "partner-units": _resolve_partners,
    "projects": _resolve_projects,
    "service-items": _resolve_items,
    "questions": _resolve_questions,
    "party-orgs": _resolve_party_orgs,
    "compounds": _resolve_compounds,
}


def resolve(conn, kind: Kind, values: pd.DataFrame, options: dict | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Check codes against the store and derive hierarchy and spatial keys (``options``: the issues' district
    and category mapping)."""
    problems: list[Problem] = []
    df = values.copy()
    if kind.name == "issues":
        _resolve_issues(conn, kind, df, problems, options)
    elif kind.name == "categories":
        _resolve_categories(conn, kind, df, problems, options)
    else:
        RESOLVE.get(kind.name, _resolve_units)(conn, kind, df, problems)
    if kind.layer:
        _geometry_columns(df)
    return df, problems


def _default_sql(column: sa.Column) -> str:
    arg = column.server_default.arg
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    return str(arg.compile(dialect=sa.dialects.postgresql.dialect()))


def _value(table: sa.Table, c: str) -> str:
    """A staged column as it will be stored: an empty cell takes the column's default (members = 0 …)."""
    if table.c[c].server_default is None:
        return f's."{c}"'
    return f'COALESCE(s."{c}", {_default_sql(table.c[c])})'


def _stage(conn, kind: Kind, df: pd.DataFrame) -> list[str]:
    """COPY the rows into a temporary table ``_stage`` with their file row (``_row``); the staged columns."""
    table = schema.metadata.tables[kind.table]
    cols = [c.name for c in table.columns if c.name in df.columns and c.name != "id" and c.computed is None]
    listed = ", ".join(f'"{c}"' for c in cols)
    conn.execute(
        sa.text(
            f'CREATE TEMP TABLE _stage ON COMMIT DROP AS SELECT {listed}, 0 AS _row FROM "{kind.table}" WITH NO DATA'
        )
    )
    copy_dataframe(conn, "_stage", df[cols].assign(_row=[_row(i) for i in df.index]))
    conn.execute(sa.text("ANALYZE _stage"))
    return cols


# What the store's rules (CHECK constraints) mean, for the rows that break one: rule → the column to name.
RULE_COLUMNS = {
    "place_nested": "community_code",
    "due_after_report": "due_at",
    "satisfaction_enum": "satisfaction",
    "resolved_evaluated": "resolved",
    "lifecycle_order": "reported_at",
    "suspended_with_reason": "suspended_at",
    "dates_order": "left_on",
    "members_range": "party_members",
    "amounts_valid": "collected",
    "entered_within": "houses_entered",
    "finished_when_done": "finished_on",
    "answered_when_handled": "answered_on",
    "validity_order": "valid_to",
    "hours_range": "hours",
    "lonlat_range": "lon",
}


def _broken_rules(conn, kind: Kind, cols: list[str]) -> list[Problem]:
    """The staged rows that break one of the table's rules — a CHECK constraint, a NOT NULL — as the load
    would find them.

    The same test a dry run makes, so that a file that passes the check also loads (the rules are the
    table's own, from ``schema``; none of their text comes from the file).
    """
    table = schema.metadata.tables[kind.table]
    stored_columns = [c for c in table.columns if c.computed is None and c.name != "id"]
    rules = [(f"ck_{kind.table}_{str(c.name).removeprefix(f'ck_{kind.table}_')}", str(c.sqltext))
             for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name]  # fmt: skip
    rules += [(f"not_null_{c.name}", f'"{c.name}" IS NOT NULL') for c in stored_columns if not c.nullable]

    def stored(c: sa.Column) -> str:
        if c.name in cols:
            return _value(table, c.name)
        default = "NULL" if c.server_default is None else _default_sql(c)
        return f"CAST({default} AS {c.type.compile(dialect=conn.dialect)})"

    values = ", ".join(f'{stored(c)} AS "{c.name}"' for c in stored_columns)
    broken = [f"({sql}) IS FALSE" for _, sql in rules]
    staged = f"SELECT s._row, {values} FROM _stage s"
    rows = conn.execute(
        sa.text(f"SELECT _row, ARRAY[{', '.join(broken)}] FROM ({staged}) v WHERE {' OR '.join(broken)}")
    ).all()
    zh = {k.name: k.zh for k in kind.columns}
    problems = []
    for row, hits in rows:
        for (name, _), hit in zip(rules, hits, strict=True):
            if hit:
                column = name.removeprefix("not_null_") if name.startswith("not_null_") else None
                column = column or next((c for rule, c in RULE_COLUMNS.items() if name.endswith(rule)), "")
                problems.append(Problem(row, zh.get(column, column), "", "store_rule", {"rule": name}))
    return problems


def _districts(conn, kind: Kind, cols: list[str]) -> list[str] | None:
    """The districts a load changes: those of its rows, and those the rows it updates were in before (None: it
    changes what every district reads, a table without a district)."""
    if "district_code" not in cols:
        return None
    same_key = " AND ".join(f't."{k}" = s."{k}"' for k in kind.upsert_key)
    return list(
        conn.execute(
            sa.text(
                f'SELECT district_code FROM _stage UNION SELECT t.district_code FROM "{kind.table}" t '
                f"JOIN _stage s ON {same_key}"
            )
        ).scalars()
    )


def _merge(conn, kind: Kind, cols: list[str]) -> tuple[int, int]:
    """Update the rows whose natural key exists, insert the others; (inserted, updated).

    An UPDATE and a plain INSERT rather than INSERT … ON CONFLICT: speculative insertion costs a
    quarter more on a million rows. The table lock keeps a second import of the same table out
    from the summaries' first look to the commit (readers are not blocked).
    """
    table = schema.metadata.tables[kind.table]
    listed = ", ".join(f'"{c}"' for c in cols)
    conn.execute(sa.text(f'LOCK TABLE "{kind.table}" IN SHARE ROW EXCLUSIVE MODE'))
    key = kind.upsert_key
    same_key = " AND ".join(f't."{k}" = s."{k}"' for k in key)
    summarised = kind.table in summary.RAW_TABLES
    if summarised:  # the old places of rows about to be updated, then the new places
        summary.touch(conn, kind.table, "_stage", join_on=key[0])
        summary.touch(conn, kind.table, "_stage")
    updates = ", ".join(f'"{c}" = {_value(table, c)}' for c in cols if c not in key) or f'"{key[0]}" = t."{key[0]}"'
    updated = conn.execute(sa.text(f'UPDATE "{kind.table}" t SET {updates} FROM _stage s WHERE {same_key}')).rowcount
    values = ", ".join(_value(table, c) for c in cols)
    if kind.table == "issue":  # numbered, and their repeats found, before the insert: each row is written once
        summary.number_new_issues(conn, cols)
        insert = f"INSERT INTO issue (id, repeat_of, {listed}) SELECT n.id, n.repeat_of, {values} FROM _stage s "
        inserted = _insert_issues(conn, insert + "JOIN _new n ON n._row = s._row")
    else:
        insert = f'INSERT INTO "{kind.table}" ({listed}) SELECT {values} FROM _stage s '
        insert += f'WHERE NOT EXISTS (SELECT FROM "{kind.table}" t WHERE {same_key})'
        inserted = conn.execute(sa.text(insert)).rowcount
    if summarised:
        summary.refresh_touched(conn, (kind.table,), numbered=kind.table == "issue")
    if kind.table == "issue":
        conn.execute(sa.text("DROP TABLE _new"))
    return inserted, updated


class _ReferenceBroken(Exception):
    """A loaded row names a row of another table that is not there (a foreign key's rule, checked for the load)."""


def _insert_issues(conn, insert: str) -> int:
    """Run ``insert`` (the new issues, numbered in ``_new``); the rows inserted.

    Where the role may switch its own session's per-row triggers off (a superuser: the embedded store's owner; or a
    role granted SET on ``session_replication_role``, PostgreSQL 15+), the foreign keys are checked once for the
    whole load rather than by a trigger per row and key (a million issues: 46 s instead of 67–73 s, measured in one
    transaction). The rows referred to are locked as the per-row check locks them (FOR KEY SHARE: nobody removes one
    before the commit), and a value that refers to nothing stops the load as the per-row check does, naming the key.
    """
    may = conn.execute(
        sa.text(
            "SELECT current_setting('is_superuser') = 'on' OR (current_setting('server_version_num')::int >= 150000 "
            "AND has_parameter_privilege('session_replication_role', 'SET'))"
        )
    ).scalar()
    if not may:
        return conn.execute(sa.text(insert)).rowcount
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    inserted = conn.execute(sa.text(insert)).rowcount
    conn.execute(sa.text("SET LOCAL session_replication_role = origin"))
    fks = schema.metadata.tables["issue"].foreign_key_constraints
    keys = [(fk.name, fk.column_keys[0], fk.elements[0].column) for fk in fks]  # each of one column
    listed = ", ".join(f'i."{col}"' for _, col, _ in keys)
    conn.execute(  # the distinct combinations of the keys in the new rows: one pass over them
        sa.text(f"CREATE TEMP TABLE _refs ON COMMIT DROP AS SELECT DISTINCT {listed} FROM issue i JOIN _new USING (id)")
    )
    for name, col, target in keys:
        missing = conn.execute(
            sa.text(
                f'WITH v AS (SELECT DISTINCT "{col}" AS c FROM _refs WHERE "{col}" IS NOT NULL), '
                f'k AS (SELECT r."{target.name}" AS c FROM "{target.table.name}" r '
                f'WHERE r."{target.name}" IN (SELECT c FROM v) FOR KEY SHARE) '
                "SELECT c FROM v EXCEPT SELECT c FROM k LIMIT 1"
            )
        ).first()
        if missing is not None:
            raise _ReferenceBroken(name)
    conn.execute(sa.text("DROP TABLE _refs"))
    return inserted


def _before(conn, kind: Kind, df: pd.DataFrame, report: Report) -> None:
    """Rows other tables need first: the cities of new districts, the departments an issues file creates."""
    if report.new_departments is not None and len(report.new_departments):
        insert_dataframe(conn, "department", report.new_departments)  # /import writes as the app role
    if kind.name == "categories":
        if report.new_categories is not None and len(report.new_categories):
            insert_dataframe(conn, "issue_category", report.new_categories.astype({"time_limit": "Int64"}))
        districts = sorted(set(df["district_code"]))
        conn.execute(  # the file is the district's whole tree: what it no longer has goes
            sa.text(
                "DELETE FROM district_category t WHERE district_code = ANY(:d) "
                "AND NOT EXISTS (SELECT FROM _stage s WHERE s.district_code = t.district_code AND s.code = t.code)"
            ),
            {"d": districts},
        )
        for district in districts:
            conn.execute(
                sa.text(
                    "INSERT INTO category_tree (district_code, replaces, loaded_at) "
                    "VALUES (:d, coalesce(:r, false), :t) ON CONFLICT (district_code) "
                    "DO UPDATE SET replaces = coalesce(:r, category_tree.replaces), loaded_at = :t"
                ),
                {"d": district, "r": report.replaces_tree, "t": clock.now()},
            )
    if kind.name == "districts":
        cities = df[["city_code", "city_name", "province"]].dropna().drop_duplicates("city_code")
        for city in cities.itertuples():
            conn.execute(
                sa.text("INSERT INTO city (code, name, province) VALUES (:c, :n, :p) ON CONFLICT (code) DO NOTHING"),
                {"c": city.city_code, "n": city.city_name, "p": city.province},
            )


def _after(conn, kind: Kind, df: pd.DataFrame, report: Report) -> None:
    """Links within the loaded rows (party organisations' parents) and the layer's provenance."""
    if kind.name == "party-orgs":
        links = df.loc[df["parent_code"].notna(), ["code", "parent_code"]]
        conn.execute(sa.text("CREATE TEMP TABLE _parents (code text, parent_code text) ON COMMIT DROP"))
        copy_dataframe(conn, "_parents", links)
        conn.execute(
            sa.text(
                "UPDATE party_org o SET parent_id = p.id FROM _parents l JOIN party_org p ON p.code = l.parent_code "
                "WHERE o.code = l.code"
            )
        )
    if kind.layer:
        conn.execute(
            sa.insert(schema.layer_source).values(
                layer=kind.table, source=Path(report.path).name, source_crs=report.crs, rows=len(df)
            )
        )


class UsageError(LookupError):
    """The command was wrong (an unknown kind, no such file): exit code 2, not a problem of the file."""


class _Rollback(Exception):
    pass


def _read(kind: Kind, path: Path, report: Report, crs, encoding, headers=()) -> tuple[pd.DataFrame, object]:
    if kind.layer:
        if path.suffix.lower() not in LAYER_SUFFIXES:
            raise FileProblem("layer_suffix", name=path.name)
        layer = read_layer(path, crs=crs, encoding=encoding)
        report.encoding, report.crs, report.notes = layer.encoding, layer.crs, layer.notes
        report.problems += layer.problems
        return layer.attributes, layer
    raw, report.encoding, problems, notes = read_table(path, encoding, kind, headers)
    report.crs = crs or "WGS-84"
    report.problems += problems
    report.notes += notes
    return raw, None


def _district(conn, given: str | None) -> str | None:
    """The code of the district ``--district`` names (by code or name)."""
    if not given:
        return None
    units = with_norm(_code_names(conn, "district"), "district")
    if given in set(units["code"]):
        return given
    code, _, candidates = match(given, units, "district")
    if code is None:
        near = f"; nearest: {', '.join(candidates)}" if candidates else ""
        raise UsageError(f"--district {given!r}: no such district{near}")
    return code


def _category_map(path: Path | str | None) -> dict | None:
    """--map-categories: a two-column CSV (header, then the file's category → a code, name or path)."""
    if not path:
        return None
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--map-categories: no such file: {path}")
    table, _, _, _ = read_table(path)
    if table.shape[1] != 2:
        raise FileProblem("category_map", name=path.name, n=table.shape[1])
    return {str(a).strip(): str(b).strip() for a, b in table.itertuples(index=False) if str(a).strip()}


def import_file(
    engine: sa.Engine,
    kind_name: str,
    path: Path | str,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    max_bytes: int = MAX_BYTES,
    **options,
) -> Report:
    """Validate ``path`` as ``kind_name`` and, when it is clean (or ``valid_rows_only``), load it.

    A dry run makes every check the load makes, the store's own rules included (on the staged rows,
    in a transaction that is rolled back), so a file that passes it loads. A file that cannot be
    read at all raises ``FileProblem`` with one message; a wrong kind or a missing file, ``UsageError``.
    ``options`` are those of ``import_table``.
    """
    if kind_name not in KINDS:
        raise UsageError(f"unknown kind {kind_name!r}; one of {', '.join(KINDS)}")
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    if path.stat().st_size > max_bytes:
        raise FileProblem("too_big", name=path.name, size=f"{path.stat().st_size:,}", limit=f"{max_bytes:,}")
    kind = KINDS[kind_name]
    report = Report(kind_name, str(path))
    profile = options.get("profile")
    raw, layer = _read(kind, path, report, crs, encoding, profile.headers if profile is not None else ())
    return import_table(engine, kind, raw, report, layer=layer, **options)


def import_table(
    engine: sa.Engine,
    kind: Kind,
    raw: pd.DataFrame,
    report: Report,
    *,
    layer=None,
    dry_run: bool = False,
    valid_rows_only: bool = False,
    district: str | None = None,
    map_categories: Path | str | None = None,
    create_departments: bool = False,
    replace_tree: bool | None = None,
    profile: Profile | None = None,
    in_load=None,
    evaluate_alerts: bool = True,
) -> Report:
    """Validate the rows of ``raw`` (the table as read, headers as the source wrote them) and load them.

    ``profile`` (导入方案) renames the source's columns and maps its categories, departments and district;
    ``replace_tree``: a category tree replaces the default tree in its districts (True), extends it (False), or keeps
    what the district had (None; a new tree extends); ``in_load(conn, report)`` runs in
    the load's transaction after the rows are written (a sync's watermark), so both commit or neither;
    ``evaluate_alerts``: an issues load evaluates the alert rules after it (a sync does once, after its run).
    """
    if kind.name == "categories" and valid_rows_only:
        raise UsageError("a category tree is the district's whole tree: it loads whole or not at all")
    report.rows = len(raw)
    report.preview = raw.head(20).astype(str)  # as the source wrote it
    if profile is not None:
        raw = profile.apply(raw, report.notes)
        district = district or profile.district
    mapped, problems, notes = map_headers(raw, kind)
    report.problems = problems + report.problems
    report.notes += notes
    if any(p.key == "missing_column" for p in report.problems):
        return report
    values, problems, notes = parse(mapped, kind, report.crs)
    report.problems += problems
    report.notes += notes
    if layer is not None:
        values["g"] = layer.geoms
        usable = values[values["g"].notna()]
        report.shapes = pd.DataFrame(
            {"code": usable["code"], "name": usable["name"], "geom": list(shapely.to_wkb(usable["g"].to_numpy()))}
        )
    with engine.connect() as conn:
        categories = _category_map(map_categories)
        if profile is not None and profile.categories:
            categories = {**profile.categories, **(categories or {})}
        options = {
            "district": _district(conn, district),
            "categories": categories,
            "departments": profile.departments if profile is not None else None,
            "create_departments": create_departments,
        }
        values, problems = resolve(conn, kind, values, options)
    report.problems += problems
    report.new_departments = options.get("new_departments")
    report.new_categories = options.get("new_categories")
    report.replaces_tree = replace_tree
    if report.new_departments is not None and len(report.new_departments):
        listed = "、".join(f"{n} ({c})" for c, n in zip(report.new_departments["code"], report.new_departments["name"]))
        report.notes.append(
            Problem(0, "承办单位", "", "new_departments", {"n": len(report.new_departments), "names": listed})
        )
    if report.new_categories is not None and len(report.new_categories):
        leaves = int((report.new_categories["level"] == 3).sum())
        report.notes.append(
            Problem(0, "三级分类", "", "new_categories", {"n": len(report.new_categories), "leaves": leaves})
        )
    if not any(p.of_header for p in report.problems):
        _check_and_load(engine, kind, values, report, dry_run, valid_rows_only, in_load, evaluate_alerts)
    report.problems.sort(key=lambda p: p.row)
    return report


def _check_and_load(
    engine, kind: Kind, values: pd.DataFrame, report: Report, dry_run: bool, valid_rows_only: bool, in_load=None,
    evaluate_alerts: bool = True,
):  # fmt: skip
    """Stage the rows without problems, test them against the store's rules, and load them unless this
    is a dry run or a problem stops the file; all in one transaction."""
    bad = {p.row for p in report.problems if p.of_a_row}
    good = values[[(_row(i) not in bad) for i in values.index]]
    try:
        with engine.begin() as conn:
            cols = _stage(conn, kind, good)
            broken = _broken_rules(conn, kind, cols) if len(good) else []
            report.problems += broken
            if dry_run or (report.problems and not valid_rows_only):
                raise _Rollback
            if broken:
                rows = sorted({p.row for p in broken})
                conn.execute(sa.text("DELETE FROM _stage WHERE _row = ANY(:r)"), {"r": rows})
                good = good[[(_row(i) not in set(rows)) for i in good.index]]
            _before(conn, kind, good, report)
            districts = _districts(conn, kind, cols)
            report.inserted, report.updated = _merge(conn, kind, cols)
            _after(conn, kind, good, report)
            bump_data_version(conn, districts)
            if in_load is not None:
                in_load(conn, report)
        report.loaded = True
    except _Rollback:
        pass
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:  # a rule no check above knows of
        rule = getattr(exc.orig.diag, "constraint_name", None) or str(exc.orig).splitlines()[0]
        report.problems.append(Problem(0, "", "", "store_rule", {"rule": rule}))
    except _ReferenceBroken as exc:  # the same, found by the load's own check of its foreign keys
        report.problems.append(Problem(0, "", "", "store_rule", {"rule": str(exc)}))
    if report.loaded and kind.table == "issue" and evaluate_alerts:  # the rules read issues: evaluate them now
        from data_access import alerts
        from data_access.engine import get_engine

        report.alerts = alerts.evaluate_quietly(get_engine())
