"""Alerts (预警): each firing of a rule on a unit, from when it was first seen until it cleared

Revision ID: 0018
Revises: 0017

- ``alert_event``: a rule (data_access/alerts.toml) firing on a unit (and a subject: a category or a compound, or
  none), with the value and the threshold when it was first seen and when last seen, when it cleared, and whether
  the webhook got it. At most one open firing per rule, unit and subject (a partial unique index): a condition that
  persists is one row, not a row per evaluation. Written by the evaluation (the store owner's job, after imports
  and on a schedule); the app role reads the firings of its area.
"""

from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"


def upgrade() -> None:
    op.create_table(
        "alert_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(15), nullable=False),
        sa.Column("subject", sa.String(40), server_default="", nullable=False),
        sa.Column("subject_name", sa.Text(), server_default="", nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_event")),
    )
    op.create_index("ix_alert_event_open", "alert_event", ["rule", "unit_code", "subject"], unique=True,
                    postgresql_where=sa.text("cleared_at IS NULL"))
    op.create_index(op.f("ix_alert_event_unit_code"), "alert_event", ["unit_code"])
    op.execute("ALTER TABLE alert_event ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE alert_event FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY owner_all ON alert_event TO CURRENT_USER USING (true) WITH CHECK (true)")
    op.execute(f"GRANT SELECT ON alert_event TO {APP_ROLE}")
    op.execute(f"CREATE POLICY app_read ON alert_event FOR SELECT TO {APP_ROLE} "
               "USING (starts_with(unit_code, (SELECT ggc_prefix())))")


def downgrade() -> None:
    op.drop_table("alert_event")
