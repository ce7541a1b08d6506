"""Megacity bulk: the other eleven Wuhan districts, with volumes scaled by N (1..10).

At N = 10 the store reaches DESIGN.md's megacity: 18 districts, ~170 streets, ~1,500
communities, ~12,000 grids, ~50,000 micro-grids, ~6,000 compounds, ~150,000 volunteers and
about 10 million issue and 10 million volunteer activity records. The default demo holds these
districts at light volume (data_access.demo.city); each is removed and generated again at scale,
and loaded (COPY) on its own to keep memory flat. Rerunning skips districts already scaled
(store_meta ``demo_scaled``). The city-wide published figures hold for the light demo only.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data_access.demo.build import (
    DEFAULT_SEED,
    ID_TABLES,
    DistrictBuilder,
    Tables,
    _geo_frame,
    load_outlines,
    write,
)
from data_access.meta import demo_moment
from data_access.store import remove_district
from geo.measure import to_albers

MAX_SCALE = 10
# Totals the eleven districts add at N = 10 (the seed districts hold the rest).
ISSUES_PER_DISTRICT_YEAR = 176_000
VOLUNTEERS_PER_DISTRICT = 10_800
ACTIVITY_RATE = 10.0


def scaled_spec(outline: dict, n: int) -> dict:
    """The layout and volumes of one synthetic Wuhan district at scale ``n``."""
    rural = outline["code"] in {"420112", "420113", "420114", "420115", "420116", "420117"}
    f = n / MAX_SCALE
    return dict(
        streets=5 if rural else 7,
        towns=2 if rural else 0,
        communities=35 if rural else 50,
        villages=15 if rural else 0,
        grids_street=560 if rural else 720,
        grids_town=160 if rural else 0,
        micro_grids=1600,
        compounds=140,
        compounds_same=30,
        compounds_larger=10,
        core_weight=0.5,
        households=(200, 900),
        old_compounds=40,
        issues_per_year=max(1000, int(ISSUES_PER_DISTRICT_YEAR * f)),
        volunteers=max(500, int(VOLUNTEERS_PER_DISTRICT * f)),
        teams=100,
        activity_rate=ACTIVITY_RATE,
        targets={},
    )


def _next_ids(conn) -> dict[str, int]:
    out = {}
    for table in ID_TABLES:
        out[table] = conn.execute(sa.text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar()
    return out


def build_scale(engine: sa.Engine, n: int, seed: int = DEFAULT_SEED, codes: list[str] | None = None) -> dict:
    """Generate Wuhan's eleven non-seed districts (or ``codes`` of them) at scale ``n`` in a store holding the
    demo city, each replacing the light district of the same code."""
    if not 1 <= n <= MAX_SCALE:
        raise ValueError(f"--scale must be between 1 and {MAX_SCALE}, got {n}")
    with engine.connect() as conn:
        built = demo_moment(conn)
        present = {r[0] for r in conn.execute(sa.text("SELECT code FROM district"))}
        scaled = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'demo_scaled'")).scalar()
    scaled = set(scaled.split(",")) if scaled else set()
    if built is None:
        raise ValueError("load the demo city first (python -m data_access demo)")
    timings = {}
    for outline in load_outlines():
        code = outline["code"]
        if outline["seed"] or code in scaled or (codes is not None and code not in codes):
            continue
        t0 = time.perf_counter()
        if code in present:  # the light district of the default demo
            remove_district(engine, code, by=f"demo --scale {n}")
        spec = scaled_spec(outline, n)
        with engine.connect() as conn:
            tables = Tables(next_id=_next_ids(conn))
        tables.add(
            "district",
            _geo_frame(
                pd.DataFrame(
                    [
                        {
                            "code": code,
                            "city_code": outline["city_code"],
                            "name": outline["name"],
                            "geom": to_albers(outline["geom"]),
                        }
                    ]
                )
            ),
        )
        DistrictBuilder(outline, spec, tables, np.random.default_rng([seed, int(code)]), built).build()
        t1 = time.perf_counter()
        rows = write(engine, tables)
        timings[code] = {
            "generate_s": round(t1 - t0, 1),
            "load_s": round(time.perf_counter() - t1, 1),
            "issues": rows.get("issue", 0),
            "activities": rows.get("volunteer_activity", 0),
        }
        scaled.add(code)
        _note(engine, "demo_scaled", ",".join(sorted(scaled)))
    if scaled >= {o["code"] for o in load_outlines() if not o["seed"]}:  # every one of the eleven
        _note(engine, "demo_scale", str(n))
    return timings


def _note(engine: sa.Engine, key: str, value: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO store_meta (key, value) VALUES (:k, :v) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            {"k": key, "v": value},
        )
