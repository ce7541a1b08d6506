"""Map payload size and build time per scope (city, district, street), written to stdout as JSON.

GGC_DB_NAME=cockpit_mega .venv/bin/python scripts/bench_map.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dashboard import data, mapview  # noqa: E402
from data_access import clock  # noqa: E402
from data_access.engine import get_engine  # noqa: E402
from data_access.periods import DEFAULT_RANGE, period_of  # noqa: E402
from data_access.settings import get_settings  # noqa: E402
from geo.mapping import payload_bytes  # noqa: E402


def main(repeats: int = 3) -> None:
    engine = get_engine()
    at = clock.as_of()
    period = period_of(DEFAULT_RANGE, at.date())
    with engine.connect() as conn:
        street = conn.execute(sa.text("SELECT code FROM street WHERE district_code = '420106' LIMIT 1")).scalar()

    read = data.direct(engine)

    rows = []
    for label, code in (("city 武汉市", "420100"), ("district 武昌区", "420106"), ("street", street)):
        times, size = [], 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            deck, _ = mapview.build(
                read, code, period, at, "issues_per_1000", mapview.default_layers(code), str, get_settings()
            )
            size = payload_bytes(deck)
            times.append(time.perf_counter() - t0)
        rows.append(
            {
                "scope": label,
                "code": code,
                "bytes": size,
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
            }
        )
    print(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
