"""accounts, audit log, the app role and row-level security on every table

Revision ID: 0004
Revises: 0003

The dashboard connects as ``ggc_app``: it owns nothing, is no superuser and cannot bypass row-level
security. Each transaction names its area, role and user with ``set_config(..., true)``
(data_access.engine); the policies below filter every table by that area as a code prefix, and an
unset or empty area sees nothing. The migrating role (the store's owner) keeps a policy of its own,
since FORCE ROW LEVEL SECURITY applies to table owners too.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"
A, R, U = "(SELECT ggc_area())", "(SELECT ggc_role())", "(SELECT ggc_user())"  # InitPlans: read once per query
P = "(SELECT ggc_prefix())"  # the area as a code prefix: '' for everything ('*'), one no code has when unset


def _inside(column: str) -> str:
    return f"starts_with({column}, {P})"


# Units: their own area and below, and the units above it (names and outlines for the breadcrumb).
UNITS = {
    "city": f"{_inside('code')} OR starts_with({A}, left(code, 4))",
    **{t: f"{_inside('code')} OR starts_with({A}, code)" for t in ("district", "street", "community", "grid", "micro_grid")},
    # A property company: in the area, or managing a compound in it.
    "property_company": _inside("district_code") + " OR EXISTS (SELECT 1 FROM compound c "
    f"WHERE c.property_company_id = property_company.id AND {_inside('c.community_code')})",
}
REFERENCE = ("issue_category", "property_credit_rating", "layer_source", "store_meta")  # any signed-in area
ADMIN = f"({R} = 'admin' AND {A} = '*')"


def _tables(conn) -> list[str]:
    return sorted(sa.inspect(conn).get_table_names())


def _read_policy(conn, table: str) -> str:
    if table in UNITS:
        return UNITS[table]
    if table in REFERENCE:
        return f"{A} <> ''"
    columns = {c["name"] for c in sa.inspect(conn).get_columns(table)}
    codes = [c for c in ("community_code", "street_code", "district_code") if c in columns]
    if not codes:
        raise RuntimeError(f"table {table} has no area column; give it a policy in this migration")
    return _inside(f"coalesce({', '.join(codes)})")


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.Text(), server_default='', nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('area', sa.String(length=15), server_default='', nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('disabled', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("area ~ '^([0-9]{6}|[0-9]{9}|[0-9]{12})?$'", name=op.f('ck_app_user_area_format')),
    sa.CheckConstraint("role IN ('city', 'district', 'street', 'community', 'screen', 'admin')", name=op.f('ck_app_user_role_enum')),
    sa.CheckConstraint("username ~ '^[A-Za-z0-9_.@-]{1,64}$'", name=op.f('ck_app_user_username_format')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('area', sa.String(length=15), server_default='', nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_username_at'), 'audit_log', ['username', 'at'], unique=False)

    # PARALLEL SAFE: parallel workers inherit the leader's settings, and an unsafe function in a policy
    # would turn every parallel plan (the raw city-wide scans) into a serial one.
    for name, setting in (("area", "app.area"), ("role", "app.role"), ("user", "app.user")):
        op.execute(
            f"CREATE OR REPLACE FUNCTION ggc_{name}() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE "
            f"AS $$ SELECT coalesce(current_setting('{setting}', true), '') $$"
        )
    op.execute(
        "CREATE OR REPLACE FUNCTION ggc_prefix() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$ "
        "SELECT CASE ggc_area() WHEN '*' THEN '' WHEN '' THEN 'none' ELSE ggc_area() END $$"
    )
    # The districts of a city, for city-scope filters (data_access.scope). A function with a SET clause is
    # never inlined, so the planner takes its ROWS estimate instead of guessing how many district rows
    # survive the policy (it guessed 1 and picked nested loops: 3x slower city pages). Runs as the caller.
    op.execute(
        "CREATE OR REPLACE FUNCTION ggc_city_districts(city text) RETURNS SETOF text LANGUAGE sql STABLE "
        "PARALLEL SAFE ROWS 12 SET search_path = public AS $$ SELECT code FROM district WHERE city_code = city $$"
    )
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
          END IF;
        END $$""")
    op.execute(f"ALTER ROLE {APP_ROLE} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    conn = op.get_bind()
    for table in _tables(conn):
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        op.execute(f'CREATE POLICY owner_all ON "{table}" TO CURRENT_USER USING (true) WITH CHECK (true)')
        if table == "alembic_version":  # the app never reads it
            continue
        if table == "app_user":  # one's own account (the login names it first); an admin sees all
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON app_user TO {APP_ROLE}")
            own = f"(username = {U} OR {R} = 'admin')"
            op.execute(f"CREATE POLICY app_read ON app_user FOR SELECT TO {APP_ROLE} USING {own}")
            op.execute(f"CREATE POLICY app_update ON app_user FOR UPDATE TO {APP_ROLE} USING {own} WITH CHECK {own}")
            op.execute(f"CREATE POLICY app_insert ON app_user FOR INSERT TO {APP_ROLE} WITH CHECK ({R} = 'admin')")
            op.execute(f"CREATE POLICY app_delete ON app_user FOR DELETE TO {APP_ROLE} USING ({R} = 'admin')")
            continue
        if table == "audit_log":  # everyone writes their own entries; admins read them; nobody edits them
            op.execute(f"GRANT SELECT, INSERT ON audit_log TO {APP_ROLE}")
            op.execute(f"CREATE POLICY app_insert ON audit_log FOR INSERT TO {APP_ROLE} WITH CHECK (username = {U})")
            op.execute(f"CREATE POLICY app_read ON audit_log FOR SELECT TO {APP_ROLE} USING ({R} = 'admin')")
            continue
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO {APP_ROLE}')
        op.execute(f'CREATE POLICY app_read ON "{table}" FOR SELECT TO {APP_ROLE} USING ({_read_policy(conn, table)})')
        # Writes (imports) by an admin of the whole store; not FOR ALL, which would widen every read's filter.
        op.execute(f'CREATE POLICY app_insert ON "{table}" FOR INSERT TO {APP_ROLE} WITH CHECK {ADMIN}')
        op.execute(f'CREATE POLICY app_update ON "{table}" FOR UPDATE TO {APP_ROLE} USING {ADMIN} WITH CHECK {ADMIN}')
        op.execute(f'CREATE POLICY app_delete ON "{table}" FOR DELETE TO {APP_ROLE} USING {ADMIN}')


def downgrade() -> None:
    conn = op.get_bind()
    for table in _tables(conn):
        for policy in ("owner_all", "app_read", "app_update", "app_insert", "app_delete"):
            op.execute(f'DROP POLICY IF EXISTS {policy} ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
        op.execute(f'REVOKE ALL ON "{table}" FROM {APP_ROLE}')
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    op.execute("DROP FUNCTION IF EXISTS ggc_city_districts(text)")
    for name in ("prefix", "area", "role", "user"):
        op.execute(f"DROP FUNCTION IF EXISTS ggc_{name}()")
    op.drop_index(op.f('ix_audit_log_username_at'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('app_user')
    # The role stays: other databases on the server may use it.
