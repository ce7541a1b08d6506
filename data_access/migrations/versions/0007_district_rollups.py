"""district rollups of the issue summaries; the open-issue index covers the handling department

Revision ID: 0007
Revises: 0006

- ``issue_district_summary`` and ``issue_category_district_summary``: the rows of ``issue_summary`` and
  ``issue_category_summary`` summed over streets and communities. City-scope reads sum these (a city's
  districts, not its streets or communities). Filled here from the summaries; kept fresh with them by
  data_access.summary. Row-level security like the summaries, by district.
- ``ix_issue_open_reported`` includes ``department_code``: the live overdue count per handling department
  (部门考核) is answered from the index alone.
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

REWRITES = ("issue_district_summary", "issue_category_district_summary")  # filled here: vacuumed and analysed after
APP_ROLE = "ggc_app"
A, R, P = "(SELECT ggc_area())", "(SELECT ggc_role())", "(SELECT ggc_prefix())"
ADMIN = f"({R} = 'admin' AND {A} = '*')"
ROLLUPS = {  # rollup: (summary, its key columns besides span, bucket and district)
    "issue_district_summary": ("issue_summary", ()),
    "issue_category_district_summary": ("issue_category_summary", ("category_code", "department_code")),
}


def _measures(conn, table: str, keys) -> list[tuple[str, str]]:
    skip = {"span", "bucket", "district_code", "street_code", "community_code", *keys}
    return [(c["name"], c["type"].compile(conn.dialect)) for c in sa.inspect(conn).get_columns(table)
            if c["name"] not in skip]


def upgrade() -> None:
    conn = op.get_bind()
    for rollup, (table, keys) in ROLLUPS.items():
        measures = _measures(conn, table, keys)
        key_cols = "".join(f", {k} varchar(12) NOT NULL" for k in keys)
        op.execute(
            f"CREATE TABLE {rollup} (span varchar(1) NOT NULL, bucket date NOT NULL, "
            f"district_code varchar(6) NOT NULL{key_cols}, "
            + ", ".join(f"{n} {t} NOT NULL" for n, t in measures)
            + f", CONSTRAINT pk_{rollup} PRIMARY KEY (district_code, span, bucket{''.join(', ' + k for k in keys)}), "
            f"CONSTRAINT ck_{rollup}_span_enum CHECK (span IN ('d', 'm')))"
        )
        group = ", ".join(["span", "bucket", "district_code", *keys])
        op.execute(
            f"INSERT INTO {rollup} ({group}, {', '.join(n for n, _ in measures)}) "
            f"SELECT {group}, {', '.join(f'sum({n})' for n, _ in measures)} FROM {table} GROUP BY {group}"
        )
        op.execute(f"ALTER TABLE {rollup} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {rollup} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY owner_all ON {rollup} TO CURRENT_USER USING (true) WITH CHECK (true)")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {rollup} TO {APP_ROLE}")
        op.execute(f"CREATE POLICY app_read ON {rollup} FOR SELECT TO {APP_ROLE} USING (starts_with(district_code, {P}))")
        op.execute(f"CREATE POLICY app_insert ON {rollup} FOR INSERT TO {APP_ROLE} WITH CHECK {ADMIN}")
        op.execute(f"CREATE POLICY app_update ON {rollup} FOR UPDATE TO {APP_ROLE} USING {ADMIN} WITH CHECK {ADMIN}")
        op.execute(f"CREATE POLICY app_delete ON {rollup} FOR DELETE TO {APP_ROLE} USING {ADMIN}")
    _open_index(("due_at", "street_code", "community_code", "category_l1", "department_code"))


def _open_index(include) -> None:
    op.drop_index("ix_issue_open_reported", table_name="issue")
    op.create_index("ix_issue_open_reported", "issue", ["district_code", "reported_at"], postgresql_include=list(include),
                    postgresql_where=sa.text("closed_at IS NULL"))


def downgrade() -> None:
    _open_index(("due_at", "street_code", "community_code", "category_l1"))
    for rollup in ROLLUPS:
        op.drop_table(rollup)
