"""Coordinate conversion between WGS-84 and the Chinese map datums.

GCJ-02 (AMap, Tencent) and BD-09 (Baidu) are obfuscated datums with a public
forward formula from WGS-84. The inverse has no closed form; it is found by
fixed-point iteration on the forward formula, which converges to well under a
millimetre in a few steps.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

# Rough bounding box of mainland China: outside it GCJ-02 applies no offset.
CHINA_BBOX = (73.5, 18.0, 135.1, 53.6)


def in_china(lon, lat):
    """Return a boolean array: True where a point lies in China's bounding box."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    minx, miny, maxx, maxy = CHINA_BBOX
    return (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon, lat):
    """Convert WGS-84 longitude/latitude to GCJ-02 (the forward formula).

    Parameters
    ----------
    lon, lat : float or array-like
        WGS-84 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude; points outside China are returned unchanged.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 20):
    """Convert GCJ-02 to WGS-84 by iterating the forward formula.

    Parameters
    ----------
    lon, lat : float or array-like
        GCJ-02 degrees.
    tol_deg : float
        Stop when every point moves less than this many degrees (1e-10 deg ≈ 0.01 mm).
    max_iter : int
        Upper bound on iterations.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude.
    """
    return _invert(wgs84_to_gcj02, lon, lat, (0.0, 0.0), tol_deg, max_iter)


def _invert(forward, lon, lat, first_shift, tol_deg: float, max_iter: int):
    """Solve forward(x) = (lon, lat) by fixed-point iteration from (lon, lat) - first_shift."""
    tlon, tlat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    xlon, xlat = tlon - first_shift[0], tlat - first_shift[1]
    for _ in range(max_iter):
        flon, flat = forward(xlon, xlat)
        dlon, dlat = tlon - flon, tlat - flat
        xlon, xlat = xlon + dlon, xlat + dlat
        if np.all(np.abs(dlon) < tol_deg) and np.all(np.abs(dlat) < tol_deg):
            break
    return xlon, xlat


def gcj02_to_bd09(lon, lat):
    """Convert GCJ-02 to BD-09 (Baidu's forward formula)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 20):
    """Convert BD-09 to GCJ-02 by iterating the forward formula."""
    return _invert(gcj02_to_bd09, lon, lat, (0.0065, 0.006), tol_deg, max_iter)


def bd09_to_wgs84(lon, lat):
    """Convert BD-09 to WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat):
    """Convert WGS-84 to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


_TO_WGS84 = {"GCJ-02": gcj02_to_wgs84, "BD-09": bd09_to_wgs84}


def geometry_to_wgs84(geom, source: str):
    """Return a shapely geometry converted from GCJ-02 or BD-09 to WGS-84.

    Parameters
    ----------
    geom : shapely.Geometry
    source : {"GCJ-02", "BD-09", "WGS-84"}
    """
    import shapely

    if source == "WGS-84":
        return geom
    try:
        fn = _TO_WGS84[source]
    except KeyError:
        raise ValueError(f"unknown datum {source!r}; expected one of GCJ-02, BD-09, WGS-84") from None

    def _convert(coords):
        lon, lat = fn(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, _convert)


def _epsg(name: str) -> int | None:
    text = name.strip().upper().replace(" ", "")
    if text.startswith("EPSG:") and text[5:].isdigit():
        return int(text[5:])
    return None


def normalise_crs(name: str) -> str:
    """A canonical name for a source CRS: "WGS-84", "GCJ-02", "BD-09" or "EPSG:n".

    CGCS2000 (EPSG:4490) is treated as WGS-84 at dashboard accuracy; its Gauss-Krüger
    zones (EPSG:4491-4554) and UTM zones over China (EPSG:32643-32653) are reprojected with pyproj.
    """
    text = name.strip().upper().replace("_", "-").replace(" ", "")
    aliases = {
        "WGS84": "WGS-84",
        "WGS-84": "WGS-84",
        "EPSG:4326": "WGS-84",
        "CGCS2000": "WGS-84",
        "EPSG:4490": "WGS-84",
        "GCJ02": "GCJ-02",
        "GCJ-02": "GCJ-02",
        "AMAP": "GCJ-02",
        "BD09": "BD-09",
        "BD-09": "BD-09",
        "BAIDU": "BD-09",
    }
    if text in aliases:
        return aliases[text]
    code = _epsg(text)
    if code is not None and (4491 <= code <= 4554 or 32643 <= code <= 32653):
        return f"EPSG:{code}"
    raise ValueError(
        f"unsupported CRS {name!r}: use WGS-84, CGCS2000, EPSG:4491-4554 (CGCS2000 Gauss-Krüger), "
        "EPSG:32643-32653 (UTM), GCJ-02 or BD-09"
    )


def crs_of_file(crs) -> str:
    """The supported name of a file's declared CRS (a pyproj CRS, from a .prj, GeoPackage or GeoJSON).

    Geographic CRSs on WGS-84 or CGCS2000 are "WGS-84"; projected ones must be an EPSG code
    normalise_crs accepts. Raises ValueError naming the CRS otherwise.
    """
    if crs.is_geographic and any(
        k in crs.datum.name.upper() for k in ("WGS", "WORLD GEODETIC SYSTEM 1984", "CHINA 2000", "CGCS")
    ):
        return "WGS-84"
    code = crs.to_epsg(min_confidence=70)
    if code is None:
        raise ValueError(f"unsupported CRS {crs.name!r} (no EPSG code); pass --crs")
    return normalise_crs(f"EPSG:{code}")


def to_wgs84(geom, crs: str):
    """Convert a shapely geometry from ``crs`` (any name normalise_crs accepts) to WGS-84."""
    import shapely
    from pyproj import Transformer

    name = normalise_crs(crs)
    if name in ("WGS-84", "GCJ-02", "BD-09"):
        return geometry_to_wgs84(geom, name)
    tr = Transformer.from_crs(name, "EPSG:4326", always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
