"""volunteer activity record number (natural key of imported activities)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("volunteer_activity", sa.Column("code", sa.String(length=32), nullable=True))
    op.create_unique_constraint(op.f("uq_volunteer_activity_code"), "volunteer_activity", ["code"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_volunteer_activity_code"), "volunteer_activity", type_="unique")
    op.drop_column("volunteer_activity", "code")
