"""Work-order exports as 12345 and grid systems write them: names instead of codes, no coordinates, a
category as a name or a path, the handling department by name (issue 17)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from data_access.settings import PROJECT_ROOT
from tests.conftest import writable_copy
from tests.integration.test_import import cli, counts

HEADER = "工单编号,受理时间,诉求内容,诉求类型,所属街道,所属社区,详细地址,承办单位,办结时间,回访满意度,是否解决,回访时间"


@pytest.fixture(scope="module")
def engine(engine):
    with writable_copy("cockpit_test_12345") as copy:
        yield copy


def _write(tmp_path, rows: list[str], name: str, encoding: str):
    path = tmp_path / name
    path.write_bytes("\n".join([HEADER, *rows]).encode(encoding))
    return path


def _stored(engine, prefix: str) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT code, community_code, grid_code, lon, category_code, department_code, source_channel, "
                "request_text, address, satisfaction, resolved, reported_at::text AS reported "
                "FROM issue WHERE code LIKE :p ORDER BY code"
            ),
            {"p": prefix + "%"},
        ).mappings()
        return {r["code"]: dict(r) for r in rows}


def test_a_gbk_export_with_names_only_loads_at_its_communities(engine, tmp_path):
    rows = [
        "N-1,2026-03-02 09:15,门口占道经营,市容环境>市容秩序>占道经营,民意街道,常青路社区,常青路12号,民意街道办事处,"
        "2026-03-03 16:00,满意,已解决,2026-03-04 10:00",
        "N-2,2026/3/5 14:20,楼道堆放杂物,乱堆乱放,民意街道办事处,丰泽里,丰泽里3栋,民意街道,,,,",
        "N-3,2026年3月6日 8时,夜间噪音,矛盾纠纷/邻里纠纷/噪音扰民,东风,城北里社区居委会,,东风街道办事处,,,,",
        "N-4,2026-03-07 10:00,路灯不亮,民生服务｜市政设施｜路灯故障,东风街道,凤凰里社区,凤凰里路口,,,,,",
    ]
    out = cli("issues", str(_write(tmp_path, rows, "export.csv", "gbk")), "--district", "岳阳楼区")
    assert out.returncode == 0, out.stderr
    got = _stored(engine, "N-")
    assert {c: r["community_code"] for c, r in got.items()} == {
        "N-1": "430602001001", "N-2": "430602001002", "N-3": "430602002001", "N-4": "430602002002"
    }  # fmt: skip
    assert {c: r["category_code"] for c, r in got.items()} == {
        "N-1": "010201", "N-2": "010102", "N-3": "030101", "N-4": "060302"
    }  # fmt: skip
    assert [r["department_code"] for r in got.values()] == ["430602D001", "430602D001", "430602D002", None]
    assert all(r["grid_code"] is None and r["lon"] is None and r["source_channel"] == "hotline" for r in got.values())
    assert got["N-1"]["request_text"] == "门口占道经营" and got["N-1"]["address"] == "常青路12号"
    assert got["N-1"]["satisfaction"] == "satisfied" and got["N-1"]["resolved"] is True
    assert got["N-3"]["reported"] == "2026-03-06 08:00:00"


def test_names_that_match_none_or_several_are_reported_with_the_candidates(engine, tmp_path):
    rows = [
        "B-1,2026-03-02 09:15,x,占道经营,民意街道,不存在社区,,,,,,",  # no such community
        "B-2,2026-03-02 09:15,x,占道经营,,康乐社区,,,,,,",  # four districts have one
        "B-3,2026-03-02 09:15,x,路灯坏了,民意街道,常青路社区,,,,,,",  # no such category
        "B-4,2026-03-02 09:15,x,占道经营,民意街道,常青路社区,,城管大队,,,,",  # no such department
        "B-5,2026-03-02 09:15,x,占道经营,,,,,,,,",  # no place at all
    ]
    before = counts(engine)
    out = cli("issues", str(_write(tmp_path, rows, "bad.csv", "utf-8")))
    assert out.returncode == 1, out.stderr
    lines = out.stderr.splitlines()

    def line(start: str) -> str:
        return next(ln for ln in lines if ln.startswith(start))

    assert "no community of this name; nearest:" in line("row 2, column 所属社区")
    ambiguous = line("row 3, column 所属社区")
    assert (
        "more than one community has this name" in ambiguous
        and "430602007006" in ambiguous
        and "420103013003" in ambiguous
    )
    assert "nearest: 路灯故障" in line("row 4, column 事件分类")
    assert any("category '路灯坏了', which the tree lacks" in ln and ln.startswith("1 rows") for ln in lines)
    assert "no department of this name" in line("row 5, column 承办单位")
    assert "give 经度/纬度, 社区代码 or 所属社区" in line("row 6, column 社区代码")
    assert counts(engine) == before


def test_a_category_map_names_the_categories_the_tree_lacks(engine, tmp_path):
    rows = ["M-1,2026-03-02 09:15,x,路灯坏了,民意街道,常青路社区,,,,,,"]
    mapping = tmp_path / "map.csv"
    mapping.write_text("文件分类,分类\n路灯坏了,民生服务>市政设施>路灯故障\n", "utf-8")
    path = _write(tmp_path, rows, "m.csv", "utf-8")
    out = cli("issues", str(path), "--map-categories", str(mapping), "--district", "430602")
    assert out.returncode == 0, out.stderr
    assert _stored(engine, "M-")["M-1"]["category_code"] == "060302"


def test_a_code_and_a_name_that_disagree_are_reported(engine, tmp_path):
    path = tmp_path / "clash.csv"
    path.write_text(
        "工单编号,受理时间,诉求类型,社区代码,所属社区\nC-1,2026-03-02 09:15,占道经营,430602001001,丰泽里社区\n"
    )
    out = cli("issues", str(path))
    assert out.returncode == 1
    assert "community 430602001001 is called 常青路社区" in out.stderr


def test_the_example_export_loads(engine):
    out = cli("issues", str(PROJECT_ROOT / "examples" / "issues-12345.csv"), "--district", "430602", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines()[-1] == "issues-12345.csv: 4 rows are valid (dry run, nothing loaded)"


def test_issues_placed_by_name_are_counted_at_their_community_and_named_under_the_map(engine, tmp_path):
    from datetime import date, datetime

    from dashboard import data, mapview
    from data_access.scope import Period
    from data_access.settings import get_settings

    rows = [f"U-{k},2026-03-0{k} 09:15,门口占道经营,占道经营,民意街道,常青路社区,常青路1{k}号,,,,," for k in (1, 2)]
    assert cli("issues", str(_write(tmp_path, rows, "u.csv", "utf-8")), "--district", "430602").returncode == 0
    read, period = data.direct(engine), Period(date(2026, 3, 1), date(2026, 4, 1))
    with engine.connect() as conn:
        reported, unplaced = conn.execute(
            sa.text(
                "SELECT count(*), count(*) FILTER (WHERE lon IS NULL) FROM issue WHERE street_code = '430602001' "
                "AND reported_at >= '2026-03-01' AND reported_at < '2026-04-01'"
            )
        ).one()
    placed = read.issue_kpis("430602001", period, datetime(2026, 12, 1)).iloc[0]
    assert unplaced >= 2 and placed["unplaced"] == unplaced and placed["reported"] == reported
    assert placed["unplaced_share"] == pytest.approx(100 * unplaced / reported)
    _, legend = mapview.build(
        read, "430602001", period, datetime(2026, 12, 1), "on_time_rate", ["layer_issues"], lambda k, **_: k,
        get_settings(), 400,
    )  # fmt: skip
    assert legend["unplaced"] == (unplaced, placed["unplaced_share"])
    _, legend = mapview.build(
        read, "430602001", period, datetime(2026, 12, 1), "on_time_rate", [], lambda k, **_: k, get_settings(), 400
    )
    assert "unplaced" not in legend  # no heat map, nothing to say


def test_unknown_departments_are_created_only_when_asked(engine, tmp_path):
    rows = [
        "D-1,2026-03-02 09:15,门口占道经营,占道经营,民意街道,常青路社区,,区城管执法大队,,,,",
        "D-2,2026-03-03 09:15,门口占道经营,占道经营,民意街道,常青路社区,,区城管执法大队,,,,",
        "D-3,2026-03-04 09:15,漏水,漏水纠纷,民意街道,常青路社区,,区房屋征收中心,,,,",
        "D-4,2026-03-05 09:15,路灯,60302,民意街道,常青路社区,,民意街道,,,,",  # known: not created; a code as 诉求类型
    ]
    path = _write(tmp_path, rows, "depts.csv", "utf-8")
    before = counts(engine)
    out = cli("issues", str(path), "--district", "430602")
    assert out.returncode == 1 and "no department of this name" in out.stderr and counts(engine) == before
    out = cli("issues", str(path), "--district", "430602", "--create-departments", "--dry-run")
    assert out.returncode == 0 and "2 departments not yet in the store will be created" in out.stderr
    assert counts(engine) == before
    with engine.connect() as conn:
        last = conn.execute(sa.text("SELECT max(substr(code, 8)::int) FROM department WHERE district_code = '430602'"))
        last = last.scalar()
    out = cli("issues", str(path), "--district", "430602", "--create-departments")
    assert out.returncode == 0, out.stderr
    with engine.connect() as conn:
        made = dict(
            conn.execute(sa.text("SELECT name, code FROM department WHERE kind = 'other' AND name LIKE '区%'")).all()
        )
        audit = conn.execute(sa.text("SELECT detail FROM audit_log WHERE event = 'import' ORDER BY id DESC LIMIT 1"))
        audit = audit.scalar()
    assert made == {"区城管执法大队": f"430602D{last + 1:03d}", "区房屋征收中心": f"430602D{last + 2:03d}"}
    got = _stored(engine, "D-")
    assert [got[f"D-{k}"]["department_code"] for k in (1, 2, 3)] == [made["区城管执法大队"]] * 2 + [
        made["区房屋征收中心"]
    ]
    assert got["D-4"]["department_code"] == "430602D001" and got["D-4"]["category_code"] == "060302"
    assert audit["departments_created"] == sorted(made.values())
    # Loading the same file again creates nothing more.
    assert cli("issues", str(path), "--district", "430602", "--create-departments").returncode == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM department WHERE name LIKE '区%'")).scalar() == 2


# -- Files as their systems write them (issue 36): a title above the header, a total below, columns the model has
# no field for, old and open workbook formats, a satisfaction without the return visit's time.

EXPORT_HEADER = ["序号", "工单编号", "受理时间", "诉求内容", "诉求类型", "所属街道", "所属社区", "详细地址", "承办单位",
                 "办理状态", "办结时间", "回访满意度", "是否解决"]  # fmt: skip
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"


def _export_rows(prefix: str) -> list[list]:
    return [
        [1, f"{prefix}-1", "2026-11-02 09:15", "门口占道经营", "市容环境>市容秩序>占道经营", "民意街道", "常青路社区",
         "常青路12号", "民意街道办事处", "已办结", "2026-11-03 16:00", "满意", "已解决"],
        [2, f"{prefix}-2", "2026-11-05 14:20", "楼道堆放杂物", "乱堆乱放", "民意街道", "丰泽里社区", "丰泽里3栋",
         "民意街道办事处", "办理中", None, None, None],
    ]  # fmt: skip


def _sources(engine, prefix: str) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT code, source_fields, evaluated_at, closed_at FROM issue WHERE code LIKE :p ORDER BY code"),
            {"p": prefix + "-%"},
        ).mappings()
        return {r["code"]: dict(r) for r in rows}


def test_an_excel_export_with_a_title_an_export_line_and_a_total_loads_as_it_is(engine, tmp_path):
    """岳阳楼区's platform writes a merged title, 导出时间/导出人, a blank row, then the header; 合计 at the end."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["岳阳楼区12345政务服务便民热线工单明细表（2026年11月）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(EXPORT_HEADER))
    ws.append(["导出时间：2026-12-01 08:00", None, None, None, None, None, "导出人：热线办"])
    ws.append([])
    ws.append(EXPORT_HEADER)
    for row in _export_rows("T"):
        ws.append(row)
    ws.append(["合计", "共2条"])
    ws.append(["制表人：张三"])
    path = tmp_path / "岳阳楼区12345工单明细表（2026年11月）.xlsx"
    book.save(path)
    out = cli("issues", str(path), "--district", "岳阳楼区")
    assert out.returncode == 0, out.stderr
    assert "the header is on row 4: the 3 rows above it" in out.stderr
    assert "2 footer rows (合计) are not data" in out.stderr
    assert "2 columns have no field; their values are kept with each row as sent (source_fields): 序号、办理状态" in (
        out.stderr
    )
    got = _sources(engine, "T")
    assert got["T-1"]["source_fields"] == {"序号": 1, "办理状态": "已办结"}
    assert got["T-2"]["source_fields"] == {"序号": 2, "办理状态": "办理中"}
    # 回访满意度 without 回访时间: the evaluation counts from the closure
    assert got["T-1"]["evaluated_at"] == got["T-1"]["closed_at"] and got["T-2"]["evaluated_at"] is None
    assert "1 rows give 满意度、是否解决 without 评价时间" in out.stderr


@pytest.mark.parametrize("name", ["export-12345.xls", "export-12345.ods"])
def test_an_old_xls_and_an_ods_export_load(engine, tmp_path, name):
    """The same export as an old .xls (many platforms still write it) and as LibreOffice's .ods: read by
    python-calamine, the title, export line and 合计 left out (tests/fixtures/make_exports.py wrote them)."""
    out = cli("issues", str(FIXTURES / name), "--district", "岳阳楼区", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "2 of 2 rows are valid" in out.stdout + out.stderr or "2 rows are valid" in out.stdout + out.stderr
    assert "the header is on row 4" in out.stderr and "footer rows (合计)" in out.stderr


def test_a_csv_with_columns_the_model_lacks_loads_and_keeps_them(engine, tmp_path):
    header = "序号,工单编号,来电人,联系电话,工单类型,紧急程度,受理时间,诉求内容,诉求类型,所属街道,所属社区,办理状态"
    rows = [
        "1,C-1,王女士,138****0000,投诉,一般,2026-11-02 09:15,噪音,矛盾纠纷/邻里纠纷/噪音扰民,东风街道,城北里社区,办理中"
    ]
    path = tmp_path / "export.csv"
    path.write_text("\n".join([header, *rows]), encoding="utf-8")
    out = cli("issues", str(path), "--district", "岳阳楼区")
    assert out.returncode == 0, out.stderr
    assert _sources(engine, "C")["C-1"]["source_fields"] == {
        "序号": "1", "来电人": "王女士", "联系电话": "138****0000", "工单类型": "投诉", "紧急程度": "一般",
        "办理状态": "办理中",
    }  # fmt: skip


def test_a_csv_export_with_a_title_line_and_a_count_line_loads(engine, tmp_path):
    lines = [
        "岳阳楼区12345工单明细表（2026年11月）,,,,,,,,,,,",
        "导出时间：2026-12-01 08:00,,,,导出人：热线办,,,,,,,",
        "",
        HEADER,
        "L-1,2026-11-02 09:15,门口占道经营,占道经营,民意街道,常青路社区,常青路12号,,2026-11-03 16:00,满意,已解决,",
        "共1条,,,,,,,,,,,",
    ]
    path = tmp_path / "export.csv"
    path.write_bytes("\n".join(lines).encode("gbk"))
    out = cli("issues", str(path), "--district", "岳阳楼区")
    assert out.returncode == 0, out.stderr
    assert "the header is on row 4" in out.stderr and "1 footer rows (共1条)" in out.stderr
    got = _sources(engine, "L")
    assert got["L-1"]["evaluated_at"] == got["L-1"]["closed_at"] and got["L-1"]["source_fields"] is None


def test_a_satisfaction_without_a_return_visit_or_a_closure_is_still_a_problem(engine, tmp_path):
    path = _write(tmp_path, ["S-1,2026-11-02 09:15,x,占道经营,民意街道,常青路社区,,,,满意,,"], "s.csv", "utf-8")
    before = counts(engine)
    out = cli("issues", str(path))
    assert out.returncode == 1 and "满意度 needs 评价时间 (the return visit) or 办结时间" in out.stderr
    assert "value '满意'" in out.stderr and "satisfied" not in out.stderr  # the file's word, not the stored one
    assert counts(engine) == before
