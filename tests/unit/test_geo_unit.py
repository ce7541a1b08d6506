"""Geometry on tiny explicit fixtures. CRS stated per test."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo import crs
from geo.coverage import walk_radius_m, within_reach
from geo.measure import area_km2, haversine_m
from geo.overlay import classify_compounds
from geo.partition import partition, sample_points, shrink


def test_gcj02_round_trip_is_sub_metre():
    # WGS-84 points in the seven districts' cities
    lon = np.array([114.27, 114.31, 112.15, 121.10, 105.59, 117.03, 113.13])
    lat = np.array([30.59, 30.55, 32.01, 41.12, 30.52, 25.08, 29.36])
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    offset = haversine_m(lon, lat, glon, glat)
    assert ((offset > 100) & (offset < 900)).all()  # GCJ-02 shifts points by a few hundred metres
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    assert haversine_m(lon, lat, wlon, wlat).max() < 0.5


def test_bd09_round_trip_is_sub_metre():
    lon, lat = np.array([114.3055]), np.array([30.5928])
    blon, blat = crs.wgs84_to_bd09(lon, lat)
    assert haversine_m(lon, lat, blon, blat)[0] > 500
    wlon, wlat = crs.bd09_to_wgs84(blon, blat)
    assert haversine_m(lon, lat, wlon, wlat)[0] < 0.5


def test_outside_china_is_unchanged():
    lon, lat = crs.wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))  # Paris
    assert lon[0] == 2.35 and lat[0] == 48.85


def test_geometry_to_wgs84_rejects_unknown_datum():
    with pytest.raises(ValueError, match="unknown datum"):
        crs.geometry_to_wgs84(shapely.Point(114, 30), "XYZ")


def test_partition_covers_parent_without_overlap():
    # projected metres: a 1 km square
    square = shapely.box(0, 0, 1000, 1000)
    pts = sample_points(square, 12, np.random.default_rng(3))
    cells = partition(square, pts)
    assert len(cells) == 12
    assert sum(c.area for c in cells) == pytest.approx(1e6)
    assert shapely.union_all(cells).area == pytest.approx(1e6)
    assert all(c.contains(shapely.Point(p)) for c, p in zip(cells, pts))


def test_shrink_keeps_inside_and_scales_area():
    cell = shapely.box(0, 0, 100, 100)
    small = shrink(cell, 0.5)
    assert cell.contains(small) and small.area == pytest.approx(2500)
    with pytest.raises(ValueError, match="factor"):
        shrink(cell, 1.5)


def test_area_km2_of_a_degree_cell_near_wuhan():
    # EPSG:4326: a 0.01° × 0.01° cell at 30.5°N is about 1.11 km × 0.96 km
    cell = shapely.box(114.30, 30.50, 114.31, 30.51)
    assert area_km2([cell])[0] == pytest.approx(1.113 * 0.959, rel=0.01)


def test_classify_compounds_three_relations():
    # projected metres: two 100 m grids side by side
    grids = [shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)]
    compounds = [
        shapely.box(1, 1, 99, 99),  # same area
        shapely.box(105, 5, 150, 50),  # smaller, inside grid 2
        shapely.box(2, 2, 198, 98),
    ]  # larger, spans both
    rel = classify_compounds(compounds, grids, ["A", "B"])
    assert rel["relation"].tolist() == ["same", "smaller", "larger"]
    assert rel["grid_code"].tolist() == ["A", "B", "A"]
    with pytest.raises(ValueError, match="tolerance"):
        classify_compounds(compounds, grids, ["A", "B"], tolerance=1.0)


def test_walking_coverage_radius_and_reach():
    assert walk_radius_m(15) == pytest.approx(1200 / 1.3)
    # EPSG:4326 points 500 m and 2 km north of a station
    lat500 = 30.5 + 500 / 111_195
    lat2k = 30.5 + 2000 / 111_195
    hit = within_reach([114.3, 114.3], [lat500, lat2k], [114.3], [30.5], walk_radius_m(15))
    assert hit.tolist() == [True, False]
    with pytest.raises(ValueError):
        walk_radius_m(0)


def test_within_reach_agrees_with_every_pair_checked():
    """The STR-tree prefilter finds exactly the points a brute-force haversine check finds, in the north too."""
    from geo.measure import haversine_m

    rng = np.random.default_rng(7)
    for lat0, radius in ((22.5, 400.0), (30.5, 923.0), (45.7, 1500.0), (53.0, 923.0)):
        lon, lat = 114 + rng.uniform(0, 0.3, 3000), lat0 + rng.uniform(0, 0.2, 3000)
        slon, slat = 114 + rng.uniform(0, 0.3, 400), lat0 + rng.uniform(0, 0.2, 400)
        brute = (haversine_m(lon[:, None], lat[:, None], slon[None, :], slat[None, :]) <= radius).any(axis=1)
        got = within_reach(lon, lat, slon, slat, radius)
        assert 0 < brute.sum() < len(brute)
        assert (got == brute).all()
