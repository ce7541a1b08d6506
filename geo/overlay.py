"""Overlay of compounds (小区) on grids (网格): seed 003's three relations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

DEFAULT_TOLERANCE = 0.15  # a compound "is" its grid when intersection/union >= 1 - tolerance


def classify_compounds(compounds, grids, grid_codes, tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Relate each compound to the grid it overlaps most.

    Parameters
    ----------
    compounds, grids : array-like of shapely polygons in one projected (equal-area) CRS.
    grid_codes : array-like of str, the code of each grid.
    tolerance : float
        In [0, 1). A compound whose intersection-over-union with its grid is at least
        ``1 - tolerance`` is the "same" area; otherwise it is "larger" when its area
        exceeds the grid's, else "smaller".

    Returns
    -------
    pandas.DataFrame
        One row per compound, in input order: ``grid_code`` (None where it touches no
        grid), ``relation`` and ``iou``.
    """
    if not 0 <= tolerance < 1:
        raise ValueError(f"tolerance must be in [0, 1), got {tolerance}")
    compounds = np.asarray(compounds, dtype=object)
    grids = np.asarray(grids, dtype=object)
    grid_codes = np.asarray(grid_codes, dtype=object)
    if len(grids) != len(grid_codes):
        raise ValueError(f"{len(grids)} grids but {len(grid_codes)} grid codes")
    out = pd.DataFrame(
        {"grid_code": [None] * len(compounds), "relation": [None] * len(compounds), "iou": np.zeros(len(compounds))}
    )
    if len(compounds) == 0 or len(grids) == 0:
        return out
    tree = shapely.STRtree(grids)
    ci, gi = tree.query(compounds, predicate="intersects")
    inter = shapely.area(shapely.intersection(compounds[ci], grids[gi]))
    pairs = pd.DataFrame({"c": ci, "g": gi, "inter": inter}).sort_values(["c", "inter"], ascending=[True, False])
    best = pairs.drop_duplicates("c")
    best = best[best["inter"] > 0]
    area_c = shapely.area(compounds[best["c"].to_numpy()])
    area_g = shapely.area(grids[best["g"].to_numpy()])
    iou = best["inter"].to_numpy() / (area_c + area_g - best["inter"].to_numpy())
    relation = np.where(iou >= 1 - tolerance, "same", np.where(area_c > area_g, "larger", "smaller"))
    idx = best["c"].to_numpy()
    out.loc[idx, "grid_code"] = grid_codes[best["g"].to_numpy()]
    out.loc[idx, "relation"] = relation
    out.loc[idx, "iou"] = iou
    return out
