"""A real multi-process deployment (issue 21, item 2), as ``make cluster`` starts it: nginx (sticky by cookie) in front
of two app processes, pgbouncer in transaction mode, and a streaming replica of the store for the pages' reads. CI
installs nginx and pgbouncer (.ci/run)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from data_access import tokens
from data_access.engine import _app_role_engine, acting
from data_access.importing.load import import_file
from data_access.settings import PROJECT_ROOT, get_settings
from scripts import cluster, loadgen
from tests.browser import DEMO_PASSWORDS, free_port
from tests.conftest import writable_copy

pytestmark = pytest.mark.cluster
DB = "cockpit_test_cluster"


@pytest.fixture(scope="module")
def deployed(engine):
    """The cluster on a copy of the test store (imports write): its state, the copy's owner engine, an admin token."""
    saved = os.environ.get("GGC_CLUSTER_DIR")
    os.environ["GGC_CLUSTER_DIR"] = str(get_settings().data_dir / "cluster-test")
    try:
        with writable_copy(DB) as copy:
            with copy.begin() as conn:
                token = tokens.issue(conn, "admin", "cluster test", "admin")
            try:
                yield cluster.up(2, True, free_port(), free_port(), free_port(), DB), copy, token
            finally:
                cluster.down(purge=True)  # the replica is a copy of the whole server: not kept
    finally:
        if saved is None:
            os.environ.pop("GGC_CLUSTER_DIR", None)
        else:
            os.environ["GGC_CLUSTER_DIR"] = saved


@contextmanager
def _signed_in(base: str, user: str = "district"):
    """A browser (its cookies) signed in through /signin."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
        csrf = loadgen._CSRF.search(c.get("/signin").text)[1]
        form = {"csrf": csrf, "next": "/", "username": user, "password": DEMO_PASSWORDS[user]}
        done = c.post("/signin", data=form)
        assert done.status_code == 303 and "ggc_session" in c.cookies, done.status_code
        yield c


def _upstream(answer: httpx.Response) -> str:
    """The process that answered in the end (nginx lists every one it tried)."""
    return answer.headers["X-GGC-Upstream"].split(",")[-1].strip()


def _open(base: str, cookie: str) -> tuple[loadgen.Result, str]:
    """A protocol-level tab (WebSocket) opening the issues page of 岳阳楼区: its result and the text it showed."""

    async def go():
        result = loadgen.Result()
        async with loadgen.Session(base, cookie, result, 120) as s:
            await s.run("open", "issues", {"scope": "430602"})
        return result, " ".join(s.texts)

    return asyncio.run(go())


def _cookie(c: httpx.Client) -> str:
    return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


def test_a_session_stays_on_its_process_and_new_ones_spread(deployed):
    state, _, _ = deployed
    with _signed_in(state["url"]) as c:
        node = c.cookies["ggc_node"]
        served = {_upstream(c.get(path)) for path in ("/", "/healthz", "/", "/signin", "/healthz") * 2}
        assert len(served) == 1, served
        result, shown = _open(state["url"], _cookie(c))
    assert result.errors == {} and result.times["open"], result.examples
    assert "岳阳楼区（演示）" in shown  # signed in as the district
    log = ""
    for _ in range(20):  # nginx writes a WebSocket's line when it closes
        log = (cluster.state_dir() / "nginx-access.log").read_text()
        if any("/_stcore/stream" in line for line in log.splitlines() if f" {node} " in line):
            break
        time.sleep(0.25)
    mine = [line.split()[2] for line in log.splitlines() if line.split()[1] == node]
    assert any("/_stcore/stream" in line for line in log.splitlines() if f" {node} " in line)
    assert set(mine) == served, (set(mine), served)  # the WebSocket went where the pages did
    fresh = set()
    for _ in range(16):
        with httpx.Client(base_url=state["url"], timeout=30) as other:
            fresh.add(_upstream(other.get("/healthz")))
    assert fresh == {f"127.0.0.1:{p}" for p in state["apps"]}, fresh


def test_a_sign_in_cookie_is_valid_on_both_processes(deployed):
    state, _, _ = deployed
    with _signed_in(state["url"]) as c:
        cookie = f"ggc_session={c.cookies['ggc_session']}"
    for port in state["apps"]:
        direct = f"http://127.0.0.1:{port}"
        result, shown = _open(direct, cookie)
        assert result.errors == {} and result.times["open"], (port, result.examples)
        assert "岳阳楼区（演示）" in shown, (port, shown[:300])
        ran, stranger = _open(direct, "ggc_session=forged")
        assert ran.times["open"] and "岳阳楼区（演示）" not in stranger  # a cookie the store does not know: no one


def test_an_import_through_the_primary_reaches_both_processes_through_the_replica(deployed, tmp_path):
    state, copy, token = deployed

    def answers() -> list[dict]:
        return [
            httpx.get(
                f"http://127.0.0.1:{port}/api/v1/indicators",
                params={"scope": "430602", "range": "year"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            ).json()  # fmt: skip
            for port in state["apps"]
        ]

    before = answers()
    assert before[0] == before[1] and before[0]["indicators"]
    lines = (PROJECT_ROOT / "examples" / "issues.csv").read_text(encoding="utf-8").splitlines()
    row = next(line for line in lines if ",430602001002," in line).split(",", 1)[1]
    path = tmp_path / "issues.csv"
    path.write_text("\n".join([lines[0], *(f"CLUSTER-{n},{row}" for n in range(3))]), encoding="utf-8")
    # As /import does it: the app role through pgbouncer (transaction mode) to the primary, as an admin.
    app_role = _app_role_engine(f"postgresql+psycopg://ggc_app@127.0.0.1:{state['pgbouncer_port']}/{DB}")
    with acting("*", "admin", "admin"):
        report = import_file(app_role, "issues", path)
    app_role.dispose()
    assert report.loaded, report.problems
    t0, after = time.monotonic(), before
    while time.monotonic() - t0 < 30 and any(a == b for a, b in zip(after, before, strict=True)):
        time.sleep(0.5)
        after = answers()
    assert after[0] == after[1] != before[0], "the import did not reach both processes within 30 s"
    reached = time.monotonic() - t0
    pgbouncer_log = (cluster.state_dir() / "pgbouncer" / "pgbouncer.log").read_text()
    assert f"{DB}_ro/ggc_app@" in pgbouncer_log  # the pages' reads went to the replica's pool
    with copy.connect() as conn:  # the replica really is a streaming standby of this primary
        senders = conn.execute(sa.text("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")).scalar()
    assert senders >= 1
    print(f"an import reached both processes in {reached:.1f} s")


def test_killing_one_process_sends_its_and_new_sessions_to_the_other(deployed):
    state, _, _ = deployed
    with _signed_in(state["url"]) as c:
        first = _upstream(c.get("/"))
        port = first.rsplit(":", 1)[1]
        os.killpg(state["apps"][port], signal.SIGKILL)
        time.sleep(0.5)
        survivor = f"127.0.0.1:{next(p for p in state['apps'] if p != port)}"
        again = c.get("/")  # the same browser, its cookie still naming the dead process
        assert again.status_code == 200 and _upstream(again) == survivor, (again.status_code, again.headers)
        kept, shown = _open(state["url"], _cookie(c))
    assert kept.errors == {} and kept.times["open"], kept.examples
    assert "岳阳楼区（演示）" in shown  # still signed in: the session lives in the store
    for user in ("street", "city", "admin"):
        with _signed_in(state["url"], user) as fresh:
            assert _upstream(fresh.get("/")) == survivor
            result, _ = _open(state["url"], _cookie(fresh))
        assert result.errors == {} and result.times["open"], (user, result.examples)
    errors = (cluster.state_dir() / "nginx-error.log").read_text()
    assert re.search(
        r"connect\(\) failed .* upstream: \"http://" + re.escape(first), errors
    )  # it was tried, and failed
