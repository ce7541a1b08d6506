"""Soak the wall screen: serve the app, open /screen in headless Chromium with a 10 s refresh and
rotation, and record the server's resident memory and the page's JS heap over time; halfway through, stop the
embedded Postgres for a while and start it again (the screen must say so, keep its last data and come back by
itself).

    .venv/bin/python scripts/soak.py --minutes 240 [--url-params "scope=430602&rotate=children"] [--outage-s 120]

Samples go to test-artifacts/soak-<start>.csv; the summary (growth per hour after warm-up, errors, the outage)
is printed as JSON at the end. Errors counted: page errors and console errors in the browser, error boxes on the
screen, and failures in the server log (uncaught script errors, ERROR records; the outage's warnings excepted).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from data_access import clock  # noqa: E402
from data_access.accounts import DEMO_SCREEN_TOKEN  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the Streamlit server is one process)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def growth_per_hour(samples: list[dict], key: str, warmup_s: float) -> float:
    """Least-squares slope (MB per hour) of ``key`` over the samples after the warm-up."""
    rows = [(s["t_s"], s[key]) for s in samples if s["t_s"] >= warmup_s and s[key] == s[key]]
    if len(rows) < 3:
        return float("nan")
    t, y = np.array(rows).T
    return float(np.polyfit(t / 3600, y, 1)[0])


def _embedded() -> bool:
    from data_access.settings import get_settings

    return get_settings().embedded


def _store():
    from data_access.engine import embedded_server

    return embedded_server()


def _console(message, errors: list) -> None:
    # Failed loads are judged by _response, which sees the URL.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(f"console: {message.text}")


def _response(response, errors: list) -> None:
    # Streamlit's frontend first probes /<page>/_stcore/health and host-config, then the root: not errors.
    if response.status >= 400 and "/_stcore/" not in response.url:
        errors.append(f"http {response.status}: {response.url}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument("--sample-s", type=float, default=30)
    ap.add_argument("--warmup-min", type=float, default=10)
    ap.add_argument("--outage-s", type=float, default=120, help="the store stopped this long halfway (0: never)")
    ap.add_argument(
        "--url-params", default=f"scope=430602&rotate=children&every=10&refresh=10&token={DEMO_SCREEN_TOKEN}"
    )
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    out_dir = ROOT / "test-artifacts"
    out_dir.mkdir(exist_ok=True)
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    log_path = out_dir / f"soak-{stamp}.log"
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "w") as log:
        server = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    samples, errors = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--enable-precise-memory-info"], headless=True
            )
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            page.on("console", lambda m: _console(m, errors))
            page.on("response", lambda r: _response(r, errors))
            page.goto(f"{url}/screen?{args.url_params}")
            page.wait_for_selector("[data-testid='screen-place']", timeout=120_000)
            start = time.monotonic()
            places = set()
            outage = {"planned_s": args.outage_s, "banner_seen": False, "recovered_after_s": None}
            down_at = args.minutes * 30 if args.outage_s and _embedded() else None
            while (elapsed := time.monotonic() - start) < args.minutes * 60:
                if down_at is not None and elapsed >= down_at and "stopped_at_s" not in outage:
                    outage["stopped_at_s"] = round(elapsed)
                    _store().stop()
                if "stopped_at_s" in outage and "started_at_s" not in outage:
                    outage["banner_seen"] |= page.locator("[data-testid='screen-down']").count() > 0
                    if elapsed >= outage["stopped_at_s"] + args.outage_s:
                        _store().ensure_postgres_running()
                        outage["started_at_s"] = round(elapsed)
                if "started_at_s" in outage and outage["recovered_after_s"] is None:
                    if page.locator("[data-testid='screen-down']").count() == 0:
                        outage["recovered_after_s"] = round(elapsed - outage["started_at_s"])
                heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : NaN") / 2**20
                place = page.locator("[data-testid='screen-place']").first.inner_text(timeout=30_000)
                places.add(place)
                boxes = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count()
                if boxes:
                    errors.append(f"{boxes} error box(es) at {elapsed:.0f} s")
                samples.append(
                    {
                        "t_s": round(elapsed, 1),
                        "server_rss_mb": round(rss_mb(server.pid), 1),
                        "js_heap_mb": round(heap, 1),
                    }
                )
                print(json.dumps({**samples[-1], "place": place, "errors": len(errors)}), flush=True)
                time.sleep(args.sample_s if "stopped_at_s" not in outage or outage["recovered_after_s"] is not None
                           else 5)  # fmt: skip
            browser.close()
    finally:
        server.terminate()
        server.wait(15)
    # Failures the server logged: a script that raised, or an error record (an outage logs warnings, with their
    # tracebacks: expected, and not counted).
    lines = log_path.read_text(errors="replace").splitlines()
    tracebacks = sum("Uncaught app execution" in line or " ERROR " in line for line in lines)
    with open(out_dir / f"soak-{stamp}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(samples[0]))
        w.writeheader()
        w.writerows(samples)
    warm = args.warmup_min * 60
    summary = {
        "minutes": args.minutes,
        "samples": len(samples),
        "places_seen": len(places),
        "server_rss_mb_first_after_warmup": next((s["server_rss_mb"] for s in samples if s["t_s"] >= warm), None),
        "server_rss_mb_last": samples[-1]["server_rss_mb"],
        "server_growth_mb_per_h": round(growth_per_hour(samples, "server_rss_mb", warm), 1),
        "js_heap_mb_last": samples[-1]["js_heap_mb"],
        "js_heap_growth_mb_per_h": round(growth_per_hour(samples, "js_heap_mb", warm), 1),
        "outage": outage,
        "browser_errors": len(errors),
        "server_tracebacks": tracebacks,
        "first_errors": errors[:5],
        "samples_csv": str(out_dir / f"soak-{stamp}.csv"),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    recovered = not outage.get("stopped_at_s") or (outage["banner_seen"] and outage["recovered_after_s"] is not None)
    return 0 if not errors and not tracebacks and recovered else 1


if __name__ == "__main__":
    sys.exit(main())
