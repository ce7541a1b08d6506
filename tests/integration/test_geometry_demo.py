"""The demo's generated hierarchy: children inside parents, siblings apart, areas as published.

Areas are measured in China Albers (equal-area). Tolerances: a child may stick out of its
parent, and siblings may overlap, by at most 1e-6 of their area (floating-point slivers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from geo.measure import to_albers

TOL = 1e-6
LEVELS = [
    ("street", "district", "district_code"),
    ("community", "street", "street_code"),
    ("grid", "community", "community_code"),
    ("micro_grid", "grid", "grid_code"),
    ("compound", "community", "community_code"),
]


def _geoms(engine, table: str, where: str = "TRUE", params=None) -> pd.DataFrame:
    with engine.connect() as conn:
        df = pd.read_sql_query(sa.text(f"SELECT * FROM {table} WHERE {where}"), conn, params=params or {})
    df["g"] = to_albers(shapely.from_wkb(df["geom"].map(bytes).to_numpy()))
    return df


@pytest.fixture(scope="module")
def districts(engine):
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT code FROM district ORDER BY code"))]


@pytest.mark.parametrize(("child", "parent", "key"), LEVELS)
def test_children_inside_parents_and_siblings_apart(engine, districts, child, parent, key):
    for d in districts:
        kids = _geoms(engine, child, "district_code = :d", {"d": d})
        parents = _geoms(engine, parent, "code = :d" if parent == "district" else "district_code = :d", {"d": d})
        assert len(kids) > 0, f"{d} has no {child}"
        assert shapely.is_valid(kids["g"].to_numpy()).all(), f"{d}: invalid {child} geometry"
        pg = parents.set_index("code")["g"]
        outside = shapely.area(shapely.difference(kids["g"].to_numpy(), pg.loc[kids[key]].to_numpy()))
        worst = (outside / shapely.area(kids["g"].to_numpy())).max()
        assert worst <= TOL, f"{d}: a {child} lies {worst:.2e} outside its {parent}"
        # Siblings of one layout (grids and micro-grids keep the layout before a reform, valid_to set).
        layout = kids["valid_to"].astype(str) if "valid_to" in kids else pd.Series("", index=kids.index)
        for (pcode, _), group in kids.groupby([key, layout]):
            total = shapely.area(group["g"].to_numpy()).sum()
            union = shapely.union_all(group["g"].to_numpy()).area
            assert total - union <= TOL * total, f"{child}s of {parent} {pcode} overlap by {total - union:.1f} m²"


def test_parents_are_covered_by_their_children(engine):
    """Streets tile their district, communities their street, grids their community."""
    for child, parent, key in LEVELS[:3]:
        kids = _geoms(engine, child, "district_code = '430602'")
        parents = _geoms(engine, parent, "code = '430602'" if parent == "district" else "district_code = '430602'")
        covered = kids.groupby(key)["g"].apply(lambda s: shapely.union_all(s.to_numpy()).area)
        area = parents.set_index("code")["g"].map(lambda g: g.area)
        assert np.allclose(covered.reindex(area.index).to_numpy(), area.to_numpy(), rtol=1e-6)


def test_micro_grid_average_area_as_published(engine):
    df = _geoms(engine, "micro_grid", "district_code = '510903' AND valid_to IS NULL")
    assert len(df) == 1072
    assert abs(shapely.area(df["g"].to_numpy()).mean() / 1e6 - 0.37) < 0.005
    # the stored area is the equal-area measure
    assert np.allclose(df["area_km2"], shapely.area(df["g"].to_numpy()) / 1e6, rtol=1e-9)


def test_compound_grid_relations_follow_geometry(engine):
    from geo.overlay import classify_compounds

    comp = _geoms(engine, "compound", "district_code = '430602'")
    grids = _geoms(engine, "grid", "district_code = '430602'")
    rel = classify_compounds(comp["g"].to_numpy(), grids["g"].to_numpy(), grids["code"].to_numpy())
    assert (rel["relation"].to_numpy() == comp["grid_relation"].to_numpy()).all()
    assert (rel["grid_code"].to_numpy() == comp["grid_code"].to_numpy()).all()
    assert set(comp["grid_relation"]) == {"same", "larger", "smaller"}
