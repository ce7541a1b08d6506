"""Accounts, screen tokens and the audit log. The area each read runs as (row-level security) and the app
role's engine are in data_access.engine."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data_access.engine import Principal, transaction, transaction_as
from data_access.schema import ROLES

MAX_FAILURES = 5  # failed sign-ins of one name from one address in LOCK_MINUTES before that name locks there
ADDRESS_FAILURES = 20  # failed sign-ins from one address in LOCK_MINUTES before the address locks
LOCK_MINUTES = 15
MIN_PASSWORD = 10
LEVEL_OF_AREA = {0: "city", 6: "district", 9: "street", 12: "community"}
EVENTS = (
    "login", "login_failed", "logout", "locked", "password", "screen", "import", "export",
    "account_create", "account_change", "session_end", "token_issue", "token_revoke", "api", "briefing", "alerts",
    "alert_rules", "profile", "sync",
)  # fmt: skip
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password")  # verified against when the name is unknown: same time either way


# Accounts ---------------------------------------------------------------------------------------


def validate_account(role: str, area: str, username: str = "x") -> None:
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", username):
        raise ValueError(f"a username is 1-64 letters, digits or _ . @ -, got {username!r}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if len(area) not in LEVEL_OF_AREA or not (area == "" or area.isdigit()):
        raise ValueError(f"area must be '' (the whole store) or a 6-, 9- or 12-digit unit code, got {area!r}")
    if role in ("district", "street", "community") and LEVEL_OF_AREA[len(area)] != role:
        raise ValueError(f"a {role} account needs a {role} code as its area, got {area!r}")
    if role == "city" and area and not (len(area) == 6 and area.endswith("00")):
        raise ValueError(f"a city account's area is '' or a city code (six digits ending 00), got {area!r}")
    if role == "admin" and area:
        raise ValueError("an admin account covers the whole store; leave its area empty")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")


def _row(conn, username: str):
    sql = "SELECT username, display_name, role, area, disabled, token_hash FROM app_user WHERE username = :u"
    return conn.execute(sa.text(sql), {"u": username}).mappings().first()


def _password_hash(conn) -> str | None:
    """The transaction's own user's password hash: the app role reads no other (migration 0011)."""
    return conn.execute(sa.text("SELECT ggc_password_hash()")).scalar()


def _principal(row) -> Principal:
    return Principal(row["username"], row["role"], row["area"], row["display_name"])


def audit(conn, username: str, event: str, area: str = "", **detail) -> None:
    """One audit entry, in the caller's transaction."""
    conn.execute(
        sa.text("INSERT INTO audit_log (username, event, area, detail) VALUES (:u, :e, :a, CAST(:d AS jsonb))"),
        {"u": username, "e": event, "a": area, "d": json.dumps(detail, ensure_ascii=False, default=str)},
    )


def log_event(principal: Principal, event: str, **detail) -> None:
    """Audit an action of a signed-in user (imports, exports) in a transaction of its own."""
    with transaction_as(principal) as conn:
        audit(conn, principal.username, event, principal.area, **detail)


def login(username: str, password: str, addr: str = "") -> tuple[Principal | None, str]:
    """Check a local account's password: (principal, '') or (None, reason).

    Every answer costs one argon2 verification, and an unknown name fails, counts and locks exactly like a known
    one: neither the reason nor the time says which names exist. Failures are counted per name and client
    address (``addr``) over LOCK_MINUTES: MAX_FAILURES lock that name for that address, ADDRESS_FAILURES lock the
    address, so one client can neither guess on nor keep an account locked for the others. A disabled account
    says so only to the right password.
    """
    username, addr = username[:64], addr[:64]  # longer names exist nowhere; the log's columns hold 64
    with transaction("", "", username) as conn:
        pair, from_addr = conn.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE username = :u), count(*) FROM login_failure "
                "WHERE addr = :a AND at > now() - make_interval(mins => :m)"
            ),
            {"u": username, "a": addr, "m": LOCK_MINUTES},
        ).one()
        row = _row(conn, username)
        stored = _password_hash(conn) if row is not None else None
        known = stored is not None
        area = row["area"] if row is not None else ""
        if pair >= MAX_FAILURES or from_addr >= ADDRESS_FAILURES:
            _verify(_DUMMY_HASH, password)
            audit(conn, username, "login_failed", area, reason="locked", addr=addr)
            return None, "locked"
        if not _verify(stored or _DUMMY_HASH, password) or not known:
            conn.execute(
                sa.text("INSERT INTO login_failure (username, addr) VALUES (:u, :a)"), {"u": username, "a": addr}
            )
            audit(conn, username, "login_failed", area, reason="password" if known else "unknown", addr=addr)
            if pair + 1 >= MAX_FAILURES or from_addr + 1 >= ADDRESS_FAILURES:
                audit(conn, username, "locked", area, minutes=LOCK_MINUTES, addr=addr)
                return None, "locked"
            return None, "bad_credentials"
        if row["disabled"]:
            audit(conn, username, "login_failed", area, reason="disabled", addr=addr)
            return None, "disabled"
        conn.execute(sa.text("DELETE FROM login_failure WHERE username = :u AND addr = :a"), {"u": username, "a": addr})
        audit(conn, username, "login", area, method="password", addr=addr)
        return _principal(row), ""


def is_loopback(address: str) -> bool:
    """This machine's own address, as IPv4, IPv6 or IPv4 mapped into IPv6 (::ffff:127.0.0.1: what a dual-stack
    listener, Streamlit's default, sees of a proxy on this machine)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback


def client_address(ip: str | None, forwarded: str | None) -> str:
    """The browser's address: behind a proxy on this machine (nginx) the last address it forwards."""
    addr = ip or ""
    if forwarded and (addr == "" or is_loopback(addr)):
        addr = forwarded.split(",")[-1].strip()
    return addr


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def screen_login(token: str) -> Principal | None:
    """The screen account a wall screen's token (``username.secret``) names, or None."""
    username, _, secret = token.partition(".")
    if not username or not secret:
        return None
    with transaction("", "", username) as conn:
        row = _row(conn, username)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        if row is None or row["role"] != "screen" or row["disabled"] or not row["token_hash"]:
            return None
        if not hmac.compare_digest(row["token_hash"], digest):
            return None
        return _principal(row)


def oidc_login(email: str) -> Principal | None:
    """The account an identity provider's verified e-mail names (accounts are created by an admin)."""
    with transaction("", "", email) as conn:
        row = _row(conn, email)
        if row is None or row["disabled"] or row["role"] == "screen":
            audit(conn, email, "login_failed", reason="unknown" if row is None else "disabled")
            return None
        audit(conn, email, "login", row["area"], method="oidc")
        return _principal(row)


def current(username: str) -> Principal | None:
    """The account as it stands now (None when disabled or gone): read on every interaction."""
    with transaction("", "", username) as conn:
        row = _row(conn, username)
    if row is None or row["disabled"]:
        return None
    return _principal(row)


def change_password(principal: Principal, old: str, new: str) -> str:
    """'' when changed, else why not: 'too_short' or 'wrong_password'."""
    if len(new) < MIN_PASSWORD:
        return "too_short"
    with transaction_as(principal) as conn:
        try:
            _hasher.verify(_password_hash(conn) or "", old)
        except (VerificationError, InvalidHashError):
            audit(conn, principal.username, "password", principal.area, ok=False)
            return "wrong_password"
        conn.execute(
            sa.text("UPDATE app_user SET password_hash = :h, changed_at = now() WHERE username = :u"),
            {"h": _hasher.hash(new), "u": principal.username},
        )
        audit(conn, principal.username, "password", principal.area, ok=True)
    return ""


def save_account(
    conn,
    actor: str,
    username: str,
    role: str,
    area: str = "",
    *,
    password: str | None = None,
    display_name: str = "",
    disabled: bool = False,
    secret: str | None = None,
) -> str | None:
    """Create or change an account (in ``conn``'s transaction, audited as ``actor``). Returns a new screen
    token (``username.secret``, shown once) for screen accounts, else None; ``secret`` fixes a screen's
    secret (the demo's), otherwise a random one is drawn."""
    validate_account(role, area, username)
    if password is not None:
        check_password(password)
    token = None
    if role == "screen":
        secret = secret or secrets.token_urlsafe(24)
        token = f"{username}.{secret}"
    else:
        secret = None
    before = _row(conn, username)
    values = {
        "u": username,
        "r": role,
        "a": area,
        "n": display_name,
        "d": disabled,
        "h": _hasher.hash(password) if password else None,
        "t": hashlib.sha256(secret.encode()).hexdigest() if secret else None,
    }
    conn.execute(
        sa.text(
            "INSERT INTO app_user (username, role, area, display_name, disabled, password_hash, token_hash) "
            "VALUES (:u, :r, :a, :n, :d, :h, :t) ON CONFLICT (username) DO UPDATE SET role = :r, area = :a, "
            "display_name = :n, disabled = :d, token_hash = coalesce(:t, app_user.token_hash), changed_at = now()"
        ),
        values,
    )
    if values["h"] and before is not None:  # a separate statement: the app role may write the hash, not read it
        conn.execute(sa.text("UPDATE app_user SET password_hash = :h WHERE username = :u"), values)
    conn.execute(sa.text("DELETE FROM login_failure WHERE username = :u"), {"u": username})  # saving unlocks
    change = {"account": username, "role": role, "area": area, "disabled": disabled}
    if before is not None:
        change["was"] = {"role": before["role"], "area": before["area"], "disabled": before["disabled"]}
    audit(conn, actor, "account_change" if before is not None else "account_create", **change)
    return token


def accounts(conn) -> pd.DataFrame:
    sql = (
        "SELECT username, display_name, role, area, disabled, created_at, changed_at, "
        "(SELECT count(*) FROM login_failure f WHERE f.username = u.username "
        f"AND f.at > now() - interval '{LOCK_MINUTES} min') AS recent_failures FROM app_user u "
        "ORDER BY role, area, username"
    )
    return pd.read_sql_query(sa.text(sql), conn)


def audit_entries(
    conn, *, username: str = "", event: str = "", since: datetime | None = None, limit: int = 500
) -> pd.DataFrame:
    """The newest audit entries first, filtered by user (exact), event and time."""
    sql = """
        SELECT at, username, event, area, detail::text AS detail FROM audit_log
        WHERE (:u = '' OR username = :u) AND (:e = '' OR event = :e) AND (CAST(:s AS timestamptz) IS NULL OR at >= :s)
        ORDER BY at DESC, id DESC LIMIT :n
    """
    return pd.read_sql_query(sa.text(sql), conn, params={"u": username, "e": event, "s": since, "n": limit})


# The demo's sample accounts (README): one per role, on 岳阳楼区 and its first street and community.
DEMO_ACCOUNTS = (
    ("city", "city", "", "demo-city-2026", "市领导（演示）"),
    ("district", "district", "430602", "demo-district-2026", "岳阳楼区（演示）"),
    ("street", "street", "430602001", "demo-street-2026", "民意街道（演示）"),
    ("community", "community", "430602001001", "demo-community-2026", "常青路社区（演示）"),
    ("admin", "admin", "", "demo-admin-2026", "管理员（演示）"),
)
DEMO_SCREEN = ("screen", "430602", "demo-screen-token-2026")  # token: screen.demo-screen-token-2026
DEMO_SCREEN_TOKEN = f"{DEMO_SCREEN[0]}.{DEMO_SCREEN[2]}"


def create_demo_accounts(conn) -> None:
    """The sample accounts of the demo (owner connection); marks the store as being in demo mode."""
    for username, role, area, password, name in DEMO_ACCOUNTS:
        save_account(conn, "setup", username, role, area, password=password, display_name=name)
    username, area, secret = DEMO_SCREEN
    save_account(conn, "setup", username, "screen", area, display_name="指挥大屏（演示）", secret=secret)
    conn.execute(
        sa.text("INSERT INTO store_meta (key, value) VALUES ('demo_accounts', '1') ON CONFLICT (key) DO NOTHING")
    )


def demo_mode(conn) -> bool:
    return bool(conn.execute(sa.text("SELECT 1 FROM store_meta WHERE key = 'demo_accounts'")).scalar())


def demo_listing() -> list[tuple[str, str, str, str]]:
    """The demo's sample accounts as a sign-in page lists them (username, password, role, area); none outside the
    demo."""
    from data_access.engine import acting, app_engine

    with acting("*"), app_engine().connect() as conn:
        if not demo_mode(conn):
            return []
    return [(u, p, r, a) for u, r, a, p, _ in DEMO_ACCOUNTS]
