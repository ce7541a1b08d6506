"""Lay out streets, communities, grids, micro-grids and compounds inside a real district outline.

Each level is a Voronoi partition of its parent (geo.partition), so every child lies inside
its parent and siblings do not overlap. Work happens in China Albers metres (equal-area).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from data_access.demo.names import NameMaker
from geo.overlay import classify_compounds
from geo.partition import partition, sample_points, shrink


def allocate(total: int, weights, minimum: int = 1) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights``, each at least ``minimum``."""
    weights = np.asarray(weights, dtype=float)
    n = len(weights)
    if n == 0:
        if total:
            raise ValueError(f"cannot place {total} items in no parents")
        return np.zeros(0, dtype=int)
    if total < minimum * n:
        raise ValueError(f"{total} items cannot give {n} parents at least {minimum} each")
    rest = total - minimum * n
    share = weights / weights.sum() * rest
    out = np.floor(share).astype(int)
    remainder = rest - out.sum()
    out[np.argsort(-(share - out))[:remainder]] += 1
    return out + minimum


def _subdivide(parents: pd.DataFrame, counts, rng, code_width: int, kind_of=None) -> list[dict]:
    rows = []
    for (_, parent), k in zip(parents.iterrows(), counts):
        geom = parent["geom"]
        pts = sample_points(geom, int(k), rng, core=geom.centroid, core_weight=0.2)
        for i, cell in enumerate(partition(geom, pts), start=1):
            rows.append(
                {
                    "parent": parent["code"],
                    "code": f"{parent['code']}{i:0{code_width}d}",
                    "geom": cell,
                    "kind": kind_of(parent) if kind_of else None,
                }
            )
    return rows


def _weights(geoms, rng, power: float) -> np.ndarray:
    return shapely.area(np.asarray(geoms, dtype=object)) ** power * rng.lognormal(0, 0.35, len(geoms))


def layout(code: str, outline, spec: dict, rng: np.random.Generator, names: NameMaker) -> dict[str, pd.DataFrame]:
    """Build the hierarchy of one district.

    Parameters
    ----------
    code : str
        The 6-digit district code.
    outline : shapely (Multi)Polygon in China Albers metres.
    spec : dict
        A district entry of ``data_access.demo.spec``.

    Returns
    -------
    dict of DataFrames keyed street, community, grid, micro_grid, compound; geometry in
    column ``geom`` (Albers metres).
    """
    core = shapely.point_on_surface(outline)
    n_streets = spec["streets"] + spec["towns"]
    pts = sample_points(outline, n_streets, rng, core=core, core_weight=spec["core_weight"])
    order = np.argsort(np.hypot(pts[:, 0] - core.x, pts[:, 1] - core.y))
    cells = partition(outline, pts[order])
    streets = pd.DataFrame(
        {
            "code": [f"{code}{i:03d}" for i in range(1, n_streets + 1)],
            "kind": ["street"] * spec["streets"] + ["town"] * spec["towns"],
            "geom": cells,
        }
    )
    streets["name"] = [names.street(k) for k in streets["kind"]]

    # Communities in streets, villages in towns.
    parts = []
    for kind, child, total in (("street", "community", spec["communities"]), ("town", "village", spec["villages"])):
        parents = streets[streets["kind"] == kind]
        if total == 0 or parents.empty:
            continue
        counts = allocate(total, _weights(parents["geom"], rng, 0.5))
        parts += _subdivide(parents, counts, rng, 3, kind_of=lambda _p, c=child: c)
    communities = pd.DataFrame(parts)
    communities["name"] = [names.community(k) for k in communities["kind"]]

    parts = []
    for kind, total in (("community", spec["grids_street"]), ("village", spec["grids_town"])):
        parents = communities[communities["kind"] == kind]
        if total == 0 or parents.empty:
            continue
        parts += _subdivide(parents, allocate(total, _weights(parents["geom"], rng, 0.7)), rng, 3)
    grids = pd.DataFrame(parts)
    comm_name = communities.set_index("code")["name"]
    grids["name"] = [f"{comm_name[p]}第{int(c[-3:])}网格" for p, c in zip(grids["parent"], grids["code"])]

    counts = allocate(spec["micro_grids"], _weights(grids["geom"], rng, 0.8))
    width = 2 if counts.max() <= 99 else 3
    micro = pd.DataFrame(_subdivide(grids, counts, rng, width))
    grid_name = grids.set_index("code")["name"]
    micro["name"] = [f"{grid_name[p]}{int(c[15:])}号微网格" for p, c in zip(micro["parent"], micro["code"])]
    if spec.get("micro_area_km2"):
        micro["geom"] = _calibrate_area(micro["geom"].to_numpy(), spec["micro_area_km2"] * 1e6)

    compounds = _compounds(grids, spec, rng, names)
    return {"street": streets, "community": communities, "grid": grids, "micro_grid": micro, "compound": compounds}


def _calibrate_area(cells: np.ndarray, target_mean_m2: float) -> np.ndarray:
    """Shrink cells about their centroids until their mean area is ``target_mean_m2``.

    Models micro-grids that cover the settled part of their grid only.
    """
    full = shapely.area(cells).mean()
    if target_mean_m2 >= full:
        return cells
    lo, hi = 0.0, 1.0
    out = cells
    for _ in range(30):
        mid = (lo + hi) / 2
        out = np.array([shrink(c, mid) for c in cells], dtype=object)
        mean = shapely.area(out).mean()
        if abs(mean - target_mean_m2) < target_mean_m2 * 1e-4:
            break
        lo, hi = (mid, hi) if mean < target_mean_m2 else (lo, mid)
    return out


def _compounds(grids: pd.DataFrame, spec: dict, rng, names: NameMaker) -> pd.DataFrame:
    """Compounds that coincide with a grid, span two grids, or sit inside one (seed 003)."""
    geoms = grids["geom"].to_numpy()
    comm = grids["parent"].to_numpy()
    free = np.ones(len(grids), dtype=bool)
    rows = []
    order = rng.permutation(len(grids))
    for g in order[: spec["compounds_same"]]:
        free[g] = False
        rows.append((comm[g], shrink(geoms[g], rng.uniform(0.985, 0.995))))
    tree = shapely.STRtree(geoms)
    larger = 0
    for g in order[spec["compounds_same"] :]:
        if larger == spec["compounds_larger"]:
            break
        if not free[g]:
            continue
        nbrs = [n for n in tree.query(geoms[g], predicate="touches") if free[n] and comm[n] == comm[g] and n != g]
        if not nbrs:
            continue
        n = nbrs[0]
        free[g] = free[n] = False
        rows.append((comm[g], shrink(shapely.union(geoms[g], geoms[n]), 0.99)))
        larger += 1
    rest = spec["compounds"] - len(rows)
    idle = np.flatnonzero(free)
    counts = allocate(rest, shapely.area(geoms[idle]) * rng.lognormal(0, 0.3, len(idle)), minimum=0)
    for g, k in zip(idle, counts):
        if k == 0:
            continue
        pts = sample_points(geoms[g], int(k), rng)
        for cell in partition(geoms[g], pts):
            rows.append((comm[g], shrink(cell, rng.uniform(0.45, 0.8))))
    out = pd.DataFrame(rows, columns=["parent", "geom"])
    out = out[~shapely.is_empty(out["geom"].to_numpy())]  # a sliver shrunk to nothing
    out = out.sort_values("parent", kind="stable").reset_index(drop=True)
    out["code"] = out["parent"] + "C" + (out.groupby("parent").cumcount() + 1).map("{:03d}".format)
    out["name"] = [names.compound() for _ in range(len(out))]
    rel = classify_compounds(out["geom"].to_numpy(), geoms, grids["code"].to_numpy())
    out["grid_code"] = rel["grid_code"].to_numpy()
    out["grid_relation"] = rel["relation"].to_numpy()
    return out
