"""What each page's reads cost the raw tables: every statement a page runs at a scope, captured, then explained
with ANALYZE through row-level security as the city account (area '*'), and the rows it read from each raw table.

    GGC_DB_NAME=cockpit_mega .venv/bin/python scripts/plans.py [--scope 420100] [--pages issues,overview] [--range 12m]

Prints, per page, the statements that read raw rows (table: rows read, time) slowest first. tests/test_plans.py
runs the same capture on the test store and holds every page at city scope to stated bounds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from data_access.engine import acting, read_engine  # noqa: E402

PAGES = ["overview", "organization", "stations", "volunteers", "issues", "property", "map"]
# The tables with millions of rows at megacity scale: a page at city scope reads them only within bounds.
RAW = {"issue", "volunteer_activity", "volunteer", "in_service_registration", "notice_delivery", "grid_worker",
       "volunteer_days", "point_redemption", "resident_question", "service_item", "party_org"}  # fmt: skip


@contextmanager
def captured():
    """Every statement run on the read engine inside, with its parameters (driver form)."""
    seen: list[tuple[str, dict]] = []

    def hook(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "set_config" not in statement:
            seen.append((statement, dict(parameters or {})))

    engine = read_engine()
    sa.event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", hook)


def page_statements(page: str, scope: str | None, params: dict | None = None) -> list[tuple[str, dict]]:
    """The statements one cold run of ``page`` at ``scope`` runs (AppTest as the city account)."""
    from dashboard import data
    from tests.apptest import app_test

    data.clear()
    at = app_test("city", timeout=900)
    if scope:
        at.query_params["scope"] = scope
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.switch_page(f"app_pages/{page}.py")
    with captured() as seen:
        at.run()
    if at.exception or at.error:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception] or [e.value for e in at.error]}")
    unique = {}
    for sql, p in seen:
        unique.setdefault((sql, json.dumps(p, sort_keys=True, default=str)), (sql, p))
    return list(unique.values())


def _walk(node: dict, out: dict) -> None:
    rel = node.get("Relation Name")
    if rel in RAW:
        rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1) + node.get("Rows Removed by Filter", 0) * (
            node.get("Actual Loops", 1)
        )
        out[rel]["rows"] += rows
        out[rel]["nodes"].append(f"{node['Node Type']}{' ' + node['Index Name'] if 'Index Name' in node else ''}")
    for child in node.get("Plans", []):
        _walk(child, out)


def raw_reads(sql: str, params: dict, area: str = "*") -> tuple[dict, float]:
    """(rows read per raw table with the plan's nodes on it, milliseconds) of one statement, executed with
    EXPLAIN ANALYZE through row-level security as ``area``."""
    with acting(area, "city", "city"), read_engine().connect() as conn:
        t0 = time.perf_counter()
        plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params).scalar()
        took = 1000 * (time.perf_counter() - t0)
    plan = plan if isinstance(plan, list) else json.loads(plan)
    out: dict = defaultdict(lambda: {"rows": 0, "nodes": []})
    _walk(plan[0]["Plan"], out)
    return dict(out), took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scope", default="420100")
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--range", default=None)
    ap.add_argument("--show", type=int, default=8, help="statements shown per page, slowest first")
    args = ap.parse_args()
    for page in args.pages.split(","):
        found = []
        for sql, params in page_statements(page, args.scope, {"range": args.range} if args.range else None):
            reads, ms = raw_reads(sql, params)
            found.append((ms, reads, sql))
        found.sort(key=lambda f: -f[0])
        total = sum(f[0] for f in found)
        print(f"== {page} at {args.scope}: {len(found)} statements, {total:,.0f} ms in all")
        for ms, reads, sql in found[: args.show]:
            what = "; ".join(
                f"{t} {r['rows']:,.0f} rows ({', '.join(sorted(set(r['nodes'])))})" for t, r in reads.items()
            )
            print(f"  {ms:8,.0f} ms  {what or 'no raw table'}\n      {' '.join(sql.split())[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
