"""Reads stay on the summaries (issue 34): every page at city scope (武汉市) and the default period, its statements
explained with ANALYZE through row-level security as the city account, reads the raw fact tables (ten million rows
each at megacity scale) only within these bounds, per statement:

- ``issue``: at most 1 % of its rows — the open issues (the live counts 超期未结, 挂账 and due, through the index of
  open issues) and the period's repeat requests (their list), never the period's issues;
- ``volunteer_activity``: at most 1 % of its rows.

A structural check, not a timing one: a read that goes back to scanning a city's issues fails here on any machine.
``scripts/plans.py`` prints the same reads, with their times, for any store and scope."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.plans import PAGES, page_statements, raw_reads

SCOPE = "420100"
BOUNDS = {"issue": 0.01, "volunteer_activity": 0.01}  # the share of a raw table one statement may read


@pytest.fixture(scope="module")
def sizes(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in BOUNDS}


@pytest.mark.parametrize("page", PAGES)
def test_a_city_page_reads_raw_rows_within_bounds(engine, sizes, page):
    statements = page_statements(page, SCOPE)
    assert len(statements) > 3, page
    over = []
    for sql, params in statements:
        reads, _ = raw_reads(sql, params)
        for table, read in reads.items():
            if table in BOUNDS and read["rows"] > BOUNDS[table] * sizes[table]:
                over.append(f"{table}: {read['rows']:,.0f} of {sizes[table]:,} rows ({read['nodes']}) by {sql[:400]}")
    assert not over, "\n".join(over)
