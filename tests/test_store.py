"""The store: migrations, constraints, status, the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from data_access import migrate, schema
from data_access.settings import PROJECT_ROOT
from tests.conftest import create_database, drop_database


@pytest.fixture()
def empty_engine(engine):
    from data_access.engine import server_url

    name = "cockpit_test_migrations"
    create_database(name)
    e = sa.create_engine(server_url(name))
    yield e
    e.dispose()
    drop_database(name)


def _tables(e: sa.Engine) -> set[str]:
    return set(sa.inspect(e).get_table_names()) - {"alembic_version"}


def test_migrations_upgrade_downgrade_and_match_the_schema(empty_engine):
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _tables(empty_engine) == set(schema.metadata.tables)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert diff == [], f"schema.py and the migrations disagree: {diff}"
    migrate.downgrade(empty_engine, "base")
    assert _tables(empty_engine) == set()
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert _tables(empty_engine) == set(schema.metadata.tables)


def _insert_fails(engine, sql: str, params: dict) -> str:
    with engine.connect() as conn, conn.begin():
        with pytest.raises(sa.exc.IntegrityError) as info:
            conn.execute(sa.text(sql), params)
    return str(info.value.orig)


def test_constraints_reject_bad_rows(engine):
    with engine.connect() as conn:
        place = conn.execute(sa.text("SELECT district_code, street_code, community_code FROM issue LIMIT 1")).one()
    base = dict(zip(("d", "s", "c"), place))
    issue_sql = (
        "INSERT INTO issue (code, source_channel, category_code, category_l1, category_l2, district_code, "
        "street_code, community_code, reported_at, accepted_at, closed_at, due_at) VALUES "
        "(:code, :src, '010101', '01', '0101', :d, :s, :c, :rep, :acc, :clo, :due)"
    )
    ok = dict(
        base,
        code="T1",
        src="hotline",
        rep=datetime(2024, 1, 2),
        acc=datetime(2024, 1, 2, 1),
        clo=datetime(2024, 1, 2, 5),
        due=datetime(2024, 1, 3),
    )
    assert "lifecycle_order" in _insert_fails(engine, issue_sql, dict(ok, clo=datetime(2024, 1, 1)))
    assert "source_channel_enum" in _insert_fails(engine, issue_sql, dict(ok, src="<script>"))
    assert "due_after_report" in _insert_fails(engine, issue_sql, dict(ok, due=datetime(2024, 1, 1)))
    with engine.connect() as conn:
        compound = conn.execute(sa.text("SELECT code FROM compound LIMIT 1")).scalar()
    assert "satisfied_range" in _insert_fails(
        engine,
        "INSERT INTO property_survey (compound_code, community_code, street_code, district_code, "
        "surveyed_on, respondents, satisfied) VALUES (:cc, :c, :s, :d, '2020-01-01', 10, 11)",
        dict(base, cc=compound),
    )
    assert "members_range" in _insert_fails(
        engine,
        "INSERT INTO owners_committee (compound_code, community_code, street_code, district_code, "
        "formed_on, members, party_members, chair_is_party_member) VALUES (:cc, :c, :s, :d, '2020-01-01', 5, 6, "
        "true)",
        dict(base, cc=compound),
    )
    assert "fk_" in _insert_fails(engine, issue_sql, dict(ok, d="999999"))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "data_access", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        timeout=300,
    )


def test_status_reports_store_revision_and_row_counts(engine):
    out = _cli("status", "--json")
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert status["store"] == ("embedded" if not os.environ.get("DATABASE_URL") else "external")
    assert status["revision"] == migrate.head_revision()
    with engine.connect() as conn:
        for table in ("issue", "micro_grid", "volunteer_activity", "party_org"):
            assert status["tables"][table] == conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_figures_command_prints_the_place_figures(engine):
    out = _cli("figures", "--place", "岳阳楼区", "--json")
    assert out.returncode == 0, out.stderr
    figs = json.loads(out.stdout)
    with engine.connect() as conn:
        grids = conn.execute(sa.text("SELECT count(*) FROM grid WHERE district_code = '430602'")).scalar()
    assert figs["大网格"] == grids == 675
    assert figs["小区"] == 977
    assert abs(figs["网格事件处置率"] - 93.4) <= 0.5
    assert "物业费收缴率提升" not in figs  # not a 岳阳楼区 figure, and not expressible anyway


def test_cli_errors_are_one_line_and_non_zero(engine):
    out = _cli("figures", "--place", "不存在区", "--json")
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "不存在区" in out.stderr
    assert "Traceback" not in out.stderr
    usage = _cli("figures")
    assert usage.returncode == 2


def test_demo_refuses_a_non_empty_store(engine):
    out = _cli("demo")
    assert out.returncode == 1
    assert "already holds data" in out.stderr
