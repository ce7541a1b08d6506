"""sessions that survive a reload: user_session, found only by the hash of a secret cookie

Revision ID: 0015
Revises: 0014

- ``user_session``: a signed-in browser, keyed by the SHA-256 of the random id its HttpOnly cookie carries.
  Under row-level security the app role sees and writes the sessions of the transaction's signed user (an
  admin: all), and opens one only for that user: whoever holds the app role's password cannot mint a session
  for another account.
- ``ggc_session_user(hash, idle)``: the account of an open session (not ended, not expired, not idle longer
  than ``idle``, the account enabled), last seen refreshed at most once a minute; ``ggc_end_session(hash)``
  ends it. Both SECURITY DEFINER: a cookie is the only key to its row.
- A trigger ends every open session of an account whose role, area, disabled flag or password changes.
"""

from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"
OWN = "(username = ggc_user() OR ggc_role() = 'admin')"


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(20), nullable=True),
        sa.Column("client_addr", sa.String(64), server_default="", nullable=False),
        sa.Column("user_agent", sa.String(300), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["username"], ["app_user.username"], name=op.f("fk_user_session_username_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_user_session")),
    )
    op.create_index("ix_user_session_open", "user_session", ["username"], postgresql_where=sa.text("ended_at IS NULL"))
    op.execute("ALTER TABLE user_session ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE user_session FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY owner_all ON user_session TO CURRENT_USER USING (true) WITH CHECK (true)")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON user_session TO {APP_ROLE}")
    op.execute(f"CREATE POLICY app_read ON user_session FOR SELECT TO {APP_ROLE} USING {OWN}")
    op.execute(f"CREATE POLICY app_insert ON user_session FOR INSERT TO {APP_ROLE} WITH CHECK (username = ggc_user())")
    op.execute(f"CREATE POLICY app_update ON user_session FOR UPDATE TO {APP_ROLE} USING {OWN} WITH CHECK {OWN}")
    op.execute("""
        CREATE OR REPLACE FUNCTION ggc_session_user(p_hash text, p_idle interval) RETURNS text
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        DECLARE
            who text;
            seen timestamptz;
        BEGIN
            SELECT s.username, s.last_seen_at INTO who, seen FROM user_session s JOIN app_user a USING (username)
            WHERE s.id_hash = p_hash AND s.ended_at IS NULL AND s.expires_at > now()
              AND s.last_seen_at > now() - p_idle AND NOT a.disabled;
            IF who IS NOT NULL AND seen < now() - interval '1 minute' THEN
                UPDATE user_session SET last_seen_at = now() WHERE id_hash = p_hash;
            END IF;
            RETURN who;
        END $$""")
    op.execute("""
        CREATE OR REPLACE FUNCTION ggc_end_session(p_hash text) RETURNS text
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
            UPDATE user_session SET ended_at = now(), end_reason = 'signed_out'
            WHERE id_hash = p_hash AND ended_at IS NULL RETURNING username $$""")
    op.execute("""
        CREATE OR REPLACE FUNCTION ggc_end_changed_sessions() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
            IF (NEW.role, NEW.area, NEW.disabled, NEW.password_hash)
               IS DISTINCT FROM (OLD.role, OLD.area, OLD.disabled, OLD.password_hash) THEN
                UPDATE user_session SET ended_at = now(), end_reason = 'account_changed'
                WHERE username = NEW.username AND ended_at IS NULL;
            END IF;
            RETURN NULL;
        END $$""")
    op.execute(
        "CREATE TRIGGER end_changed_sessions AFTER UPDATE ON app_user FOR EACH ROW "
        "EXECUTE FUNCTION ggc_end_changed_sessions()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER end_changed_sessions ON app_user")
    op.execute("DROP FUNCTION ggc_end_changed_sessions()")
    op.execute("DROP FUNCTION ggc_end_session(text)")
    op.execute("DROP FUNCTION ggc_session_user(text, interval)")
    op.drop_index("ix_user_session_open", table_name="user_session")
    op.drop_table("user_session")
