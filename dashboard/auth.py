"""Signing in and out: local accounts, an identity provider (st.login, OIDC) when one is configured,
and wall-screen tokens. The account is read again on every interaction, so a disabled account loses
access at its next click. Who sees what is enforced by Postgres (data_access.engine, migration 0004); this module only
decides who the session is."""

from __future__ import annotations

import html
import logging
import os
from contextlib import contextmanager
from urllib.parse import urlencode, urlsplit

import pandas as pd
import streamlit as st

from dashboard.i18n import lang, t
from dashboard.labels import demo_rows
from dashboard.safe import md
from data_access import accounts, sessions
from data_access.engine import Principal, transaction_as
from data_access.settings import get_settings

log = logging.getLogger(__name__)
KEY = "auth_user"  # the signed-in username in st.session_state (the only thing the session keeps)
OIDC_REFUSED = "oidc_refused"  # the e-mail an identity provider signed in that no account here has
OIDC_SIGN_OUT = "oidc_sign_out"  # signed out here; the provider's session still to end (st.logout's redirect)


def session_cookie() -> str | None:
    """The session cookie of this browser (set by /signin), if any."""
    cookie = st.context.cookies.get(sessions.COOKIE)
    return cookie if isinstance(cookie, str) and cookie else None  # AppTest has no real cookies


def principal() -> Principal | None:
    """The signed-in account, or None (this run must not read data)."""
    return st.session_state.get("principal")


def _resolve() -> Principal | None:
    token = st.query_params.get("token")
    if token:  # a wall screen: the token names a screen account, every time
        who = accounts.screen_login(token)
        if who is None:
            log.warning("wall screen: a token that names no enabled screen account")
        elif st.session_state.get(KEY) != who.username:  # audit a screen's first sign-in, not every tick
            accounts.log_event(who, "login", method="token")
            st.session_state[KEY] = who.username
        return who
    cookie = session_cookie()
    if cookie:  # signed in through /signin (serve.py): the session decides, on every run
        username = sessions.username(cookie)
        if username:
            return accounts.current(username)
        if not st.session_state.get(KEY):
            return None
    username = st.session_state.get(KEY)
    if username:
        who = accounts.current(username)
        if who is None:  # disabled or removed since the last click
            st.session_state.pop(KEY, None)
        return who
    if get_settings().oidc and st.user.is_logged_in:
        # The provider's e-mail, unless it says the address is unverified; refused once per browser session
        # (not audited again on every click), asked again after a reload (an admin may have opened it since).
        email = str(st.user.get("email") or "")
        if st.session_state.get(OIDC_REFUSED) == email:
            return None
        verified = st.user.get("email_verified") not in (False, "false")
        who = accounts.oidc_login(email) if email and verified else None
        if who is None:
            st.session_state[OIDC_REFUSED] = email
            return None
        st.session_state[KEY] = who.username
        return who
    return None


def _end_provider_session() -> None:
    """Send the browser to the provider to end its session too, and stop the run. st.logout's redirect is lost
    when a rerun follows before it reached the browser (Streamlit clears the queue: st.rerun after it, or a click
    while the page still loads), so the mark stays and every run of this session sends it again until the
    browser has left (a session whose browser never follows stays on an empty page until it reloads, which
    starts a new session)."""
    if st.session_state.get(OIDC_SIGN_OUT):
        st.logout()
        st.stop()


def resolve() -> Principal | None:
    """Who this session is, read again on every run (None: nobody; show ``sign_in_page``)."""
    _end_provider_session()
    who = _resolve()
    st.session_state["principal"] = who
    return who


def client_address() -> str:
    """The browser's address: behind a proxy on this machine (nginx) the last address it forwards."""
    return accounts.client_address(st.context.ip_address, st.context.headers.get("X-Forwarded-For", ""))


def web() -> bool:
    """Served by serve.py: signing in happens on /signin, which sets the session cookie."""
    return os.environ.get("GGC_WEB") == "1"


def sign_in_page() -> None:
    st.title(t("app_title"))
    if st.query_params.get("token"):
        st.error(t("screen_token_bad"))
        return
    refused = st.session_state.get(OIDC_REFUSED)
    if refused is not None:  # the provider said who, and no account here is theirs
        st.error(t("auth_oidc_unknown", email=md(refused) or "—"))
        st.button(t("sign_in_other"), on_click=st.logout)
        return
    if web() and st.query_params.get("sso") and get_settings().oidc:  # /signin's 单位统一身份 link: straight there
        st.login()
    if web() and not st.query_params.get("sso"):  # the session ended in this tab (signed out, expired, ended)
        st.info(t("session_ended"))
        here = urlsplit(st.context.url or "/")
        asked = here.path + (f"?{here.query}" if here.query else "")
        link = html.escape(f"/signin?{urlencode({'next': asked})}")  # in this tab (st.link_button opens another)
        st.html(
            f'<a href="{link}" target="_self" style="display: inline-block; padding: 0.45rem 1rem; border-radius: '
            f'0.5rem; background: #c8102e; color: #fff; text-decoration: none">{html.escape(t("sign_in_again"))}</a>'
        )
        return
    reason = st.session_state.pop("auth_error", "")
    if reason:
        st.error(t(f"auth_{reason}"))
    left, right = st.columns([1, 1])
    with left.form("sign_in"):
        st.subheader(t("sign_in"))
        username = st.text_input(t("username"), key="sign_in_user")
        password = st.text_input(t("password"), type="password", key="sign_in_password")
        if st.form_submit_button(t("sign_in"), type="primary"):
            who, why = accounts.login(username.strip(), password, client_address())
            if who is None:
                st.session_state["auth_error"] = why
            else:
                st.session_state[KEY] = who.username
            st.rerun()
    if get_settings().oidc:
        left.button(t("sign_in_oidc"), on_click=st.login)
    rows = demo_rows(lang(), accounts.demo_listing())
    if rows:
        right.warning(t("demo_mode"))
        right.dataframe(
            pd.DataFrame(rows, columns=[t("username"), t("password"), t("role"), t("area")]), hide_index=True
        )
        right.caption(t("demo_screen", token=accounts.DEMO_SCREEN_TOKEN))


def account_box(who: Principal) -> None:
    """Sidebar: who is signed in, a password change and signing out."""
    st.caption(t("signed_in_as", name=who.display_name or who.username, role=t(f"role_{who.role}")))
    if who.role == "screen":
        return
    with st.expander(t("change_password")):
        with st.form("password", clear_on_submit=True):
            old = st.text_input(t("password_old"), type="password")
            new = st.text_input(t("password_new"), type="password")
            again = st.text_input(t("password_again"), type="password")
            if st.form_submit_button(t("change_password")):
                why = "mismatch" if new != again else accounts.change_password(who, old, new)
                if why == "mismatch":
                    st.error(t("password_mismatch"))
                elif why:
                    st.error(t(f"password_{why}"))
                else:  # the account's other sessions end (a trigger); this one stays
                    sessions.keep(who, session_cookie())
                    st.success(t("password_changed"))
    if st.button(t("sign_out")):
        sign_out(who)


def sign_out(who: Principal) -> None:
    sessions.end(session_cookie())  # every tab of this browser: at its next click
    accounts.log_event(who, "logout")
    st.session_state.pop(KEY, None)
    st.session_state.pop("principal", None)
    if get_settings().oidc and st.user.is_logged_in:
        st.session_state[OIDC_SIGN_OUT] = True
        _end_provider_session()
    st.rerun()


def audit(event: str, **detail) -> None:
    """Audit an action of the signed-in user (exports, imports)."""
    who = principal()
    if who is not None:
        accounts.log_event(who, event, **detail)


@contextmanager
def admin_connection():
    """A transaction on the app engine as the signed-in admin (account changes, the audit log)."""
    who = principal()
    if who is None or not who.is_admin:
        raise PermissionError("admins only")
    with transaction_as(who) as conn:
        yield conn
