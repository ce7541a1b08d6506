"""Importing stations and issues: encodings, coordinates, validation, all or nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import schema
from data_access.importing import load as loader
from data_access.importing.load import import_file
from data_access.settings import PROJECT_ROOT
from data_access.store import ACCOUNT_TABLES, remove_district
from geo.crs import wgs84_to_gcj02
from tests.apptest import app_test
from tests.conftest import writable_copy

HEADER = "阵地编码,名称,类型,社区代码,经度,纬度,启用日期,面积(平方米),建设方式,服务内容"
GOOD = "T-{n},测试驿站{n},小区党群服务驿站,,113.19778,29.33843,2024-05-01,85,新建,议事协商"


@pytest.fixture(scope="module")
def engine(engine):
    """Imports write, so they get their own copy of the test store."""
    with writable_copy("cockpit_test_import") as copy:
        remove_district(copy, "420102")  # the demo's generated 江岸区 makes way for the example files' own
        yield copy


def counts(engine) -> dict[str, int]:
    """Rows per table of the store's data (the audit log grows with every sign-in and load, by design)."""
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in schema.metadata.sorted_tables
            if t.name not in ACCOUNT_TABLES
        }


def write(tmp_path, lines: list[str], name="f.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "data_access", "import", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        timeout=300,
    )


def test_example_files_load_through_the_command_line_and_twice_changes_nothing(engine):
    before = counts(engine)
    out = cli("stations", "examples/stations.csv")
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("loaded 2 of 2 rows")
    out = cli("issues", "examples/issues.csv")
    assert out.returncode == 0, out.stderr
    after = counts(engine)
    assert after["service_station"] == before["service_station"] + 2
    assert after["issue"] == before["issue"] + 2
    again = cli("stations", "examples/stations.csv")
    assert again.returncode == 0 and "(0 new, 2 updated)" in again.stderr
    assert counts(engine) == after
    with engine.connect() as conn:
        st = conn.execute(
            sa.text("SELECT community_code, grid_code, type, opened_on FROM service_station WHERE code = 'IMP-S-0001'")
        ).one()
        issue = conn.execute(
            sa.text(
                "SELECT community_code, micro_grid_code, due_at, source_channel FROM issue WHERE code = 'IMP-I-0001'"
            )
        ).one()
    assert st.community_code == "430602001001" and st.grid_code.startswith("430602001001")
    assert st.type == "compound_station" and str(st.opened_on) == "2024-05-01"
    assert issue.source_channel == "grid_patrol" and issue.micro_grid_code.startswith("430602001001")
    assert str(issue.due_at) == "2026-03-03 09:15:00"  # 垃圾清运: 24 hours


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected(engine, tmp_path, encoding):
    path = write(tmp_path, [HEADER, GOOD.format(n=f"ENC-{encoding}")], encoding=encoding)
    report = import_file(engine, "stations", path, dry_run=True)
    assert report.problems == []
    assert (
        report.encoding == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gbk", "gb18030": "gbk"}[encoding]
    )  # GBK text is also valid GB18030


def test_a_wrongly_declared_encoding_is_reported(engine, tmp_path):
    path = write(tmp_path, [HEADER, GOOD.format(n="x")], encoding="gbk")
    with pytest.raises(ValueError, match="not valid utf-8 at byte"):
        import_file(engine, "stations", path, encoding="utf-8")


BAD = {
    "missing column": (
        [HEADER.replace("名称,", ""), "T-1,小区党群服务驿站,,113.19778,29.33843,2024-05-01,85,新建,x"],
        "missing required column 名称",
    ),
    "duplicate key": ([HEADER, GOOD.format(n=1), GOOD.format(n=1)], "duplicate key; first on row 2"),
    "unknown parent": ([HEADER, GOOD.format(n=1).replace(",,113", ",999999999999,113")], "unknown community code"),
    "outside China": ([HEADER, GOOD.format(n=1).replace("113.19778,29.33843", "2.35,48.85")], "outside China"),
    "swapped": (
        [HEADER, GOOD.format(n=1).replace("113.19778,29.33843", "29.33843,113.19778")],
        "longitude and latitude look swapped",
    ),
    "outside parent": (
        [HEADER, GOOD.format(n=1).replace(",,113.19778,29.33843", ",430602001001,113.3,29.45")],
        "outside community 430602001001",
    ),
    "markup": ([HEADER, GOOD.format(n=1).replace("测试驿站1", "<img src=x onerror=alert(1)>")], "contains markup"),
    "bad date": ([HEADER, GOOD.format(n=1).replace("2024-05-01", "yesterday")], "not a date"),
    "bad enum": ([HEADER, GOOD.format(n=1).replace("小区党群服务驿站", "茶馆")], "unknown value"),
    "bad number": ([HEADER, GOOD.format(n=1).replace(",85,", ",-3,")], "outside"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_are_rejected_with_the_row_and_leave_the_store_unchanged(engine, tmp_path, case):
    lines, reason = BAD[case]
    before = counts(engine)
    out = cli("stations", str(write(tmp_path, lines)))
    assert out.returncode == 1, out.stderr
    problems = out.stderr.strip().splitlines()
    assert any(reason in p and p.startswith("row ") for p in problems[:-1]), problems
    assert problems[-1].startswith("rejected f.csv") and "nothing was loaded" in problems[-1]
    assert counts(engine) == before


def test_issue_lifecycle_out_of_order(engine, tmp_path):
    lines = open(PROJECT_ROOT / "examples" / "issues.csv", encoding="utf-8").read().splitlines()
    lines[1] = lines[1].replace("2026-03-02 16:00", "2026-03-01 16:00").replace("IMP-I-0001", "LC-1")
    report = import_file(engine, "issues", write(tmp_path, lines[:2]))
    assert not report.loaded
    assert any(p.column == "结案时间" and "earlier than 处置时间" in p.reason for p in report.problems)


def test_valid_rows_only_loads_the_rest(engine, tmp_path):
    before = counts(engine)["service_station"]
    lines = [HEADER, GOOD.format(n="V1"), GOOD.format(n="V2").replace("2024-05-01", "never")]
    report = import_file(engine, "stations", write(tmp_path, lines), valid_rows_only=True)
    assert report.loaded and report.inserted == 1 and report.rejected_rows == 1
    assert counts(engine)["service_station"] == before + 1


def test_gcj02_coordinates_are_converted(engine, tmp_path):
    glon, glat = wgs84_to_gcj02(113.19778, 29.33843)
    line = GOOD.format(n="GCJ").replace("113.19778,29.33843", f"{float(glon):.6f},{float(glat):.6f}")
    report = import_file(engine, "stations", write(tmp_path, [HEADER, line]), crs="GCJ-02")
    assert report.loaded, [p.line() for p in report.problems]
    with engine.connect() as conn:
        lon, lat, comm = conn.execute(
            sa.text("SELECT lon, lat, community_code FROM service_station WHERE code = 'T-GCJ'")
        ).one()
    assert abs(lon - 113.19778) < 1e-6 and abs(lat - 29.33843) < 1e-6 and comm == "430602001001"


def test_excel_with_date_cells_and_serial_dates(engine, tmp_path):
    df = pd.DataFrame(
        [
            {
                "阵地编码": "X-1",
                "名称": "表格驿站",
                "类型": "积分超市",
                "经度": 113.19778,
                "纬度": 29.33843,
                "启用日期": pd.Timestamp("2025-02-03"),
            }
        ]
    )
    path = tmp_path / "s.xlsx"
    df.to_excel(path, index=False)
    report = import_file(engine, "stations", path)
    assert report.loaded and report.encoding == "xlsx"
    serial = write(tmp_path, [HEADER, GOOD.format(n="SER").replace("2024-05-01", "45658")])
    assert import_file(engine, "stations", serial).loaded
    with engine.connect() as conn:
        assert (
            str(conn.execute(sa.text("SELECT opened_on FROM service_station WHERE code = 'T-SER'")).scalar())
            == "2025-01-01"
        )


def test_dates_of_every_form_parse_in_one_column():
    """ISO cells take the fast parser, the rest the normalising one; both land in the same column."""
    from data_access.importing.validate import _parse_datetime

    cells = [
        "2024-05-01",
        "2024-05-01 08:30",
        "2024-05-01T08:30:15.5",
        "2024/5/1",
        "2024年5月1日 8时30分",
        "45413",
        "",
        "2024-13-01",
        "not a date",
        " 2024-05-02 ",
    ]
    got = _parse_datetime(pd.Series(cells, dtype=object))
    want = [
        "2024-05-01",
        "2024-05-01 08:30",
        "2024-05-01 08:30:15.5",
        "2024-05-01",
        "2024-05-01 08:30",
        "2024-05-01",
        None,
        None,
        None,
        "2024-05-02",
    ]
    assert [None if pd.isna(v) else v for v in got] == [None if w is None else pd.Timestamp(w) for w in want]


def test_csv_headers_with_spaces_and_quoted_line_breaks_read(tmp_path):
    from data_access.importing.validate import read_table

    path = write(tmp_path, ["a, b", '"x\ny", 2', "", "3,4"])
    df, encoding, problems, _ = read_table(path)
    assert list(df.columns) == ["a", "b"] and encoding == "utf-8" and not problems
    assert df["a"].tolist() == ["x\ny", "3"] and df["b"].str.strip().tolist() == ["2", "4"]


def test_a_failure_during_the_load_leaves_the_store_unchanged(engine, tmp_path, monkeypatch):
    before = counts(engine)

    def broken(conn, table, df):
        conn.execute(sa.text(f'INSERT INTO "{table}" SELECT * FROM "{table}" LIMIT 0'))
        raise RuntimeError("killed halfway")

    monkeypatch.setattr(loader, "copy_dataframe", broken)
    with pytest.raises(RuntimeError, match="killed halfway"):
        import_file(engine, "stations", write(tmp_path, [HEADER, GOOD.format(n="K1")]))
    assert counts(engine) == before


@pytest.mark.parametrize("role", ["owner", "app"])
def test_a_row_naming_what_is_not_there_stops_the_load_whichever_role_loads_it(engine, tmp_path, monkeypatch, role):
    """A row whose department is not there, past every check before the insert (a department removed meanwhile),
    is stopped by the store's foreign key for the owner (the command line, the sync) and the app role (/import)
    alike: the store unchanged, the rule named."""
    from data_access.engine import acting, app_engine

    real = loader.resolve

    def unresolved(conn, kind, values, options=None):
        df, problems = real(conn, kind, values, options)
        return df.assign(department_code=["000000000000", *[None] * (len(df) - 1)]), problems

    monkeypatch.setattr(loader, "resolve", unresolved)
    lines = (PROJECT_ROOT / "examples" / "issues.csv").read_text(encoding="utf-8").splitlines()
    path = write(tmp_path, [lines[0], *(f"FK-{n},{line.split(',', 1)[1]}" for n, line in enumerate(lines[1:4]))])
    before = counts(engine)
    if role == "owner":
        report = import_file(engine, "issues", path)
    else:
        with acting("*", "admin", "admin"):
            report = import_file(app_engine(), "issues", path)
    assert not report.loaded
    assert [(p.key, p.params) for p in report.problems] == [
        ("store_rule", {"rule": "fk_issue_department_code_department"})
    ]
    assert counts(engine) == before


def test_usage_errors_exit_2(engine, tmp_path):
    assert cli("planets", "examples/stations.csv").returncode == 2
    assert cli("stations", str(tmp_path / "missing.csv")).returncode == 2


def test_files_over_the_upload_limit_are_refused(engine, tmp_path):
    path = write(tmp_path, [HEADER, GOOD.format(n=1)])
    with pytest.raises(ValueError, match="upload limit"):
        import_file(engine, "stations", path, max_bytes=10)


def test_an_issue_file_loads_as_the_app_role_as_the_import_page_loads_it(engine, tmp_path):
    """/import loads as the app role under row-level security (an admin: area '*'), summaries and the words of the
    request texts and the departments it creates included (their COPY was refused there: "COPY FROM not supported
    with row-level security")."""
    from data_access.engine import acting, app_engine

    lines = (PROJECT_ROOT / "examples" / "issues.csv").read_text(encoding="utf-8").splitlines()
    row = next(line for line in lines if ",430602001002," in line).split(",", 1)[1]
    path = write(tmp_path, [f"{lines[0]},承办单位", *(f"APPROLE-{n},{row},应用角色测试局" for n in range(3))])
    with acting("*", "admin", "admin"):  # with a department the file creates (as the page's checkbox asks)
        report = import_file(app_engine(), "issues", path, create_departments=True)
    assert report.loaded and report.inserted == 3, report.problems
    assert report.new_departments["name"].tolist() == ["应用角色测试局"]
    with engine.connect() as conn:
        month = conn.execute(
            sa.text("SELECT date_trunc('month', reported_at)::date FROM issue WHERE code = 'APPROLE-0'")
        )
        words = conn.execute(
            sa.text("SELECT count(*) FROM word_district_summary WHERE district_code = '430602' AND bucket = :m"),
            {"m": month.scalar()},
        ).scalar()
    assert words > 0


def test_import_page_validates_and_loads_an_upload(engine, artifacts):
    """The page in Chromium: upload the example, see it validated, confirm, find the rows in the store."""
    from tests.browser import chromium_page, open_signed_in, streamlit_server

    with engine.connect() as conn:
        conn.execute(sa.text("DELETE FROM service_station WHERE code LIKE 'IMP-S-%'"))
        conn.commit()
    before = counts(engine)["service_station"]
    with streamlit_server(artifacts / "streamlit-import.log") as url, chromium_page() as page:
        open_signed_in(page, f"{url}/import", "admin")
        page.get_by_role("heading", name="数据导入").wait_for(timeout=90_000)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            str(PROJECT_ROOT / "examples" / "stations.csv")
        )
        page.get_by_text("校验通过：2 行可以导入。").wait_for(timeout=60_000)
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text("已导入：新增 2 行").wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(artifacts / "page-import.png"), full_page=True)
    assert counts(engine)["service_station"] == before + 2


def test_import_page_reports_problems_without_loading(engine, tmp_path, artifacts):
    from tests.browser import chromium_page, open_signed_in, streamlit_server

    bad = write(
        tmp_path, [HEADER, GOOD.format(n="P1").replace("2024-05-01", "someday"), GOOD.format(n="P1")], name="bad.csv"
    )
    before = counts(engine)
    with streamlit_server(artifacts / "streamlit-import-bad.log") as url, chromium_page() as page:
        open_signed_in(page, f"{url}/import", "admin")
        page.get_by_role("heading", name="数据导入").wait_for(timeout=90_000)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bad))
        page.get_by_text("发现 2 个问题").wait_for(timeout=60_000)
        page.wait_for_timeout(2000)  # let the tables draw
        page.screenshot(path=str(artifacts / "page-import-problems.png"), full_page=True)
    assert counts(engine) == before


def test_import_page_loads_a_boundary_file(engine, artifacts):
    """A district boundary (GeoJSON) uploaded on the page, with the kind chosen by the URL."""
    from tests.browser import chromium_page, open_signed_in, streamlit_server

    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM district WHERE code = '420102'")).scalar() == 0
    with streamlit_server(artifacts / "streamlit-import-layer.log") as url, chromium_page() as page:
        open_signed_in(page, f"{url}/import?kind=districts", "admin")
        page.get_by_role("heading", name="数据导入").wait_for(timeout=90_000)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            str(PROJECT_ROOT / "examples" / "districts.geojson")
        )
        page.get_by_text("校验通过：1 行可以导入。").wait_for(timeout=60_000)
        page.get_by_text("坐标系 WGS-84").wait_for(timeout=10_000)
        page.locator("[data-testid='stDeckGlJsonChart']").wait_for(timeout=30_000)  # the outline preview
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text("已导入：新增 1 行").wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(artifacts / "page-import-layer.png"), full_page=True)
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM district WHERE code = '420102'")).scalar()
    assert name == "江岸区"


def test_the_dashboard_shows_an_import_from_another_process_without_a_restart(engine, tmp_path):
    """The page's cached reads renew when the store's data version moves (no cache clearing here)."""
    import time

    def stations_kpi() -> float:
        at = app_test("admin")
        at.query_params["scope"] = "430602001001"
        at.switch_page("app_pages/stations.py")
        at.run()
        assert not at.exception and not at.error
        return next(float(m.value.replace(",", "")) for m in at.metric if m.label == "服务阵地数")

    before = stations_kpi()
    assert stations_kpi() == before  # served from the cache
    out = cli("stations", str(write(tmp_path, [HEADER, GOOD.format(n="FRESH-1")])))
    assert out.returncode == 0, out.stderr
    time.sleep(6)  # the data version is re-read every 5 s
    assert stations_kpi() == before + 1


def test_import_page_takes_a_zipped_and_a_loose_shapefile(engine, artifacts):
    """Streets as a zipped Shapefile (after the district above), micro-grids as five loose files."""
    from tests.browser import chromium_page, open_signed_in, streamlit_server

    parts = sorted(str(p) for p in (PROJECT_ROOT / "examples" / "micro-grids").iterdir())
    with streamlit_server(artifacts / "streamlit-import-shp.log") as url, chromium_page() as page:
        open_signed_in(page, f"{url}/import?kind=streets", "admin")
        page.get_by_role("heading", name="数据导入").wait_for(timeout=90_000)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            str(PROJECT_ROOT / "examples" / "streets.zip")
        )
        page.get_by_text("校验通过：2 行可以导入。").wait_for(timeout=60_000)
        page.get_by_text("编码 GBK").wait_for(timeout=10_000)
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text("已导入：新增 2 行").wait_for(timeout=60_000)
        open_signed_in(page, f"{url}/import?kind=micro-grids", "admin")
        page.get_by_role("heading", name="数据导入").wait_for(timeout=90_000)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(parts)
        page.get_by_text("发现 2 个问题").wait_for(timeout=60_000)  # their grid is not loaded here
        page.get_by_text("网格代码不存在").first.wait_for(state="attached", timeout=10_000)
        page.screenshot(path=str(artifacts / "page-import-shapefile.png"), full_page=True)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM street WHERE district_code = '420102'")).scalar() == 2
        assert conn.execute(sa.text("SELECT count(*) FROM micro_grid WHERE code LIKE '420102%'")).scalar() == 0
