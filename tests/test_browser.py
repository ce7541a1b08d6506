"""Key flows in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser import chromium_page, streamlit_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(engine, artifacts):
    with streamlit_server(artifacts / "streamlit-browser.log") as url:
        yield url


def _wait_for_app(page):
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    page.wait_for_load_state("networkidle")


def test_first_page_lists_the_seven_places(app_url, engine, artifacts):
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(sa.text("SELECT name FROM district ORDER BY code"))]
    with chromium_page() as page:
        page.goto(app_url)
        _wait_for_app(page)
        body = page.inner_text("body")
        page.screenshot(path=str(artifacts / "overview.png"), full_page=True)
        assert len(names) == 7
        for name in names:
            assert name in body
        assert "示范地区一览" in body
        assert page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count() == 0


def test_language_switch_to_english_and_back(app_url, artifacts):
    with chromium_page() as page:
        page.goto(app_url)
        _wait_for_app(page)
        page.get_by_text("English").click()
        page.wait_for_url("**lang=en**", timeout=30_000)
        page.get_by_text("Places at a glance").wait_for(timeout=30_000)
        page.screenshot(path=str(artifacts / "overview-en.png"), full_page=True)
        page.reload()
        page.get_by_text("Places at a glance").wait_for(timeout=30_000)
        page.get_by_text("中文").click()
        page.get_by_text("示范地区一览").wait_for(timeout=30_000)
