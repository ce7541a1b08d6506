"""Row-level security's cost on the megacity store: the issue page's figures as the pages read them
(summary tables at city, district and street scope; the raw tables at street and community scope) as
the store's owner, to whom no policy applies, and through the app role ``ggc_app`` as the whole store
('*') and as the scope's own area.

    GGC_DB_NAME=cockpit_mega .venv/bin/python scripts/bench_rls.py [--repeats 5] [--write]

Writes the "Row-level security" section of docs/benchmarks.md with --write.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from data_access import clock  # noqa: E402
from scripts.bench_pages import ensure_store, issue_figures, machine, scopes, timed, write_section  # noqa: E402

MARK = "## Row-level security"


def main() -> int:
    from data_access.engine import acting, app_engine
    from data_access.scope import Period
    from data_access.store import status

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    owner = ensure_store(build=False)
    app = app_engine()
    at = clock.as_of()
    period = Period(at.date().replace(year=at.year - 1), at.date())
    rows = []
    for level, code in scopes(owner).items():
        area = "*" if level == "city" else code
        for raw in (False, True) if level in ("street", "community") else (False,):  # what the pages read
            issue_figures(owner, code, period, at, raw)  # warm the buffers once
            times = {"owner": timed(issue_figures, args.repeats, owner, code, period, at, raw)}
            for label, prefix in (("app, whole store", "*"), ("app, own area", area)):
                with acting(prefix):
                    times[label] = timed(issue_figures, args.repeats, app, code, period, at, raw)
            med = {k: np.median(v) * 1000 for k, v in times.items()}
            rows.append(
                [level, "raw (a)" if raw else "summaries"]
                + [f"{m:,.0f}" for m in med.values()]
                + [f"{med['app, own area'] / med['owner']:.2f}×"]
            )
    issues = status(owner)["tables"]["issue"]
    table = (
        "| scope | figures from | owner (no policies) ms | app role, whole store ms | app role, own area ms | "
        "own area ÷ owner |\n| --- | --- | --- | --- | --- | --- |\n" + "".join(f"| {' | '.join(r)} |\n" for r in rows)
    )
    text = (
        f"{MARK}\n\n`scripts/bench_rls.py` on {clock.now():%Y-%m-%d %H:%M}: {machine()}; store with {issues:,} "
        f"issues; the issue page's seven figures for the last 12 months, median of {args.repeats} runs, read "
        "as the owner and through `ggc_app` with the policies of migration 0004 (own area: the scope's code "
        "as `app.area`, the whole store for the city scope).\n\n" + table
    )
    print(text)
    if args.write:
        write_section(MARK, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
