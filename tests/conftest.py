"""Test fixtures: a real Postgres (the embedded one unless DATABASE_URL is set).

The session copies the set-up store (migrated, demo loaded by `make test`) into a test
database with CREATE DATABASE ... TEMPLATE, so tests never touch the working store.

The clock is pinned (``GGC_NOW``) to the moment the demo was built: the tests see the store as its first user
sees it, whatever the hour and day they run. To test another moment, build a store at it:
``GGC_DB_NAME=cockpit_jan1 GGC_NOW=2027-01-01T00:30 make test``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access import engine as eng
from data_access.settings import PROJECT_ROOT, get_settings

SOURCE_DB = get_settings().embedded_db  # the set-up store the tests copy; its copies are named after it
TEST_DB = f"{SOURCE_DB}_test"


def local_name(name: str) -> str:
    """A scratch database's name beside this run's store (cockpit_x: cockpit_jan1_x when the store is cockpit_jan1),
    so that runs on stores of different moments do not collide."""
    if name.startswith(SOURCE_DB) or not name.startswith("cockpit"):
        return name
    return SOURCE_DB + name.removeprefix("cockpit")


ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def _admin() -> sa.Engine:
    return sa.create_engine(eng.server_url("postgres"), isolation_level="AUTOCOMMIT")


def _point_settings_at(database: str) -> None:
    settings = get_settings()
    if settings.embedded:
        os.environ["GGC_DB_NAME"] = database
    else:
        url = sa.make_url(eng._normalise(settings.database_url)).set(database=database)
        os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    get_settings.cache_clear()
    eng.reset_engine()


def create_database(name: str, template: str | None = None) -> None:
    name = local_name(name)
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :t AND pid <> pg_backend_pid()"
                ),
                {"t": template},
            )
            strategy = " STRATEGY = FILE_COPY" if conn.dialect.server_version_info >= (15,) else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')
        else:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def drop_database(name: str) -> None:
    name = local_name(name)
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def engine() -> sa.Engine:
    """The test store: a copy of the set-up store with the demo city."""
    from data_access.meta import demo_moment
    from data_access.store import ensure_ready

    ensure_ready()
    with eng.get_engine().connect() as conn:
        built = demo_moment(conn)
    pinned = get_settings().now
    if built is None:
        pytest.exit("the store holds no demo: the tests run on the demo city (make setup loads it)", returncode=2)
    if pinned is not None and pinned != built:
        pytest.exit(
            f"GGC_NOW={pinned.isoformat()} but the store's demo was built at {built.isoformat()}: build one at that "
            f"moment (GGC_DB_NAME=another_name GGC_NOW={pinned.isoformat()} make test)",
            returncode=2,
        )
    os.environ["GGC_NOW"] = built.isoformat()  # the app processes the tests start inherit it
    source = sa.make_url(eng.server_url()).database
    eng.reset_engine()
    create_database(TEST_DB, template=source)
    _point_settings_at(TEST_DB)
    yield eng.get_engine()
    eng.reset_engine()


@contextlib.contextmanager
def writable_copy(name: str):
    """An engine on a fresh copy of the test store, for tests that write (the seed figures stay intact)."""
    from data_access.engine import get_engine

    create_database(name, template=TEST_DB)
    _point_settings_at(local_name(name))
    try:
        yield get_engine()
    finally:
        _point_settings_at(TEST_DB)
        drop_database(name)


@pytest.fixture(scope="session")
def seed_figures_path() -> Path:
    shared = PROJECT_ROOT.parent / "shared" / "reference" / "seed_figures.csv"
    return shared if shared.exists() else PROJECT_ROOT / "data_access" / "demo" / "seed_figures.csv"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def last_12_months(engine):
    """The pages' default period, 近12个月 (this month so far and the eleven before it): (start, end) dates, end
    exclusive (the day after the as-of day)."""
    from data_access import clock, periods

    p = periods.period_of(periods.DEFAULT_RANGE, clock.today())
    return p.start, p.end


@pytest.fixture(autouse=True)
def _settings_read_again():
    """A test that set a GGC_* variable (monkeypatch) leaves no settings behind: they are read again after it."""
    yield
    get_settings.cache_clear()
