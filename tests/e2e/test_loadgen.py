"""The protocol-level load generator (issue 21, item 1), run briefly against a real server: simulated analysts and a
wall screen speak Streamlit's WebSocket protocol, their actions are timed to script_finished, and failures are
counted, not hidden."""

from __future__ import annotations

import asyncio

import pytest

from scripts import loadgen
from tests.browser import streamlit_server


@pytest.fixture(scope="module")
def app(engine, artifacts):
    with streamlit_server(artifacts / "streamlit-loadgen.log") as url:
        yield url, loadgen._listener_pids(url)


def test_analysts_and_a_wall_screen_run_without_errors_and_are_timed(app):
    url, pids = app
    places, screen_scope = loadgen.places_of_store()
    r = asyncio.run(loadgen.generate(url, 3, 0.4, (0.5, 1.5), 1, places, screen_scope, 6, pids, 60, seed=7))
    assert r["errors"] == {}, r["error_examples"]
    assert r["by_action"]["open"]["n"] == 3 and r["by_action"]["screen"]["n"] >= 2
    assert r["actions"] >= 10 and 0 < r["all"]["p50"] <= r["all"]["p95"] <= r["all"]["max"] < 60
    assert pids and r["cpu_s_per_action"] > 0 and all(v > 100 for v in r["rss_max_mb"].values())
    assert r["page_reads"] > r["actions"] and 0 < r["cache_miss_share"] <= 1  # from the server's /metrics
    line = loadgen.row("test", r)
    assert line.startswith("| test | 3 + 1 screen |") and line.count("|") == 11


def test_a_page_that_does_not_exist_and_a_bad_screen_token_are_counted_as_errors(app):
    url, _ = app

    async def tries():
        result = loadgen.Result()
        cookie = await loadgen.sign_in(url, *loadgen.ANALYST)
        async with loadgen.Session(url, cookie, result, 60) as s:
            assert await s.run("open", "issues", {"scope": "430602"}) is not None
            assert await s.run("page", "no-such-page", {"scope": "430602"}) is None
        async with loadgen.Session(url, "", result, 60) as s:
            assert await s.run("screen", "screen", {"scope": "430602", "token": "screen.wrong"}) is None
        return result

    result = asyncio.run(tries())
    assert result.errors == {"page not found": 1, "error box": 1}, result.examples
    assert result.times["open"] and not result.times["page"]


def test_a_wrong_password_is_refused_at_sign_in(app):
    url, _ = app
    with pytest.raises(RuntimeError, match="sign-in of city failed"):
        asyncio.run(loadgen.sign_in(url, "city", "wrong"))
