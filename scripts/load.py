"""Load: N concurrent headless-browser sessions using the dashboard for M minutes, as analysts would.

    GGC_DB_NAME=cockpit_mega .venv/bin/python scripts/load.py [--sessions 20] [--minutes 5] [--write]

One Streamlit server; one Chromium with a context (its own cookies and websocket) per session. Each
session opens a random page at a random place of Wuhan, then, with 1-3 s of thinking between actions,
changes the district, the street or the time range in the sidebar, or switches page. An update's time
runs from the click to the page being settled: the URL changed, no element stale, no "running" status.
Errors: exceptions and error boxes on the page, page errors, HTTP errors, updates over 60 s, and
tracebacks in the server log. The server's resident memory is sampled every 5 s. With --write the
result replaces the "Load" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from data_access import clock  # noqa: E402
from scripts.bench_pages import machine, write_section  # noqa: E402
from scripts.soak import rss_mb  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORDS, free_port  # noqa: E402

PAGES = {"": "总览", "organization": "组织体系", "stations": "服务阵地", "volunteers": "志愿服务", "issues": "事件办理"}
RANGES = ["本月", "本季度", "本年", "近12个月"]
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
MARK = "## Load"
SETTLED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 && !document.querySelector('[data-stale="true"]')"""


async def _settle(page, before_url: str | None) -> None:
    if before_url is not None:
        await page.wait_for_function("u => location.href !== u", arg=before_url, timeout=60_000)
    await page.wait_for_timeout(150)
    await page.wait_for_function(SETTLED, timeout=60_000, polling=100)


async def _pick(page, label: str, rng: random.Random) -> bool:
    """Open the sidebar selectbox ``label`` and choose another of its options at random."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text=label)
    if await box.count() == 0:
        return False
    await box.first.click()
    options = page.get_by_role("option")
    await options.first.wait_for(timeout=10_000)
    names = [n.strip() for n in await options.all_inner_texts()]
    selected = await page.get_by_role("option", selected=True).all_inner_texts()
    choices = [n for n in names if n and n not in selected and n != "全部"]
    if not choices:
        await page.keyboard.press("Escape")
        return False
    await page.get_by_role("option", name=rng.choice(choices), exact=True).click()
    return True


async def _switch_page(page, rng: random.Random) -> bool:
    current = urlparse(page.url).path.strip("/")
    title = rng.choice([title for path, title in PAGES.items() if path != current])
    await page.locator("[data-testid='stSidebar'] a").filter(has_text=title).first.click()
    return True


ACTIONS = {
    "district": lambda page, rng: _pick(page, "区/县", rng),
    "street": lambda page, rng: _pick(page, "街道/镇", rng),
    "range": lambda page, rng: _pick(page, "时间范围", rng),
    "page": _switch_page,
}


async def session(i: int, browser, url: str, deadline: float, starts: list[str], out: dict) -> None:
    rng = random.Random(i)
    context = await browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = await context.new_page()
    page.on("pageerror", lambda e: out["errors"].append(f"session {i}: pageerror {e}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and "/_stcore/" not in r.url and out["errors"].append(f"http {r.status} {r.url}"),
    )
    first = f"{url}/{rng.choice(list(PAGES))}?scope={rng.choice(starts)}"
    await asyncio.sleep(1.5 * i)  # sessions arrive one after another, not all in the same second
    await _open(page, first, i, out)
    while time.monotonic() < deadline:
        await asyncio.sleep(rng.uniform(1, 3))
        action = rng.choice(list(ACTIONS))
        before = page.url
        t0 = time.monotonic()
        try:
            if not await ACTIONS[action](page, rng):
                continue
            await _settle(page, before)
            out["times"].append((action, time.monotonic() - t0))
            if await page.locator(ERRORS).count():
                out["errors"].append(f"session {i}: error box after {action} at {page.url}")
        except Exception as exc:  # a timeout or a vanished element: count it, start again from a fresh page
            out["errors"].append(f"session {i}: {action}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            await _open(page, first, i, out)
    await context.close()


async def _open(page, url: str, i: int, out: dict) -> None:
    """Open ``url`` and wait for the page to settle; a failure is counted as an error, not raised."""
    try:
        await page.goto(url, timeout=120_000)  # every session signs in on /signin, as the city demo account
        either = "form[action='/signin'], [data-testid='stSidebar']"
        await page.wait_for_function(f'() => document.querySelector("{either}")', timeout=120_000)
        if await page.locator("form[action='/signin']").count():
            await page.locator("#username").fill("city")
            await page.locator("#password").fill(DEMO_PASSWORDS["city"])
            await page.locator("#password").press("Enter")
        await _settle(page, None)
    except Exception as exc:
        out["errors"].append(f"session {i}: opening {url}: {type(exc).__name__}: {str(exc).splitlines()[0]}")


async def drive(url: str, sessions: int, minutes: float, starts: list[str], server_pid: int) -> dict:
    from playwright.async_api import async_playwright

    out = {"times": [], "errors": [], "rss": []}

    async def sample_memory():
        while True:
            out["rss"].append(rss_mb(server_pid))
            await asyncio.sleep(5)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        sampler = asyncio.create_task(sample_memory())
        deadline = time.monotonic() + minutes * 60
        await asyncio.gather(*(session(i, browser, url, deadline, starts, out) for i in range(sessions)))
        sampler.cancel()
        await browser.close()
    return out


def start_places() -> list[str]:
    from data_access.engine import get_engine
    from data_access.reads.places import units

    engine = get_engine()
    districts = units(engine, "district", "420100")["code"].tolist()
    streets = units(engine, "street", "420106")["code"].tolist()
    return [*districts, *streets[:5]]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()

    out_dir = ROOT / "test-artifacts"
    out_dir.mkdir(exist_ok=True)
    log_path = out_dir / "load-server.log"
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "w") as log:
        server = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        result = asyncio.run(drive(url, args.sessions, args.minutes, start_places(), server.pid))
    finally:
        server.terminate()
        server.wait(15)
    tracebacks = log_path.read_text(errors="replace").count("Traceback")
    times = np.array([t for _, t in result["times"]]) if result["times"] else np.array([np.nan])
    by_action = {
        a: round(float(np.percentile([t for b, t in result["times"] if b == a], 95)), 2)
        for a in ACTIONS
        if any(b == a for b, _ in result["times"])
    }
    summary = {
        "sessions": args.sessions,
        "minutes": args.minutes,
        "updates": len(result["times"]),
        "p50_s": round(float(np.percentile(times, 50)), 2),
        "p95_s": round(float(np.percentile(times, 95)), 2),
        "max_s": round(float(np.max(times)), 2),
        "p95_s_by_action": by_action,
        "errors": len(result["errors"]) + tracebacks,
        "server_tracebacks": tracebacks,
        "server_rss_mb_max": round(max(result["rss"]), 1) if result["rss"] else None,
        "first_errors": result["errors"][:5],
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.write:
        from data_access.engine import get_engine
        from data_access.store import status

        issues = status(get_engine())["tables"]["issue"]
        text = (
            f"{MARK}\n\n`make load` on {clock.now():%Y-%m-%d %H:%M}: {machine()}; store with {issues:,} issues; "
            f"{args.sessions} concurrent Chromium sessions (one browser, a context each) for {args.minutes:g} "
            "minutes against one Streamlit server, the browser on the same 2 cores.\n\n"
            "| updates | p50 | p95 | max | p95 by action | errors | server RSS max | target |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
            f"| {summary['updates']} | {summary['p50_s']} s | {summary['p95_s']} s | {summary['max_s']} s | "
            f"{', '.join(f'{k} {v} s' for k, v in by_action.items())} | {summary['errors']} | "
            f"{summary['server_rss_mb_max']} MB | p95 < 2 s, 0 errors |\n"
        )
        write_section(MARK, text)
    return 0 if summary["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
