"""Key flows in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.browser import chromium_page, open_signed_in, streamlit_server, wait_until_idle

pytestmark = pytest.mark.browser

PAGES = [
    ("", "总览"),
    ("organization", "组织体系"),
    ("stations", "服务阵地"),
    ("volunteers", "志愿服务"),
    ("issues", "事件办理"),
    ("property", "物业与业委会"),
]
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


@pytest.fixture(scope="module")
def app_url(engine, artifacts):
    with streamlit_server(artifacts / "streamlit-browser.log") as url:
        yield url


def _settle(page):
    page.wait_for_selector(
        "[data-testid='stMetric'], [data-testid='stAlertContentInfo'], [data-testid='stDeckGlJsonChart']",
        timeout=90_000,
    )
    wait_until_idle(page)
    page.wait_for_timeout(500)


def _choose(page, label: str, option: str):
    page.locator("[data-testid='stSelectbox']").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_first_page_lists_every_district(app_url, engine, artifacts):
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(sa.text("SELECT name FROM district ORDER BY code"))]
    with chromium_page() as page:
        open_signed_in(page, app_url)
        _settle(page)
        page.get_by_role("heading", name="示范地区一览").wait_for(timeout=60_000)
        page.get_by_text("岳阳楼区").first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        page.screenshot(path=str(artifacts / "overview-all.png"), full_page=True)
        assert len(names) == 18  # the seven seed districts and the rest of Wuhan
        for name in names:
            assert name in body
        assert "示范地区一览" in body
        assert page.locator(ERRORS).count() == 0


def test_scope_in_the_url_survives_pages_and_reloads(app_url, artifacts):
    with chromium_page() as page:
        open_signed_in(page, app_url)
        _settle(page)
        _choose(page, "城市", "岳阳市")
        page.wait_for_url(re.compile(r"scope=430600"), timeout=30_000)
        _settle(page)
        _choose(page, "区/县", "岳阳楼区")
        page.wait_for_url(re.compile(r"scope=430602"), timeout=30_000)
        _settle(page)
        for path, title in PAGES:
            page.locator("[data-testid='stSidebar'] a").filter(has_text=title).first.click()
            page.wait_for_url(re.compile(rf"/{path}\?.*scope=430602" if path else r"/\?.*scope=430602"), timeout=30_000)
            _settle(page)
            page.get_by_role("heading", name=title).first.wait_for(timeout=30_000)
            assert page.locator(ERRORS).count() == 0, f"error box on {title}"
            page.screenshot(path=str(artifacts / f"page-{path or 'overview'}.png"), full_page=True)
        open_signed_in(page, page.url)
        _settle(page)
        assert "scope=430602" in page.url
        crumb = page.get_by_role("button", name="› 岳阳楼区")
        assert crumb.is_disabled()  # the current place, last in the breadcrumb
        page.get_by_role("button", name="› 岳阳市").click()
        page.wait_for_url(re.compile(r"scope=430600"), timeout=30_000)


def test_language_switch_keeps_the_view(app_url, artifacts):
    with chromium_page() as page:
        open_signed_in(page, f"{app_url}/issues?scope=430602")
        _settle(page)
        page.get_by_text("English", exact=True).click()
        page.wait_for_url(re.compile(r"lang=en"), timeout=30_000)
        page.get_by_role("heading", name="Issue handling").first.wait_for(timeout=30_000)
        assert "scope=430602" in page.url
        _settle(page)
        page.screenshot(path=str(artifacts / "page-issues-en.png"), full_page=True)
        open_signed_in(page, page.url)
        page.get_by_role("heading", name="Issue handling").first.wait_for(timeout=60_000)
        page.get_by_text("中文", exact=True).click()
        page.get_by_role("heading", name="事件办理").first.wait_for(timeout=30_000)


def test_clicking_a_ranking_row_drills_down(app_url, engine, artifacts):
    with chromium_page() as page:
        open_signed_in(page, f"{app_url}/issues?scope=430602")
        _settle(page)
        # The ranking of units: the first table after its heading.
        heading = page.get_by_role("heading", name="按下级单位")
        heading.scroll_into_view_if_needed()
        grid = heading.locator("xpath=following::*[@data-testid='stDataFrame'][1]")
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the selection cell of the first row
        page.wait_for_function("() => /scope=430602\\d{3}(&|$)/.test(location.search)", timeout=30_000)
        _settle(page)
        code = re.search(r"scope=(\d+)", page.url).group(1)
        assert len(code) == 9  # one level down, not further
        with engine.connect() as conn:
            name = conn.execute(sa.text("SELECT name FROM street WHERE code = :c"), {"c": code}).scalar()
        page.get_by_role("button", name=f"› {name}").wait_for(timeout=30_000)


def test_map_draws_offline_and_a_click_drills_down(app_url, artifacts):
    from io import BytesIO

    from PIL import Image

    with chromium_page(height=1500) as page:  # tall enough for the map and its legend
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        open_signed_in(page, f"{app_url}/map?scope=430602")
        page.get_by_role("heading", name="网格地图").first.wait_for(timeout=90_000)
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        canvas.wait_for(timeout=60_000)
        page.get_by_text("区县边界").first.wait_for(timeout=30_000)  # the legend keys the layers
        page.wait_for_timeout(3000)
        page.screenshot(path=str(artifacts / "page-map.png"))
        img = Image.open(BytesIO(canvas.screenshot())).convert("RGB")
        pixels = list(img.getdata())
        painted = sum(1 for p in pixels if p != pixels[0]) / len(pixels)
        assert painted > 0.1, f"map canvas is blank ({painted:.1%} painted)"
        assert len({p for p in pixels[::50]}) > 20  # a choropleth, not a flat fill
        assert not [u for u in requests if not u.startswith(app_url) and not u.startswith("data:")], (
            "the map must not fetch anything from outside the app"
        )
        page.get_by_text("服务阵地及步行覆盖").click()  # stations off: the click must land on an area
        page.wait_for_timeout(3000)
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function("() => /scope=430602\\d{6}(&|$)/.test(location.search)", timeout=90_000)
        _map_canvas(page)  # a community: its micro-grids, compounds, grid lines and the streets beside it
        page.get_by_text("本社区边界").first.wait_for(timeout=30_000)
        page.wait_for_timeout(3000)
        page.screenshot(path=str(artifacts / "page-map-community.png"))
        assert page.locator(ERRORS).count() == 0


def test_table_downloads_are_written_when_clicked(app_url, artifacts):
    """Downloads are generated on demand (not on every rerun): the CSV has a BOM and the headers shown."""
    with chromium_page() as page:
        open_signed_in(page, f"{app_url}/issues?scope=430602")
        _settle(page)
        with page.expect_download(timeout=60_000) as csv_download:
            page.get_by_role("button", name="下载 CSV").first.click()
        body = open(csv_download.value.path(), "rb").read()
        assert body.startswith(b"\xef\xbb\xbf") and "环节".encode() in body.splitlines()[0]
        # A download does not rerun the page (on_click="ignore"): the next button is clicked at once, as a user would.
        with page.expect_download(timeout=60_000) as xlsx_download:
            page.get_by_role("button", name="下载 Excel").first.click()
        assert open(xlsx_download.value.path(), "rb").read(2) == b"PK"  # a zip: .xlsx
        # Named after place, page, table and period, with the title block in the workbook (issue 15).
        name = xlsx_download.value.suggested_filename
        assert csv_download.value.suggested_filename.startswith("岳阳楼区_事件办理_")
        book = artifacts / "download.xlsx"
        xlsx_download.value.save_as(book)
    assert name.startswith("岳阳楼区_事件办理_") and name.endswith(".xlsx"), name
    import openpyxl

    ws = openpyxl.load_workbook(book).active
    labels = [ws.cell(row=r, column=1).value for r in range(1, 7)]
    assert labels == ["范围", "统计期", "对比期", "统计时点", "导出人", "导出时间"]
    assert ws.cell(row=1, column=2).value == "岳阳楼区" and f"_{ws.title}_" in name  # the sheet: the table's name


def test_a_phone_sees_the_headline_and_the_worst_units_on_its_first_screen(app_url, artifacts):
    """At 390 × 844 px the overview shows its headline cards two a row and the ranking on the first screen,
    and the page does not scroll sideways (issue 15)."""
    with chromium_page(width=390, height=844) as page:
        open_signed_in(page, f"{app_url}/?scope=430602")
        _settle(page)
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(artifacts / "overview-390.png"))
        cards = page.locator("[data-testid='stMetric']")
        first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
        assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"] + first["width"] / 2  # two a row
        ranking = page.locator("[data-testid='stDataFrame']").first.bounding_box()
        assert ranking["y"] + 110 < 844, ranking  # its header and the two worst units are on the first screen
        wide = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('body, [data-testid=stMain]')].map(e => e.scrollWidth))"
        )
        assert wide <= 390 + 1, wide


_TOOLTIP = """() => { const t = document.querySelector('.deck-tooltip');
    return t && t.style.display !== 'none' && t.innerText.trim() ? t.innerText : null }"""


def _map_canvas(page):
    wait_until_idle(page)
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => { const c = document.querySelector('[data-testid=stDeckGlJsonChart] canvas');"
        " return c && c.getBoundingClientRect().height > 300 }",
        timeout=60_000,
    )
    return canvas


def _hover_a_unit(page, canvas, rng, length: int, seen: set):
    """Move over random points of the map until the tooltip names a unit (a code of ``length`` digits) and names
    the same one 3 px around: a point inside a unit, not on a shared border or a station dot, where deck.gl's
    click and hover picks can differ by a pixel or two. Return the point and the code: one not in ``seen`` if
    one turns up in 60 tries (the last units left may be small), else any."""

    def code_at(x, y):
        page.mouse.move(x, y)
        for _ in range(10):  # the tooltip follows the pointer within a frame or two; up to 1 s on a busy machine
            page.wait_for_timeout(100)
            found = re.search(rf"^(\d{{{length}}})$", page.evaluate(_TOOLTIP) or "", re.M)
            if found:
                return found.group(1)
        return None

    for attempt in range(200):
        box = canvas.bounding_box()  # the map may have been drawn again since: measure it each time
        if box is None:
            page.wait_for_timeout(500)
            continue
        x = box["x"] + rng.uniform(0.05, 0.95) * box["width"]
        y = box["y"] + rng.uniform(0.05, 0.95) * box["height"]
        code = code_at(x, y)
        if (
            code
            and (code not in seen or attempt >= 60)
            and all(code_at(x + dx, y + dy) == code for dx, dy in ((3, 0), (-3, 0), (0, 3), (0, -3)))
        ):
            assert code_at(x, y) == code  # the tooltip the user reads before clicking
            return x, y, code
    raise AssertionError("no unit with a tooltip found on the map")


@pytest.mark.parametrize(
    "scope_sql", ["SELECT '430602'", "SELECT min(code) FROM street WHERE district_code = '430602'"]
)
def test_clicking_a_map_unit_drills_into_the_unit_its_tooltip_names(app_url, engine, artifacts, scope_sql):
    """Hover, read the tooltip, click: the scope becomes the code the tooltip showed, for 20 random units; and
    going back shows the parent's map without repeating the last drill (the browser sends a widget's last
    selection again when it comes back: that drilled 幸福路社区 clicks into 清泉路社区, issue 15)."""
    import random

    with engine.connect() as conn:
        scope = conn.execute(sa.text(scope_sql)).scalar()
    child_length = {6: 12, 9: 15}[len(scope)]
    here, below = {6: ("区县边界", "本社区边界"), 9: ("本街道边界", "本网格边界")}[len(scope)]  # legend keys
    rng = random.Random(scope)
    with chromium_page() as page:
        open_signed_in(page, f"{app_url}/map?scope={scope}")
        canvas = _map_canvas(page)
        tried = []
        for i in range(20):
            if i and i % 6 == 0:
                # A fresh tab now and then: Chromium keeps 16 WebGL contexts per page and each map drawn takes one
                # that Streamlit leaves to the garbage collector; past that it drops the oldest ("Too many active
                # WebGL contexts"), which once left the drawn map without hover in CI.
                page.reload()
                canvas = _map_canvas(page)
            try:
                x, y, code = _hover_a_unit(page, canvas, rng, child_length, {c for c, _ in tried})
            except AssertionError:
                # Once in about forty CI runs the map came back from a drill answering no hover for 200 tries
                # (not seen locally). Keep what it showed; a reload (what a user would do) must bring it back.
                page.screenshot(path=str(artifacts / f"map-drill-nothing-{scope}-{i}.png"))
                (artifacts / f"map-drill-nothing-{scope}-{i}.log").write_text("\n".join(page.console_lines))
                page.reload()
                canvas = _map_canvas(page)
                x, y, code = _hover_a_unit(page, canvas, rng, child_length, {c for c, _ in tried})
            page.mouse.click(x, y)
            # One click (a second one could land on the child's map and drill twice); on a busy machine the rerun
            # after it took over 30 s once in three runs beside a demo build. Beside a build a click has also been
            # taken by the map (the unit highlighted) without a rerun, twice in about 200 clicks: keep what it showed
            # and click again, as a user would (noted as a defect in issue 16's note).
            for again in (False, True):
                try:
                    drill = f"() => /scope=(?!{scope}(&|$))\\d+/.test(location.search)"
                    page.wait_for_function(drill, timeout=90_000)
                    break
                except Exception:
                    page.screenshot(path=str(artifacts / f"map-drill-none-{scope}-{i}.png"))
                    (artifacts / f"map-drill-none-{scope}-{i}.log").write_text("\n".join(page.console_lines))
                    if again:
                        raise
                    page.mouse.click(x, y)
            drilled = re.search(r"scope=(\d+)", page.url).group(1)
            tried.append((code, drilled))
            if drilled != code:
                page.screenshot(path=str(artifacts / f"map-drill-wrong-{scope}-{i}.png"))
            # Back once the child's map is drawn, as a user would: pressed while the drill's run is still under
            # way, the late run put the child's scope back into the URL (seen twice beside a demo build).
            page.wait_for_function(f"() => document.body.innerText.includes('{below}')", timeout=90_000)
            wait_until_idle(page)
            page.go_back()
            page.wait_for_function(f"() => /scope={scope}(&|$)/.test(location.search)", timeout=30_000)
            # The parent's map is drawn again (its legend, not the child's), not the child's still on screen.
            page.wait_for_function(
                f"() => document.body.innerText.includes('{here}') && !document.body.innerText.includes('{below}')",
                timeout=60_000,
            )
            canvas = _map_canvas(page)
            page.wait_for_timeout(1000)
            assert re.search(rf"scope={scope}(&|$)", page.url), f"returning to {scope} drilled again: {page.url}"
        wrong = [(c, d) for c, d in tried if c != d]
        assert len(tried) == 20 and len({c for c, _ in tried}) >= 10 and not wrong, (
            f"drilled into another unit than the tooltip's (tooltip, drilled): {wrong}"
        )


def test_a_keyword_search_of_request_texts_lists_the_issues_that_say_it(app_url, artifacts):
    with chromium_page(1600, 1000) as page:
        open_signed_in(page, f"{app_url}/issues?scope=430602")
        _settle(page)
        page.get_by_role("heading", name="诉求分析").first.scroll_into_view_if_needed()
        box = page.get_by_label("搜索诉求内容或地址")
        box.fill("电梯 困人")
        box.press("Enter")
        found = page.get_by_text(re.compile(r"含“电梯 困人”的事件共 [0-9,]+ 件"))
        found.wait_for(timeout=90_000)
        wait_until_idle(page)
        assert page.locator(ERRORS).count() == 0
        section = page.get_by_role("heading", name="诉求分析").first
        section.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "page-issues-search.png"), full_page=False)
        words = page.locator(".gtitle", has_text="诉求高频词")  # the words' chart, below the issues found
        words.wait_for(state="attached", timeout=60_000)
        words.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / "page-issues-requests.png"), full_page=False)
        assert page.get_by_text(re.compile(r"重复诉求共 [0-9,]+ 件")).count() == 1


def test_a_briefing_is_previewed_downloaded_audited_and_its_child_units_zipped(app_url, engine, artifacts):
    import io
    import zipfile

    with chromium_page() as page:
        open_signed_in(page, f"{app_url}/briefing?scope=430602001")
        preview = page.locator("[data-testid='stImage'] img").first
        preview.wait_for(timeout=120_000)
        wait_until_idle(page)
        with engine.connect() as conn:  # the sidebar counts the open alerts of the view's place
            n = conn.execute(sa.text("SELECT count(*) FROM alert_event WHERE cleared_at IS NULL "
                                     "AND starts_with(unit_code, '430602001')")).scalar()  # fmt: skip
        badge = f"预警（{n}）" if n else "预警"
        assert page.locator("[data-testid='stSidebar']").get_by_text(badge, exact=True).count() == 1
        page.screenshot(path=str(artifacts / "page-briefing.png"), full_page=True)
        with page.expect_download(timeout=60_000) as pdf:
            page.get_by_role("button", name="下载 PDF").click()
        assert open(pdf.value.path(), "rb").read(5) == b"%PDF-"
        month = re.fullmatch(r"工作简报_民意街道_(\d{4}-\d{2})\.pdf", pdf.value.suggested_filename)[1]
        wait_until_idle(page)
        page.get_by_role("button", name="生成下级单位简报（ZIP）").click()
        button = page.get_by_role("button", name=re.compile(r"下级单位简报（\d+ 份，ZIP）"))
        button.wait_for(timeout=240_000)
        with page.expect_download(timeout=60_000) as zipped:
            button.click()
        names = zipfile.ZipFile(io.BytesIO(open(zipped.value.path(), "rb").read())).namelist()
    with engine.connect() as conn:
        kids = conn.execute(sa.text("SELECT name FROM community WHERE street_code = '430602001' ORDER BY code"))
        kids = kids.scalars().all()
        formats = (
            conn.execute(
                sa.text(
                    "SELECT detail->>'format' FROM audit_log WHERE event = 'briefing' AND username = 'city' "
                    "AND detail->>'scope' = '430602001' ORDER BY id"
                )  # fmt: skip
            )
            .scalars()
            .all()
        )
    assert sorted(names) == sorted(f"工作简报_{k}_{month}.pdf" for k in kids)
    assert formats[-2:] == ["pdf", "zip"]


def test_the_alerts_page_in_chromium(app_url, artifacts):
    with chromium_page() as page:
        open_signed_in(page, f"{app_url}/alerts?scope=430602")
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=90_000)
        wait_until_idle(page)
        assert page.locator(ERRORS).count() == 0
        assert page.get_by_text(re.compile(r"^未解除 \d+ 条$")).count() == 1
        page.screenshot(path=str(artifacts / "page-alerts.png"), full_page=True)


@pytest.mark.browser
def test_the_practices_in_chromium(app_url, artifacts):
    """The views of the practices, each at a place that has their data (screenshots: practice-*, wuhan-*)."""
    views = {
        "practice-fees": ("/property?scope=420103", "物业费收缴"),
        "practice-zones": ("/organization?scope=210711", "党员责任区与房屋人口信息录入"),
        "practice-notices": ("/organization?scope=510903", "政策传达时效"),
        "practice-layouts": ("/map?scope=510903", "治理单元调整前后"),
        "practice-projects": ("/organization?scope=420103", "共建项目完成率"),
        "practice-service-items": ("/stations?scope=420103", "居民就近办理服务事项"),
        "practice-questions": ("/issues?scope=420103", "群众最关心的问题"),
        # whole Wuhan (issue 22): the city's community workers, its teams by kind, its frequent topics
        "wuhan-community-workers": ("/organization?scope=420100", "社区工作者配备"),
        "wuhan-team-kinds": ("/volunteers?scope=420100", "志愿服务队伍"),
        "wuhan-questions": ("/issues?scope=420100", "高频问题（≥"),
    }
    with chromium_page() as page:
        for name, (path, text) in views.items():
            open_signed_in(page, app_url + path)
            _settle(page)
            heading = page.get_by_text(text).first
            heading.wait_for(timeout=120_000)
            heading.scroll_into_view_if_needed()  # the app scrolls inside its own container: the view, not the page
            page.wait_for_timeout(1500)  # the charts draw
            page.screenshot(path=str(artifacts / f"{name}.png"))
            assert page.locator(ERRORS).count() == 0
            words = page.inner_text("body").split()
            assert "None" not in words and "nan" not in words and "NaN" not in words
