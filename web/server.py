"""The HTTP side of the dashboard (``serve.py``, an ``st.App``): the sign-in route, which checks the password as
the in-app form did (same lock-out, same audit), opens a server-side session and sets its cookie; a gate that
sends a browser without a session to it, keeping the link it asked for; the API (web.api); /healthz and
/metrics; and the headers every answer carries (web.server.Hardening).

The session cookie is HttpOnly, SameSite=Lax, Secure when the request came over HTTPS, and holds a signed
random id (data_access.sessions), never the account. The sign-in form is protected by a double-submit token:
a random value in a SameSite=Strict cookie of the sign-in path and in the form, which must agree.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboard.labels import demo_rows, text_in
from data_access import accounts, clock, sessions
from data_access import sources as fed
from data_access.engine import transaction
from data_access.settings import get_settings
from web import api, limits, openapi, telemetry

log = logging.getLogger(__name__)
SIGNIN = "/signin"
CSRF_COOKIE = "ggc_csrf"
# Paths the gate never stops: Streamlit's own (its WebSocket, static files, media, OIDC), and the sign-in page.
OPEN = (
    "/_stcore", "/static", "/component", "/media", "/app/static", "/auth", "/oauth2callback", "/favicon", SIGNIN,
    api.BASE, "/healthz", "/metrics",
)  # fmt: skip
PRIVATE = ("/media/", "/_stcore/metrics")  # Streamlit's own that tell about a session: only for a signed-in browser
_NEXT = re.compile(r"/[^\s\\]*")
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True, trim_blocks=True
)


def _next(value: str | None) -> str:
    """A path of this site to return to after signing in (never another site's: no //host, no scheme)."""
    value = (value or "/")[:2000]
    return value if _NEXT.fullmatch(value) and not value.startswith("//") else "/"


def _language(request: Request, next_url: str) -> str:
    asked = request.query_params.get("lang") or parse_qs(urlsplit(next_url).query).get("lang", ["zh"])[0]
    return "en" if asked == "en" else "zh"


def _https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def _demo_rows(language: str) -> list[tuple] | None:
    """The demo's sample accounts to list (none outside the demo); None when the store does not answer."""
    try:
        return demo_rows(language, accounts.demo_listing())
    except Exception:
        log.warning("sign-in page: the store does not answer", exc_info=True)
        return None


async def _form(request: Request, next_url: str, error="", username="", status=200, language: str | None = None):
    language = language or _language(request, next_url)
    csrf = secrets.token_urlsafe(24)
    other = "zh" if language == "en" else "en"
    demo = await run_in_threadpool(_demo_rows, language)
    if demo is None:  # the page asks again every 10 s, as the app's pages do
        error, status = text_in(language, "db_unavailable", ref=secrets.token_hex(4)), 503
    html = _templates.get_template("signin.html").render(
        t=lambda key, **kw: text_in(language, key, **kw),
        lang=language,
        other_lang_url=f"{SIGNIN}?{urlencode({'next': next_url, 'lang': other})}",
        csrf=csrf,
        next=next_url,
        error=error,
        username=username,
        demo=demo,
        retry=demo is None,
        screen_token=accounts.DEMO_SCREEN_TOKEN,
        sso=get_settings().oidc,
    )
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_https(request), path=SIGNIN)
    return response


async def signin_page(request: Request) -> Response:
    return await _form(request, _next(request.query_params.get("next")))


async def signin(request: Request) -> Response:
    """POST /signin: check the token and the password; open a session, set its cookie, go where asked."""
    wait = limits.PER_ADDRESS.retry_after(limits.address(request))
    if wait:
        return PlainTextResponse("429 too many requests", status_code=429, headers={"Retry-After": str(wait)})
    form = await request.form()
    field = {k: str(form.get(k, ""))[:256] for k in ("csrf", "next", "username", "password", "lang")}
    next_url, username = _next(field["next"]), field["username"].strip()[:64]
    language = "en" if field["lang"] == "en" else _language(request, next_url)  # the form's own language
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not field["csrf"] or not hmac.compare_digest(field["csrf"], expected):
        return await _form(request, next_url, text_in(language, "auth_csrf"), username, 403, language)
    addr = limits.address(request)
    try:
        who, why = await run_in_threadpool(accounts.login, username, field["password"], addr)
        if who is None:
            return await _form(request, next_url, text_in(language, f"auth_{why}"), username, 401, language)
        value = await run_in_threadpool(sessions.begin, who, addr, request.headers.get("user-agent", ""))
    except Exception:  # the store went away between the form and the answer
        log.warning("sign-in: the store does not answer", exc_info=True)
        return await _form(request, next_url, username=username, language=language)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        value,
        max_age=int(sessions.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_https(request),
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE, path=SIGNIN)
    return response


def _identity_cookie(request: Request) -> bool:
    """Whether the request carries Streamlit's identity cookie (OIDC) with a valid signature (a cookie merely named
    so opens nothing)."""
    from streamlit.web.server.server_util import AUTH_COOKIE_NAME, get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    value = request.cookies.get(AUTH_COOKIE_NAME)
    if not value:
        return False
    try:
        return decode_signed_value(get_cookie_secret(), AUTH_COOKIE_NAME, value.encode("latin-1")) is not None
    except Exception:  # not a value Streamlit signed
        return False


def _signed_in(request: Request) -> bool:
    """Whether the request carries an open session (raises when the store cannot be asked)."""
    cookie = request.cookies.get(sessions.COOKIE)
    return bool(cookie) and sessions.username(cookie) is not None


class SessionGate:
    """Send a page request (GET, HTML) without an open session to the sign-in page, with the link it asked for;
    answer 401 to Streamlit's media (exports) and its metrics without one.

    Let through: Streamlit's own paths, a wall screen's token link, the organisation's sign-in (``sso=1``, or
    Streamlit's identity cookie), and every request when the store cannot be asked (the page then says
    数据库暂不可用 and retries by itself)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        path = scope["path"]
        private = path.startswith(PRIVATE)
        if path.startswith(OPEN) and not private:
            return await self.app(scope, receive, send)
        request = Request(scope)
        passes = _identity_cookie(request) or (
            not private
            and (
                "text/html" not in request.headers.get("accept", "")
                or request.query_params.get("token")
                or request.query_params.get("sso")
            )
        )
        cookie = request.cookies.get(sessions.COOKIE)
        if not passes and cookie:
            try:
                passes = await run_in_threadpool(_signed_in, request)
            except Exception:
                log.warning("session gate: the store could not be asked; letting the page say so", exc_info=True)
                passes = not private
        if passes:
            return await self.app(scope, receive, send)
        if private:
            return await PlainTextResponse("401 sign in first", status_code=401)(scope, receive, send)
        asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"{SIGNIN}?{urlencode({'next': asked})}", status_code=303)
        if cookie:
            response.delete_cookie(sessions.COOKIE, path="/")
        await response(scope, receive, send)


# Hardening and request logs ---------------------------------------------------------------------------------

FRAME_ANCESTORS = get_settings().frame_ancestors  # origins that may embed the app (a wall screen's portal)
_http_log = logging.getLogger("ggc.http")
_QUIET = ("/static/", "/_stcore/", "/component/", "/app/static/", "/favicon")  # not logged: assets and the socket
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def security_headers(https: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": " ".join(
            ["frame-ancestors 'self'", *FRAME_ANCESTORS]
        ) + "; object-src 'none'; base-uri 'self'; form-action 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }  # fmt: skip
    if not FRAME_ANCESTORS:
        headers["X-Frame-Options"] = "SAMEORIGIN"  # the same, for browsers that read no CSP
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


class Hardening:
    """Every HTTP answer carries the security headers and a request id (X-Request-ID: the caller's, or a new
    one); every request but assets is logged as one JSON line (request id, session, method, path, status, ms)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        asked = request.headers.get("x-request-id", "")
        request_id = asked if _REQUEST_ID.fullmatch(asked) else secrets.token_hex(8)
        extra = {**security_headers(_https(request)), "X-Request-ID": request_id}
        started, status = time.perf_counter(), [0]

        async def sending(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = MutableHeaders(scope=message)
                for key, value in extra.items():
                    if key not in headers:
                        headers[key] = value
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if not scope["path"].startswith(_QUIET):
                _http_log.info(json.dumps({
                    "request_id": request_id,
                    "session": sessions.log_id(request.cookies.get(sessions.COOKIE)),
                    "method": scope["method"], "path": scope["path"], "status": status[0],
                    "ms": round(1000 * (time.perf_counter() - started), 1), "addr": limits.address(request),
                }))  # fmt: skip


# Operations ---------------------------------------------------------------------------------------------------


def _health() -> dict:
    with transaction("", "", "") as conn:
        revision, version, changed = conn.execute(sa.text("SELECT * FROM ggc_health()")).one()
        sources = fed.freshness(conn)
    changed = clock.local(datetime.fromisoformat(changed)) if changed else None
    age = round((clock.now() - changed).total_seconds()) if changed else None
    delivered = [
        {"name": r.name, "label": r.label, "overdue": bool(r.overdue), "expected_minutes": int(r.expected_minutes),
         "last_delivery_at": clock.aware(r.last_delivery_at).isoformat() if clock.local(r.last_delivery_at) else None}
        for r in sources.itertuples()
    ]  # fmt: skip
    return {"status": "ok", "schema_revision": revision, "data_version": version or 0,
            "data_changed_at": changed.isoformat() if changed else None, "data_age_s": age,
            "sources": delivered}  # fmt: skip


async def healthz(request: Request) -> Response:
    """200 and the store's state when it answers; 503 when it does not (a load balancer takes the process out)."""
    try:
        body = await run_in_threadpool(_health)
    except Exception as exc:
        log.warning("healthz: the store does not answer: %s", exc.__class__.__name__)
        return JSONResponse({"status": "unavailable", "reason": "the store does not answer"}, status_code=503,
                            headers={"Cache-Control": "no-store"})  # fmt: skip
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def metrics(request: Request) -> Response:
    """Prometheus text, to this machine (a scraper beside it, or behind the proxy on it) or an admin's token."""
    if not accounts.is_loopback(limits.address(request)):
        try:
            who, _ = await run_in_threadpool(api.principal, request)
        except api.Problem as problem:
            return problem.response()
        if not who.is_admin:
            return api.Problem(403, "admins_only", "metrics are for an admin's token or this machine").response()
    body = await run_in_threadpool(telemetry.text)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


def warm() -> None:
    """What the first request would otherwise wait for: the store's connections and signing key, the API's modules
    of figures, jieba's dictionary (the words of /issues) and mapclassify's compiled Fisher-Jenks (numba, ≈ 2 s).
    Run in a thread at start; failures only logged. Then everything alive is frozen out of the garbage collector:
    its full collections no longer walk jieba's 350,000 words and the modules (the collection Streamlit runs after
    every script run is off, .streamlit/config.toml: it took a third of a rerun's CPU)."""
    import gc

    from data_access import words
    from data_access.engine import _signing_key

    try:
        _signing_key()
        with transaction("", "", "") as conn:
            conn.execute(sa.text("SELECT ggc_health()"))
    except Exception:
        log.warning("warm-up: the store does not answer yet", exc_info=True)
    words.warm()
    try:
        import mapclassify  # noqa: F401 (compiles its Fisher-Jenks)
    except Exception:
        log.warning("warm-up: mapclassify did not load", exc_info=True)
    gc.collect()
    gc.freeze()


ROUTES = [
    Route(SIGNIN, signin_page, methods=["GET"]),
    Route(SIGNIN, signin, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    *api.ROUTES,
    openapi.ROUTE,
    api.FALLBACK,
]
MIDDLEWARE = [Middleware(Hardening), Middleware(SessionGate)]
