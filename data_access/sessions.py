"""Signed-in browsers (user_session, migration 0015): opened by the sign-in route, found by the cookie on every
script run, ended by signing out, by an admin, by a change of the account, or by time.

The cookie holds a random id and its signature (``id.signature``, HMAC-SHA256 with the store's context key),
never the account: a forged or altered cookie is refused before the store is asked, and the store keeps only
the id's SHA-256, so a copy of the table opens nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import pandas as pd
import sqlalchemy as sa

from data_access.engine import Principal, _signing_key, transaction, transaction_as
from data_access.settings import get_settings

COOKIE = "ggc_session"
IDLE = timedelta(hours=get_settings().session_idle_hours)
LIFETIME = timedelta(days=get_settings().session_days)


def _signature(session_id: str) -> str:
    return hmac.new(_signing_key(), f"session|{session_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _id_of(cookie: str | None) -> str | None:
    """The session id a cookie carries when its signature holds, else None."""
    session_id, _, signature = (cookie or "").partition(".")
    if not session_id or len(session_id) > 64 or not hmac.compare_digest(signature, _signature(session_id)):
        return None
    return session_id


def log_id(cookie: str | None) -> str | None:
    """What logs name a session by: the start of its stored hash, as /admin lists it (never the secret)."""
    session_id = (cookie or "").partition(".")[0]
    return _hash(session_id)[:12] if session_id else None


def begin(who: Principal, addr: str = "", user_agent: str = "") -> str:
    """Open a session for ``who`` (just signed in) and return the cookie's value."""
    session_id = secrets.token_urlsafe(32)
    with transaction_as(who) as conn:
        conn.execute(
            sa.text(
                "INSERT INTO user_session (id_hash, username, expires_at, client_addr, user_agent) "
                "VALUES (:h, :u, now() + :life, :a, :ua)"
            ),
            {"h": _hash(session_id), "u": who.username, "life": LIFETIME, "a": addr[:64], "ua": user_agent[:300]},
        )
    return f"{session_id}.{_signature(session_id)}"


def username(cookie: str | None) -> str | None:
    """The account of the open session ``cookie`` names (None: no cookie, forged, ended, expired or idle)."""
    session_id = _id_of(cookie)
    if session_id is None:
        return None
    with transaction("", "", "") as conn:
        return conn.execute(
            sa.text("SELECT ggc_session_user(:h, :idle)"), {"h": _hash(session_id), "idle": IDLE}
        ).scalar()


def end(cookie: str | None) -> str | None:
    """End the session ``cookie`` names (signing out: every tab of it); the account it was, or None."""
    session_id = _id_of(cookie)
    if session_id is None:
        return None
    with transaction("", "", "") as conn:
        return conn.execute(sa.text("SELECT ggc_end_session(:h)"), {"h": _hash(session_id)}).scalar()


def keep(who: Principal, cookie: str | None) -> None:
    """Reopen ``who``'s own session ``cookie`` after a change of its own that ended them all (a new password)."""
    session_id = _id_of(cookie)
    if session_id is None:
        return
    with transaction_as(who) as conn:
        conn.execute(
            sa.text(
                "UPDATE user_session SET ended_at = NULL, end_reason = NULL "
                "WHERE id_hash = :h AND username = :u AND end_reason = 'account_changed'"
            ),
            {"h": _hash(session_id), "u": who.username},
        )


def active(conn) -> pd.DataFrame:
    """The open sessions (an admin's transaction): who, from where, since when, last seen, until when."""
    sql = """
        SELECT left(id_hash, 12) AS session, username, client_addr, user_agent, created_at, last_seen_at, expires_at
        FROM user_session WHERE ended_at IS NULL AND expires_at > now() AND last_seen_at > now() - :idle
        ORDER BY last_seen_at DESC
    """
    return pd.read_sql_query(sa.text(sql), conn, params={"idle": IDLE})


def end_by_admin(conn, session: str) -> int:
    """End the open session whose hash starts with ``session`` (as listed by :func:`active`), in an admin's
    transaction; the number ended (0 or 1)."""
    return conn.execute(
        sa.text(
            "UPDATE user_session SET ended_at = now(), end_reason = 'ended_by_admin' "
            "WHERE left(id_hash, 12) = :s AND ended_at IS NULL"
        ),
        {"s": session},
    ).rowcount


def open_count() -> int:
    """How many sessions are open, of every account (/metrics)."""
    with transaction("", "", "") as conn:
        return conn.execute(sa.text("SELECT ggc_open_sessions(:idle)"), {"idle": IDLE}).scalar()
