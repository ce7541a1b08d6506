"""Server time of a filter change on every page at city, district, street and community scope, cold and
warm, next to two baselines computing the issue page's figures: (a) SQL GROUP BY over the raw tables,
(b) the raw rows read into pandas and aggregated there.

    GGC_DB_NAME=cockpit_mega .venv/bin/python scripts/bench_pages.py [--repeats 5] [--write]

`make bench` runs it on the megacity store, building it first when it is missing (about 25 minutes).
A page run is Streamlit's AppTest executing the page script in this process with the scope in the URL
(the work a server does for one filter change, without the browser). Cold: every st.cache_data and
st.cache_resource entry (reads, map decks) cleared first; the first run of each page in the process is not
counted (--warmup). Warm: the same run again. With --write the table replaces the "Pages at megacity
scale" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from data_access import clock  # noqa: E402

PAGES = ["overview", "organization", "stations", "volunteers", "issues", "property", "map"]
MARK = "## Pages at megacity scale"


def ensure_store(build: bool = True, scale: int = 10) -> sa.Engine:
    """The store named by GGC_DB_NAME with Wuhan's other districts at ``scale`` (10: the megacity; 1: a tenth of it,
    ``make bench-city``), built when missing or not yet scaled."""
    from data_access.engine import get_engine
    from data_access.store import ensure_ready

    ensure_ready(load_demo_if_empty=False)
    engine = get_engine()
    with engine.connect() as conn:
        districts = conn.execute(sa.text("SELECT count(*) FROM district")).scalar()
        built = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'demo_scale'")).scalar()
    if built != str(scale) and build:
        env = os.environ.copy()
        run = [sys.executable, "-m", "data_access", "demo"]
        if districts == 0:
            subprocess.run(run, check=True, env=env, cwd=ROOT)
        subprocess.run([*run, "--scale", str(scale), "--scale-only"], check=True, env=env, cwd=ROOT)
    return engine


def scopes(engine) -> dict[str, str]:
    with engine.connect() as conn:
        street = conn.execute(sa.text("SELECT min(code) FROM street WHERE district_code = '420106'")).scalar()
        community = conn.execute(
            sa.text("SELECT min(code) FROM community WHERE street_code = :s"), {"s": street}
        ).scalar()
    return {"city": "420100", "district": "420106", "street": street, "community": community}


def page_times(
    page: str, code: str, repeats: int, warmup: int = 1, params: dict | None = None
) -> tuple[list[float], list[float]]:
    """Cold and warm times of ``repeats`` runs, after ``warmup`` runs not counted (the first run of a page
    in a process also imports its modules and compiles its script: a server does that once)."""
    from dashboard import data
    from tests.apptest import app_test

    cold, warm = [], []
    for _ in range(warmup + repeats):
        data.clear()  # cold: no cached read, statement or map
        at = app_test("city", timeout=600)  # the city leadership's demo account: the whole store
        at.query_params["scope"] = code
        for key, value in (params or {}).items():
            at.query_params[key] = value
        at.switch_page(f"app_pages/{page}.py")
        t0 = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - t0)
        if at.exception or at.error:
            raise RuntimeError(f"{page} at {code}: {[e.value for e in at.exception] or [e.value for e in at.error]}")
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    return cold[warmup:], warm[warmup:]


def issue_figures(engine, code: str, period, at, raw: bool) -> None:
    """The issue page's figures through data_access: from the summary tables, or with ``raw`` as
    baseline (a), SQL GROUP BY over the raw tables with their indexes."""
    from data_access.reads import issues
    from data_access.scope import Scope

    scope = Scope.from_code(code)
    issues.issue_kpis(engine, scope, period, at, raw=raw)
    issues.issue_funnel(engine, scope, period, at, raw=raw)
    issues.issue_by_child(engine, scope, period, at, raw=raw)
    issues.issue_trend(engine, scope, period, at, raw=raw)
    issues.issues_by_category(engine, scope, period, raw=raw)
    for column in ("source_channel", "escalation_level"):
        issues.issue_mix(engine, scope, period, column, raw=raw)


def baseline_pandas(engine, code: str, period, at) -> None:
    """(b) The same figures from the raw rows read into pandas."""
    from data_access.scope import Scope

    scope = Scope.from_code(code)
    w, p = scope.where()
    pw, pp = period.where("reported_at")
    child = {"city": "district_code", "district": "street_code", "street": "community_code"}.get(
        scope.level, "grid_code"
    )
    sql = (
        f"SELECT {child} AS child, category_code, reported_at, accepted_at, dispatched_at, handled_at, closed_at, "
        f"evaluated_at, due_at, satisfaction FROM issue WHERE {w} AND {pw}"
    )
    with engine.connect() as conn:
        df = pd.read_sql_query(sa.text(sql), conn, params={**p, **pp})
    df["due"] = (df["closed_at"] <= at) | (df["due_at"] <= at)
    df["closed"] = df["closed_at"] <= at
    df["on_time"] = df["closed"] & (df["closed_at"] <= df["due_at"])
    df["overdue"] = df["closed_at"].isna() & (df["due_at"] <= at)
    df[["due", "closed", "on_time", "overdue"]].sum()
    df.groupby("child")[["due", "closed", "on_time", "overdue"]].sum()
    df.groupby(df["reported_at"].dt.to_period("M"))[["closed", "due"]].sum()
    df.groupby("category_code").size()
    for a, b in (("reported_at", "accepted_at"), ("accepted_at", "dispatched_at"), ("dispatched_at", "handled_at")):
        ((df[b] - df[a]).dt.total_seconds() / 3600).median()


def timed(fn, repeats: int, *args) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        out.append(time.perf_counter() - t0)
    return out


def pct(values: list[float], q: float) -> str:
    return f"{np.percentile(values, q) * 1000:,.0f}"


def write_section(mark: str, text: str) -> None:
    """Replace the section of docs/benchmarks.md that starts with ``mark`` (or append it)."""
    doc = ROOT / "docs" / "benchmarks.md"
    before, _, after = doc.read_text("utf-8").partition(mark)
    rest = after.split("\n## ", 1)
    doc.write_text(before.rstrip("\n") + "\n\n" + text + ("\n## " + rest[1] if len(rest) > 1 else ""), "utf-8")


def machine() -> str:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln),
        platform.processor(),
    )
    mem = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1])
    return f"{os.cpu_count()} cores ({cpu}), {mem / 2**20:.0f} GiB RAM, Python {platform.python_version()}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--no-build", action="store_true", help="use the store as it is (for a quick look)")
    ap.add_argument("--warmup", type=int, default=1, help="runs of each page not counted first")
    ap.add_argument("--no-baselines", action="store_true", help="time the pages only")
    ap.add_argument("--scale", type=int, default=10, help="Wuhan's other districts at this scale (1: bench-city)")
    ap.add_argument("--levels", default="city,district,street,community", help="the scopes timed")
    ap.add_argument("--range", default=None, help="the period (a named range; default: the pages' default)")
    ap.add_argument("--from", dest="start", default=None, help="with --range custom: the first day")
    ap.add_argument("--to", dest="end", default=None, help="with --range custom: the last day")
    args = ap.parse_args()
    from data_access.periods import DEFAULT_RANGE, period_of

    engine = ensure_store(build=not args.no_build, scale=args.scale)
    with engine.connect() as conn:
        issues = conn.execute(sa.text("SELECT count(*) FROM issue")).scalar()
    at = clock.as_of()
    period = period_of(DEFAULT_RANGE, at.date())
    rows, ratios = [], []
    for level, code in scopes(engine).items():
        if level not in args.levels.split(","):
            continue
        for page in args.pages.split(","):
            params = {"range": args.range, "from": args.start, "to": args.end}
            cold, warm = page_times(page, code, args.repeats, args.warmup, {k: v for k, v in params.items() if v})
            rows.append([page, level, pct(cold, 50), pct(cold, 95), pct(warm, 50), pct(warm, 95)])
            print(rows[-1], flush=True)
        if args.no_baselines:
            continue
        s = timed(issue_figures, args.repeats, engine, code, period, at, False)
        a = timed(issue_figures, args.repeats, engine, code, period, at, True)
        b = timed(baseline_pandas, args.repeats, engine, code, period, at)
        rows.append(["issue figures from the summaries (data only)", level, "", "", pct(s, 50), pct(s, 95)])
        rows.append(["(a) SQL on raw, issue figures", level, "", "", pct(a, 50), pct(a, 95)])
        rows.append(["(b) pandas on raw, issue figures", level, "", "", pct(b, 50), pct(b, 95)])
        ratios.append(
            [
                level,
                *(f"{np.median(x) / np.median(s):,.{0 if np.median(x) >= 10 * np.median(s) else 1}f}×" for x in (a, b)),
            ]
        )
        print(rows[-3:], ratios[-1], flush=True)
    header = "| page | scope | cold p50 ms | cold p95 ms | warm p50 ms | warm p95 ms |\n" + "| --- " * 6 + "|\n"
    table = header + "".join(f"| {' | '.join(r)} |\n" for r in rows)
    speedup = "| scope | (a) SQL on raw ÷ summaries | (b) pandas on raw ÷ summaries |\n| --- | --- | --- |\n"
    speedup += "".join(f"| {' | '.join(r)} |\n" for r in ratios)
    text = (
        f"{MARK}\n\n`make bench` on {clock.now():%Y-%m-%d %H:%M}: {machine()}; store with {issues:,} issues; "
        f"period: the last 12 months; {args.repeats} runs each. The last three rows of each scope time only "
        f"the issue page's figures (KPIs, funnel, ranking, trend, categories, two mixes), no page.\n\n{table}\n"
        f"Issue figures, median times compared:\n\n{speedup}"
    )
    print(text)
    if args.write:
        write_section(MARK, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
