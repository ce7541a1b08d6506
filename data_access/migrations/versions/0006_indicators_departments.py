"""the indicator catalogue's counts, handling departments, acceptance deadlines, resolved

Revision ID: 0006
Revises: 0005

- ``department`` (承办单位): per district, with row-level security like the units (its district and
  the areas inside it may read it).
- ``issue``: ``accept_due_at`` (reported + the category's ``accept_limit_hours``), ``department_code``,
  ``redispatch_count``, ``resolved`` (已解决/未解决 at the return visit), ``reporter_code`` (the grid
  worker who reported it) and an index for repeat requests.
  Existing issues get their acceptance deadline from the category (2 hours; 1 for public safety, 0.5 for
  emergencies: data_access.categories.ACCEPT_LIMIT_HOURS).
- The issue summaries carry every stored count of data_access.indicators; the category summary is keyed
  by department too. Both are emptied and rebuilt by ``data_access setup`` (the marker is removed).
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

REWRITES = ("issue",)
APP_ROLE = "ggc_app"
A, R, P = "(SELECT ggc_area())", "(SELECT ggc_role())", "(SELECT ggc_prefix())"
ADMIN = f"({R} = 'admin' AND {A} = '*')"
NEW_COUNTS = ("accepted_on_time", "registered", "handled_on_time", "closed_late", "reworked", "returned",
              "extended", "redispatched", "self_settled", "answered", "resolved", "repeated", "worker_reported",
              "worker_registered", "worker_self_settled")
CATEGORY_COUNTS = (*NEW_COUNTS, "accepted", "dispatched", "handled", "nh_accepted", "nh_dispatched",
                   "nh_handled", "nh_closed", "nh_satisfied")
CATEGORY_HOURS = ("h_accepted", "h_dispatched", "h_handled", "h_closed", "h_satisfied")


def _add_counts(table: str, names, type_: str = "integer") -> None:
    op.execute(f"ALTER TABLE {table} " + ", ".join(f"ADD COLUMN {n} {type_} NOT NULL DEFAULT 0" for n in names))
    op.execute(f"ALTER TABLE {table} " + ", ".join(f"ALTER COLUMN {n} DROP DEFAULT" for n in names))


def upgrade() -> None:
    op.add_column('issue_category', sa.Column('accept_limit_hours', sa.Float(), nullable=True))
    op.execute("UPDATE issue_category SET accept_limit_hours = "
               "CASE WHEN code LIKE '05%' THEN 0.5 WHEN code LIKE '04%' THEN 1 ELSE 2 END WHERE level = 3")
    op.create_table('department',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9]{6}D[0-9]{2,5}$' AND left(code, 6) = district_code", name=op.f('ck_department_code_format')),
    sa.CheckConstraint("kind IN ('street', 'bureau', 'utility', 'other')", name=op.f('ck_department_kind_enum')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_department_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_department_street_code_street')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_department'))
    )
    op.create_index(op.f('ix_department_district_code'), 'department', ['district_code'], unique=False)
    op.execute('ALTER TABLE department ENABLE ROW LEVEL SECURITY')
    op.execute('ALTER TABLE department FORCE ROW LEVEL SECURITY')
    op.execute('CREATE POLICY owner_all ON department TO CURRENT_USER USING (true) WITH CHECK (true)')
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON department TO {APP_ROLE}')
    # Like the units: its district and below, and the areas inside the district (names of who handles them).
    op.execute(f"CREATE POLICY app_read ON department FOR SELECT TO {APP_ROLE} "
               f"USING (starts_with(district_code, {P}) OR starts_with({A}, district_code))")
    op.execute(f'CREATE POLICY app_insert ON department FOR INSERT TO {APP_ROLE} WITH CHECK {ADMIN}')
    op.execute(f'CREATE POLICY app_update ON department FOR UPDATE TO {APP_ROLE} USING {ADMIN} WITH CHECK {ADMIN}')
    op.execute(f'CREATE POLICY app_delete ON department FOR DELETE TO {APP_ROLE} USING {ADMIN}')

    # One ALTER TABLE: the issue table is rewritten once (the backfill below rewrites it anyway).
    op.execute("ALTER TABLE issue ADD COLUMN accept_due_at timestamp without time zone, "
               "ADD COLUMN department_code varchar(12), "
               "ADD COLUMN redispatch_count smallint DEFAULT '0' NOT NULL, ADD COLUMN resolved boolean, "
               "ADD COLUMN reporter_code varchar(32)")
    op.execute("UPDATE issue i SET accept_due_at = i.reported_at + c.accept_limit_hours * interval '1 hour' "
               "FROM issue_category c WHERE c.code = i.category_code")
    op.create_foreign_key(op.f('fk_issue_department_code_department'), 'issue', 'department', ['department_code'], ['code'])
    op.create_foreign_key(op.f('fk_issue_reporter_code_grid_worker'), 'issue', 'grid_worker', ['reporter_code'], ['code'])
    op.create_check_constraint(op.f('ck_issue_redispatch_nonneg'), 'issue', sa.text('redispatch_count >= 0'))
    op.create_check_constraint(op.f('ck_issue_resolved_evaluated'), 'issue',
                               sa.text('resolved IS NULL OR evaluated_at IS NOT NULL'))
    op.create_index(op.f('ix_issue_department_code'), 'issue', ['department_code'], unique=False)
    op.create_index('ix_issue_repeat', 'issue', ['compound_code', 'category_code', 'reported_at'], unique=False,
                    postgresql_where=sa.text('compound_code IS NOT NULL'))

    # Summaries: empty them (rebuilt by `data_access setup` when the marker is missing), then widen.
    op.execute("TRUNCATE issue_summary, issue_category_summary")
    op.execute("DELETE FROM store_meta WHERE key = 'summaries_at'")
    _add_counts("issue_summary", NEW_COUNTS)
    _add_counts("issue_category_summary", CATEGORY_COUNTS)
    _add_counts("issue_category_summary", CATEGORY_HOURS, "double precision")
    op.execute("ALTER TABLE issue_category_summary ADD COLUMN department_code varchar(12) NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE issue_category_summary ALTER COLUMN department_code DROP DEFAULT")
    op.drop_constraint(op.f('pk_issue_category_summary'), 'issue_category_summary', type_='primary')
    op.create_primary_key(op.f('pk_issue_category_summary'), 'issue_category_summary',
                          ['street_code', 'span', 'bucket', 'category_code', 'department_code'])


def downgrade() -> None:
    op.execute("TRUNCATE issue_summary, issue_category_summary")
    op.execute("DELETE FROM store_meta WHERE key = 'summaries_at'")
    op.drop_constraint(op.f('pk_issue_category_summary'), 'issue_category_summary', type_='primary')
    op.execute("ALTER TABLE issue_category_summary " + ", ".join(
        f"DROP COLUMN {n}" for n in (*CATEGORY_COUNTS, *CATEGORY_HOURS, "department_code")))
    op.create_primary_key(op.f('pk_issue_category_summary'), 'issue_category_summary',
                          ['street_code', 'span', 'bucket', 'category_code'])
    op.execute("ALTER TABLE issue_summary " + ", ".join(f"DROP COLUMN {n}" for n in NEW_COUNTS))
    op.drop_index('ix_issue_repeat', table_name='issue')
    op.drop_index(op.f('ix_issue_department_code'), table_name='issue')
    op.execute("ALTER TABLE issue DROP COLUMN accept_due_at, DROP COLUMN department_code, "
               "DROP COLUMN redispatch_count, DROP COLUMN resolved, DROP COLUMN reporter_code")
    op.drop_table('department')
    op.drop_column('issue_category', 'accept_limit_hours')
