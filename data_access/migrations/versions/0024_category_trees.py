"""A district's own category tree: its categories under its own codes, with its own time limits

Revision ID: 0024
Revises: 0023

- ``category_tree``: a district that loaded its own tree (kind ``categories``), whether it replaces the default
  tree there or extends it, and when it was loaded.
- ``district_category``: the level-3 categories of that tree, each a stored ``issue_category`` (shared by path:
  two districts' 市容环境>环境卫生>垃圾清运 are one category), the district's own code (分类代码) and its 办理时限
  (hours, working days or calendar days) and 受理时限.
- ``issue_category.district_code``: the district whose tree added the category (NULL: the default tree), so that a
  district without a tree of its own matches names against the default tree only.
- Time limits may be counted in calendar days (自然日).

Issues keep the deadline they were judged by: ``due_at`` is stored when the issue loads, so a later tree changes the
deadlines of issues loaded after it only.
"""

from alembic import op
import sqlalchemy as sa

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"
P = "(SELECT ggc_prefix())"
ADMIN = "((SELECT ggc_role()) = 'admin' AND (SELECT ggc_area()) = '*')"
OLD_LIMIT = "(level = 3) = (time_limit IS NOT NULL AND time_limit > 0 AND time_limit_unit IN ('hours', 'working_days'))"
LIMIT = ("(level = 3) = (time_limit IS NOT NULL AND time_limit > 0 "
         "AND time_limit_unit IN ('hours', 'working_days', 'calendar_days'))")


def upgrade() -> None:
    op.add_column('issue_category', sa.Column('district_code', sa.String(6), nullable=True))
    op.create_foreign_key(op.f('fk_issue_category_district_code_district'), 'issue_category', 'district',
                          ['district_code'], ['code'])
    op.alter_column('issue_category', 'time_limit_unit', type_=sa.String(16), existing_type=sa.String(12))
    op.drop_constraint(op.f('ck_issue_category_limit_on_leaf'), 'issue_category', type_='check')
    op.create_check_constraint(op.f('ck_issue_category_limit_on_leaf'), 'issue_category', sa.text(LIMIT))
    op.create_table(
        'category_tree',
        sa.Column('district_code', sa.String(6), nullable=False),
        sa.Column('replaces', sa.Boolean(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['district_code'], ['district.code'],
                                name=op.f('fk_category_tree_district_code_district')),
        sa.PrimaryKeyConstraint('district_code', name=op.f('pk_category_tree')),
    )
    op.create_table(
        'district_category',
        sa.Column('district_code', sa.String(6), nullable=False),
        sa.Column('code', sa.String(12), nullable=False),
        sa.Column('source_code', sa.String(40), nullable=True),
        sa.Column('time_limit', sa.Integer(), nullable=False),
        sa.Column('time_limit_unit', sa.String(16), nullable=False),
        sa.Column('accept_limit_hours', sa.Float(), nullable=True),
        sa.CheckConstraint("time_limit > 0 AND time_limit_unit IN ('hours', 'working_days', 'calendar_days')",
                           name=op.f('ck_district_category_limit_valid')),
        sa.CheckConstraint('accept_limit_hours IS NULL OR accept_limit_hours > 0',
                           name=op.f('ck_district_category_accept_positive')),
        sa.ForeignKeyConstraint(['code'], ['issue_category.code'],
                                name=op.f('fk_district_category_code_issue_category')),
        sa.ForeignKeyConstraint(['district_code'], ['category_tree.district_code'],
                                name=op.f('fk_district_category_district_code_category_tree')),
        sa.PrimaryKeyConstraint('district_code', 'code', name=op.f('pk_district_category')),
        sa.UniqueConstraint('district_code', 'source_code', name=op.f('uq_district_category_district_code_source_code')),
    )
    for table in ("category_tree", "district_category"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
        read = f"starts_with(district_code, {P}) OR starts_with((SELECT ggc_area()), district_code)"
        op.execute(f"CREATE POLICY app_read ON {table} FOR SELECT TO {APP_ROLE} USING ({read})")
        op.execute(f"CREATE POLICY app_insert ON {table} FOR INSERT TO {APP_ROLE} WITH CHECK {ADMIN}")
        op.execute(f"CREATE POLICY app_update ON {table} FOR UPDATE TO {APP_ROLE} USING {ADMIN} WITH CHECK {ADMIN}")
        op.execute(f"CREATE POLICY app_delete ON {table} FOR DELETE TO {APP_ROLE} USING {ADMIN}")


def downgrade() -> None:
    op.drop_table('district_category')
    op.drop_table('category_tree')
    op.execute("DELETE FROM issue_category c WHERE district_code IS NOT NULL "
               "AND NOT EXISTS (SELECT FROM issue WHERE category_code LIKE c.code || '%')")
    op.drop_constraint(op.f('ck_issue_category_limit_on_leaf'), 'issue_category', type_='check')
    op.create_check_constraint(op.f('ck_issue_category_limit_on_leaf'), 'issue_category', sa.text(OLD_LIMIT))
    op.alter_column('issue_category', 'time_limit_unit', type_=sa.String(12), existing_type=sa.String(16))
    op.drop_constraint(op.f('fk_issue_category_district_code_district'), 'issue_category', type_='foreignkey')
    op.drop_column('issue_category', 'district_code')
