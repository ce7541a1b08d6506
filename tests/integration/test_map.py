"""The map: geometry helpers on tiny fixtures, and the deck spec of the map page per scope level."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from data_access import clock, periods
from data_access.reads import maps, stations
from data_access.settings import PROJECT_ROOT
from geo import crs, mapping
from geo.coverage import greedy_sites
from tests.apptest import app_test


def test_classes_are_closed_counted_and_natural():
    cls, classes = mapping.classify([1, 2, 3, 4, 5, np.nan, 10, 20, 30, 40], k=5)
    assert cls[5] == -1
    assert classes[0][0] == 1 and classes[-1][1] == 40  # closed at both ends: no "– 40.0", no "141.3 – 1000"
    assert sum(n for *_, n in classes) == 9 and list(np.bincount(cls[cls >= 0])) == [n for *_, n in classes]
    assert all(lo <= hi for lo, hi, _ in classes) and (np.diff(cls[[0, 1, 2, 3, 4, 6, 7, 8, 9]]) >= 0).all()
    assert cls[0] == 0 and cls[9] == len(classes) - 1
    _, few = mapping.classify([3, 3, 7, 7, 7], k=5)
    assert few == [(3.0, 3.0, 2), (7.0, 7.0, 3)]  # one class per distinct value, not five empty ones
    _, gap = mapping.classify([1, 2, 3, 10, 11, 12, 30, 31, 60, 61, 90], k=5)
    assert all(hi < lo for (_, hi, _), (lo, _, _) in zip(gap, gap[1:]))  # each range is its own values: no overlap
    assert mapping.ramp(1) == [mapping.RAMP[2]]  # one class is not "the worst"
    assert mapping.classify([np.nan], k=5)[1] == []
    assert mapping.ramp(5)[-1] == mapping.RAMP[-1] and mapping.ramp(5, higher_is_worse=False)[0] == mapping.RAMP[-1]
    with pytest.raises(ValueError):
        mapping.classify([1, 2], k=0)


def test_simplify_reduces_vertices_and_rounds():
    # EPSG:4326: a circle of 0.01° radius with 2,000 vertices
    circle = shapely.Point(114.3, 30.6).buffer(0.01, quad_segs=500)
    out = mapping.simplify([circle], "district")[0]
    assert shapely.get_num_coordinates(out) < 100
    assert not out.is_empty and abs(out.area - circle.area) / circle.area < 0.05  # 40 m tolerance on a 1 km circle
    xy = shapely.get_coordinates(out)
    assert np.allclose(xy, np.round(xy, 4))


def test_tooltips_are_plain_text():
    text = mapping.tooltip_text("<img src=x onerror=alert(1)>", "430602", "处置率%: 93.4")
    assert text == "<img src=x onerror=alert(1)>\n430602\n处置率%: 93.4"
    d = mapping.deck([], mapping.view_of((113, 29, 113.2, 29.4)))
    assert "text" in d._tooltip and "html" not in d._tooltip  # deck.gl renders it as text, never HTML


def test_greedy_sites_cover_the_most_uncovered_households():
    # EPSG:4326 points along a parallel near 30°N; 0.01° of longitude ≈ 963 m
    demand_lon = np.array([114.00, 114.001, 114.05, 114.051, 114.10])
    demand_lat = np.full(5, 30.0)
    weights = np.array([100, 100, 300, 10, 50])
    covered = np.array([False, False, False, False, True])
    picks = greedy_sites(demand_lon, demand_lat, demand_lon, demand_lat, weights, covered, 500, k=3)
    assert picks[0] == (2, 310.0)  # the 300 + 10 pair first
    assert picks[1] == (0, 200.0)
    assert len(picks) == 2  # nothing left to gain after two
    with pytest.raises(ValueError):
        greedy_sites([], [], [], [], [], [], 500, k=-1)


def test_gauss_kruger_and_cgcs2000():
    # EPSG:4547, CGCS2000 3-degree Gauss-Krüger CM 114E: x = 500,000 m is the central meridian;
    # 3,320,113 m north is latitude 30° (meridian arc of GRS80).
    p = crs.to_wgs84(shapely.Point(500_000, 3_320_113.4), "EPSG:4547")
    assert p.x == pytest.approx(114.0, abs=1e-9)
    assert p.y == pytest.approx(30.0, abs=1e-5)
    assert crs.normalise_crs("cgcs2000") == "WGS-84"
    assert crs.to_wgs84(shapely.Point(114, 30), "EPSG:4490").equals(shapely.Point(114, 30))
    with pytest.raises(ValueError, match="unsupported CRS"):
        crs.normalise_crs("EPSG:3857")


APP = str(PROJECT_ROOT / "streamlit_app.py")


def _deck(scope: str | None) -> tuple[AppTest, dict]:
    at = app_test()
    if scope:
        at.query_params["scope"] = scope
    at.switch_page("app_pages/map.py")
    at.run()
    charts = at.get("deck_gl_json_chart")
    return at, json.loads(charts[0].proto.json) if charts else {}


def _layer(spec: dict, layer_id: str) -> dict:
    return next(layer for layer in spec["layers"] if layer["id"] == layer_id)


@pytest.mark.parametrize(
    ("scope", "outline", "fill", "table"),
    [
        (None, "district", "street", "street"),
        ("420100", "district", "street", "street"),
        ("430602", "district", "community", "community"),
        ("430602001", "street", "grid", "grid"),
        ("430602001001", "community", "micro_grid", "micro_grid"),
    ],
)
def test_map_page_draws_the_level_that_fits_the_scope(engine, scope, outline, fill, table):
    import sqlalchemy as sa

    at, spec = _deck(scope)
    assert not at.exception and not at.error
    units = _layer(spec, "units")["data"]["features"]
    codes = {f["properties"]["code"] for f in units}
    lengths = {"district": 6, "street": 9, "community": 12, "grid": 15, "micro_grid": 17}
    assert all(len(c) >= lengths[fill] for c in codes)
    if scope:
        col = "code" if table == "district" else "district_code"
        where = (
            f"{col} IN (SELECT code FROM district WHERE city_code = :s)"
            if len(scope) == 6 and scope.endswith("00")
            else "code LIKE :s || '%'"
        )
    else:
        where = "TRUE"
    with engine.connect() as conn:
        expected = {r[0] for r in conn.execute(sa.text(f"SELECT code FROM {table} WHERE {where}"), {"s": scope})}
    assert codes == expected
    outlines = _layer(spec, "outlines")["data"]["features"]
    assert all(len(f["properties"]["code"]) == lengths[outline] for f in outlines)
    stations = _layer(spec, "stations")["data"]
    assert len(stations) > 0 and all(s["tooltip"] for s in stations)
    assert len(json.dumps(spec)) < 3_000_000
    if fill == "micro_grid":
        assert len(_layer(spec, "compounds")["data"]["features"]) > 0


def test_choropleth_values_match_sql(engine):
    import sqlalchemy as sa

    at, spec = _deck("430602001")
    values = {f["properties"]["code"]: f["properties"]["value"] for f in _layer(spec, "units")["data"]["features"]}
    period = periods.period_of(periods.DEFAULT_RANGE, clock.today())  # the map's period: the pages' default
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("""
            SELECT h.grid_code, 1000.0 * (SELECT count(*) FROM issue i WHERE i.grid_code = h.grid_code
                     AND i.reported_at >= :a AND i.reported_at < :b) / h.hh
            FROM (SELECT grid_code, sum(households) AS hh FROM micro_grid WHERE street_code = '430602001'
                  GROUP BY 1) h"""),
            {"a": period.start, "b": period.end},
        ).all()
    assert len(rows) == len(values) > 0
    for code, per_1000 in rows:
        assert values[code] == pytest.approx(float(per_1000), abs=0.01)


def test_micro_grid_outlines_are_never_sent_for_a_whole_district(engine):
    _, spec = _deck("430602")
    for layer in spec["layers"]:
        data = layer.get("data")
        if isinstance(data, dict):
            assert all(len(f["properties"]["code"]) <= 12 for f in data["features"])


def test_payload_builds_from_a_frame():
    df = pd.DataFrame(
        {
            "code": ["1", "2"],
            "name": ["甲", "<b>乙</b>"],
            "fill": [mapping.RAMP[0], mapping.NO_DATA],
            "tooltip": [mapping.tooltip_text("甲", "1"), mapping.tooltip_text("<b>乙</b>", "2")],
            "geom": [shapely.to_wkb(shapely.box(0, 0, 1, 1)), shapely.to_wkb(shapely.box(1, 0, 2, 1))],
        }
    )
    feats = mapping.choropleth_layer(df, "street").data["features"]
    assert feats[1]["properties"]["fill"] == mapping.NO_DATA
    assert feats[1]["properties"]["tooltip"] == "<b>乙</b>\n2"
    labels = mapping.label_points(df, "street", zoom=8)
    assert list(labels["text"]) == ["甲", "<b>乙</b>"] and labels["lon"].between(0, 2).all()
    assert mapping.label_points(df, "street", zoom=2).empty  # too small to read at that zoom: left out
    layer = mapping.label_layer(labels)
    assert layer.size_units == "meters" and "乙" in layer.character_set  # strings, not accessor expressions


def test_spatial_metrics_on_the_demo(engine):
    from data_access.scope import Scope

    stats = maps.micro_grid_stats(engine, Scope("district", "510903")).iloc[0]
    assert stats["micro_grids"] == 1072 and stats["mean_area_km2"] == pytest.approx(0.37, abs=0.005)
    assert stats["workers_per_micro_grid"] == pytest.approx(1.0)
    overlay = maps.overlay_counts(engine, Scope("district", "430602")).iloc[0]
    assert overlay["same"] >= 247 and overlay["same"] + overlay["larger"] + overlay["smaller"] == 977
    plan = stations.station_plan(engine, Scope("district", "430602"), k=5)
    cov = stations.station_coverage(engine, Scope("district", "430602")).set_index("minutes").loc[15]
    assert 1 <= len(plan) <= 5
    assert list(plan["households_gained"]) == sorted(plan["households_gained"], reverse=True)
    assert plan["coverage_after"].iloc[0] > cov["coverage"]
    assert (plan["coverage_after"].diff().dropna() > 0).all()
    reach = stations.worker_reach(engine, Scope("district", "430602")).iloc[0]
    assert reach["radius_m"] == round(5 * 80 / 1.3) and 0 < reach["coverage"] <= 100


def test_basemap_style_and_gcj02_shift():
    from geo.crs import wgs84_to_gcj02

    df = pd.DataFrame({"lon": [113.1], "lat": [29.3], "tooltip": ["站\n小区党群服务驿站"]})
    feats = pd.DataFrame({"code": ["1"], "name": ["甲"], "geom": [shapely.to_wkb(shapely.box(113, 29, 113.01, 29.01))]})
    layers = [mapping.outline_layer(feats, "street", "outlines"), *mapping.station_layers(df, 923)]
    view = mapping.view_of((113, 29, 113.2, 29.4))
    plain = json.loads(mapping.deck(layers, view).to_json())
    assert plain.get("mapStyle") in (None, "__MAP_STYLE__")  # nothing to fetch
    gcj = json.loads(
        mapping.deck(
            [mapping.outline_layer(feats, "street", "outlines"), *mapping.station_layers(df, 923)],
            view,
            {"url": "http://tiles.local/{z}/{x}/{y}.png", "crs": "GCJ-02", "attribution": "内网底图"},
        ).to_json()
    )
    assert gcj["mapStyle"].startswith("data:application/json;base64,")
    glon, glat = wgs84_to_gcj02(113.1, 29.3)
    station = gcj["layers"][2]["data"][0]
    assert station["lon"] == pytest.approx(float(glon), abs=1e-5) and station["lat"] == pytest.approx(float(glat), 1e-5)
    ring = gcj["layers"][0]["data"]["features"][0]["geometry"]["coordinates"][0]
    assert min(p[0] for p in ring) == pytest.approx(float(wgs84_to_gcj02(113.0, 29.0)[0]), abs=2e-5)
    with pytest.raises(ValueError, match="must contain"):
        mapping.basemap_style("http://tiles.local/tile.png")


def test_uncovered_compounds_match_the_coverage_count(engine):
    from data_access.scope import Scope

    scope = Scope("district", "430602")
    cov = stations.station_coverage(engine, scope).set_index("minutes").loc[15]
    unc = stations.uncovered_compounds(engine, scope)
    assert len(unc) == cov["uncovered_compounds"]
    assert unc["households"].sum() == cov["households"] - cov["covered"]


def _chips(at) -> str:
    return " ".join(m.value for m in at.markdown if "图例" in m.value or "个）" in m.value)


@pytest.mark.parametrize(("scope", "beside"), [("430602", None), ("430602001", "siblings")])
def test_map_is_readable_names_boundaries_and_a_legend_for_every_layer(engine, scope, beside):
    """Issue 15: names at the units, the level between drawn thinner than the scope's own boundary, neighbours
    around it, station reach as rings (no fill over the choropleth), station kinds in words, and a legend whose
    closed classes count every unit and that keys each layer drawn."""
    at, spec = _deck(scope)
    assert not at.exception
    ids = [layer["id"] for layer in spec["layers"]]
    labels = _layer(spec, "labels")
    assert labels["data"] and all(set(d["text"]) <= set(labels["characterSet"]) for d in labels["data"])
    assert _layer(spec, "inner")["lineWidthMinPixels"] < _layer(spec, "outlines")["lineWidthMinPixels"]
    if beside:
        assert scope not in {f["properties"]["code"] for f in _layer(spec, beside)["data"]["features"]}
        assert ids.index(beside) < ids.index("units")  # drawn under the scope
    reach = _layer(spec, "station_reach")
    assert reach["filled"] is False and reach["stroked"] is True
    tips = [s["tooltip"] for s in _layer(spec, "stations")["data"]]
    assert not [t for t in tips if re.search(r"[a-z]+_[a-z]+", t)], "station kinds must be in words"
    legend = _chips(at)
    units = _layer(spec, "units")["data"]["features"]
    counts = [int(n.replace(",", "")) for n in re.findall(r"（([\d,]+)个）", legend)]
    assert sum(counts) == len(units), legend
    for key in ("服务阵地", "15分钟步行范围", "区县边界" if len(scope) == 6 else "本街道边界"):
        assert key in legend


def test_rates_on_few_cases_are_grey_and_dark_is_worse(engine):
    """On-time rates of grids with fewer than 20 due cases are greyed with their count, never coloured; of the
    others the lowest rate has the darkest colour (dark is the worse end whatever the direction). (Not the
    closure rate: on some days every grid closes nearly all its due cases, and one class holds them all.)"""
    at = app_test()
    at.query_params["scope"] = "430602001"
    at.switch_page("app_pages/map.py")
    at.run()
    at.selectbox[[s.label for s in at.selectbox].index("专题指标")].select("on_time_rate").run()
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    feats = _layer(spec, "units")["data"]["features"]
    grey = [f for f in feats if f["properties"]["fill"] == mapping.SMALL_SAMPLE]
    assert grey and all("样本仅" in f["properties"]["tooltip"] for f in grey)
    coloured = [f for f in feats if f["properties"]["fill"] in mapping.RAMP]
    worst = min(coloured, key=lambda f: f["properties"]["value"])
    best = max(coloured, key=lambda f: f["properties"]["value"])
    assert mapping.RAMP.index(worst["properties"]["fill"]) > mapping.RAMP.index(best["properties"]["fill"])
    assert "样本不足20件" in _chips(at)


def test_units_far_apart_are_marked_with_their_values(engine):
    """At the top of the demo (districts in six cities) each district is a point with its name and value."""
    import sqlalchemy as sa

    _, spec = _deck(None)
    markers = _layer(spec, "markers")["data"]
    with engine.connect() as conn:
        districts = conn.execute(sa.text("SELECT count(*) FROM district")).scalar()
    assert len(markers) == districts
    texts = [d["text"] for d in _layer(spec, "markers_text")["data"]]
    assert all(re.search(r"\S+ \d+\.\d$", t) for t in texts), texts
