"""Import profiles (导入方案) and the sync: sources read by themselves, their runs and the files they loaded

Revision ID: 0025
Revises: 0024

- ``import_profile``: how a source's files map onto a kind (columns, category and department names, district),
  saved by an admin on /import or with ``import --save-profile``; read and written by admins only.
- ``sync_source``: an inbox folder or a SQL table read incrementally (watermark), the profile it loads with, how
  often it is expected to deliver, and the state of its last runs. Every signed-in user reads its freshness (the
  page headers say when each source last delivered, through ``ggc_sources()``, which /healthz and /metrics call as
  no account: a source's name, label, district, last delivery and since when it is silent (its last delivery, or
  its first run); admins read its state on /admin. The location (a folder or a database URL that may carry a
  password) and the watermark are not granted to the app role at all: the sync runs as the store owner.
- ``sync_run``: every run with its counts or its error (admins read them on /admin 数据对接).
- ``sync_file``: the files an inbox loaded, by SHA-256, so that each loads exactly once (admins read both).
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"
ADMIN = "((SELECT ggc_role()) = 'admin' AND (SELECT ggc_area()) = '*')"
SIGNED_IN = "((SELECT ggc_area()) <> '')"
SOURCE_READABLE = ("name", "label", "kind", "profile", "expected_minutes", "last_run_at", "last_ok_at",
                   "last_delivery_at", "last_error", "failures")


def _secure(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")


def upgrade() -> None:
    op.create_table(
        'import_profile',
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('district_code', sa.String(6), nullable=True),
        sa.Column('columns', postgresql.JSONB(), nullable=False),
        sa.Column('categories', postgresql.JSONB(), nullable=False),
        sa.Column('departments', postgresql.JSONB(), nullable=False),
        sa.Column('headers', postgresql.JSONB(), nullable=False),
        sa.Column('saved_by', sa.String(64), nullable=False),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['district_code'], ['district.code'],
                                name=op.f('fk_import_profile_district_code_district')),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_import_profile')),
    )
    op.create_table(
        'sync_source',
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('label', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(8), nullable=False),
        sa.Column('profile', sa.String(64), nullable=False),
        sa.Column('location', sa.Text(), nullable=False),
        sa.Column('source_table', sa.Text(), nullable=True),
        sa.Column('watermark_column', sa.Text(), nullable=True),
        sa.Column('key_column', sa.Text(), nullable=True),
        sa.Column('page_rows', sa.Integer(), server_default='10000', nullable=False),
        sa.Column('expected_minutes', sa.Integer(), nullable=False),
        sa.Column('watermark', sa.Text(), nullable=True),
        sa.Column('watermark_key', sa.Text(), nullable=True),
        sa.Column('last_run_at', sa.DateTime(), nullable=True),
        sa.Column('last_ok_at', sa.DateTime(), nullable=True),
        sa.Column('last_delivery_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint("kind IN ('folder', 'sql')", name=op.f('ck_sync_source_kind_enum')),
        sa.CheckConstraint("kind = 'folder' OR (source_table IS NOT NULL AND watermark_column IS NOT NULL "
                           "AND key_column IS NOT NULL)", name=op.f('ck_sync_source_sql_complete')),
        sa.CheckConstraint('expected_minutes > 0 AND page_rows > 0', name=op.f('ck_sync_source_positive')),
        sa.ForeignKeyConstraint(['profile'], ['import_profile.name'],
                                name=op.f('fk_sync_source_profile_import_profile')),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_sync_source')),
    )
    op.create_table(
        'sync_run',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('source', sa.String(64), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('files', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
        sa.Column('inserted', sa.Integer(), server_default='0', nullable=False),
        sa.Column('updated', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rejected', sa.Integer(), server_default='0', nullable=False),
        sa.Column('message', sa.Text(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['source'], ['sync_source.name'], name=op.f('fk_sync_run_source_sync_source'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_run')),
    )
    op.create_index(op.f('ix_sync_run_source_started_at'), 'sync_run', ['source', 'started_at'])
    op.create_table(
        'sync_file',
        sa.Column('source', sa.String(64), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('run_id', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['sync_run.id'], name=op.f('fk_sync_file_run_id_sync_run')),
        sa.ForeignKeyConstraint(['source'], ['sync_source.name'], name=op.f('fk_sync_file_source_sync_source'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('source', 'sha256', name=op.f('pk_sync_file')),
    )
    for table in ("import_profile", "sync_source", "sync_run", "sync_file"):
        _secure(table)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON import_profile TO {APP_ROLE}")
    op.execute(f"CREATE POLICY app_all ON import_profile TO {APP_ROLE} USING {ADMIN} WITH CHECK {ADMIN}")
    op.execute(f"GRANT SELECT ({', '.join(SOURCE_READABLE)}) ON sync_source TO {APP_ROLE}")
    op.execute(f"CREATE POLICY app_read ON sync_source FOR SELECT TO {APP_ROLE} USING {SIGNED_IN}")
    for table in ("sync_run", "sync_file"):
        op.execute(f"GRANT SELECT ON {table} TO {APP_ROLE}")
        op.execute(f"CREATE POLICY app_read ON {table} FOR SELECT TO {APP_ROLE} USING {ADMIN}")
    op.execute("""
        CREATE FUNCTION ggc_sources() RETURNS TABLE (name text, label text, district_code text, last_delivery_at timestamp,
                                                     since timestamp, expected_minutes integer, failures integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
            SELECT s.name, s.label, p.district_code, s.last_delivery_at,
                   coalesce(s.last_delivery_at, (SELECT min(started_at) FROM sync_run r WHERE r.source = s.name)),
                   s.expected_minutes, s.failures
            FROM sync_source s JOIN import_profile p ON p.name = s.profile ORDER BY s.label, s.name $$""")
    op.execute("REVOKE EXECUTE ON FUNCTION ggc_sources() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION ggc_sources() TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION ggc_sources()")
    op.drop_table('sync_file')
    op.drop_index(op.f('ix_sync_run_source_started_at'), table_name='sync_run')
    op.drop_table('sync_run')
    op.drop_table('sync_source')
    op.drop_table('import_profile')
