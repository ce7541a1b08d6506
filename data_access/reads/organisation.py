"""Party organisation: organisations by level, coverage, secretaries, grid workers, policy notices and joint
projects (共建项目).

Counts only: rates come from the catalogue (data_access.indicators); see data_access.reads for the layout."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data_access import indicators
from data_access.reads import run
from data_access.reads.places import child_key
from data_access.schema import CURRENT, NOTICE_LEVELS
from data_access.scope import Period, Scope


def org_by_child(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Party organisation and coverage per child unit."""
    w, p = scope.where("c")
    key = child_key(scope, "c")
    sql = f"""
        SELECT {key} AS code, {indicators.compound_counts("c")}
        FROM compound c WHERE {w} GROUP BY 1
    """
    comp = run(engine, sql, p)
    wo, _ = scope.where()
    okey = child_key(scope)
    orgs = run(
        engine,
        f"""SELECT {okey} AS code,
        count(*) FILTER (WHERE level = 'branch') AS branches,
        count(*) FILTER (WHERE level = 'building_group') AS building_groups,
        count(*) FILTER (WHERE level = 'center_household') AS center_households
        FROM party_org WHERE {wo} AND {okey} IS NOT NULL GROUP BY 1""",
        p,
    )
    df = orgs.merge(comp, on="code", how="outer").fillna(0)
    names = {"compound_party_coverage": "branch_coverage", "committee_formation_rate": "committee_rate"}
    return indicators.derive(df, list(names), names)


def secretary_mix(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    w, p = scope.where()
    return run(
        engine,
        f"""SELECT secretary_background AS key, count(*) AS branches FROM party_org
                             WHERE {w} AND level = 'branch' AND secretary_background IS NOT NULL
                             GROUP BY 1 ORDER BY 2 DESC, 1""",
        p,
    )


def party_org_counts(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Party organisations by level (and branch kind)."""
    w, p = scope.where()
    sql = f"""SELECT level, coalesce(branch_kind, '') AS branch_kind, count(*) AS orgs, sum(members) AS members
              FROM party_org WHERE {w} GROUP BY level, branch_kind ORDER BY min(id)"""
    return run(engine, sql, p)


def coverage_rates(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Organisational coverage (the catalogue's compound_party_coverage, committee_formation_rate,
    committee_party_share, property_party_coverage, mean_credit_score) with the counts they rest on.

    Property companies are those managing a compound of the scope, at every level (/organization and
    /property show the same figure)."""
    w, p = scope.where("c")
    sql = f"""
        WITH rated AS (  -- the latest credit score of each company serving the scope that has one
          SELECT r.score FROM property_company pc
          CROSS JOIN LATERAL (SELECT score FROM property_credit_rating r WHERE r.company_id = pc.id
                              ORDER BY r.year DESC LIMIT 1) r
          WHERE EXISTS (SELECT 1 FROM compound c WHERE c.property_company_id = pc.id AND {w}))
        SELECT {indicators.compound_counts("c")},
          (SELECT coalesce(sum(oc.party_members), 0) FROM owners_committee oc
             JOIN compound c ON c.code = oc.compound_code WHERE {w} AND oc.kind = 'owners_committee')
            AS committee_party_members,
          (SELECT coalesce(sum(oc.members), 0) FROM owners_committee oc
             JOIN compound c ON c.code = oc.compound_code WHERE {w} AND oc.kind = 'owners_committee')
            AS committee_members,
          (SELECT count(*) FROM property_company pc WHERE EXISTS (SELECT 1 FROM compound c
             WHERE c.property_company_id = pc.id AND {w})) AS companies,
          (SELECT count(*) FROM property_company pc WHERE pc.party_org_form <> 'none' AND EXISTS (
             SELECT 1 FROM compound c WHERE c.property_company_id = pc.id AND {w})) AS companies_with_party,
          (SELECT coalesce(sum(score), 0)::float FROM rated) AS credit_score_total,
          (SELECT count(*) FROM rated) AS rated_companies
        FROM compound c WHERE {w}
    """
    return indicators.derive(run(engine, sql, p))


def worker_counts(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Active grid workers by role, with how many are party members."""
    w, p = scope.where()
    sql = f"""SELECT role, count(*) AS workers, count(*) FILTER (WHERE party_member) AS party_members
              FROM grid_worker WHERE {w} AND left_on IS NULL GROUP BY role ORDER BY workers DESC, role"""
    return run(engine, sql, p)


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
