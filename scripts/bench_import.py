"""Time the import of N issue rows from CSV (default 1,000,000) into a scratch copy of the store.

    .venv/bin/python scripts/bench_import.py [N] [--by-names] [--xlsx]

Rows are issues at a point inside each of the demo's micro-grids (岳阳楼区), one category, full lifecycle.
With --by-names they are a 12345 export instead: no point and no codes, the street and community by name
(with and without 社区/街道), the category as a path or a name, the handling department by name, the request
text and the address, placed with ``--district 430602``. With --xlsx (implies --by-names) that export is an Excel
workbook as a platform writes it (a title, an export line and a blank row above the header, 合计 below), loaded
through an import profile, and its reading is timed twice more: python-calamine (what the importer reads with)
against openpyxl.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from data_access import engine as eng  # noqa: E402
from data_access.importing.load import import_file  # noqa: E402
from data_access.settings import get_settings  # noqa: E402

SCRATCH = "cockpit_bench_import"


def make_csv(n: int, path: Path) -> None:
    with eng.get_engine().connect() as conn:
        geoms = pd.read_sql_query(sa.text("SELECT geom FROM micro_grid WHERE district_code = '430602'"), conn)
    inside = shapely.point_on_surface(shapely.from_wkb(geoms["geom"].map(bytes).to_numpy()))
    pts = pd.DataFrame({"lon": shapely.get_x(inside), "lat": shapely.get_y(inside)})
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(pts), n)
    rep = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300 * 86400, n), unit="s")
    df = pd.DataFrame(
        {
            "工单编号": [f"B{i:08d}" for i in range(n)],
            "来源渠道": "网格巡查",
            "事件分类代码": "010101",
            "经度": pts["lon"].to_numpy()[idx].round(6),
            "纬度": pts["lat"].to_numpy()[idx].round(6),
            "上报时间": rep.strftime("%Y-%m-%d %H:%M:%S"),
            "受理时间": (rep + pd.Timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S"),
            "结案时间": (rep + pd.Timedelta(hours=6)).strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    df.to_csv(path, index=False)


def make_names_csv(n: int, path: Path) -> None:
    with eng.get_engine().connect() as conn:
        places = pd.read_sql_query(
            sa.text(
                "SELECT s.name AS street, m.name AS community FROM community m JOIN street s ON s.code = m.street_code "
                "WHERE m.district_code = '430602'"
            ),
            conn,
        )
        depts = pd.read_sql_query(sa.text("SELECT name FROM department WHERE district_code = '430602'"), conn)["name"]
    rng = np.random.default_rng(2)
    idx = rng.integers(0, len(places), n)
    street, community = places["street"].to_numpy()[idx], places["community"].to_numpy()[idx]
    short = rng.random(n) < 0.3  # 30 % written without 社区 / 街道, as exports often do
    community = np.where(short, [c.removesuffix("社区") for c in community], community)
    street = np.where(short, [s.removesuffix("街道") for s in street], street)
    categories = np.array(["市容环境>市容秩序>占道经营", "噪音扰民", "民生服务/市政设施/路灯故障", "020102"])
    rep = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300 * 86400, n), unit="s")
    door = rng.integers(1, 200, n).astype(str)
    df = pd.DataFrame(
        {
            "工单编号": [f"N{i:08d}" for i in range(n)],
            "来电时间": rep.strftime("%Y-%m-%d %H:%M:%S"),
            "诉求内容": np.char.add(np.char.add(community.astype(str), door), "号门口有人占道经营，请尽快处理"),
            "诉求类型": categories[rng.integers(0, len(categories), n)],
            "所属街道": street,
            "所属社区": community,
            "详细地址": np.char.add(np.char.add(community.astype(str), door), "号"),
            "承办单位": depts.to_numpy()[rng.integers(0, len(depts), n)],
            "办结时间": (rep + pd.Timedelta(hours=6)).strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    df.to_csv(path, index=False)


def to_workbook(csv_path: Path, path: Path) -> None:
    """The export of ``csv_path`` as an .xlsx with a title, an export line and a blank row above the header, 合计
    below (openpyxl's write-only mode)."""
    import openpyxl

    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("工单明细")
    sheet.append(["岳阳楼区12345政务服务便民热线工单明细表"])
    sheet.append(["导出时间：2026-12-01 08:00", None, None, "导出人：热线办"])
    sheet.append([])
    sheet.append(list(df.columns))
    for row in df.itertuples(index=False, name=None):
        sheet.append(row)
    sheet.append(["合计", f"共{len(df)}条"])
    book.save(path)


def reading_times(path: Path) -> dict:
    """Seconds to read the workbook's cells: the importer's reader (python-calamine, header found, footer left out)
    against pandas over openpyxl (the reader before it)."""
    from data_access.importing.kinds import KINDS
    from data_access.importing.validate import read_table

    t0 = time.perf_counter()
    df, _, _, _ = read_table(path, kind=KINDS["issues"])
    t1 = time.perf_counter()
    pd.read_excel(path, header=None, dtype=object, engine="openpyxl")
    t2 = time.perf_counter()
    return {"rows_read": len(df), "calamine_s": round(t1 - t0, 1), "openpyxl_s": round(t2 - t1, 1)}


def _profile(path: Path):
    """The export's profile as an analyst saves it: its headers' proposed fields, and the district."""
    from data_access.importing import profiles
    from data_access.importing.kinds import KINDS

    headers = pd.read_csv(path.with_suffix(".csv"), nrows=0).columns
    proposal = profiles.propose(headers, KINDS["issues"])
    profile = profiles.from_proposal("bench", "issues", proposal, district="430602")
    with eng.get_engine().begin() as conn:
        profiles.save(conn, profile, "bench")
    return profile


def main(n: int, by_names: bool = False, xlsx: bool = False) -> None:
    source = get_settings().embedded_db
    admin = sa.create_engine(eng.server_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{SCRATCH}" TEMPLATE "{source}" STRATEGY = FILE_COPY')
    path = Path(f"/tmp/bench_issues_{n}{'_names' if by_names else ''}.csv")
    t0 = time.perf_counter()
    (make_names_csv if by_names else make_csv)(n, path)
    if xlsx:
        path, csv_path = path.with_suffix(".xlsx"), path
        to_workbook(csv_path, path)
    t1 = time.perf_counter()
    extra = reading_times(path) if xlsx else {}
    import os

    os.environ["GGC_DB_NAME"] = SCRATCH
    get_settings.cache_clear()
    eng.reset_engine()
    options = {"district": "430602"} if by_names else {}
    if xlsx:  # a platform's export goes in through its import profile (导入方案), as the sync loads it
        options = {"profile": _profile(path)}
    t2 = time.perf_counter()
    report = import_file(eng.get_engine(), "issues", path, max_bytes=10**10, **options)
    t3 = time.perf_counter()
    print(
        json.dumps(
            {
                "rows": n,
                "by_names": by_names,
                "file": path.name,
                "bytes": path.stat().st_size,
                **extra,
                "make_file_s": round(t1 - t0, 1),
                "import_s": round(t3 - t2, 1),
                "loaded": report.loaded,
                "inserted": report.inserted,
                "problems": len(report.problems),
                "first_problems": [p.line() for p in report.problems[:3]],
            }
        )
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    xlsx = "--xlsx" in sys.argv
    main(int(numbers[0]) if numbers else 1_000_000, "--by-names" in sys.argv or xlsx, xlsx)
