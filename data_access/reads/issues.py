"""Issues (12345 work orders and grid reports): the catalogue's counts by child, time and department, the funnel,
the backlog and overdue lists, categories and mixes, search, repeat requests, stage medians and residents' questions.

Counts only: rates come from the catalogue (data_access.indicators); see data_access.reads for the layout."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from data_access import clock, indicators, periods, summary
from data_access.reads import BUCKET, from_summaries, run, summarised
from data_access.reads.places import child_key
from data_access.schema import FUNNEL_STEPS
from data_access.scope import Period, Scope

_BY = ("child", "day", "week", "month", "department")


def issue_counts(
    engine: sa.Engine,
    scope: Scope,
    period: Period,
    at: datetime,
    by: str | None = None,
    category_l1: str | None = None,
    raw: bool = False,
) -> pd.DataFrame:
    """The catalogue's issue counts (data_access.indicators.COUNTS) of the issues reported in ``period``,
    at time ``at``: one row, or one per child unit, report day, week or month, or handling department (``by``) as
    ``code`` (``bucket`` for times; '' for issues not dispatched to a department). The stocks (超期未结, 挂账) are
    the scope's at ``at`` whatever the period (by time: of the period's issues reported then).

    From the summary tables where they cover the scope (``raw`` forces the raw rows); the same columns
    either way.
    """
    if by is not None and by not in _BY:
        raise ValueError(f"cannot count issues by {by!r}")
    child = child_key(scope, finest="micro_grid")
    # The grouping over raw rows (also the live counts) and over summary rows.
    key = {"child": child, "department": "coalesce(department_code, '')"}.get(by)
    key = BUCKET[by].format("reported_at") if by in BUCKET else key
    timed = by in BUCKET
    if from_summaries(scope, raw):
        table = "issue_category_summary" if (category_l1 or by == "department") else "issue_summary"
        df = summary.issue_counts(
            engine,
            scope,
            period,
            at,
            BUCKET[by].format("bucket") if timed else {"child": child, "department": "department_code"}.get(by),
            table,
            "category_l1 = :l1" if category_l1 else "TRUE",
            "category_code LIKE :cat" if category_l1 else "TRUE",
            {"cat": f"{category_l1}%", "l1": category_l1},
            key,
            in_period=timed,
            days_only=by in ("day", "week"),
        )
    else:
        w, p = scope.where()
        pw, pp = period.where("reported_at")
        cat = "AND category_l1 = :l1" if category_l1 else ""
        group = f"{key} AS code, " if key else ""
        # Aliased: the repeat-request count looks up earlier issues of the same table. Counted to the end of time,
        # as the summaries count (no event is stored after now); the clock's counts are read live beside them.
        grouped = f"AND {key} IS NOT NULL GROUP BY 1" if key else ""
        sql = f"""SELECT {group}{indicators.raw_counts("i", indicators.STORED)} FROM issue i
                  WHERE {w} AND {pw} {cat} {grouped}"""
        stored = run(engine, sql, {**p, **pp, "at": summary.EVER, "l1": category_l1})
        live = summary.live_counts(
            engine, scope, period, at, key, "category_l1 = :l1" if category_l1 else "TRUE", {"l1": category_l1},
            in_period=timed,
        )  # fmt: skip
        df = indicators.with_live(stored, live, bool(key))
    if timed:
        df = df.rename(columns={"code": "bucket"}).sort_values("bucket").reset_index(drop=True)
    return df


def issue_by_child(engine: sa.Engine, scope: Scope, period: Period, at: datetime, raw: bool = False) -> pd.DataFrame:
    """The catalogue's issue counts and indicators per child unit of the scope (the ranking)."""
    return indicators.derive(issue_counts(engine, scope, period, at, "child", raw=raw))


def issue_by_department(
    engine: sa.Engine, scope: Scope, period: Period, at: datetime, raw: bool = False
) -> pd.DataFrame:
    """部门考核: the catalogue's counts and indicators per handling department (code, name, kind) of the
    issues in the scope; issues not dispatched to one are left out."""
    df = issue_counts(engine, scope, period, at, "department", raw=raw)
    df = df[df["code"] != ""]
    names = run(engine, "SELECT code, name, kind FROM department WHERE code = ANY(:codes)", {"codes": list(df["code"])})
    df = names.merge(df, on="code", how="right")
    df["name"] = df["name"].fillna(df["code"])  # a department the account may not see: its code
    df["kind"] = df["kind"].fillna("other")
    return indicators.derive(df)


WORKER_COUNTS = ("worker_reported", "worker_registered", "worker_self_settled", "closed", "on_time", "due")


def issue_by_worker(engine: sa.Engine, scope: Scope, period: Period, at: datetime, limit: int = 500) -> pd.DataFrame:
    """网格员上报: per grid worker who reported issues of the scope in the period, from raw rows (no summary
    is kept per worker): code, name, role, community and the catalogue's worker counts and indicators,
    most reports first."""
    w, p = scope.where("i")
    pw, pp = period.where("i.reported_at")
    sql = f"""
        SELECT k.code, k.name, k.role, m.name AS community, n.*
        FROM (SELECT i.reporter_code, {indicators.raw_counts("i", WORKER_COUNTS)} FROM issue i
              WHERE {w} AND {pw} AND i.reported_at <= :at AND i.reporter_code IS NOT NULL
              GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT :limit) n
        JOIN grid_worker k ON k.code = n.reporter_code LEFT JOIN community m ON m.code = k.community_code
        ORDER BY n.worker_reported DESC, k.code
    """
    df = run(engine, sql, {**p, **pp, "at": at, "limit": limit}).drop(columns=["reporter_code"])
    return indicators.derive(df)


def issue_trend(
    engine: sa.Engine,
    scope: Scope,
    period: Period,
    at: datetime,
    category_l1: str | None = None,
    raw: bool = False,
    grain: str | None = None,
) -> pd.DataFrame:
    """Issue counts and indicators by report day, week or month (``grain``; default: what the period's length
    calls for, data_access.periods.grain), optionally of one level-1 category: ``bucket`` is the first day."""
    grain = grain or periods.grain(period)
    return indicators.derive(issue_counts(engine, scope, period, at, grain, category_l1, raw))


def issue_funnel(engine: sa.Engine, scope: Scope, period: Period, at: datetime, raw: bool = False) -> pd.DataFrame:
    """Issues reaching each stage, with the mean hours from the previous stage (see :func:`funnel_of`)."""
    return funnel_of(issue_counts(engine, scope, period, at, raw=raw).iloc[0])


def funnel_of(counts) -> pd.DataFrame:
    """The funnel from a row of the catalogue's counts (issue_kpis): stage, count, mean_hours,
    share_of_reported and conversion (percent of the previous stage)."""
    names = ["reported"] + [s for s, _, _ in FUNNEL_STEPS]
    hours = [None] + [indicators.value(counts, f"mean_{s}_hours") for s in names[1:]]
    df = pd.DataFrame({"stage": names, "count": [int(counts[s]) for s in names], "mean_hours": hours})
    df["share_of_reported"] = indicators.percent(df["count"], [df["count"].iloc[0]] * len(df))
    df["conversion"] = indicators.percent(df["count"], df["count"].shift(1))
    return df


AGE_BUCKETS = (("0-1d", 1), ("1-3d", 3), ("3-7d", 7), ("7-30d", 30), ("30d+", None))  # (bucket, up to days)


def backlog_by_age(engine: sa.Engine, scope: Scope, at: datetime) -> pd.DataFrame:
    """The scope's open issues at ``at``, whatever their report date, by age bucket (AGE_BUCKETS): in time, overdue
    (indicators.OVERDUE: the stock 超期未结 counts) and suspended (挂账, the stock)."""
    w, p = scope.where()
    state = indicators.open_states()
    states = {"in": state["in_time"], "od": state["overdue_open"], "sp": state["suspended_open"]}
    counts, lower = [], None
    for i, (_, days) in enumerate(AGE_BUCKETS):
        # One pass of count FILTERs over the open issues' index, no grouping: a GROUP BY on the age
        # bucket sorted the city's 430,000 open issues (the planner guesses few rows past row-level security).
        age = " AND ".join(
            [f"reported_at > :at - interval '{days} days'"] * (days is not None)
            + [f"reported_at <= :at - interval '{lower} days'"] * (lower is not None)
        )
        counts += [f"count(*) FILTER (WHERE {age} AND {cond}) AS {s}_{i}" for s, cond in states.items()]
        lower = days
    sql = f"SELECT {', '.join(counts)} FROM issue WHERE {w} AND closed_at IS NULL AND reported_at <= :at"
    row = run(engine, sql, {**p, "at": at}).iloc[0]
    n = range(len(AGE_BUCKETS))
    return pd.DataFrame(
        {
            "bucket": [b for b, _ in AGE_BUCKETS],
            "in_time": [int(row[f"in_{i}"]) for i in n],
            "overdue": [int(row[f"od_{i}"]) for i in n],
            "suspended": [int(row[f"sp_{i}"]) for i in n],
        }
    )


def overdue_issues(
    engine: sa.Engine,
    scope: Scope,
    at: datetime,
    limit: int = 200,
    after: tuple | None = None,
    department: str | None = None,
) -> pd.DataFrame:
    """The longest-overdue open issues (indicators.OVERDUE), a page of ``limit`` (a drill-to-detail list),
    of every department or of one.

    Keyset pagination: ``after`` is the (due_at, order_no) of the previous page's last row.
    """
    w, p = scope.where("i")
    page = "AND (i.due_at, i.code) > (:after_due, :after_code)" if after else ""
    dept = "AND i.department_code = :dept" if department else ""
    # The page of issues first (ix_issue_open_due_code, in order), then their names: joined first, the
    # planner, which cannot count on foreign keys from issue to street and community (0005), guessed
    # one row past the units' row-level security and sorted all open issues (megacity: 33 s, not 4 ms).
    sql = f"""
        SELECT i.code AS order_no, i.reported_at, i.due_at,
               round(extract(epoch FROM :at - i.due_at) / 3600)::int AS hours_overdue, c.name AS category,
               c.name_en AS category_en, i.source_channel, s.name AS street, m.name AS community,
               d.name AS department
        FROM (SELECT * FROM issue i WHERE {w} AND {indicators.condition(indicators.OVERDUE, "i")} {page} {dept}
              ORDER BY i.due_at, i.code LIMIT :limit) i
        LEFT JOIN issue_category c ON c.code = i.category_code
        LEFT JOIN street s ON s.code = i.street_code LEFT JOIN community m ON m.code = i.community_code
        LEFT JOIN department d ON d.code = i.department_code
        ORDER BY i.due_at, i.code
    """
    after_due, after_code = after or (None, None)
    params = {**p, "at": at, "limit": limit, "after_due": after_due, "after_code": after_code, "dept": department}
    return run(engine, sql, params)


@summarised(summary.issues_by_category)
def issues_by_category(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """Issue counts per level-3 category with its level-1 and level-2 names (Chinese, and English as *_en)."""
    w, p = scope.where("i")
    pw, pp = period.where("i.reported_at")
    sql = f"""
        SELECT c1.name AS l1, c2.name AS l2, c3.name AS l3, c1.name_en AS l1_en, c2.name_en AS l2_en,
               c3.name_en AS l3_en, c3.code, count(*) AS issues
        FROM issue i JOIN issue_category c3 ON c3.code = i.category_code
        JOIN issue_category c2 ON c2.code = c3.parent_code JOIN issue_category c1 ON c1.code = c2.parent_code
        WHERE {w} AND {pw} GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY issues DESC, c3.code
    """
    return run(engine, sql, {**p, **pp})


def rising_categories(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """高频问题: level-3 categories by growth from ``before`` to ``now`` (two :func:`issues_by_category` frames)."""
    names = ["code", "l1", "l3", "l1_en", "l3_en"]
    df = pd.concat(
        [now.set_index(names)["issues"].rename("issues"), before.set_index(names)["issues"].rename("previous")],
        axis=1,
    )
    df = df.fillna(0).reset_index()
    df["change"] = df["issues"] - df["previous"]
    df["growth"] = indicators.change_percent(df["issues"], df["previous"])
    return df.sort_values(["change", "issues"], ascending=False).reset_index(drop=True)


@summarised(summary.issue_mix)
def issue_mix(engine: sa.Engine, scope: Scope, period: Period, column: str) -> pd.DataFrame:
    """Issue counts by source channel or by escalation level."""
    if column not in ("source_channel", "escalation_level"):
        raise ValueError(f"cannot group issues by {column!r}")
    w, p = scope.where()
    pw, pp = period.where("reported_at")
    sql = f"""SELECT {column} AS key, count(*) AS issues FROM issue WHERE {w} AND {pw} AND {column} IS NOT NULL
              GROUP BY 1 ORDER BY 2 DESC, 1"""
    return run(engine, sql, {**p, **pp})


def watch_list(engine: sa.Engine, scope: Scope, at: datetime, limit: int = 8) -> pd.DataFrame:
    """A wall screen's 超期预警, what is new first: open issues that fell overdue in the 24 hours before ``at``
    (latest first), then those falling due in the next 24 hours (soonest first), then the longest overdue; at most
    ``limit`` rows. ``kind`` is new, due_soon or overdue; ``hours`` is past the deadline (negative: still to go).
    Suspended issues (挂账) are not in it: the catalogue's ``suspended_open`` counts them."""
    w, p = scope.where("i")
    overdue, free = (indicators.condition(c, "i") for c in (indicators.OVERDUE, indicators.NOT_SUSPENDED))
    parts = (
        ("new", f"{overdue} AND i.due_at > :day_before", "i.due_at DESC, i.code"),
        ("due_soon", f"i.closed_at IS NULL AND {free} AND i.due_at > :at AND i.due_at <= :day_after", "i.due_at"),
        ("overdue", f"{overdue} AND i.due_at <= :day_before", "i.due_at, i.code"),
    )
    selects = [
        f"""(SELECT {n} AS part, '{kind}' AS kind, i.code AS order_no, i.due_at, i.category_code, i.community_code
             FROM issue i WHERE {w} AND {cond} ORDER BY {order} LIMIT :limit)"""
        for n, (kind, cond, order) in enumerate(parts)
    ]
    sql = f"""
        SELECT w.kind, w.order_no, round(extract(epoch FROM :at - w.due_at) / 3600) AS hours,
               c.name AS category, c.name_en AS category_en, m.name AS community
        FROM ({" UNION ALL ".join(selects)}) w
        LEFT JOIN issue_category c ON c.code = w.category_code LEFT JOIN community m ON m.code = w.community_code
        ORDER BY w.part, CASE WHEN w.kind = 'new' THEN -extract(epoch FROM w.due_at) ELSE extract(epoch FROM w.due_at)
                 END, w.order_no
        LIMIT :limit
    """
    day = timedelta(hours=24)
    params = {**p, "at": at, "day_before": at - day, "day_after": at + day, "limit": limit}
    return run(engine, sql, params)


SEARCH_TERMS = 5  # words of a keyword search, all required


def _like(term: str) -> str:
    """``term`` as an ILIKE pattern matching it anywhere, its own % _ and \\ taken literally."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def issue_search(engine: sa.Engine, scope: Scope, period: Period, words: str, at: datetime, limit: int = 100):
    """Issues of the period whose request text (诉求内容) or address holds every word of ``words`` (split at
    spaces, at most SEARCH_TERMS), newest first: order number, report time, category, community, address,
    request text, whether open, and ``matches``, the number of issues found (beyond ``limit`` too)."""
    terms = [w for w in words.split() if w][:SEARCH_TERMS]
    if not terms:
        return pd.DataFrame()
    w, p = scope.where("i")
    pw, pp = period.where("i.reported_at")
    found = " AND ".join(
        f"(i.request_text ILIKE :t{k} ESCAPE '\\' OR i.address ILIKE :t{k} ESCAPE '\\')" for k in range(len(terms))
    )
    sql = f"""
        SELECT i.code AS order_no, i.reported_at, c.name AS category, c.name_en AS category_en,
               m.name AS community, i.address, i.request_text,
               CASE WHEN i.closed_at <= :at THEN 'closed' WHEN {indicators.condition(indicators.OVERDUE, "i")}
                    THEN 'overdue_open' ELSE 'open' END AS state, i.matches
        FROM (SELECT i.*, count(*) OVER () AS matches FROM issue i WHERE {w} AND {pw} AND {found}
              ORDER BY i.reported_at DESC, i.code LIMIT :limit) i
        JOIN issue_category c ON c.code = i.category_code LEFT JOIN community m ON m.code = i.community_code
        ORDER BY i.reported_at DESC, i.code
    """
    params = {**p, **pp, **{f"t{k}": _like(term) for k, term in enumerate(terms)}, "at": at, "limit": limit}
    return run(engine, sql, params)


def repeat_requests(engine: sa.Engine, scope: Scope, period: Period, limit: int = 100) -> pd.DataFrame:
    """重复诉求 of the period by place and category: the repeat requests (indicators.REPEAT) grouped by their
    compound (or, without one, their address) and level-3 category, the most repeated first, with the
    community, the last report, its order number and its address. ``total`` is the period's repeat requests
    in all groups, the catalogue's ``repeated`` count."""
    w, p = scope.where("i")
    pw, pp = period.where("i.reported_at")
    repeat = indicators.condition(indicators.REPEAT, "i")
    # Grouped from the index of repeats alone (ix_issue_repeats, an index-only scan: a city's year at megacity
    # scale is half a million), then the last order and address of the groups listed only.
    sql = f"""
        WITH g AS (
            SELECT i.compound_code, CASE WHEN i.compound_code IS NULL THEN i.address_key END AS address_key,
                   i.community_code, i.category_code, count(*) AS repeats, max(i.reported_at) AS last_reported
            FROM issue i WHERE {w} AND {pw} AND {repeat} GROUP BY 1, 2, 3, 4
        ), top AS (
            SELECT g.*, sum(g.repeats) OVER () AS total FROM g
            ORDER BY repeats DESC, last_reported DESC, community_code, category_code, compound_code, address_key
            LIMIT :limit
        )
        SELECT coalesce(k.name, l.address) AS place, m.name AS community, c.name AS category,
               c.name_en AS category_en, t.repeats, t.last_reported, l.code AS last_order_no, t.total
        FROM top t
        CROSS JOIN LATERAL (
            SELECT i.code, i.address FROM issue i
            WHERE i.district_code = left(t.community_code, 6) AND i.reported_at = t.last_reported AND {repeat}
              AND i.community_code = t.community_code AND i.category_code = t.category_code
              AND (i.compound_code = t.compound_code
                   OR (t.compound_code IS NULL AND i.compound_code IS NULL AND i.address_key = t.address_key))
            ORDER BY i.code DESC LIMIT 1) l
        JOIN issue_category c ON c.code = t.category_code LEFT JOIN compound k ON k.code = t.compound_code
        LEFT JOIN community m ON m.code = t.community_code
        ORDER BY t.repeats DESC, t.last_reported DESC, last_order_no
    """
    return run(engine, sql, {**p, **pp, "limit": limit})


def issue_kpis(
    engine: sa.Engine, scope: Scope, period: Period, at: datetime | None = None, raw: bool = False
) -> pd.DataFrame:
    """Every issue count and indicator of the catalogue for the issues reported in ``period``, at time
    ``at`` (default: the clock's as-of, now to the minute), one row; from the summaries where they cover the scope."""
    at = at or clock.as_of()
    return indicators.derive(issue_counts(engine, scope, period, at, raw=raw))


def stage_medians(engine: sa.Engine, scope: Scope, period: Period, at: datetime) -> pd.DataFrame:
    """Median hours of each stage (the catalogue's mean_*_hours indicators' medians), from raw rows.

    Medians do not add up, so no summary holds them: one raw scan of the period's issues.
    """
    w, p = scope.where()
    pw, pp = period.where("reported_at")
    cols = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM {b} - {a}) / 3600) "
        f"FILTER (WHERE {b} <= :at) AS {ind.key}"
        for ind in indicators.INDICATORS
        if ind.median
        for b, a in [ind.median]
    )
    return run(engine, f"SELECT {cols} FROM issue WHERE {w} AND {pw} AND reported_at <= :at", {**p, **pp, "at": at})


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
