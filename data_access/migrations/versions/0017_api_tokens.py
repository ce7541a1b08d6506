"""API tokens: other systems read /api/v1/ as an account, found only by the hash of the token

Revision ID: 0017
Revises: 0016

- ``api_token``: a token an admin issued to one account (a label, who issued it, when it was last used, when it
  was revoked). Only its SHA-256 is stored. Under row-level security the app role's admins see, issue and revoke
  every token; other accounts see their own and change none.
- ``ggc_api_token_user(hash)``: the account of a token that is not revoked, whose account is enabled; last used
  refreshed at most once a minute. SECURITY DEFINER: the token is the only key to its row.
- For /healthz and /metrics, which ask as no account: ``ggc_health()`` (schema revision, data version and when it last changed) and ``ggc_open_sessions(idle)``
  (a count, nothing of whose they are).
"""

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"
ADMIN = "ggc_role() = 'admin'"


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["username"], ["app_user.username"], name=op.f("fk_api_token_username_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.execute("ALTER TABLE api_token ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE api_token FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY owner_all ON api_token TO CURRENT_USER USING (true) WITH CHECK (true)")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON api_token TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON SEQUENCE api_token_id_seq TO {APP_ROLE}")
    op.execute(f"CREATE POLICY app_read ON api_token FOR SELECT TO {APP_ROLE} USING (username = ggc_user() OR {ADMIN})")
    op.execute(f"CREATE POLICY app_insert ON api_token FOR INSERT TO {APP_ROLE} WITH CHECK ({ADMIN})")
    op.execute(f"CREATE POLICY app_update ON api_token FOR UPDATE TO {APP_ROLE} USING ({ADMIN}) WITH CHECK ({ADMIN})")
    op.execute("""
        CREATE OR REPLACE FUNCTION ggc_api_token_user(p_hash text) RETURNS text
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        DECLARE
            who text;
            used timestamptz;
        BEGIN
            SELECT t.username, t.last_used_at INTO who, used FROM api_token t JOIN app_user a USING (username)
            WHERE t.token_hash = p_hash AND t.revoked_at IS NULL AND NOT a.disabled;
            IF who IS NOT NULL AND (used IS NULL OR used < now() - interval '1 minute') THEN
                UPDATE api_token SET last_used_at = now() WHERE token_hash = p_hash;
            END IF;
            RETURN who;
        END $$""")
    op.execute("""
        CREATE OR REPLACE FUNCTION ggc_health(OUT revision text, OUT data_version bigint, OUT data_changed_at text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
            SELECT (SELECT version_num FROM alembic_version LIMIT 1),
                   (SELECT value::bigint FROM store_meta WHERE key = 'data_version'),
                   (SELECT value FROM store_meta WHERE key = 'data_changed_at') $$""")
    op.execute("""
        CREATE OR REPLACE FUNCTION ggc_open_sessions(p_idle interval) RETURNS bigint
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
            SELECT count(*) FROM user_session
            WHERE ended_at IS NULL AND expires_at > now() AND last_seen_at > now() - p_idle $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION ggc_open_sessions(interval)")
    op.execute("DROP FUNCTION ggc_health()")
    op.execute("DROP FUNCTION ggc_api_token_user(text)")
    op.drop_table("api_token")
