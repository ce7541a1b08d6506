"""API tokens (api_token, migration 0017): issued by an admin to one account, shown once, kept as a SHA-256,
revocable; /api/v1/ reads as the account a token names (its role and area, the same row-level security as its
pages). A token is ``ggc_`` and 40 random URL-safe characters."""

from __future__ import annotations

import hashlib
import re
import secrets

import pandas as pd
import sqlalchemy as sa

from data_access.engine import transaction

PREFIX = "ggc_"
_SHAPE = re.compile(r"ggc_[A-Za-z0-9_-]{40}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(conn, username: str, label: str, by: str) -> str:
    """A new token for ``username`` (in an admin's transaction); the token itself, which is never stored."""
    token = PREFIX + secrets.token_urlsafe(30)
    conn.execute(
        sa.text("INSERT INTO api_token (token_hash, username, label, created_by) VALUES (:h, :u, :l, :b)"),
        {"h": _hash(token), "u": username, "l": label.strip()[:100], "b": by},
    )
    return token


def revoke(conn, token_id: int) -> int:
    """Revoke a token by its id (an admin's transaction); the number revoked (0 or 1)."""
    return conn.execute(
        sa.text("UPDATE api_token SET revoked_at = now() WHERE id = :i AND revoked_at IS NULL"), {"i": token_id}
    ).rowcount


def listing(conn) -> pd.DataFrame:
    """Every token the transaction's account may see (an admin: all), newest first."""
    sql = """
        SELECT id, username, label, created_by, created_at, last_used_at, revoked_at
        FROM api_token ORDER BY revoked_at IS NOT NULL, created_at DESC
    """
    return pd.read_sql_query(sa.text(sql), conn)


def username(token: str | None) -> str | None:
    """The account an unrevoked token of an enabled account names; None for anything else."""
    if not token or not _SHAPE.fullmatch(token):
        return None
    with transaction("", "", "") as conn:
        return conn.execute(sa.text("SELECT ggc_api_token_user(:h)"), {"h": _hash(token)}).scalar()
