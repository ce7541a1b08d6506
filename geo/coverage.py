"""Walking coverage of service stations (straight-line distance × detour factor)."""

from __future__ import annotations

import numpy as np
import shapely

from geo.measure import haversine_m

_M_PER_DEG = 111_195.0  # metres per degree of latitude on the haversine sphere (R = 6,371 km)


def walk_radius_m(minutes: float, *, speed_m_per_min: float = 80.0, detour_factor: float = 1.3) -> float:
    """Straight-line radius reached in ``minutes`` of walking along streets.

    15 minutes at 80 m/min is 1.2 km of street; with a detour factor of 1.3 that is
    about 923 m as the crow flies.
    """
    if minutes <= 0 or speed_m_per_min <= 0 or detour_factor < 1:
        raise ValueError(
            f"need minutes > 0, speed > 0 and detour >= 1; got {minutes}, {speed_m_per_min}, {detour_factor}"
        )
    return minutes * speed_m_per_min / detour_factor


def within_reach(lon, lat, site_lon, site_lat, radius_m: float) -> np.ndarray:
    """Boolean array: True where a point (WGS-84) has a site within ``radius_m`` (great-circle metres).

    Candidate pairs come from an STR-tree in degrees with a radius that over-reaches in every direction
    (a degree of longitude is shortest at the highest latitude); each candidate is then checked exactly.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    site_lon, site_lat = np.asarray(site_lon, dtype=float), np.asarray(site_lat, dtype=float)
    out = np.zeros(len(lon), dtype=bool)
    if len(site_lon) == 0 or len(lon) == 0:
        return out
    top = min(89.0, float(max(np.abs(lat).max(), np.abs(site_lat).max())) + 1.0)
    reach_deg = radius_m / (_M_PER_DEG * np.cos(np.radians(top)))
    tree = shapely.STRtree(shapely.points(site_lon, site_lat))
    i, j = tree.query(shapely.points(lon, lat), predicate="dwithin", distance=reach_deg)
    hit = haversine_m(lon[i], lat[i], site_lon[j], site_lat[j]) <= radius_m
    out[i[hit]] = True
    return out


def greedy_sites(cand_lon, cand_lat, demand_lon, demand_lat, weights, covered, radius_m: float, k: int):
    """Pick up to ``k`` candidate sites that cover the most uncovered demand (greedy maximal coverage).

    Parameters
    ----------
    cand_lon, cand_lat : array-like
        Candidate sites (WGS-84), e.g. compound centroids.
    demand_lon, demand_lat, weights : array-like
        Demand points and their weight (households).
    covered : array-like of bool
        Demand already covered by existing stations.
    radius_m : float
        Straight-line reach of a site.
    k : int
        Number of sites to pick.

    Returns
    -------
    list of (candidate index, households newly covered), in the order picked; stops early
    when no candidate adds anything.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    cand_lon, cand_lat = np.asarray(cand_lon, float), np.asarray(cand_lat, float)
    d_lon, d_lat = np.asarray(demand_lon, float), np.asarray(demand_lat, float)
    w = np.asarray(weights, float)
    open_ = ~np.asarray(covered, bool)
    idx = np.flatnonzero(open_)
    if len(idx) == 0 or len(cand_lon) == 0:
        return []
    reach = haversine_m(cand_lon[:, None], cand_lat[:, None], d_lon[idx][None, :], d_lat[idx][None, :]) <= radius_m
    remaining = w[idx].copy()
    picks = []
    for _ in range(k):
        gains = reach @ remaining
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        picks.append((best, float(gains[best])))
        remaining[reach[best]] = 0
    return picks
