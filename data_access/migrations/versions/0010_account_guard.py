"""only an admin changes who an account is

Revision ID: 0010
Revises: 0009

- A trigger on ``app_user``: through the app role, an account's name, role, area, disabled flag and screen
  token change only in a transaction that names an admin. Row-level security let a street account update its
  own row, every column of it (``SET role = 'admin', area = ''`` succeeded); its password it may still change.
- The app role's sessions: a statement timeout, and a session idle in a transaction (one holding a lock) is
  ended after a minute. Postgres lets a role reset its own settings (``ALTER ROLE … SET``): README says so.
"""

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"
WHO = "(NEW.username, NEW.role, NEW.area, NEW.disabled, NEW.token_hash)"
WAS = "(OLD.username, OLD.role, OLD.area, OLD.disabled, OLD.token_hash)"


def upgrade() -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION ggc_guard_account() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF current_user = '{APP_ROLE}' AND ggc_role() IS DISTINCT FROM 'admin' AND {WHO} IS DISTINCT FROM {WAS}
            THEN
                RAISE EXCEPTION 'only an administrator changes an account''s name, role, area, state or token'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER guard_account BEFORE UPDATE ON app_user FOR EACH ROW EXECUTE FUNCTION ggc_guard_account()")
    # The store's owner may not manage roles on an external server (the role was made by its DBA): then say so.
    op.execute(f"""
        DO $$ BEGIN
            ALTER ROLE {APP_ROLE} SET statement_timeout = '60s';
            ALTER ROLE {APP_ROLE} SET idle_in_transaction_session_timeout = '60s';
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'set statement_timeout and idle_in_transaction_session_timeout on {APP_ROLE} by hand';
        END $$""")


def downgrade() -> None:
    op.execute(f"""
        DO $$ BEGIN
            ALTER ROLE {APP_ROLE} RESET idle_in_transaction_session_timeout;
            ALTER ROLE {APP_ROLE} RESET statement_timeout;
        EXCEPTION WHEN insufficient_privilege THEN NULL;
        END $$""")
    op.execute("DROP TRIGGER guard_account ON app_user")
    op.execute("DROP FUNCTION ggc_guard_account()")
