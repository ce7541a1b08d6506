"""A bookmarked deep link as the very first request to a fresh server keeps the app's sidebar.

(Streamlit's legacy pages-directory mode would run the page script alone; the page scripts
live in app_pages/ so it never engages.)
"""

from __future__ import annotations

import pytest

from tests.browser import chromium_page, open_signed_in, streamlit_server

pytestmark = pytest.mark.browser


def test_first_request_deep_link(engine, artifacts):
    with streamlit_server(artifacts / "streamlit-deeplink.log") as url, chromium_page() as page:
        open_signed_in(page, f"{url}/issues?scope=430602&range=year")
        page.get_by_role("heading", name="事件办理").first.wait_for(timeout=90_000)
        sidebar = page.locator("[data-testid='stSidebar']")
        sidebar.get_by_text("区/县").wait_for(timeout=60_000)
        assert "网格治理驾驶舱" in sidebar.inner_text()
        assert (
            "-01-01 至" in page.locator("[data-testid='stMain'] [data-testid='stCaptionContainer']").first.inner_text()
        )  # range=year
