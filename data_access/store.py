"""The store's state: readiness, status and the demo load."""

from __future__ import annotations

import time
from datetime import date, datetime

import sqlalchemy as sa

from data_access import accounts, clock, migrate, schema, summary, words
from data_access.engine import APP_ROLE, StoreError, context_key, get_engine
from data_access.meta import bump_data_version
from data_access.settings import get_settings


def is_empty(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT NOT EXISTS (SELECT 1 FROM district)")).scalar()


def load_demo(
    engine: sa.Engine, as_of: date | datetime | None = None, seed: int | None = None, replace: bool = False
) -> dict:
    """Generate the demo city up to ``as_of`` (default: now, by the clock; a date: the end of that day) and load
    it. Refuses a non-empty store unless ``replace``."""
    from data_access.demo.build import DEFAULT_SEED, generate, write

    if not is_empty(engine):
        if not replace:
            raise StoreError("the store already holds data; use --replace to rebuild the demo")
        clear(engine)
    t0 = time.perf_counter()
    tables, timings = generate(as_of or clock.now(), seed or DEFAULT_SEED)
    t1 = time.perf_counter()
    counts = write(engine, tables, compact=True)
    t2 = time.perf_counter()
    with engine.begin() as conn:
        _demo_accounts(conn)
    from data_access import alerts  # the demo's alerts, as after an import (not posted: nobody asked for them)

    fired = alerts.evaluate(engine, deliver=False)
    return {"generate_s": round(t1 - t0, 1), "load_s": round(t2 - t1, 1), "rows": counts, "districts": timings,
            "alerts": fired}  # fmt: skip


def remove_district(engine: sa.Engine, code: str, by: str = "system") -> dict[str, int]:
    """Delete one district and every row in it (its summaries too), in one transaction: how a district that
    adopts the product replaces the demo's generated one with its own files, and how the megacity build replaces
    a light district with a heavy one. Accounts stay; the audit log records who (``by``) and how many rows.
    Returns the rows deleted per table."""
    deleted = {}
    with engine.begin() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM district WHERE code = :d"), {"d": code}).scalar():
            raise StoreError(f"区划代码 {code}: the store holds no such district")
        # Row by row, the foreign-key checks scan every referencing table once per deleted row (a light district:
        # 108 s). A superuser skips them and checks every reference once at the end instead (a few seconds).
        bulk = _skip_row_checks(conn)
        for table in reversed(schema.metadata.sorted_tables):
            if table.name == "property_credit_rating":  # the one table placed through its company only
                where = "company_id IN (SELECT id FROM property_company WHERE district_code = :d)"
            elif table.name == "district":
                where = "code = :d"
            elif "district_code" in table.c:
                where = "district_code = :d"
            else:
                continue
            n = conn.execute(sa.text(f'DELETE FROM "{table.name}" WHERE {where}'), {"d": code}).rowcount
            if n:
                deleted[table.name] = n
        if bulk:
            _check_references(conn, deleted)
        accounts.audit(conn, by, "remove_district", code, rows=sum(deleted.values()))
        bump_data_version(conn, [code])
    return deleted


def _skip_row_checks(conn: sa.Connection) -> bool:
    """Turn off the foreign-key triggers for the rest of the transaction, where the role may (a superuser)."""
    try:
        with conn.begin_nested():
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        return True
    except sa.exc.DBAPIError:
        return False


def _check_references(conn: sa.Connection, tables) -> None:
    """Every foreign key into ``tables`` still finds its row (what the skipped row checks would have found)."""
    for child in schema.metadata.sorted_tables:
        for fk in child.foreign_keys:
            parent = fk.column.table
            if parent.name not in tables:
                continue
            col, key = fk.parent.name, fk.column.name
            lost = conn.execute(
                sa.text(
                    f'SELECT count(*) FROM "{child.name}" c WHERE c."{col}" IS NOT NULL AND NOT EXISTS '
                    f'(SELECT 1 FROM "{parent.name}" p WHERE p."{key}" = c."{col}")'
                )
            ).scalar()
            if lost:
                raise StoreError(f"{lost} rows of {child.name} in other districts point at the rows removed ({col})")


ACCOUNT_TABLES = ("app_user", "audit_log", "user_session", "login_failure", "api_token")  # who may sign in, how it went


def clear(engine: sa.Engine) -> None:
    """Delete every row of every table but the accounts, their sessions and the audit log (schema stays)."""
    names = ", ".join(f'"{t.name}"' for t in schema.metadata.sorted_tables if t.name not in ACCOUNT_TABLES)
    with engine.begin() as conn:
        kept = accounts.demo_mode(conn)  # the accounts stay, and so does the note that they are the demo's
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        if kept:
            conn.execute(sa.text("INSERT INTO store_meta (key, value) VALUES ('demo_accounts', '1')"))


def ensure_ready(load_demo_if_empty: bool = True) -> dict:
    """Migrate to head and, when the store is empty, load the demo city."""
    engine = get_engine()
    migrate.upgrade(engine)
    result = {}
    if load_demo_if_empty and is_empty(engine):
        result["demo"] = load_demo(engine)
    else:
        with engine.connect() as conn:
            built = summary.is_built(conn) or is_empty(engine)
        if not built:
            result["summaries"] = refresh_summaries(engine)
        else:
            result.update(_count_words(engine))
    _prepare_access(engine)
    return result


def _count_words(engine: sa.Engine) -> dict:
    """The words of the issues' texts, on a store that has summaries but no word counts yet (one migrated to 0022)."""
    with engine.begin() as conn:
        missing = conn.execute(
            sa.text(
                "SELECT NOT EXISTS (SELECT 1 FROM word_district_summary) "
                "AND EXISTS (SELECT 1 FROM issue WHERE request_text IS NOT NULL)"
            )
        ).scalar()
        if not missing:
            return {}
        rows = words.refresh(conn)
        bump_data_version(conn)
    return {"words": rows}


def _prepare_access(engine: sa.Engine) -> None:
    """The app role's password (external servers), the context key GGC_CONTEXT_SECRET names and, on a demo store
    without accounts, the sample ones."""
    settings = get_settings()
    with engine.begin() as conn:
        if settings.app_password:
            conn.execute(sa.text(f"ALTER ROLE {APP_ROLE} PASSWORD {_literal(conn, settings.app_password)}"))
        if settings.context_secret:
            conn.execute(
                sa.text("UPDATE ggc_private.context_key SET secret = :k"), {"k": context_key(settings.context_secret)}
            )
        _demo_accounts(conn)


def _demo_accounts(conn: sa.Connection) -> None:
    """The demo's sample accounts, on a store holding the demo and no accounts yet."""
    holds_demo = conn.execute(sa.text("SELECT 1 FROM store_meta WHERE key = 'demo_as_of'")).scalar()
    if holds_demo and not conn.execute(sa.text("SELECT 1 FROM app_user LIMIT 1")).scalar():
        accounts.create_demo_accounts(conn)


def _literal(conn: sa.Connection, value: str) -> str:
    """A string literal quoted by the server (ALTER ROLE takes no bound parameters)."""
    return conn.execute(sa.text("SELECT quote_literal(:v)"), {"v": value}).scalar()


def refresh_summaries(engine: sa.Engine) -> dict[str, int]:
    """Rebuild every summary table from the raw tables, in one transaction; caches renew everywhere."""
    with engine.begin() as conn:
        counts = summary.refresh(conn)
        bump_data_version(conn)
    return counts


def status(engine: sa.Engine | None = None) -> dict:
    """Where the store is, its schema revision and the row count of every table."""
    engine = engine or get_engine()
    settings = get_settings()
    rev = migrate.current_revision(engine)
    counts = {}
    with engine.connect() as conn:
        if rev is not None:
            for table in schema.metadata.sorted_tables:
                counts[table.name] = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
        version = conn.execute(sa.text("SHOW server_version")).scalar()
    return {
        "store": "embedded" if settings.embedded else "external",
        "url": engine.url.render_as_string(hide_password=True),
        "server_version": version,
        "revision": rev,
        "head": migrate.head_revision(),
        "size_bytes": size,
        "tables": counts,
    }
