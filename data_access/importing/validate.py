"""Read an imported table and check every row, reporting every problem at once.

A problem names the file row (the header is row 1), the column, the value and the reason; the
reason reads in Chinese or English.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from data_access import clock, schema
from data_access.importing.encodings import EncodingProblem, decode
from data_access.importing.kinds import TEXT_SUFFIXES, WORKBOOK_SUFFIXES, Kind
from data_access.schema import LIFECYCLE
from geo.crs import in_china, normalise_crs, to_wgs84

# What Python's \s matches, spelled out so that Arrow's own regular expressions (RE2, whose \s is narrower) match
# markup in a million cells in C rather than cell by cell in Python.
_SPACE = "[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_MARKUP = f"<{_SPACE}*[a-zA-Z/!]"

# key → (Chinese, English), as dashboard.labels. {unit} is replaced by the unit's name in the same language.
REASONS: dict[str, tuple[str, str]] = {
    "column_twice": ("列 {name} 出现了两次", "column {name} appears twice"),
    "missing_column": ("缺少必填列 {zh}（{name}）", "missing required column {zh} ({name})"),
    "empty": ("必填值为空", "required value is empty"),
    "markup": ("含有 HTML 或脚本标记", "contains markup (HTML or script)"),
    "not_code": (
        "不是代码（只能由字母、数字和 - _ . 组成，最多32位）",
        "not a code (letters, digits, - _ .; at most 32)",
    ),
    "code_digits": ("不是 {digits} 位数字代码", "not a {digits}-digit code"),
    "not_number": ("不是数字", "not a number"),
    "range": ("超出范围 {lo}–{hi}", "outside {lo}–{hi}"),
    "not_date": ("不是日期（请写成 2024-05-01 或 2024年5月1日）", "not a date (use 2024-05-01 or 2024年5月1日)"),
    "not_bool": ("不是“是/否”", "not yes or no (use 是/否)"),
    "enum": ("无法识别的取值，可用：{values}", "unknown value; use one of {values}"),
    "swapped": ("经度和纬度疑似写反", "longitude and latitude look swapped"),
    "outside_china": ("不在中国境内", "outside China"),
    "lifecycle": ("早于 {stage}（{time}）", "earlier than {stage} ({time})"),
    "duplicate": ("编号重复，第一次出现在第 {first} 行", "duplicate key; first on row {first}"),
    "unknown_ref": ("{unit}代码不存在", "unknown {unit} code"),
    "not_in_parent": ("代码表明应属于{unit} {code}，但不一致", "not inside {unit} {code} (its code says so)"),
    "outside_unit": ("位于{unit} {code} 之外", "outside {unit} {code}"),
    "outside_parent": ("{share}% 的面积在{unit} {code} 之外", "{share}% of the area lies outside {unit} {code}"),
    "nowhere": ("该点不在库中任何{unit}内", "the point lies in no {unit} of the store"),
    "needs_place": ("请填写经度/纬度、社区代码或所属社区", "give 经度/纬度, 社区代码 or 所属社区"),
    "needs_district": ("请填写社区代码或区代码", "give 社区代码 or 区代码"),
    "needs_category": ("请填写事件分类代码或事件分类", "give 事件分类代码 or 事件分类"),
    "new_departments": (
        "将新建 {n} 个承办单位：{names}",
        "{n} departments not yet in the store will be created: {names}",
    ),
    "unknown_name": ("找不到该名称的{unit}；相近的有：{candidates}", "no {unit} of this name; nearest: {candidates}"),
    "ambiguous_name": ("有多个同名{unit}：{candidates}", "more than one {unit} has this name: {candidates}"),
    "name_code_clash": ("{unit} {code} 的名称是 {name}，与此不符", "{unit} {code} is called {name}"),
    "unknown_category": (
        "{n} 行的事件分类 {value!r} 不在分类体系中；相近的有：{nearest}（可在导入方案中映射）",
        "{n} rows name the category {value!r}, which the tree lacks; nearest: {nearest} (map it in the profile)",
    ),
    "needs_evaluation": (
        "填写{what}时须同时填写评价时间或办结时间",
        "{what} needs 评价时间 (the return visit) or 办结时间",
    ),
    "evaluated_when_closed": (
        "{n} 行有{what}但没有评价时间：评价时间按办结时间计",
        "{n} rows give {what} without 评价时间: the evaluation is taken as made when the issue closed",
    ),
    "header_row": (
        "表头在第 {row} 行：其上 {n} 行（标题、导出信息或空行）未导入",
        "the header is on row {row}: the {n} rows above it (a title, export information or blank rows) were skipped",
    ),
    "footer_rows": (
        "表尾 {n} 行（{first}）不是数据，未导入",
        "{n} footer rows ({first}) are not data and were skipped",
    ),
    "source_fields": (
        "{n} 列没有对应字段，其值随每行原样保存（来源原字段）：{names}",
        "{n} columns have no field; their values are kept with each row as sent (source_fields): {names}",
    ),
    "tree_district": (
        "请填写区划代码，或导入时指定整个分类体系所属的区",
        "give 区划代码, or the district of the whole tree (--district)",
    ),
    "tree_full": ("上级分类下已有 99 个分类，无法再增加", "the parent category already has 99 categories"),
    "new_categories": (
        "将新建 {n} 个分类（其中三级分类 {leaves} 个）",
        "{n} categories not yet in the store will be created ({leaves} of level 3)",
    ),
    "profile_columns": (
        "与导入方案“{name}”保存时相比，列有变化：新增 {added}；缺少 {gone}",
        "the columns changed since profile {name!r} was saved: new {added}; gone {gone}",
    ),
    "no_geometry": ("没有几何图形", "no geometry"),
    "not_polygon": ("不是面（{geom_type}）", "not a polygon ({geom_type})"),
    "bad_geometry": ("几何图形无效且无法安全修复：{why}", "invalid geometry that cannot be repaired safely: {why}"),
    "repaired": ("几何图形无效，已自动修复（{why}）", "invalid geometry repaired ({why})"),
    "members_range": ("党员人数多于委员人数（{members}）", "more party members than members ({members})"),
    "collected_range": ("实收多于应收（{whole}）", "more collected than billed ({whole})"),
    "entered_range": ("已录入数多于实有数（{whole}）", "more entered than known ({whole})"),
    "unknown_partner": ("该区没有此名称的共建单位", "no partner unit of this name in the district"),
    "branch_kind": ("只有党支部须填写支部类型", "支部类型 is required for a 党支部 and only for it"),
    "level_place": ("该层级的党组织须填写{what}", "this level of organisation needs {what}"),
    "dates_order": ("早于入职日期（{joined}）", "earlier than 入职日期 ({joined})"),
    "city_name": ("城市不存在；请填写城市名称和省份以新建", "unknown city; give 城市名称 and 省份 to create it"),
    "encoding": ("{detail}", "{detail}"),
    "no_crs": ("文件未声明坐标系，按 WGS-84 处理", "the file declares no CRS; WGS-84 assumed"),
    "crs_override": (
        "文件声明为 {declared}，按所选 {used} 处理",
        "the file declares {declared}; using {used} as asked",
    ),
    "no_cpg": (
        "没有 .cpg 文件，属性按识别出的 {encoding} 读取",
        "no .cpg file; attributes read as {encoding} (detected)",
    ),
    "crs": ("{detail}", "{detail}"),
    "control_char": ("含有不可见的控制字符（{char}）", "contains an invisible control character ({char})"),
    "too_long": ("超过 {max} 个字符（{n} 个）", "longer than {max} characters ({n})"),
    "scientific": (
        "代码被 Excel 转成了科学计数法（{value}）；请把该列设为文本格式后重新填写代码",
        "Excel turned the code into a number ({value}); format the column as text and enter the code again",
    ),
    "date_range": ("不在 {lo} 至 {hi} 之间", "outside {lo} – {hi}"),
    "blank_header": ("该列没有表头但有数据", "a column without a header holds values"),
    "extra_cells": ("有 {cells} 个单元格，表头只有 {header} 列", "{cells} cells where the header has {header}"),
    "missing_cells": (
        "只有 {cells} 个单元格，表头有 {header} 列（请检查是否有未闭合的引号）",
        "only {cells} of {header} cells (check for an unclosed quotation mark)",
    ),
    "not_feature": ("不是 GeoJSON 要素（Feature）对象", "not a GeoJSON Feature object"),
    "not_properties": ("properties 不是对象", "properties is not an object"),
    "overlaps": (
        "与{unit} {code} 重叠（占较小者面积的 {share}%）",
        "overlaps {unit} {code} ({share}% of the smaller of the two)",
    ),
    "store_rule": ("不符合库的规则 {rule}：{what}", "breaks the store's rule {rule}: {what}"),
}

# Problems of a whole file: it cannot be read at all. key → (English, Chinese), as REASONS.
FILE_REASONS: dict[str, tuple[str, str]] = {
    "empty_file": ("{name} 是空文件", "{name} is empty"),
    "no_rows": ("{name} 只有表头，没有数据行", "{name} has a header but no rows"),
    "table_suffix": (
        "{name}：请上传 CSV 或工作簿（.xlsx、.xls、.ods、.et；.xlsb 请另存为 .xlsx）",
        "{name}: expected a CSV or a workbook (.xlsx, .xls, .ods, .et; save an .xlsb as .xlsx)",
    ),
    "ole_workbook": (
        "{name} 设有密码或已损坏，无法读取；请取消密码，或用 Excel、WPS 重新保存后再导入",
        "{name} is password-protected or damaged and cannot be read; remove the password, or save it again "
        "from Excel or WPS, and import again",
    ),
    "huge_sheet": (
        "{name} 的工作表用到了 {range}（{cells} 个单元格，上限 {limit}）；请删去多余的行和列后另存",
        "{name}'s sheet spans {range} ({cells} cells, at most {limit}); delete the extra rows and columns and save it",
    ),
    "html_table": (
        "{name} 实为网页（HTML）文件，但其中没有可读的表格；请用 Excel 或 WPS 打开后另存为 .xlsx 或 CSV",
        "{name} is a web page (HTML) with an Excel name but holds no readable table; open it in Excel or WPS "
        "and save it as .xlsx or CSV",
    ),
    "not_workbook": ("{name} 不是工作簿（.xlsx、.ods）", "{name} is not a workbook (.xlsx, .ods)"),
    "damaged_workbook": (
        "{name} 是损坏的 Excel 工作簿（不完整或已损坏）；请用 Excel 重新保存",
        "{name} is a damaged Excel workbook (truncated or corrupt); save it again from Excel",
    ),
    "workbook_as_csv": (
        "{name} 是扩展名为 .csv 的 Excel 工作簿；请在 Excel 中另存为 CSV，或改为 .xlsx 导入",
        "{name} is an Excel workbook named .csv; save it as CSV from Excel, or import it as .xlsx",
    ),
    "encoding": ("{name}：文本编码无法识别（{detail}）", "{name}: {detail}"),
    "too_big": (
        "{name} 有 {size} 字节，超过上传上限 {limit} 字节",
        "{name} is {size} bytes, over the {limit}-byte upload limit",
    ),
    "layer_suffix": (
        "{name}：边界须为 GeoJSON、Shapefile（.shp/.zip）或 GeoPackage",
        "{name}: boundaries are GeoJSON, Shapefile (.shp/.zip) or GeoPackage",
    ),
    "not_json": ("{name} 不是有效的 JSON（{detail}）", "{name} is not valid JSON ({detail})"),
    "json_nan": (
        "{name} 含有 NaN 或 Infinity，GeoJSON 不允许",
        "{name} holds NaN or Infinity, which GeoJSON does not allow",
    ),
    "json_deep": ("{name} 嵌套层级过深，不是 GeoJSON", "{name} is nested too deeply to be GeoJSON"),
    "not_feature_collection": (
        "{name} 不是 GeoJSON 要素集合（FeatureCollection）",
        "{name} is not a GeoJSON FeatureCollection",
    ),
    "not_zip": ("{name} 不是 zip 压缩包", "{name} is not a zip archive"),
    "damaged_zip": ("{name} 是损坏的 zip 压缩包", "{name} is a damaged zip archive (truncated or corrupt)"),
    "zip_password": (
        "{name} 设有密码；请不加密重新压缩",
        "{name} is password-protected; zip it again without a password",
    ),
    "zip_unpacked": (
        "{name} 解压后会超过 {limit} 字节，已拒绝",
        "{name} would be over {limit} bytes unpacked; refused",
    ),
    "zip_files": ("{name} 含 {n} 个文件，超过 {limit} 个", "{name} holds {n} files, more than {limit}"),
    "zip_unsafe": ("{name}：压缩包内有不安全的路径 {member!r}", "{name}: unsafe path {member!r} in the archive"),
    "zip_layers": (
        "{name}：压缩包内应有且只有一个 .shp、.gpkg 或 .geojson，实际有 {n} 个",
        "{name}: expected one .shp, .gpkg or .geojson in the archive, found {n}",
    ),
    "unreadable_layer": ("{name} 无法读取：{detail}", "{name} cannot be read: {detail}"),
    "no_dbf": ("{name}：缺少同名 .dbf 属性文件", "{name}: the .dbf file (attributes) is missing next to it"),
    "cpg_unknown": (
        "{name} 声明了未知的编码 {raw!r}；请指定编码",
        "{name} names an unknown encoding {raw!r}; pass --encoding",
    ),
    "cpg_wrong": (
        "{name} 声明为 {raw}，但属性不是该编码（{detail}）；按 {actual} 可读",
        "{name} says {raw} but the attributes are not ({detail}); they read as {actual}",
    ),
    "crs_file": ("{name}：{detail}", "{name}: {detail}"),
    "category_map": (
        "{name} 有 {n} 列；分类映射表应为两列：文件中的分类，和分类代码、名称或路径",
        "{name} has {n} columns; a category map has two: the file's category, and a code, name or path",
    ),
    "unexpected": (
        "{name} 导入失败（{detail}），库中数据未改变",
        "{name} could not be imported ({detail}); nothing was changed",
    ),
}


class FileProblem(ValueError):
    """The file as a whole cannot be read: one message in English or Chinese."""

    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(self.reason_in("en"))

    def reason_in(self, lang: str = "en") -> str:
        return FILE_REASONS[self.key][1 if lang == "en" else 0].format(**self.params)


# The store's rules (CHECK constraints, by the name data_access.schema gives them) in words.
RULES = {
    "place_nested": ("网格、微网格须属于该行的社区", "the grid and micro-grid must lie in the row's community"),
    "due_after_report": ("办理时限须晚于上报时间", "办理时限 must be after 上报时间"),
    "satisfaction_enum": ("填写满意度须同时填写评价时间", "满意度 needs 评价时间"),
    "resolved_evaluated": ("填写是否解决须同时填写评价时间", "是否解决 needs 评价时间"),
    "lifecycle_order": ("各环节时间不能倒序", "the stages' times must not go backwards"),
    "suspended_with_reason": ("挂账须同时填写日期和原因", "a suspension needs its date and reason"),
    "dates_order": ("离职日期不能早于入职日期", "离职日期 must not be before 入职日期"),
    "members_range": ("党员人数不能多于委员人数", "party members must not outnumber the members"),
    "amounts_valid": ("实收物业费不能多于应收物业费", "实收 must not exceed 应收"),
    "entered_within": ("已录入数不能多于实有数", "entered must not exceed the known count"),
    "validity_order": ("停用日期须晚于启用日期", "停用日期 must be after 启用日期"),
    "finished_when_done": (
        "已完成的项目须填写完成日期（且不早于启动日期），其他状态不填",
        "完成日期 is given exactly when the project is 已完成, and not before 启动日期",
    ),
    "answered_when_handled": (
        "已答复、已解决的问题须填写答复日期（且不早于征集日期），待答复的不填",
        "答复日期 is given exactly when the question is answered or resolved, and not before 征集日期",
    ),
}
UNITS = {
    "city": ("城市", "city"),
    "district": ("区", "district"),
    "street": ("街道", "street"),
    "community": ("社区", "community"),
    "grid": ("网格", "grid"),
    "micro_grid": ("微网格", "micro-grid"),
    "compound": ("小区", "compound"),
    "team": ("志愿队伍", "volunteer team"),
    "department": ("承办单位", "department"),
    "worker": ("网格员", "grid worker"),
    "volunteer": ("志愿者", "volunteer"),
    "company": ("物业企业", "property company"),
    "station": ("服务阵地", "station"),
    "party_org": ("党组织", "party organisation"),
    "category": ("三级事件分类", "level-3 category"),
}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    value: str
    key: str
    params: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):  # a value fit for one line: invisible characters as codes, at most 60 characters
        object.__setattr__(self, "value", _shown(self.value))

    def reason_in(self, lang: str = "en") -> str:
        i = 1 if lang == "en" else 0
        params = dict(self.params)
        if "unit" in params:
            params["unit"] = UNITS[params["unit"]][i]
        if "rule" in params:
            words = next(
                (w for name, w in RULES.items() if params["rule"].endswith(name)), ("见表定义", "see schema.py")
            )
            params["what"] = words[i]
        return REASONS[self.key][i].format(**params)

    @property
    def reason(self) -> str:
        return self.reason_in("en")

    @property
    def of_header(self) -> bool:
        """A problem of the header, so of the whole file (it is given the header's row)."""
        return self.key in HEADER_KEYS

    @property
    def of_a_row(self) -> bool:
        """A problem of one data row (not a note on the whole file, row 0, nor one of the header's)."""
        return self.row > 0 and not self.of_header

    def line(self, lang: str = "en") -> str:
        """One line for the report; a note on the whole file (row 0) is its reason alone."""
        if self.row == 0:
            return self.reason_in(lang)
        if lang == "en":
            return f"row {self.row}, column {self.column}, value {self.value!r}: {self.reason}"
        return f"第 {self.row} 行，{self.column} 列，值 {self.value!r}：{self.reason_in(lang)}"


HEADER_KEYS = frozenset({"blank_header", "column_twice", "missing_column"})  # problems of the header: of the file


def header_row(df: pd.DataFrame) -> int:
    """The file's row its header is on (below a title and export lines; a table read from a database: 1)."""
    return df.attrs.get("header_row", 1)


def problem_frame(problems: list[Problem], lang: str = "en") -> pd.DataFrame:
    """The report as a table (row, column, value, reason), for display and download."""
    return pd.DataFrame(
        [(p.row, p.column, p.value, p.reason_in(lang)) for p in problems], columns=["row", "column", "value", "reason"]
    )


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: .xls, .et, or an encrypted .xlsx
MAX_CELLS = 40_000_000  # a sheet's used range (1 M rows × 40 columns); a wider range is refused before it is read
MAX_SPAN = 16_384  # a cell of a web page spans at most as many columns as a sheet has
HEAD_ROWS = 30  # the rows searched for the header (title, export information and blank rows come above it)
# A row below the data that is not data: a total (its first cell 合计, 总计 … alone), a count (共N条), who made or
# checked the table or when (制表人：…), a note (注：…). The last three only on a row of at most two filled cells.
_TOTAL = re.compile(r"(合计|总计|小计|总数)[:：]?|共\s*[0-9,]+\s*[条件行项笔个]")
_SIGNED = re.compile(r"(制表|审核|填表|打印|导出|统计)(人|单位|时间|日期)?[:：]|(注|备注|说明)[:：]")


def _form(head: bytes) -> str:
    """What the first bytes say the file is, whatever its name: zip (an .xlsx), ole, html or text."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(_OLE):
        return "ole"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:16].lower()
    return "html" if start.startswith((b"<!doctype", b"<html", b"<table", b"<?xml", b"<meta")) else "text"


def _letter(i: int) -> str:
    """The spreadsheet letter of the 0-based column ``i`` (A, B … Z, AA …)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def header_key(value) -> str:
    """A header as it is matched: without spaces or line breaks (a cell 受理\\n时间 is 受理时间), lower case."""
    return re.sub(r"\s+", "", str(value)).lower()


def _blank_headers(df: pd.DataFrame, problems: list) -> pd.DataFrame:
    """Drop columns without a header; report those that hold values (the header's row, the column's letter)."""
    blank = [j for j, c in enumerate(df.columns) if str(c).strip() == "" or str(c).startswith("Unnamed: ")]
    for j in blank:
        if df.iloc[:, j].map(lambda v: str(v).strip() != "").any():
            problems.append(Problem(header_row(df), _letter(j), "", "blank_header"))
    return df.iloc[:, [j for j in range(df.shape[1]) if j not in blank]]


def _filled(cells) -> list[str]:
    return [t for t in (str(v).strip() for v in cells if v is not None) if t]


def _header_at(rows: list, known: set[str] | None) -> int:
    """The header's row among the first HEAD_ROWS: the one naming most of the kind's columns (``known``, as
    :func:`header_key`), else the first that is not blank."""
    head = rows[:HEAD_ROWS]
    named = [sum(header_key(v) in known for v in row if v is not None) for row in head] if known else []
    if named and max(named) > 0:
        return named.index(max(named))
    return next((i for i, row in enumerate(head) if _filled(row)), 0)


def _footer(cells: list[str]) -> bool:
    return bool(cells) and (_TOTAL.fullmatch(cells[0]) is not None or (len(cells) <= 2 and _SIGNED.match(cells[0])))


def _data_end(rows: list) -> int:
    """Where the data ends: before the trailing rows that are blank or footers (合计, 共N条, 制表人：…)."""
    end = len(rows)
    while end and (not (cells := _filled(rows[end - 1])) or _footer(cells)):
        end -= 1
    return end


def _footer_note(rows: list, notes: list) -> None:
    """One note for the footer ``rows`` left out (none when they are blank)."""
    filled = [cells for cells in map(_filled, rows) if cells]
    if filled:
        notes.append(Problem(0, "", "", "footer_rows", {"n": len(filled), "first": filled[0][0][:20]}))


def _framed(rows: list, known: set[str] | None, notes: list) -> pd.DataFrame:
    """The data rows of a sheet (lists of cells) under their header, indexed so that :func:`_row` gives the file's
    row; the rows above the header and the footer rows left out, each said in a note."""
    at = _header_at(rows, known)
    end = max(_data_end(rows), at + 1)
    if at:
        notes.append(Problem(0, "", "", "header_row", {"row": at + 1, "n": at}))
    _footer_note(rows[end:], notes)
    header = ["" if v is None else str(v).strip() for v in rows[at]] if rows else []
    body = rows[at + 1 : end]
    if any(len(r) != len(header) for r in body):  # a sheet is one block; a list of rows need not be
        body = [(list(r) + [""] * len(header))[: len(header)] for r in body]
    df = pd.DataFrame(body, columns=header, index=range(at, at + len(body)), dtype=object)
    df.attrs["header_row"] = at + 1
    filled = np.zeros(len(df), dtype=bool)
    for j in range(df.shape[1]):  # column by column, at C speed where the cells are text
        col = df.iloc[:, j]
        if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
            col = df.iloc[:, j] = col.map(_cell)
        filled |= (col.notna() & (col.astype(str).str.strip() != "")).to_numpy()
    return df[filled]  # blank rows between


def _cell(v):
    """A workbook cell as pandas reads it: a whole float as an int (a code typed as a number)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


# A cell of a sheet's XML, with or without content (conservative), whatever its prefix, quotes or attribute order.
_XLSX_CELL = re.compile(rb"""<(?:\w+:)?c\b[^>]*?\sr=["']([A-Z]+)([0-9]+)""")
_ODS_TAG = re.compile(rb"<table:table-(row|cell|covered-table-cell)\b([^>]*)>|</table:table-row>")
_REPEAT = re.compile(rb'number-(?:rows|columns)-repeated="([0-9]+)"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _extent(data: bytes) -> tuple[int, int]:
    """The rows and columns the cells span in the worksheets of a zipped workbook (.xlsx, .xlsm: every cell, an empty
    one with a style too; .ods: the cells with a value), read from its XML in pieces: calamine makes a sheet one dense
    block of that size, and a block too big for memory aborts the process (a 5 KB file with one value in XFD1048576
    asks for 512 GB)."""
    rows = cols = 0
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            xlsx = name.startswith("xl/worksheets/") and name.endswith(".xml")
            if not (xlsx or name == "content.xml"):
                continue
            row = col = 0
            row_repeat, tail = 1, b""
            with z.open(name) as part:
                while chunk := part.read(1 << 22):
                    text = tail + chunk
                    cut = text.rfind(b"<")  # a tag cut by the chunk's end is read with the next
                    text, tail = text[:cut], text[cut:]
                    if xlsx:
                        cells = _XLSX_CELL.findall(text)
                        cols = max([cols, *map(_column_number, {c for c, _ in cells})])
                        rows = max([rows, *map(int, {r for _, r in cells})])
                        continue
                    for m in _ODS_TAG.finditer(text):  # an .ods repeats rows and cells instead of writing them
                        repeat = int(r.group(1)) if m.group(2) and (r := _REPEAT.search(m.group(2))) else 1
                        if m.group(1) == b"row":
                            row_repeat, col = repeat, 0
                        elif m.group(1) is None:
                            row += row_repeat
                        else:
                            col += repeat
                            if b"value-type" in (m.group(2) or b""):
                                rows, cols = max(rows, row + row_repeat), max(cols, col)
    return rows, cols


def _read_workbook(path: Path, data: bytes, form: str, known: set[str] | None, notes: list) -> pd.DataFrame:
    """The first visible worksheet of an .xlsx, .xlsm, .ods, .xls or .et (python-calamine)."""
    if form not in ("zip", "ole"):
        raise FileProblem("not_workbook", name=path.name)
    broken = "ole_workbook" if form == "ole" else "damaged_workbook"
    try:  # an .xls holds at most 65,536 × 256 cells; a zipped workbook is measured first
        height, width = _extent(data) if form == "zip" else (0, 0)
    except Exception:  # zipfile raises a dozen types for a broken, encrypted or oddly compressed member
        raise FileProblem(broken, name=path.name) from None
    if height * width > MAX_CELLS:
        raise FileProblem("huge_sheet", name=path.name, range=f"A1:{_letter(width - 1)}{height}",
                          cells=f"{height * width:,}", limit=f"{MAX_CELLS:,}")  # fmt: skip
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        shown = [i for i, m in enumerate(book.sheets_metadata) if m.visible == SheetVisibleEnum.Visible]
        sheet = book.get_sheet_by_index(shown[0] if shown else 0)
    except Exception:  # calamine raises its own errors and zip's for a broken or encrypted workbook
        raise FileProblem(broken, name=path.name) from None
    try:
        rows = sheet.to_python(skip_empty_area=False)
    except Exception:
        raise FileProblem(broken, name=path.name) from None
    if not rows:
        raise FileProblem("empty_file", name=path.name)
    return _framed(rows, known, notes)


def _tab_separated(data: bytes, encoding: str | None) -> tuple[str, str] | None:
    """(text, encoding) when ``data`` is text with tabs in its first 4 KB; else None (not a table of text)."""
    try:
        text, used = decode(data, encoding)
    except EncodingProblem:
        return None
    return (text, used) if "\t" in text[:4096] else None


def _read_html(text: str, name: str, known: set[str] | None, notes: list) -> pd.DataFrame:
    """The first table of a web page saved with an Excel name: its rows' cells as text (a cell spanning columns
    fills the first, the others empty), framed as a sheet's (header found, footer left out). Rows are read one by
    one and dropped once read, so the page's size bounds the memory, not its markup."""
    from lxml import etree

    rows: list[list[str]] = []
    try:
        stream = io.BytesIO(text.encode("utf-8"))
        for _, tr in etree.iterparse(stream, events=("end",), tag="tr", html=True, encoding="utf-8", huge_tree=False):
            cells = []
            for td in tr.iterchildren("td", "th"):
                cells.append(" ".join("".join(td.itertext()).split()))
                span = td.get("colspan", "1")
                cells += [""] * (min(int(span), MAX_SPAN) - 1 if span.isdigit() and int(span) > 1 else 0)
            rows.append(cells)
            tr.clear()
            if len(rows) * max(len(cells), 1) > MAX_CELLS:
                cells = f">{MAX_CELLS:,}"
                raise FileProblem("huge_sheet", name=name, range="HTML", cells=cells, limit=f"{MAX_CELLS:,}")
    except etree.LxmlError:
        raise FileProblem("html_table", name=name) from None
    if not rows:
        raise FileProblem("html_table", name=name)
    return _framed(rows, known, notes)


def _read_csv(text: str, problems: list, first: int = 0, sep: str = ",") -> pd.DataFrame:
    """``text`` (its header first) as strings; ``first``: the file's records above it (the index and the rows of
    problems count from the file's first line)."""
    try:  # Arrow's reader: 1 M rows in 1.3 s instead of 6.4 s
        df = pd.read_csv(io.BytesIO(text.encode()), sep=sep, dtype=str, keep_default_na=False, engine="pyarrow")
        df.columns = [str(c).lstrip() for c in df.columns]
        df.index = df.index + first
        return df
    except ValueError:  # rows of uneven length and the like: read record by record and say which
        pass
    csv.field_size_limit(1 << 30)
    records = list(csv.reader(io.StringIO(text), delimiter=sep))
    if not records:
        return pd.DataFrame()
    header = [c.strip() for c in records[0]]
    width, rows, index = len(header), [], []
    for k, cells in enumerate(records[1:]):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            shown = ",".join(cells[width:])[:40]
            problems.append(
                Problem(first + k + 2, _letter(width), shown, "extra_cells", {"cells": len(cells), "header": width})
            )
        elif len(cells) < width:
            shown = ",".join(cells)[:40]
            problems.append(Problem(first + k + 2, "", shown, "missing_cells", {"cells": len(cells), "header": width}))
        rows.append((cells + [""] * width)[:width])
        index.append(first + k)
    return pd.DataFrame(rows, columns=header, index=index, dtype=str)


def _read_text(text: str, known: set[str] | None, problems: list, notes: list, sep: str = ",") -> pd.DataFrame:
    """A CSV (or, ``sep``, tab-separated text) as written: the header found among its first records
    (:func:`_header_at`), the footer left out."""
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text[: 1 << 20]), delimiter=sep)
    head, lines = [], []
    try:
        for record in reader:
            head.append(record)
            lines.append(reader.line_num)
            if len(head) >= HEAD_ROWS:
                break
    except csv.Error:  # a record the first megabyte cuts: the header is searched in the records before it
        pass
    at = _header_at(head, known)
    if at:
        notes.append(Problem(0, "", "", "header_row", {"row": at + 1, "n": at}))
        cut = 0
        for _ in range(lines[at - 1]):  # the lines the records above the header took
            cut = text.index("\n", cut) + 1
        text = text[cut:]
    df = _read_csv(text, problems, at, sep)
    if len(df):
        tail = df.tail(HEAD_ROWS)
        footer = tail.iloc[_data_end(tail.to_numpy().tolist()) :]
        _footer_note(footer.to_numpy().tolist(), notes)
        left_out = {_row(i) for i in footer.index}  # a short 共2条 line was reported as missing cells
        problems[:] = [p for p in problems if p.row not in left_out]
        df = df.drop(index=footer.index)
    df.attrs["header_row"] = at + 1
    return df


def read_table(
    path: Path, encoding: str | None = None, kind: Kind | None = None, headers=()
) -> tuple[pd.DataFrame, str, list[Problem], list[Problem]]:
    """The file's rows as strings (CSV) or cells (a workbook), the encoding used, problems of its shape, and notes
    (the rows above the header and below the data that were left out).

    The header is found, not assumed: the row among the first that names most of ``kind``'s columns (or of
    ``headers``, a profile's). The file's first bytes decide how it is read, not its name alone: a web page named
    .xls (an HTML table, as many platforms export) is read as its table, a workbook named .csv gets its own message
    (``FileProblem``) instead of a misreading.
    """
    suffix, name = path.suffix.lower(), path.name
    data = path.read_bytes()
    form = _form(data[:64])
    known = {header_key(h) for h in (*(h for c in kind.columns for h in c.headers), *headers)} if kind else None
    problems: list[Problem] = []
    notes: list[Problem] = []
    if form == "html" and suffix in WORKBOOK_SUFFIXES:  # a web page named .xls, as many platforms export
        try:
            text, used = decode(data, encoding)
        except EncodingProblem as exc:
            raise FileProblem("encoding", name=name, detail=str(exc)) from None
        df = _read_html(text, name, known, notes)
    elif suffix == ".xls" and form == "text" and (text := _tab_separated(data, encoding)) is not None:
        text, used = text  # tab-separated text with an Excel name, as some systems export
        df = _read_text(text, known, problems, notes, sep="\t")
    elif suffix in WORKBOOK_SUFFIXES:
        df, used = _read_workbook(path, data, form, known, notes), suffix.lstrip(".")
    elif suffix in TEXT_SUFFIXES:
        if form in ("zip", "ole"):
            raise FileProblem("workbook_as_csv", name=name)
        try:
            text, used = decode(data, encoding)
        except EncodingProblem as exc:
            raise FileProblem("encoding", name=name, detail=str(exc)) from None
        df = _read_text(text, known, problems, notes)
    else:
        raise FileProblem("table_suffix", name=name)
    if not len(df.columns):
        raise FileProblem("empty_file", name=name)
    df = _blank_headers(df, problems)
    if not len(df):
        raise FileProblem("no_rows", name=name)
    return df, used, problems, notes


def _json_value(v):
    """A cell as JSON keeps it: a time in ISO form, a finite number as a number, anything else as its text."""
    if isinstance(v, (datetime, date)):
        return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
    if isinstance(v, (int, bool)) or (isinstance(v, float) and np.isfinite(v)):
        return v
    return str(v).strip()


def _kept(df: pd.DataFrame, positions: list[int], names: list[str], problems: list) -> list[str | None]:
    """Each row's cells of the columns at ``positions`` as JSON (``names`` → value; empty cells left out). A value
    with an invisible control character is a problem on its row, as in any text column (and jsonb refuses NUL)."""
    out = []
    for i, row in zip(df.index, df.iloc[:, positions].itertuples(index=False, name=None), strict=True):
        kept = {}
        for name, v in zip(names, row, strict=True):
            if v is None or str(v).strip() == "":
                continue
            value = _json_value(v)
            if isinstance(value, str) and (hidden := _CONTROL.search(value)):
                problems.append(Problem(_row(i), name, value, "control_char", {"char": _u(hidden.group(1))}))
                continue
            kept[name] = value
        out.append(json.dumps(kept, ensure_ascii=False) if kept else None)
    return out


def map_headers(df: pd.DataFrame, kind: Kind) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Rename Chinese or English headers to column names; report missing columns and columns named twice. Columns
    with no field are kept: their values go, per row, into ``source_fields`` (JSON), said in one note."""
    lookup = {header_key(h): c.name for c in kind.columns for h in c.headers}
    problems, notes, rename, unknown = [], [], {}, []
    for j, header in enumerate(df.columns):
        name = lookup.get(header_key(header))
        if name is None:
            unknown.append(j)
        elif name in rename.values():
            problems.append(Problem(header_row(df), str(header), str(header), "column_twice", {"name": name}))
        else:
            rename[header] = name
    out = df[list(rename)].rename(columns=rename)
    if unknown:
        names, seen = [], Counter()
        for j in unknown:  # a header written twice keeps both values, named as pandas names a CSV's: 备注, 备注.1
            name = str(df.columns[j])
            seen[name] += 1
            names.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
        out["source_fields"] = _kept(df, unknown, names, problems)
        notes.append(Problem(0, "", "", "source_fields", {"n": len(names), "names": "、".join(names)[:200]}))
    if kind.name == "issues":  # a 12345 export: its 受理时间 is the report, and it has no 来源渠道
        if "reported_at" not in out.columns and "accepted_at" in out.columns:
            out["reported_at"] = out["accepted_at"]
        if "source_channel" not in out.columns:
            out["source_channel"] = "hotline"
    for col in kind.columns:
        if col.required and col.name not in out.columns:
            problems.append(Problem(header_row(df), col.zh, "", "missing_column", {"zh": col.zh, "name": col.name}))
    return out, problems, notes


_ISO = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"


def _parse_datetime(values: pd.Series) -> pd.Series:
    """ISO, 2024/1/5, 2024年1月5日 10时5分, Excel date cells and Excel serial day numbers (vectorised).

    ISO text, the common case of large files, takes pandas' fast ISO 8601 parser; only the other cells
    go through the normalising path (1 M cells: ≈ 1 s instead of ≈ 5 s).
    """
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        cells, text = None, values.astype("string").str.strip()
    else:
        cells = values.map(lambda v: pd.Timestamp(v) if hasattr(v, "year") else pd.NaT)
        text = values.map(lambda v: "" if hasattr(v, "year") else str(v)).astype("string").str.strip()
    iso = text.str.fullmatch(_ISO).fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if iso.any():
        parsed[iso] = pd.to_datetime(text[iso], format="ISO8601", errors="coerce").astype("datetime64[us]")
    rest = ~iso & (text != "").fillna(False).astype(bool)
    if rest.any():
        parsed[rest] = _parse_other(text[rest])
    return parsed if cells is None else parsed.fillna(cells)


def _parse_other(text: pd.Series) -> pd.Series:
    serial = text.str.fullmatch(r"\d{5}(\.\d+)?").fillna(False).astype(bool)
    norm = (
        text.str.replace(r"[年月]", "-", regex=True)
        .str.replace("日", " ")
        .str.replace("时", ":")
        .str.replace("分", ":")
        .str.replace("秒", "")
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
        .str.rstrip(":")
        .str.replace(r" (\d{1,2})$", r" \1:00", regex=True)  # 8时 alone: the hour
    )
    parsed = pd.to_datetime(norm.where(~serial), format="mixed", errors="coerce")
    days = pd.to_numeric(text.where(serial), errors="coerce")
    from_serial = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
    return parsed.where(~serial, from_serial).astype("datetime64[us]")


def _row(i: int) -> int:
    return int(i) + 2


_TRUE = {"是", "有", "y", "yes", "true", "1", "t", "√", "已解决", "解决"}
_FALSE = {"否", "无", "n", "no", "false", "0", "f", "×", "未解决"}


def _report(problems: list[Problem], mask, df, col, value, key: str, **params) -> None:
    for i in df.index[np.asarray(mask, dtype=bool)]:
        problems.append(Problem(_row(i), col.zh, str(value[i]), key, params))


# Invisible characters no name or code should hold: C0 controls but tab and line breaks, DEL, zero-width
# characters, and the bidirectional overrides that make "驿站\u202egnp.exe" display as "驿站exe.png".
_CONTROL_CHARS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
_CONTROL = re.compile(f"({_CONTROL_CHARS})")
_SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]{1,3}")
TEXT_MAX = 2000  # characters, for a text column the store does not bound itself
SOURCE_FIELDS_MAX = 20_000  # characters of a row's columns with no field, as JSON
NAME_MAX = 100  # … and for a name
EARLIEST = {"date": date(1949, 10, 1), "datetime": date(2000, 1, 1)}
FUTURE_DAYS = {"due_at": 366}  # a deadline may lie ahead; every other date has happened (by tomorrow)
_SQL_INT = {"SmallInteger": 32_767, "Integer": 2_147_483_647, "BigInteger": 9_223_372_036_854_775_807}


def _as_text(v):
    """A cell as text: Excel hands codes over as whole numbers (12 digits and more) or floats."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _shown(v) -> str:
    """A value short enough for one line of the report, its invisible characters written as codes."""
    text = _CONTROL.sub(lambda m: f"<{_u(m.group(1))}>", str(v))
    return text if len(text) <= 60 else text[:57] + "…"


def _u(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _table_column(kind: Kind, col):
    table = schema.metadata.tables.get(kind.table)
    return table.c[col.name] if table is not None and col.name in table.c else None


def _max_length(kind: Kind, col) -> int:
    column = _table_column(kind, col)
    length = getattr(column.type, "length", None) if column is not None else None
    return length or (32 if col.type == "code" else NAME_MAX if col.name.endswith("name") else TEXT_MAX)


def _number_range(kind: Kind, col) -> tuple[float, float]:
    column = _table_column(kind, col)
    bound = _SQL_INT.get(type(column.type).__name__) if column is not None else None
    bound = bound or (_SQL_INT["Integer"] if col.type == "int" else 1e15)
    return (col.min if col.min is not None else -bound), (col.max if col.max is not None else bound)


def _date_range(col) -> tuple[date, date]:
    """From the earliest date a value may hold to the first day it may not (tomorrow, or later for deadlines)."""
    return EARLIEST[col.type], clock.today() + timedelta(days=2 + FUTURE_DAYS.get(col.name, 0))


def parse(df: pd.DataFrame, kind: Kind, crs: str = "WGS-84") -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Typed values, the problems of every row (reference checks against the store come later) and notes."""
    problems: list[Problem] = []
    notes: list[Problem] = []
    out = pd.DataFrame(index=df.index)
    for col in kind.columns:
        if col.name not in df.columns:
            out[col.name] = None
            continue
        raw = df[col.name]
        all_text = pd.api.types.infer_dtype(raw, skipna=False) == "string"
        if all_text:  # CSV: every cell is text; a workbook's column of text
            text = raw.str.strip()
            empty = text == ""
        else:  # Excel: numbers, dates and text mixed
            raw = raw.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else v)  # NaT, NaN
            text = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
            empty = text.map(lambda v: v == "" or v is None)
        if col.required:
            _report(problems, empty, df, col, raw, "empty")
        if col.type in ("text", "code"):
            value = (text if all_text else text.map(_as_text)).where(~empty, None)
            as_text = value.astype("string")
            # Patterns as text, not compiled: Arrow's strings then match them in C.
            _report(problems, as_text.str.contains(_MARKUP, na=False), df, col, value, "markup")
            for i in df.index[as_text.str.contains(_CONTROL_CHARS, na=False).to_numpy()]:
                char = _CONTROL.search(value[i]).group(1)
                problems.append(Problem(_row(i), col.zh, value[i], "control_char", {"char": _u(char)}))
            n = as_text.str.len()
            limit = _max_length(kind, col)
            for i in df.index[(n > limit).fillna(False).to_numpy(dtype=bool)]:
                problems.append(Problem(_row(i), col.zh, value[i], "too_long", {"max": limit, "n": int(n[i])}))
            sci = pd.Series(False, index=df.index)
            if col.type == "code" or col.name.endswith("code"):
                sci = as_text.str.fullmatch(_SCIENTIFIC).fillna(False).astype(bool)
                for i in df.index[sci.to_numpy()]:
                    problems.append(Problem(_row(i), col.zh, value[i], "scientific", {"value": value[i]}))
            if col.type == "code":
                pattern = (
                    rf"[0-9]{{{col.digits[0]},{col.digits[1]}}}" if col.digits else r"[0-9A-Za-z][0-9A-Za-z_.-]{1,31}"
                )
                bad = value.notna() & ~sci & ~as_text.str.fullmatch(pattern).fillna(False).astype(bool)
                bad &= n.fillna(0) <= limit  # a code too long is reported once, as too long
                if col.digits:
                    digits = str(col.digits[0]) if col.digits[0] == col.digits[1] else "{}–{}".format(*col.digits)
                    _report(problems, bad, df, col, value, "code_digits", digits=digits)
                else:
                    _report(problems, bad, df, col, value, "not_code")
        elif col.type in ("int", "float"):
            value = pd.to_numeric(text.where(~empty, None), errors="coerce")
            finite = np.isfinite(value.astype(float))
            _report(problems, ~empty & ~finite, df, col, raw, "not_number")
            value = value.where(finite)
            lo, hi = _number_range(kind, col)
            outside = value.notna() & ((value < lo) | (value > hi))
            if col.type == "int":
                outside |= value.notna() & (value != value.round())
            _report(problems, outside, df, col, raw, "range", lo=f"{lo:g}", hi=f"{hi:g}")
            if col.type == "int":
                value = value.where(~outside).round().astype("Int64")
        elif col.type == "bool":
            low = text.map(lambda v: str(v).strip().lower())
            value = low.map(lambda v: True if v in _TRUE else False if v in _FALSE else None).where(~empty, None)
            _report(problems, ~empty & value.isna(), df, col, raw, "not_bool")
        elif col.type in ("date", "datetime"):
            value = _parse_datetime(text.where(~empty, ""))
            value = value.where(~empty, pd.NaT)
            _report(problems, ~empty & value.isna(), df, col, raw, "not_date")
            lo, hi = _date_range(col)
            outside = value.notna() & ((value < pd.Timestamp(lo)) | (value >= pd.Timestamp(hi)))
            _report(problems, outside, df, col, raw, "date_range", lo=str(lo), hi=str(hi - timedelta(days=1)))
            value = value.where(~outside)
            if col.type == "date":
                value = value.dt.date.where(value.notna(), None)
        elif col.type == "enum":
            allowed = set(kind.enums[col.name])
            labels = col.labels
            value = text.map(lambda v, m=labels: m.get(v, v) if isinstance(v, str) else v).where(~empty, None)
            shown = ", ".join(list(labels)[:8] or sorted(allowed))
            _report(problems, value.notna() & ~value.isin(allowed), df, col, raw, "enum", values=shown)
        out[col.name] = value
    if "source_fields" in df.columns:  # the columns with no field, as JSON (map_headers)
        out["source_fields"] = df["source_fields"]
        n = df["source_fields"].str.len()
        for i in df.index[(n > SOURCE_FIELDS_MAX).fillna(False).to_numpy(dtype=bool)]:
            problems.append(Problem(_row(i), "来源原字段", "", "too_long", {"max": SOURCE_FIELDS_MAX, "n": int(n[i])}))
    if kind.located and {"lon", "lat"} <= set(df.columns):
        problems += _check_coordinates(out, crs)
    if kind.name == "issues":
        notes += _evaluated_when_closed(out, kind)
        problems += _check_lifecycle(out, kind, df)
    problems += _duplicates(out, kind)
    out.attrs["absent"] = tuple(c.name for c in kind.columns if c.name not in df.columns)  # no such header
    return out, problems, notes


def _evaluated_when_closed(out: pd.DataFrame, kind: Kind) -> list[Problem]:
    """A 12345 export often gives 回访满意度 and 是否解决 without the return visit's time: it is taken as the closure's
    (the visit follows it; the figures count the evaluation from then). Changes ``out``; one note."""
    given = out["satisfaction"].notna() | out["resolved"].notna()
    filled = (given & out["evaluated_at"].isna() & out["closed_at"].notna()).to_numpy(dtype=bool)
    if not filled.any():
        return []
    out.loc[filled, "evaluated_at"] = out.loc[filled, "closed_at"]
    what = "、".join(kind.column(c).zh for c in ("satisfaction", "resolved") if out.loc[filled, c].notna().any())
    return [
        Problem(0, kind.column("evaluated_at").zh, "", "evaluated_when_closed", {"n": int(filled.sum()), "what": what})
    ]


def _duplicates(out: pd.DataFrame, kind: Kind) -> list[Problem]:
    keys = out[list(kind.key)].astype("string")
    if kind.name == "owners-committees":  # an empty kind means the default one
        keys["kind"] = keys["kind"].fillna("owners_committee")
    complete = keys.notna().all(axis=1)
    joined = keys.iloc[:, 0] if len(kind.key) == 1 else keys.fillna("").agg("/".join, axis=1)
    dup = complete & joined.duplicated(keep="first")
    firsts = joined[complete].drop_duplicates()
    first_row = pd.Series(firsts.index, index=firsts.to_numpy())
    return [
        Problem(_row(i), kind.key_label, str(joined[i]), "duplicate", {"first": _row(first_row[joined[i]])})
        for i in out.index[dup]
    ]


def _check_coordinates(out: pd.DataFrame, crs: str) -> list[Problem]:
    """Convert lon/lat to WGS-84 and report points outside China or with lon/lat swapped."""
    import shapely

    problems = []
    ok = out["lon"].notna() & out["lat"].notna()
    name = normalise_crs(crs)
    if name != "WGS-84" and ok.any():
        pts = to_wgs84(shapely.points(out.loc[ok, "lon"].astype(float), out.loc[ok, "lat"].astype(float)), name)
        out.loc[ok, "lon"], out.loc[ok, "lat"] = shapely.get_x(pts), shapely.get_y(pts)
    x = pd.to_numeric(out["lon"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(out["lat"], errors="coerce").to_numpy(dtype=float)
    inside = in_china(x, y)
    swapped = in_china(y, x)
    bad = ok.to_numpy() & ~inside
    for i, xi, yi, sw in zip(out.index[bad], x[bad], y[bad], swapped[bad], strict=True):
        problems.append(Problem(_row(i), "经度/纬度", f"{xi}, {yi}", "swapped" if sw else "outside_china"))
    return problems


def _check_lifecycle(out: pd.DataFrame, kind: Kind, cells: pd.DataFrame) -> list[Problem]:
    """Each stage that happened is no earlier than every stage before it (vectorised over rows), the
    deadline lies after the report, and a satisfaction or a 是否解决 comes with its return visit (named by the
    file's own cell, 满意 or 是, not the stored value)."""
    problems = []
    zh = {c.name: c.zh for c in kind.columns}
    stages = [c for c in LIFECYCLE if c in out.columns]
    latest = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    latest_col = pd.Series("", index=out.index)
    for col in stages:
        t = pd.to_datetime(out[col], errors="coerce")
        bad = t.notna() & latest.notna() & (t < latest)
        for i in out.index[bad]:
            stage = zh.get(latest_col[i], latest_col[i])
            problems.append(Problem(_row(i), zh[col], str(t[i]), "lifecycle", {"stage": stage, "time": str(latest[i])}))
        newer = t.notna() & (latest.isna() | (t > latest))
        latest = latest.where(~newer, t)
        latest_col = latest_col.where(~newer, col)
    due, reported = pd.to_datetime(out["due_at"], errors="coerce"), pd.to_datetime(out["reported_at"], errors="coerce")
    for i in out.index[(due <= reported).fillna(False).to_numpy(dtype=bool)]:
        problems.append(
            Problem(
                _row(i), zh["due_at"], str(due[i]), "lifecycle", {"stage": zh["reported_at"], "time": str(reported[i])}
            )
        )
    visit = out["evaluated_at"].isna()
    for col in ("satisfaction", "resolved"):
        for i in out.index[(out[col].notna() & visit).to_numpy(dtype=bool)]:
            cell = cells.at[i, col] if col in cells.columns else out.at[i, col]
            problems.append(Problem(_row(i), zh[col], str(cell).strip(), "needs_evaluation", {"what": zh[col]}))
    return problems
