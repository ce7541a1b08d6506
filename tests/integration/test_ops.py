"""Operations and HTTP hardening (issue 18): /healthz through a store that goes away and comes back, /metrics as
Prometheus text, the headers of every answer, a foreign page that cannot frame the app, the per-address and
per-token throttles, and Streamlit's own paths that tell about a session closed to a browser without one."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from data_access import sessions, tokens
from data_access.engine import get_engine
from data_access.settings import get_settings
from tests.browser import DEMO_PASSWORDS, chromium_page, open_signed_in, streamlit_server


class StoreProxy:
    """A TCP door to the store's Unix socket that the test can shut (every connection cut, new ones closed at
    once: what a stopped Postgres looks like to a client) and open again."""

    def __init__(self, socket_path: str):
        self.path, self.open, self.pairs = socket_path, True, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.path)
            self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def shut(self):
        self.open = False
        for pair in self.pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.pairs = []

    def close(self):
        self.shut()
        self.listener.close()


def test_health_says_503_while_the_store_is_down_and_200_unattended_when_it_is_back(engine, artifacts):
    url = get_engine().url
    if not get_settings().embedded:
        pytest.fail("this test reaches the embedded store's socket; run it with the embedded store")
    proxy = StoreProxy(f"{url.query['host']}/.s.PGSQL.{url.port or 5432}")
    through = url.set(host="127.0.0.1", port=proxy.port, query={}).render_as_string(hide_password=False)
    env = {"DATABASE_URL": through, "GGC_CONNECT_TIMEOUT_S": "2"}
    try:
        with streamlit_server(artifacts / "streamlit-health.log", env) as app:
            healthy = requests.get(f"{app}/healthz", timeout=10)
            assert healthy.status_code == 200, healthy.text
            body = healthy.json()
            with engine.connect() as conn:
                revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            assert body["status"] == "ok" and body["schema_revision"] == revision and body["data_version"] >= 0
            proxy.shut()
            started = time.monotonic()
            down = requests.get(f"{app}/healthz", timeout=30)
            assert down.status_code == 503 and down.json()["status"] == "unavailable"
            assert time.monotonic() - started < 10 and "Traceback" not in down.text
            proxy.open = True  # back: the next probe finds it without a restart
            deadline = time.monotonic() + 30
            while (back := requests.get(f"{app}/healthz", timeout=30)).status_code != 200:
                assert time.monotonic() < deadline, back.text
                time.sleep(0.5)
            assert back.json()["schema_revision"] == revision
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def app(artifacts):
    limits = {"GGC_THROTTLE_PER_MIN": "40", "GGC_API_RATE_PER_MIN": "12"}
    with streamlit_server(artifacts / "streamlit-ops.log", limits) as url:
        yield url


@pytest.fixture(scope="module")
def admin_token(engine):
    with engine.begin() as conn:
        token = tokens.issue(conn, "admin", "ops-test", "admin")
    yield token
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_token SET revoked_at = now() WHERE label = 'ops-test'"))


def test_every_answer_carries_the_security_headers_and_a_request_id(app):
    for path in ("/signin", "/healthz", "/api/v1/openapi.json", "/_stcore/health", "/"):
        answer = requests.get(f"{app}{path}", timeout=30, allow_redirects=False)
        h = answer.headers
        assert "frame-ancestors 'self'" in h["content-security-policy"], path
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "same-origin", path
        assert h["x-frame-options"] == "SAMEORIGIN" and len(h["x-request-id"]) == 16, path
        assert "strict-transport-security" not in h  # plain HTTP: no HSTS
    behind_tls = requests.get(
        f"{app}/healthz", headers={"X-Forwarded-Proto": "https", "X-Request-ID": "trace-me-1234"}, timeout=30
    )
    assert behind_tls.headers["strict-transport-security"].startswith("max-age=")
    assert behind_tls.headers["x-request-id"] == "trace-me-1234"  # the proxy's id, kept for the logs


def test_a_foreign_page_cannot_frame_the_app(app, artifacts):
    """The sign-in page in an iframe: shown inside a page of the app's own origin, refused inside another's."""
    frame_it = f"""() => new Promise(done => {{ const f = document.createElement('iframe');
        f.src = '{app}/signin'; f.width = 800; f.height = 500; f.onload = () => done(true);
        document.body.appendChild(f); }})"""
    seen = {}
    with chromium_page() as page:
        for origin, url in (("own", f"{app}/healthz"), ("foreign", "data:text/html,<body>a foreign page</body>")):
            page.goto(url)
            page.evaluate(frame_it)
            page.wait_for_timeout(1500)
            frame = page.frames[-1]
            seen[origin] = frame.evaluate("() => document.body ? document.body.innerText : ''")
            page.screenshot(path=str(artifacts / f"framed-by-{origin}-page.png"))
    assert "密码" in seen["own"], seen  # the form, framed by the app itself
    assert "密码" not in seen["foreign"], seen


def test_metrics_are_prometheus_text_and_count_what_happened(app, admin_token):
    def scrape(**kw):
        answer = requests.get(f"{app}/metrics", timeout=30, **kw)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text)
            for s in family.samples
        }

    before = scrape()
    auth = {"Authorization": f"Bearer {admin_token}"}
    requests.get(f"{app}/api/v1/indicators", params={"scope": "430602"}, headers=auth, timeout=60)
    requests.get(f"{app}/api/v1/indicators", params={"scope": "43"}, headers=auth, timeout=60)
    after = scrape()

    def count(samples, status):
        return samples.get(("ggc_api_requests_total", (("endpoint", "indicators"), ("status", status))), 0)

    assert count(after, "200") == count(before, "200") + 1 and count(after, "400") == count(before, "400") + 1
    names = {name for name, _ in after}
    assert {"ggc_sessions_open", "ggc_db_pool_in_use", "ggc_page_reads_total"} <= names
    # From elsewhere than this machine: only with an admin's token (X-Forwarded-For as a proxy on it sets it).
    remote = {"X-Forwarded-For": "203.0.113.9"}
    assert requests.get(f"{app}/metrics", headers=remote, timeout=30).status_code == 401
    assert scrape(headers={**remote, **auth})


def test_a_page_drawn_in_a_browser_is_counted_by_page_with_its_duration(app):
    with chromium_page() as page:
        open_signed_in(page, f"{app}/organization?scope=430602")
        page.locator("[data-testid='stMetric']").first.wait_for(timeout=90_000)
    text = requests.get(f"{app}/metrics", timeout=30).text
    runs = {
        s.labels["page"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "ggc_script_run_seconds_count"
    }
    assert runs.get("organization", 0) >= 1, runs


def test_the_api_turns_a_token_away_past_its_rate_with_retry_after(app, engine):
    with engine.begin() as conn:
        token = tokens.issue(conn, "street", "ops-rate", "admin")
    auth = {"Authorization": f"Bearer {token}"}
    codes = [requests.get(f"{app}/api/v1/openapi.json", timeout=30).status_code]  # not counted: no token needed
    codes += [requests.get(f"{app}/api/v1/units", headers=auth, timeout=60).status_code for _ in range(13)]
    assert codes[:13] == [200] * 13 and codes[13] == 429
    last = requests.get(f"{app}/api/v1/units", headers=auth, timeout=60)
    assert last.status_code == 429 and 1 <= int(last.headers["retry-after"]) <= 60
    assert last.json()["error"]["code"] == "too_many_requests"


def test_sign_in_posts_from_one_address_are_throttled(app):
    address = {"X-Forwarded-For": "198.51.100.7"}  # an address of its own: the other tests keep theirs
    codes = [
        requests.post(f"{app}/signin", data={"username": "x", "password": "y"}, headers=address, timeout=30).status_code
        for _ in range(41)
    ]
    assert set(codes[:40]) == {403} and codes[40] == 429  # 403: no CSRF token; the 41st is not even read


def test_streamlit_media_and_metrics_need_a_session(app, engine):
    for path in ("/_stcore/metrics", "/media/0123456789abcdef.csv"):
        assert requests.get(f"{app}{path}", timeout=30).status_code == 401, path
        forged = {"Cookie": "_streamlit_user=eyJlbWFpbCI6ICJ4In0=|1|x"}  # named like Streamlit's, not signed by it
        assert requests.get(f"{app}{path}", headers=forged, timeout=30).status_code == 401, path
    with requests.Session() as browser:
        form = browser.get(f"{app}/signin", timeout=30)
        csrf = form.cookies.get("ggc_csrf")
        browser.post(
            f"{app}/signin",
            data={"csrf": csrf, "next": "/", "username": "district", "password": DEMO_PASSWORDS["district"]},
            timeout=60,
            allow_redirects=False,
        )
        assert sessions.username(browser.cookies.get(sessions.COOKIE)) == "district"
        assert browser.get(f"{app}/_stcore/metrics", timeout=30).status_code == 200
        assert browser.get(f"{app}/media/0123456789abcdef.csv", timeout=30).status_code == 404  # past the gate
