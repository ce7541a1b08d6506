"""Volunteers: registrations, activities, hours and points by time and type, teams, in-service party members.

Counts only: rates come from the catalogue (data_access.indicators); see data_access.reads for the layout."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data_access import indicators, periods, summary
from data_access.reads import BUCKET, from_summaries, run, summarised
from data_access.reads.places import child_key
from data_access.scope import Period, Scope


def volunteer_trend(
    engine: sa.Engine, scope: Scope, period: Period, raw: bool = False, grain: str | None = None
) -> pd.DataFrame:
    """Per day, week or month (``grain``; default: the period's, data_access.periods.grain) from ``bucket``, its first
    day: active volunteers, activities, hours, points earned and redeemed, new registrations."""
    grain = grain or periods.grain(period)
    bucket = BUCKET[grain]
    w, p = scope.where(finest="community")
    pw, pp = period.where("activity_date")
    rw, _ = period.where("redeemed_on")
    vw, _ = period.where("registered_on")
    other = f"""r AS (SELECT {bucket.format("redeemed_on")} AS bucket, sum(points) AS points_redeemed
                     FROM point_redemption WHERE {w} AND {rw} GROUP BY 1),
               v AS (SELECT {bucket.format("registered_on")} AS bucket, count(*) AS registrations
                     FROM volunteer WHERE {w} AND {vw} GROUP BY 1)"""
    columns = ["bucket", "active", "activities", "hours", "points_earned", "points_redeemed", "registrations"]
    if from_summaries(scope, raw):
        rv = run(engine, f"WITH {other} SELECT * FROM r FULL JOIN v USING (bucket)", {**p, **pp})
        df = summary.activity_trend(engine, scope, period, grain).merge(rv, on="bucket", how="outer")
        df = df.fillna({c: 0 for c in columns[1:]}).astype({c: "int64" for c in columns[1:] if c != "hours"})
        return df.astype({"hours": float}).sort_values("bucket").reset_index(drop=True)[columns]
    sql = f"""
        WITH a AS (SELECT {bucket.format("activity_date")} AS bucket, count(DISTINCT volunteer_id) AS active,
                          count(*) AS activities, sum(hours) AS hours, sum(points) AS points_earned
                   FROM volunteer_activity WHERE {w} AND {pw} GROUP BY 1),
             {other}
        SELECT bucket, coalesce(active, 0) AS active, coalesce(activities, 0) AS activities,
               coalesce(hours, 0)::float AS hours, coalesce(points_earned, 0) AS points_earned,
               coalesce(points_redeemed, 0) AS points_redeemed, coalesce(registrations, 0) AS registrations
        FROM a FULL JOIN r USING (bucket) FULL JOIN v USING (bucket) ORDER BY bucket
    """
    return run(engine, sql, {**p, **pp})


@summarised(summary.activity_by_day)
def volunteer_daily(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    w, p = scope.where(finest="community")
    pw, pp = period.where("activity_date")
    return run(
        engine,
        f"""SELECT activity_date AS day, count(*) AS activities, sum(hours)::float AS hours
                             FROM volunteer_activity WHERE {w} AND {pw} GROUP BY 1 ORDER BY 1""",
        {**p, **pp},
    )


@summarised(summary.activity_types)
def activity_types(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    w, p = scope.where(finest="community")
    pw, pp = period.where("activity_date")
    return run(
        engine,
        f"""SELECT activity_type AS key, count(*) AS activities, sum(hours)::float AS hours
                             FROM volunteer_activity WHERE {w} AND {pw} GROUP BY 1 ORDER BY 2 DESC, 1""",
        {**p, **pp},
    )


@summarised(summary.team_ranking)
def top_teams(engine: sa.Engine, scope: Scope, period: Period, limit: int = 10) -> pd.DataFrame:
    """Teams by volunteering hours in the period, with their activities and active volunteers."""
    w, p = scope.where("a", finest="community")
    pw, pp = period.where("a.activity_date")
    return run(
        engine,
        f"""SELECT t.name, count(*) AS activities, sum(a.hours)::float AS hours,
                             count(DISTINCT a.volunteer_id) AS volunteers
                             FROM volunteer_activity a JOIN volunteer_team t ON t.id = a.team_id
                             WHERE {w} AND {pw} GROUP BY t.id, t.name ORDER BY hours DESC, t.id LIMIT :limit""",
        {**p, **pp, "limit": limit},
    )


def in_service_by_child(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """In-service party members registered per child unit and the share active in the period."""
    w, p = scope.where("r", finest="community")
    pw, pp = period.where("a.activity_date")
    key = child_key(scope, "r", finest="community")
    sql = f"""
        SELECT {key} AS code, count(*) AS in_service_registered,
               count(*) FILTER (WHERE r.volunteer_id IS NOT NULL) AS volunteering,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM volunteer_activity a
                                WHERE a.volunteer_id = r.volunteer_id AND {pw})) AS in_service_active
        FROM in_service_registration r WHERE {w} GROUP BY 1
    """
    df = run(engine, sql, {**p, **pp})
    return indicators.derive(df, ["in_service_active_rate"], {"in_service_active_rate": "active_rate"})


def volunteer_kpis(engine: sa.Engine, scope: Scope, period: Period, raw: bool = False) -> pd.DataFrame:
    """Registered and active volunteers, activities, hours, points earned and redeemed."""
    w, p = scope.where(finest="community")
    pw, pp = period.where("activity_date")
    rw, _ = period.where("redeemed_on")
    people = f"""(SELECT count(*) FROM volunteer WHERE {w} AND registered_on < :p_end) AS registered,
               (SELECT count(*) FROM volunteer WHERE {w} AND registered_on >= :p_start AND registered_on < :p_end)
                 AS newly_registered,
               (SELECT coalesce(sum(points), 0) FROM point_redemption WHERE {w} AND {rw}) AS points_redeemed,
               (SELECT count(*) FROM volunteer_team WHERE {w}) AS teams,
               (SELECT count(*) FROM in_service_registration WHERE {w} AND registered_on < :p_end)
                 AS in_service_registered"""
    if from_summaries(scope, raw):
        df = run(engine, f"SELECT {people}", {**p, **pp})
        df["active"] = summary.active_volunteers(engine, scope, period)
        for key, value in summary.activity_totals(engine, scope, period).items():
            df[key] = value
        return df
    sql = f"""
        SELECT {people}, count(DISTINCT volunteer_id) AS active, count(*) AS activities,
               coalesce(sum(hours), 0) AS hours, coalesce(sum(points), 0) AS points_earned
        FROM volunteer_activity WHERE {w} AND {pw}
    """
    return run(engine, sql, {**p, **pp})


def team_kinds(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Volunteer teams by kind (专业服务团队, 邻里服务队 …): how many teams of each."""
    w, p = scope.where("t", finest="community")
    return run(
        engine,
        f"SELECT t.kind, count(*) AS teams FROM volunteer_team t WHERE {w} GROUP BY 1 ORDER BY teams DESC, kind",
        p,
    )
