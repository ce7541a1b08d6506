"""A configured XYZ basemap: tiles come from the configured server (here a tile server on loopback)."""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from tests.browser import chromium_page, free_port, open_signed_in, streamlit_server

pytestmark = pytest.mark.browser


def _tile_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 200)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture()
def tile_server():
    png, hits = _tile_png(), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}", hits
    server.shutdown()


def test_tiles_come_from_the_configured_server(engine, artifacts, tile_server):
    base, hits = tile_server
    env = {"GGC_BASEMAP_URL": f"{base}/tiles/{{z}}/{{x}}/{{y}}.png", "GGC_BASEMAP_ATTRIBUTION": "测试底图"}
    with streamlit_server(artifacts / "streamlit-basemap.log", env) as url, chromium_page() as page:
        open_signed_in(page, f"{url}/map?scope=430602")
        page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.wait_for(timeout=90_000)
        for _ in range(120):
            if hits:
                break
            page.wait_for_timeout(500)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(artifacts / "page-map-basemap.png"), full_page=True)
    tiles = [h for h in hits if re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", h)]
    assert tiles, f"no tile requested; got {hits[:5]}"
    z = {int(h.split("/")[2]) for h in tiles}
    assert min(z) >= 8  # a district view, not the whole world
