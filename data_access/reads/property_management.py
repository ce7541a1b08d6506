"""Property management: companies, owners' committees, satisfaction surveys, fees and takeovers, property issues.

Counts only: rates come from the catalogue (data_access.indicators); see data_access.reads for the layout."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from data_access import indicators
from data_access.categories import PROPERTY
from data_access.reads import issues, run
from data_access.scope import Period, Scope


def property_companies(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """Property companies serving the scope, with party form, latest credit score and compounds served."""
    w, p = scope.where("x")
    sql = f"""
        SELECT pc.code, pc.name, pc.party_org_form, pc.cross_appointments, count(x.code) AS compounds,
               sum(x.households) AS households,
               (SELECT r.score FROM property_credit_rating r WHERE r.company_id = pc.id
                ORDER BY r.year DESC LIMIT 1)::float AS credit_score
        FROM compound x JOIN property_company pc ON pc.id = x.property_company_id
        WHERE {w} GROUP BY pc.id ORDER BY compounds DESC, pc.id
    """
    return run(engine, sql, p)


def committees(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    w, p = scope.where(finest="community")
    return run(
        engine,
        f"""SELECT kind, count(*) AS committees, sum(members) AS members,
                             sum(party_members) AS party_members,
                             count(*) FILTER (WHERE chair_is_party_member) AS party_chairs,
                             count(*) FILTER (WHERE 2 * party_members > members) AS party_majority
                             FROM owners_committee WHERE {w} GROUP BY kind""",
        p,
    )


def satisfaction_surveys(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    w, p = scope.where(finest="community")
    return run(
        engine,
        f"""SELECT extract(year FROM surveyed_on)::int AS year, sum(respondents) AS respondents,
                             sum(satisfied) AS survey_satisfied
                             FROM property_survey WHERE {w} GROUP BY 1 ORDER BY 1""",
        p,
    ).pipe(indicators.derive, ["property_satisfaction"])


def property_issue_trend(
    engine: sa.Engine, scope: Scope, period: Period, at: datetime, raw: bool = False
) -> pd.DataFrame:
    """Monthly property-management issues (category 02)."""
    return issues.issue_trend(engine, scope, period, at, PROPERTY, raw)


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
