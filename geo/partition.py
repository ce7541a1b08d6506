"""Partition a polygon into non-overlapping cells (Voronoi clipped to the parent).

Used by the demo generator to lay out streets, communities, grids and micro-grids
inside real district outlines. Work in a projected CRS (metres).
"""

from __future__ import annotations

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import MultiPoint


def _polygonal(geom):
    """Keep only the polygonal parts of ``geom`` (intersections may add lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def sample_points(poly, n: int, rng: np.random.Generator, *, core=None, core_weight: float = 0.0):
    """Draw ``n`` distinct random points inside ``poly``.

    Parameters
    ----------
    poly : shapely Polygon or MultiPolygon, projected.
    n : int
        Number of points (> 0).
    rng : numpy.random.Generator
    core : shapely Point, optional
        With ``core_weight`` > 0, points crowd towards this point, so cells are smaller there.
    core_weight : float
        0 gives uniform points; 1 draws every point from a normal around ``core``.
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if poly.is_empty:
        raise ValueError("cannot sample points in an empty polygon")
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    out = np.empty((0, 2))
    spread = 0.25 * max(maxx - minx, maxy - miny)
    for _ in range(200):
        m = max(4 * (n - len(out)), 16)
        xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        if core is not None and core_weight > 0:
            crowd = rng.random(m) < core_weight
            xy[crowd] = np.column_stack(
                [rng.normal(core.x, spread, crowd.sum()), rng.normal(core.y, spread, crowd.sum())]
            )
        inside = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
        out = np.vstack([out, xy[inside]])
        if len(out) >= n:
            break
    if len(out) < n:  # a sliver too thin for rejection sampling: fall back to points on the surface
        extra = [shapely.point_on_surface(poly).coords[0]] * (n - len(out))
        out = np.vstack([out, np.asarray(extra) + rng.normal(0, 1e-3, (n - len(out), 2))])
    return out[:n]


def partition(poly, points: np.ndarray) -> list:
    """Voronoi cells of ``points`` clipped to ``poly``, one per point, in input order.

    The cells cover ``poly`` and do not overlap each other.
    """
    points = np.asarray(points, dtype=float)
    if len(points) == 1:
        return [poly]
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=poly, ordered=True)
    clipped = shapely.intersection(np.asarray(cells.geoms, dtype=object), poly)
    return [_polygonal(c) for c in clipped]


def shrink(geom, factor: float):
    """Scale ``geom`` about its centroid by ``factor`` (< 1) and keep it inside the original."""
    if not 0 < factor <= 1:
        raise ValueError(f"factor must be in (0, 1], got {factor}")
    c = geom.centroid
    scaled = shapely.affinity.scale(geom, factor, factor, origin=c)
    return _polygonal(shapely.intersection(scaled, geom))
