"""Areas and distances in an equal-area projection."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

# Albers equal-area conic for China (standard parallels 25°N and 47°N, central meridian 105°E).
CHINA_ALBERS = CRS.from_proj4("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs")
WGS84 = CRS.from_epsg(4326)


@lru_cache(maxsize=4)
def _transformer(forward: bool) -> Transformer:
    src, dst = (WGS84, CHINA_ALBERS) if forward else (CHINA_ALBERS, WGS84)
    return Transformer.from_crs(src, dst, always_xy=True)


def to_albers(geom):
    """Project WGS-84 geometries (a shapely geometry or array of them) to China Albers metres."""
    return shapely.transform(geom, lambda xy: np.column_stack(_transformer(True).transform(xy[:, 0], xy[:, 1])))


def from_albers(geom):
    """Project China Albers metres back to WGS-84 degrees."""
    return shapely.transform(geom, lambda xy: np.column_stack(_transformer(False).transform(xy[:, 0], xy[:, 1])))


def area_km2(geoms) -> np.ndarray:
    """Equal-area size in km² of WGS-84 geometries.

    Parameters
    ----------
    geoms : shapely geometry or array-like of them, in EPSG:4326.
    """
    return np.asarray(shapely.area(to_albers(np.asarray(geoms, dtype=object)))) / 1e6


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (broadcasting numpy arrays)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))
