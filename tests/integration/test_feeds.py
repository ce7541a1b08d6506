"""A district's real feed (issue 36): its own category tree with its time limits, import profiles (导入方案) reused
month after month, and the sync from an inbox folder and a 前置库 table (a second database on the embedded server),
run three times: rows added, rows changed, nothing new; a failed run changes nothing; a silent source goes stale."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from data_access import engine as eng
from data_access import sources, sync
from data_access.importing import profiles
from data_access.importing.kinds import KINDS
from data_access.settings import PROJECT_ROOT
from tests.conftest import create_database, drop_database, local_name, writable_copy
from tests.integration.test_import import cli, counts

TREE = PROJECT_ROOT / "examples" / "categories.csv"
EXPORT = [  # a 12345 export as the platform writes it: a title, an export line, a blank row, a footer
    "岳阳楼区12345热线工单明细表（2026年{month}月）",
    "导出时间：2026-{month:02d}-28 08:00,导出人：张三",
    "",
    "序号,工单编号,来电时间,诉求内容,诉求分类,所属街道,所属社区,承办单位,办结时间,回访满意度,办理状态{extra}",
]


@pytest.fixture(scope="module")
def engine(engine):
    with writable_copy("cockpit_test_feeds") as copy:
        yield copy


def _one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).one()


def _export(tmp_path, month: int, rows: list[str], extra: str = "") -> object:
    path = tmp_path / f"export-{month:02d}.csv"
    head = [line.format(month=month, extra=extra) for line in EXPORT]
    path.write_bytes("\n".join([*head, *rows, f"合计,{len(rows)}条"]).encode("gbk"))
    return path


def test_a_districts_tree_loads_with_its_codes_and_limits_and_judges_its_new_issues(engine, tmp_path):
    out = cli("categories", str(TREE))
    assert out.returncode == 0, out.stderr
    assert "note: the header is on row 3" in out.stderr
    tree = _one(engine, "SELECT count(*) AS n, count(DISTINCT code) AS codes FROM district_category "
                        "WHERE district_code = '430602'")  # fmt: skip
    assert tree == (30, 30)
    # A path the default tree has is the same stored category, with the district's own limit; a new one is added.
    shared = _one(
        engine, "SELECT code, time_limit, time_limit_unit FROM district_category WHERE source_code = 'YYL010101'"
    )
    assert shared == ("010101", 12, "hours")
    added = _one(
        engine,
        "SELECT c.code, c.name, c.district_code, p.name AS parent FROM district_category d "
        "JOIN issue_category c ON c.code = d.code JOIN issue_category p ON p.code = c.parent_code "
        "WHERE d.source_code = 'YYL070101'",
    )
    assert added.name == "拒载绕路" and added.parent == "出租客运" and added.district_code == "430602"
    issues = tmp_path / "tree-issues.csv"
    issues.write_text(
        "工单编号,受理时间,诉求类型,分类代码,社区代码\n"
        "TR-1,2026-03-06 08:00,垃圾清运不及时,,430602001001\n"  # the district's 12 hours (default: 24)
        "TR-2,2026-03-06 08:00,,YYL010102,430602001001\n"  # its own code; 2 calendar days
        "TR-3,2026-03-06 08:00,拒载绕路,,430602001001\n"  # a category only its tree has; 5 working days
        "TR-4,2026-03-06 08:00,加装电梯,,430602001001\n",  # the default tree's, which the district's extends
        "utf-8",
    )
    out = cli("issues", str(issues))
    assert out.returncode == 0, out.stderr
    with engine.connect() as conn:
        due = dict(conn.execute(sa.text("SELECT code, due_at FROM issue WHERE code LIKE 'TR-%'")).all())
    friday = datetime(2026, 3, 6, 8)
    assert due == {
        "TR-1": friday + timedelta(hours=12),
        "TR-2": friday + timedelta(days=2),
        "TR-3": datetime(2026, 3, 13, 8),  # Friday + 5 working days
        "TR-4": datetime(2026, 3, 20, 8),  # 加装电梯: 10 working days
    }


def test_a_tree_that_replaces_the_default_refuses_other_categories_and_keeps_stored_deadlines(engine, tmp_path):
    issue = tmp_path / "before.csv"
    issue.write_text("工单编号,受理时间,事件分类代码,社区代码\nRP-1,2026-03-02 09:00,010101,420103001001\n", "utf-8")
    assert cli("issues", str(issue)).returncode == 0
    before = _one(engine, "SELECT due_at FROM issue WHERE code = 'RP-1'").due_at
    tree = tmp_path / "jh.xlsx"
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["江汉区热线诉求分类"])
    sheet.append(["一级分类", "二级分类", "三级分类", "分类代码", "办理时限", "时限单位"])
    sheet.append(["城乡建设", "市容环卫", "垃圾清运", "JH-01", 1, "自然日"])
    sheet.append(["市容环境", "环境卫生", "垃圾清运不及时", "JH-02", 6, "小时"])
    book.save(tree)
    out = cli("categories", str(tree), "--district", "江汉区", "--replace-default-tree")
    assert out.returncode == 0, out.stderr
    assert _one(engine, "SELECT due_at FROM issue WHERE code = 'RP-1'").due_at == before  # judged by its own limit
    later = tmp_path / "after.csv"
    later.write_text(
        "工单编号,受理时间,诉求类型,社区代码\nRP-2,2026-03-02 09:00,垃圾清运,420103001001\n"
        "RP-3,2026-03-02 09:00,噪音扰民,420103001001\n",
        "utf-8",
    )
    before_rows = counts(engine)
    out = cli("issues", str(later))
    assert out.returncode == 1
    assert "row 3, column 事件分类, value '噪音扰民': no level-3 category of this name" in out.stderr
    assert counts(engine) == before_rows
    assert cli("issues", str(later), "--valid-rows-only").returncode == 0
    assert _one(engine, "SELECT due_at FROM issue WHERE code = 'RP-2'").due_at == datetime(2026, 3, 3, 9)
    closed = tmp_path / "closed.csv"  # RP-1 comes again, closed: its category is not the new tree's, its deadline kept
    closed.write_text(
        "工单编号,受理时间,事件分类代码,社区代码,结案时间\n"
        "RP-1,2026-03-02 09:00,010101,420103001001,2026-03-02 18:00\n",
        "utf-8",
    )
    out = cli("issues", str(closed))
    assert out.returncode == 0, out.stderr
    stored = _one(engine, "SELECT due_at, closed_at FROM issue WHERE code = 'RP-1'")
    assert stored == (before, datetime(2026, 3, 2, 18))
    again = cli("categories", str(tree), "--district", "江汉区")  # a later tree without a flag keeps replacing
    assert again.returncode == 0 and "(0 new, 2 updated)" in again.stderr, again.stderr
    assert _one(engine, "SELECT replaces FROM category_tree WHERE district_code = '420103'").replaces is True
    whole = cli("categories", str(tree), "--district", "江汉区", "--valid-rows-only")
    assert whole.returncode == 2 and "loads whole or not at all" in whole.stderr


def test_a_tree_file_with_problems_names_them_and_loads_nothing(engine, tmp_path):
    bad = tmp_path / "bad-tree.csv"
    bad.write_text(
        "一级分类,二级分类,三级分类,办理时限,时限单位\n"
        "城乡建设,市容环卫,垃圾清运,1,天\n"  # 天: calendar or working days? not guessed
        "城乡建设,市容环卫,垃圾清运,2,工作日\n",  # the same category twice
        "utf-8",
    )
    before = counts(engine)
    out = cli("categories", str(bad))
    assert out.returncode == 1
    assert "row 2, column 时限单位, value '天': unknown value; use one of 小时, 工作日, 个工作日, 自然日" in out.stderr
    assert (
        "row 2, column 区划代码, value '': give 区划代码, or the district of the whole tree (--district)" in out.stderr
    )
    assert counts(engine) == before


def test_a_profile_is_proposed_saved_and_reused_on_next_months_export(engine, tmp_path):
    proposal = profiles.propose(
        ["序号", "工单编号", "来电日期", "工单编号（系统）", "办理状态", "回访满意度"], KINDS["issues"]
    )
    got = {h: (f, r) for h, f, r in zip(proposal["header"], proposal["field"], proposal["reason"], strict=True)}
    assert got["工单编号"] == ("工单编号", "name")
    assert got["来电日期"] == ("上报时间", "like")  # like 来电时间, an alias of 上报时间: for a person to confirm
    assert got["回访满意度"] == ("满意度", "alias")
    assert got["序号"] == ("", "none") and got["办理状态"] == ("", "none")
    row = "{n},YP-{m}-{n},2026-{m:02d}-0{n} 09:15,楼道堆放杂物,乱堆乱放,民意街道,常青路社区,民意街道办事处,,,办理中"
    november = _export(tmp_path, 11, [row.format(n=n, m=11) for n in (1, 2)])
    dry = cli("issues", str(november), "--district", "岳阳楼区", "--save-profile", "岳阳楼区12345", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    saved = _one(engine, "SELECT count(*) FROM import_profile WHERE name = '岳阳楼区12345'")[0]
    assert saved == 0  # a dry run saves no profile
    out = cli("issues", str(november), "--district", "岳阳楼区", "--save-profile", "岳阳楼区12345")
    assert out.returncode == 0, out.stderr
    saved = _one(engine, "SELECT kind, district_code, columns FROM import_profile WHERE name = '岳阳楼区12345'")
    assert saved.kind == "issues" and saved.district_code == "430602" and saved.columns["来电时间"] == "上报时间"
    assert _one(engine, "SELECT count(*) FROM audit_log WHERE event = 'profile'")[0] >= 1
    december = _export(tmp_path, 12, [row.format(n=n, m=12) + ",一般" for n in (1, 2)], extra=",紧急程度")
    out = cli("issues", str(december), "--profile", "岳阳楼区12345")  # no --district: the profile's
    assert out.returncode == 0, out.stderr
    assert "the columns changed since profile '岳阳楼区12345' was saved: new 紧急程度; gone —" in out.stderr
    kept = _one(engine, "SELECT source_fields FROM issue WHERE code = 'YP-12-1'").source_fields
    assert kept == {"序号": "1", "办理状态": "办理中", "紧急程度": "一般"}  # as the CSV gave them
    out = cli("issues", str(december), "--profile", "nobody")
    assert out.returncode == 2 and "no such profile" in out.stderr


@pytest.fixture(scope="module")
def exchange(engine):
    """The 前置库: a second database on the embedded server with the platform's work-order table."""
    name = local_name("cockpit_test_exchange")
    create_database(name)
    url = eng.server_url(name)
    remote = sa.create_engine(url)
    with remote.begin() as conn:
        conn.execute(sa.text(
            "CREATE SCHEMA exch; CREATE TABLE exch.gd_12345 (id integer PRIMARY KEY, gdbh text, slsj timestamp, "
            "sqnr text, sqfl text, sqdm text, bjsj timestamp, myd text, gxsj timestamp NOT NULL)"
        ))  # fmt: skip
    with engine.begin() as conn:
        profiles.save(
            conn,
            profiles.Profile(
                "前置库12345", "issues", "430602",
                columns={"gdbh": "工单编号", "slsj": "受理时间", "sqnr": "诉求内容", "sqfl": "事件分类",
                         "sqdm": "社区代码", "bjsj": "结案时间", "myd": "满意度"},
                headers=["id", "gdbh", "slsj", "sqnr", "sqfl", "sqdm", "bjsj", "myd", "gxsj"],
            ),
            "test",
        )  # fmt: skip
        sync.add_source(
            conn, "qzk", "12345工单", "sql", "前置库12345", url,
            expected_minutes=60, source_table="exch.gd_12345", watermark_column="gxsj", key_column="id", page_rows=40,
        )  # fmt: skip
    yield remote
    remote.dispose()
    drop_database(name)


def _rows(first: int, last: int, updated: str) -> str:
    return (
        f"INSERT INTO exch.gd_12345 SELECT i, 'QZ-' || i, timestamp '2026-11-20 08:00' + i * interval '1 minute', "
        f"'诉求' || i, '占道经营', '430602001001', NULL, NULL, timestamp '{updated}' + i * interval '1 second' "
        f"FROM generate_series({first}, {last}) i"
    )


def test_the_sql_source_syncs_added_changed_and_nothing_new(engine, exchange):
    with exchange.begin() as conn:
        conn.execute(sa.text(_rows(1, 100, "2026-12-01 00:00")))
    first = sync.run_source(engine, "qzk")
    assert (first["ok"], first["inserted"], first["updated"]) == (True, 100, 0)
    with exchange.begin() as conn:  # ten closed and evaluated since, five new
        conn.execute(sa.text(
            "UPDATE exch.gd_12345 SET bjsj = slsj + interval '5 hour', myd = '满意', "
            "gxsj = timestamp '2026-12-02 00:00' + id * interval '1 second' WHERE id <= 10"
        ))  # fmt: skip
        conn.execute(sa.text(_rows(101, 105, "2026-12-02 01:00")))
    second = sync.run_source(engine, "qzk")
    assert (second["ok"], second["inserted"], second["updated"]) == (True, 5, 10)
    closed = _one(engine, "SELECT closed_at, satisfaction, source_fields FROM issue WHERE code = 'QZ-3'")
    assert closed.closed_at == datetime(2026, 11, 20, 13, 3) and closed.satisfaction == "satisfied"
    assert set(closed.source_fields) == {"id", "gxsj"}  # the source's own columns, kept
    third = sync.run_source(engine, "qzk")
    assert (third["ok"], third["rows"], third["inserted"], third["updated"]) == (True, 0, 0, 0)
    with engine.connect() as conn:
        runs = conn.execute(
            sa.text("SELECT ok, inserted, updated FROM sync_run WHERE source = 'qzk' ORDER BY id")
        ).all()
        audited = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE event = 'sync'")).scalar()
    assert [tuple(r) for r in runs] == [(True, 100, 0), (True, 5, 10), (True, 0, 0)] and audited >= 3


def test_a_bad_row_is_reported_by_its_key_and_a_failed_run_changes_nothing_and_is_retried(engine, exchange):
    with exchange.begin() as conn:
        conn.execute(sa.text(_rows(200, 201, "2026-12-03 00:00")))
        conn.execute(sa.text("UPDATE exch.gd_12345 SET sqfl = '外星人入侵' WHERE id = 201"))
    run = sync.run_source(engine, "qzk")
    assert (run["ok"], run["inserted"], run["rejected"]) == (True, 1, 1)
    assert "id=201：事件分类 找不到该名称的三级事件分类" in run["message"]
    watermark = _one(engine, "SELECT watermark, watermark_key FROM sync_source WHERE name = 'qzk'")
    with exchange.begin() as conn:
        conn.execute(sa.text(_rows(300, 302, "2026-12-04 00:00")))
        conn.execute(sa.text("ALTER TABLE exch.gd_12345 RENAME TO gd_moved"))  # the exchange breaks
    before = counts(engine)
    failed = sync.run_source(engine, "qzk")
    assert not failed["ok"] and 'UndefinedTable: relation "exch.gd_12345" does not exist' in failed["message"]
    assert counts(engine) == {**before, "sync_run": before["sync_run"] + 1}  # only the run's record; the watermark kept
    assert _one(engine, "SELECT watermark, watermark_key FROM sync_source WHERE name = 'qzk'") == watermark
    assert _one(engine, "SELECT failures, last_error IS NOT NULL AS said FROM sync_source WHERE name = 'qzk'") == (
        1,
        True,
    )
    with exchange.begin() as conn:
        conn.execute(sa.text("ALTER TABLE exch.gd_moved RENAME TO gd_12345"))
    retried = sync.run_source(engine, "qzk")
    assert (retried["ok"], retried["inserted"]) == (True, 3)
    assert _one(engine, "SELECT failures FROM sync_source WHERE name = 'qzk'").failures == 0


def test_a_change_log_with_one_work_order_twice_in_a_page_keeps_its_last_change(engine, exchange):
    row = "(:id, 'QZ-LOG', '2026-11-25 08:00', :text, :cat, '430602001001', :closed, :sat, :changed)"
    with exchange.begin() as conn:
        conn.execute(
            sa.text(f"INSERT INTO exch.gd_12345 VALUES {row}"),
            [
                {"id": 400, "text": "路灯不亮", "cat": "路灯故障", "closed": None, "sat": None,
                 "changed": "2026-12-05 00:00:01"},
                {"id": 401, "text": "路灯不亮", "cat": "路灯故障", "closed": "2026-11-25 20:00", "sat": "满意",
                 "changed": "2026-12-05 00:00:02"},
            ],
        )  # fmt: skip
    run = sync.run_source(engine, "qzk")
    assert (run["ok"], run["inserted"], run["rejected"]) == (True, 1, 0)
    assert _one(engine, "SELECT closed_at FROM issue WHERE code = 'QZ-LOG'").closed_at == datetime(2026, 11, 25, 20)


def test_a_run_of_a_source_already_under_way_is_not_joined(engine):
    with engine.connect() as conn:  # a timer's run holds the source
        conn.execute(sa.text("SELECT pg_advisory_lock(hashtext('ggc_sync:qzk'))"))
        try:
            assert sync.run_source(engine, "qzk")["busy"]
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext('ggc_sync:qzk'))"))


def test_an_inbox_loads_each_file_once_and_moves_it_with_a_report(engine, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with engine.begin() as conn:
        sync.add_source(conn, "grid", "网格事件", "folder", "岳阳楼区12345", str(inbox), expected_minutes=1440)
    row = "{n},IB-{n},2026-11-0{n} 09:15,楼道堆放杂物,乱堆乱放,民意街道,常青路社区,民意街道办事处,,,办理中"
    good = _export(tmp_path, 11, [row.format(n=n) for n in (1, 2, 3)])
    (inbox / "nov.csv").write_bytes(good.read_bytes())
    (inbox / "nov-copy.csv").write_bytes(good.read_bytes())  # the same file dropped twice
    (inbox / "bad.csv").write_bytes(good.read_bytes().replace("乱堆乱放".encode("gbk"), "外星人".encode("gbk")))
    (inbox / "still-copying.csv.part").write_bytes(good.read_bytes())
    run = sync.run_source(engine, "grid")
    assert (run["files"], run["inserted"], run["ok"]) == (1, 3, False)  # bad.csv failed
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [
        "nov-copy.csv", "nov-copy.csv.report.txt", "nov.csv", "nov.csv.report.txt"
    ]  # fmt: skip
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == ["bad.csv", "bad.csv.report.txt"]
    report = (inbox / "failed" / "bad.csv.report.txt").read_text("utf-8")
    assert "找不到该名称的三级事件分类" in report and report.endswith(
        "未导入任何数据\n"
    )  # in Chinese, for the district
    assert [p.name for p in inbox.iterdir() if p.is_file()] == ["still-copying.csv.part"]
    loaded_before = [
        p
        for p in ("nov.csv", "nov-copy.csv")
        if "未重复导入" in (inbox / "done" / f"{p}.report.txt").read_text("utf-8")
    ]
    assert len(loaded_before) == 1
    again = sync.run_source(engine, "grid")
    assert (again["files"], again["inserted"], again["ok"]) == (0, 0, True)


def test_a_silent_source_goes_stale_fires_its_alert_and_shows_red(engine, monkeypatch):
    from data_access import alerts
    from data_access.settings import get_settings
    from web import server

    result = alerts.evaluate(engine, deliver=False)
    assert result["open"] >= 0
    with engine.connect() as conn:
        assert not sources.freshness(conn).set_index("name").loc["qzk", "overdue"]
    later = get_settings().now + timedelta(days=1)  # a day of silence
    monkeypatch.setenv("GGC_NOW", later.isoformat())
    get_settings.cache_clear()
    try:
        with engine.connect() as conn:
            fresh = sources.freshness(conn).set_index("name")
        assert fresh.loc["qzk", "overdue"] and not fresh.loc["grid", "overdue"]
        alerts.evaluate(engine, deliver=False)
        with engine.connect() as conn:
            fired = conn.execute(sa.text(
                "SELECT unit_code, subject_name, threshold FROM alert_event WHERE rule = 'source_stale' "
                "AND cleared_at IS NULL"
            )).all()  # fmt: skip
        assert [tuple(f) for f in fired] == [("430602", "12345工单", 60.0)]
        health = server._health()
        assert {s["name"]: s["overdue"] for s in health["sources"]} == {"grid": False, "qzk": True}
        assert health["sources"][0]["last_delivery_at"].endswith("+08:00")
        metrics = __import__("web.telemetry", fromlist=["text"]).text().decode()
        assert 'ggc_source_overdue{source="qzk"} 1.0' in metrics
    finally:
        monkeypatch.delenv("GGC_NOW")
        get_settings.cache_clear()


def test_admins_see_the_feeds_and_every_page_header_says_when_each_source_delivered(engine):
    from tests.apptest import app_test

    at = app_test("admin", timeout=120)
    at.switch_page("app_pages/admin.py")
    at.run()
    assert not at.exception and not at.error
    feeds = next(d.value for d in at.dataframe if "数据源" in d.value.columns and "最近送达" in d.value.columns)
    assert set(feeds["数据源"]) == {"12345工单", "网格事件"} and set(feeds["方式"]) == {"前置库表", "收件文件夹"}
    runs = next(d.value for d in at.dataframe if "读取行数" in d.value.columns)
    assert {"成功", "失败"} <= set(runs["结果"])
    at = app_test("district")
    at.run()
    assert not at.exception
    line = next(c.value for c in at.caption if c.value.startswith("数据来源送达："))
    assert "12345工单" in line and "网格事件" in line and "逾期" not in line


def test_the_sync_command_lists_and_runs_the_sources(engine):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "data_access", "sync", *args, "--json"], capture_output=True,
                              text=True, cwd=PROJECT_ROOT, timeout=300)  # fmt: skip

    listed = run("list")
    assert listed.returncode == 0, listed.stderr
    names = {s["name"] for s in json.loads(listed.stdout)["sources"]}
    assert names == {"qzk", "grid"} and "location" not in listed.stdout
    ran = run()
    assert ran.returncode == 0, ran.stderr
    assert {r["source"]: r["ok"] for r in json.loads(ran.stdout)["runs"]} == {"grid": True, "qzk": True}


def test_the_import_page_proposes_a_profile_saves_it_and_loads_next_months_file_with_it(engine, tmp_path, artifacts):
    """In Chromium: a new source's export gets its columns and an unknown category proposed, the admin saves the
    profile, and the next month's file loads with it chosen, in one click."""
    from tests.browser import chromium_page, open_signed_in, streamlit_server, wait_until_idle

    row = "{n},PG-{m}-{n},2026-{m:02d}-0{n} 09:15,路灯不亮,路灯坏了,民意街道,常青路社区,民意街道办事处,,,办理中"
    november = _export(tmp_path, 11, [row.format(n=n, m=11) for n in (1, 2)])
    december = _export(tmp_path, 12, [row.format(n=n, m=12) for n in (1, 2, 3)])
    with streamlit_server(artifacts / "streamlit-import-profile.log") as url, chromium_page() as page:
        open_signed_in(page, f"{url}/import?kind=issues", "admin")
        page.get_by_role("heading", name="数据导入").wait_for(timeout=90_000)
        page.locator("[data-testid='stSelectbox']").filter(has_text="按名称定位时所属的区").click()
        page.get_by_role("option", name="岳阳楼区", exact=True).click()
        wait_until_idle(page)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(november))
        page.get_by_text("分类体系中没有的事件分类").wait_for(timeout=60_000)  # 路灯坏了, with 路灯故障 proposed
        page.get_by_label("方案名称（下次同一来源的文件直接选用）").fill("岳阳楼区热线导出")
        page.get_by_label("方案名称（下次同一来源的文件直接选用）").press("Enter")
        page.get_by_role("button", name="保存方案").click()
        page.get_by_text("已保存导入方案“岳阳楼区热线导出”。").wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(artifacts / "page-import-profile.png"), full_page=True)
        open_signed_in(page, f"{url}/import?kind=issues", "admin")
        page.get_by_role("heading", name="数据导入").wait_for(timeout=90_000)
        page.locator("[data-testid='stSelectbox']").filter(has_text="导入方案").click()
        page.get_by_role("option", name="岳阳楼区热线导出", exact=True).click()
        wait_until_idle(page)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(december))
        page.get_by_text("校验通过：3 行可以导入。").wait_for(timeout=60_000)
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text("已导入：新增 3 行").wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(artifacts / "page-import-profile-reused.png"), full_page=True)
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT category_code FROM issue WHERE code LIKE 'PG-12-%'")).scalars().all()
    assert got == ["060302"] * 3  # 路灯坏了 → 民生服务>市政设施>路灯故障, as the profile says
