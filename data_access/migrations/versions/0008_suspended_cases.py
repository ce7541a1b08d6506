"""挂账: suspended open cases

Revision ID: 0008
Revises: 0007

- ``issue.suspended_at`` and ``issue.suspend_reason`` (both or neither): a case formally suspended (挂账) is
  still due but no longer counted as overdue (data_access.indicators.OVERDUE).
- ``ix_issue_open_reported`` includes ``suspended_at``: the live overdue and suspended counts beside the
  summaries are still answered from the index alone.
"""

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REWRITES = ("issue",)  # a new column and a new index: vacuumed and analysed afterwards
OPEN = ("due_at", "street_code", "community_code", "category_l1", "department_code")
CHECK = ("(suspended_at IS NULL) = (suspend_reason IS NULL) AND (suspended_at IS NULL OR suspended_at >= reported_at)")


def _open_index(include) -> None:
    op.drop_index("ix_issue_open_reported", table_name="issue")
    op.create_index("ix_issue_open_reported", "issue", ["district_code", "reported_at"], postgresql_include=list(include),
                    postgresql_where=sa.text("closed_at IS NULL"))


def upgrade() -> None:
    op.add_column('issue', sa.Column('suspended_at', sa.DateTime(), nullable=True))
    op.add_column('issue', sa.Column('suspend_reason', sa.Text(), nullable=True))
    op.create_check_constraint(op.f('ck_issue_suspended_with_reason'), 'issue', sa.text(CHECK))
    _open_index((*OPEN, "suspended_at"))


def downgrade() -> None:
    _open_index(OPEN)
    op.drop_constraint(op.f('ck_issue_suspended_with_reason'), 'issue', type_='check')
    op.drop_column('issue', 'suspend_reason')
    op.drop_column('issue', 'suspended_at')
