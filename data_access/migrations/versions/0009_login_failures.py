"""sign-in failures by name and address

Revision ID: 0009
Revises: 0008

- ``login_failure``: one row per failed sign-in with the name tried (an account or not) and the client's
  address. Five in 15 minutes lock that name for that address; twenty from one address lock the address
  (data_access.accounts.login). An unknown name locks like a known one, so a lock says nothing about which
  names exist, and one client cannot keep an account locked for everyone else.
- ``app_user.failed_logins`` and ``locked_until`` are dropped: the lock is per address now.
"""

from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

APP_ROLE = "ggc_app"


def upgrade() -> None:
    op.create_table('login_failure',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('addr', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    op.create_index(op.f('ix_login_failure_addr_at'), 'login_failure', ['addr', 'at'], unique=False)
    op.execute("ALTER TABLE login_failure ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE login_failure FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY owner_all ON login_failure TO CURRENT_USER USING (true) WITH CHECK (true)")
    # Sign-in runs before anyone is known: the app counts, adds and (after a success) clears failures.
    op.execute(f"GRANT SELECT, INSERT, DELETE ON login_failure TO {APP_ROLE}")
    op.execute(f"CREATE POLICY app_all ON login_failure TO {APP_ROLE} USING (true) WITH CHECK (true)")
    op.drop_column('app_user', 'locked_until')
    op.drop_column('app_user', 'failed_logins')


def downgrade() -> None:
    op.add_column('app_user', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.add_column('app_user', sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.drop_index(op.f('ix_login_failure_addr_at'), table_name='login_failure')
    op.drop_table('login_failure')
