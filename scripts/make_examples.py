"""Write the example import files of examples/ for 江岸区 (420102): its own files, which replace the demo's generated
江岸区 (python -m data_access remove-district 420102 first).

Boundaries are cut from the real district outline (data_access/demo/outlines.geojson) so that each
file nests in the one before; the formats, encodings and CRSs vary on purpose, one per file:

    districts.geojson        GeoJSON, WGS-84, no crs member
    streets.zip              zipped Shapefile, GBK attributes (.cpg says GBK), .prj WGS-84
    communities.gpkg         GeoPackage in CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547)
    grids.geojson            GeoJSON with a crs member (CGCS2000, EPSG:4490)
    micro-grids/*.shp …      loose Shapefile, UTF-8 (.cpg), English column names
    compounds.geojson        GeoJSON in GCJ-02 (load with --crs GCJ-02)

Tables: property-companies.csv (UTF-8 with BOM), grid-workers.xlsx (Excel), volunteers.csv (GBK),
activities.csv (UTF-8), owners-committees.csv, property-fees.csv, housing-registry.csv, partner-units.csv,
projects.csv, service-items.csv, questions.csv, party-orgs.csv (GB18030).

Run: .venv/bin/python scripts/make_examples.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box, mapping, shape

from geo.crs import wgs84_to_gcj02

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples"
D = "420102"


def halves(geom, vertical: bool):
    """Cut a polygon in two at its centroid (vertical or horizontal line); both halves polygonal."""
    minx, miny, maxx, maxy = geom.bounds
    c = geom.centroid
    a = box(minx - 1, miny - 1, c.x, maxy + 1) if vertical else box(minx - 1, miny - 1, maxx + 1, c.y)
    b = box(c.x, miny - 1, maxx + 1, maxy + 1) if vertical else box(minx - 1, c.y, maxx + 1, maxy + 1)
    return [_largest(shapely.intersection(geom, a)), _largest(shapely.intersection(geom, b))]


def _largest(geom):
    parts = sorted(shapely.get_parts(geom), key=lambda p: -p.area)
    return shapely.make_valid(parts[0]).buffer(0)


def main() -> None:
    outlines = json.loads((ROOT / "data_access/demo/outlines.geojson").read_text("utf-8"))
    feature = next(f for f in outlines["features"] if f["properties"]["code"] == D)
    district = _largest(shape(feature["geometry"]).simplify(0.0005))

    OUT.mkdir(exist_ok=True)
    props = {"区划代码": D, "名称": "江岸区", "城市代码": "420100", "城市名称": "武汉市", "省份": "湖北省"}
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": props, "geometry": mapping(district)}],
    }
    (OUT / "districts.geojson").write_text(json.dumps(fc, ensure_ascii=False), "utf-8")

    streets = halves(district, vertical=True)
    sdf = gpd.GeoDataFrame(
        {"街道代码": [f"{D}001", f"{D}002"], "名称": ["大智街道", "一元街道"], "类型": ["街道", "街道"]},
        geometry=streets,
        crs="EPSG:4326",
    )
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / "streets.shp"
        sdf.to_file(shp, encoding="GBK", engine="pyogrio")
        with zipfile.ZipFile(OUT / "streets.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(Path(tmp).iterdir()):
                zf.write(part, part.name)

    communities, codes, names = [], [], []
    for s_i, street in enumerate(streets, start=1):
        for c_i, part in enumerate(halves(street, vertical=False), start=1):
            communities.append(part)
            codes.append(f"{D}00{s_i}00{c_i}")
            names.append(f"{['大智', '一元'][s_i - 1]}{['东', '西'][c_i - 1]}社区")
    cdf = gpd.GeoDataFrame(
        {"社区代码": codes, "名称": names, "类型": "社区"}, geometry=communities, crs="EPSG:4326"
    ).to_crs("EPSG:4547")
    path = OUT / "communities.gpkg"
    path.unlink(missing_ok=True)
    cdf.to_file(path, driver="GPKG", layer="communities", engine="pyogrio")

    # Two grids of about 500 m × 500 m around a point of the first community.
    community = communities[0]
    p = community.representative_point()
    grids = [
        _largest(shapely.intersection(community, box(p.x + dx, p.y - 0.0023, p.x + dx + 0.0052, p.y + 0.0023)))
        for dx in (-0.0052, 0.0)
    ]
    gcode = [f"{codes[0]}001", f"{codes[0]}002"]
    fc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": [
            {"type": "Feature", "properties": {"网格代码": c, "名称": f"第{i}网格"}, "geometry": mapping(g)}
            for i, (c, g) in enumerate(zip(gcode, grids, strict=True), start=1)
        ],
    }
    (OUT / "grids.geojson").write_text(json.dumps(fc, ensure_ascii=False), "utf-8")

    micro = halves(grids[0], vertical=False)
    folder = OUT / "micro-grids"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    mdf = gpd.GeoDataFrame(
        {"code": [f"{gcode[0]}01", f"{gcode[0]}02"], "name": ["一号微网格", "二号微网格"], "hh": [180, 215]},
        geometry=micro,
        crs="EPSG:4326",
    )
    mdf.to_file(folder / "micro-grids.shp", encoding="UTF-8", engine="pyogrio")

    # Compounds: one coincides with grid 2, one sits inside micro-grid 1; coordinates in GCJ-02.
    inner = shapely.affinity.scale(micro[0], 0.4, 0.4)

    def gcj(geom):
        return shapely.transform(geom, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))

    compounds = [
        ("JA-XQ-0001", "百步亭花园", "商品房小区", 3200, 9100, 42, "专业物业", "91420102MA4KXA0001", "是", "否", ""),
        ("JA-XQ-0002", "大智路老旧小区", "老旧小区", 860, 2300, 12, "社区托管", "", "否", "是", "2021"),
    ]
    headers = ["小区编码", "小区名称", "小区类型", "户数", "人口", "楼栋数", "管理方式", "物业企业代码"]
    headers += ["具备成立业委会条件", "薄弱小区", "改造年份"]
    features = [
        {"type": "Feature", "properties": dict(zip(headers, row, strict=True)), "geometry": mapping(gcj(geom))}
        for row, geom in zip(compounds, [grids[1], inner], strict=True)
    ]
    (OUT / "compounds.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8"
    )

    def csv(name: str, rows: list[dict], encoding: str = "utf-8") -> None:
        pd.DataFrame(rows).to_csv(OUT / name, index=False, encoding=encoding)

    csv(
        "property-companies.csv",
        [
            {
                "统一社会信用代码": "91420102MA4KXA0001",
                "企业名称": "武汉江岸百步亭物业服务有限公司",
                "区代码": D,
                "党组织形式": "党支部",
                "交叉任职人数": 2,
                "是否国企": "否",
            }
        ],
        "utf-8-sig",
    )
    c1, g1, g2 = codes[0], gcode[0], gcode[1]
    mp = micro[0].representative_point()
    workers = pd.DataFrame(
        [
            ["JA-W-001", "张敏", "专职网格员", "是", c1, g1, "", None, None, 3200, "2023-03-01", "", "是"],
            [
                "JA-W-002",
                "李强",
                "兼职网格员",
                "否",
                "",
                "",
                "",
                round(mp.x, 6),
                round(mp.y, 6),
                800,
                "2024年5月6日",
                "",
                "",
            ],
            ["JA-W-003", "王芳", "网格长", "是", c1, g2, "", None, None, 3600, "2021/9/1", "2025-12-31", "否"],
        ],
        columns=["人员编号", "姓名", "岗位", "是否党员", "社区代码", "网格代码", "微网格代码", "经度", "纬度"]
        + ["月补贴(元)", "入职日期", "离职日期", "受表彰"],
    )
    workers.to_excel(OUT / "grid-workers.xlsx", index=False)
    csv(
        "volunteers.csv",
        [
            {"志愿者编号": "JA-V-001", "姓名": "陈红", "身份": "党员", "社区代码": c1, "注册日期": "2024-03-05"},
            {"志愿者编号": "JA-V-002", "姓名": "刘洋", "身份": "在职党员", "社区代码": c1, "注册日期": "2025-01-12"},
            {"志愿者编号": "JA-V-003", "姓名": "赵丽", "身份": "居民", "社区代码": codes[1], "注册日期": "2025-06-30"},
        ],
        "gbk",
    )
    csv(
        "activities.csv",
        [
            {
                "记录编号": "JA-A-0001",
                "志愿者编号": "JA-V-001",
                "服务日期": "2026-11-01",
                "服务类型": "助老",
                "服务时长(小时)": 2,
                "积分": 20,
            },
            {
                "记录编号": "JA-A-0002",
                "志愿者编号": "JA-V-001",
                "服务日期": "2026-11-08",
                "服务类型": "环境整治",
                "服务时长(小时)": 1.5,
                "积分": 15,
            },
            {
                "记录编号": "JA-A-0003",
                "志愿者编号": "JA-V-002",
                "服务日期": "2026-11-15",
                "服务类型": "法律服务",
                "服务时长(小时)": 3,
                "积分": 30,
            },
            {
                "记录编号": "JA-A-0004",
                "志愿者编号": "JA-V-003",
                "服务日期": "2026-11-20",
                "服务类型": "文明实践",
                "服务时长(小时)": 2.5,
                "积分": 25,
            },
        ],
    )
    csv(
        "owners-committees.csv",
        [
            {
                "小区编码": "JA-XQ-0001",
                "组织类型": "业委会",
                "成立日期": "2022-06-18",
                "委员人数": 7,
                "党员人数": 4,
                "主任是否党员": "是",
            }
        ],
    )
    csv(
        "property-fees.csv",
        [
            {
                "小区编码": "JA-XQ-0001",
                "年度": year,
                "应收物业费(元)": 3200 * 1800.0,
                "实收物业费(元)": paid,
                "物业企业代码": "91420102MA4KXA0001",
            }
            for year, paid in ((2024, 4_320_000.0), (2025, 4_953_600.0))
        ]
        + [
            {
                "小区编码": "JA-XQ-0002",
                "年度": 2025,
                "应收物业费(元)": 860 * 600.0,
                "实收物业费(元)": 361_200.0,
                "物业企业代码": "",
            }
        ],
    )
    csv(
        "housing-registry.csv",
        [
            {
                "小区编码": "JA-XQ-0001",
                "实有房屋(套)": 3350,
                "实有人口(人)": 9100,
                "已录入房屋(套)": 3350,
                "已录入人口(人)": 8720,
                "更新日期": "2026-11-30",
            },
            {
                "小区编码": "JA-XQ-0002",
                "实有房屋(套)": 900,
                "实有人口(人)": 2300,
                "已录入房屋(套)": 610,
                "已录入人口(人)": 1200,
                "更新日期": "2026-11-28",
            },
        ],
    )
    csv(
        "partner-units.csv",
        [
            {"单位名称": "江岸区税务局党委", "社区代码": "420102001001", "区代码": "", "结对日期": "2023-03-01"},
            {"单位名称": "武汉市第六医院党委", "社区代码": "", "区代码": "420102", "结对日期": "2022-09-15"},
        ],
    )
    csv(
        "projects.csv",
        [
            {
                "项目编号": "JA-J-001",
                "项目名称": "大智路老旧小区加装电梯",
                "项目类型": "结对共建",
                "共建单位": "江岸区税务局党委",
                "社区代码": "420102001001",
                "状态": "已完成",
                "启动日期": "2025-04-01",
                "完成日期": "2025-10-20",
            },
            {
                "项目编号": "JA-J-002",
                "项目名称": "百步亭口袋公园",
                "项目类型": "共同缔造",
                "共建单位": "",
                "社区代码": "420102001001",
                "状态": "实施中",
                "启动日期": "2026-06-01",
                "完成日期": "",
            },
        ],
    )
    csv(
        "service-items.csv",
        [
            {
                "事项名称": "社保卡申领",
                "事项类别": "社会保障",
                "社区代码": "420102001001",
                "办理阵地编码": "",
                "开办日期": "2024-01-01",
            },
            {
                "事项名称": "老年人助餐",
                "事项类别": "养老服务",
                "社区代码": "420102001001",
                "办理阵地编码": "",
                "开办日期": "2024-05-01",
            },
        ],
    )
    csv(
        "questions.csv",
        [
            {
                "问题编号": "JA-Q-001",
                "问题": "停车难",
                "征集方式": "入户走访",
                "社区代码": "420102001001",
                "办理状态": "已解决",
                "征集日期": "2026-09-02",
                "答复日期": "2026-09-20",
            },
            {
                "问题编号": "JA-Q-002",
                "问题": "加装电梯",
                "征集方式": "议事会",
                "社区代码": "420102001001",
                "办理状态": "待答复",
                "征集日期": "2026-11-28",
                "答复日期": "",
            },
        ],
    )
    csv(
        "party-orgs.csv",
        [
            {
                "组织编码": "JA-P-01",
                "组织名称": "大智街道党工委",
                "层级": "街道党工委",
                "街道代码": f"{D}001",
                "党员人数": 0,
            },
            {
                "组织编码": "JA-P-02",
                "组织名称": f"{names[0]}党委",
                "层级": "社区党委",
                "上级组织编码": "JA-P-01",
                "社区代码": c1,
                "书记来源": "社区工作者",
                "党员人数": 186,
                "成立日期": "2019-07-01",
            },
            {
                "组织编码": "JA-P-03",
                "组织名称": "百步亭花园小区党支部",
                "层级": "党支部",
                "支部类型": "小区",
                "上级组织编码": "JA-P-02",
                "网格代码": g2,
                "小区编码": "JA-XQ-0001",
                "书记来源": "退休干部",
                "党员人数": 43,
                "成立日期": "2021-03-15",
            },
        ],
        "gb18030",
    )


if __name__ == "__main__":
    main()
