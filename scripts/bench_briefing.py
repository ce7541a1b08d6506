"""Briefing and alert speed (issue 20), against the configured store (the demo's by default):

- one street's monthly briefing as PDF (reads, the map and three charts as PNG, the layout), the first after the
  process starts (kaleido's Chromium starts then) and the following ones;
- the monthly PDFs of every street of 岳阳楼区, as ``python -m data_access briefing --children`` writes them;
- one alert evaluation (the shipped rules) on this store, and on the megacity store when it exists
  (``GGC_DB_NAME=cockpit_mega``, built by ``make bench``).

    .venv/bin/python scripts/bench_briefing.py [--write]   (make bench-briefing)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from data_access import clock  # noqa: E402
from data_access.engine import get_engine  # noqa: E402
from data_access.scope import Scope  # noqa: E402
from documents import briefing  # noqa: E402
from scripts.bench_pages import machine, write_section  # noqa: E402

MARK = "## Briefings and alerts"
DISTRICT, STREETS = "430602", ("430602001", "430602002", "430602003", "430602011")


def street_pdfs(engine, month: str) -> list[float]:
    out = []
    for code in STREETS:
        t0 = time.perf_counter()
        briefing.pdf(briefing.collect(engine, Scope.from_code(code), month))
        out.append(time.perf_counter() - t0)
    return out


def children_run(month: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "data_access", "briefing", "--scope", DISTRICT, "--children", "--period", month,
               "--out", out]  # fmt: skip
        subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
        took = time.perf_counter() - t0
        assert len(os.listdir(out)) == 17
    return took


def evaluation(db: str | None) -> tuple[float, dict] | None:
    env = {**os.environ, **({"GGC_DB_NAME": db} if db else {})}
    code = (
        "import json,time; from data_access import alerts; from data_access.engine import get_engine; "
        "e=get_engine(); alerts.evaluate(e, deliver=False); t=time.perf_counter(); "
        "r=alerts.evaluate(e, deliver=False); print(json.dumps([time.perf_counter()-t, r]))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode:
        return None
    import json

    took, result = json.loads(run.stdout.strip().splitlines()[-1])
    return took, result


def mega_exists() -> bool:
    import sqlalchemy as sa

    from data_access.engine import server_url

    admin = sa.create_engine(server_url("postgres"))
    with admin.connect() as conn:
        found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = 'cockpit_mega'")).scalar()
    admin.dispose()
    return bool(found)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    args = parser.parse_args()
    engine = get_engine()
    month = briefing.last_complete("month", clock.as_of())
    pdfs = street_pdfs(engine, month)
    children = children_run(month)
    demo = evaluation(None)
    mega = evaluation("cockpit_mega") if mega_exists() else None
    for label, r in (("demo", demo), ("megacity", mega)):
        print(label, r)
    print("street pdfs", [round(x, 2) for x in pdfs], "children", round(children, 1))

    def ev(r):
        return "not measured (no megacity store)" if r is None else (
            f"{r[0]:.2f} s ({r[1]['open']} firings open, {r[1]['new']} new, {r[1]['cleared']} cleared)")  # fmt: skip

    text = f"""{MARK}

`make bench-briefing` ({clock.now():%Y-%m-%d}), the briefing of {month}, on this machine: {machine()}.

| what | time | target |
| --- | --- | --- |
| a street's monthly briefing as PDF, the first in a process (kaleido starts its Chromium) | {pdfs[0]:.1f} s | ≤ 10 s |
| the same, the next three streets | median {statistics.median(pdfs[1:]):.1f} s, max {max(pdfs[1:]):.1f} s | ≤ 10 s |
| all 17 streets of 岳阳楼区 (`briefing --scope 430602 --children`, a new process) | {children:.1f} s | ≤ 2 min |
| one alert evaluation (the shipped rules, an evaluation just before), demo store | {ev(demo)} | ≤ 2 s |
| the same, megacity store | {ev(mega)} | ≤ 10 s |

A briefing's time is its reads (≈ 0.3 s for a street), the map and three charts as PNG (kaleido, one Chromium kept for
the process: ≈ 0.2–0.6 s a figure) and WeasyPrint's layout with the Noto CJK fonts subset into the PDF (≈ 1.5 s). The
evaluation reads each rule's units through the catalogue (the threshold rules: the summaries, once per parent unit
and month) and two raw scans of the last weeks (spikes, repeats); after an import it runs once, in the importing
process.
"""
    print(text)
    if args.write:
        write_section(MARK, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
