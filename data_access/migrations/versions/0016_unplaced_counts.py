"""issues without a point, counted in the summaries

Revision ID: 0016
Revises: 0015

``unplaced`` (the catalogue's count of issues placed by name, without coordinates) becomes a column of the four
issue summaries, so that 未定位事件占比 reads like every other rate. Stores whose issues all carry a point need
nothing more (0 everywhere); the districts holding issues without one are rebuilt.
"""

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TABLES = ("issue_summary", "issue_category_summary", "issue_district_summary", "issue_category_district_summary")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN unplaced integer NOT NULL DEFAULT 0")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN unplaced DROP DEFAULT")
    conn = op.get_bind()
    districts = list(conn.execute(sa.text("SELECT DISTINCT district_code FROM issue WHERE lon IS NULL")).scalars())
    if districts:
        from data_access import summary

        summary.refresh(conn, districts)


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "unplaced")
