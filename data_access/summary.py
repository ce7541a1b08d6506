"""Summary tables: issue and volunteering figures pre-aggregated by day and month (DESIGN.md: dashboards
answer from summary tables kept fresh, not from scans of raw rows).

Four tables (schema.issue_summary, issue_category_summary, activity_summary, team_summary) hold one
row per (span, bucket, place[, category and department, activity type or team]): span 'd' rows count one day, span
'm' rows one calendar month; the place is the community for issue_summary, the street for the others
(nothing ranks those below a street). schema.volunteer_days keeps each volunteer's active days for
distinct counts. A period reads its whole months from 'm' rows and its edge days from 'd' rows, so
twelve months at city scope read about 12 × communities rows instead of every issue. The issue, activity and team
summaries keep 'd' rows for the last year only (RECENT_DAYS); older edge days are counted from the raw rows.
The two issue summaries have district rollups (issue_district_summary, issue_category_district_summary),
built from them: a city-scope read sums those.

Freshness: a load marks the (community, month) pairs it touches (before and after the upsert, so an
issue that moved is taken out of its old place) and :func:`refresh_touched` recomputes just those in the
same transaction; :func:`refresh` rebuilds everything (``python -m data_access refresh``) or the given
districts (the demo builder). Figures that depend on the clock rather than on the data (open issues
that have fallen overdue) are read live from the raw table through its partial index on open issues.

Summaries cover city, district and street scopes (data_access.reads.from_summaries); a community or grid is a
small slice of the raw tables and is read there, with the same definitions.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from data_access import clock, indicators, schema, words
from data_access.periods import buckets, shift_month_start
from data_access.reads import run
from data_access.schema import ESCALATION_LEVELS, SOURCE_CHANNELS
from data_access.scope import CODE_LENGTH, Period, Scope

RAW_TABLES = ("issue", "volunteer_activity")  # the raw tables the summaries are computed from
# Summaries count what happened by the time they are built: the catalogue's counts at the end of time.
EVER = clock.EVER
_ISSUE_MEASURES = ", ".join(
    [
        indicators.raw_counts("r", indicators.STORED),
        *[f"count(*) FILTER (WHERE r.source_channel = '{c}')" for c in SOURCE_CHANNELS],
        *[f"count(*) FILTER (WHERE r.escalation_level = '{e}')" for e in ESCALATION_LEVELS],
    ]
)
_ISSUE_COLUMNS = [
    *indicators.STORED,
    *[f"src_{c}" for c in SOURCE_CHANNELS],
    *[f"esc_{e}" for e in ESCALATION_LEVELS],
]


# ---------------------------------------------------------------------------------------------- refresh


# table: (raw table, date expression, place columns, extra key columns, measures SQL, measure columns)
_SPECS = {
    "issue_summary": (
        "issue",
        "reported_at",
        ("district_code", "street_code", "community_code"),
        (),
        _ISSUE_MEASURES,
        _ISSUE_COLUMNS,
    ),
    "issue_category_summary": (
        "issue",
        "reported_at",
        ("district_code", "street_code"),
        ("category_code", "department_code"),
        indicators.raw_counts("r", indicators.STORED),
        list(indicators.STORED),
    ),
    "activity_summary": (
        "volunteer_activity",
        "activity_date",
        ("district_code", "street_code"),
        ("activity_type",),
        "count(*), coalesce(sum(points), 0), coalesce(sum(hours), 0)",
        ["activities", "points", "hours"],
    ),
    "team_summary": (
        "volunteer_activity",
        "activity_date",
        ("district_code", "street_code"),
        ("team_id",),
        "count(*), coalesce(sum(hours), 0)",
        ["activities", "hours"],
    ),
}
_RAW_KEY = {
    "team_id": "coalesce(r.team_id, 0)",
    "department_code": "coalesce(r.department_code, '')",
}  # key columns computed from the raw row
# District rollups of the issue summaries (schema, 0007): what a city-scope read sums.
# rollup: (the summary it sums, its key columns besides span, bucket and district, measure columns)
_ROLLUPS = {
    "issue_district_summary": ("issue_summary", (), _ISSUE_COLUMNS),
    "issue_category_district_summary": (
        "issue_category_summary",
        ("category_code", "department_code"),
        list(indicators.STORED),
    ),
}
WORDS = ("word_district_summary",)  # data_access.words
TABLES = (*_SPECS, *_ROLLUPS, "volunteer_days", *WORDS)
# These summaries keep day rows for the recent months only (from the first day of the latest data month a year
# before: summary_days_from in store_meta, :func:`first_day_rows`): a period's edge days before it are counted from
# the raw rows when read (:func:`_summed`), two part-months at most. Day rows are about one per issue, as large as the
# issues themselves: kept for all six years of the demo they were 300 MB of it.
RECENT_DAYS = ("issue_summary", "issue_category_summary", "activity_summary", "team_summary")


def _days_from(conn: sa.Connection) -> date:
    """The first day with day rows, set on the first build from the latest data (a full refresh sets it anew)."""
    kept = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'summary_days_from'")).scalar()
    if kept:
        return date.fromisoformat(kept)
    latest = conn.execute(
        sa.text(
            "SELECT greatest((SELECT max(reported_at) FROM issue), (SELECT max(activity_date) FROM volunteer_activity))"
        )
    ).scalar()
    month = (latest or clock.now()).date().replace(day=1)
    first = month.replace(year=month.year - 1)  # a year of day rows: "the last 12 months" reads no raw rows
    conn.execute(
        sa.text("INSERT INTO store_meta (key, value) VALUES ('summary_days_from', :v)"), {"v": first.isoformat()}
    )
    return first


def _edge_days(table: str) -> str:
    """SQL: ``table``'s rows (span 'd') of the period's edge days before the first day with day rows, from the raw
    rows (:func:`_summed`'s parameters: [r_d0, r_e0) and [r_d1, r_e1), already cut at that day)."""
    summed, keys, _ = _ROLLUPS.get(table, (table, None, None))
    raw, when, places, extra, measures, _ = _SPECS[summed]
    keys = ["district_code", *keys] if keys is not None else [*places, *extra]
    r_keys = ", ".join(_RAW_KEY.get(k, f"r.{k}") for k in keys)
    if table in _ROLLUPS:  # a rollup sums the measure columns its summary has
        measures = _ISSUE_MEASURES if summed == "issue_summary" else indicators.raw_counts("r", indicators.STORED)
    # Bounds cast to the column's own type: row-level security lets an index take a leakproof operator only, and
    # timestamp >= date is not one (a city's summary read scanned all 365,000 issues of the demo).
    kind = "timestamp" if raw == "issue" else "date"
    lo0, hi0, lo1, hi1 = (f"CAST(:{k} AS {kind})" for k in ("r_d0", "r_e0", "r_d1", "r_e1"))
    return (
        f"SELECT 'd', r.{when}::date, {r_keys}, {measures.replace(':at', ':s_ever')} FROM {raw} r "
        f"WHERE (r.{when} >= {lo0} AND r.{when} < {hi0}) OR (r.{when} >= {lo1} AND r.{when} < {hi1}) "
        f"GROUP BY r.{when}::date, {r_keys}"
    )


def _source(table: str) -> str:
    """``table``'s rows with the raw rows of the period's edge days before its day rows (:func:`_edge_days`) beside
    them, under the table's name."""
    summed = _ROLLUPS.get(table, (table,))[0]
    _, _, places, extra, _, cols = _SPECS[summed]
    if table in _ROLLUPS:
        _, extra, cols = _ROLLUPS[table]
        places = ("district_code",)
    columns = ", ".join(["span", "bucket", *places, *extra, *cols])
    return f"(SELECT {columns} FROM {table} UNION ALL {_edge_days(table)}) AS {table}"


def first_day_rows(engine: sa.Engine) -> date:
    """The first day the RECENT_DAYS summaries keep day rows for (store_meta; a page's read takes it from the
    statement cache)."""
    kept = run(engine, "SELECT value FROM store_meta WHERE key = 'summary_days_from'")
    return date.fromisoformat(kept["value"].iloc[0]) if len(kept) else date.min


def _summed(
    engine: sa.Engine, table: str, period: Period, scope: Scope | None = None, *sql: str | None, days_only=False
) -> tuple[str, str, dict]:
    """What a read of ``period`` sums for ``table``: (its source, the condition selecting its rows, their
    parameters). The source is the table, or at city scope its district rollup unless the read's grouping or
    filters (``sql``) need a street or community; with, for a RECENT_DAYS summary, the raw rows of the period's edge
    days that come before its day rows, only when the period has such days (two part-months at most)."""
    rollup = next((r for r, (summed, _, _) in _ROLLUPS.items() if summed == table), None)
    finer = any(s and ("street_code" in s or "community_code" in s) for s in sql)
    name = rollup if rollup and scope is not None and scope.level == "city" and not finer else table
    sw, sp = spans(period, days_only=days_only)
    if table not in RECENT_DAYS:
        return name, sw, sp
    first = first_day_rows(engine)
    edges = {"r_d0": sp["s_d0"], "r_e0": min(sp["s_m0"], first), "r_d1": sp["s_m1"], "r_e1": min(sp["s_d1"], first)}
    raw = edges["r_d0"] < edges["r_e0"] or edges["r_d1"] < edges["r_e1"]
    return (_source(name) if raw else name), sw, {**sp, **edges}


def _touched_pairs(alias: str, place: str, column: str) -> tuple[str, str]:
    """The touched (place, month) pairs as a subquery ``t``, and the condition matching ``alias``'s rows to it."""
    width = CODE_LENGTH[place.removesuffix("_code")]
    pairs = f"(SELECT DISTINCT left(community_code, {width}) AS place, month FROM _touched) t"
    cond = (
        f"{alias}.{place} = t.place AND {alias}.{column} >= t.month AND {alias}.{column} < t.month + interval '1 month'"
    )
    return pairs, cond


def _join_touched(alias: str, place: str, column: str) -> str:
    pairs, cond = _touched_pairs(alias, place, column)
    return f"JOIN {pairs} ON {cond}"


def _rebuild(conn: sa.Connection, table: str, touched: bool) -> None:
    """Insert ``table``'s day rows from the raw table and its month rows from the day rows.

    With ``touched`` only the (place, month) pairs in the temp table ``_touched`` are computed;
    otherwise every row (the caller has emptied what is rebuilt).
    """
    raw, when, places, extra, measures, cols = _SPECS[table]
    place = places[-1]  # the finest place column: community or street
    keys = ", ".join([*places, *extra])
    r_keys = ", ".join(_RAW_KEY.get(k, f"r.{k}") for k in [*places, *extra])
    s_keys = ", ".join(f"s.{k}" for k in [*places, *extra])
    col_list = ", ".join(cols)
    if table in RECENT_DAYS:  # day rows of the recent months, month rows of all, both from the raw rows
        join = _join_touched("r", place, when) if touched else ""
        for span, bucket, cond in (
            ("d", f"r.{when}::date", f"r.{when} >= :h"),
            ("m", f"date_trunc('month', r.{when})::date", "TRUE"),
        ):
            conn.execute(
                sa.text(
                    f"INSERT INTO {table} (span, bucket, {keys}, {col_list}) SELECT '{span}', {bucket}, {r_keys}, "
                    f"{measures} FROM {raw} r {join} WHERE {cond} GROUP BY {bucket}, {r_keys}"
                ),
                {"at": EVER, "h": _days_from(conn)},
            )
        return
    conn.execute(
        sa.text(
            f"INSERT INTO {table} (span, bucket, {keys}, {col_list}) "
            f"SELECT 'd', r.{when}::date, {r_keys}, {measures} "
            f"FROM {raw} r {_join_touched('r', place, when) if touched else ''} GROUP BY r.{when}::date, {r_keys}"
        ),
        {"at": EVER},
    )
    conn.execute(
        sa.text(
            f"INSERT INTO {table} (span, bucket, {keys}, {col_list}) "
            f"SELECT 'm', date_trunc('month', s.bucket)::date, {s_keys}, {', '.join(f'sum(s.{c})' for c in cols)} "
            f"FROM {table} s {_join_touched('s', place, 'bucket') if touched else ''} "
            f"WHERE s.span = 'd' GROUP BY date_trunc('month', s.bucket), {s_keys}"
        )
    )


def _roll_up(conn: sa.Connection, rollup: str, touched: bool) -> None:
    """Insert ``rollup``'s rows (all, or those of the touched districts and months) from its summary."""
    table, keys, cols = _ROLLUPS[rollup]
    group = ", ".join(f"s.{k}" for k in ("span", "bucket", "district_code", *keys))
    conn.execute(
        sa.text(
            f"INSERT INTO {rollup} ({group.replace('s.', '')}, {', '.join(cols)}) "
            f"SELECT {group}, {', '.join(f'sum(s.{c})' for c in cols)} "
            f"FROM {table} s {_join_touched('s', 'district_code', 'bucket') if touched else ''} GROUP BY {group}"
        )
    )


def _rebuild_days(conn: sa.Connection, touched: bool) -> None:
    """Insert volunteer_days rows (all, or those of the touched communities) from the raw activities.

    One row per volunteer, community and team: the days from the first activity on, as a bit string.
    """
    only = "WHERE a.community_code IN (SELECT community_code FROM _touched)" if touched else ""
    conn.execute(
        sa.text(
            f"""
            INSERT INTO volunteer_days
                   (volunteer_id, team_id, district_code, street_code, community_code, first_day, days)
            SELECT volunteer_id, team_id, district_code, street_code, community_code, first_day,
                   bit_or(set_bit(repeat('0', n)::varbit, activity_date - first_day, 1))
            FROM (SELECT a.volunteer_id, coalesce(a.team_id, 0) AS team_id, a.district_code, a.street_code,
                         a.community_code, a.activity_date, min(a.activity_date) OVER w AS first_day,
                         max(a.activity_date) OVER w - min(a.activity_date) OVER w + 1 AS n
                  FROM volunteer_activity a {only}
                  WINDOW w AS (PARTITION BY a.community_code, a.volunteer_id, coalesce(a.team_id, 0))) x
            GROUP BY volunteer_id, team_id, district_code, street_code, community_code, first_day
            """
        )
    )


def mark_repeats(conn: sa.Connection, touched: bool, numbered: bool = False) -> int:
    """Set ``issue.repeat_of`` (indicators.REPEAT_OF) of every issue, or of those in the (community, month) pairs of
    ``_touched`` (a load notes the next month too: an issue can make a later one a repeat); with ``numbered``, not of
    the issues :func:`number_new_issues` has just found (``_new``). Returns the rows changed."""
    pairs, cond = _touched_pairs("c", "community_code", "reported_at")
    only = f"JOIN {pairs} ON {cond}" if touched else ""
    if numbered:
        only += " WHERE NOT EXISTS (SELECT FROM _new n WHERE n.id = c.id)"
    return conn.execute(
        sa.text(
            f"UPDATE issue i SET repeat_of = x.prev FROM (SELECT c.id, {indicators.REPEAT_OF.format(a='c.')} AS prev "
            f"FROM issue c {only}) x WHERE i.id = x.id AND i.repeat_of IS DISTINCT FROM x.prev"
        )
    ).rowcount


def number_new_issues(conn: sa.Connection, staged: list[str]) -> None:
    """Give the staged issues that are new (no stored one of their code) their ids and the issue each repeats, in
    ``_new (_row, id, repeat_of)``, before they are inserted: a load then writes each row once, where setting
    ``repeat_of`` after the insert wrote half a million of a million new rows twice (every index again).

    The same definition as :func:`mark_repeats` (indicators.REPEAT_OF), set-based over the stored issues and the new
    ones together: grouped by key, category and report time, a group's previous group (``lag``) is the latest
    strictly earlier report and its highest id the one repeated, if within the days. ``mark_repeats`` still runs
    after the insert, for the stored issues only (those a new one now precedes).
    """
    have = set(staged)

    def col(c: str) -> str:
        return f's."{c}"' if c in have else "NULL"

    address_key = schema.ADDRESS_KEY.replace("address", col("address")) if "address" in have else "NULL"
    # The sequence is looked up once: pg_get_serial_sequence per row was 3.6 of the 3.9 s nextval took for a million.
    seq = conn.execute(sa.text("SELECT pg_get_serial_sequence('issue', 'id')::regclass::oid")).scalar()
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE _new ON COMMIT DROP AS SELECT s._row, nextval(CAST(:seq AS regclass)) "
            f"AS id, s.reported_at, s.category_code, s.community_code, {col('compound_code')}::text AS compound_code, "
            f"{address_key} AS address_key, NULL::bigint AS repeat_of FROM _stage s "
            "WHERE NOT EXISTS (SELECT FROM issue t WHERE t.code = s.code)"
        ),
        {"seq": seq},
    )
    conn.execute(sa.text("ANALYZE _new"))
    days = f"interval '{indicators.REPEAT_DAYS} days'"
    branches = []
    for keys in (("compound_code",), ("address_key", "community_code")):
        k = ", ".join((*keys, "category_code"))
        branches.append(
            f"SELECT n.id, l.p_at, l.p_id FROM _new n JOIN (SELECT {k}, reported_at, lag(reported_at) OVER w AS p_at, "
            f"lag(id) OVER w AS p_id FROM (SELECT {k}, reported_at, max(id) AS id FROM ("
            f"SELECT {k}, reported_at, id FROM issue p WHERE p.{keys[0]} IS NOT NULL "
            f"AND p.reported_at >= (SELECT min(reported_at) FROM _new) - {days} "
            f"AND p.reported_at <= (SELECT max(reported_at) FROM _new) AND ({k}) IN (SELECT {k} FROM _new) "
            f"UNION ALL SELECT {k}, reported_at, id FROM _new WHERE {keys[0]} IS NOT NULL) u "
            f"GROUP BY {k}, reported_at) g WINDOW w AS (PARTITION BY {k} ORDER BY reported_at)) l "
            f"USING ({k}, reported_at) WHERE l.p_at >= n.reported_at - {days}"
        )
    conn.execute(
        sa.text(
            f"UPDATE _new n SET repeat_of = m.p_id FROM (SELECT DISTINCT ON (id) id, p_id FROM "
            f"({' UNION ALL '.join(branches)}) b ORDER BY id, p_at DESC, p_id DESC) m WHERE m.id = n.id"
        )
    )


def refresh(conn: sa.Connection, districts: list[str] | None = None) -> dict[str, int]:
    """Rebuild the summary tables from the raw tables: all of them, or only ``districts``' rows.

    Runs in the caller's transaction. Returns the row count of each summary table afterwards.
    """
    if districts is None:
        for table in TABLES:
            conn.execute(sa.text(f"TRUNCATE {table}"))
        conn.execute(sa.text("DELETE FROM store_meta WHERE key = 'summary_days_from'"))  # set anew from the data
        mark_repeats(conn, touched=False)
        words.refresh(conn)
        for table in _SPECS:
            _rebuild(conn, table, touched=False)
        for rollup in _ROLLUPS:
            _roll_up(conn, rollup, touched=False)
        _rebuild_days(conn, touched=False)
        _mark_fresh(conn)
    else:
        for table in TABLES:
            conn.execute(sa.text(f"DELETE FROM {table} WHERE district_code = ANY(:d)"), {"d": list(districts)})
        for raw in RAW_TABLES:
            _note(conn, f"FROM {raw} r WHERE r.district_code = ANY(:d)", raw, {"d": list(districts)})
        refresh_touched(conn)
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def _note(conn: sa.Connection, rows: str, raw: str, params: dict | None = None) -> None:
    """Add to ``_touched`` the (community, month) pairs of the rows that ``rows`` (FROM …, alias r) selects."""
    when = {"issue": "reported_at", "volunteer_activity": "activity_date"}[raw]
    conn.execute(sa.text("CREATE TEMP TABLE IF NOT EXISTS _touched (community_code text, month date)"))
    # An issue can make a later one of its compound or address (same community) a repeat request
    # (indicators.REPEAT, 30 days): its community's next month is touched too when it lies within reach.
    later = f", (x.w + interval '{indicators.REPEAT_DAYS} days')" if raw == "issue" else ""
    conn.execute(
        sa.text(
            "INSERT INTO _touched SELECT DISTINCT x.community_code, date_trunc('month', m.t)::date "
            f"FROM (SELECT r.community_code, r.{when} AS w {rows}) x CROSS JOIN LATERAL (VALUES (x.w){later}) m(t)"
        ),
        params or {},
    )


def touch(conn: sa.Connection, raw: str, source: str, join_on: str | None = None) -> None:
    """Note the (community, month) pairs of rows about to change, from ``source`` (a table or staging table).

    With ``join_on`` (a key column) the pairs are those of the rows of ``raw`` that ``source`` matches:
    call it before an upsert for the rows' old places and again without it for their new ones.
    """
    _note(
        conn, f'FROM {raw} r JOIN {source} s ON s."{join_on}" = r."{join_on}"' if join_on else f"FROM {source} r", raw
    )


def refresh_touched(conn: sa.Connection, raws: tuple[str, ...] = RAW_TABLES, numbered: bool = False) -> int:
    """Recompute the summary rows of the pairs :func:`touch` noted, in the caller's transaction, for the
    summaries of the raw tables ``raws`` (those a load changed); ``numbered``: the load's new issues already carry
    their repeats (:func:`number_new_issues`).

    Returns how many (community, month) pairs were recomputed.
    """
    if not conn.execute(sa.text("SELECT to_regclass('pg_temp._touched') IS NOT NULL")).scalar():
        return 0
    n = conn.execute(sa.text("SELECT count(DISTINCT (community_code, month)) FROM _touched")).scalar()
    if "issue" in raws:
        mark_repeats(conn, touched=True, numbered=numbered)
        pairs, cond = _touched_pairs("i", "community_code", "reported_at")
        words.refresh(conn, f"JOIN {pairs} ON {cond}")
    for table, spec in _SPECS.items():
        if spec[0] in raws:
            pairs, cond = _touched_pairs("s", spec[2][-1], "bucket")
            conn.execute(sa.text(f"DELETE FROM {table} s USING {pairs} WHERE {cond}"))
            _rebuild(conn, table, touched=True)
    if "issue" in raws:
        for rollup in _ROLLUPS:
            pairs, cond = _touched_pairs("s", "district_code", "bucket")
            conn.execute(sa.text(f"DELETE FROM {rollup} s USING {pairs} WHERE {cond}"))
            _roll_up(conn, rollup, touched=True)
    if "volunteer_activity" in raws:
        conn.execute(
            sa.text("DELETE FROM volunteer_days WHERE community_code IN (SELECT community_code FROM _touched)")
        )
        _rebuild_days(conn, touched=True)
    conn.execute(sa.text("DROP TABLE _touched"))
    _mark_fresh(conn)
    return n


def _mark_fresh(conn: sa.Connection) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO store_meta (key, value) VALUES ('summaries_at', :v) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
        ),
        {"v": clock.now().isoformat(timespec="seconds")},
    )


def is_built(conn: sa.Connection) -> bool:
    return conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM store_meta WHERE key = 'summaries_at')")).scalar()


# ---------------------------------------------------------------------------------------------- reading


def spans(period: Period, alias: str = "", days_only: bool = False) -> tuple[str, dict]:
    """SQL condition selecting the summary rows that add up to ``period``: whole months, then edge days (every
    day, ``days_only``: to count by day or week)."""
    a = f"{alias}." if alias else ""
    first = period.start if period.start.day == 1 else shift_month_start(period.start, 1)
    last = period.end.replace(day=1)
    if first >= last or days_only:  # no whole month inside: days only
        first = last = period.start
    sql = (
        f"(({a}span = 'm' AND {a}bucket >= :s_m0 AND {a}bucket < :s_m1) OR ({a}span = 'd' AND "
        f"(({a}bucket >= :s_d0 AND {a}bucket < :s_m0) OR ({a}bucket >= :s_m1 AND {a}bucket < :s_d1))))"
    )
    return sql, {"s_m0": first, "s_m1": last, "s_d0": period.start, "s_d1": period.end, "s_ever": EVER}


def live_counts(
    engine: sa.Engine,
    scope: Scope,
    period: Period,
    at: datetime,
    key: str | None = None,
    where: str = "TRUE",
    params: dict | None = None,
    in_period: bool = False,
) -> pd.DataFrame:
    """The counts the clock moves, read from the open issues at ``at`` (indicators.LIVE): the stocks 超期未结, 挂账
    and 挂账应办结 of the scope (indicators.STOCKS: whatever the report date, so that every page, period and the
    screen say the same of one place at one moment), and ``open_past_due``, the period's open issues past their
    limit (with ``closed``, the period's ``due``). ``in_period``: the stocks too of the period's issues only (a
    trend by report time). One row, or one per ``key`` (an SQL expression over issue columns) as ``code``."""
    w, p = scope.where()
    pw, pp = period.where("reported_at")
    group = f"{key} AS code, " if key else ""
    state = indicators.open_states()
    counts = ", ".join(
        [f"count(*) FILTER (WHERE {pw} AND {state['past_due']}) AS open_past_due"]
        + [f"count(*) FILTER (WHERE {state[c]}) AS {c}" for c in indicators.STOCKS]
    )
    # closed_at in the WHERE, not in a FILTER: the partial index on open issues answers alone (it holds
    # due_at and suspended_at; a FILTER on closed_at forced heap reads: megacity city scope 2.4 s, not 0.1 s).
    sql = (
        f"SELECT {group}{counts} FROM issue WHERE {w} AND {where} AND closed_at IS NULL AND reported_at <= :at "
        f"AND NOT ({state['in_time']}){f' AND {pw}' if in_period else ''}"
        f"{f' AND {key} IS NOT NULL GROUP BY 1' if key else ''}"
    )
    df = run(engine, sql, {**p, **pp, **(params or {}), "at": at})
    return df if key else df.reindex(range(1)).fillna(0)


def _sum(cols) -> str:
    return ", ".join(f"coalesce(sum({c}), 0)::{'float' if c.startswith('h_') else 'bigint'} AS {c}" for c in cols)


def issue_counts(
    engine: sa.Engine,
    scope: Scope,
    period: Period,
    at: datetime,
    key: str | None = None,
    table: str = "issue_summary",
    live_where: str = "TRUE",
    where: str = "TRUE",
    params: dict | None = None,
    live_key: str | None = None,
    in_period: bool = False,
    days_only: bool = False,
) -> pd.DataFrame:
    """The catalogue's issue counts of the period (``due`` and the live counts included): one row, or one
    row per ``key`` (an SQL expression over the summary's columns) as ``code``. The live counts are
    read from raw issues grouped by ``live_key`` (default: ``key``, when the columns are the same), of the
    period's issues only with ``in_period`` (see :func:`live_counts`). ``where`` filters the summary rows and
    ``live_where`` the raw rows the same way; ``days_only`` sums day rows only (a trend by day or week)."""
    w, p = scope.where()
    source, sw, sp = _summed(engine, table, period, scope, key, where, days_only=days_only)
    group = f"{key} AS code, " if key else ""
    sql = f"SELECT {group}{_sum(indicators.STORED)} FROM {source} WHERE {w} AND {sw} AND {where}"
    df = run(engine, sql + (" GROUP BY 1" if key else ""), {**p, **sp, **(params or {})})
    live = live_counts(engine, scope, period, at, live_key or key, live_where, params, in_period)
    return indicators.with_live(df, live, bool(key))


def issue_mix(engine: sa.Engine, scope: Scope, period: Period, column: str) -> pd.DataFrame:
    """Issue counts by source channel or escalation level."""
    values = {"source_channel": ("src_", SOURCE_CHANNELS), "escalation_level": ("esc_", ESCALATION_LEVELS)}
    if column not in values:
        raise ValueError(f"cannot group issues by {column!r}")
    prefix, keys = values[column]
    w, p = scope.where()
    source, sw, sp = _summed(engine, "issue_summary", period, scope)
    sums = _sum(prefix + k for k in keys)
    row = run(engine, f"SELECT {sums} FROM {source} WHERE {w} AND {sw}", {**p, **sp})
    df = pd.DataFrame({"key": list(keys), "issues": [int(row[prefix + k].iloc[0]) for k in keys]})
    df = df[df["issues"] > 0].sort_values(["issues", "key"], ascending=[False, True])
    return df.reset_index(drop=True)


def issues_by_category(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """Issue counts per level-3 category with the names of its three levels."""
    w, p = scope.where()
    source, sw, sp = _summed(engine, "issue_category_summary", period, scope)
    sql = f"""
        SELECT c1.name AS l1, c2.name AS l2, c3.name AS l3, c1.name_en AS l1_en, c2.name_en AS l2_en,
               c3.name_en AS l3_en, c3.code, s.issues
        FROM (SELECT category_code, sum(reported)::bigint AS issues FROM {source}
              WHERE {w} AND {sw} GROUP BY 1) s
        JOIN issue_category c3 ON c3.code = s.category_code
        JOIN issue_category c2 ON c2.code = c3.parent_code JOIN issue_category c1 ON c1.code = c2.parent_code
        ORDER BY s.issues DESC, c3.code
    """
    return run(engine, sql, {**p, **sp})


def activity_types(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """Volunteer activities and hours by activity type (``key``)."""
    w, p = scope.where()
    source, sw, sp = _summed(engine, "activity_summary", period)
    sql = f"""SELECT activity_type AS key, sum(activities)::bigint AS activities, sum(hours)::float AS hours
              FROM {source} WHERE {w} AND {sw} GROUP BY 1 ORDER BY 2 DESC, 1"""
    return run(engine, sql, {**p, **sp})


def activity_by_day(engine: sa.Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """Volunteer activities and hours per day of the period: day rows, and the raw activities of the days before
    the first day with day rows (only when the period has such days)."""
    w, p = scope.where()
    pw, pp = period.where("bucket")
    first = first_day_rows(engine)
    days = "SELECT bucket, district_code, street_code, activities, hours FROM activity_summary WHERE span = 'd'"
    if period.start < first:  # the days before the day rows, from the raw activities
        days += """ UNION ALL SELECT r.activity_date, r.district_code, r.street_code, count(*),
                           coalesce(sum(r.hours), 0)
                    FROM volunteer_activity r WHERE r.activity_date >= :p_start AND r.activity_date < :before
                    GROUP BY 1, 2, 3"""
    sql = f"""SELECT bucket AS day, sum(activities)::bigint AS activities, sum(hours)::float AS hours
              FROM ({days}) d WHERE {w} AND {pw} GROUP BY 1 ORDER BY 1"""
    return run(engine, sql, {**p, **pp, "before": min(first, period.end)})


def _active(alias: str = "", start: str = ":a_start", end: str = ":a_end") -> str:
    """SQL: the volunteer_days row has an activity in [start, end) (SQL date expressions)."""
    a = f"{alias}." if alias else ""
    lo, hi = f"greatest({start}, {a}first_day)", f"least({end}, {a}first_day + length({a}days))"
    return (
        f"({a}first_day < {end} AND {a}first_day + length({a}days) > {start} "
        f"AND bit_count(substring({a}days FROM {lo} - {a}first_day + 1 FOR {hi} - {lo})) > 0)"
    )


def active_volunteers(engine: sa.Engine, scope: Scope, period: Period) -> int:
    """Volunteers with at least one activity in the scope during the period."""
    w, p = scope.where()
    sql = f"SELECT count(DISTINCT volunteer_id) FROM volunteer_days WHERE {w} AND {_active()}"
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), {**p, "a_start": period.start, "a_end": period.end}).scalar()


def activity_totals(engine: sa.Engine, scope: Scope, period: Period) -> pd.Series:
    """Activities, hours and points earned in the period."""
    w, p = scope.where()
    source, sw, sp = _summed(engine, "activity_summary", period)
    sql = f"""SELECT coalesce(sum(activities), 0)::bigint AS activities, coalesce(sum(hours), 0) AS hours,
                     coalesce(sum(points), 0)::bigint AS points_earned FROM {source}
                     WHERE {w} AND {sw}"""
    return run(engine, sql, {**p, **sp}).iloc[0]


def activity_trend(engine: sa.Engine, scope: Scope, period: Period, grain: str) -> pd.DataFrame:
    """Per day, week or month (``grain``) of the period, from ``bucket``, its first day: active volunteers (in the
    period's part of the bucket), activities, hours and points earned."""
    w, p = scope.where()
    source, sw, sp = _summed(engine, "activity_summary", period, days_only=grain != "month")
    bucket = {"day": "bucket", "week": "date_trunc('week', bucket)::date", "month": "date_trunc('month', bucket)::date"}
    sums = f"""SELECT {bucket[grain]} AS bucket, sum(activities)::bigint AS activities,
                      sum(hours)::float AS hours, sum(points)::bigint AS points_earned
               FROM {source} WHERE {w} AND {sw} GROUP BY 1"""
    active = _active_by_bucket(engine, scope, period, grain)
    return run(engine, sums, {**p, **sp}).merge(active, on="bucket", how="outer")


def _active_by_bucket(engine: sa.Engine, scope: Scope, period: Period, grain: str) -> pd.DataFrame:
    """Volunteers active in each bucket's part of the period (buckets with none left out), in one pass over
    volunteer_days: a flag per bucket on each row, OR-ed per volunteer, then counted (a join of months and
    rows with count(DISTINCT) sorted 800,000 pairs at megacity city scope: 0.8 s)."""
    wv, p = scope.where("v")
    starts = buckets(period, grain)
    ends = [*starts[1:], period.end]
    spans_ = [(b, max(b, period.start), min(e, period.end)) for b, e in zip(starts, ends)]
    out = []
    for first in range(0, len(spans_), 62):  # a bigint holds 62 buckets' flags
        chunk = spans_[first : first + 62]
        flags = " | ".join(
            f"(CASE WHEN {_active('v', f':s{j}', f':e{j}')} THEN {1 << j}::bigint ELSE 0 END)"
            for j in range(len(chunk))
        )
        counts = ", ".join(f"count(*) FILTER (WHERE mask & {1 << j} <> 0) AS m{j}" for j in range(len(chunk)))
        overlap = f"v.first_day < :e{len(chunk) - 1} AND v.first_day + length(v.days) > :s0"  # rows active in the chunk
        per_volunteer = (
            f"SELECT bit_or({flags}) AS mask FROM volunteer_days v WHERE {wv} AND {overlap} GROUP BY v.volunteer_id"
        )
        sql = f"SELECT {counts} FROM ({per_volunteer}) x"
        bounds = {
            **{f"s{j}": s for j, (_, s, _) in enumerate(chunk)},
            **{f"e{j}": e for j, (_, _, e) in enumerate(chunk)},
        }
        row = run(engine, sql, {**p, **bounds}).iloc[0]
        out += [(bucket, int(row[f"m{j}"])) for j, (bucket, _, _) in enumerate(chunk)]
    df = pd.DataFrame(out, columns=["bucket", "active"]).astype({"active": "int64"})
    return df[df["active"] > 0]


def team_ranking(engine: sa.Engine, scope: Scope, period: Period, limit: int) -> pd.DataFrame:
    """Teams by volunteering hours in the period: name, activities, hours, active volunteers."""
    w, p = scope.where()
    wv, _ = scope.where("v")
    source, sw, sp = _summed(engine, "team_summary", period)
    top = run(
        engine,
        f"""SELECT team_id, sum(activities)::bigint AS activities, sum(hours)::float AS hours
            FROM {source} WHERE {w} AND {sw} AND team_id <> 0
            GROUP BY 1 ORDER BY hours DESC, team_id LIMIT :limit""",
        {**p, **sp, "limit": limit},
    )
    people = run(
        engine,
        f"""SELECT v.team_id, t.name, count(DISTINCT v.volunteer_id) AS volunteers
            FROM volunteer_days v JOIN volunteer_team t ON t.id = v.team_id
            WHERE v.team_id = ANY(:teams) AND {wv} AND {_active("v")} GROUP BY 1, 2""",
        {**p, "teams": [int(x) for x in top["team_id"]], "a_start": period.start, "a_end": period.end},
    )
    return top.merge(people, on="team_id")[["name", "activities", "hours", "volunteers"]]
