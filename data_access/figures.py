"""The published figures of the seed articles, computed from raw rows.

``FIGURES`` maps a ``figure`` name of ../shared/reference/seed_figures.csv to one SQL statement over the rows
of one place's districts (``:ds``: one district, or a city's) at the data's as-of time (``:as_of``). Figures
the model cannot express are listed in ``NOT_EXPRESSIBLE`` with the reason, never invented.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import sqlalchemy as sa

from data_access import clock, indicators, schema
from data_access.categories import DISPUTES, EMERGENCIES, PROPERTY


def _count(table: str, cond: str = "TRUE") -> str:
    return f"SELECT count(*) FROM {table} WHERE district_code = ANY(:ds) AND {cond}"


def _closed_issues(cond: str) -> str:
    return _count("issue", f"closed_at IS NOT NULL AND closed_at <= :as_of AND {cond}")


def _rate(key: str, counts: str) -> str:
    """The catalogue's rate ``key`` (numerator / denominator × scale), rounded, over ``counts``: a statement
    selecting the indicator's two counts by name."""
    ind = indicators.get(key)
    return f"SELECT round({ind.scale} * {ind.numerator} / nullif({ind.denominator}, 0), 2) FROM ({counts}) n"


def _closure_rate(cond: str) -> str:
    """The catalogue's closure rate (closed / due) of the district's issues matching ``cond``."""
    ind = indicators.get("closure_rate")
    counts = indicators.raw_counts(keys=[ind.numerator, ind.denominator])
    return _rate("closure_rate", f"SELECT {counts} FROM issue WHERE district_code = ANY(:ds) AND {cond}")


def _fee_rate_by_year() -> str:
    """The catalogue's fee collection rate of the district's last three years of fees."""
    ind = indicators.get("fee_collection_rate")
    return (
        f"SELECT year, {ind.scale} * sum(collected) / nullif(sum(billed), 0) AS r FROM property_fee "
        "WHERE district_code = ANY(:ds) "
        "AND year > (SELECT max(year) - 3 FROM property_fee WHERE district_code = ANY(:ds)) "
        "GROUP BY year"
    )


_BRANCH = "level = 'branch'"
_GRID_EVENTS_2021 = "source_channel = 'grid_patrol' AND reported_at >= '2021-01-01' AND reported_at < '2022-01-01'"
_ACTIVE = "left_on IS NULL"
_REFORM = "(SELECT max(valid_to) FROM micro_grid WHERE district_code = ANY(:ds))"  # the day of the last reform
# A micro-grid valid on the day before it.
_BEFORE_REFORM = (
    f"district_code = ANY(:ds) AND (valid_from IS NULL OR valid_from < {_REFORM}) AND valid_to >= {_REFORM}"
)

FIGURES: dict[str, str] = {
    # hierarchy
    "社区": _count("community", "kind = 'community'"),
    "城市社区": _count("community", "kind = 'community'"),
    "小区": _count("compound"),
    "网格": _count("grid", schema.CURRENT),
    "大网格": _count("grid", schema.CURRENT),
    "中心城区网格": "SELECT count(*) FROM grid g JOIN street s ON s.code = g.street_code "
    f"WHERE g.district_code = ANY(:ds) AND s.kind = 'street' AND g.{schema.CURRENT}",
    "微网格": _count("micro_grid", schema.CURRENT),
    "邻里单元": _count("micro_grid", schema.CURRENT),
    "微网格平均服务面积": "SELECT round(avg(area_km2)::numeric, 2) FROM micro_grid WHERE district_code = ANY(:ds) "
    f"AND {schema.CURRENT}",
    # governance-unit history: the micro-grid layout on the day before the district's last reform
    "微网格平均服务面积(改革前)": f"SELECT round(avg(area_km2)::numeric, 2) FROM micro_grid WHERE {_BEFORE_REFORM}",
    "网格治理覆盖范围拓展": "SELECT round((100 * (now / nullif(was, 0) - 1))::numeric, 2) FROM "
    f"(SELECT sum(area_km2) FILTER (WHERE {schema.CURRENT}) AS now, sum(area_km2) FILTER (WHERE {_BEFORE_REFORM}) "
    "AS was FROM micro_grid WHERE district_code = ANY(:ds)) a",
    # party organisation
    "街道大工委": "SELECT count(*) FROM party_org p JOIN street s ON s.code = p.street_code "
    "WHERE p.district_code = ANY(:ds) AND p.level = 'street_committee' AND s.kind = 'street'",
    "社区大党委": "SELECT count(*) FROM party_org p JOIN community c ON c.code = p.community_code "
    "WHERE p.district_code = ANY(:ds) AND p.level = 'community_committee' AND c.kind = 'community'",
    "小区(片区)党支部": _count("party_org", f"{_BRANCH} AND branch_kind IN ('compound', 'area')"),
    "小区党支部": _count("party_org", f"{_BRANCH} AND branch_kind IN ('compound', 'area')"),
    "小区党组织": _count("party_org", f"{_BRANCH} AND branch_kind IN ('compound', 'area')"),
    "网格党支部": _count("party_org", f"{_BRANCH} AND branch_kind = 'grid'"),
    "与网格(微网格)重合的小区党组织": "SELECT count(*) FROM party_org p JOIN compound c ON c.code = p.compound_code "
    "WHERE p.district_code = ANY(:ds) AND p.level = 'branch' AND c.grid_relation = 'same'",
    "小区党支部书记-退休干部党员": _count("party_org", f"{_BRANCH} AND secretary_background = 'retired_cadre'"),
    "小区党支部书记-包联社区工作者": _count("party_org", f"{_BRANCH} AND secretary_background = 'community_worker'"),
    "小区党支部委员兼楼栋党小组组长": _count("party_org", "level = 'building_group'"),
    "楼栋党小组": _count("party_org", "level = 'building_group'"),
    "党员中心户": _count("party_org", "level = 'center_household'"),
    "共建单位": _count("partner_unit"),
    "党员责任区": _count("responsibility_zone"),
    "录入房屋人口信息": "SELECT sum(houses_entered + people_entered) FROM housing_registry "
    "WHERE district_code = ANY(:ds)",
    # property and owners' committees
    "建立党组织的物业企业和项目": _count("property_company", "party_org_form = 'branch'"),
    "物业企业党支部": _count("property_company", "party_org_form = 'branch'"),
    "物业党组织": _count("property_company", "party_org_form = 'branch'"),
    "物业公司党的组织和工作全覆盖": _count("property_company", "party_org_form <> 'none'"),
    "物业企业交叉任职党员群众": "SELECT coalesce(sum(cross_appointments), 0) FROM property_company "
    "WHERE district_code = ANY(:ds)",
    "物业服务企业信用分管理": "SELECT count(DISTINCT r.company_id) FROM property_credit_rating r "
    "JOIN property_company c ON c.id = r.company_id WHERE c.district_code = ANY(:ds) AND r.year = 2021",
    "老旧小区组团打包": _count("compound", "type = 'old' AND management_mode = 'bundled'"),
    "老旧小区改造": _count("compound", "type = 'old' AND renovated_year = 2021"),
    "专业化物业管理小区": _count("compound", "management_mode = 'professional'"),
    "无人管理小区": _count("compound", "management_mode = 'none'"),
    "薄弱小区": _count("compound", "weak"),
    "业委会": _count("owners_committee", "kind = 'owners_committee'"),
    "业委会组建率": _rate(
        "committee_formation_rate",
        f"SELECT {indicators.compound_counts('c', ['committees', 'eligible'])} FROM compound c "
        "WHERE c.district_code = ANY(:ds)",
    ),
    "业委会成员党员比例": _rate(
        "committee_party_share",
        "SELECT sum(party_members) AS committee_party_members, sum(members) AS committee_members "
        "FROM owners_committee WHERE district_code = ANY(:ds) AND kind = 'owners_committee'",
    ),
    "党员成员过半的业委会占比": "SELECT round(100.0 * count(*) FILTER (WHERE 2 * party_members > members) "
    "/ nullif(count(*), 0), 2) FROM owners_committee WHERE district_code = ANY(:ds)",
    "党员担任业委会主任": _count("owners_committee", "chair_is_party_member"),
    "物业费收缴率提升": "SELECT round(rate[1] - rate[3], 2) FROM (SELECT array_agg(r ORDER BY year DESC) AS rate "
    f"FROM ({_fee_rate_by_year()}) y) a",
    "试点小区物业服务满意率": _rate(
        "property_satisfaction",
        "SELECT sum(satisfied) AS survey_satisfied, sum(respondents) AS respondents "
        "FROM property_survey WHERE district_code = ANY(:ds) AND pilot",
    ),
    # stations
    "小区党群服务驿站": _count("service_station", "type = 'compound_station'"),
    "小区党群服务站": _count("service_station", "type = 'compound_station'"),
    "爱心之家积分超市": _count("service_station", "type = 'points_store'"),
    "便民服务阵地": _count("service_station"),
    "新建改扩建活动场所": _count("service_station", "construction IN ('new', 'renovated')"),
    # people
    "网格员": _count("grid_worker", f"role = 'full_time' AND {_ACTIVE}"),
    "专属网格员": _count("grid_worker", f"role = 'dedicated' AND {_ACTIVE}"),
    "微网格员": _count("grid_worker", f"role = 'micro_grid' AND {_ACTIVE}"),
    "微网格员党员占比": "SELECT round(100.0 * count(*) FILTER (WHERE party_member) / nullif(count(*), 0), 2) "
    "FROM grid_worker WHERE district_code = ANY(:ds) AND role = 'micro_grid' AND left_on IS NULL",
    "表彰微网格员": _count("grid_worker", "role = 'micro_grid' AND commended"),
    "调整微网格员": _count("grid_worker", "role = 'micro_grid' AND left_on IS NOT NULL"),
    "微网格员每月阶梯补贴": "SELECT min(monthly_allowance)::int || '-' || max(monthly_allowance)::int FROM grid_worker "
    "WHERE district_code = ANY(:ds) AND role = 'micro_grid' AND left_on IS NULL",
    "每个网格网格员": "SELECT min(n) || '-' || max(n) FROM (SELECT g.code, count(w.id) AS n FROM grid g "
    "JOIN street s ON s.code = g.street_code LEFT JOIN grid_worker w ON w.grid_code = g.code "
    "AND w.role = 'full_time' AND w.left_on IS NULL WHERE g.district_code = ANY(:ds) AND s.kind = 'street' "
    f"AND g.{schema.CURRENT} "
    "GROUP BY g.code) per_grid",
    "党员楼栋长": _count("grid_worker", f"role = 'building_head' AND party_member AND {_ACTIVE}"),
    "下沉工作人员": _count("grid_worker", f"role = 'sunk_staff' AND {_ACTIVE}"),
    "志愿服务队": _count("volunteer_team"),
    "近邻志愿服务队": _count("volunteer_team"),
    "特色志愿服务队伍": _count("volunteer_team"),
    "党员志愿者": _count("volunteer", "kind IN ('party_member', 'in_service_party_member')"),
    "在职党员到社区报到": _count("in_service_registration"),
    "报到党员": _count("in_service_registration"),
    "志愿服务活动": "SELECT count(*) FROM volunteer_activity a JOIN volunteer v ON v.id = a.volunteer_id "
    "WHERE a.district_code = ANY(:ds) AND v.kind = 'in_service_party_member'",
    # issues
    "三方联动解决治理难题": _closed_issues(f"category_l1 = '{PROPERTY}' AND escalation_level = 'compound'"),
    "联席会商解决问题": _closed_issues(f"category_l1 = '{PROPERTY}' AND escalation_level = 'community'"),
    "物业类诉求处理完成": _closed_issues(f"category_l1 = '{PROPERTY}'"),
    "解决居民诉求": _closed_issues("source_channel = 'resident_request'"),
    "无人机巡查解决问题": _closed_issues("source_channel = 'drone_ai'"),
    "红色管家解决问题": _closed_issues("source_channel = 'property_steward'"),
    "群众点单-支部派单-党员接单解决难题": _closed_issues("source_channel = 'resident_order'"),
    "矛盾前置化解": _closed_issues(f"category_l1 = '{DISPUTES}' AND source_channel = 'visit'"),
    "纠纷调解成功率": _closure_rate(f"category_l1 = '{DISPUTES}'"),
    "前置矛盾调解成功率": _closure_rate(f"category_l1 = '{DISPUTES}'"),
    "突发事件初期处置成功率": _closure_rate(f"category_l1 = '{EMERGENCIES}'"),
    "网格事件上报处置": _count("issue", _GRID_EVENTS_2021),
    "网格事件处置率": _closure_rate(_GRID_EVENTS_2021),
    # 政策传达: the catalogue's delivery time to households of the notices of the last 12 months
    "政策传达时效": "SELECT round(avg(extract(epoch FROM d.reached_at - n.sent_at) / 3600)::numeric, 1) "
    "FROM notice_delivery d JOIN policy_notice n ON n.id = d.notice_id WHERE n.district_code = ANY(:ds) "
    "AND d.level = 'household' AND n.sent_at > :as_of - interval '365 days' AND n.sent_at <= :as_of",
    "接访量同比下降": "SELECT round(100.0 * (1 - count(*) FILTER (WHERE reported_at > :as_of - interval '1 year')"
    "::numeric / nullif(count(*) FILTER (WHERE reported_at <= :as_of - interval '1 year'), 0)), 2) "
    "FROM issue WHERE district_code = ANY(:ds) AND source_channel = 'petition' "
    "AND reported_at > :as_of - interval '2 years' AND reported_at <= :as_of",
}

_THIS_YEAR = "{col} >= date_trunc('year', CAST(:as_of AS timestamp)) AND {col} <= :as_of"
FIGURES.update(
    {
        # 武汉市's city-wide figures (seed 004); a city's figure sums its districts' rows
        "小区党群驿站": FIGURES["小区党群服务驿站"],
        "社区党组织": _count("party_org", "level = 'community_committee'"),
        "社区工作者": _count("grid_worker", f"role = 'community_worker' AND {_ACTIVE}"),
        # the catalogue's community_worker_ratio, rounded to the published whole number
        "社区工作者配置标准": f"SELECT round({indicators.get('community_worker_ratio').scale} * (SELECT count(*) "
        f"FROM grid_worker WHERE district_code = ANY(:ds) AND role = 'community_worker' AND {_ACTIVE}) "
        "/ nullif(sum(residents), 0)) FROM community WHERE district_code = ANY(:ds)",
        "结对单位党组织": _count("partner_unit"),
        "共建项目清单": _count("joint_project", "kind = 'joint'"),
        "共同缔造实事项目": _count("joint_project", "kind = 'co_creation' AND " + _THIS_YEAR.format(col="started_on")),
        "专业服务团队": _count("volunteer_team", "kind = 'professional'"),
        "小区邻里服务队": _count("volunteer_team", "kind = 'neighbourhood'"),
        "居民可就近办理服务事项": "SELECT count(DISTINCT name) FROM service_item WHERE district_code = ANY(:ds)",
        "征集群众关心问题": _count("resident_question", _THIS_YEAR.format(col="raised_on")),
        # 高频问题: a topic raised indicators.FREQUENT_TOPIC times or more this year
        "高频问题": "SELECT count(*) FROM (SELECT topic FROM resident_question WHERE district_code = ANY(:ds) AND "
        f"{_THIS_YEAR.format(col='raised_on')} GROUP BY topic HAVING count(*) >= {indicators.FREQUENT_TOPIC}) t",
        # an old compound whose fees name a company for the first time after a year with none
        "老旧小区物业转为企业接管": "SELECT count(DISTINCT f.compound_code) FROM property_fee f "
        "JOIN compound c ON c.code = f.compound_code JOIN property_fee p ON p.compound_code = f.compound_code "
        "AND p.year = f.year - 1 AND p.company_id IS NULL WHERE c.district_code = ANY(:ds) AND c.type = 'old' "
        "AND f.company_id IS NOT NULL",
    }
)

NOT_EXPRESSIBLE: dict[str, str] = {}


def seed_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def expressible(row: dict) -> tuple[bool, str]:
    """Whether the model can compute this seed row, and if not, why."""
    if row["figure"] in FIGURES:
        return True, ""
    return False, NOT_EXPRESSIBLE.get(row["figure"], "no definition in data_access.figures")


def compute(conn: sa.Connection, place: str, figures=None) -> dict[str, object]:
    """Compute figures for one district, or a city (its districts' rows together); returns {figure: value}."""
    as_of = clock.as_of()
    codes = [place]
    if place.endswith("00"):
        codes = conn.execute(sa.text("SELECT code FROM district WHERE city_code = :c"), {"c": place}).scalars().all()
    out = {}
    for name in figures or FIGURES:
        value = conn.execute(sa.text(FIGURES[name]), {"ds": codes, "as_of": as_of, "at": as_of}).scalar()
        out[name] = float(value) if hasattr(value, "as_integer_ratio") and not isinstance(value, int) else value
    return out


def matches(expected: str, unit: str, actual) -> bool:
    """Whether ``actual`` reproduces a published value under its unit's wording.

    Counts must be equal; "余"/"多" (more than) accepts up to 10 % above; "以上"/"超过" at least;
    rates (%) within 0.5 percentage points; areas to the published two decimals; ranges as text.
    """
    if actual is None:
        return False
    if re.fullmatch(r"\d+(\.\d+)?-\d+(\.\d+)?", expected):
        return str(actual) == expected
    v, a = float(expected), float(actual)
    if "以上" in unit or "超过" in unit:
        return a >= v
    if "余" in unit or "多" in unit:
        return v <= a < v * 1.1
    if "%" in unit or "百分点" in unit:
        return abs(a - v) <= 0.5
    if "平方公里" in unit:
        return abs(a - v) <= 0.005
    return a == v
