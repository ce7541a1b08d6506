"""The columns of an imported file that have no field: ``source_fields`` (JSON) on every table a file loads into

Revision ID: 0023
Revises: 0022

A district's real exports carry columns the model has none for (a 12345 work order's 办理状态, 来电人, 工单类型,
紧急程度 …). An import keeps them with the row they came in, as the file gave them (header → value), instead of
refusing the file: nothing the district sent is lost, and a later field can be filled from them.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

TABLES = (  # schema.SOURCE_FIELDS_TABLES as it stood at this revision
    "district", "street", "community", "grid", "micro_grid", "compound", "service_station", "issue", "grid_worker",
    "volunteer", "volunteer_activity", "property_company", "owners_committee", "property_fee", "housing_registry",
    "partner_unit", "joint_project", "service_item", "resident_question", "party_org",
)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("source_fields", postgresql.JSONB))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "source_fields")
