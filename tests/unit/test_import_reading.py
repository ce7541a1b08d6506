"""Reading an imported table as its system wrote it (issue 36): the header found below a title, the footer left out,
file row numbers kept, columns with no field kept. No database."""

from __future__ import annotations

import json

import openpyxl
import pytest

from data_access.importing.kinds import KINDS
from data_access.importing.validate import FileProblem, _row, map_headers, read_table

ISSUES = KINDS["issues"]


def test_a_csv_header_below_a_title_keeps_the_files_row_numbers_and_drops_the_total(tmp_path):
    path = tmp_path / "export.csv"
    lines = ["工单明细表（2026年11月）,,", "导出时间：2026-12-01,,", ",,", "工单编号,受理时间,诉求内容",
             "A-1,2026-11-02,x", "", "A-2,2026-11-03,y", "合计,2,", "制表人：张三,,"]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")
    df, _, problems, notes = read_table(path, kind=ISSUES)
    assert list(df.columns) == ["工单编号", "受理时间", "诉求内容"] and df["工单编号"].tolist() == ["A-1", "A-2"]
    assert [_row(i) for i in df.index][0] == 5 and not problems
    assert [n.line() for n in notes] == [
        "the header is on row 4: the 3 rows above it (a title, export information or blank rows) were skipped",
        "2 footer rows (合计) are not data and were skipped",
    ]


def test_a_workbook_header_below_a_merged_title_and_a_header_with_a_line_break(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["工单明细表"])
    ws.merge_cells("A1:C1")
    ws.append(["工单编号", "受理\n时间", "诉求内容"])
    ws.append(["B-1", "2026-11-02", "x"])
    ws.append(["共1条"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    df, used, _, notes = read_table(path, kind=ISSUES)
    assert used == "xlsx" and len(df) == 1 and _row(df.index[0]) == 3
    mapped, problems, _ = map_headers(df, ISSUES)
    assert not problems and {"code", "accepted_at", "request_text"} <= set(mapped.columns)
    assert len(notes) == 2


def test_a_header_below_a_title_is_named_by_its_own_row_in_its_problems(tmp_path):
    """A column missing, one named twice and values under no header are problems of the header, on the row it is
    on (not row 1, which is the title); a problem of a data row is not one of them."""
    book = openpyxl.Workbook()
    ws = book.active
    for row in (["工单明细表"], ["导出时间：2026-12-01"], [], ["受理时间", "诉求内容", None, "诉求内容"],
                ["2026-11-02", "x", "y", "z"]):  # fmt: skip
        ws.append(row)
    path = tmp_path / "export.xlsx"
    book.save(path)
    df, _, problems, _ = read_table(path, kind=ISSUES)
    mapped, more, _ = map_headers(df, ISSUES)
    found = {(p.row, p.key) for p in problems + more}
    assert found == {(4, "blank_header"), (4, "column_twice"), (4, "missing_column")}
    assert all(p.of_header and not p.of_a_row for p in problems + more)
    csv = tmp_path / "export.csv"
    csv.write_text("工单明细表\n\n受理时间,诉求内容\n2026-11-02,x\n", encoding="utf-8")
    mapped, more, _ = map_headers(read_table(csv, kind=ISSUES)[0], ISSUES)
    assert [(p.row, p.column) for p in more] == [(3, "工单编号")]


def test_columns_with_no_field_are_kept_per_row_a_header_written_twice_too(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("工单编号,备注,备注,备注,序号\nA-1,a,,c,1\nA-2,,,,2\n", encoding="utf-8")
    df, _, _, _ = read_table(path, kind=ISSUES)
    mapped, problems, notes = map_headers(df, ISSUES)
    kept = [json.loads(v) if v else None for v in mapped["source_fields"]]
    assert kept == [{"备注": "a", "备注.2": "c", "序号": "1"}, {"序号": "2"}]
    assert not problems
    assert "备注、备注.1、备注.2、序号" in notes[0].line()


def test_a_header_written_twice_in_a_workbook_is_named_as_in_a_csv(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["工单编号", "备注", "备注"])
    book.active.append(["A-1", "a", "b"])
    path = tmp_path / "twice.xlsx"
    book.save(path)
    mapped, _, _ = map_headers(read_table(path, kind=ISSUES)[0], ISSUES)
    assert json.loads(mapped["source_fields"].iloc[0]) == {"备注": "a", "备注.1": "b"}


def test_one_value_in_the_last_cell_is_refused_before_the_sheet_is_read(tmp_path):
    book = openpyxl.Workbook()
    book.active["A1"] = "工单编号"
    book.active["XFD1048576"] = "x"
    path = tmp_path / "far.xlsx"
    book.save(path)
    with pytest.raises(FileProblem, match="A1:XFD1048576"):
        read_table(path, kind=ISSUES)


def test_a_short_count_line_is_a_footer_not_a_row_with_missing_cells(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("工单编号,受理时间,诉求内容\nA-1,2026-11-02,x\n共1条\n", encoding="utf-8")
    df, _, problems, notes = read_table(path, kind=ISSUES)
    assert len(df) == 1 and not problems and "1 footer rows (共1条)" in notes[0].line()


def test_a_last_row_that_only_starts_like_a_footer_is_data(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("工单编号,诉求内容\nA-1,x\n打印复印服务,y\n", encoding="utf-8")
    df, _, _, notes = read_table(path, kind=ISSUES)
    assert df["工单编号"].tolist() == ["A-1", "打印复印服务"] and not notes


def test_an_invisible_character_in_a_column_with_no_field_is_a_problem_on_its_row(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("工单编号,办理状态\nA-1,已办结\nA-2,办\x00结\n".encode())
    mapped, problems, _ = map_headers(read_table(path, kind=ISSUES)[0], ISSUES)
    assert [(p.row, p.column, p.key) for p in problems] == [(3, "办理状态", "control_char")]
    assert mapped["source_fields"].iloc[0] == '{"办理状态": "已办结"}' and mapped["source_fields"].isna().iloc[1]


def test_a_web_page_named_xls_is_read_as_its_table_codes_kept_as_text(tmp_path):
    """Many platforms export an HTML table with an Excel name; it is read as written (GBK, a spanning title)."""
    page = (
        "<html><head><meta charset='gbk'></head><body><table>"
        "<tr><td colspan='3'>工单明细表（2026年11月）</td></tr>"
        "<tr><th>工单编号</th><th>受理时间</th><th>事件分类代码</th></tr>"
        "<tr><td>W-1</td><td>2026-11-02 09:15</td><td>010201</td></tr>"
        "<tr><td>W-2</td><td>2026-11-03  10:00</td><td><b>010</b>102</td></tr>"
        "<tr><td>合计</td><td colspan='2'>共2条</td></tr></table></body></html>"
    )
    path = tmp_path / "export.xls"
    path.write_bytes(page.encode("gbk"))
    df, used, problems, notes = read_table(path, kind=ISSUES)
    assert used == "gbk" and not problems
    assert df.to_dict("list") == {
        "工单编号": ["W-1", "W-2"],
        "受理时间": ["2026-11-02 09:15", "2026-11-03 10:00"],
        "事件分类代码": ["010201", "010102"],
    }
    assert [_row(i) for i in df.index] == [3, 4] and len(notes) == 2
    (tmp_path / "none.xls").write_text("<html><body><p>导出失败</p></body></html>", encoding="utf-8")
    with pytest.raises(FileProblem, match="holds no readable table"):
        read_table(tmp_path / "none.xls", kind=ISSUES)


def test_tab_separated_text_named_xls_is_read_as_its_table(tmp_path):
    lines = ["工单明细表（2026年11月）", "工单编号\t受理时间\t事件分类代码", "T-1\t2026-11-02 09:15\t010201", "合计\t1"]
    path = tmp_path / "export.xls"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    df, used, problems, notes = read_table(path, kind=ISSUES)
    assert used == "gbk" and not problems and len(notes) == 2
    assert df.to_dict("list") == {"工单编号": ["T-1"], "受理时间": ["2026-11-02 09:15"], "事件分类代码": ["010201"]}


def test_markup_and_hidden_characters_are_found_in_every_form_python_would_find_them():
    """parse matches its checks with Arrow's regular expressions (RE2), whose \\s is narrower than Python's: the space
    class is spelled out, and it is every character Python's \\s matches, no more."""
    import re

    import pandas as pd

    from data_access.importing.validate import _SPACE, parse

    python_spaces = {c for c in map(chr, range(0x110000)) if re.match(r"\s", c)}
    assert {c for c in python_spaces | {"x", "\u200b"} if re.fullmatch(_SPACE, c)} == python_spaces
    texts = ["<\u3000script>", "< /b>", "<\x85!--", "a < 3 户", "路灯\u202e不亮", "正常的诉求", "<\u200bscript>"]
    df = pd.DataFrame({"code": [f"W{i}" for i in range(len(texts))], "request_text": texts}, index=range(len(texts)))
    _, problems, _ = parse(df, KINDS["issues"])
    found = [(p.row, p.key) for p in problems if p.key in ("markup", "control_char")]
    assert found == [(_row(0), "markup"), (_row(1), "markup"), (_row(2), "markup"), (_row(4), "control_char"),
                     (_row(6), "control_char")]  # fmt: skip
