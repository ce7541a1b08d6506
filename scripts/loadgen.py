"""A protocol-level load generator: simulated users that speak Streamlit's own WebSocket protocol, without a browser.

    .venv/bin/python scripts/loadgen.py [--url URL] [--users 20] [--minutes 5] [--think 2 5] [--screens 1]
                                        [--pid PID ...] [--label TEXT] [--write]

Each analyst signs in through /signin (the form's double-submit token, then the session cookie), opens a WebSocket
to ``/_stcore/stream`` and sends ``BackMsg.rerun_script`` with the page and the query string a browser would send; it
then changes the place (a district, a street), the time range or the page, with think time between actions, as
analysts do. A wall screen signs in by its token and reruns the screen page every ``--screen-refresh`` seconds. An
action's time runs from sending the rerun to the ``script_finished`` message (plotly and deck.gl are not drawn: the
figures measure the server, not browsers).

Errors: an exception element or an error box in the page, a script that did not finish successfully, a page not
found, a disconnect, an action over ``--timeout`` seconds. Without ``--url`` it serves the app itself (``serve.py``,
one process, the store of GGC_DB_NAME); ``--pid`` names the server processes to sample (CPU seconds and resident
memory, every 2 s) when the URL is someone else's (nginx in front of several). ``--write`` appends the run as a row
of the "Load (protocol)" table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

import httpx
import numpy as np
import websockets
from prometheus_client.parser import text_string_to_metric_families
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from data_access import clock  # noqa: E402

PAGES = ("", "organization", "stations", "volunteers", "issues", "property", "map")
RANGES = ("month", "quarter", "year", "12m")
SCREEN_TOKEN = "screen.demo-screen-token-2026"
ANALYST = ("city", "demo-city-2026")
MARK = "## Load (protocol)"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Result:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {detail[:200]}")

    @property
    def actions(self) -> int:
        return sum(len(v) for v in self.times.values())


async def sign_in(base: str, user: str, password: str) -> str:
    """The Cookie header of a signed-in browser."""
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30) as c:
        form = await c.get("/signin")
        csrf = _CSRF.search(form.text)[1]
        done = await c.post("/signin", data={"csrf": csrf, "next": "/", "username": user, "password": password})
        if done.status_code != 303 or "ggc_session" not in c.cookies:
            raise RuntimeError(f"sign-in of {user} failed: HTTP {done.status_code}")
        return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


class Session:
    """One browser tab: a WebSocket to the app and the reruns it asks for."""

    def __init__(self, base: str, cookie: str, result: Result, timeout: float):
        self.base, self.cookie, self.result, self.timeout = base, cookie, result, timeout
        self.ws = None
        self.texts: list[str] = []  # the last run's markdown and captions (what a reader would see)

    async def __aenter__(self):
        await self._connect()
        return self

    async def _connect(self) -> None:
        url = urlparse(self.base)
        scheme = "wss" if url.scheme == "https" else "ws"
        self.ws = await websockets.connect(
            f"{scheme}://{url.netloc}{url.path.rstrip('/')}/_stcore/stream",
            additional_headers={"Cookie": self.cookie, "Origin": self.base},
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=30,
        )

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def run(self, action: str, page: str, params: dict) -> float | None:
        """Rerun ``page`` with ``params``; the seconds to script_finished, or None after an error."""
        qs = urlencode(params)
        state = ClientState(
            query_string=qs,
            page_name=page,
            context_info=ContextInfo(
                timezone="Asia/Shanghai", timezone_offset=-480, locale="zh-CN", url=f"{self.base}/{page}?{qs}"
            ),  # fmt: skip
        )
        t0 = time.perf_counter()
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
        failed, self.texts = None, []
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    msg = ForwardMsg()
                    msg.ParseFromString(await self.ws.recv())
                    kind = msg.WhichOneof("type")
                    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                        el = msg.delta.new_element
                        which = el.WhichOneof("type")
                        if which == "markdown":
                            self.texts.append(el.markdown.body)
                        elif which == "exception":
                            failed = failed or ("exception", f"{page}?{qs}: {el.exception.message}")
                        elif which == "alert" and el.alert.format == Alert.ERROR:
                            failed = failed or ("error box", f"{page}?{qs}: {el.alert.body}")
                    elif kind == "page_not_found":
                        failed = failed or ("page not found", f"{page}?{qs}")
                    elif kind == "script_finished":
                        status = msg.script_finished
                        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            continue
                        if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                            failed = failed or ("not finished", f"{page}?{qs}: status {status}")
                        break
        except TimeoutError:
            self.result.error("timeout", f"{page}?{qs} over {self.timeout:.0f} s")
            # The late run's messages would end the next action early: a new connection, as a browser reloads.
            await self.ws.close()
            await self._connect()
            return None
        except websockets.ConnectionClosed as exc:
            self.result.error("disconnect", f"{page}?{qs}: {exc}")
            raise
        took = time.perf_counter() - t0
        if failed:
            self.result.error(*failed)
            return None
        self.result.times[action].append(took)
        return took


async def analyst(i: int, base: str, places: list[str], deadline: float, think: tuple[float, float], result: Result,
                  timeout: float, rng: random.Random) -> None:  # fmt: skip
    """Sign in, open a page at a place, then change place, range or page with think time, until the deadline."""
    try:
        cookie = await sign_in(base, *ANALYST)
    except Exception as exc:  # noqa: BLE001 (one line of the report, not a traceback)
        result.error("sign-in", f"{type(exc).__name__}: {exc}")
        return
    page, params = rng.choice(PAGES), {"scope": rng.choice(places), "range": rng.choice(RANGES)}
    try:
        async with Session(base, cookie, result, timeout) as s:
            await s.run("open", page, params)
            while time.monotonic() < deadline:
                await asyncio.sleep(rng.uniform(*think))
                if time.monotonic() >= deadline:
                    break
                action = rng.choices(("place", "range", "page"), weights=(3, 1, 2))[0]
                if action == "place":
                    params = {**params, "scope": rng.choice(places)}
                elif action == "range":
                    params = {**params, "range": rng.choice(RANGES)}
                else:
                    page = rng.choice([p for p in PAGES if p != page])
                await s.run(action, page, params)
    except websockets.ConnectionClosed:
        return
    except (OSError, websockets.InvalidHandshake) as exc:
        result.error("connect", f"{type(exc).__name__}: {exc}")


async def screen(base: str, scope: str, deadline: float, refresh: float, result: Result, timeout: float) -> None:
    """A wall screen: its token, the screen page rotating through the scope's streets, rerun every ``refresh``."""
    params = {"scope": scope, "rotate": "children", "every": "30", "refresh": str(int(refresh)), "token": SCREEN_TOKEN}
    try:
        async with Session(base, "", result, timeout) as s:
            while time.monotonic() < deadline:
                await s.run("screen", "screen", params)
                await asyncio.sleep(refresh)
    except websockets.ConnectionClosed:
        return
    except (OSError, websockets.InvalidHandshake) as exc:
        result.error("connect", f"{type(exc).__name__}: {exc}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def sample(pids: list[int], stop: asyncio.Event, into: dict) -> None:
    into["rss_max"] = {p: 0.0 for p in pids}
    while not stop.is_set():
        for p in pids:
            try:
                into["rss_max"][p] = max(into["rss_max"][p], rss_mb(p))
            except OSError:
                pass
        try:
            await asyncio.wait_for(stop.wait(), 2)
        except TimeoutError:
            pass


async def generate(base: str, users: int, minutes: float, think, screens: int, places: list[str],
                   screen_scope: str, screen_refresh: float, pids: list[int], timeout: float,
                   seed: int) -> dict:  # fmt: skip
    """Run the users against ``base``; the figures of the run."""
    result, server = Result(), {}
    rng = random.Random(seed)
    deadline = time.monotonic() + minutes * 60
    cpu0 = {p: cpu_seconds(p) for p in pids}
    reads0 = await page_reads(base)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample(pids, stop, server))
    started = time.monotonic()
    tasks = []
    for i in range(users):  # arrivals spread over the first few seconds, as a morning's do
        tasks.append(asyncio.create_task(analyst(i, base, places, deadline, think, result, timeout,
                                                 random.Random(rng.random()))))  # fmt: skip
        await asyncio.sleep(min(0.25, 5 / max(users, 1)))
    tasks += [asyncio.create_task(screen(base, screen_scope, deadline, screen_refresh, result, timeout))
              for _ in range(screens)]  # fmt: skip
    await asyncio.gather(*tasks)
    stop.set()
    await sampler
    elapsed = time.monotonic() - started
    cpu = sum(cpu_seconds(p) - cpu0[p] for p in pids if Path(f"/proc/{p}").exists())
    reads1 = await page_reads(base)
    reads, misses = (reads1[k] - reads0[k] for k in ("reads", "misses"))
    every = [t for v in result.times.values() for t in v]
    return {
        "users": users,
        "screens": screens,
        "minutes": round(elapsed / 60, 1),
        "actions": result.actions,
        "by_action": {k: _stats(v) for k, v in sorted(result.times.items())},
        "all": _stats(every),
        "errors": dict(result.errors),
        "error_examples": result.examples,
        "cpu_s_per_action": round(cpu / max(result.actions, 1), 3) if pids else None,
        "cpu_share": round(cpu / elapsed, 2) if pids else None,
        "page_reads": round(reads),
        "cache_miss_share": round(misses / reads, 2) if 0 <= misses <= reads and reads > 0 else None,
        "rss_max_mb": {str(p): round(v) for p, v in server.get("rss_max", {}).items()},
    }


async def page_reads(base: str) -> dict[str, float]:
    """The page reads asked for and those that missed the cache, from the app's /metrics (served to this machine).
    Behind nginx the two requests may reach different processes: a share that makes no sense is left out."""
    text = ""
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"{base.rstrip('/')}/metrics")
            text = answer.text if answer.status_code == 200 else ""
    except httpx.HTTPError:
        pass
    found = {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples}
    return {
        "reads": found.get("ggc_page_reads_total", 0.0),
        "misses": found.get("ggc_page_read_cache_misses_total", 0.0),
    }


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    a = np.asarray(values)
    return {"n": len(a), "p50": round(float(np.percentile(a, 50)), 3), "p95": round(float(np.percentile(a, 95)), 3),
            "max": round(float(a.max()), 3)}  # fmt: skip


def places_of_store() -> tuple[list[str], str]:
    """Districts and streets of the configured store (GGC_DB_NAME), and the district a wall screen shows."""
    import sqlalchemy as sa

    from data_access.engine import get_engine

    with get_engine().connect() as conn:
        districts = conn.execute(sa.text("SELECT code FROM district ORDER BY code")).scalars().all()
        streets = conn.execute(sa.text("SELECT code FROM street ORDER BY code")).scalars().all()
    return [*districts, *streets], ("430602" if "430602" in districts else districts[0])


def row(label: str, r: dict) -> str:
    a, errors = r["all"], sum(r["errors"].values())
    if errors:
        errors = f"{errors} ({', '.join(f'{k} {n}' for k, n in sorted(r['errors'].items()))})"
    cpu = "—" if r["cpu_s_per_action"] is None else f"{r['cpu_s_per_action']:.2f} s"
    if r.get("cache_miss_share") is not None:
        cpu += f" ({r['cache_miss_share']:.0%} of reads missed)"
    rss = "—" if not r["rss_max_mb"] else " / ".join(f"{v:,} MB" for v in r["rss_max_mb"].values())
    times = " | ".join(f"{a.get(k, 0):.2f} s" for k in ("p50", "p95", "max"))
    who = f"{r['users']} + {r['screens']} screen"
    return f"| {label} | {who} | {r['minutes']} min | {r['actions']} | {times} | {errors} | {cpu} | {rss} |"


def write_row(line: str) -> None:
    from scripts.bench_pages import machine

    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    if MARK not in text:
        text += f"""
{MARK}

`scripts/loadgen.py` (`make load`): simulated users speaking Streamlit's WebSocket protocol (no browser), each
signing in and then changing place, range or page with 2–5 s of thinking; one wall screen rerunning every 60 s. Time
per action: the rerun sent → `script_finished`. CPU per action: the server processes' CPU seconds over the run ÷ the
actions. Machine: {machine()}; the generator ran on the same 2 cores.

| run | users | length | actions | p50 | p95 | max | errors | CPU per action | server RSS (max) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
"""
    head, _, section = text.partition(MARK)
    lines = section.split("\n")
    end = next((i for i, s in enumerate(lines[1:], 1) if s.startswith("## ")), len(lines))
    last = max(i for i in range(end) if lines[i].startswith("|"))
    lines.insert(last + 1, line)
    doc.write_text(head + MARK + "\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=None, help="the app to load (default: serve one process here)")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--minutes", type=float, default=5)
    p.add_argument("--think", type=float, nargs=2, default=(2.0, 5.0), metavar=("MIN", "MAX"))
    p.add_argument("--screens", type=int, default=1)
    p.add_argument("--screen-refresh", type=float, default=60)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--pid", type=int, nargs="*", default=[], help="server processes to sample (with --url)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--label", default="")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--write", action="store_true", help="add the run to docs/benchmarks.md")
    args = p.parse_args(argv)
    places, screen_scope = places_of_store()
    if args.url:
        serving = nullcontext(args.url)
    else:
        from tests.browser import streamlit_server

        (ROOT / "test-artifacts").mkdir(exist_ok=True)  # a fresh clone has none before its first test run
        serving = streamlit_server(ROOT / "test-artifacts" / "loadgen-server.log")
    with serving as base:
        pids = args.pid or (_cluster_pids(base) if args.url else _listener_pids(base))
        r = asyncio.run(generate(base, args.users, args.minutes, tuple(args.think), args.screens, places,
                                 screen_scope, args.screen_refresh, pids, args.timeout, args.seed))  # fmt: skip
    label = args.label or f"{os.environ.get('GGC_DB_NAME', 'cockpit')}, {'one process' if not args.url else args.url}"
    print(json.dumps(r, ensure_ascii=False, indent=2) if args.json else row(label, r))
    if args.write:
        write_row(row(f"{label} ({clock.now():%Y-%m-%d})", r))
    return 0 if not r["errors"] else 1


def _cluster_pids(base: str) -> list[int]:
    """The app processes of ``make cluster`` when the URL is its nginx (else none: pass --pid)."""
    from scripts.cluster import status

    state = status()
    return list(state["apps"].values()) if state.get("url") == base.rstrip("/") else []


def _listener_pids(base: str) -> list[int]:
    """The process listening on the URL's port (the server this script started)."""
    import psutil

    port = urlparse(base).port
    for conn in psutil.net_connections("tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return [conn.pid]
    return []


if __name__ == "__main__":
    raise SystemExit(main())
