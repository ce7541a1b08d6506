"""the request text (诉求内容) and the address of an issue, as 12345 and grid-system exports carry them

Revision ID: 0012
Revises: 0011

Both nullable and without a default: adding them rewrites nothing, however many issues the store holds.
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("issue", sa.Column("request_text", sa.Text))
    op.add_column("issue", sa.Column("address", sa.Text))


def downgrade() -> None:
    op.drop_column("issue", "address")
    op.drop_column("issue", "request_text")
