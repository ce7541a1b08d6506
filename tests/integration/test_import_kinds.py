"""Importing every kind: boundaries (GeoJSON, Shapefile, GeoPackage), people, property, party organisations.

The example files of examples/ describe 江岸区 (420102). The default demo generates a 江岸区 of its own; the
tests remove it first (python -m data_access remove-district 420102), as a district adopting the product
would. Each boundary file nests in the one before, so loading them in order is how a district adopts the
product. Bad files name the row, column and problem and change no table.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import box, mapping, shape

from data_access.importing.kinds import KINDS, template
from data_access.importing.load import import_file
from data_access.meta import data_version
from data_access.settings import PROJECT_ROOT
from data_access.store import remove_district
from tests.conftest import writable_copy
from tests.integration.test_import import cli, counts

EX = PROJECT_ROOT / "examples"
# Load order: parents first. (kind, file, extra arguments)
EXAMPLES = [
    ("districts", "districts.geojson", []),
    ("streets", "streets.zip", []),
    ("communities", "communities.gpkg", []),
    ("grids", "grids.geojson", []),
    ("micro-grids", "micro-grids/micro-grids.shp", []),
    ("property-companies", "property-companies.csv", []),
    ("compounds", "compounds.geojson", ["--crs", "GCJ-02"]),
    ("owners-committees", "owners-committees.csv", []),
    ("property-fees", "property-fees.csv", []),
    ("housing-registry", "housing-registry.csv", []),
    ("partner-units", "partner-units.csv", []),
    ("projects", "projects.csv", []),
    ("party-orgs", "party-orgs.csv", []),
    ("grid-workers", "grid-workers.xlsx", []),
    ("volunteers", "volunteers.csv", []),
    ("activities", "activities.csv", []),
    ("stations", "stations.csv", []),
    ("service-items", "service-items.csv", []),
    ("questions", "questions.csv", []),
    ("categories", "categories.csv", []),
    ("issues", "issues.csv", []),
]


@pytest.fixture(scope="module")
def engine(engine):
    with writable_copy("cockpit_test_kinds") as copy:
        remove_district(copy, "420102")  # the demo's generated 江岸区 makes way for the example files' own
        yield copy


@pytest.fixture(scope="module")
def loaded(engine):
    """The store after every example file loaded once through the command line."""
    for kind, name, extra in EXAMPLES:
        out = cli(kind, str(EX / name), *extra)
        assert out.returncode == 0, (kind, out.stderr)
        assert out.stderr.strip().splitlines()[-1].startswith("loaded "), out.stderr
    return engine


def one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).one()


def test_every_kind_has_an_example_and_a_template_whose_headers_are_recognised(tmp_path):
    assert sorted(k for k, _, _ in EXAMPLES) == sorted(KINDS)
    for kind in KINDS:
        body, name, _ = template(kind)
        path = tmp_path / name
        path.write_bytes(body)
        if KINDS[kind].layer:
            props = json.loads(body)["features"][0]["properties"]
            assert list(props) == [c.zh for c in KINDS[kind].columns]
        else:
            header = body.decode("utf-8-sig").strip().split(",")
            assert header == [c.zh for c in KINDS[kind].columns]


def test_examples_load_in_order_and_derive_their_keys(loaded):
    engine = loaded
    d = one(engine, "SELECT name, city_code, area_km2 FROM district WHERE code = '420102'")
    assert d.name == "江岸区" and d.city_code == "420100" and 60 < d.area_km2 < 90  # 江岸区 is about 80 km²
    s = one(engine, "SELECT name, district_code FROM street WHERE code = '420102001'")
    assert s.name == "大智街道" and s.district_code == "420102"  # GBK attributes read through the .cpg
    c = one(engine, "SELECT street_code, centroid_lon, centroid_lat FROM community WHERE code = '420102001001'")
    assert c.street_code == "420102001" and 114.2 < c.centroid_lon < 114.4 and 30.5 < c.centroid_lat < 30.7
    m = one(engine, "SELECT households, community_code FROM micro_grid WHERE code = '42010200100100101'")
    assert m.households == 180 and m.community_code == "420102001001"
    same = one(engine, "SELECT grid_code, grid_relation, property_company_id FROM compound WHERE code = 'JA-XQ-0001'")
    assert same.grid_code == "420102001001002" and same.grid_relation == "same" and same.property_company_id
    inner = one(engine, "SELECT grid_code, grid_relation, renovated_year FROM compound WHERE code = 'JA-XQ-0002'")
    assert inner.grid_code == "420102001001001" and inner.grid_relation == "smaller" and inner.renovated_year == 2021
    oc = one(engine, "SELECT kind, street_code, party_members FROM owners_committee WHERE compound_code = 'JA-XQ-0001'")
    assert oc.kind == "owners_committee" and oc.street_code == "420102001" and oc.party_members == 4
    fee = one(
        engine,
        "SELECT f.company_id = c.id AS by_code, f.district_code, f.collected FROM property_fee f "
        "JOIN property_company c ON c.code = '91420102MA4KXA0001' WHERE f.compound_code = 'JA-XQ-0001' AND year = 2025",
    )
    assert fee == (True, "420102", 4_953_600)
    assert one(engine, "SELECT company_id FROM property_fee WHERE compound_code = 'JA-XQ-0002'").company_id is None
    reg = one(engine, "SELECT people_entered, community_code FROM housing_registry WHERE compound_code = 'JA-XQ-0002'")
    assert reg == (1200, "420102001001")
    project = one(
        engine,
        "SELECT u.name, u.community_code, j.status, j.finished_on FROM joint_project j "
        "JOIN partner_unit u ON u.id = j.partner_unit_id WHERE j.code = 'JA-J-001'",
    )
    assert project == ("江岸区税务局党委", "420102001001", "done", date(2025, 10, 20))
    hospital = one(
        engine, "SELECT community_code FROM partner_unit WHERE name = '武汉市第六医院党委' AND district_code = '420102'"
    )
    assert hospital.community_code is None  # a district's partner, no community
    item = one(
        engine,
        "SELECT category, district_code FROM service_item "
        "WHERE name = '老年人助餐' AND community_code = '420102001001'",
    )
    assert item == ("elderly", "420102")
    q = one(engine, "SELECT status, answered_on, street_code FROM resident_question WHERE code = 'JA-Q-002'")
    assert q == ("collected", None, "420102001")
    branch = one(
        engine,
        "SELECT b.branch_kind, b.community_code, p.code AS parent, pp.code AS grandparent FROM party_org b "
        "JOIN party_org p ON p.id = b.parent_id JOIN party_org pp ON pp.id = p.parent_id WHERE b.code = 'JA-P-03'",
    )
    assert branch == ("compound", "420102001001", "JA-P-02", "JA-P-01")
    w = one(
        engine, "SELECT community_code, grid_code, micro_grid_code, joined_on FROM grid_worker WHERE code = 'JA-W-002'"
    )
    assert w.community_code == "420102001001" and w.micro_grid_code == "42010200100100101"
    assert str(w.joined_on) == "2024-05-06"  # 2024年5月6日
    a = one(
        engine,
        "SELECT a.community_code, a.activity_type, a.hours FROM volunteer_activity a "
        "JOIN volunteer v ON v.id = a.volunteer_id WHERE a.code = 'JA-A-0003' AND v.code = 'JA-V-002'",
    )
    assert a.community_code == "420102001001" and a.activity_type == "legal" and float(a.hours) == 3.0
    with engine.connect() as conn:
        sources = dict(conn.execute(sa.text("SELECT layer, source_crs FROM layer_source WHERE source <> ''")).all())
    assert sources["community"] == "EPSG:4547" and sources["compound"] == "GCJ-02" and sources["grid"] == "WGS-84"


def test_loading_every_example_again_changes_nothing(loaded):
    before = counts(loaded)
    for kind, name, extra in EXAMPLES:
        out = cli(kind, str(EX / name), *extra)
        assert out.returncode == 0 and "(0 new," in out.stderr, (kind, out.stderr)
    after = counts(loaded)
    assert {k: v for k, v in after.items() if k != "layer_source"} == {
        k: v for k, v in before.items() if k != "layer_source"
    }


def test_a_load_bumps_the_data_version_and_a_rejection_does_not(loaded, tmp_path):
    v0 = data_version(loaded)
    assert import_file(loaded, "volunteers", EX / "volunteers.csv").loaded
    assert data_version(loaded) == v0 + 1
    bad = tmp_path / "v.csv"
    bad.write_text("志愿者编号,姓名,身份,社区代码,注册日期\nX,某,外星人,420102001001,2025-01-01\n", "utf-8")
    assert not import_file(loaded, "volunteers", bad).loaded
    assert not import_file(loaded, "volunteers", EX / "volunteers.csv", dry_run=True).loaded
    assert data_version(loaded) == v0 + 1


# Boundary files built on the fly around the example district (loaded above).
def _layer(tmp_path, name: str, rows: list[dict], geoms: list, crs="EPSG:4326", driver=None, encoding=None):
    path = tmp_path / name
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)
    kwargs = {"encoding": encoding} if encoding else {}
    gdf.to_file(path, driver=driver, engine="pyogrio", **kwargs)
    return path


def _geojson(tmp_path, rows: list[dict], geoms: list, name="g.geojson", crs_member=None):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": r, "geometry": g if isinstance(g, dict) or g is None else mapping(g)}
            for r, g in zip(rows, geoms, strict=True)
        ],
    }
    if crs_member:
        fc["crs"] = {"type": "name", "properties": {"name": crs_member}}
    path = tmp_path / name
    path.write_text(json.dumps(fc, ensure_ascii=False), "utf-8")
    return path


def _community(engine):
    with engine.connect() as conn:
        wkb = conn.execute(sa.text("SELECT geom FROM community WHERE code = '420102001001'")).scalar()
    return shapely.from_wkb(bytes(wkb))


def _spot(base, slot: int, size=0.004):
    """The centre of the ``slot``-th of the boxes laid out over ``base`` clear of the example grids: test
    grids do not overlap the stored ones, nor each other (an overlap is reported)."""
    examples = json.loads((EX / "grids.geojson").read_text("utf-8"))["features"]
    free = base.difference(shapely.union_all([shape(f["geometry"]) for f in examples]).buffer(0.001))
    minx, miny, maxx, maxy = base.bounds
    xs, ys = np.arange(minx, maxx - size, 1.5 * size), np.arange(miny, maxy - size, 1.5 * size)
    cells = [box(x, y, x + size, y + size) for x in xs for y in ys]
    return [c for c in cells if free.contains(c)][slot].centroid


def _grid_in(geom, size=0.004, slot=0):
    p = _spot(geom, slot, size)
    return box(p.x - size / 2, p.y - size / 2, p.x + size / 2, p.y + size / 2).intersection(geom)


def test_a_shapefile_with_gbk_attributes_and_no_cpg_is_detected(loaded, tmp_path):
    path = _layer(
        tmp_path,
        "s.shp",
        [{"网格代码": "420102001001009", "名称": "检测网格"}],
        [_grid_in(_community(loaded), slot=9)],
        encoding="GBK",
    )
    (tmp_path / "s.cpg").unlink()
    report = import_file(loaded, "grids", path)
    assert report.loaded, [p.line() for p in report.problems]
    assert report.encoding == "gbk" and any("no .cpg" in n.line() for n in report.notes)
    assert one(loaded, "SELECT name FROM grid WHERE code = '420102001001009'").name == "检测网格"


def test_a_cpg_that_contradicts_the_bytes_is_reported(loaded, tmp_path):
    path = _layer(
        tmp_path,
        "s.shp",
        [{"网格代码": "420102001001008", "名称": "编码网格"}],
        [_grid_in(_community(loaded), slot=8)],
        encoding="GBK",
    )
    (tmp_path / "s.cpg").write_text("UTF-8")
    before = counts(loaded)
    out = cli("grids", str(path))
    assert out.returncode == 1
    assert "s.cpg says UTF-8 but the attributes are not" in out.stderr and "gbk" in out.stderr
    assert counts(loaded) == before


def test_crs_from_a_geojson_crs_member_and_from_a_prj(loaded, tmp_path):
    grid = _grid_in(_community(loaded), slot=7)
    gk = gpd.GeoSeries([grid], crs="EPSG:4326").to_crs("EPSG:4547").iloc[0]
    path = _geojson(
        tmp_path, [{"网格代码": "420102001001007", "名称": "投影网格"}], [gk], crs_member="urn:ogc:def:crs:EPSG::4547"
    )
    report = import_file(loaded, "grids", path)
    assert report.loaded and report.crs == "EPSG:4547", [p.line() for p in report.problems]
    grid6 = _grid_in(_community(loaded), slot=6)
    shp = _layer(tmp_path, "p.shp", [{"code": "420102001001006", "name": "UTM"}], [grid6], encoding="UTF-8")
    shp_utm = _layer(
        tmp_path,
        "u.shp",
        [{"code": "420102001001006", "name": "UTM"}],
        gpd.GeoSeries([grid6], crs="EPSG:4326").to_crs("EPSG:32650").to_list(),
        crs="EPSG:32650",
        encoding="UTF-8",
    )
    assert import_file(loaded, "grids", shp).crs == "WGS-84"
    report = import_file(loaded, "grids", shp_utm)
    assert report.crs == "EPSG:32650" and report.loaded
    with loaded.connect() as conn:
        centre = conn.execute(
            sa.text("SELECT centroid_lon, centroid_lat FROM grid WHERE code = '420102001001006'")
        ).one()
    assert abs(centre[0] - grid6.centroid.x) < 1e-6 and abs(centre[1] - grid6.centroid.y) < 1e-6


def test_a_flag_overrides_the_declared_crs_with_a_note(loaded, tmp_path):

    from geo.crs import wgs84_to_gcj02

    grid = _grid_in(_community(loaded), slot=5)
    gcj = shapely.transform(grid, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    shp = _layer(tmp_path, "g.shp", [{"code": "420102001001005", "name": "高德网格"}], [gcj], encoding="UTF-8")
    report = import_file(loaded, "grids", shp, crs="GCJ-02")
    assert report.loaded and any("declares WGS-84; using GCJ-02" in n.line() for n in report.notes)
    with loaded.connect() as conn:
        lon = conn.execute(sa.text("SELECT centroid_lon FROM grid WHERE code = '420102001001005'")).scalar()
    assert abs(lon - grid.centroid.x) < 1e-6


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def _shifted(geom_json, base, slot=3):
    """A GeoJSON polygon in unit coordinates moved to a small box inside ``base``."""
    p = _spot(base, slot)
    ring = [[p.x + x * 0.002, p.y + y * 0.002] for x, y in geom_json["coordinates"][0]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_a_self_crossing_ring_is_repaired_and_noted(loaded, tmp_path):
    path = _geojson(
        tmp_path, [{"网格代码": "420102001001004", "名称": "领结"}], [_shifted(BOWTIE, _community(loaded), slot=4)]
    )
    report = import_file(loaded, "grids", path)
    assert report.loaded, [p.line() for p in report.problems]
    assert any("repaired (Self-intersection" in n.line() for n in report.notes)
    assert one(loaded, "SELECT area_km2 FROM grid WHERE code = '420102001001004'").area_km2 > 0


def _bad_layer_cases(engine):
    base = _community(engine)
    spike = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [1, 40], [1, 1], [0, 1], [0, 0]]]}
    flat = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}
    outside = shapely.affinity.translate(_grid_in(base, slot=3), 0.3, 0)
    far = box(2.3, 48.8, 2.4, 48.9)
    swapped = shapely.transform(_grid_in(base, slot=3), lambda xy: xy[:, ::-1])
    g = {"网格代码": "420102001001003", "名称": "坏网格"}
    return {
        "spike": ([g], [_shifted(spike, base)], "cannot be repaired safely"),
        "zero area": ([g], [_shifted(flat, base)], "cannot be repaired safely"),
        "no geometry": ([g], [None], "no geometry"),
        "a point": ([g], [base.representative_point()], "not a polygon (Point)"),
        "outside its parent": ([g], [outside], "of the area lies outside community 420102001001"),
        "outside China": ([g], [far], "outside China"),
        "swapped": ([g], [swapped], "longitude and latitude look swapped"),
        "unknown parent": (
            [{"网格代码": "420102009009001", "名称": "无主"}],
            [_grid_in(base, slot=3)],
            "unknown community code",
        ),
        "markup": ([{**g, "名称": "<img src=x onerror=alert(1)>"}], [_grid_in(base, slot=3)], "contains markup"),
        "duplicate": ([g, g], [_grid_in(base, slot=3), _grid_in(base, slot=3)], "duplicate key; first on row 2"),
        "bad code": ([{**g, "网格代码": "4201"}], [_grid_in(base, slot=3)], "not a 15-digit code"),
        "missing column": ([{"名称": "无代码"}], [_grid_in(base, slot=3)], "missing required column 网格代码"),
    }


@pytest.mark.parametrize(
    "case",
    ["spike", "zero area", "no geometry", "a point", "outside its parent", "outside China", "swapped"]
    + ["unknown parent", "markup", "duplicate", "bad code", "missing column"],
)
def test_bad_boundary_files_are_rejected_and_change_nothing(loaded, tmp_path, case):
    rows, geoms, reason = _bad_layer_cases(loaded)[case]
    path = _geojson(tmp_path, rows, geoms)
    before = counts(loaded)
    out = cli("grids", str(path))
    assert out.returncode == 1, out.stderr
    lines = out.stderr.strip().splitlines()
    assert any(line.startswith("row ") and reason in line for line in lines[:-1]), lines
    assert lines[-1].startswith("rejected g.geojson")
    assert counts(loaded) == before


def test_unreadable_boundary_files_exit_1_with_one_line(loaded, tmp_path):
    broken = tmp_path / "b.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', "utf-8")
    out = cli("grids", str(broken))
    assert out.returncode == 1 and "not valid JSON" in out.stderr
    wrong = tmp_path / "w.csv"
    wrong.write_text("a,b\n1,2\n", "utf-8")
    assert cli("grids", str(wrong)).returncode == 1
    odd_crs = _geojson(
        tmp_path, [{"网格代码": "420102001001003", "名称": "x"}], [box(0, 0, 1, 1)], crs_member="EPSG:4214"
    )
    out = cli("grids", str(odd_crs))
    assert out.returncode == 1 and "unsupported CRS" in out.stderr


TABLE_CASES = {
    "owners-committees": (
        "小区编码,组织类型,成立日期,委员人数,党员人数,主任是否党员\nJA-XQ-0002,业委会,2023-01-01,5,7,是\n",
        "more party members than members",
    ),
    "party-orgs": (
        "组织编码,组织名称,层级,社区代码,党员人数\nBAD-1,缺类型支部,党支部,420102001001,3\n",
        "支部类型 is required for a 党支部",
    ),
    "activities": (
        "记录编号,志愿者编号,服务日期,服务类型,服务时长(小时)\nBAD-A,NOBODY,2026-11-01,助老,2\n",
        "unknown volunteer code",
    ),
    "grid-workers": (
        "人员编号,姓名,岗位,是否党员,社区代码,入职日期,离职日期\nBAD-W,某,网格长,是,420102001001,2025-05-01,2024-01-01\n",
        "earlier than 入职日期",
    ),
    "volunteers": (
        "志愿者编号,姓名,身份,队伍编码,社区代码,注册日期\nBAD-V,某,居民,NO-TEAM,420102001001,2025-01-01\n",
        "unknown volunteer team code",
    ),
    "property-fees": (
        "小区编码,年度,应收物业费(元),实收物业费(元)\nJA-XQ-0001,2026,1000,1200\nJA-XQ-0404,2026,10,5\n",
        "more collected than billed (1000",
    ),
    "housing-registry": (
        "小区编码,实有房屋(套),实有人口(人),已录入房屋(套),已录入人口(人),更新日期\nJA-XQ-0001,10,30,11,30,2026-11-30\n",
        "more entered than known (10)",
    ),
    "partner-units": ("单位名称,区代码\n某单位,420199\n", "unknown district code"),
    "projects": (
        "项目编号,项目名称,项目类型,共建单位,社区代码,状态,启动日期\n"
        "BAD-J,某项目,结对共建,没有这个单位,420102001001,实施中,2026-01-01\n",
        "no partner unit of this name in the district",
    ),
    "service-items": (
        "事项名称,事项类别,社区代码,办理阵地编码,开办日期\n某事项,其他,420102001001,NO-STATION,2026-01-01\n",
        "unknown station code",
    ),
    "questions": (
        "问题编号,问题,征集方式,社区代码,办理状态,征集日期\nBAD-Q,停车难,线上,420102001001,已解决,2026-11-01\n",
        "答复日期 is given exactly when the question is answered or resolved",
    ),
    "property-companies": (
        "统一社会信用代码,企业名称,区代码\n91420199MA0000000X,某物业,420199\n",
        "unknown district code",
    ),
}


@pytest.mark.parametrize("kind", list(TABLE_CASES))
def test_bad_table_rows_are_rejected_and_change_nothing(loaded, tmp_path, kind):
    text, reason = TABLE_CASES[kind]
    path = tmp_path / "t.csv"
    path.write_text(text, "utf-8")
    before = counts(loaded)
    out = cli(kind, str(path))
    assert out.returncode == 1 and reason in out.stderr, out.stderr
    assert counts(loaded) == before


def test_problems_read_in_chinese_for_the_page(loaded, tmp_path):
    from data_access.importing.validate import problem_frame

    path = tmp_path / "t.csv"
    path.write_text(TABLE_CASES["owners-committees"][0], "utf-8")
    report = import_file(loaded, "owners-committees", path)
    zh = problem_frame(report.problems, "zh")
    assert zh.loc[0, "reason"] == "党员人数多于委员人数（5）" and zh.loc[0, "row"] == 2


def test_an_import_killed_halfway_leaves_the_store_unchanged(loaded, tmp_path):
    """A real process, killed with SIGKILL while its transaction is writing."""
    rows = pd.read_csv(EX / "issues.csv", dtype=str, keep_default_na=False)
    big = pd.concat([rows.iloc[[0]]] * 150_000, ignore_index=True)
    big["工单编号"] = [f"KILL-{i:07d}" for i in range(len(big))]
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)
    before = counts(loaded)
    proc = subprocess.Popen(
        [sys.executable, "-m", "data_access", "import", "issues", str(path)],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    writing = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND query ILIKE '%_stage%' AND pid <> pg_backend_pid()"
    )
    seen = False
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            with loaded.connect() as conn:
                if conn.execute(sa.text(writing)).scalar():
                    seen = True
                    break
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert seen, "the import never reached its write phase"
    time.sleep(1)  # the server notices the closed connection and rolls back
    assert counts(loaded) == before
    with loaded.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM issue WHERE code LIKE 'KILL-%'")).scalar() == 0


def test_docs_describe_every_column_of_every_kind():
    text = (PROJECT_ROOT / "docs" / "import.md").read_text("utf-8")
    for kind in KINDS.values():
        section = text.split(f"### {kind.name}\n")[1].split("\n### ")[0]
        for col in kind.columns:
            assert f"| {col.zh} | {col.name}" in section, (kind.name, col.zh)


def test_summaries_after_every_kind_loaded_equal_a_full_rebuild(loaded):
    """Activities and issues of a new district reach the summary tables, touched pairs only."""
    from data_access import summary
    from tests.integration.test_summary import _tables

    incremental = _tables(loaded)
    assert (incremental["activity_summary"]["district_code"] == "420102").any()
    assert (incremental["volunteer_days"]["district_code"] == "420102").any()
    with loaded.begin() as conn:
        summary.refresh(conn)
    rebuilt = _tables(loaded)
    for table in summary.TABLES:
        pd.testing.assert_frame_equal(incremental[table], rebuilt[table], check_dtype=False)


def test_a_re_division_keeps_the_old_micro_grid_and_refuses_two_current_layouts(loaded, tmp_path):
    """停用日期 ends a micro-grid and 启用日期 starts the one drawn over it: no overlap between layouts of different
    times; a unit without dates over a current one is refused; dates in the wrong order are refused."""
    old = one(loaded, "SELECT code, name, households, geom FROM micro_grid WHERE code = '42010200100100101'")
    shape_ = mapping(shapely.from_wkb(bytes(old.geom)))
    ended = {"微网格代码": old.code, "名称": old.name, "户数": old.households, "停用日期": "2026-06-30"}
    new = {"微网格代码": "42010200100100199", "名称": "重新划分的微网格", "户数": 180, "启用日期": "2026-06-30"}
    report = import_file(loaded, "micro-grids", _geojson(tmp_path, [ended, new], [shape_, shape_]))
    assert report.loaded, [p.line() for p in report.problems]
    rows = {r.code: (r.valid_from, r.valid_to) for r in _all(loaded, "micro_grid WHERE code LIKE '420102001001001%'")}
    assert rows[old.code] == (None, date(2026, 6, 30)) and rows[new["微网格代码"]] == (date(2026, 6, 30), None)
    # The old unit again without the date columns (its households corrected): it stays ended, and no clash.
    report = import_file(
        loaded,
        "micro-grids",
        _geojson(tmp_path, [{"微网格代码": old.code, "名称": old.name, "户数": 181}], [shape_], name="update.geojson"),
    )
    assert report.loaded, [p.line() for p in report.problems]
    assert one(loaded, f"SELECT valid_to, households FROM micro_grid WHERE code = '{old.code}'") == (
        date(2026, 6, 30),
        181,
    )
    again = {"微网格代码": "42010200100100198", "名称": "又一个", "户数": 1}
    report = import_file(loaded, "micro-grids", _geojson(tmp_path, [again], [shape_], name="again.geojson"))
    lines = [p.line() for p in report.problems]
    assert not report.loaded and any("overlaps micro-grid 42010200100100199" in line for line in lines), lines
    # Issues with a point there: placed on the micro-grid of their day, the old one before the re-division.
    p = shapely.point_on_surface(shapely.from_wkb(bytes(old.geom)))
    path = tmp_path / "issues.csv"
    path.write_text(
        "工单编号,事件分类代码,社区代码,经度,纬度,上报时间\n"
        f"JA-EARLY,010101,420102001001,{p.x},{p.y},2026-05-01 09:00\n"
        f"JA-LATE,010101,420102001001,{p.x},{p.y},2026-11-01 09:00\n",
        "utf-8",
    )
    out = cli("issues", str(path))
    assert out.returncode == 0, out.stderr
    placed = dict(_codes(loaded, "SELECT code, micro_grid_code FROM issue WHERE code LIKE 'JA-%'"))
    assert placed == {"JA-EARLY": old.code, "JA-LATE": new["微网格代码"]}
    backwards = {**again, "启用日期": "2026-07-01", "停用日期": "2026-01-01"}
    out = cli("micro-grids", str(_geojson(tmp_path, [backwards], [shape_], name="backwards.geojson")))
    assert out.returncode == 1 and "停用日期 must be after 启用日期" in out.stderr, out.stderr


def _codes(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


def _all(engine, table_where: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT code, valid_from, valid_to FROM {table_where}")).all()


def test_community_residents_and_community_workers_load_and_a_file_without_residents_keeps_them(loaded, tmp_path):
    """常住人口 on a communities file and 社区工作者 on a grid-workers file: what 社区工作者配备 divides."""
    engine = loaded
    communities = gpd.read_file(EX / "communities.gpkg").to_crs(4326)
    communities["常住人口"] = [8200 + i for i in range(len(communities))]
    with_people = tmp_path / "communities.geojson"
    communities.to_file(with_people, driver="GeoJSON")
    assert cli("communities", str(with_people)).returncode == 0
    code = communities.iloc[0]["社区代码"]
    assert one(engine, "SELECT residents FROM community WHERE code = :c", c=code).residents == 8200
    assert cli("communities", str(EX / "communities.gpkg")).returncode == 0  # no 常住人口 column: kept
    assert one(engine, "SELECT residents FROM community WHERE code = :c", c=code).residents == 8200
    workers = tmp_path / "workers.csv"
    workers.write_text(
        f"人员编号,姓名,岗位,是否党员,社区代码,入职日期\nJA-SG-01,何敏,社区工作者,是,{code},2020-03-01\n", "utf-8"
    )
    out = cli("grid-workers", str(workers))
    assert out.returncode == 0, out.stderr
    w = one(engine, "SELECT role, community_code, grid_code FROM grid_worker WHERE code = 'JA-SG-01'")
    assert (w.role, w.community_code, w.grid_code) == ("community_worker", code, None)
