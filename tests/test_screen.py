"""The wall screen: URL configuration, rotation, the page in AppTest, and in Chromium at 1920×1080 with
a rotation over two streets and the Postgres server stopped and restarted under it."""

from __future__ import annotations

import time

import pytest

from dashboard import screen
from data_access.accounts import DEMO_SCREEN_TOKEN
from data_access.settings import get_settings
from tests.apptest import app_test

STREETS = ["430602001", "430602002"]


def test_parse_reads_the_url_and_falls_back_on_nonsense():
    c = screen.parse({"scope": "430602", "rotate": "430602001,430602002", "every": "3", "refresh": "10"})
    assert c.scope == "430602" and c.rotate == tuple(STREETS) and c.every == 3 and c.refresh == 10 and c.tick == 3
    c = screen.parse(
        {"scope": "'; DROP TABLE issue;--", "rotate": "<b>,1", "every": "0", "refresh": "x", "theme": "pink"}
    )
    assert c == screen.ScreenConfig(scope=None, rotate=(), every=3, refresh=60, theme="dark", alert=False)
    assert screen.parse({"rotate": "children", "alert": "1"}).rotate == "children"
    assert screen.parse({"rotate": "children", "alert": "1"}).alert


def test_rotation_follows_the_wall_clock():
    places = ["a", "b", "c"]
    assert [screen.current(places, 10, now) for now in (0, 9.9, 10, 25, 30)] == ["a", "a", "b", "c", "a"]
    assert screen.current([], 10) is None


def test_every_text_reaching_the_screen_html_is_escaped():
    html = screen.rows_panel("<t>", [("<img src=x onerror=alert(1)>", "1")], "—")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in screen.banner("alert", "<script>x</script>")


def test_the_screen_page_renders_without_widgets_or_sidebar(engine):
    at = app_test(timeout=120)
    at.query_params["scope"] = "430602"
    at.query_params["rotate"] = "children"
    at.switch_page("app_pages/screen.py")
    at.run()
    assert not at.exception and not at.error
    assert len(at.selectbox) == 0 and len(at.radio) == 0 and len(at.button) == 0
    assert not at.sidebar.children
    shown = " ".join(m.value for m in at.markdown)
    assert "ggc-kpis" in shown and "岳阳楼区" in shown and "今日上报" in shown


def _caption(page) -> str:
    return page.locator("[data-testid='screen-place']").first.inner_text(timeout=60_000)


def test_wall_screen_in_chromium_rotates_fits_and_survives_a_database_restart(engine, artifacts):
    from data_access.engine import embedded_server
    from tests.browser import chromium_page, streamlit_server

    if not get_settings().embedded:
        pytest.fail("this test stops the embedded Postgres; run it without DATABASE_URL")
    params = f"scope=430602&rotate={','.join(STREETS)}&every=3&refresh=3&token={DEMO_SCREEN_TOKEN}"
    with streamlit_server(artifacts / "streamlit-screen.log") as url, chromium_page(1920, 1080) as page:
        page.goto(f"{url}/screen?{params}")
        first = _caption(page)
        # Every 3 s by the wall clock; a run that reads a street's figures on a busy machine (a demo build
        # beside the tests) has taken longer than 30 s, so the wait is for the change, up to 120 s.
        deadline = time.monotonic() + 120
        while _caption(page) == first and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        second = _caption(page)
        assert second != first, "the caption never changed"
        names = {first.split(" · ")[-1], second.split(" · ")[-1]}
        assert len(names) == 2
        page.wait_for_timeout(2500)
        page.screenshot(path=str(artifacts / "screen-1920x1080.png"))
        sizes = page.evaluate(
            "[document.documentElement.scrollHeight, document.documentElement.clientHeight,"
            " document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes  # no scroll bars
        assert page.locator("[data-testid='stSidebar']").is_hidden()
        assert page.get_by_text("Page not found").count() == 0  # /screen answers as itself
        assert page.locator("[data-testid='stException']").count() == 0

        server = embedded_server()
        server.stop()
        try:
            banner = page.locator("[data-testid='screen-down']")
            banner.wait_for(state="visible", timeout=60_000)
            assert "正在重新连接" in banner.inner_text()
            assert _caption(page)  # the last data stays on screen
            page.wait_for_timeout(8000)  # several ticks without a store, past the data version's 5 s cache
            assert page.locator("[data-testid='stException']").count() == 0
            assert page.locator("[data-testid='stDeckGlJsonChart']").count() == 1  # the last map too
            page.screenshot(path=str(artifacts / "screen-offline.png"))
        finally:
            server.ensure_postgres_running()
        banner.wait_for(state="detached", timeout=90_000)
        page.wait_for_timeout(3500)
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(artifacts / "screen-recovered.png"))
        page.set_viewport_size({"width": 3840, "height": 2160})  # a 4K wall at device pixel ratio 1
        page.wait_for_timeout(3000)
        sizes = page.evaluate(
            "[document.documentElement.scrollHeight, document.documentElement.clientHeight,"
            " document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes
        page.screenshot(path=str(artifacts / "screen-3840x2160.png"))


def test_panel_rotation_shows_one_big_panel_at_a_time(engine):
    assert screen.parse({"rotate": "panels"}).rotate == "panels"
    at = app_test(timeout=120)
    at.query_params["scope"] = "430602"
    at.query_params["rotate"] = "panels"
    at.switch_page("app_pages/screen.py")
    at.run()
    assert not at.exception and not at.error
    panels = (
        len(at.get("plotly_chart"))
        + len(at.get("deck_gl_json_chart"))
        + sum('class="ggc-panel"' in m.value for m in at.markdown)
    )
    assert panels == 1
