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
from tests.conftest import create_database, drop_database, local_name


@pytest.fixture()
def empty_engine(engine):
    from data_access.engine import server_url

    name = "cockpit_test_migrations"
    create_database(name)
    e = sa.create_engine(server_url(local_name(name)))
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


def test_a_migration_that_rewrites_a_table_leaves_it_vacuumed(engine):
    """0005 rewrites issue; without a vacuum its visibility map is empty and index-only scans stop."""
    from tests.conftest import writable_copy

    def all_visible(e) -> float:
        with e.connect() as conn:
            pages, visible = conn.execute(
                sa.text("SELECT relpages, relallvisible FROM pg_class WHERE oid = 'issue'::regclass")
            ).one()
        return visible / max(pages, 1)

    with writable_copy("cockpit_test_rewrite") as copy:
        migrate.downgrade(copy, "0004")
        migrate.upgrade(copy)
        assert migrate.current_revision(copy) == migrate.head_revision()
        assert all_visible(copy) > 0.9
        with copy.connect() as conn:
            wrong = "grid_if_finest IS DISTINCT FROM (CASE WHEN micro_grid_code IS NULL THEN grid_code END)"
            assert conn.execute(sa.text(f"SELECT count(*) FROM issue WHERE {wrong}")).scalar() == 0


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
    # Places: the codes nest, and the finest unit named must exist (0005).
    assert "place_nested" in _insert_fails(engine, issue_sql, dict(ok, d="999999"))
    assert "place_nested" in _insert_fails(engine, issue_sql, dict(ok, s=ok["c"][:6] + "999"))
    lost = ok["c"][:9] + "999"  # a community code no community has, nested correctly
    assert "fk_issue_community_if_finest_community" in _insert_fails(engine, issue_sql, dict(ok, c=lost))
    placed_sql = issue_sql.replace("community_code,", "community_code, grid_code, micro_grid_code,").replace(
        ":c,", ":c, :g, :m,"
    )
    with engine.connect() as conn:
        grid, micro = conn.execute(
            sa.text("SELECT grid_code, code FROM micro_grid WHERE community_code = :c LIMIT 1"), ok
        ).one()
    placed = dict(ok, g=grid, m=micro)
    assert "fk_issue_grid_if_finest_grid" in _insert_fails(engine, placed_sql, dict(placed, g=ok["c"] + "999", m=None))
    assert "fk_issue_micro_grid_code_micro_grid" in _insert_fails(engine, placed_sql, dict(placed, m=grid + "99"))
    assert "place_nested" in _insert_fails(engine, placed_sql, dict(placed, g=None))
    assert "place_nested" in _insert_fails(engine, placed_sql, dict(placed, m=ok["c"] + "99999"))
    with engine.connect() as conn, conn.begin() as tx:  # a correct row goes in (then rolled back)
        conn.execute(sa.text(placed_sql), placed)
        tx.rollback()
    # A unit that issues name cannot be deleted: the units below it still point at it.
    assert "fk_" in _insert_fails(engine, "DELETE FROM community WHERE code = :c", ok)


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


def test_figures_command_computes_a_city_from_its_districts_rows(engine):
    out = _cli("figures", "--place", "武汉市", "--json")
    assert out.returncode == 0, out.stderr
    figs = json.loads(out.stdout)
    with engine.connect() as conn:
        districts = conn.execute(sa.text("SELECT count(*) FROM district WHERE city_code = '420100'")).scalar()
        workers = conn.execute(
            sa.text("SELECT count(*) FROM grid_worker WHERE role = 'community_worker' AND district_code LIKE '4201%'")
        ).scalar()
    assert districts == 13  # the whole of Wuhan
    assert figs["社区工作者"] == workers == 21294 and figs["社区工作者配置标准"] == 18
    assert figs["报到党员"] == 156000 and figs["高频问题"] == 20


def test_remove_district_deletes_every_row_of_one_district_and_nothing_else(engine):
    from data_access.store import StoreError, remove_district
    from tests.conftest import writable_copy

    tables = [t.name for t in schema.metadata.sorted_tables if "district_code" in t.c]

    def per_district(conn) -> dict:
        return {
            t: dict(conn.execute(sa.text(f"SELECT district_code, count(*) FROM {t} GROUP BY 1")).all()) for t in tables
        }

    cross = (
        "UPDATE volunteer SET team_id = {team} "
        "WHERE id = (SELECT min(id) FROM volunteer WHERE district_code = '420112')"
    )
    with writable_copy("cockpit_test_remove") as copy:
        with copy.begin() as conn:  # a volunteer of 汉南区's neighbour in a team of 汉南区: the removal must refuse
            kept = conn.execute(sa.text("SELECT team_id FROM volunteer WHERE district_code = '420112' ORDER BY id"))
            kept = kept.first()[0]
            conn.execute(
                sa.text(cross.format(team="(SELECT min(id) FROM volunteer_team WHERE district_code = '420113')"))
            )
        with pytest.raises(StoreError, match="volunteer"):
            remove_district(copy, "420113")
        with copy.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM issue WHERE district_code = '420113'")).scalar() > 0
            conn.execute(sa.text(cross.format(team=":t")), {"t": kept})
        with copy.connect() as conn:
            before = per_district(conn)
        deleted = remove_district(copy, "420113")
        with copy.connect() as conn:
            after = per_district(conn)
            gone = conn.execute(sa.text("SELECT count(*) FROM district WHERE code = '420113'")).scalar()
            ratings = conn.execute(
                sa.text(
                    "SELECT count(*) FROM property_credit_rating r "
                    "LEFT JOIN property_company c ON c.id = r.company_id WHERE c.id IS NULL"
                )
            ).scalar()
            audited = conn.execute(
                sa.text("SELECT detail->>'rows' FROM audit_log WHERE event = 'remove_district' AND area = '420113'")
            ).scalar()
        assert gone == 0 and ratings == 0 and int(audited) == sum(deleted.values())
        assert deleted["issue"] == before["issue"]["420113"] > 0
        for t in tables:
            assert "420113" not in after[t], t
            assert after[t] == {d: n for d, n in before[t].items() if d != "420113"}, t  # the others untouched
        with pytest.raises(StoreError, match="420113"):
            remove_district(copy, "420113")  # no longer there: one clear message


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


def test_copy_dataframe_round_trips_values_and_nulls(engine):
    """COPY through Arrow's CSV (and pandas' for what Arrow cannot type) keeps NULL apart from ''."""
    import pandas as pd

    from data_access.bulk import copy_dataframe

    df = pd.DataFrame(
        {
            "txt": ["x", "", None, 'q"uote,\nline'],
            "f": [1.5, None, 0.1, 1e-7],
            "i": pd.array([1, None, 3, 4], dtype="Int64"),
            "b": [True, False, None, True],
            "ts": pd.to_datetime(["2024-01-01 10:00", None, "2024-01-02", "2024-01-02 00:00:01.5"], format="mixed"),
            "raw": [b"\x00\x01", None, b"", b"\xff"],
        }
    )
    mixed = pd.DataFrame({"t": ["a", 1, None, 2.5], "n": [1, 2, 3, 4]})  # not one Arrow type: written by pandas
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(sa.text("CREATE TEMP TABLE rt (txt text, f float8, i int, b boolean, ts timestamp, raw bytea)"))
        assert copy_dataframe(conn, "rt", df) == 4
        rows = conn.execute(sa.text("SELECT txt, f, i, b, ts, raw FROM rt")).all()
        conn.execute(sa.text("CREATE TEMP TABLE rt2 (t text, n int)"))
        copy_dataframe(conn, "rt2", mixed)
        mixed_rows = conn.execute(sa.text("SELECT t FROM rt2 ORDER BY n")).scalars().all()
        tx.rollback()
    assert [r.txt for r in rows] == ["x", "", None, 'q"uote,\nline']
    assert [r.f for r in rows] == [1.5, None, 0.1, 1e-7]
    assert [r.i for r in rows] == [1, None, 3, 4]
    assert [r.b for r in rows] == [True, False, None, True]
    assert [r.ts for r in rows] == [
        datetime(2024, 1, 1, 10),
        None,
        datetime(2024, 1, 2),
        datetime(2024, 1, 2, 0, 0, 1, 500000),
    ]
    assert [None if r.raw is None else bytes(r.raw) for r in rows] == [b"\x00\x01", None, b"", b"\xff"]
    assert mixed_rows == ["a", "1", None, "2.5"]


def test_the_embedded_server_runs_with_the_project_settings(engine):
    from data_access.engine import EMBEDDED_CONF
    from data_access.settings import get_settings

    if not get_settings().embedded:
        pytest.fail("this test checks the embedded Postgres; run it without DATABASE_URL")
    with engine.connect() as conn:
        for name, value in EMBEDDED_CONF.items():
            same = conn.execute(
                sa.text("SELECT pg_size_bytes(current_setting(:n)) = pg_size_bytes(:v)"), {"n": name, "v": value}
            )
            assert same.scalar(), f"{name} is not {value}"
