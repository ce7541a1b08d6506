"""Every statement a page runs, captured, and what it reads from the raw tables: explained with ANALYZE through
row-level security as the city account. tests/integration/test_plans.py holds the pages to stated bounds;
scripts/plans.py prints the same for any store and scope."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from contextlib import contextmanager

import sqlalchemy as sa

from data_access.engine import acting, read_engine

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
