"""The HTTP side of the dashboard (``serve.py``, an ``st.App``): the sign-in route, which checks the password as
the in-app form did (same lock-out, same audit), opens a server-side session and sets its cookie; and a gate
that sends a browser without a session to it, keeping the link it asked for.

The session cookie is HttpOnly, SameSite=Lax, Secure when the request came over HTTPS, and holds a signed
random id (data_access.sessions), never the account. The sign-in form is protected by a double-submit token:
a random value in a SameSite=Strict cookie of the sign-in path and in the form, which must agree.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboard import auth
from dashboard.i18n import text_in
from data_access import accounts, sessions

log = logging.getLogger(__name__)
SIGNIN = "/signin"
CSRF_COOKIE = "ggc_csrf"
# Paths the gate never stops: Streamlit's own (its WebSocket, static files, media, OIDC), and the sign-in page.
OPEN = ("/_stcore", "/static", "/component", "/media", "/app/static", "/auth", "/oauth2callback", "/favicon", SIGNIN)
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


def _address(request: Request) -> str:
    return accounts.client_address(
        request.client.host if request.client else "", request.headers.get("x-forwarded-for")
    )


def _demo_rows(language: str) -> list[tuple] | None:
    """The demo's sample accounts to list (none outside the demo); None when the store does not answer."""
    try:
        return auth.demo_accounts(language)
    except Exception:
        log.warning("sign-in page: the store does not answer", exc_info=True)
        return None


async def _form(request: Request, next_url: str, error: str = "", username: str = "", status: int = 200):
    language = _language(request, next_url)
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
        sso=auth.oidc_configured(),
    )
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_https(request), path=SIGNIN)
    return response


async def signin_page(request: Request) -> Response:
    return await _form(request, _next(request.query_params.get("next")))


async def signin(request: Request) -> Response:
    """POST /signin: check the token and the password; open a session, set its cookie, go where asked."""
    form = await request.form()
    field = {k: str(form.get(k, ""))[:256] for k in ("csrf", "next", "username", "password")}
    next_url, username = _next(field["next"]), field["username"].strip()[:64]
    language = _language(request, next_url)
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not field["csrf"] or not hmac.compare_digest(field["csrf"], expected):
        return await _form(request, next_url, text_in(language, "auth_csrf"), username, status=403)
    addr = _address(request)
    try:
        who, why = await run_in_threadpool(accounts.login, username, field["password"], addr)
        if who is None:
            return await _form(request, next_url, text_in(language, f"auth_{why}"), username, status=401)
        value = await run_in_threadpool(sessions.begin, who, addr, request.headers.get("user-agent", ""))
    except Exception:  # the store went away between the form and the answer
        log.warning("sign-in: the store does not answer", exc_info=True)
        return await _form(request, next_url, username=username)
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


class SessionGate:
    """Send a page request (GET, HTML) without an open session to the sign-in page, with the link it asked for.

    Let through: Streamlit's own paths, a wall screen's token link, the organisation's sign-in (``sso=1``, or
    Streamlit's identity cookie), and every request when the store cannot be asked (the page then says
    数据库暂不可用 and retries by itself)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(OPEN):
            return await self.app(scope, receive, send)
        request = Request(scope)
        passes = (
            "text/html" not in request.headers.get("accept", "")
            or request.query_params.get("token")
            or request.query_params.get("sso")
            or "_streamlit_user" in request.cookies
        )
        cookie = request.cookies.get(sessions.COOKIE)
        if not passes and cookie:
            try:
                passes = await run_in_threadpool(sessions.username, cookie) is not None
            except Exception:
                log.warning("session gate: the store could not be asked; letting the page say so", exc_info=True)
                passes = True
        if passes:
            return await self.app(scope, receive, send)
        asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"{SIGNIN}?{urlencode({'next': asked})}", status_code=303)
        if cookie:
            response.delete_cookie(sessions.COOKIE, path="/")
        await response(scope, receive, send)


ROUTES = [Route(SIGNIN, signin_page, methods=["GET"]), Route(SIGNIN, signin, methods=["POST"])]
MIDDLEWARE = [Middleware(SessionGate)]
