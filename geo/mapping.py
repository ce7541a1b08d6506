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
RELATION_COLOURS = {"same": [46, 134, 171, 190], "larger": [242, 169, 0, 190], "smaller": [76, 159, 112, 190]}


def quantile_classes(values, k: int = 5) -> tuple[np.ndarray, list[float]]:
    """Class index (0..k-1, -1 for missing) of each value by quantiles, and the upper bounds."""
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not ok.any():
        return np.full(len(v), -1), []
    bounds = list(np.unique(np.quantile(v[ok], np.linspace(0, 1, k + 1)[1:])))
    cls = np.full(len(v), -1)
    cls[ok] = np.searchsorted(bounds, v[ok], side="left")
    return np.minimum(cls, len(bounds) - 1), bounds


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


def _metric_line(label: str, value) -> str:
    return f"{label}: {'—' if value is None or value != value else f'{value:,.1f}'}"


def feature_collection(df: pd.DataFrame, geoms, properties: list[str]) -> dict:
    """GeoJSON of ``geoms`` with the chosen columns of ``df`` as properties."""
    feats = []
    for geom, (_, row) in zip(geoms, df.iterrows()):
        if geom is None or shapely.is_empty(geom):
            continue
        props = {p: (None if isinstance(row[p], float) and np.isnan(row[p]) else row[p]) for p in properties}
        feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def choropleth_layer(df: pd.DataFrame, level: str, value: str, metric_label: str, layer_id: str) -> tuple:
    """A pickable GeoJsonLayer coloured by quantile class of ``value``; returns (layer, legend rows).

    ``df`` has columns code, name, geom (WKB in WGS-84) and ``value``.
    """
    geoms = simplify(shapely.from_wkb(df["geom"].map(bytes).to_numpy()), level)
    cls, bounds = quantile_classes(df[value].to_numpy(dtype=float), len(RAMP))
    d = df[["code", "name", value]].copy()
    d["fill"] = [RAMP[c] if c >= 0 else NO_DATA for c in cls]
    d["tooltip"] = [
        tooltip_text(n, c, _metric_line(metric_label, v)) for n, c, v in zip(d["name"], d["code"], d[value])
    ]
    d["value"] = d[value].astype(float).round(2)
    data = feature_collection(d, geoms, ["code", "name", "value", "fill", "tooltip"])
    layer = pdk.Layer(
        "GeoJsonLayer",
        data,
        id=layer_id,
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=[80, 80, 80, 220],
        line_width_min_pixels=1,
        auto_highlight=True,
    )
    lows = [None, *bounds[:-1]]
    legend = [{"colour": RAMP[i], "from": lo, "to": hi} for i, (lo, hi) in enumerate(zip(lows, bounds))]
    return layer, legend


def outline_layer(df: pd.DataFrame, level: str, layer_id: str):
    geoms = simplify(shapely.from_wkb(df["geom"].map(bytes).to_numpy()), level)
    d = df[["code", "name"]].assign(tooltip=[tooltip_text(n, c) for n, c in zip(df["name"], df["code"])])
    return pdk.Layer(
        "GeoJsonLayer",
        feature_collection(d, geoms, ["code", "name", "tooltip"]),
        id=layer_id,
        pickable=False,
        stroked=True,
        filled=False,
        get_line_color=[30, 30, 30, 255],
        line_width_min_pixels=2,
    )


def compound_layer(df: pd.DataFrame, layer_id: str = "compounds"):
    geoms = simplify(shapely.from_wkb(df["geom"].map(bytes).to_numpy()), "compound")
    d = df[["code", "name", "grid_relation"]].copy()
    d["fill"] = [RELATION_COLOURS.get(r, NO_DATA) for r in d["grid_relation"]]
    d["tooltip"] = [tooltip_text(n, r) for n, r in zip(d["name"], d["grid_relation"])]
    return pdk.Layer(
        "GeoJsonLayer",
        feature_collection(d, geoms, ["code", "name", "fill", "tooltip"]),
        id=layer_id,
        pickable=False,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=[60, 60, 60, 200],
        line_width_min_pixels=1,
    )


def station_layers(df: pd.DataFrame, radius_m: float) -> list:
    """Stations as points with their walking-coverage circles."""
    d = df[["lon", "lat"]].round(5)
    d["tooltip"] = [tooltip_text(n, t) for n, t in zip(df["name"], df["type"])]
    circles = pdk.Layer(
        "ScatterplotLayer",
        d[["lon", "lat"]],
        id="station_reach",
        get_position=["lon", "lat"],
        get_radius=radius_m,
        get_fill_color=[46, 134, 171, 40],
        stroked=False,
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
        get_fill_color=[46, 134, 171, 255],
        get_line_color=[255, 255, 255],
        stroked=True,
        line_width_min_pixels=1,
        pickable=True,
    )
    return [circles, points]


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
        get_fill_color=[242, 169, 0, 255],
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


def legend_json(legend: list[dict]) -> str:
    return json.dumps(legend)
