"""What each page's reads cost the raw tables: every statement a page runs at a scope, captured, then explained
with ANALYZE through row-level security as the city account (area '*'), and the rows it read from each raw table.

    GGC_DB_NAME=cockpit_mega .venv/bin/python scripts/plans.py [--scope 420100] [--pages issues,overview]

Prints, per page, the statements that read raw rows (table: rows read, time) slowest first.
tests/integration/test_plans.py runs the same capture on the test store and holds every page at city scope to
stated bounds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.plans import PAGES, page_statements, raw_reads  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scope", default="420100")
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--range", default=None)
    ap.add_argument("--from", dest="start", default=None)
    ap.add_argument("--to", dest="end", default=None)
    ap.add_argument("--show", type=int, default=8, help="statements shown per page, slowest first")
    args = ap.parse_args()
    for page in args.pages.split(","):
        found = []
        for sql, params in page_statements(
            page, args.scope, {k: v for k, v in (("range", args.range), ("from", args.start), ("to", args.end)) if v}
        ):
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
