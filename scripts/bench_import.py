"""Time the import of N issue rows from CSV (default 1,000,000) into a scratch copy of the store.

    .venv/bin/python scripts/bench_import.py [N]

Rows are issues at a point inside each of the demo's micro-grids (岳阳楼区), one category, full lifecycle.
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
        geoms = pd.read_sql(sa.text("SELECT geom FROM micro_grid WHERE district_code = '430602'"), conn)
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


def main(n: int) -> None:
    source = get_settings().embedded_db
    admin = sa.create_engine(eng.server_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{SCRATCH}" TEMPLATE "{source}" STRATEGY = FILE_COPY')
    path = Path(f"/tmp/bench_issues_{n}.csv")
    t0 = time.perf_counter()
    make_csv(n, path)
    t1 = time.perf_counter()
    import os

    os.environ["GGC_DB_NAME"] = SCRATCH
    get_settings.cache_clear()
    eng.reset_engine()
    t2 = time.perf_counter()
    report = import_file(eng.get_engine(), "issues", path, max_bytes=10**10)
    t3 = time.perf_counter()
    print(
        json.dumps(
            {
                "rows": n,
                "csv_bytes": path.stat().st_size,
                "make_csv_s": round(t1 - t0, 1),
                "import_s": round(t3 - t2, 1),
                "loaded": report.loaded,
                "inserted": report.inserted,
                "problems": len(report.problems),
            }
        )
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
