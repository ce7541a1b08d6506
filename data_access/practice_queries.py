"""Reads of the practices of migrations 0019 and 0020: property fees, the registry, responsibility zones, policy
notices, governance-unit history, projects, service items and residents' questions. Each returns counts; the rates
come from the catalogue (``indicators.derive``). These tables record places down to the community: a grid's scope
reads nothing of them."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data_access import indicators
from data_access.queries import _child_key
from data_access.read import run
from data_access.schema import CURRENT, NOTICE_LEVELS
from data_access.scope import Period, Scope


def fee_years(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Property fees per year: compounds, fees_billed, fees_collected (万元) and the collection rate."""
    w, p = scope.where(finest="community")
    df = run(
        engine,
        f"""SELECT year, count(*) AS compounds, sum(billed)::float / 1e4 AS fees_billed,
                   sum(collected)::float / 1e4 AS fees_collected
            FROM property_fee WHERE {w} GROUP BY year ORDER BY year""",
        p,
    )
    return indicators.derive(df, ["fee_collection_rate"])


def fee_takeovers(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Compounds a company with a party branch (红色物业) took over: their fees the year before and the first
    year after. One row per side (``side``: before / after) with compounds, fees_billed, fees_collected (万元)
    and the collection rate."""
    w, p = scope.where("f", finest="community")
    df = run(
        engine,
        f"""WITH taken AS (
                SELECT f.compound_code, min(f.year) AS year FROM property_fee f
                JOIN property_company c ON c.id = f.company_id
                WHERE {w} AND c.party_org_form = 'branch'
                  AND EXISTS (SELECT 1 FROM property_fee b WHERE b.compound_code = f.compound_code
                              AND b.year < f.year AND b.company_id IS NULL)
                GROUP BY f.compound_code)
            SELECT CASE WHEN f.year < t.year THEN 'before' ELSE 'after' END AS side,
                   count(*) AS compounds, sum(f.billed)::float / 1e4 AS fees_billed,
                   sum(f.collected)::float / 1e4 AS fees_collected
            FROM taken t JOIN property_fee f ON f.compound_code = t.compound_code
             AND f.year IN (t.year - 1, t.year)
            GROUP BY 1 ORDER BY 1 DESC""",
        p,
    )
    return indicators.derive(df, ["fee_collection_rate"])


def registry_and_zones(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Per child unit of the scope: houses and people known and entered (registry_total, registry_entered),
    responsibility zones, the households in them and in the compounds, with the entry rate and zone coverage."""
    w, p = scope.where(finest="community")
    child = _child_key(scope, finest="community")
    df = run(
        engine,
        f"""WITH c AS (SELECT {child} AS code, sum(households) AS households FROM compound WHERE {w} GROUP BY 1),
                 r AS (SELECT {child} AS code, sum(houses + people) AS registry_total,
                              sum(houses_entered + people_entered) AS registry_entered
                       FROM housing_registry WHERE {w} GROUP BY 1),
                 z AS (SELECT {child} AS code, count(*) AS zones, sum(households) AS zone_households
                       FROM responsibility_zone WHERE {w} GROUP BY 1)
            SELECT c.code, c.households, coalesce(r.registry_total, 0) AS registry_total,
                   coalesce(r.registry_entered, 0) AS registry_entered, coalesce(z.zones, 0) AS zones,
                   coalesce(z.zone_households, 0) AS zone_households
            FROM c LEFT JOIN r USING (code) LEFT JOIN z USING (code) ORDER BY c.code""",
        p,
    )
    return indicators.derive(df, ["registry_entry_rate", "zone_coverage"])


def community_staff(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Per child unit of the scope: communities (and villages), their permanent residents and the community
    workers in post, with the catalogue's community_worker_ratio."""
    uw, p = scope.where_unit("community", "cm")
    w, _ = scope.where("w", finest="community")
    key = _child_key(scope, "cm", finest="community").replace("cm.community_code", "cm.code")
    df = run(
        engine,
        f"""WITH k AS (SELECT community_code, count(*) AS community_workers FROM grid_worker w
                       WHERE {w} AND w.role = 'community_worker' AND w.left_on IS NULL GROUP BY 1)
            SELECT {key} AS code, count(*) AS communities, coalesce(sum(cm.residents), 0)::bigint AS residents,
                   coalesce(sum(k.community_workers), 0)::bigint AS community_workers
            FROM community cm LEFT JOIN k ON k.community_code = cm.code WHERE {uw} GROUP BY 1 ORDER BY 1""",
        p,
    )
    return indicators.derive(df, ["community_worker_ratio"])


def notice_delivery(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Delivery of policy notices by level, before and after the last micro-grid reform of each notice's district
    (``side``: before / after; all, in a district never re-divided): notices, deliveries, delivery_hours (their
    sum) and the mean delivery time."""
    w, p = scope.where("d", finest="community")
    df = run(
        engine,
        f"""WITH r AS (SELECT district_code, max(valid_to) AS day FROM micro_grid WHERE NOT {CURRENT} GROUP BY 1)
            SELECT CASE WHEN r.day IS NULL THEN 'all' WHEN n.sent_at < r.day THEN 'before' ELSE 'after' END AS side,
                   d.level, count(DISTINCT d.notice_id) AS notices, count(*) AS deliveries,
                   sum(extract(epoch FROM d.reached_at - n.sent_at) / 3600)::float AS delivery_hours
            FROM notice_delivery d JOIN policy_notice n ON n.id = d.notice_id
            LEFT JOIN r ON r.district_code = n.district_code
            WHERE {w} GROUP BY 1, 2""",
        p,
    )
    df["level"] = pd.Categorical(df["level"], NOTICE_LEVELS, ordered=True)
    df = df.sort_values(["side", "level"], ascending=[False, True]).reset_index(drop=True)
    df["level"] = df["level"].astype(str)
    return indicators.derive(df, ["notice_hours"])


def layouts(engine: sa.Engine, scope: Scope, at, level: str = "micro_grid") -> pd.DataFrame:
    """The layouts of a level's units in the scope's re-divided districts, current first (``valid_to`` NaT):
    units, unit_area (km² covered), households, the issues reported in them (unit_issues) and the months of their
    window (unit_months: units × months), with the mean area, the issues per unit a month and the coverage's
    change against the layout before. Empty when no district of the scope was re-divided."""
    if level not in ("grid", "micro_grid"):
        raise ValueError(f"{level} has no layouts")
    uw, p = scope.where_unit(level, "u") if level == "grid" else scope.where("u")
    reformed = run(engine, f"SELECT DISTINCT u.district_code FROM {level} u WHERE {uw} AND NOT u.{CURRENT}", p)
    if reformed.empty:
        return pd.DataFrame()
    w, _ = scope.where()
    col = f"{level}_code"
    df = run(
        engine,
        f"""WITH n AS (SELECT {col} AS code, count(*) AS issues, min(reported_at) AS first FROM issue
                       WHERE {w} AND district_code = ANY(:reformed) AND {col} IS NOT NULL AND reported_at <= :at
                       GROUP BY 1)
            SELECT u.valid_to, count(*) AS units, sum(u.area_km2) AS unit_area, sum(u.households) AS households,
                   coalesce(sum(n.issues), 0)::bigint AS unit_issues, min(n.first) AS first_issue
            FROM {level} u LEFT JOIN n USING (code) WHERE {uw} AND u.district_code = ANY(:reformed)
            GROUP BY u.valid_to ORDER BY u.valid_to DESC NULLS FIRST""",
        {**p, "at": at, "reformed": reformed["district_code"].tolist()},
    )
    df["valid_to"] = pd.to_datetime(df["valid_to"])
    start = df["valid_to"].shift(-1).fillna(pd.to_datetime(df["first_issue"]).min())  # the layout before ended
    end = df["valid_to"].fillna(pd.Timestamp(at))
    df["valid_from"] = start.where(df.index < len(df) - 1)
    df["unit_months"] = df["units"] * ((end - start).dt.days / 30.4375).clip(lower=0)
    df["coverage_change"] = indicators.change_percent(df["unit_area"], df["unit_area"].shift(-1)).to_numpy()
    return indicators.derive(df.drop(columns="first_issue"), ["unit_mean_area", "issues_per_unit_month"])


def projects(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """Projects started in the period by kind (joint / co_creation): projects, projects_done, in progress,
    planned, partner units, with the completion rate."""
    w, p = scope.where(finest="community")
    pw, pp = period.where("started_on")
    df = run(
        engine,
        f"""SELECT kind, count(*) AS projects, count(*) FILTER (WHERE status = 'done') AS projects_done,
                   count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
                   count(*) FILTER (WHERE status = 'planned') AS planned,
                   count(DISTINCT partner_unit_id) AS partners
            FROM joint_project WHERE {w} AND {pw} GROUP BY kind ORDER BY kind DESC""",
        {**p, **pp},
    )
    return indicators.derive(df, ["project_completion_rate"])


def recent_projects(engine: sa.Engine, scope: Scope, limit: int = 200) -> pd.DataFrame:
    """The scope's latest projects: code, name, kind, partner (its name), community, status, started, finished."""
    w, p = scope.where("j", finest="community")
    return run(
        engine,
        # The page of projects first, then their names: joined first, the planner (which cannot count rows past
        # row-level security) looped over the city's communities for each project (megacity city scope: 1.4 s).
        f"""SELECT j.code, j.name, j.kind, u.name AS partner, c.name AS community, j.status, j.started_on,
                   j.finished_on
            FROM (SELECT * FROM joint_project j WHERE {w} ORDER BY j.started_on DESC, j.code LIMIT :n) j
            JOIN community c ON c.code = j.community_code LEFT JOIN partner_unit u ON u.id = j.partner_unit_id
            ORDER BY j.started_on DESC, j.code""",
        {**p, "n": limit},
    )


def service_items(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Service items residents can have done nearby, by category: items (distinct names), offers (community ×
    item), communities offering, offers at a station, and ``all_items``: the distinct names of every category (a
    name may stand in two)."""
    w, p = scope.where(finest="community")
    return run(
        engine,
        f"""SELECT category, count(DISTINCT name) AS items, count(*) AS offers,
                   count(DISTINCT community_code) AS communities, count(station_id) AS at_station,
                   (SELECT count(DISTINCT name) FROM service_item WHERE {w}) AS all_items
            FROM service_item WHERE {w} GROUP BY category ORDER BY offers DESC, category""",
        p,
    )


def questions(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """Residents' questions raised in the period by topic, most raised first: questions, questions_resolved,
    answering, collected (not yet answered), with the resolution rate."""
    w, p = scope.where(finest="community")
    pw, pp = period.where("raised_on")
    df = run(
        engine,
        f"""SELECT topic, count(*) AS questions, count(*) FILTER (WHERE status = 'resolved') AS questions_resolved,
                   count(*) FILTER (WHERE status = 'answering') AS answering,
                   count(*) FILTER (WHERE status = 'collected') AS collected
            FROM resident_question WHERE {w} AND {pw} GROUP BY topic ORDER BY questions DESC, topic""",
        {**p, **pp},
    )
    df = indicators.derive(df, ["question_resolution_rate"])
    df["frequent"] = df["questions"] >= indicators.FREQUENT_TOPIC  # 高频问题
    return df


def team_kinds(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Volunteer teams by kind (专业服务团队, 邻里服务队 …): how many teams of each."""
    w, p = scope.where("t", finest="community")
    return run(
        engine,
        f"SELECT t.kind, count(*) AS teams FROM volunteer_team t WHERE {w} GROUP BY 1 ORDER BY teams DESC, kind",
        p,
    )
