"""Schema migrations through Alembic, callable from code and the command line."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from data_access.settings import PROJECT_ROOT


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``, then vacuum the tables they rewrote.

    A migration that rewrites a table (``REWRITES = ("issue",)`` in its module) leaves it with an empty
    visibility map and so without index-only scans until it is vacuumed: after 0005 the megacity's
    issue page took 48 s cold instead of 1.4 s.
    """
    before = current_revision(engine)
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)
    applied = ScriptDirectory.from_config(_config()).iterate_revisions(current_revision(engine), before or "base")
    rewritten = sorted({table for script in applied for table in getattr(script.module, "REWRITES", ())})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in rewritten:  # names from our own migrations
            conn.execute(sa.text(f'VACUUM (ANALYZE) "{table}"'))


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` ("base" removes every table)."""
    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()
