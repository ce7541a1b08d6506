"""Community workers and residents: the records behind 社区工作者 and their staffing standard (人/万常住人口)

Revision ID: 0021
Revises: 0020

- ``community.residents``: the community's permanent residents (常住人口), a count; NULL when unknown.
- ``grid_worker.role`` gains ``community_worker`` (社区工作者): staff of the community office, placed at the
  community (no grid).
- ``ix_issue_reporter_code``: the issues a worker reported. Deleting workers (a district removed, this
  migration's downgrade) checks each against ``issue.reporter_code``; without an index, one scan of issue each.
"""

from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

OLD_ROLES = ("full_time", "part_time", "dedicated", "micro_grid", "building_head", "grid_leader", "sunk_staff")
NEW_ROLES = (*OLD_ROLES, "community_worker")


def _roles(roles) -> None:
    op.drop_constraint(op.f("ck_grid_worker_role_enum"), "grid_worker", type_="check")
    listed = ", ".join(f"'{r}'" for r in roles)
    op.create_check_constraint(op.f("ck_grid_worker_role_enum"), "grid_worker", f"role IN ({listed})")


def upgrade() -> None:
    op.add_column("community", sa.Column("residents", sa.Integer))
    op.create_check_constraint(op.f("ck_community_residents_nonneg"), "community", "residents IS NULL OR residents >= 0")
    op.alter_column("grid_worker", "role", type_=sa.String(16), existing_nullable=False)
    _roles(NEW_ROLES)
    op.create_index(
        "ix_issue_reporter_code", "issue", ["reporter_code"], postgresql_where=sa.text("reporter_code IS NOT NULL")
    )


def downgrade() -> None:
    op.execute("DELETE FROM grid_worker WHERE role = 'community_worker'")
    op.drop_index("ix_issue_reporter_code", table_name="issue")
    _roles(OLD_ROLES)
    op.alter_column("grid_worker", "role", type_=sa.String(14), existing_nullable=False)
    op.drop_constraint(op.f("ck_community_residents_nonneg"), "community", type_="check")
    op.drop_column("community", "residents")
