"""Texts and repeats counted when issues load: ``issue.repeat_of`` (重复诉求) and the words residents use

Revision ID: 0022
Revises: 0021

- ``issue.repeat_of``: the latest earlier issue of the same level-3 category within 30 days at the same compound, or
  at the same address in the same community (indicators.REPEAT_OF); NULL when none. Set when issues load
  (summary.mark_repeats, for the places and months a load touches), so that pages count and list repeats without
  looking up earlier issues for every issue of a period (a city's page did two index probes per issue).
- ``ix_issue_repeats``: the repeats of a place and period, with what groups them (an index-only scan).
- The existing issues are marked here.
- ``word_district_summary`` (district × report month × word: the issues whose request text uses the word): the words
  residents use, counted by data_access.words when issues load (a city's page cut a year of texts into words: 15–18 s
  at megacity scale). Row-level security like the other summaries. Filled by setup on a store that has none.
"""

from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"
A, R, P = "(SELECT ggc_area())", "(SELECT ggc_role())", "(SELECT ggc_prefix())"
ADMIN = f"({R} = 'admin' AND {A} = '*')"

_EARLIER = (
    "p.category_code = c.category_code AND p.reported_at < c.reported_at "
    "AND p.reported_at >= c.reported_at - interval '30 days'"
)
REPEAT_OF = (  # indicators.REPEAT_OF as it stood at this revision
    "(SELECT x.id FROM ((SELECT p.id, p.reported_at FROM issue p WHERE c.compound_code IS NOT NULL "
    f"AND p.compound_code = c.compound_code AND {_EARLIER} ORDER BY p.reported_at DESC, p.id DESC LIMIT 1) "
    "UNION ALL (SELECT p.id, p.reported_at FROM issue p WHERE c.address_key IS NOT NULL "
    f"AND p.address_key = c.address_key AND p.community_code = c.community_code AND {_EARLIER} "
    "ORDER BY p.reported_at DESC, p.id DESC LIMIT 1)) x ORDER BY x.reported_at DESC, x.id DESC LIMIT 1)"
)


def upgrade() -> None:
    op.add_column("issue", sa.Column("repeat_of", sa.BigInteger))
    op.execute(
        f"UPDATE issue i SET repeat_of = x.prev FROM (SELECT c.id, {REPEAT_OF} AS prev FROM issue c) x "
        "WHERE i.id = x.id AND x.prev IS NOT NULL"
    )
    op.create_index(
        "ix_issue_repeats", "issue", ["district_code", "reported_at"],
        postgresql_include=["street_code", "community_code", "compound_code", "address_key", "category_code"],
        postgresql_where=sa.text("repeat_of IS NOT NULL"),
    )
    op.create_table(
        "word_district_summary",
        sa.Column("bucket", sa.Date, nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("word", sa.Text, nullable=False),
        sa.Column("issues", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("district_code", "bucket", "word", name=op.f("pk_word_district_summary")),
    )
    for table, place in (("word_district_summary", "district_code"),):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
        op.execute(f"CREATE POLICY app_read ON {table} FOR SELECT TO {APP_ROLE} USING (starts_with({place}, {P}))")
        op.execute(f"CREATE POLICY app_insert ON {table} FOR INSERT TO {APP_ROLE} WITH CHECK {ADMIN}")
        op.execute(f"CREATE POLICY app_update ON {table} FOR UPDATE TO {APP_ROLE} USING {ADMIN} WITH CHECK {ADMIN}")
        op.execute(f"CREATE POLICY app_delete ON {table} FOR DELETE TO {APP_ROLE} USING {ADMIN}")


def downgrade() -> None:
    op.drop_table("word_district_summary")
    op.drop_index("ix_issue_repeats", table_name="issue")
    op.drop_column("issue", "repeat_of")
