"""The store's tables as SQLAlchemy Core metadata.

Queries are written against these objects; the DDL itself lives in Alembic migrations
(``data_access/migrations``), and a test checks the two agree.

Codes follow GB/T 2260 and GB/T 30428.1: district 6 digits, street +3, community +3,
grid +3 (15 digits), micro-grid +2 or more. Every fact row carries the code of each
level above it, so a scope filter is one equality on an indexed column.
Geometry is WKB (``bytea``) in WGS-84 with its SRID; spatial relations are stored as
keys when data is loaded.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from data_access.indicators import STEPS, STORED

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Enumerations: the stored value is English; dashboard/i18n gives the Chinese label.
STREET_KINDS = ("street", "town")  # 街道 / 镇
COMMUNITY_KINDS = ("community", "village")  # 社区 / 村
COMPOUND_TYPES = ("commercial", "old", "resettlement", "affordable", "unmanaged")  # 商品房/老旧/安置/保障/无物业
MANAGEMENT_MODES = ("professional", "bundled", "community_managed", "self_managed", "none")
GRID_RELATIONS = ("same", "larger", "smaller")  # seed 003: compound vs its grid
PARTY_LEVELS = ("street_committee", "community_committee", "branch", "building_group", "center_household")
BRANCH_KINDS = ("compound", "grid", "area")
SECRETARY_BACKGROUNDS = ("retired_cadre", "community_worker", "in_service_member", "resident_member", "other")
PROPERTY_PARTY_FORMS = ("branch", "instructor", "none")
COMMITTEE_KINDS = ("owners_committee", "management_committee")  # 业委会 / 物管会
STATION_TYPES = ("party_center", "compound_station", "convenience_point", "points_store", "neighbourhood_center")
CONSTRUCTION_KINDS = ("new", "renovated", "shared", "existing")
WORKER_ROLES = (
    "full_time",
    "part_time",
    "dedicated",
    "micro_grid",
    "building_head",
    "grid_leader",
    "sunk_staff",
    "community_worker",  # 社区工作者: staff of the community office (0021)
)
TEAM_KINDS = ("neighbourhood", "party", "professional", "specialty")
VOLUNTEER_KINDS = ("resident", "party_member", "in_service_party_member")
ACTIVITY_TYPES = (
    "elderly_care",
    "civility",
    "environment",
    "patrol",
    "medical",
    "legal",
    "mediation",
    "culture",
    "epidemic",
)
SOURCE_CHANNELS = (
    "grid_patrol",
    "resident_request",
    "resident_order",
    "hotline",
    "drone_ai",
    "visit",
    "property_steward",
    "petition",
)
ESCALATION_LEVELS = ("compound", "community", "street", "district")
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")
LIMIT_UNITS = ("hours", "working_days")
DEPARTMENT_KINDS = ("street", "bureau", "utility", "other")  # 街道 / 区直部门 / 公用企业 / 其他
# The issue lifecycle, in order (DESIGN.md).
LIFECYCLE = (
    "reported_at",
    "accepted_at",
    "registered_at",
    "dispatched_at",
    "handled_at",
    "verified_at",
    "closed_at",
    "evaluated_at",
)


def _enum(column: str, values: tuple[str, ...], name: str | None = None) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name or f"{column}_enum")


def _geometry_columns() -> list[sa.Column]:
    return [
        sa.Column("geom", sa.LargeBinary),  # WKB
        sa.Column("srid", sa.Integer, nullable=False, server_default="4326"),
        sa.Column("area_km2", sa.Float),  # equal-area projection, computed at load
        sa.Column("centroid_lon", sa.Float),
        sa.Column("centroid_lat", sa.Float),
    ]


def _code(name: str, length: int, fk: str | None = None, nullable: bool = False) -> sa.Column:
    args = [sa.ForeignKey(fk)] if fk else []
    return sa.Column(name, sa.String(length), *args, nullable=nullable)


def _validity() -> list:
    """A governance unit's layout period (0019): valid from (NULL: since before the records) and to (NULL: the
    current layout). A reform keeps the old units, so an issue keeps pointing at the unit of its report day."""
    return [
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from", name="validity_order"),
    ]


CURRENT = "valid_to IS NULL"  # a grid or micro-grid of the current layout


city = sa.Table(
    "city",
    metadata,
    sa.Column("code", sa.String(6), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("province", sa.Text, nullable=False),
)

district = sa.Table(
    "district",
    metadata,
    sa.Column("code", sa.String(6), primary_key=True),
    _code("city_code", 6, "city.code"),
    sa.Column("name", sa.Text, nullable=False),
    *_geometry_columns(),
    sa.CheckConstraint("code ~ '^[0-9]{6}$'", name="code_format"),
)

street = sa.Table(
    "street",
    metadata,
    sa.Column("code", sa.String(9), primary_key=True),
    _code("district_code", 6, "district.code"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    *_geometry_columns(),
    _enum("kind", STREET_KINDS),
    sa.CheckConstraint("code ~ '^[0-9]{9}$' AND left(code, 6) = district_code", name="code_format"),
    sa.Index(None, "district_code"),
)

community = sa.Table(
    "community",
    metadata,
    sa.Column("code", sa.String(12), primary_key=True),
    _code("street_code", 9, "street.code"),
    _code("district_code", 6, "district.code"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    *_geometry_columns(),
    sa.Column("residents", sa.Integer),  # 常住人口 (0021)
    _enum("kind", COMMUNITY_KINDS),
    sa.CheckConstraint("residents IS NULL OR residents >= 0", name="residents_nonneg"),
    sa.CheckConstraint("code ~ '^[0-9]{12}$' AND left(code, 9) = street_code", name="code_format"),
    sa.Index(None, "street_code"),
    sa.Index(None, "district_code"),
)

grid = sa.Table(
    "grid",
    metadata,
    sa.Column("code", sa.String(15), primary_key=True),
    _code("community_code", 12, "community.code"),
    _code("street_code", 9, "street.code"),
    _code("district_code", 6, "district.code"),
    sa.Column("name", sa.Text, nullable=False),
    *_geometry_columns(),
    *_validity(),
    sa.CheckConstraint("code ~ '^[0-9]{15}$' AND left(code, 12) = community_code", name="code_format"),
    sa.Index(None, "community_code"),
    sa.Index(None, "street_code"),
    sa.Index(None, "district_code"),
)

micro_grid = sa.Table(
    "micro_grid",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    _code("grid_code", 15, "grid.code"),
    _code("community_code", 12, "community.code"),
    _code("street_code", 9, "street.code"),
    _code("district_code", 6, "district.code"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("households", sa.Integer, nullable=False, server_default="0"),
    *_geometry_columns(),
    *_validity(),
    sa.CheckConstraint("code ~ '^[0-9]{17,20}$' AND left(code, 15) = grid_code", name="code_format"),
    sa.CheckConstraint("households >= 0", name="households_nonneg"),
    sa.Index(None, "grid_code"),
    sa.Index(None, "community_code"),
    sa.Index(None, "street_code"),
    sa.Index(None, "district_code"),
)

property_company = sa.Table(
    "property_company",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),  # unified social credit code
    sa.Column("name", sa.Text, nullable=False),
    _code("district_code", 6, "district.code"),
    sa.Column("party_org_form", sa.String(12), nullable=False, server_default="none"),
    sa.Column("cross_appointments", sa.Integer, nullable=False, server_default="0"),
    sa.Column("state_owned", sa.Boolean, nullable=False, server_default=sa.false()),
    _enum("party_org_form", PROPERTY_PARTY_FORMS),
    sa.CheckConstraint("cross_appointments >= 0", name="cross_nonneg"),
    sa.Index(None, "district_code"),
)

property_credit_rating = sa.Table(
    "property_credit_rating",
    metadata,
    sa.Column("company_id", sa.Integer, sa.ForeignKey("property_company.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("score", sa.Numeric(5, 1), nullable=False),
    sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
)

compound = sa.Table(
    "compound",
    metadata,
    sa.Column("code", sa.String(24), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    _code("community_code", 12, "community.code"),
    _code("street_code", 9, "street.code"),
    _code("district_code", 6, "district.code"),
    _code("grid_code", 15, "grid.code", nullable=True),  # the grid it overlaps most, derived at load
    sa.Column("grid_relation", sa.String(8)),  # same / larger / smaller, derived at load
    sa.Column("type", sa.String(14), nullable=False),
    sa.Column("households", sa.Integer, nullable=False),
    sa.Column("residents", sa.Integer),
    sa.Column("buildings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("management_mode", sa.String(18), nullable=False),
    sa.Column("property_company_id", sa.Integer, sa.ForeignKey("property_company.id")),
    sa.Column("committee_eligible", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("weak", sa.Boolean, nullable=False, server_default=sa.false()),  # 薄弱小区
    sa.Column("renovated_year", sa.Integer),  # 老旧小区改造
    *_geometry_columns(),
    _enum("type", COMPOUND_TYPES),
    _enum("management_mode", MANAGEMENT_MODES),
    sa.CheckConstraint(
        "grid_relation IS NULL OR grid_relation IN ('same', 'larger', 'smaller')", name="grid_relation_enum"
    ),
    sa.CheckConstraint(
        "households >= 0 AND buildings >= 0 AND (residents IS NULL OR residents >= 0)", name="counts_nonneg"
    ),
    sa.Index(None, "community_code"),
    sa.Index(None, "street_code"),
    sa.Index(None, "district_code"),
    sa.Index(None, "grid_code"),
)

party_org = sa.Table(
    "party_org",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.String(20), nullable=False),
    sa.Column("branch_kind", sa.String(10)),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("party_org.id")),
    _code("district_code", 6, "district.code"),
    _code("street_code", 9, "street.code"),
    _code("community_code", 12, "community.code", nullable=True),
    _code("grid_code", 15, "grid.code", nullable=True),
    _code("compound_code", 24, "compound.code", nullable=True),
    sa.Column("secretary_background", sa.String(20)),
    sa.Column("members", sa.Integer, nullable=False, server_default="0"),
    sa.Column("founded_on", sa.Date),
    _enum("level", PARTY_LEVELS),
    sa.CheckConstraint(
        "(level = 'branch') = (branch_kind IS NOT NULL) AND "
        "(branch_kind IS NULL OR branch_kind IN ('compound', 'grid', 'area'))",
        name="branch_kind",
    ),
    sa.CheckConstraint(
        "secretary_background IS NULL OR secretary_background IN "
        "('retired_cadre', 'community_worker', 'in_service_member', 'resident_member', 'other')",
        name="secretary_background_enum",
    ),
    sa.CheckConstraint("level = 'street_committee' OR community_code IS NOT NULL", name="community_required"),
    sa.CheckConstraint("members >= 0", name="members_nonneg"),
    sa.Index(None, "district_code", "level"),
    sa.Index(None, "street_code", "level"),
    sa.Index(None, "community_code", "level"),
    sa.Index(None, "grid_code"),
    sa.Index(None, "compound_code"),
    sa.Index(None, "parent_id"),
)

partner_unit = sa.Table(  # 共建单位 / 结对单位党组织
    "partner_unit",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    _code("district_code", 6, "district.code"),
    _code("community_code", 12, "community.code", nullable=True),
    sa.Column("paired_on", sa.Date),
    sa.UniqueConstraint("district_code", "name"),
)

owners_committee = sa.Table(
    "owners_committee",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    _code("compound_code", 24, "compound.code"),
    _code("community_code", 12, "community.code"),
    _code("street_code", 9, "street.code"),
    _code("district_code", 6, "district.code"),
    sa.Column("kind", sa.String(22), nullable=False, server_default="owners_committee"),
    sa.Column("formed_on", sa.Date, nullable=False),
    sa.Column("members", sa.Integer, nullable=False),
    sa.Column("party_members", sa.Integer, nullable=False),
    sa.Column("chair_is_party_member", sa.Boolean, nullable=False),
    _enum("kind", COMMITTEE_KINDS),
    sa.CheckConstraint("members > 0 AND party_members BETWEEN 0 AND members", name="members_range"),
    sa.UniqueConstraint("compound_code", "kind"),
    sa.Index(None, "district_code"),
    sa.Index(None, "street_code"),
    sa.Index(None, "community_code"),
)

property_survey = sa.Table(
    "property_survey",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    _code("compound_code", 24, "compound.code"),
    _code("community_code", 12, "community.code"),
    _code("street_code", 9, "street.code"),
    _code("district_code", 6, "district.code"),
    sa.Column("surveyed_on", sa.Date, nullable=False),
    sa.Column("respondents", sa.Integer, nullable=False),
    sa.Column("satisfied", sa.Integer, nullable=False),
    sa.Column("pilot", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("respondents > 0 AND satisfied BETWEEN 0 AND respondents", name="satisfied_range"),
    sa.UniqueConstraint("compound_code", "surveyed_on"),
    sa.Index(None, "district_code"),
    sa.Index(None, "community_code"),
)

service_station = sa.Table(
    "service_station",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.String(22), nullable=False),
    _code("community_code", 12, "community.code"),
    _code("street_code", 9, "street.code"),
    _code("district_code", 6, "district.code"),
    _code("grid_code", 15, "grid.code", nullable=True),
    _code("compound_code", 24, "compound.code", nullable=True),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("floor_area_m2", sa.Numeric(8, 1)),
    sa.Column("construction", sa.String(10), nullable=False, server_default="existing"),
    sa.Column("services", sa.Text),
    _enum("type", STATION_TYPES),
    _enum("construction", CONSTRUCTION_KINDS),
    sa.CheckConstraint("lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90", name="lonlat_range"),
    sa.CheckConstraint("floor_area_m2 IS NULL OR floor_area_m2 > 0", name="area_positive"),
    sa.Index(None, "district_code", "type"),
    sa.Index(None, "street_code"),
    sa.Index(None, "community_code"),
)

grid_worker = sa.Table(
    "grid_worker",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("party_member", sa.Boolean, nullable=False),
    _code("district_code", 6, "district.code"),
    _code("street_code", 9, "street.code"),
    _code("community_code", 12, "community.code"),
    _code("grid_code", 15, "grid.code", nullable=True),
    _code("micro_grid_code", 20, "micro_grid.code", nullable=True),
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("monthly_allowance", sa.Numeric(8, 2)),
    sa.Column("joined_on", sa.Date, nullable=False),
    sa.Column("left_on", sa.Date),
    sa.Column("commended", sa.Boolean, nullable=False, server_default=sa.false()),
    _enum("role", WORKER_ROLES),
    sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="dates_order"),
    sa.CheckConstraint("monthly_allowance IS NULL OR monthly_allowance >= 0", name="allowance_nonneg"),
    sa.Index(None, "district_code", "role"),
    sa.Index(None, "street_code"),
    sa.Index(None, "community_code"),
    sa.Index(None, "grid_code"),
)

volunteer_team = sa.Table(
    "volunteer_team",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(14), nullable=False),
    _code("district_code", 6, "district.code"),
    _code("street_code", 9, "street.code"),
    _code("community_code", 12, "community.code"),
    sa.Column("founded_on", sa.Date, nullable=False),
    _enum("kind", TEAM_KINDS),
    sa.Index(None, "district_code"),
    sa.Index(None, "community_code"),
)

volunteer = sa.Table(
    "volunteer",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("volunteer_team.id")),
    _code("district_code", 6, "district.code"),
    _code("street_code", 9, "street.code"),
    _code("community_code", 12, "community.code"),
    sa.Column("registered_on", sa.Date, nullable=False),
    _enum("kind", VOLUNTEER_KINDS),
    sa.Index(None, "district_code", "registered_on"),
    sa.Index(None, "community_code"),
    sa.Index(None, "team_id"),
)

in_service_registration = sa.Table(  # 在职党员到社区报到
    "in_service_registration",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("member_code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("work_unit", sa.Text, nullable=False),
    _code("district_code", 6, "district.code"),
    _code("street_code", 9, "street.code"),
    _code("community_code", 12, "community.code"),
    _code("compound_code", 24, "compound.code", nullable=True),
    sa.Column("registered_on", sa.Date, nullable=False),
    sa.Column("volunteer_id", sa.Integer, sa.ForeignKey("volunteer.id")),
    sa.Index(None, "district_code"),
    sa.Index(None, "community_code"),
)

volunteer_activity = sa.Table(
    "volunteer_activity",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), unique=True),  # record number of imported activities (0002)
    sa.Column("volunteer_id", sa.Integer, sa.ForeignKey("volunteer.id"), nullable=False),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("volunteer_team.id")),
    _code("district_code", 6, "district.code"),
    _code("street_code", 9, "street.code"),
    _code("community_code", 12, "community.code"),
    sa.Column("activity_date", sa.Date, nullable=False),
    sa.Column("activity_type", sa.String(14), nullable=False),
    sa.Column("hours", sa.Numeric(4, 1), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    _enum("activity_type", ACTIVITY_TYPES),
    sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours_range"),
    sa.CheckConstraint("points >= 0", name="points_nonneg"),
    sa.Index(None, "district_code", "activity_date"),
    sa.Index(None, "street_code", "activity_date"),
    sa.Index(None, "community_code", "activity_date"),
    sa.Index(None, "volunteer_id"),
)

point_redemption = sa.Table(
    "point_redemption",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("volunteer_id", sa.Integer, sa.ForeignKey("volunteer.id"), nullable=False),
    sa.Column("station_id", sa.Integer, sa.ForeignKey("service_station.id")),
    _code("district_code", 6, "district.code"),
    _code("street_code", 9, "street.code"),
    _code("community_code", 12, "community.code"),
    sa.Column("redeemed_on", sa.Date, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("item", sa.Text, nullable=False),
    sa.CheckConstraint("points > 0", name="points_positive"),
    sa.Index(None, "district_code", "redeemed_on"),
    sa.Index(None, "community_code", "redeemed_on"),
)

issue_category = sa.Table(
    "issue_category",
    metadata,
    sa.Column("code", sa.String(12), primary_key=True),
    sa.Column("parent_code", sa.String(12), sa.ForeignKey("issue_category.code")),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("time_limit", sa.Integer),  # level 3 only
    sa.Column("time_limit_unit", sa.String(16)),
    sa.Column("accept_limit_hours", sa.Float),  # level 3: hours allowed to accept (受理时限), 0006
    # The district whose own tree added the category (NULL: the default tree), 0024.
    sa.Column("district_code", sa.String(6), sa.ForeignKey("district.code")),
    sa.CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),
    sa.CheckConstraint("(level = 1) = (parent_code IS NULL)", name="parent_by_level"),
    sa.CheckConstraint(
        "(level = 3) = (time_limit IS NOT NULL AND time_limit > 0 "
        "AND time_limit_unit IN ('hours', 'working_days', 'calendar_days'))",
        name="limit_on_leaf",
    ),
)

LIMIT_UNITS = ("hours", "working_days", "calendar_days")

# A district's own category tree (0024): which categories its issues may name, under its own codes, with its own
# time limits. A tree file is the whole tree: loading one replaces the district's rows.
category_tree = sa.Table(
    "category_tree",
    metadata,
    _code("district_code", 6, "district.code"),
    sa.Column("replaces", sa.Boolean, nullable=False),  # the default tree is not used in the district
    sa.Column("loaded_at", sa.DateTime, nullable=False),  # China wall time (clock.now)
    sa.PrimaryKeyConstraint("district_code"),
)

district_category = sa.Table(
    "district_category",
    metadata,
    _code("district_code", 6, "category_tree.district_code"),
    _code("code", 12, "issue_category.code"),  # the stored category (level 3)
    sa.Column("source_code", sa.String(40)),  # the district's own code (分类代码)
    sa.Column("time_limit", sa.Integer, nullable=False),
    sa.Column("time_limit_unit", sa.String(16), nullable=False),
    sa.Column("accept_limit_hours", sa.Float),
    sa.PrimaryKeyConstraint("district_code", "code"),
    sa.UniqueConstraint("district_code", "source_code"),
    sa.CheckConstraint(
        "time_limit > 0 AND time_limit_unit IN ('hours', 'working_days', 'calendar_days')", name="limit_valid"
    ),
    sa.CheckConstraint("accept_limit_hours IS NULL OR accept_limit_hours > 0", name="accept_positive"),
)

department = sa.Table(  # 承办单位/责任部门: who an issue is dispatched to (0006)
    "department",
    metadata,
    sa.Column("code", sa.String(12), primary_key=True),  # the district's code, 'D' and a number: 430602D07
    _code("district_code", 6, "district.code"),
    _code("street_code", 9, "street.code", nullable=True),  # a street handling its own issues
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    _enum("kind", DEPARTMENT_KINDS),
    sa.CheckConstraint("code ~ '^[0-9]{6}D[0-9]{2,5}$' AND left(code, 6) = district_code", name="code_format"),
    sa.Index(None, "district_code"),
)

# Each stage that happened is no earlier than every stage before it (GREATEST skips NULLs).
_lifecycle_order = " AND ".join(
    f"({b} IS NULL OR {b} >= GREATEST({', '.join(LIFECYCLE[:i])}))" for i, b in enumerate(LIFECYCLE) if i
)


# An address as repeat requests compare it (0014); NULL unless it names a number.
_ADDRESS_NORMAL = (
    "replace(translate(regexp_replace(lower(normalize(address, NFKC)), "
    "'[[:space:][:punct:]、。《》【】「」『』“”‘’·…—～]+', '', 'g'), '幢', '栋'), '号楼', '栋')"
)
ADDRESS_KEY = f"CASE WHEN address ~ '[0-9０-９]' THEN {_ADDRESS_NORMAL} END"  # normalised once a row

ISSUE_PLACE_NESTED = (
    "left(community_code, 6) = district_code AND left(community_code, 9) = street_code"
    " AND (grid_code IS NULL OR left(grid_code, 12) = community_code)"
    " AND (micro_grid_code IS NULL OR (grid_code IS NOT NULL AND left(micro_grid_code, 15) = grid_code))"
)

issue = sa.Table(
    "issue",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),  # work-order number
    sa.Column("source_channel", sa.String(18), nullable=False),
    _code("category_code", 12, "issue_category.code"),
    sa.Column("category_l1", sa.String(12), nullable=False),
    sa.Column("category_l2", sa.String(12), nullable=False),
    # The finest unit an issue names must exist; the coarser codes are its prefixes (ck_issue_place_nested),
    # so they exist too. One foreign-key check per row instead of five: a million-row import spends
    # 37 s less in Postgres's row triggers (0005).
    _code("district_code", 6),
    _code("street_code", 9),
    _code("community_code", 12),
    _code("grid_code", 15, nullable=True),
    _code("micro_grid_code", 20, "micro_grid.code", nullable=True),
    _code("compound_code", 24, "compound.code", nullable=True),
    *[
        sa.Column(
            f"{unit}_if_finest",
            sa.String(n),
            sa.Computed(f"CASE WHEN {finer} IS NULL THEN {unit}_code END", persisted=True),
            sa.ForeignKey(f"{unit}.code"),
        )
        for unit, n, finer in (("grid", 15, "micro_grid_code"), ("community", 12, "grid_code"))
    ],
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    *[sa.Column(c, sa.DateTime, nullable=(c != "reported_at")) for c in LIFECYCLE],
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("returned_count", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("extended_count", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("reworked_count", sa.SmallInteger, nullable=False, server_default="0"),
    # 0006: the acceptance deadline (reported + the category's 受理时限), the handling department and how
    # often the issue was dispatched again to another one, and the resident's 已解决/未解决 at the return visit.
    sa.Column("accept_due_at", sa.DateTime),
    _code("department_code", 12, "department.code", nullable=True),
    sa.Column("redispatch_count", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("resolved", sa.Boolean),
    _code("reporter_code", 32, "grid_worker.code", nullable=True),  # the grid worker who reported it
    # 挂账 (0008): an open case formally suspended, with the date and the reason; it stays due but is no longer
    # counted as overdue (indicators.OVERDUE). Closing it later ends the suspension.
    sa.Column("suspended_at", sa.DateTime),
    sa.Column("suspend_reason", sa.Text),
    sa.Column("escalation_level", sa.String(10)),
    sa.Column("satisfaction", sa.String(20)),
    # 0012: what the resident asked (诉求内容) and where, as 12345 and grid-system exports carry them.
    sa.Column("request_text", sa.Text),
    sa.Column("address", sa.Text),
    # 0014: the address as repeat requests compare it (indicators.REPEAT): width forms, case, spaces and
    # punctuation dropped, 幢/号楼 read as 栋; only an address naming a number (a door, a building) has one.
    sa.Column("address_key", sa.Text, sa.Computed(ADDRESS_KEY, persisted=True)),
    # 0022: the earlier issue this one repeats (重复诉求, indicators.REPEAT_OF), set when issues load
    # (summary.mark_repeats): pages count and list repeats without looking up earlier issues.
    sa.Column("repeat_of", sa.BigInteger),
    _enum("source_channel", SOURCE_CHANNELS),
    sa.CheckConstraint(_lifecycle_order, name="lifecycle_order"),
    sa.CheckConstraint("due_at > reported_at", name="due_after_report"),
    sa.CheckConstraint(
        "escalation_level IS NULL OR escalation_level IN ('compound', 'community', 'street', 'district')",
        name="escalation_enum",
    ),
    sa.CheckConstraint(
        "satisfaction IS NULL OR (evaluated_at IS NOT NULL AND "
        "satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied'))",
        name="satisfaction_enum",
    ),
    sa.CheckConstraint("returned_count >= 0 AND extended_count >= 0 AND reworked_count >= 0", name="counts_nonneg"),
    sa.CheckConstraint("redispatch_count >= 0", name="redispatch_nonneg"),
    sa.CheckConstraint("resolved IS NULL OR evaluated_at IS NOT NULL", name="resolved_evaluated"),
    sa.CheckConstraint(
        "(suspended_at IS NULL) = (suspend_reason IS NULL) AND (suspended_at IS NULL OR suspended_at >= reported_at)",
        name="suspended_with_reason",
    ),
    sa.CheckConstraint(ISSUE_PLACE_NESTED, name="place_nested"),
    sa.Index(None, "district_code", "reported_at"),
    sa.Index(None, "street_code", "reported_at"),
    sa.Index(None, "community_code", "reported_at"),
    sa.Index(None, "grid_code", "reported_at"),
    sa.Index(None, "category_code"),
    sa.Index(None, "department_code"),
    # The issues a worker reported: what deleting a worker checks (0021; without it, one scan of issue per worker).
    sa.Index("ix_issue_reporter_code", "reporter_code", postgresql_where=sa.text("reporter_code IS NOT NULL")),
    # Repeat requests: earlier issues of one compound and category (indicators.REPEAT), 0006.
    sa.Index(
        "ix_issue_repeat",
        "compound_code",
        "category_code",
        "reported_at",
        postgresql_where=sa.text("compound_code IS NOT NULL"),
    ),
    sa.Index(
        "ix_issue_repeat_address",
        "address_key",
        "category_code",
        "reported_at",
        postgresql_where=sa.text("address_key IS NOT NULL"),
    ),
    sa.Index("ix_issue_open_due", "district_code", "due_at", postgresql_where=sa.text("closed_at IS NULL")),
    # The repeat requests of a place and period, grouped from the index alone (0022).
    sa.Index(
        "ix_issue_repeats",
        "district_code",
        "reported_at",
        postgresql_include=["street_code", "community_code", "compound_code", "address_key", "category_code"],
        postgresql_where=sa.text("repeat_of IS NOT NULL"),
    ),
    # The longest-overdue work orders of several districts, in keyset order (0003).
    sa.Index("ix_issue_open_due_code", "due_at", "code", postgresql_where=sa.text("closed_at IS NULL")),
    # Open issues by report time, covering what the live overdue counts beside the summaries read (0003).
    sa.Index(
        "ix_issue_open_reported",
        "district_code",
        "reported_at",
        postgresql_include=[
            "due_at",
            "street_code",
            "community_code",
            "category_l1",
            "department_code",
            "suspended_at",
        ],
        postgresql_where=sa.text("closed_at IS NULL"),
    ),
)

# The practices of the seed articles beyond the hierarchy (0019).
NOTICE_LEVELS = ("street", "community", "grid", "micro_grid", "household")  # 政策传达: the chain, top down


def _area_codes(community: bool = True) -> list[sa.Column]:
    return [
        _code("community_code", 12, "community.code", nullable=not community),
        _code("street_code", 9, "street.code", nullable=not community),
        _code("district_code", 6, "district.code"),
    ]


property_fee = sa.Table(  # 物业费收缴: billed and collected per compound and year, with the company of that year
    "property_fee",
    metadata,
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("compound.code"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("company_id", sa.Integer, sa.ForeignKey("property_company.id")),  # NULL: no company that year
    sa.Column("billed", sa.Numeric(14, 2), nullable=False),
    sa.Column("collected", sa.Numeric(14, 2), nullable=False),
    *_area_codes(),
    sa.CheckConstraint("billed >= 0 AND collected >= 0 AND collected <= billed", name="amounts_valid"),
    sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    sa.Index(None, "district_code", "year"),
    sa.Index(None, "community_code"),
)

housing_registry = sa.Table(  # 实有房屋/实有人口: counts per compound and how many are entered (录入); no personal data
    "housing_registry",
    metadata,
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("compound.code"), primary_key=True),
    sa.Column("houses", sa.Integer, nullable=False),
    sa.Column("people", sa.Integer, nullable=False),
    sa.Column("houses_entered", sa.Integer, nullable=False),
    sa.Column("people_entered", sa.Integer, nullable=False),
    sa.Column("updated_on", sa.Date, nullable=False),
    *_area_codes(),
    sa.CheckConstraint(
        "houses_entered BETWEEN 0 AND houses AND people_entered BETWEEN 0 AND people", name="entered_within"
    ),
    sa.Index(None, "district_code"),
    sa.Index(None, "community_code"),
)

responsibility_zone = sa.Table(  # 党员责任区: a party member answering for a set of households
    "responsibility_zone",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("volunteer.id")),  # the responsible party member
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("compound.code")),
    sa.Column("households", sa.Integer, nullable=False),
    sa.Column("set_up_on", sa.Date, nullable=False),
    *_area_codes(),
    sa.CheckConstraint("households > 0", name="households_positive"),
    sa.Index(None, "district_code"),
    sa.Index(None, "community_code"),
)

policy_notice = sa.Table(  # 政策传达: a notice a district sends down the chain
    "policy_notice",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    _code("district_code", 6, "district.code"),
    sa.Column("sent_at", sa.DateTime, nullable=False),
    sa.Index(None, "district_code", "sent_at"),
)

notice_delivery = sa.Table(  # when a notice reached each unit of each level (household: all of a micro-grid's)
    "notice_delivery",
    metadata,
    sa.Column("notice_id", sa.Integer, sa.ForeignKey("policy_notice.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("level", sa.String(10), primary_key=True),
    sa.Column("unit_code", sa.String(20), primary_key=True),
    *_area_codes(community=False),
    sa.Column("reached_at", sa.DateTime, nullable=False),
    _enum("level", NOTICE_LEVELS),
    sa.CheckConstraint(
        "starts_with(unit_code, coalesce(community_code, street_code, district_code))", name="unit_in_area"
    ),
    sa.Index(None, "district_code", "level"),
)

# Projects, service items and residents' questions (0020).
PROJECT_KINDS = ("joint", "co_creation")  # 共建项目 (with a partner unit) / 共同缔造实事项目
PROJECT_STATUSES = ("planned", "in_progress", "done")
SERVICE_CATEGORIES = ("social_security", "civil_affairs", "health", "housing", "employment", "elderly", "other")
QUESTION_CHANNELS = ("door_to_door", "meeting", "online", "hotline")
QUESTION_STATUSES = ("collected", "answering", "resolved")

joint_project = sa.Table(  # 共建项目清单 / 共同缔造实事项目
    "joint_project",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("partner_unit_id", sa.Integer, sa.ForeignKey("partner_unit.id")),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("finished_on", sa.Date),
    *_area_codes(),
    _enum("kind", PROJECT_KINDS),
    _enum("status", PROJECT_STATUSES),
    sa.CheckConstraint(
        "(status = 'done') = (finished_on IS NOT NULL) AND (finished_on IS NULL OR finished_on >= started_on)",
        name="finished_when_done",
    ),
    sa.Index(None, "district_code", "started_on"),
    sa.Index(None, "community_code"),
)

service_item = sa.Table(  # 居民可就近办理服务事项: what a community's residents can have done nearby
    "service_item",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("station_id", sa.Integer, sa.ForeignKey("service_station.id")),  # where (NULL: the community office)
    sa.Column("since", sa.Date, nullable=False),
    *_area_codes(),
    _enum("category", SERVICE_CATEGORIES),
    sa.UniqueConstraint("community_code", "name"),
    sa.Index(None, "district_code"),
)

resident_question = sa.Table(  # 征集群众关心问题: a question residents raised, and how it was handled
    "resident_question",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("channel", sa.String(14), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("raised_on", sa.Date, nullable=False),
    sa.Column("answered_on", sa.Date),
    *_area_codes(),
    _enum("channel", QUESTION_CHANNELS),
    _enum("status", QUESTION_STATUSES),
    sa.CheckConstraint(
        "(status = 'collected') = (answered_on IS NULL) AND (answered_on IS NULL OR answered_on >= raised_on)",
        name="answered_when_handled",
    ),
    sa.Index(None, "district_code", "raised_on"),
    sa.Index(None, "community_code"),
)

layer_source = sa.Table(  # the source CRS and provenance of every loaded layer
    "layer_source",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("layer", sa.String(20), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_crs", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("loaded_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
)

store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# Accounts and the audit log (0004). `area` is the code of the unit an account may see ('' for the whole
# store: city leadership and admins); row-level security filters every table by it (data_access.engine).
ROLES = ("city", "district", "street", "community", "screen", "admin")

app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.Text, nullable=False, server_default=""),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("area", sa.String(15), nullable=False, server_default=""),
    sa.Column("password_hash", sa.Text),  # argon2id; NULL for OIDC-only accounts and screen tokens
    sa.Column("token_hash", sa.String(64)),  # sha256 of a wall screen's token secret
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("role IN ('city', 'district', 'street', 'community', 'screen', 'admin')", name="role_enum"),
    sa.CheckConstraint("area ~ '^([0-9]{6}|[0-9]{9}|[0-9]{12})?$'", name="area_format"),
    sa.CheckConstraint("username ~ '^[A-Za-z0-9_.@-]{1,64}$'", name="username_format"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("area", sa.String(15), nullable=False, server_default=""),
    sa.Column("detail", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Index(None, "at"),
    sa.Index(None, "username", "at"),
)

# Failed sign-ins (0009), by name (known or not) and client address: five in 15 minutes lock that name for
# that address, twenty from one address lock the address (data_access.accounts.login).
login_failure = sa.Table(
    "login_failure",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("addr", sa.String(64), nullable=False),
    sa.Index(None, "addr", "at"),
)

# Signed-in browsers (0015): one row per session cookie, found by the SHA-256 of the cookie's random id (the
# cookie holds the id and its signature, never the account). Ended by signing out, by an admin, or by a
# change of the account's role, area, state or password (a trigger); idle and absolute expiry by the app.
user_session = sa.Table(
    "user_session",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("app_user.username", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("end_reason", sa.String(20)),
    sa.Column("client_addr", sa.String(64), nullable=False, server_default=""),
    sa.Column("user_agent", sa.String(300), nullable=False, server_default=""),
    sa.Index("ix_user_session_open", "username", postgresql_where=sa.text("ended_at IS NULL")),
)

# API tokens (0017): issued by an admin to one account, for other systems reading /api/v1/ as that account (its
# role and area: the same row-level security as its pages). Only the token's SHA-256 is kept; shown once.
api_token = sa.Table(
    "api_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("app_user.username", ondelete="CASCADE"), nullable=False),
    sa.Column("label", sa.String(100), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

# Alerts (0018): a rule of data_access/alerts.toml firing on a unit (and a subject: a category or a compound),
# from first seen to cleared; one open firing per rule, unit and subject.
alert_event = sa.Table(
    "alert_event",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("rule", sa.String(64), nullable=False),
    sa.Column("unit_code", sa.String(15), nullable=False),
    sa.Column("subject", sa.String(40), nullable=False, server_default=""),
    sa.Column("subject_name", sa.Text, nullable=False, server_default=""),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_value", sa.Float, nullable=False),
    sa.Column("cleared_at", sa.DateTime(timezone=True)),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("delivery_error", sa.Text),
    sa.Index(
        "ix_alert_event_open",
        "rule",
        "unit_code",
        "subject",
        unique=True,
        postgresql_where=sa.text("cleared_at IS NULL"),
    ),
    sa.Index(None, "unit_code"),
)

HIERARCHY = ("district", "street", "community", "grid")

# Summary tables (0003): issue and volunteering figures pre-aggregated by day and by month, kept fresh
# by data_access.summary after every load. `span` is 'd' (bucket = a day) or 'm' (bucket = the first of a
# month); a period reads whole months from 'm' rows and its edge days from 'd' rows. Derived data: no
# foreign keys, rebuilt from the raw tables by `python -m data_access refresh`.
FUNNEL_STEPS = tuple((k, b, a) for k, b, a, _, _ in STEPS)  # (stage, its timestamp, the previous one's)


def _span_columns(street: bool = True) -> list:
    """span, bucket and the place: district and street (a district rollup: district only)."""
    return [
        sa.Column("span", sa.String(1), nullable=False),
        sa.Column("bucket", sa.Date, nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        *([sa.Column("street_code", sa.String(9), nullable=False)] if street else []),
    ]


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(n, sa.Integer, nullable=False) for n in names]


ISSUE_MEASURES = (*STORED, *[f"src_{c}" for c in SOURCE_CHANNELS], *[f"esc_{e}" for e in ESCALATION_LEVELS])

issue_summary = sa.Table(  # issues by report day/month × community
    "issue_summary",
    metadata,
    *_span_columns(),
    sa.Column("community_code", sa.String(12), nullable=False),
    # The catalogue's stored counts (data_access.indicators.STORED); h_*: hours from the previous stage,
    # nh_*: issues with both timestamps (the mean's divisor).
    *[sa.Column(c, sa.Float if c.startswith("h_") else sa.Integer, nullable=False) for c in STORED],
    *_counts(*[f"src_{c}" for c in SOURCE_CHANNELS], *[f"esc_{e}" for e in ESCALATION_LEVELS]),
    sa.PrimaryKeyConstraint("community_code", "span", "bucket"),
    _enum("span", ("d", "m")),
    sa.Index(None, "district_code", "span", "bucket"),
    sa.Index(None, "street_code", "span", "bucket"),
)

issue_category_summary = sa.Table(  # issues by report day/month × street × level-3 category × department
    "issue_category_summary",
    metadata,
    *_span_columns(),
    sa.Column("category_code", sa.String(12), nullable=False),
    sa.Column("department_code", sa.String(12), nullable=False),  # '' when not dispatched (0006)
    *[sa.Column(c, sa.Float if c.startswith("h_") else sa.Integer, nullable=False) for c in STORED],
    sa.PrimaryKeyConstraint("street_code", "span", "bucket", "category_code", "department_code"),
    _enum("span", ("d", "m")),
    sa.Index(None, "district_code", "span", "bucket"),
)

# District rollups of the two issue summaries (0007): the same rows without street and community, what a
# city-scope read sums (megacity: 13 districts instead of 104 streets or 803 communities). Built from the
# summaries.
issue_district_summary = sa.Table(
    "issue_district_summary",
    metadata,
    *_span_columns(street=False),
    *[sa.Column(c.name, c.type, nullable=False) for c in issue_summary.columns if c.name in ISSUE_MEASURES],
    sa.PrimaryKeyConstraint("district_code", "span", "bucket"),
    _enum("span", ("d", "m")),
)

issue_category_district_summary = sa.Table(
    "issue_category_district_summary",
    metadata,
    *_span_columns(street=False),
    *[
        sa.Column(c.name, c.type, nullable=False)
        for c in issue_category_summary.columns
        if c.name not in ("span", "bucket", "district_code", "street_code")
    ],
    sa.PrimaryKeyConstraint("district_code", "span", "bucket", "category_code", "department_code"),
    _enum("span", ("d", "m")),
)

activity_summary = sa.Table(  # volunteer activities by day/month × street × activity type
    "activity_summary",
    metadata,
    *_span_columns(),
    sa.Column("activity_type", sa.String(14), nullable=False),
    *_counts("activities", "points"),
    sa.Column("hours", sa.Numeric(14, 1), nullable=False),
    sa.PrimaryKeyConstraint("street_code", "span", "bucket", "activity_type"),
    _enum("span", ("d", "m")),
    sa.Index(None, "district_code", "span", "bucket"),
)

team_summary = sa.Table(  # volunteer activities by day/month × street × team (activities without a team: 0)
    "team_summary",
    metadata,
    *_span_columns(),
    sa.Column("team_id", sa.Integer, nullable=False),
    *_counts("activities"),
    sa.Column("hours", sa.Numeric(14, 1), nullable=False),
    sa.PrimaryKeyConstraint("street_code", "span", "bucket", "team_id"),
    _enum("span", ("d", "m")),
    sa.Index(None, "district_code", "span", "bucket"),
)

# The words residents use (0022): per district and report month, the issues whose request text uses each word
# (data_access.words), counted when issues load.
word_district_summary = sa.Table(
    "word_district_summary",
    metadata,
    sa.Column("bucket", sa.Date, nullable=False),
    sa.Column("district_code", sa.String(6), nullable=False),
    sa.Column("word", sa.Text, nullable=False),
    sa.Column("issues", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("district_code", "bucket", "word"),
)

volunteer_days = sa.Table(  # the days each volunteer was active, per community and team: distinct counts
    "volunteer_days",
    metadata,
    sa.Column("volunteer_id", sa.Integer, nullable=False),
    sa.Column("team_id", sa.Integer, nullable=False),  # 0: no team
    sa.Column("district_code", sa.String(6), nullable=False),
    sa.Column("street_code", sa.String(9), nullable=False),
    sa.Column("community_code", sa.String(12), nullable=False),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("days", postgresql.BIT(varying=True), nullable=False),  # bit i: active on first_day + i
    sa.PrimaryKeyConstraint("community_code", "volunteer_id", "team_id"),
    sa.Index(None, "district_code"),
    sa.Index(None, "street_code"),
)


# Import profiles (导入方案, 0025): how a source's files map onto a kind — columns, category and department names,
# the district — saved by an analyst and reused for the next file of the same shape and by the sync.
import_profile = sa.Table(
    "import_profile",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("district_code", sa.String(6), sa.ForeignKey("district.code")),
    sa.Column("columns", postgresql.JSONB, nullable=False),  # the source's header → the field's Chinese header
    sa.Column("categories", postgresql.JSONB, nullable=False),  # the source's category → a code, name or path
    sa.Column("departments", postgresql.JSONB, nullable=False),  # the source's department → a name or code
    sa.Column("headers", postgresql.JSONB, nullable=False),  # the source's headers when the profile was saved
    sa.Column("saved_by", sa.String(64), nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),  # China wall time
)

SYNC_KINDS = ("folder", "sql")

# Sources the sync reads by itself (0025): an inbox folder, or a table or view of a SQL database (前置库) read by
# an update-time column with a stored watermark. Times are China wall time.
sync_source = sa.Table(
    "sync_source",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("label", sa.Text, nullable=False),  # as the headers show it (12345 工单)
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("profile", sa.String(64), sa.ForeignKey("import_profile.name"), nullable=False),
    sa.Column("location", sa.Text, nullable=False),  # the folder, or the SQLAlchemy URL
    sa.Column("source_table", sa.Text),  # sql: the table or view
    sa.Column("watermark_column", sa.Text),  # sql: the update-time column
    sa.Column("key_column", sa.Text),  # sql: the key that orders rows of one update time
    sa.Column("page_rows", sa.Integer, nullable=False, server_default="10000"),
    sa.Column("expected_minutes", sa.Integer, nullable=False),  # a longer silence is overdue (预警)
    sa.Column("watermark", sa.Text),  # sql: the update time and key of the last row loaded, as text
    sa.Column("watermark_key", sa.Text),
    sa.Column("last_run_at", sa.DateTime),
    sa.Column("last_ok_at", sa.DateTime),
    sa.Column("last_delivery_at", sa.DateTime),  # the last run that brought rows or files
    sa.Column("last_error", sa.Text),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),  # consecutive failed runs
    sa.CheckConstraint("kind IN ('folder', 'sql')", name="kind_enum"),
    sa.CheckConstraint(
        "kind = 'folder' OR (source_table IS NOT NULL AND watermark_column IS NOT NULL AND key_column IS NOT NULL)",
        name="sql_complete",
    ),
    sa.CheckConstraint("expected_minutes > 0 AND page_rows > 0", name="positive"),
)

# Every run of a source: what it read and loaded, or why it failed (a failed run changed nothing).
sync_run = sa.Table(
    "sync_run",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("source", sa.String(64), sa.ForeignKey("sync_source.name", ondelete="CASCADE"), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("files", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows", sa.Integer, nullable=False, server_default="0"),
    sa.Column("inserted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Index(None, "source", "started_at"),
)

# The files an inbox has loaded, by content: the same file dropped twice loads once.
sync_file = sa.Table(
    "sync_file",
    metadata,
    sa.Column("source", sa.String(64), sa.ForeignKey("sync_source.name", ondelete="CASCADE"), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("run_id", sa.BigInteger, sa.ForeignKey("sync_run.id"), nullable=False),
    sa.PrimaryKeyConstraint("source", "sha256"),
)

# Every table a file loads into keeps, per row, the file's columns that have no field here (data_access.importing:
# a 12345 export's 办理状态, 来电人 …), as the file gave them: nothing a district sends is lost (0023).
SOURCE_FIELDS_TABLES = (
    "district", "street", "community", "grid", "micro_grid", "compound", "service_station", "issue", "grid_worker",
    "volunteer", "volunteer_activity", "property_company", "owners_committee", "property_fee", "housing_registry",
    "partner_unit", "joint_project", "service_item", "resident_question", "party_org",
)  # fmt: skip
for _name in SOURCE_FIELDS_TABLES:
    metadata.tables[_name].append_column(sa.Column("source_fields", postgresql.JSONB))
