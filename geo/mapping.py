"""Map payloads: simplified, rounded geometry, classed colours and pydeck layers.

No basemap by default: the deck draws on a plain background and needs no network.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

# Simplification tolerance (degrees) and rounding (decimals) per level drawn.
LEVEL_PRECISION = {
    "district": (4e-4, 4),
    "street": (2e-4, 5),
    "community": (1e-4, 5),
    "grid": (5e-5, 5),
    "micro_grid": (2e-5, 5),
    "compound": (2e-5, 5),
}
# A sequential red ramp for choropleths (light → dark), RGBA.
RAMP = [[254, 229, 217, 200], [252, 174, 145, 200], [251, 106, 74, 200], [222, 45, 38, 200], [165, 15, 21, 200]]
NO_DATA = [200, 200, 200, 160]
SMALL_SAMPLE = [236, 236, 236, 200]  # a rate on too few cases: neither good nor bad
SCOPE_LINE, INNER_LINE, SIBLING_LINE = [20, 20, 20, 255], [55, 55, 55, 240], [150, 150, 150, 200]
STATION, PLAN = [46, 134, 171, 255], [242, 169, 0, 255]
RELATION_COLOURS = {"same": [46, 134, 171, 190], "larger": [242, 169, 0, 190], "smaller": [76, 159, 112, 190]}


JENKS_MAX = 2000  # mapclassify's Fisher-Jenks, compiled by numba: O(k·n²), ≈ 10 ms at 2,000 values


def classify(values, k: int = 5) -> tuple[np.ndarray, list[tuple[float, float, int]]]:
    """Class index (0..k-1, -1 for missing) of each value and the classes as (smallest, largest, count): each
    range is the values its class holds, so ranges never overlap and the first and last are closed.

    Fisher-Jenks natural breaks (mapclassify) up to JENKS_MAX values, quantiles beyond; at most ``k`` distinct
    values give one class per value.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v)
    cls = np.full(len(v), -1)
    if not ok.any():
        return cls, []
    y = v[ok]
    distinct = np.unique(y)
    if len(distinct) <= k:
        bins = distinct
    elif len(y) <= JENKS_MAX:
        import mapclassify

        bins = np.unique(mapclassify.FisherJenks(y, k=k).bins)
    else:
        bins = np.unique(np.quantile(y, np.linspace(0, 1, k + 1)[1:]))
    raw = np.minimum(np.searchsorted(bins, y, side="left"), len(bins) - 1)
    used = np.unique(raw)  # a class no value falls in is left out, the others renumbered
    cls[ok] = np.searchsorted(used, raw)
    return cls, [
        (float(y[cls[ok] == i].min()), float(y[cls[ok] == i].max()), int((cls[ok] == i).sum()))
        for i in range(len(used))
    ]


def ramp(n: int, higher_is_worse: bool = True) -> list[list[int]]:
    """``n`` colours of the red ramp, light to dark; dark is always the worse end (one class: the middle)."""
    if n == 1:
        return [RAMP[len(RAMP) // 2]]
    colours = [RAMP[i] for i in np.linspace(0, len(RAMP) - 1, n).round().astype(int)]
    return colours if higher_is_worse else colours[::-1]


def simplify(geoms, level: str) -> np.ndarray:
    """Simplify and round WGS-84 geometries for drawing at ``level``; never returns an empty shape
    for a non-empty input."""
    tol, decimals = LEVEL_PRECISION[level]
    geoms = np.asarray(geoms, dtype=object)
    out = shapely.simplify(geoms, tol, preserve_topology=True)
    out = shapely.set_precision(out, 10**-decimals)
    empty = shapely.is_empty(out) & ~shapely.is_empty(geoms)
    out[empty] = shapely.set_precision(geoms[empty], 10**-decimals)
    return out


def tooltip_text(*lines) -> str:
    """A tooltip as plain text lines. The deck shows tooltips as text (never parsed as HTML),
    so an imported name such as ``<img onerror=...>`` is displayed, not run."""
    return "\n".join(str(x) for x in lines)


def feature_collection(df: pd.DataFrame, geoms, properties: list[str]) -> dict:
    """GeoJSON of ``geoms`` with the chosen columns of ``df`` as properties."""
    feats = []
    for geom, (_, row) in zip(geoms, df.iterrows()):
        if geom is None or shapely.is_empty(geom):
            continue
        props = {p: (None if isinstance(row[p], float) and np.isnan(row[p]) else row[p]) for p in properties}
        feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def geoms_of(df: pd.DataFrame, level: str) -> np.ndarray:
    """The frame's WKB ``geom`` column, simplified for drawing at ``level``."""
    return simplify(shapely.from_wkb(df["geom"].map(bytes).to_numpy()), level)


def choropleth_layer(df: pd.DataFrame, level: str, layer_id: str = "units"):
    """A pickable GeoJsonLayer of the units; ``df`` has code, name, geom (WKB in WGS-84), ``fill`` (RGBA),
    ``tooltip`` (plain text) and optionally the ``value`` shown."""
    props = ["code", "name", "fill", "tooltip"] + (["value"] if "value" in df else [])
    return pdk.Layer(
        "GeoJsonLayer",
        feature_collection(df[props], geoms_of(df, level), props),
        id=layer_id,
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=[255, 255, 255, 200],
        line_width_min_pixels=0.5,
        auto_highlight=True,
    )


def outline_layer(df: pd.DataFrame, level: str, layer_id: str, colour=SCOPE_LINE, width: float = 2.5):
    """Boundaries only (not pickable): the scope strong, the level between thinner, neighbours grey."""
    d = df[["code", "name"]]
    return pdk.Layer(
        "GeoJsonLayer",
        feature_collection(d, geoms_of(df, level), ["code", "name"]),
        id=layer_id,
        pickable=False,
        stroked=True,
        filled=False,
        get_line_color=list(colour),
        line_width_min_pixels=width,
    )


def label_points(df: pd.DataFrame, level: str, zoom: float, min_px: float = 14) -> pd.DataFrame:
    """Where and how big to write each unit's name: at its representative point (inside it), sized in metres so
    that the name fits the unit's width; names smaller than ``min_px`` at ``zoom`` are left out (unreadable)."""
    geoms = geoms_of(df, level)
    keep = ~shapely.is_empty(geoms)
    geoms, names = geoms[keep], df["name"].astype(str).to_numpy()[keep]
    pts = shapely.point_on_surface(geoms)
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    minx, miny, maxx, maxy = shapely.bounds(geoms).T
    cos = np.cos(np.radians(lat))
    width_m, height_m = (maxx - minx) * 111_320 * cos, (maxy - miny) * 110_540
    chars = np.array([max(len(n), 2) for n in names])
    size_m = np.minimum(0.8 * width_m / chars, height_m / 3)
    m_per_px = 40_075_016.7 * cos / (512 * 2**zoom)
    out = pd.DataFrame({"lon": lon.round(5), "lat": lat.round(5), "text": names, "size": size_m.round(1)})
    return out[size_m / m_per_px >= min_px]


def literal(text: str) -> str:
    """A string prop as a string: pydeck sends unquoted strings as accessor expressions ("meters" would become
    ``d => d.meters``); a backquoted one loses its quotes (and any backquote inside) and stays text."""
    return "`" + text.replace("`", "") + "`"


FONT = literal('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif')
TEXT_STYLE = {  # every name on the map: Chinese fonts, a white halo (SDF glyphs)
    "font_family": FONT,
    "font_settings": {"sdf": True},
    "outline_width": 3,
    "outline_color": [255, 255, 255, 230],
}


def glyphs(texts) -> str:
    """The characters of ``texts`` for a TextLayer's font atlas (deck.gl's default holds ASCII only)."""
    return literal("".join(sorted(set("".join(map(str, texts))) | set("0123456789.%-– "))))


def label_layer(points: pd.DataFrame, layer_id: str = "labels", colour=(30, 30, 30, 255), max_px: float = 20):
    """Names with a white halo, in metres (they grow as the map is zoomed), at most ``max_px``."""
    return pdk.Layer(
        "TextLayer",
        points[["lon", "lat", "text", "size"]],
        id=layer_id,
        get_position=["lon", "lat"],
        get_text="text",
        get_size="size",
        size_units=literal("meters"),
        size_max_pixels=max_px,
        get_color=list(colour),
        character_set=glyphs(points["text"]),
        **TEXT_STYLE,
        pickable=False,
    )


def marker_layer(df: pd.DataFrame, layer_id: str = "markers"):
    """One pickable point per unit (``lon``, ``lat``, ``code``, ``fill``, ``tooltip``, ``text``), for units too
    far apart to be seen as areas; with their names and values written beside them."""
    d = df[["lon", "lat", "code", "fill", "tooltip"]].round({"lon": 5, "lat": 5})
    points = pdk.Layer(
        "ScatterplotLayer",
        d,
        id=layer_id,
        get_position=["lon", "lat"],
        get_fill_color="fill",
        get_radius=500,
        radius_min_pixels=9,
        radius_max_pixels=14,
        stroked=True,
        get_line_color=[40, 40, 40, 255],
        line_width_min_pixels=1.5,
        pickable=True,
    )
    text = pdk.Layer(
        "TextLayer",
        df[["lon", "lat", "text"]].round({"lon": 5, "lat": 5}),
        id=f"{layer_id}_text",
        get_position=["lon", "lat"],
        get_text="text",
        get_size=14,
        get_pixel_offset=[0, -22],
        get_color=[30, 30, 30, 255],
        character_set=glyphs(df["text"]),
        **TEXT_STYLE,
        pickable=False,
    )
    return [points, text]


def compound_layer(df: pd.DataFrame, relation_names: dict, layer_id: str = "compounds"):
    """Compounds outlined in the colour of how they relate to their grid (``relation_names``: the relations in
    words); outlines, so the choropleth under them keeps its legend's colours."""
    d = df[["code", "name", "grid_relation"]].copy()
    d["fill"] = [RELATION_COLOURS.get(r, NO_DATA) for r in d["grid_relation"]]
    d["tooltip"] = [tooltip_text(n, relation_names.get(r, "")) for n, r in zip(d["name"], d["grid_relation"])]
    return pdk.Layer(
        "GeoJsonLayer",
        feature_collection(d, geoms_of(df, "compound"), ["code", "name", "fill", "tooltip"]),
        id=layer_id,
        pickable=False,
        stroked=True,
        filled=False,
        get_line_color="properties.fill",
        line_width_min_pixels=2,
    )


def station_layers(df: pd.DataFrame, radius_m: float) -> list:
    """Stations as points (``lon``, ``lat``, ``tooltip``) with their walking reach as a ring: an outline, so the
    choropleth under it keeps the colours of its legend."""
    d = df[["lon", "lat"]].round(5)
    d["tooltip"] = df["tooltip"].to_numpy()
    rings = pdk.Layer(
        "ScatterplotLayer",
        d[["lon", "lat"]],
        id="station_reach",
        get_position=["lon", "lat"],
        get_radius=radius_m,
        filled=False,
        stroked=True,
        get_line_color=[46, 134, 171, 150],
        line_width_min_pixels=1,
        pickable=False,
    )
    points = pdk.Layer(
        "ScatterplotLayer",
        d,
        id="stations",
        get_position=["lon", "lat"],
        get_radius=20,
        radius_min_pixels=4,
        radius_max_pixels=9,
        get_fill_color=STATION,
        get_line_color=[255, 255, 255],
        stroked=True,
        line_width_min_pixels=1,
        pickable=True,
    )
    return [rings, points]


def plan_layer(df: pd.DataFrame, gained_label: str):
    """Candidate station sites of the "where next" planner, numbered by rank."""
    d = df[["lon", "lat"]].round(5)
    d["tooltip"] = [
        tooltip_text(f"#{r} {n}", f"{gained_label}: {g:,}")
        for r, n, g in zip(df["rank"], df["name"], df["households_gained"])
    ]
    return pdk.Layer(
        "ScatterplotLayer",
        d,
        id="plan",
        get_position=["lon", "lat"],
        get_radius=40,
        radius_min_pixels=7,
        radius_max_pixels=12,
        get_fill_color=PLAN,
        get_line_color=[60, 60, 60],
        stroked=True,
        line_width_min_pixels=2,
        pickable=True,
    )


def issue_heat_layer(df: pd.DataFrame, cell_deg: float = 0.002):
    """Issues of the period as a heat map of binned counts (≈200 m cells), not raw points."""
    d = pd.DataFrame(
        {"lon": (df["lon"] / cell_deg).round() * cell_deg, "lat": (df["lat"] / cell_deg).round() * cell_deg}
    )
    binned = d.groupby(["lon", "lat"]).size().rename("n").reset_index().round({"lon": 4, "lat": 4})
    return pdk.Layer(
        "HeatmapLayer",
        binned,
        id="issues",
        get_position=["lon", "lat"],
        get_weight="n",
        radius_pixels=30,
    )


def issue_point_layer(df: pd.DataFrame, colour=(255, 92, 92, 230)):
    """Single issues as dots (for a day's few issues, where a heat map would hide them)."""
    return pdk.Layer(
        "ScatterplotLayer",
        df[["lon", "lat"]].round(5),
        id="issue_points",
        get_position=["lon", "lat"],
        get_fill_color=list(colour),
        get_radius=40,
        radius_min_pixels=5,
        stroked=True,
        get_line_color=[255, 255, 255, 200],
        line_width_min_pixels=1,
    )


def view_of(bounds, width_px: int = 700, height_px: int = 640) -> pdk.ViewState:
    """A view fitting (minx, miny, maxx, maxy) in WGS-84 into a map of about width × height pixels.

    deck.gl's Web Mercator world is 512 px wide at zoom 0; latitude spans are stretched by 1/cos(lat).
    """
    minx, miny, maxx, maxy = bounds
    lat = np.radians((miny + maxy) / 2)
    lon_span = max(maxx - minx, 1e-4)
    lat_span = max(maxy - miny, 1e-4) / np.cos(lat)
    fit = min(width_px / lon_span, height_px / lat_span) * 360 / 512
    zoom = float(np.clip(np.log2(fit) - 0.15, 3, 17))  # a little margin
    return pdk.ViewState(longitude=(minx + maxx) / 2, latitude=(miny + maxy) / 2, zoom=zoom, pitch=0)


def basemap_style(url: str, attribution: str = "") -> dict:
    """A map style drawing one raster XYZ tile source (an intranet tile server, 天地图 with its key)."""
    if not all(k in url for k in ("{z}", "{x}", "{y}")):
        raise ValueError(f"basemap URL must contain {{z}}, {{x}} and {{y}}: {url!r}")
    return {
        "version": 8,
        "sources": {"basemap": {"type": "raster", "tiles": [url], "tileSize": 256, "attribution": attribution}},
        "layers": [{"id": "basemap", "type": "raster", "source": "basemap"}],
    }


def _shift_layer(layer, fn):
    """Convert a layer's coordinates with ``fn(lon, lat)`` (for a GCJ-02 basemap)."""
    data = layer.data
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        for feat in data["features"]:
            geom = shapely.geometry.shape(feat["geometry"])
            moved = shapely.transform(geom, lambda xy: np.column_stack(fn(xy[:, 0], xy[:, 1])))
            feat["geometry"] = shapely.geometry.mapping(shapely.set_precision(moved, 1e-5))
    elif isinstance(data, list) and data and {"lon", "lat"} <= set(data[0]):
        lon, lat = fn(np.array([r["lon"] for r in data]), np.array([r["lat"] for r in data]))
        for row, x, y in zip(data, np.round(lon, 5), np.round(lat, 5)):
            row["lon"], row["lat"] = float(x), float(y)
    return layer


def deck(layers: list, view: pdk.ViewState, basemap: dict | None = None) -> pdk.Deck:
    """The deck. Without ``basemap`` nothing is fetched: boundaries on a plain background (offline).

    ``basemap`` = {"url": XYZ template, "attribution": text, "crs": "WGS-84" or "GCJ-02"}. Data are
    stored in WGS-84; over a GCJ-02 basemap (AMap, Tencent) they are shifted to GCJ-02 to line up.
    """
    # map_provider=None with pydeck's default map_style sentinel tells Streamlit to draw no basemap
    # (an explicit map_style=None would make it fetch CARTO's style from the internet).
    d = pdk.Deck(
        layers=list(layers),
        initial_view_state=view,
        map_provider=None,
        tooltip={"text": "{tooltip}", "style": {"fontSize": "13px", "whiteSpace": "pre-line"}},
    )
    if basemap and basemap.get("url"):
        from geo.crs import normalise_crs, wgs84_to_gcj02

        if normalise_crs(basemap.get("crs") or "WGS-84") == "GCJ-02":
            for layer in d.layers:
                _shift_layer(layer, wgs84_to_gcj02)
            lon, lat = wgs84_to_gcj02(view.longitude, view.latitude)
            d.initial_view_state.longitude, d.initial_view_state.latitude = float(lon), float(lat)
        # Streamlit takes the style as a URL string: a data: URL carries it without a file or a fetch.
        style = json.dumps(basemap_style(basemap["url"], basemap.get("attribution", "")), ensure_ascii=False)
        d.map_style = "data:application/json;base64," + base64.b64encode(style.encode("utf-8")).decode("ascii")
    return d


def payload_bytes(d: pdk.Deck) -> int:
    """Size of the deck's JSON as sent to the browser."""
    return len(d.to_json().encode("utf-8"))
