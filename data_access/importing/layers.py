"""Read boundary files: GeoJSON, Shapefile (loose or zipped) and GeoPackage.

The attribute table comes back as strings for the same checks as a CSV; the geometries come back
in WGS-84, repaired where that is safe. Problems of the whole file (an unreadable CRS, a .cpg that
contradicts the bytes, a broken archive) are raised as ``FileProblem``; problems of single features
are returned.
"""

from __future__ import annotations

import codecs
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from data_access.importing.encodings import EncodingProblem, decode
from data_access.importing.validate import FileProblem, Problem
from geo.crs import CHINA_BBOX, crs_of_file, normalise_crs, to_wgs84

# A repair is safe when the repaired outline stays this close to the original one: it only
# splits a self-crossing ring or drops a zero-area spike shorter than this.
REPAIR_TOLERANCE_DEG = 1e-4  # ≈ 10 m
MIN_AREA_DEG2 = 1e-10  # ≈ 1 m²: a polygon smaller than this has collapsed to a line or a point
MAX_MEMBERS = 1000  # files in an archive (a Shapefile is 3 to 8)
MAX_UNPACKED = 2 * 1024**3  # bytes an archive may unpack to
_CODE_PAGES = {"936": "gbk", "54936": "gb18030", "65001": "utf-8", "UTF8": "utf-8", "CP936": "gbk"}


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


def _no_constants(name: str):
    raise ValueError(name)


def _read_geojson(path: Path, encoding: str | None) -> tuple[pd.DataFrame, list, str | None, str, list[Problem]]:
    try:
        text, used = decode(path.read_bytes(), encoding)
    except EncodingProblem as exc:
        raise FileProblem("encoding", name=path.name, detail=str(exc)) from None
    try:
        obj = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise FileProblem(
            "not_json", name=path.name, detail=f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError:  # NaN, Infinity, -Infinity
        raise FileProblem("json_nan", name=path.name) from None
    except RecursionError:
        raise FileProblem("json_deep", name=path.name) from None
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection" or not isinstance(obj.get("features"), list):
        raise FileProblem("not_feature_collection", name=path.name)
    try:
        declared = _crs_member(obj)
    except (ValueError, AttributeError) as exc:
        raise FileProblem("crs_file", name=path.name, detail=f"the crs member names an {exc}") from None
    rows, geoms, problems = [], [], []
    for i, feature in enumerate(obj["features"]):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(i + 2, "feature", str(feature)[:40], "not_feature"))
            feature = {}
        props = feature.get("properties")
        if props is not None and not isinstance(props, dict):
            problems.append(Problem(i + 2, "properties", str(props)[:40], "not_properties"))
            props = None
        rows.append(props or {})
        g = feature.get("geometry")
        try:
            geoms.append(shape(g) if g else None)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.ShapelyError):
            geoms.append(shapely.Point())  # unreadable: reported as "no geometry"
    return pd.DataFrame(rows, index=range(len(rows))), geoms, declared, used, problems


def _shapefile_encoding(shp: Path, flag: str | None) -> tuple[str, Problem | None]:
    """The attribute encoding: the flag, else the .cpg (checked against the bytes), else detected."""
    dbf = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        raise FileProblem("no_dbf", name=shp.name)
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
            raise FileProblem("cpg_unknown", name=cpg.name, raw=raw) from None
        try:
            decode(records, declared)
        except EncodingProblem as exc:
            try:
                _, actual = decode(records)
            except EncodingProblem:
                actual = "unknown"
            raise FileProblem("cpg_wrong", name=cpg.name, raw=raw, detail=str(exc), actual=actual) from None
    try:
        _, used = decode(records, declared)
    except EncodingProblem as exc:
        raise FileProblem("encoding", name=shp.name, detail=str(exc)) from None
    if cpg is None and flag is None:
        note = Problem(0, "", "", "no_cpg", {"encoding": used})
    return ("gbk" if used == "gbk" else "utf-8" if used.startswith("utf-8") else used), note


def _read_ogr(path: Path, encoding: str | None) -> tuple[pd.DataFrame, list, str | None]:
    """A Shapefile (attributes in ``encoding``) or the first layer of a GeoPackage (UTF-8)."""
    import pyogrio

    try:
        df = pyogrio.read_dataframe(path, **({"encoding": encoding} if encoding else {}))
    except Exception as exc:  # GDAL raises several types for unreadable files
        detail = str(exc).replace(str(path.parent) + "/", "").splitlines()[0] if str(exc) else "unknown format"
        raise FileProblem("unreadable_layer", name=path.name, detail=detail) from None
    declared = None
    if df.crs is not None:
        try:
            declared = crs_of_file(df.crs)
        except ValueError as exc:
            raise FileProblem("crs_file", name=path.name, detail=str(exc)) from None
    geoms = list(df.geometry.to_numpy())
    return pd.DataFrame(df.drop(columns=df.geometry.name)), geoms, declared


def _unzip(path: Path, folder: Path) -> Path:
    """Unpack ``path`` into ``folder`` (never outside it, within MAX_MEMBERS and MAX_UNPACKED bytes, counted
    as the bytes come out rather than as the archive declares them); return the one layer file inside."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileProblem("damaged_zip" if path.read_bytes()[:2] == b"PK" else "not_zip", name=path.name) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise FileProblem("zip_files", name=path.name, n=len(infos), limit=MAX_MEMBERS)
        root = folder.resolve()
        for info in infos:
            if not (folder / info.filename).resolve().is_relative_to(root):
                raise FileProblem("zip_unsafe", name=path.name, member=info.filename)
            if info.flag_bits & 0x1:
                raise FileProblem("zip_password", name=path.name)
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            raise FileProblem("zip_unpacked", name=path.name, limit=MAX_UNPACKED)
        left = MAX_UNPACKED
        try:
            for info in infos:
                target = folder / info.filename
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        left -= len(chunk)
                        if left < 0:
                            raise FileProblem("zip_unpacked", name=path.name, limit=MAX_UNPACKED)
                        dst.write(chunk)
        except FileProblem:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError, ValueError):
            raise FileProblem("damaged_zip", name=path.name) from None
    found = [p for p in folder.rglob("*") if p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".json")]
    if len(found) != 1:
        raise FileProblem("zip_layers", name=path.name, n=len(found))
    return found[0]


def read_layer(path: Path, *, crs: str | None = None, encoding: str | None = None) -> Layer:
    """Read a boundary file and convert its geometries to WGS-84.

    ``crs`` (the --crs flag) overrides the CRS the file declares; with neither, WGS-84 is assumed
    and coordinates outside China are reported per feature. An archive is unpacked into a
    temporary folder that is removed again whatever happens.
    """
    if path.suffix.lower() != ".zip":
        return _read_layer(path, crs, encoding)
    folder = Path(tempfile.mkdtemp(prefix="ggc-layer-"))
    try:
        return _read_layer(_unzip(path, folder), crs, encoding)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_layer(path: Path, crs: str | None, encoding: str | None) -> Layer:
    suffix = path.suffix.lower()
    notes, problems = [], []
    if suffix in (".geojson", ".json"):
        attrs, geoms, declared, used, problems = _read_geojson(path, encoding)
    elif suffix == ".shp":
        used, note = _shapefile_encoding(path, encoding)
        notes += [note] if note else []
        attrs, geoms, declared = _read_ogr(path, used)
    elif suffix == ".gpkg":
        used = "utf-8"
        attrs, geoms, declared = _read_ogr(path, None)
    else:
        raise FileProblem("layer_suffix", name=path.name)
    if crs:
        source = normalise_crs(crs)
        if declared and declared != source:
            notes.append(Problem(0, "", "", "crs_override", {"declared": declared, "used": source}))
    elif declared:
        source = declared
    else:
        source = "WGS-84"
        notes.append(Problem(0, "", "", "no_crs"))
    if attrs.empty and not len(attrs.columns) and not geoms:
        raise FileProblem("no_rows", name=path.name)
    attrs = attrs.astype(object).where(attrs.notna(), "")
    wgs, geometry_problems, repaired = clean_geometries(geoms, source)
    notes += repaired
    return Layer(attrs, wgs, source, used, notes, problems + geometry_problems)


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
