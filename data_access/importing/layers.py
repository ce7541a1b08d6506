"""Read boundary files: GeoJSON, Shapefile (loose or zipped) and GeoPackage.

The attribute table comes back as strings for the same checks as a CSV; the geometries come back
in WGS-84, repaired where that is safe. Problems of the whole file (an unreadable CRS, a .cpg that
contradicts the bytes) are raised as ``LayerError``; problems of single features are returned.
"""

from __future__ import annotations

import codecs
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from data_access.importing.encodings import EncodingProblem, decode
from data_access.importing.validate import Problem
from geo.crs import CHINA_BBOX, crs_of_file, normalise_crs, to_wgs84

# A repair is safe when the repaired outline stays this close to the original one: it only
# splits a self-crossing ring or drops a zero-area spike shorter than this.
REPAIR_TOLERANCE_DEG = 1e-4  # ≈ 10 m
MIN_AREA_DEG2 = 1e-10  # ≈ 1 m²: a polygon smaller than this has collapsed to a line or a point
_CODE_PAGES = {"936": "gbk", "54936": "gb18030", "65001": "utf-8", "UTF8": "utf-8", "CP936": "gbk"}


class LayerError(ValueError):
    """The file as a whole cannot be read as a boundary layer."""


@dataclass
class Layer:
    attributes: pd.DataFrame
    geoms: np.ndarray  # shapely geometries in WGS-84 (None where missing or rejected)
    crs: str  # the source CRS used
    encoding: str
    notes: list[Problem] = field(default_factory=list)  # row 0: the whole file
    problems: list[Problem] = field(default_factory=list)


def _crs_member(obj: dict) -> str | None:
    """A GeoJSON (2008) crs member, e.g. urn:ogc:def:crs:EPSG::4490 or a plain name such as GCJ-02."""
    name = ((obj.get("crs") or {}).get("properties") or {}).get("name")
    if not name:
        return None
    text = str(name)
    if "CRS84" in text.upper():
        return "WGS-84"
    if "EPSG" in text.upper():
        return normalise_crs("EPSG:" + text.rstrip(":").split(":")[-1])
    return normalise_crs(text)


def _read_geojson(path: Path, encoding: str | None) -> tuple[pd.DataFrame, list, str | None, str]:
    text, used = decode(path.read_bytes(), encoding)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayerError(f"{path.name} is not valid JSON: {exc}") from None
    if obj.get("type") != "FeatureCollection" or not isinstance(obj.get("features"), list):
        raise LayerError(f"{path.name} is not a GeoJSON FeatureCollection")
    try:
        declared = _crs_member(obj)
    except ValueError as exc:
        raise LayerError(f"{path.name}: the crs member names an {exc}") from None
    rows, geoms = [], []
    for feature in obj["features"]:
        rows.append(feature.get("properties") or {})
        g = feature.get("geometry")
        try:
            geoms.append(shape(g) if g else None)
        except (ValueError, TypeError, AttributeError, KeyError):
            geoms.append(shapely.Point())  # unreadable: reported as "no geometry"
    return pd.DataFrame(rows), geoms, declared, used


def _shapefile_encoding(shp: Path, flag: str | None) -> tuple[str, Problem | None]:
    """The attribute encoding: the flag, else the .cpg (checked against the bytes), else detected."""
    dbf = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        raise LayerError(f"{shp.name}: the .dbf file (attributes) is missing next to it")
    data = dbf.read_bytes()
    header = int.from_bytes(data[8:10], "little") if len(data) > 10 else len(data)
    records = data[header:]
    cpg = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".cpg"), None)
    declared = flag
    note = None
    if declared is None and cpg is not None:
        raw = cpg.read_text("ascii", errors="replace").strip()
        declared = _CODE_PAGES.get(raw.upper(), raw)
        try:
            codecs.lookup(declared)
        except LookupError:
            raise LayerError(f"{cpg.name} names an unknown encoding {raw!r}; pass --encoding") from None
        try:
            decode(records, declared)
        except EncodingProblem as exc:
            try:
                _, actual = decode(records)
            except EncodingProblem:
                actual = "unknown"
            raise LayerError(
                f"{cpg.name} says {raw} but the attributes are not: {exc}; they read as {actual} "
                f"(fix the .cpg or pass --encoding {actual})"
            ) from None
    try:
        _, used = decode(records, declared)
    except EncodingProblem as exc:
        raise LayerError(f"{shp.name} attributes: {exc}") from None
    if cpg is None and flag is None:
        note = Problem(0, "", "", "no_cpg", {"encoding": used})
    return ("gbk" if used == "gbk" else "utf-8" if used.startswith("utf-8") else used), note


def _read_ogr(path: Path, encoding: str | None) -> tuple[pd.DataFrame, list, str | None]:
    """A Shapefile (attributes in ``encoding``) or the first layer of a GeoPackage (UTF-8)."""
    import pyogrio

    try:
        df = pyogrio.read_dataframe(path, **({"encoding": encoding} if encoding else {}))
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise LayerError(f"{path.name} cannot be read: {exc}") from None
    declared = None
    if df.crs is not None:
        try:
            declared = crs_of_file(df.crs)
        except ValueError as exc:
            raise LayerError(f"{path.name}: {exc}") from None
    geoms = list(df.geometry.to_numpy())
    return pd.DataFrame(df.drop(columns=df.geometry.name)), geoms, declared


def _unzip(path: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="ggc-layer-"))
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            target = (folder / info.filename).resolve()
            if not str(target).startswith(str(folder.resolve())):
                raise LayerError(f"{path.name}: unsafe path {info.filename!r} in the archive")
        zf.extractall(folder)
    found = [p for p in folder.rglob("*") if p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".json")]
    if len(found) != 1:
        raise LayerError(f"{path.name}: expected one .shp, .gpkg or .geojson in the archive, found {len(found)}")
    return found[0]


def read_layer(path: Path, *, crs: str | None = None, encoding: str | None = None) -> Layer:
    """Read a boundary file and convert its geometries to WGS-84.

    ``crs`` (the --crs flag) overrides the CRS the file declares; with neither, WGS-84 is assumed
    and coordinates outside China are reported per feature.
    """
    suffix = path.suffix.lower()
    notes = []
    if suffix == ".zip":
        path = _unzip(path)
        suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        attrs, geoms, declared, used = _read_geojson(path, encoding)
    elif suffix == ".shp":
        used, note = _shapefile_encoding(path, encoding)
        notes += [note] if note else []
        attrs, geoms, declared = _read_ogr(path, used)
    elif suffix == ".gpkg":
        used = "utf-8"
        attrs, geoms, declared = _read_ogr(path, None)
    else:
        raise LayerError(f"{path.name}: expected GeoJSON, a Shapefile (.shp or .zip) or a GeoPackage (.gpkg)")
    if crs:
        source = normalise_crs(crs)
        if declared and declared != source:
            notes.append(Problem(0, "", "", "crs_override", {"declared": declared, "used": source}))
    elif declared:
        source = declared
    else:
        source = "WGS-84"
        notes.append(Problem(0, "", "", "no_crs"))
    attrs = attrs.astype(object).where(attrs.notna(), "")
    wgs, problems, repaired = clean_geometries(geoms, source)
    notes += repaired
    return Layer(attrs, wgs, source, used, notes, problems)


def clean_geometries(geoms: list, source: str) -> tuple[np.ndarray, list[Problem], list[Problem]]:
    """WGS-84 polygons, the problems of features that have none usable, and notes on repairs."""
    problems, notes = [], []
    out = np.full(len(geoms), None, dtype=object)
    minx, miny, maxx, maxy = CHINA_BBOX
    for i, g in enumerate(geoms):
        row = i + 2
        if g is None or g.is_empty:
            problems.append(Problem(row, "geometry", "", "no_geometry"))
            continue
        polygonal = shapely.get_type_id(g) in (3, 6)
        if not polygonal:
            problems.append(Problem(row, "geometry", g.geom_type, "not_polygon", {"geom_type": g.geom_type}))
            continue
        try:
            g = to_wgs84(shapely.force_2d(g), source)
        except Exception as exc:  # pyproj raises for coordinates outside the projection
            problems.append(Problem(row, "geometry", "", "crs", {"detail": f"cannot convert from {source}: {exc}"}))
            continue
        if not g.is_valid:
            why = shapely.is_valid_reason(g)
            fixed = _repair(g)
            if fixed is None:
                problems.append(Problem(row, "geometry", why, "bad_geometry", {"why": why}))
                continue
            notes.append(Problem(row, "geometry", why, "repaired", {"why": why}))
            g = fixed
        elif g.area < MIN_AREA_DEG2:
            problems.append(Problem(row, "geometry", "", "bad_geometry", {"why": "no area"}))
            continue
        c = g.centroid
        if not (minx <= c.x <= maxx and miny <= c.y <= maxy):
            swapped = minx <= c.y <= maxx and miny <= c.x <= maxy
            problems.append(
                Problem(row, "geometry", f"{c.x:.5f}, {c.y:.5f}", "swapped" if swapped else "outside_china")
            )
            continue
        out[i] = g
    return out, problems, notes


def _repair(g):
    """make_valid, kept only when the polygonal result has the original outline (else None)."""
    fixed = shapely.make_valid(g)
    parts = [p for p in shapely.get_parts(fixed) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return None
    fixed = shapely.union_all(parts)
    if fixed.is_empty or fixed.area < MIN_AREA_DEG2:
        return None
    if shapely.hausdorff_distance(g.boundary, fixed.boundary) > REPAIR_TOLERANCE_DEG:
        return None
    if fixed.geom_type == "Polygon":
        fixed = shapely.MultiPolygon([fixed]) if len(parts) > 1 else fixed
    return fixed
