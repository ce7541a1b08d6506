"""repeat requests by address: the issue's normalised address and its index

Revision ID: 0014
Revises: 0013

``issue.address_key`` is computed by Postgres from ``address`` (a stored generated column: NFKC, lower case,
no spaces or punctuation, 幢/号楼 → 栋; NULL unless the address names a number). A repeat request
(indicators.REPEAT) is an earlier issue of the same category within 30 days at the same compound or at the
same address key in the same community. Adding a stored generated column rewrites the table. The summaries of
the districts that already hold addresses are rebuilt, since their repeat counts now count addresses too.
"""

from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

REWRITES = ("issue",)
NORMAL = (
    "replace(translate(regexp_replace(lower(normalize(address, NFKC)), "
    "'[[:space:][:punct:]、。《》【】「」『』“”‘’·…—～]+', '', 'g'), '幢', '栋'), '号楼', '栋')"
)
ADDRESS_KEY = f"CASE WHEN address ~ '[0-9０-９]' THEN {NORMAL} END"


def upgrade() -> None:
    op.add_column("issue", sa.Column("address_key", sa.Text, sa.Computed(ADDRESS_KEY, persisted=True)))
    op.create_index(
        "ix_issue_repeat_address", "issue", ["address_key", "category_code", "reported_at"],
        postgresql_where=sa.text("address_key IS NOT NULL"),
    )
    conn = op.get_bind()
    districts = conn.execute(sa.text("SELECT DISTINCT district_code FROM issue WHERE address_key IS NOT NULL"))
    districts = list(districts.scalars())
    if districts:
        from data_access import summary

        summary.refresh(conn, districts)


def downgrade() -> None:
    op.drop_index("ix_issue_repeat_address", table_name="issue")
    op.drop_column("issue", "address_key")
