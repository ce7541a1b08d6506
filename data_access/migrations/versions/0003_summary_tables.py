"""summary tables

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty until built: `data_access setup` (ensure_ready) rebuilds them when this marker is missing.
    op.execute("DELETE FROM store_meta WHERE key = 'summaries_at'")
    op.create_table('activity_summary',
    sa.Column('span', sa.String(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('activity_type', sa.String(length=14), nullable=False),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=14, scale=1), nullable=False),
    sa.CheckConstraint("span IN ('d', 'm')", name=op.f('ck_activity_summary_span_enum')),
    sa.PrimaryKeyConstraint('street_code', 'span', 'bucket', 'activity_type', name=op.f('pk_activity_summary'))
    )
    op.create_index(op.f('ix_activity_summary_district_code_span_bucket'), 'activity_summary', ['district_code', 'span', 'bucket'], unique=False)
    op.create_table('issue_category_summary',
    sa.Column('span', sa.String(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('category_code', sa.String(length=12), nullable=False),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('evaluated', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.CheckConstraint("span IN ('d', 'm')", name=op.f('ck_issue_category_summary_span_enum')),
    sa.PrimaryKeyConstraint('street_code', 'span', 'bucket', 'category_code', name=op.f('pk_issue_category_summary'))
    )
    op.create_index(op.f('ix_issue_category_summary_district_code_span_bucket'), 'issue_category_summary', ['district_code', 'span', 'bucket'], unique=False)
    op.create_table('issue_summary',
    sa.Column('span', sa.String(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('dispatched', sa.Integer(), nullable=False),
    sa.Column('handled', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('evaluated', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('h_accepted', sa.Float(), nullable=False),
    sa.Column('h_dispatched', sa.Float(), nullable=False),
    sa.Column('h_handled', sa.Float(), nullable=False),
    sa.Column('h_closed', sa.Float(), nullable=False),
    sa.Column('h_satisfied', sa.Float(), nullable=False),
    sa.Column('nh_accepted', sa.Integer(), nullable=False),
    sa.Column('nh_dispatched', sa.Integer(), nullable=False),
    sa.Column('nh_handled', sa.Integer(), nullable=False),
    sa.Column('nh_closed', sa.Integer(), nullable=False),
    sa.Column('nh_satisfied', sa.Integer(), nullable=False),
    sa.Column('src_grid_patrol', sa.Integer(), nullable=False),
    sa.Column('src_resident_request', sa.Integer(), nullable=False),
    sa.Column('src_resident_order', sa.Integer(), nullable=False),
    sa.Column('src_hotline', sa.Integer(), nullable=False),
    sa.Column('src_drone_ai', sa.Integer(), nullable=False),
    sa.Column('src_visit', sa.Integer(), nullable=False),
    sa.Column('src_property_steward', sa.Integer(), nullable=False),
    sa.Column('src_petition', sa.Integer(), nullable=False),
    sa.Column('esc_compound', sa.Integer(), nullable=False),
    sa.Column('esc_community', sa.Integer(), nullable=False),
    sa.Column('esc_street', sa.Integer(), nullable=False),
    sa.Column('esc_district', sa.Integer(), nullable=False),
    sa.CheckConstraint("span IN ('d', 'm')", name=op.f('ck_issue_summary_span_enum')),
    sa.PrimaryKeyConstraint('community_code', 'span', 'bucket', name=op.f('pk_issue_summary'))
    )
    op.create_index(op.f('ix_issue_summary_district_code_span_bucket'), 'issue_summary', ['district_code', 'span', 'bucket'], unique=False)
    op.create_index(op.f('ix_issue_summary_street_code_span_bucket'), 'issue_summary', ['street_code', 'span', 'bucket'], unique=False)
    op.create_table('team_summary',
    sa.Column('span', sa.String(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=14, scale=1), nullable=False),
    sa.CheckConstraint("span IN ('d', 'm')", name=op.f('ck_team_summary_span_enum')),
    sa.PrimaryKeyConstraint('street_code', 'span', 'bucket', 'team_id', name=op.f('pk_team_summary'))
    )
    op.create_index(op.f('ix_team_summary_district_code_span_bucket'), 'team_summary', ['district_code', 'span', 'bucket'], unique=False)
    op.create_table('volunteer_days',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('days', postgresql.BIT(varying=True), nullable=False),
    sa.PrimaryKeyConstraint('community_code', 'volunteer_id', 'team_id', name=op.f('pk_volunteer_days'))
    )
    op.create_index(op.f('ix_volunteer_days_district_code'), 'volunteer_days', ['district_code'], unique=False)
    op.create_index(op.f('ix_volunteer_days_street_code'), 'volunteer_days', ['street_code'], unique=False)
    op.create_index('ix_issue_open_due_code', 'issue', ['due_at', 'code'], unique=False, postgresql_where=sa.text('closed_at IS NULL'))
    op.create_index('ix_issue_open_reported', 'issue', ['district_code', 'reported_at'], unique=False, postgresql_include=['due_at', 'street_code', 'community_code', 'category_l1'], postgresql_where=sa.text('closed_at IS NULL'))


def downgrade() -> None:
    op.execute("DELETE FROM store_meta WHERE key = 'summaries_at'")
    op.drop_index('ix_issue_open_reported', table_name='issue', postgresql_include=['due_at', 'street_code', 'community_code', 'category_l1'], postgresql_where=sa.text('closed_at IS NULL'))
    op.drop_index('ix_issue_open_due_code', table_name='issue', postgresql_where=sa.text('closed_at IS NULL'))
    op.drop_index(op.f('ix_volunteer_days_street_code'), table_name='volunteer_days')
    op.drop_index(op.f('ix_volunteer_days_district_code'), table_name='volunteer_days')
    op.drop_table('volunteer_days')
    op.drop_index(op.f('ix_team_summary_district_code_span_bucket'), table_name='team_summary')
    op.drop_table('team_summary')
    op.drop_index(op.f('ix_issue_summary_street_code_span_bucket'), table_name='issue_summary')
    op.drop_index(op.f('ix_issue_summary_district_code_span_bucket'), table_name='issue_summary')
    op.drop_table('issue_summary')
    op.drop_index(op.f('ix_issue_category_summary_district_code_span_bucket'), table_name='issue_category_summary')
    op.drop_table('issue_category_summary')
    op.drop_index(op.f('ix_activity_summary_district_code_span_bucket'), table_name='activity_summary')
    op.drop_table('activity_summary')
