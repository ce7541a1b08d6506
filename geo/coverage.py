"""Walking coverage of service stations (straight-line distance × detour factor)."""

from __future__ import annotations

import numpy as np

from geo.measure import haversine_m


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


def within_reach(lon, lat, site_lon, site_lat, radius_m: float, chunk: int = 2000) -> np.ndarray:
    """Boolean array: True where a point (WGS-84) has a site within ``radius_m``."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    site_lon, site_lat = np.asarray(site_lon, dtype=float), np.asarray(site_lat, dtype=float)
    out = np.zeros(len(lon), dtype=bool)
    if len(site_lon) == 0 or len(lon) == 0:
        return out
    for s in range(0, len(lon), chunk):
        d = haversine_m(lon[s : s + chunk, None], lat[s : s + chunk, None], site_lon[None, :], site_lat[None, :])
        out[s : s + chunk] = (d <= radius_m).any(axis=1)
    return out
