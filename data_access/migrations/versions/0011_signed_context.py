"""a signed area context, password hashes out of the app role's reach, a connection limit

Revision ID: 0011
Revises: 0010

- The policies' area, role and user (``ggc_area()``, ``ggc_role()``, ``ggc_user()``) come from
  ``ggc_context()``, a SECURITY DEFINER function that accepts the transaction's ``app.context`` only when it
  carries a valid signature, made with a key in ``ggc_private`` (a schema the app role cannot use), and only
  for transactions started before its expiry. A plain ``SET app.area = '*'`` or an unsigned context sees nothing.
- ``app_user.password_hash`` is not readable by the app role: ``ggc_password_hash()`` gives the signed user's
  own hash to the sign-in check and nothing else.
- The app role's connections are limited (a role cannot raise its own limit).
"""

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"
CONNECTION_LIMIT = 100
READABLE = "id, username, display_name, role, area, token_hash, disabled, created_at, changed_at"
# area|role|expiry (epoch s)|signature (hex)|user: the user last, so that a typed name may hold any character
CONTEXT = r"^([0-9*]{0,12})\|([a-z]{0,10})\|([0-9]{1,12})\|([0-9a-f]{64})\|(.*)$"


def upgrade() -> None:
    op.execute("CREATE SCHEMA ggc_private")
    op.execute("REVOKE ALL ON SCHEMA ggc_private FROM PUBLIC")
    op.execute(
        "CREATE TABLE ggc_private.context_key (id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), secret bytea NOT NULL)"
    )
    # 244 random bits from the server's strong random source (two version-4 UUIDs).
    op.execute(
        "INSERT INTO ggc_private.context_key (secret) VALUES "
        "(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')))"
    )
    # sha256(key || sha256(key || message)): no length extension; pgcrypto's hmac() is not always installed.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION ggc_context() RETURNS text[] LANGUAGE plpgsql STABLE PARALLEL SAFE
        SECURITY DEFINER SET search_path = pg_catalog AS $$
        DECLARE
            p text[] := regexp_match(coalesce(current_setting('app.context', true), ''), '{CONTEXT}');
            k bytea;
        BEGIN
            IF p IS NULL OR p[3]::bigint < extract(epoch FROM now()) THEN
                RETURN ARRAY['', '', ''];
            END IF;
            SELECT secret INTO k FROM ggc_private.context_key;
            IF encode(sha256(k || sha256(k || convert_to(p[1] || '|' || p[2] || '|' || p[3] || '|' || p[5], 'UTF8'))),
                      'hex') IS DISTINCT FROM p[4] THEN
                RETURN ARRAY['', '', ''];
            END IF;
            RETURN ARRAY[p[1], p[2], p[5]];
        END $$""")
    for i, name in enumerate(("area", "role", "user"), start=1):
        op.execute(
            f"CREATE OR REPLACE FUNCTION ggc_{name}() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE "
            f"AS $$ SELECT (ggc_context())[{i}] $$"
        )
    op.execute(
        "CREATE OR REPLACE FUNCTION ggc_prefix() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$ "
        "SELECT CASE a WHEN '*' THEN '' WHEN '' THEN 'none' ELSE a END FROM (SELECT ggc_area() AS a) s $$"
    )
    op.execute(f"REVOKE SELECT ON app_user FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ({READABLE}) ON app_user TO {APP_ROLE}")
    op.execute(
        "CREATE OR REPLACE FUNCTION ggc_password_hash() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER "
        "SET search_path = pg_catalog, public AS $$ SELECT password_hash FROM app_user WHERE username = ggc_user() $$"
    )
    op.execute(f"""
        DO $$ BEGIN
            ALTER ROLE {APP_ROLE} CONNECTION LIMIT {CONNECTION_LIMIT};
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'set a connection limit on {APP_ROLE} by hand';
        END $$""")


def downgrade() -> None:
    op.execute(f"""
        DO $$ BEGIN
            ALTER ROLE {APP_ROLE} CONNECTION LIMIT -1;
        EXCEPTION WHEN insufficient_privilege THEN NULL;
        END $$""")
    op.execute("DROP FUNCTION ggc_password_hash()")
    op.execute(f"GRANT SELECT ON app_user TO {APP_ROLE}")
    for name, setting in (("area", "app.area"), ("role", "app.role"), ("user", "app.user")):
        op.execute(
            f"CREATE OR REPLACE FUNCTION ggc_{name}() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE "
            f"AS $$ SELECT coalesce(current_setting('{setting}', true), '') $$"
        )
    op.execute(
        "CREATE OR REPLACE FUNCTION ggc_prefix() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$ "
        "SELECT CASE ggc_area() WHEN '*' THEN '' WHEN '' THEN 'none' ELSE ggc_area() END $$"
    )
    op.execute("DROP FUNCTION ggc_context()")
    op.execute("DROP SCHEMA ggc_private CASCADE")
