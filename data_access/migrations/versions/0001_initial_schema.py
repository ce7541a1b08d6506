"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 07:20:29.774397
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('city',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('province', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_city'))
    )
    op.create_table('issue_category',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('time_limit', sa.Integer(), nullable=True),
    sa.Column('time_limit_unit', sa.String(length=12), nullable=True),
    sa.CheckConstraint("(level = 3) = (time_limit IS NOT NULL AND time_limit > 0 AND time_limit_unit IN ('hours', 'working_days'))", name=op.f('ck_issue_category_limit_on_leaf')),
    sa.CheckConstraint('(level = 1) = (parent_code IS NULL)', name=op.f('ck_issue_category_parent_by_level')),
    sa.CheckConstraint('level BETWEEN 1 AND 3', name=op.f('ck_issue_category_level_range')),
    sa.ForeignKeyConstraint(['parent_code'], ['issue_category.code'], name=op.f('fk_issue_category_parent_code_issue_category')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_issue_category'))
    )
    op.create_table('layer_source',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('layer', sa.String(length=20), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_crs', sa.Text(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_layer_source'))
    )
    op.create_table('store_meta',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_store_meta'))
    )
    op.create_table('district',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('geom', sa.LargeBinary(), nullable=True),
    sa.Column('srid', sa.Integer(), server_default='4326', nullable=False),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('centroid_lon', sa.Float(), nullable=True),
    sa.Column('centroid_lat', sa.Float(), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9]{6}$'", name=op.f('ck_district_code_format')),
    sa.ForeignKeyConstraint(['city_code'], ['city.code'], name=op.f('fk_district_city_code_city')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_district'))
    )
    op.create_table('property_company',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('party_org_form', sa.String(length=12), server_default='none', nullable=False),
    sa.Column('cross_appointments', sa.Integer(), server_default='0', nullable=False),
    sa.Column('state_owned', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.CheckConstraint("party_org_form IN ('branch', 'instructor', 'none')", name=op.f('ck_property_company_party_org_form_enum')),
    sa.CheckConstraint('cross_appointments >= 0', name=op.f('ck_property_company_cross_nonneg')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_property_company_district_code_district')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_company')),
    sa.UniqueConstraint('code', name=op.f('uq_property_company_code'))
    )
    op.create_index(op.f('ix_property_company_district_code'), 'property_company', ['district_code'], unique=False)
    op.create_table('street',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('geom', sa.LargeBinary(), nullable=True),
    sa.Column('srid', sa.Integer(), server_default='4326', nullable=False),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('centroid_lon', sa.Float(), nullable=True),
    sa.Column('centroid_lat', sa.Float(), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9]{9}$' AND left(code, 6) = district_code", name=op.f('ck_street_code_format')),
    sa.CheckConstraint("kind IN ('street', 'town')", name=op.f('ck_street_kind_enum')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_street_district_code_district')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_street'))
    )
    op.create_index(op.f('ix_street_district_code'), 'street', ['district_code'], unique=False)
    op.create_table('community',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('geom', sa.LargeBinary(), nullable=True),
    sa.Column('srid', sa.Integer(), server_default='4326', nullable=False),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('centroid_lon', sa.Float(), nullable=True),
    sa.Column('centroid_lat', sa.Float(), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9]{12}$' AND left(code, 9) = street_code", name=op.f('ck_community_code_format')),
    sa.CheckConstraint("kind IN ('community', 'village')", name=op.f('ck_community_kind_enum')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_community_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_community_street_code_street')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_community'))
    )
    op.create_index(op.f('ix_community_district_code'), 'community', ['district_code'], unique=False)
    op.create_index(op.f('ix_community_street_code'), 'community', ['street_code'], unique=False)
    op.create_table('property_credit_rating',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.CheckConstraint('score BETWEEN 0 AND 100', name=op.f('ck_property_credit_rating_score_range')),
    sa.ForeignKeyConstraint(['company_id'], ['property_company.id'], name=op.f('fk_property_credit_rating_company_id_property_company'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('company_id', 'year', name=op.f('pk_property_credit_rating'))
    )
    op.create_table('grid',
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('geom', sa.LargeBinary(), nullable=True),
    sa.Column('srid', sa.Integer(), server_default='4326', nullable=False),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('centroid_lon', sa.Float(), nullable=True),
    sa.Column('centroid_lat', sa.Float(), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9]{15}$' AND left(code, 12) = community_code", name=op.f('ck_grid_code_format')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_grid_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_grid_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_grid_street_code_street')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_grid'))
    )
    op.create_index(op.f('ix_grid_community_code'), 'grid', ['community_code'], unique=False)
    op.create_index(op.f('ix_grid_district_code'), 'grid', ['district_code'], unique=False)
    op.create_index(op.f('ix_grid_street_code'), 'grid', ['street_code'], unique=False)
    op.create_table('partner_unit',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=True),
    sa.Column('paired_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_partner_unit_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_partner_unit_district_code_district')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_unit')),
    sa.UniqueConstraint('district_code', 'name', name=op.f('uq_partner_unit_district_code_name'))
    )
    op.create_table('volunteer_team',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=14), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('founded_on', sa.Date(), nullable=False),
    sa.CheckConstraint("kind IN ('neighbourhood', 'party', 'professional', 'specialty')", name=op.f('ck_volunteer_team_kind_enum')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_volunteer_team_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_volunteer_team_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_volunteer_team_street_code_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_team')),
    sa.UniqueConstraint('code', name=op.f('uq_volunteer_team_code'))
    )
    op.create_index(op.f('ix_volunteer_team_community_code'), 'volunteer_team', ['community_code'], unique=False)
    op.create_index(op.f('ix_volunteer_team_district_code'), 'volunteer_team', ['district_code'], unique=False)
    op.create_table('compound',
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('grid_relation', sa.String(length=8), nullable=True),
    sa.Column('type', sa.String(length=14), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=True),
    sa.Column('buildings', sa.Integer(), server_default='0', nullable=False),
    sa.Column('management_mode', sa.String(length=18), nullable=False),
    sa.Column('property_company_id', sa.Integer(), nullable=True),
    sa.Column('committee_eligible', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('weak', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('renovated_year', sa.Integer(), nullable=True),
    sa.Column('geom', sa.LargeBinary(), nullable=True),
    sa.Column('srid', sa.Integer(), server_default='4326', nullable=False),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('centroid_lon', sa.Float(), nullable=True),
    sa.Column('centroid_lat', sa.Float(), nullable=True),
    sa.CheckConstraint("grid_relation IS NULL OR grid_relation IN ('same', 'larger', 'smaller')", name=op.f('ck_compound_grid_relation_enum')),
    sa.CheckConstraint("management_mode IN ('professional', 'bundled', 'community_managed', 'self_managed', 'none')", name=op.f('ck_compound_management_mode_enum')),
    sa.CheckConstraint("type IN ('commercial', 'old', 'resettlement', 'affordable', 'unmanaged')", name=op.f('ck_compound_type_enum')),
    sa.CheckConstraint('households >= 0 AND buildings >= 0 AND (residents IS NULL OR residents >= 0)', name=op.f('ck_compound_counts_nonneg')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_compound_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_compound_district_code_district')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid.code'], name=op.f('fk_compound_grid_code_grid')),
    sa.ForeignKeyConstraint(['property_company_id'], ['property_company.id'], name=op.f('fk_compound_property_company_id_property_company')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_compound_street_code_street')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_compound'))
    )
    op.create_index(op.f('ix_compound_community_code'), 'compound', ['community_code'], unique=False)
    op.create_index(op.f('ix_compound_district_code'), 'compound', ['district_code'], unique=False)
    op.create_index(op.f('ix_compound_grid_code'), 'compound', ['grid_code'], unique=False)
    op.create_index(op.f('ix_compound_street_code'), 'compound', ['street_code'], unique=False)
    op.create_table('micro_grid',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('households', sa.Integer(), server_default='0', nullable=False),
    sa.Column('geom', sa.LargeBinary(), nullable=True),
    sa.Column('srid', sa.Integer(), server_default='4326', nullable=False),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('centroid_lon', sa.Float(), nullable=True),
    sa.Column('centroid_lat', sa.Float(), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9]{17,20}$' AND left(code, 15) = grid_code", name=op.f('ck_micro_grid_code_format')),
    sa.CheckConstraint('households >= 0', name=op.f('ck_micro_grid_households_nonneg')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_micro_grid_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_micro_grid_district_code_district')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid.code'], name=op.f('fk_micro_grid_grid_code_grid')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_micro_grid_street_code_street')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_micro_grid'))
    )
    op.create_index(op.f('ix_micro_grid_community_code'), 'micro_grid', ['community_code'], unique=False)
    op.create_index(op.f('ix_micro_grid_district_code'), 'micro_grid', ['district_code'], unique=False)
    op.create_index(op.f('ix_micro_grid_grid_code'), 'micro_grid', ['grid_code'], unique=False)
    op.create_index(op.f('ix_micro_grid_street_code'), 'micro_grid', ['street_code'], unique=False)
    op.create_table('volunteer',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.CheckConstraint("kind IN ('resident', 'party_member', 'in_service_party_member')", name=op.f('ck_volunteer_kind_enum')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_volunteer_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_volunteer_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_volunteer_street_code_street')),
    sa.ForeignKeyConstraint(['team_id'], ['volunteer_team.id'], name=op.f('fk_volunteer_team_id_volunteer_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer')),
    sa.UniqueConstraint('code', name=op.f('uq_volunteer_code'))
    )
    op.create_index(op.f('ix_volunteer_community_code'), 'volunteer', ['community_code'], unique=False)
    op.create_index(op.f('ix_volunteer_district_code_registered_on'), 'volunteer', ['district_code', 'registered_on'], unique=False)
    op.create_index(op.f('ix_volunteer_team_id'), 'volunteer', ['team_id'], unique=False)
    op.create_table('grid_worker',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=14), nullable=False),
    sa.Column('party_member', sa.Boolean(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('micro_grid_code', sa.String(length=20), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('monthly_allowance', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('commended', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.CheckConstraint("role IN ('full_time', 'part_time', 'dedicated', 'micro_grid', 'building_head', 'grid_leader', 'sunk_staff')", name=op.f('ck_grid_worker_role_enum')),
    sa.CheckConstraint('left_on IS NULL OR left_on >= joined_on', name=op.f('ck_grid_worker_dates_order')),
    sa.CheckConstraint('monthly_allowance IS NULL OR monthly_allowance >= 0', name=op.f('ck_grid_worker_allowance_nonneg')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_grid_worker_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_grid_worker_district_code_district')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid.code'], name=op.f('fk_grid_worker_grid_code_grid')),
    sa.ForeignKeyConstraint(['micro_grid_code'], ['micro_grid.code'], name=op.f('fk_grid_worker_micro_grid_code_micro_grid')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_grid_worker_street_code_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_worker')),
    sa.UniqueConstraint('code', name=op.f('uq_grid_worker_code'))
    )
    op.create_index(op.f('ix_grid_worker_community_code'), 'grid_worker', ['community_code'], unique=False)
    op.create_index(op.f('ix_grid_worker_district_code_role'), 'grid_worker', ['district_code', 'role'], unique=False)
    op.create_index(op.f('ix_grid_worker_grid_code'), 'grid_worker', ['grid_code'], unique=False)
    op.create_index(op.f('ix_grid_worker_street_code'), 'grid_worker', ['street_code'], unique=False)
    op.create_table('in_service_registration',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('member_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('work_unit', sa.Text(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('compound_code', sa.String(length=24), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_in_service_registration_community_code_community')),
    sa.ForeignKeyConstraint(['compound_code'], ['compound.code'], name=op.f('fk_in_service_registration_compound_code_compound')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_in_service_registration_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_in_service_registration_street_code_street')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_in_service_registration_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_in_service_registration')),
    sa.UniqueConstraint('member_code', name=op.f('uq_in_service_registration_member_code'))
    )
    op.create_index(op.f('ix_in_service_registration_community_code'), 'in_service_registration', ['community_code'], unique=False)
    op.create_index(op.f('ix_in_service_registration_district_code'), 'in_service_registration', ['district_code'], unique=False)
    op.create_table('issue',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('source_channel', sa.String(length=18), nullable=False),
    sa.Column('category_code', sa.String(length=12), nullable=False),
    sa.Column('category_l1', sa.String(length=12), nullable=False),
    sa.Column('category_l2', sa.String(length=12), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('micro_grid_code', sa.String(length=20), nullable=True),
    sa.Column('compound_code', sa.String(length=24), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('returned_count', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('extended_count', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('reworked_count', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('escalation_level', sa.String(length=10), nullable=True),
    sa.Column('satisfaction', sa.String(length=20), nullable=True),
    sa.CheckConstraint("escalation_level IS NULL OR escalation_level IN ('compound', 'community', 'street', 'district')", name=op.f('ck_issue_escalation_enum')),
    sa.CheckConstraint("satisfaction IS NULL OR (evaluated_at IS NOT NULL AND satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied'))", name=op.f('ck_issue_satisfaction_enum')),
    sa.CheckConstraint("source_channel IN ('grid_patrol', 'resident_request', 'resident_order', 'hotline', 'drone_ai', 'visit', 'property_steward', 'petition')", name=op.f('ck_issue_source_channel_enum')),
    sa.CheckConstraint('(accepted_at IS NULL OR accepted_at >= GREATEST(reported_at)) AND (registered_at IS NULL OR registered_at >= GREATEST(reported_at, accepted_at)) AND (dispatched_at IS NULL OR dispatched_at >= GREATEST(reported_at, accepted_at, registered_at)) AND (handled_at IS NULL OR handled_at >= GREATEST(reported_at, accepted_at, registered_at, dispatched_at)) AND (verified_at IS NULL OR verified_at >= GREATEST(reported_at, accepted_at, registered_at, dispatched_at, handled_at)) AND (closed_at IS NULL OR closed_at >= GREATEST(reported_at, accepted_at, registered_at, dispatched_at, handled_at, verified_at)) AND (evaluated_at IS NULL OR evaluated_at >= GREATEST(reported_at, accepted_at, registered_at, dispatched_at, handled_at, verified_at, closed_at))', name=op.f('ck_issue_lifecycle_order')),
    sa.CheckConstraint('due_at > reported_at', name=op.f('ck_issue_due_after_report')),
    sa.CheckConstraint('returned_count >= 0 AND extended_count >= 0 AND reworked_count >= 0', name=op.f('ck_issue_counts_nonneg')),
    sa.ForeignKeyConstraint(['category_code'], ['issue_category.code'], name=op.f('fk_issue_category_code_issue_category')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_issue_community_code_community')),
    sa.ForeignKeyConstraint(['compound_code'], ['compound.code'], name=op.f('fk_issue_compound_code_compound')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_issue_district_code_district')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid.code'], name=op.f('fk_issue_grid_code_grid')),
    sa.ForeignKeyConstraint(['micro_grid_code'], ['micro_grid.code'], name=op.f('fk_issue_micro_grid_code_micro_grid')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_issue_street_code_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue')),
    sa.UniqueConstraint('code', name=op.f('uq_issue_code'))
    )
    op.create_index(op.f('ix_issue_category_code'), 'issue', ['category_code'], unique=False)
    op.create_index(op.f('ix_issue_community_code_reported_at'), 'issue', ['community_code', 'reported_at'], unique=False)
    op.create_index(op.f('ix_issue_district_code_reported_at'), 'issue', ['district_code', 'reported_at'], unique=False)
    op.create_index(op.f('ix_issue_grid_code_reported_at'), 'issue', ['grid_code', 'reported_at'], unique=False)
    op.create_index('ix_issue_open_due', 'issue', ['district_code', 'due_at'], unique=False, postgresql_where=sa.text('closed_at IS NULL'))
    op.create_index(op.f('ix_issue_street_code_reported_at'), 'issue', ['street_code', 'reported_at'], unique=False)
    op.create_table('owners_committee',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('compound_code', sa.String(length=24), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=22), server_default='owners_committee', nullable=False),
    sa.Column('formed_on', sa.Date(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('party_members', sa.Integer(), nullable=False),
    sa.Column('chair_is_party_member', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('owners_committee', 'management_committee')", name=op.f('ck_owners_committee_kind_enum')),
    sa.CheckConstraint('members > 0 AND party_members BETWEEN 0 AND members', name=op.f('ck_owners_committee_members_range')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_owners_committee_community_code_community')),
    sa.ForeignKeyConstraint(['compound_code'], ['compound.code'], name=op.f('fk_owners_committee_compound_code_compound')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_owners_committee_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_owners_committee_street_code_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners_committee')),
    sa.UniqueConstraint('compound_code', 'kind', name=op.f('uq_owners_committee_compound_code_kind'))
    )
    op.create_index(op.f('ix_owners_committee_community_code'), 'owners_committee', ['community_code'], unique=False)
    op.create_index(op.f('ix_owners_committee_district_code'), 'owners_committee', ['district_code'], unique=False)
    op.create_index(op.f('ix_owners_committee_street_code'), 'owners_committee', ['street_code'], unique=False)
    op.create_table('party_org',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('branch_kind', sa.String(length=10), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=True),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('compound_code', sa.String(length=24), nullable=True),
    sa.Column('secretary_background', sa.String(length=20), nullable=True),
    sa.Column('members', sa.Integer(), server_default='0', nullable=False),
    sa.Column('founded_on', sa.Date(), nullable=True),
    sa.CheckConstraint("(level = 'branch') = (branch_kind IS NOT NULL) AND (branch_kind IS NULL OR branch_kind IN ('compound', 'grid', 'area'))", name=op.f('ck_party_org_branch_kind')),
    sa.CheckConstraint("level = 'street_committee' OR community_code IS NOT NULL", name=op.f('ck_party_org_community_required')),
    sa.CheckConstraint("level IN ('street_committee', 'community_committee', 'branch', 'building_group', 'center_household')", name=op.f('ck_party_org_level_enum')),
    sa.CheckConstraint("secretary_background IS NULL OR secretary_background IN ('retired_cadre', 'community_worker', 'in_service_member', 'resident_member', 'other')", name=op.f('ck_party_org_secretary_background_enum')),
    sa.CheckConstraint('members >= 0', name=op.f('ck_party_org_members_nonneg')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_party_org_community_code_community')),
    sa.ForeignKeyConstraint(['compound_code'], ['compound.code'], name=op.f('fk_party_org_compound_code_compound')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_party_org_district_code_district')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid.code'], name=op.f('fk_party_org_grid_code_grid')),
    sa.ForeignKeyConstraint(['parent_id'], ['party_org.id'], name=op.f('fk_party_org_parent_id_party_org')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_party_org_street_code_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_org')),
    sa.UniqueConstraint('code', name=op.f('uq_party_org_code'))
    )
    op.create_index(op.f('ix_party_org_community_code_level'), 'party_org', ['community_code', 'level'], unique=False)
    op.create_index(op.f('ix_party_org_compound_code'), 'party_org', ['compound_code'], unique=False)
    op.create_index(op.f('ix_party_org_district_code_level'), 'party_org', ['district_code', 'level'], unique=False)
    op.create_index(op.f('ix_party_org_grid_code'), 'party_org', ['grid_code'], unique=False)
    op.create_index(op.f('ix_party_org_parent_id'), 'party_org', ['parent_id'], unique=False)
    op.create_index(op.f('ix_party_org_street_code_level'), 'party_org', ['street_code', 'level'], unique=False)
    op.create_table('property_survey',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('compound_code', sa.String(length=24), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('surveyed_on', sa.Date(), nullable=False),
    sa.Column('respondents', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('pilot', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.CheckConstraint('respondents > 0 AND satisfied BETWEEN 0 AND respondents', name=op.f('ck_property_survey_satisfied_range')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_property_survey_community_code_community')),
    sa.ForeignKeyConstraint(['compound_code'], ['compound.code'], name=op.f('fk_property_survey_compound_code_compound')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_property_survey_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_property_survey_street_code_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_survey')),
    sa.UniqueConstraint('compound_code', 'surveyed_on', name=op.f('uq_property_survey_compound_code_surveyed_on'))
    )
    op.create_index(op.f('ix_property_survey_community_code'), 'property_survey', ['community_code'], unique=False)
    op.create_index(op.f('ix_property_survey_district_code'), 'property_survey', ['district_code'], unique=False)
    op.create_table('service_station',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=22), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('compound_code', sa.String(length=24), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('floor_area_m2', sa.Numeric(precision=8, scale=1), nullable=True),
    sa.Column('construction', sa.String(length=10), server_default='existing', nullable=False),
    sa.Column('services', sa.Text(), nullable=True),
    sa.CheckConstraint("construction IN ('new', 'renovated', 'shared', 'existing')", name=op.f('ck_service_station_construction_enum')),
    sa.CheckConstraint("type IN ('party_center', 'compound_station', 'convenience_point', 'points_store', 'neighbourhood_center')", name=op.f('ck_service_station_type_enum')),
    sa.CheckConstraint('floor_area_m2 IS NULL OR floor_area_m2 > 0', name=op.f('ck_service_station_area_positive')),
    sa.CheckConstraint('lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90', name=op.f('ck_service_station_lonlat_range')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_service_station_community_code_community')),
    sa.ForeignKeyConstraint(['compound_code'], ['compound.code'], name=op.f('fk_service_station_compound_code_compound')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_service_station_district_code_district')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid.code'], name=op.f('fk_service_station_grid_code_grid')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_service_station_street_code_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_station')),
    sa.UniqueConstraint('code', name=op.f('uq_service_station_code'))
    )
    op.create_index(op.f('ix_service_station_community_code'), 'service_station', ['community_code'], unique=False)
    op.create_index(op.f('ix_service_station_district_code_type'), 'service_station', ['district_code', 'type'], unique=False)
    op.create_index(op.f('ix_service_station_street_code'), 'service_station', ['street_code'], unique=False)
    op.create_table('volunteer_activity',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('activity_date', sa.Date(), nullable=False),
    sa.Column('activity_type', sa.String(length=14), nullable=False),
    sa.Column('hours', sa.Numeric(precision=4, scale=1), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.CheckConstraint("activity_type IN ('elderly_care', 'civility', 'environment', 'patrol', 'medical', 'legal', 'mediation', 'culture', 'epidemic')", name=op.f('ck_volunteer_activity_activity_type_enum')),
    sa.CheckConstraint('hours > 0 AND hours <= 24', name=op.f('ck_volunteer_activity_hours_range')),
    sa.CheckConstraint('points >= 0', name=op.f('ck_volunteer_activity_points_nonneg')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_volunteer_activity_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_volunteer_activity_district_code_district')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_volunteer_activity_street_code_street')),
    sa.ForeignKeyConstraint(['team_id'], ['volunteer_team.id'], name=op.f('fk_volunteer_activity_team_id_volunteer_team')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_volunteer_activity_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_activity'))
    )
    op.create_index(op.f('ix_volunteer_activity_community_code_activity_date'), 'volunteer_activity', ['community_code', 'activity_date'], unique=False)
    op.create_index(op.f('ix_volunteer_activity_district_code_activity_date'), 'volunteer_activity', ['district_code', 'activity_date'], unique=False)
    op.create_index(op.f('ix_volunteer_activity_street_code_activity_date'), 'volunteer_activity', ['street_code', 'activity_date'], unique=False)
    op.create_index(op.f('ix_volunteer_activity_volunteer_id'), 'volunteer_activity', ['volunteer_id'], unique=False)
    op.create_table('point_redemption',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('redeemed_on', sa.Date(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('item', sa.Text(), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_point_redemption_points_positive')),
    sa.ForeignKeyConstraint(['community_code'], ['community.code'], name=op.f('fk_point_redemption_community_code_community')),
    sa.ForeignKeyConstraint(['district_code'], ['district.code'], name=op.f('fk_point_redemption_district_code_district')),
    sa.ForeignKeyConstraint(['station_id'], ['service_station.id'], name=op.f('fk_point_redemption_station_id_service_station')),
    sa.ForeignKeyConstraint(['street_code'], ['street.code'], name=op.f('fk_point_redemption_street_code_street')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_point_redemption_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_redemption'))
    )
    op.create_index(op.f('ix_point_redemption_community_code_redeemed_on'), 'point_redemption', ['community_code', 'redeemed_on'], unique=False)
    op.create_index(op.f('ix_point_redemption_district_code_redeemed_on'), 'point_redemption', ['district_code', 'redeemed_on'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_point_redemption_district_code_redeemed_on'), table_name='point_redemption')
    op.drop_index(op.f('ix_point_redemption_community_code_redeemed_on'), table_name='point_redemption')
    op.drop_table('point_redemption')
    op.drop_index(op.f('ix_volunteer_activity_volunteer_id'), table_name='volunteer_activity')
    op.drop_index(op.f('ix_volunteer_activity_street_code_activity_date'), table_name='volunteer_activity')
    op.drop_index(op.f('ix_volunteer_activity_district_code_activity_date'), table_name='volunteer_activity')
    op.drop_index(op.f('ix_volunteer_activity_community_code_activity_date'), table_name='volunteer_activity')
    op.drop_table('volunteer_activity')
    op.drop_index(op.f('ix_service_station_street_code'), table_name='service_station')
    op.drop_index(op.f('ix_service_station_district_code_type'), table_name='service_station')
    op.drop_index(op.f('ix_service_station_community_code'), table_name='service_station')
    op.drop_table('service_station')
    op.drop_index(op.f('ix_property_survey_district_code'), table_name='property_survey')
    op.drop_index(op.f('ix_property_survey_community_code'), table_name='property_survey')
    op.drop_table('property_survey')
    op.drop_index(op.f('ix_party_org_street_code_level'), table_name='party_org')
    op.drop_index(op.f('ix_party_org_parent_id'), table_name='party_org')
    op.drop_index(op.f('ix_party_org_grid_code'), table_name='party_org')
    op.drop_index(op.f('ix_party_org_district_code_level'), table_name='party_org')
    op.drop_index(op.f('ix_party_org_compound_code'), table_name='party_org')
    op.drop_index(op.f('ix_party_org_community_code_level'), table_name='party_org')
    op.drop_table('party_org')
    op.drop_index(op.f('ix_owners_committee_street_code'), table_name='owners_committee')
    op.drop_index(op.f('ix_owners_committee_district_code'), table_name='owners_committee')
    op.drop_index(op.f('ix_owners_committee_community_code'), table_name='owners_committee')
    op.drop_table('owners_committee')
    op.drop_index(op.f('ix_issue_street_code_reported_at'), table_name='issue')
    op.drop_index('ix_issue_open_due', table_name='issue', postgresql_where=sa.text('closed_at IS NULL'))
    op.drop_index(op.f('ix_issue_grid_code_reported_at'), table_name='issue')
    op.drop_index(op.f('ix_issue_district_code_reported_at'), table_name='issue')
    op.drop_index(op.f('ix_issue_community_code_reported_at'), table_name='issue')
    op.drop_index(op.f('ix_issue_category_code'), table_name='issue')
    op.drop_table('issue')
    op.drop_index(op.f('ix_in_service_registration_district_code'), table_name='in_service_registration')
    op.drop_index(op.f('ix_in_service_registration_community_code'), table_name='in_service_registration')
    op.drop_table('in_service_registration')
    op.drop_index(op.f('ix_grid_worker_street_code'), table_name='grid_worker')
    op.drop_index(op.f('ix_grid_worker_grid_code'), table_name='grid_worker')
    op.drop_index(op.f('ix_grid_worker_district_code_role'), table_name='grid_worker')
    op.drop_index(op.f('ix_grid_worker_community_code'), table_name='grid_worker')
    op.drop_table('grid_worker')
    op.drop_index(op.f('ix_volunteer_team_id'), table_name='volunteer')
    op.drop_index(op.f('ix_volunteer_district_code_registered_on'), table_name='volunteer')
    op.drop_index(op.f('ix_volunteer_community_code'), table_name='volunteer')
    op.drop_table('volunteer')
    op.drop_index(op.f('ix_micro_grid_street_code'), table_name='micro_grid')
    op.drop_index(op.f('ix_micro_grid_grid_code'), table_name='micro_grid')
    op.drop_index(op.f('ix_micro_grid_district_code'), table_name='micro_grid')
    op.drop_index(op.f('ix_micro_grid_community_code'), table_name='micro_grid')
    op.drop_table('micro_grid')
    op.drop_index(op.f('ix_compound_street_code'), table_name='compound')
    op.drop_index(op.f('ix_compound_grid_code'), table_name='compound')
    op.drop_index(op.f('ix_compound_district_code'), table_name='compound')
    op.drop_index(op.f('ix_compound_community_code'), table_name='compound')
    op.drop_table('compound')
    op.drop_index(op.f('ix_volunteer_team_district_code'), table_name='volunteer_team')
    op.drop_index(op.f('ix_volunteer_team_community_code'), table_name='volunteer_team')
    op.drop_table('volunteer_team')
    op.drop_table('partner_unit')
    op.drop_index(op.f('ix_grid_street_code'), table_name='grid')
    op.drop_index(op.f('ix_grid_district_code'), table_name='grid')
    op.drop_index(op.f('ix_grid_community_code'), table_name='grid')
    op.drop_table('grid')
    op.drop_table('property_credit_rating')
    op.drop_index(op.f('ix_community_street_code'), table_name='community')
    op.drop_index(op.f('ix_community_district_code'), table_name='community')
    op.drop_table('community')
    op.drop_index(op.f('ix_street_district_code'), table_name='street')
    op.drop_table('street')
    op.drop_index(op.f('ix_property_company_district_code'), table_name='property_company')
    op.drop_table('property_company')
    op.drop_table('district')
    op.drop_table('store_meta')
    op.drop_table('layer_source')
    op.drop_table('issue_category')
    op.drop_table('city')
