"""A corpus of hostile and broken import files, each with the outcome the importer owes it.

Every case names the kind it is imported as, the exit code of ``python -m data_access import``
(0 loaded, 1 rejected or unreadable) and a piece of the one message that must explain it. They are
written into a folder by ``write_corpus`` so that a test (and a person) can run them one by one.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

HEADER = "阵地编码,名称,类型,社区代码,经度,纬度,启用日期,面积(平方米),建设方式,服务内容"
COLUMNS = HEADER.split(",")


def good(n: str, **change) -> list:
    """One valid station row (cells), with some cells changed by header."""
    row = dict(
        zip(COLUMNS, f"H-{n},测试驿站{n},小区党群服务驿站,,113.19778,29.33843,2024-05-01,85,新建,议事协商".split(","))
    )
    row.update(change)
    return list(row.values())


ISSUE_HEADER = "工单编号,来源渠道,事件分类代码,社区代码,经度,纬度,上报时间,结案时间,满意度,评价时间,办理时限"
ISSUE = ["H-I-1", "网格巡查", "010101", "", "113.19778", "29.33843", "2026-03-02 09:15", "2026-03-02 16:00"]


@dataclass(frozen=True)
class Case:
    name: str  # the file's name
    kind: str
    make: Callable[[Path], None]
    exit: int  # 0 loaded, 1 rejected
    says: str  # a piece of the message (stderr, English)
    why: str = ""


def _csv(rows: list[list], encoding: str = "utf-8") -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes("\n".join(",".join(str(c) for c in r) for r in rows).encode(encoding))

    return make


def _text(body: str | bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(body if isinstance(body, bytes) else body.encode())

    return make


def _xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _workbook(rows: list[list]) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(_xlsx(rows))


def _far_cell(rows: list[list]) -> bytes:
    """A 5 KB workbook whose one extra value sits in the sheet's last cell, XFD1048576: read as one block, the sheet
    would be 17 billion cells."""
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.active["XFD1048576"] = "x"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _geojson(obj) -> Callable[[Path], None]:
    return _text(json.dumps(obj, ensure_ascii=False, allow_nan=True))


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return out.getvalue()


def _encrypted_zip() -> bytes:
    """A zip whose member has the 'encrypted' flag set (bit 0), as a password-protected archive has."""
    data = bytearray(_zip({"grids.geojson": b'{"type": "FeatureCollection", "features": []}'}))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = data.find(sig)
        flag_at = at + (6 if sig == b"PK\x03\x04" else 8)
        flags = struct.unpack_from("<H", data, flag_at)[0]
        struct.pack_into("<H", data, flag_at, flags | 1)
    return bytes(data)


def _bomb_zip() -> bytes:
    """A small zip whose member declares 5 GB once unpacked (the central directory says so)."""
    data = bytearray(_zip({"grids.geojson": b"{}" * 1000}))
    at = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, at + 24, 0xFFFFFFF0)  # uncompressed size
    at = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, at + 22, 0xFFFFFFF0)
    return bytes(data)


def _many_files_zip() -> bytes:
    return _zip({f"f{i}.txt": b"" for i in range(2001)})


def _ole(suffix_note: str = "") -> bytes:
    """The signature of an OLE compound file: an old .xls/.et, or a password-protected .xlsx."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(random.Random(suffix_note).randrange(256) for _ in range(4088))


def _square(x0: float, y0: float, d: float) -> dict:
    ring = [[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(code: str, name: str, geometry) -> dict:
    return {"type": "Feature", "properties": {"网格代码": code, "名称": name}, "geometry": geometry}


def _collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def cases(stored_grid: dict | None = None) -> list[Case]:
    """The corpus. ``stored_grid`` (code, geometry as GeoJSON) is a grid of the store, to overlap."""
    h = COLUMNS
    xlsx_rows = [h, good("X1")]
    number_code = good("N1", **{"社区代码": 430602001001, "面积(平方米)": 85})
    number_code[4:6] = [113.19778, 29.33843]
    rand = random.Random(16)
    out = [
        # Excel's own doings
        Case(
            "number-code.xlsx",
            "stations",
            _workbook([h, number_code]),
            0,
            "loaded 1 of 1",
            "a 12-digit community code typed into Excel is a number cell",
        ),
        Case(
            "float-code.xlsx",
            "stations",
            _workbook([h, good("N2", **{"社区代码": 430602001001.0})]),
            0,
            "loaded 1 of 1",
            "the same code as a float cell",
        ),
        Case(
            "scientific-code.csv",
            "stations",
            _csv([h, good("E1", **{"社区代码": "4.30602E+11"})]),
            1,
            "row 2, column 社区代码",
            "Excel saved the code as 4.30602E+11 in a CSV",
        ),
        Case("truncated.xlsx", "stations", _text(_xlsx(xlsx_rows)[:3000]), 1, "damaged"),
        Case(
            "random.xlsx",
            "stations",
            _text(bytes(rand.randrange(256) for _ in range(4096))),
            1,
            "not a workbook",
        ),
        Case("encrypted.xlsx", "stations", _text(_ole("xlsx")), 1, "password", "an encrypted .xlsx is an OLE file"),
        Case("old.xls", "stations", _text(_ole("xls")), 1, "password", "an .xls that no reader can open"),
        Case("wps.et", "stations", _text(_ole("et")), 1, "password"),
        Case(
            "web-page.xls",
            "stations",
            _text("<html><body><table><tr><td>阵地编码</td></tr></table></body></html>"),
            1,
            "has a header but no rows",
            "a web page named .xls is read as its table: this one has no rows",
        ),
        Case("web-page-no-table.xls", "stations", _text("<html><body><p>导出失败</p></body></html>"), 1, "web page"),
        Case("workbook-named.csv", "stations", _workbook(xlsx_rows), 1, "Excel workbook"),
        Case("far-cell.xlsx", "stations", _text(_far_cell(xlsx_rows)), 1, "A1:XFD1048576"),
        Case("header-only.xlsx", "stations", _workbook([h]), 1, "no rows"),
        Case("blank-header.xlsx", "stations", _workbook([[*h, None], [*good("B1"), "x"]]), 1, "row 1, column K"),
        # Text that is not what it looks like
        Case("nul.csv", "stations", _csv([h, good("C1", 名称="测试\x00驿站")]), 1, "row 2, column 名称"),
        Case("bell.csv", "stations", _csv([h, good("C2", 名称="测试\x07驿站")]), 1, "row 2, column 名称"),
        Case("bidi.csv", "stations", _csv([h, good("C3", 名称="驿站\u202egnp.exe")]), 1, "row 2, column 名称"),
        Case(
            "bidi.xlsx", "stations", _workbook([h, good("C4", 服务内容="议事\u202e协商")]), 1, "row 2, column 服务内容"
        ),
        Case("zero-width-code.csv", "stations", _csv([h, good("C5\u200b")]), 1, "row 2, column 阵地编码"),
        Case("too-long.csv", "stations", _csv([h, good("L1", 名称="驿" * 500)]), 1, "row 2, column 名称"),
        Case("long-code.csv", "stations", _csv([h, good("L" * 40)]), 1, "row 2, column 阵地编码"),
        Case("year-0.csv", "stations", _csv([h, good("D1", 启用日期="0000-01-01")]), 1, "row 2, column 启用日期"),
        Case("year-1899.csv", "stations", _csv([h, good("D2", 启用日期="1899-12-31")]), 1, "row 2, column 启用日期"),
        Case("future.csv", "stations", _csv([h, good("D3", 启用日期="2099-01-01")]), 1, "row 2, column 启用日期"),
        Case(
            "huge-number.csv",
            "stations",
            _csv([h, good("H1", **{"面积(平方米)": "1e400"})]),
            1,
            "row 2, column 面积(平方米)",
        ),
        Case("nan-number.csv", "stations", _csv([h, good("H2", 经度="NaN")]), 1, "row 2, column 经度"),
        # Shapes of a CSV
        Case("empty.csv", "stations", _text(b""), 1, "empty"),
        Case("header-only.csv", "stations", _text(HEADER + "\n"), 1, "no rows"),
        Case("ragged-long.csv", "stations", _csv([h, good("R1"), [*good("R2"), "x", "y"]]), 1, "row 3"),
        Case("ragged-short.csv", "stations", _csv([h, good("R3"), good("R4")[:4]]), 1, "row 3"),
        Case(
            "trailing-commas.csv",
            "stations",
            _csv([h, [*good("R5"), "", ""]]),
            0,
            "loaded 1 of 1",
            "Excel's empty trailing cells are not a problem",
        ),
        Case("binary.csv", "stations", _text(bytes(rand.randrange(256) for _ in range(4096))), 1, "UTF-8"),
        Case("unclosed-quote.csv", "stations", _text(HEADER + '\nH-Q1,"测试驿站,小区党群服务驿站\n'), 1, "row 2"),
        # Rows a dry run must judge as the load does
        Case(
            "satisfaction-without-evaluation.csv",
            "issues",
            _csv([ISSUE_HEADER.split(","), [*ISSUE, "满意", "", ""]]),
            0,
            "loaded 1 of 1",
            "a 12345 export's 回访满意度 without 回访时间: the evaluation counts from the closure",
        ),
        Case(
            "satisfaction-while-open.csv",
            "issues",
            _csv([ISSUE_HEADER.split(","), [*ISSUE[:7], "", "满意", "", ""]]),
            1,
            "row 2, column 满意度",
        ),
        Case(
            "due-before-report.csv",
            "issues",
            _csv([ISSUE_HEADER.split(","), [*ISSUE, "", "", "2026-03-01 09:00"]]),
            1,
            "row 2, column 办理时限",
        ),
        Case(
            "category-number.xlsx",
            "issues",
            _workbook([ISSUE_HEADER.split(","), ["H-I-2", "网格巡查", 10101, *ISSUE[3:], "", "", ""]]),
            0,
            "loaded 1 of 1",
            "Excel dropped the category code's leading zero (010101 → 10101)",
        ),
        # Boundary files
        Case(
            "nan.geojson",
            "grids",
            _geojson(
                _collection(
                    _feature(
                        "430602001001001", "网格甲", {"type": "Polygon", "coordinates": [[[float("nan"), 29.3]] * 4]}
                    )
                )
            ),
            1,
            "NaN",
        ),
        Case("deep.geojson", "grids", _text("[" * 200_000 + "]" * 200_000), 1, "nested"),
        Case(
            "top-list.geojson", "grids", _geojson([_feature("430602001001001", "网格甲", None)]), 1, "FeatureCollection"
        ),
        Case(
            "not-objects.geojson",
            "grids",
            _geojson({"type": "FeatureCollection", "features": [1, "x", None]}),
            1,
            "row 2",
        ),
        Case(
            "properties-list.geojson",
            "grids",
            _geojson(
                {
                    "type": "FeatureCollection",
                    "features": [{"type": "Feature", "properties": [1, 2], "geometry": _square(113.2, 29.3, 0.001)}],
                }
            ),
            1,
            "row 2",
        ),
        Case("truncated.zip", "grids", _text(_zip({"g.geojson": rand.randbytes(5000)})[:300]), 1, "damaged"),
        Case("random.zip", "grids", _text(bytes(rand.randrange(256) for _ in range(4096))), 1, "not a zip"),
        Case("encrypted.zip", "grids", _text(_encrypted_zip()), 1, "password"),
        Case("bomb.zip", "grids", _text(_bomb_zip()), 1, "unpacked"),
        Case("many-files.zip", "grids", _text(_many_files_zip()), 1, "files"),
        Case("slip.zip", "grids", _text(_zip({"../../evil.geojson": b"{}"})), 1, "unsafe path"),
        Case("nothing-inside.zip", "grids", _text(_zip({"readme.txt": b"hello"})), 1, "found 0"),
        Case("garbage.gpkg", "grids", _text(bytes(rand.randrange(256) for _ in range(8192))), 1, "cannot be read"),
        Case(
            "garbage-shp.zip",
            "grids",
            _text(_zip({"g.shp": os.urandom(300), "g.dbf": b"", "g.shx": b""})),
            1,
            "cannot be read",
        ),
    ]
    if stored_grid:
        code, geometry = stored_grid["code"], stored_grid["geometry"]
        out.append(
            Case("overlap.geojson", "grids", _geojson(_collection(_feature(code[:12] + "991", "重叠网格", geometry))),
                 1, f"overlaps grid {code}", "a new grid drawn over a stored one")
        )  # fmt: skip
    return out


def write_corpus(folder: Path, stored_grid: dict | None = None) -> list[tuple[Case, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for case in cases(stored_grid):
        path = folder / case.name
        case.make(path)
        written.append((case, path))
    return written
