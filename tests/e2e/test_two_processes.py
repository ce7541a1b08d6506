"""Two app processes against one database: the same figures from both, and an import through the
command line reaching both without a restart (docs/deployment.md)."""

from __future__ import annotations

import time

import pytest

from tests.browser import open_signed_in
from tests.conftest import ARTIFACTS, writable_copy
from tests.e2e.test_browser import _settle
from tests.integration.test_import import GOOD, HEADER, cli, write

PAGES = ["", "issues", "stations", "volunteers", "organization"]


@pytest.fixture(scope="module")
def engine(engine):
    with writable_copy("cockpit_test_two") as copy:
        yield copy


def _figures(page, url: str, path: str) -> dict[str, str]:
    """The page's metrics once every label has its value and they stop changing: a rerun can still be
    drawing the headline row when the status widget has gone (seen in CI and on a busy machine: 8 labels
    of 14 values)."""
    open_signed_in(page, f"{url}/{path}?scope=430602001001")
    _settle(page)
    last = None
    for _ in range(30):
        labels = page.locator("[data-testid='stMetricLabel']").all_inner_texts()
        values = page.locator("[data-testid='stMetricValue']").all_inner_texts()
        now = dict(zip(labels, values, strict=True)) if labels and len(labels) == len(values) else None
        if now is not None and now == last:
            return now
        last = now
        page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / f"two-processes-unsettled-{path or 'overview'}.png"), full_page=True)
    raise AssertionError(f"the metrics of /{path} did not settle: {labels} / {values}")


def test_two_app_processes_show_the_same_figures_and_the_same_import(engine, tmp_path, artifacts):
    from tests.browser import chromium_page, streamlit_server

    with (
        streamlit_server(artifacts / "streamlit-a.log") as a,
        streamlit_server(artifacts / "streamlit-b.log") as b,
        chromium_page() as page,
    ):
        for path in PAGES:
            assert _figures(page, a, path) == _figures(page, b, path), path
        before = _figures(page, a, "stations")["服务阵地数"]
        assert _figures(page, b, "stations")["服务阵地数"] == before
        out = cli("stations", str(write(tmp_path, [HEADER, GOOD.format(n="TWO-1")])))
        assert out.returncode == 0, out.stderr
        time.sleep(6)  # each process re-reads the data version every 5 s
        after_a = _figures(page, a, "stations")["服务阵地数"]
        after_b = _figures(page, b, "stations")["服务阵地数"]
        assert after_a == after_b == str(int(before) + 1)
        page.screenshot(path=str(artifacts / "two-processes-b.png"), full_page=True)
