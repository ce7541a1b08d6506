"""Sign-in answer times (issue 16): an unknown name, a wrong password and a locked name should take the same time,
so that timing tells no more than the answer. Medians of N tries each, against the configured store.

    .venv/bin/python scripts/bench_signin.py [--tries 25]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from data_access import accounts  # noqa: E402
from data_access.engine import get_engine  # noqa: E402

NAME, PASSWORD = "bench-signin-user", "a-good-password-1"


def main(tries: int) -> None:
    engine = get_engine()
    with engine.begin() as conn:
        accounts.save_account(conn, "bench", NAME, "street", "430602001", password=PASSWORD)
    try:
        for _ in range(accounts.MAX_FAILURES):
            accounts.login(NAME, "wrong", "192.0.2.9")  # locks NAME for that address
        cases = {
            "unknown name": lambda i: accounts.login(f"bench-nobody-{i}", "wrong", f"192.0.2.{10 + i % 200}"),
            "wrong password": lambda i: accounts.login(NAME, "wrong", f"198.51.100.{i % 250}"),
            "locked": lambda i: accounts.login(NAME, "wrong", "192.0.2.9"),
        }
        medians = {}
        for label, call in cases.items():
            times = []
            for i in range(tries):
                t0 = time.perf_counter()
                call(i)
                times.append(time.perf_counter() - t0)
            medians[label] = statistics.median(times)
        low = min(medians.values())
        for label, m in medians.items():
            print(f"| {label} | {m * 1000:.0f} ms | +{(m / low - 1) * 100:.0f} % |")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM app_user WHERE username = :u"), {"u": NAME})
            conn.execute(sa.text("DELETE FROM login_failure WHERE username LIKE 'bench-%'"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=25)
    main(parser.parse_args().tries)
