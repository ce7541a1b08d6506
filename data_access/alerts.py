"""Alerts (预警): rules on the catalogue's indicators, evaluated over the whole store, each firing kept from when it
was first seen until it clears, and new firings posted to a group robot's webhook (企业微信 or 钉钉).

Rules live in a TOML file (``alerts.toml`` beside this module, or the file GGC_ALERT_RULES names; its comments
describe the kinds). :func:`evaluate` reads every unit of the rules' levels, compares the firings with the open
ones in ``alert_event`` (migration 0018) in one transaction: a new firing is inserted, one that persists is only
marked seen again (it is not repeated), one that stopped is cleared. It runs as the store's owner after every
issues import and on a schedule (``python -m data_access alerts``). Values are the catalogue's
(:mod:`data_access.indicators`); nothing here computes a rate of its own.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from data_access import clock, indicators
from data_access.meta import bump_data_version
from data_access.periods import last_complete_day
from data_access.reads import issues, places
from data_access.scope import Period, Scope
from data_access.settings import get_settings

RULES_FILE = Path(__file__).with_name("alerts.toml")
KINDS = ("threshold", "spike", "repeat", "stale")
LEVELS = ("district", "street", "community")
PARENT = {"district": "city", "street": "district", "community": "street"}
WEBHOOK_KINDS = ("wecom", "dingtalk")
LISTED = 20  # firings listed in one webhook message (group robots take about 20 messages a minute)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_KEYS = {
    "threshold": {"indicator", "above", "below", "periods"},
    "spike": {"factor", "weeks", "min_count"},
    "repeat": {"at_least", "days"},
    "stale": set(),
}
_log = logging.getLogger(__name__)


class RuleError(ValueError):
    """A rules file that cannot be used: the message names the line."""


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    kind: str
    levels: tuple[str, ...]
    indicator: str | None = None
    above: float | str | None = None
    below: float | str | None = None
    periods: int = 1
    factor: float = 2.0
    weeks: int = 8
    min_count: int = 10
    at_least: int = 3
    days: int = 30

    def threshold(self, level: str) -> float | None:
        """The number a value is compared with at ``level`` ("target": the catalogue's green target there)."""
        limit = self.above if self.above is not None else self.below
        if limit == "target":
            t = indicators.targets(self.indicator, level)
            return None if t is None else t[0]
        return float(limit)

    def breaches(self, value: float, threshold: float) -> bool:
        return value > threshold if self.above is not None else value < threshold


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    webhook_url: str = ""
    webhook_kind: str = "wecom"
    by_name: dict = field(default_factory=dict, compare=False)


def rules_path() -> Path:
    return get_settings().alert_rules or RULES_FILE


def _rule_lines(text: str) -> list[int]:
    """The line number of each ``[[rule]]`` header, in order."""
    return [i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[rule]]")]


def _number(value, what: str, low: float, high: float, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
        raise ValueError(f"{what} must be a {'whole ' if whole else ''}number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be from {low:g} to {high:g}, got {value!r}")
    return value


def _rule(raw: dict) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError("a rule must be a table")
    name, kind = raw.get("name"), raw.get("kind")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"name must be letters, digits and _ (starting with a letter), got {name!r}")
    if kind not in KINDS:
        raise ValueError(f"rule {name}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    unknown = set(raw) - {"name", "title", "kind", "levels"} - _KEYS[kind]
    if unknown:
        raise ValueError(f"rule {name}: unknown key {sorted(unknown)[0]!r} for kind {kind}")
    title = raw.get("title", name)
    if not isinstance(title, str) or not title.strip() or len(title) > 100:
        raise ValueError(f"rule {name}: title must be text of at most 100 characters")
    levels = raw.get("levels")
    if not isinstance(levels, list) or not levels or any(lv not in LEVELS for lv in levels):
        raise ValueError(f"rule {name}: levels must be a list of {', '.join(LEVELS)}, got {levels!r}")
    out = {"name": name, "title": title.strip(), "kind": kind, "levels": tuple(dict.fromkeys(levels))}
    if kind == "threshold":
        key = raw.get("indicator")
        if key not in indicators.CATALOGUE or indicators.get(key).domain != "issues":
            raise ValueError(f"rule {name}: indicator must be an issue indicator of the catalogue, got {key!r}")
        if ("above" in raw) == ("below" in raw):
            raise ValueError(f"rule {name}: give one of above and below")
        side = "above" if "above" in raw else "below"
        limit = raw[side]
        if limit == "target":
            if indicators.targets(key, levels[0]) is None:
                raise ValueError(f"rule {name}: {key} has no target in the catalogue; give a number")
        else:
            limit = _number(limit, f"rule {name}: {side}", -1e9, 1e9)
        periods = int(_number(raw.get("periods", 1), f"rule {name}: periods", 1, 12, whole=True))
        if periods > 1 and indicators.get(key).numerator in indicators.LIVE:
            raise ValueError(f"rule {name}: {key} is read at the as-of time; periods must be 1")
        out.update(indicator=key, periods=periods, **{side: limit})
    elif kind == "spike":
        out.update(
            factor=float(_number(raw.get("factor", 2.0), f"rule {name}: factor", 1.0, 100.0)),
            weeks=int(_number(raw.get("weeks", 8), f"rule {name}: weeks", 2, 26, whole=True)),
            min_count=int(_number(raw.get("min_count", 10), f"rule {name}: min_count", 1, 1e6, whole=True)),
        )
    elif kind == "repeat":
        out.update(
            at_least=int(_number(raw.get("at_least", 3), f"rule {name}: at_least", 2, 1000, whole=True)),
            days=int(_number(raw.get("days", 30), f"rule {name}: days", 1, 365, whole=True)),
        )
    return Rule(**out)


def parse(text: str) -> Rules:
    """The rules of a TOML text; RuleError naming the line of the first problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"line {m[1]}" if m else "the file"
        raise RuleError(f"{where}: not valid TOML ({str(exc).split(' (at line')[0]})") from None
    unknown = set(doc) - {"rule", "webhook"}
    if unknown:
        key = sorted(unknown)[0]
        line = next((i for i, s in enumerate(text.splitlines(), 1) if re.match(rf"\s*\[?{re.escape(key)}\b", s)), 1)
        raise RuleError(f"line {line}: unknown section or key {key!r} (expected [[rule]] and [webhook])")
    raws = doc.get("rule", [])
    if not isinstance(raws, list):
        raise RuleError("line 1: rules are written as [[rule]] tables")
    lines = _rule_lines(text)
    rules, seen = [], set()
    for i, raw in enumerate(raws):
        line = lines[i] if i < len(lines) else 1
        try:
            rule = _rule(raw)
        except ValueError as exc:
            raise RuleError(f"line {line}: {exc}") from None
        if rule.name in seen:
            raise RuleError(f"line {line}: a second rule named {rule.name}")
        seen.add(rule.name)
        rules.append(rule)
    hook = doc.get("webhook", {})
    hook_line = next((i for i, s in enumerate(text.splitlines(), 1) if re.match(r"\s*\[?webhook\b", s)), 1)
    if not isinstance(hook, dict):
        raise RuleError(f"line {hook_line}: webhook is a table: [webhook] with url = … and kind = …")
    url, kind = hook.get("url", ""), hook.get("kind", "wecom")
    if not isinstance(url, str) or (url and not re.match(r"https?://[^\s]+$", url)):
        raise RuleError(f"line {hook_line}: webhook url must be empty or an http(s) address, got {url!r}")
    if kind not in WEBHOOK_KINDS:
        raise RuleError(f"line {hook_line}: webhook kind must be wecom or dingtalk, got {kind!r}")
    return Rules(tuple(rules), url, kind, {r.name: r for r in rules})


def load(path: Path | None = None) -> Rules:
    path = path or rules_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    try:
        return parse(text)
    except RuleError as exc:
        raise RuleError(f"{path.name}, {exc}") from None


def save(path: Path, text: str) -> None:
    """Replace the rules file at once (a reader never sees half a file); the caller has parsed ``text``."""
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# Evaluation -------------------------------------------------------------------------------------------------


def _months(at: datetime, n: int) -> list[Period]:
    """The last ``n`` complete months at the data's as-of time, newest first."""
    end = (last_complete_day(at) + timedelta(days=1)).replace(day=1)
    out = []
    for _ in range(n):
        start = (end - timedelta(days=1)).replace(day=1)
        out.append(Period(start, end))
        end = start
    return out


def _by_unit(engine, level: str, period: Period, at: datetime) -> pd.DataFrame:
    """The catalogue's issue counts and indicators of every unit of ``level`` (code, name, …)."""
    frames = []
    for parent in places.units(engine, PARENT[level])["code"]:
        scope = Scope.from_code(parent)
        units = places.children(engine, scope)
        frames.append(units.merge(issues.issue_by_child(engine, scope, period, at), on="code", how="left"))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _threshold(engine, rule: Rule, level: str, at: datetime) -> list[dict]:
    ind = indicators.get(rule.indicator)
    threshold = rule.threshold(level)
    if threshold is None:
        return []
    if ind.numerator in indicators.LIVE:  # open issues past their deadline now, whenever reported
        periods = [Period(date(2000, 1, 1), at.date() + timedelta(days=1))]
    else:
        periods = _months(at, rule.periods)
    breached = None
    for period in periods:
        df = _by_unit(engine, level, period, at)
        if rule.indicator not in df:  # no units of the level (an empty store)
            return []
        n = df[ind.denominator] if ind.denominator in df else pd.Series([None] * len(df))
        ok = df[rule.indicator].notna() & ~pd.Series([indicators.small_sample(rule.indicator, x) for x in n])
        hit = df[ok & df[rule.indicator].map(lambda v: rule.breaches(float(v), threshold))]
        now = hit[["code", rule.indicator]].set_index("code")[rule.indicator]
        breached = now if breached is None else breached[breached.index.isin(now.index)]
    return [
        {"unit_code": code, "subject": "", "subject_name": "", "value": float(v), "threshold": threshold}
        for code, v in (breached if breached is not None else pd.Series(dtype=float)).items()
    ]


def _spike(engine, rule: Rule, level: str, at: datetime) -> list[dict]:
    sql = f"""
        SELECT i.{level}_code AS unit, i.category_code AS category, c.name AS category_name,
               floor(extract(epoch FROM (:at - i.reported_at)) / 604800)::int AS week, count(*) AS n
        FROM issue i JOIN issue_category c ON c.code = i.category_code
        WHERE i.reported_at > :at - make_interval(weeks => :weeks + 1) AND i.reported_at <= :at
          AND i.{level}_code IS NOT NULL
        GROUP BY 1, 2, 3, 4
    """
    with engine.connect() as conn:
        df = pd.read_sql_query(sa.text(sql), conn, params={"at": at, "weeks": rule.weeks})
    out = []
    for (unit, category, name), g in df.groupby(["unit", "category", "category_name"]):
        counts = dict(zip(g["week"], g["n"]))
        now = counts.get(0, 0)
        median = statistics.median([counts.get(w, 0) for w in range(1, rule.weeks + 1)])
        limit = rule.factor * median
        if now >= rule.min_count and now > limit:
            out.append({"unit_code": unit, "subject": category, "subject_name": name, "value": float(now),
                        "threshold": float(limit)})  # fmt: skip
    return out


def _repeat(engine, rule: Rule, level: str, at: datetime) -> list[dict]:
    sql = f"""
        SELECT i.{level}_code AS unit, i.compound_code || ':' || i.category_code AS subject,
               k.name || '·' || c.name AS subject_name, count(*) AS n
        FROM issue i JOIN compound k ON k.code = i.compound_code JOIN issue_category c ON c.code = i.category_code
        WHERE i.reported_at > :at - make_interval(days => :days) AND i.reported_at <= :at
          AND i.{level}_code IS NOT NULL
        GROUP BY 1, 2, 3 HAVING count(*) >= :n
    """
    with engine.connect() as conn:
        df = pd.read_sql_query(sa.text(sql), conn, params={"at": at, "days": rule.days, "n": rule.at_least})
    return [
        {"unit_code": r.unit, "subject": r.subject, "subject_name": r.subject_name, "value": float(r.n),
         "threshold": float(rule.at_least)}
        for r in df.itertuples()
    ]  # fmt: skip


def _stale(engine, rule: Rule, level: str, at: datetime) -> list[dict]:
    """A sync source silent for longer than it is expected to be (data_access.sources.freshness: by the present, not the
    data's as-of time), on its profile's district ('' for a source of no one district: admins and the city see it):
    minutes silent against the expected interval."""
    from data_access import sources

    if level != "district":
        return []
    with engine.connect() as conn:
        df = sources.freshness(conn)
    return [
        {"unit_code": r.district_code or "", "subject": r.name[:40], "subject_name": r.label,
         "value": float(r.silent_minutes), "threshold": float(r.expected_minutes)}
        for r in df[df["overdue"]].itertuples()
    ]  # fmt: skip


_EVALUATE = {"threshold": _threshold, "spike": _spike, "repeat": _repeat, "stale": _stale}


def firings(engine, rules: Rules, at: datetime) -> list[dict]:
    """Every (rule, unit, subject) whose condition holds at ``at``, with its value and threshold."""
    out = []
    for rule in rules.rules:
        for level in rule.levels:
            out += [{"rule": rule.name, **f} for f in _EVALUATE[rule.kind](engine, rule, level, at)]
    return out


def evaluate(engine, rules: Rules | None = None, at: datetime | None = None, deliver: bool = True) -> dict:
    """Evaluate the rules and record the result: new firings inserted (and posted), persisting ones marked seen,
    ended ones cleared. One evaluation at a time: the lock is taken before the store is read, so two evaluations
    (a schedule and an import) never reconcile against each other's stale reading."""
    t0 = time.perf_counter()
    rules = rules or load()
    key = lambda r: (r["rule"], r["unit_code"], r["subject"])  # noqa: E731
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('ggc_alert_evaluation'))"))
        at = at or clock.as_of()
        current = {key(f): f for f in firings(engine, rules, at)}
        open_rows = conn.execute(
            sa.text("SELECT id, rule, unit_code, subject FROM alert_event WHERE cleared_at IS NULL")
        ).all()
        known = {(r.rule, r.unit_code, r.subject): r.id for r in open_rows}
        new = [f for k, f in current.items() if k not in known]
        kept = [{"id": known[k], "v": f["value"]} for k, f in current.items() if k in known]
        gone = [i for k, i in known.items() if k not in current]
        for f in new:
            conn.execute(
                sa.text("""INSERT INTO alert_event (rule, unit_code, subject, subject_name, value, threshold,
                           last_value) VALUES (:rule, :unit_code, :subject, :subject_name, :value, :threshold,
                           :value)"""),
                f,
            )
        if kept:
            conn.execute(sa.text("UPDATE alert_event SET last_seen = now(), last_value = :v WHERE id = :id"), kept)
        if gone:
            conn.execute(sa.text("UPDATE alert_event SET cleared_at = now() WHERE id = ANY(:ids)"), {"ids": gone})
        if new or gone:  # the sidebar's badge, /alerts and wall screens read alerts by the (whole) data version
            bump_data_version(conn, [])
    delivered = deliver_pending(engine, rules) if deliver else None
    return {
        "new": len(new),
        "kept": len(kept),
        "cleared": len(gone),
        "open": len(current),
        "delivered": delivered,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def evaluate_quietly(engine) -> dict | None:
    """:func:`evaluate` after an import: a failure is logged, never the import's."""
    try:
        return evaluate(engine)
    except Exception:
        _log.exception("alert evaluation after an import failed")
        return None


# Reading and delivery ---------------------------------------------------------------------------------------

# A firing's unit name (its level told by the code's length).
_UNIT_NAME = """LEFT JOIN LATERAL (SELECT name FROM district WHERE code = a.unit_code UNION ALL
                                SELECT name FROM street WHERE code = a.unit_code UNION ALL
                                SELECT name FROM community WHERE code = a.unit_code LIMIT 1) u ON true"""


def listing(engine, scope: Scope, open_only: bool = True, days: int = 30, limit: int = 500) -> pd.DataFrame:
    """Firings under the scope, open first (newest first), then (unless ``open_only``) those cleared within
    ``days``: id, rule, unit_code, unit (its name), subject_name, value, threshold, last_value, first_seen,
    last_seen, cleared_at, delivered_at, delivery_error."""
    w = "TRUE" if scope.code is None else "starts_with(a.unit_code, :scope)"
    if scope.level == "city" and scope.code:
        w = "left(a.unit_code, 6) = ANY(ARRAY(SELECT ggc_city_districts(:scope)))"
    cleared = "a.cleared_at IS NULL"
    if not open_only:
        cleared = "(a.cleared_at IS NULL OR a.cleared_at > now() - make_interval(days => :days))"
    sql = f"""
        SELECT a.id, a.rule, a.unit_code, coalesce(u.name, a.unit_code) AS unit, a.subject, a.subject_name, a.value,
               a.threshold, a.last_value, a.first_seen, a.last_seen, a.cleared_at, a.delivered_at, a.delivery_error
        FROM alert_event a {_UNIT_NAME}
        WHERE {w} AND {cleared}
        ORDER BY a.cleared_at IS NOT NULL, a.first_seen DESC, a.id DESC LIMIT :limit
    """
    with engine.connect() as conn:
        return pd.read_sql_query(sa.text(sql), conn, params={"scope": scope.code, "limit": limit, "days": days})


def value_text(rule: Rule | None, v: float) -> str:
    """A firing's value as the catalogue writes its unit (rates with one decimal and %; counts whole)."""
    if rule is not None and rule.kind == "stale":  # minutes
        return f"{v / 60:,.1f}小时"
    if rule is not None and rule.kind == "threshold":
        ind = indicators.get(rule.indicator)
        if ind.unit == "%":
            return f"{v:.1f}%"
        if ind.kind != "count":
            return f"{v:,.{ind.decimals}f}{ind.unit}"
    return f"{v:,.0f}件" if float(v).is_integer() else f"{v:,.1f}件"


# Robots' markdown has no escapes (a backslash shows as itself): an imported name's markup characters are made
# inert by their full-width forms, and line breaks (which would start a heading or a quote) become spaces.
_INERT = str.maketrans("<>[]()*_`#~|\n\r", "＜＞［］（）＊＿｀＃～｜  ")


def _md(text: str) -> str:
    """An imported name as plain text in a robot's markdown."""
    return str(text).translate(_INERT)


def message(rules: Rules, rows: pd.DataFrame, total: int) -> dict:
    """The webhook body for new firings, in the shape the configured robot accepts."""
    lines = [f"**网格治理驾驶舱 · 新预警 {total} 条**"]
    for r in rows.head(LISTED).itertuples():
        rule = rules.by_name.get(r.rule)
        title = rule.title if rule else r.rule
        what = f"{_md(r.unit)}" + (f" · {_md(r.subject_name)}" if r.subject_name else "")
        lines.append(
            f"> {_md(title)}：{what}，当前值 {value_text(rule, r.value)}（阈值 {value_text(rule, r.threshold)}），"
            f"首次出现 {clock.written(pd.Timestamp(r.first_seen).to_pydatetime())}"
        )
    if total > LISTED:
        lines.append(f"另有 {total - LISTED} 条，见驾驶舱“预警”页。")
    text = "\n".join(lines)
    if rules.webhook_kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": "网格治理驾驶舱预警", "text": text}}
    return {"msgtype": "markdown", "markdown": {"content": text}}


def post(url: str, body: dict, timeout: float = 5.0) -> str | None:
    """POST the JSON body; None when the robot accepted it (errcode 0), else the reason."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (an http(s) address, checked)
            answer = resp.read(10_000).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"{exc.__class__.__name__}: {exc}"[:300]
    try:
        code = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        return f"not a robot's answer: {answer[:100]}"
    return None if code == 0 else f"errcode {code}: {answer[:200]}"


RESEND_HOURS = 24  # an open firing the robot never got is posted again by later evaluations for this long


def deliver_pending(engine, rules: Rules) -> bool | None:
    """Post the open firings the robot has not got (new ones, and those a failed post or a stopped process left,
    first seen within RESEND_HOURS) as one message; record delivered_at or the error. None: nothing to post or no
    webhook."""
    url = get_settings().alert_webhook or rules.webhook_url
    if not url:
        return None
    with engine.connect() as conn:
        rows = pd.read_sql_query(
            sa.text(f"""SELECT a.*, coalesce(u.name, a.unit_code) AS unit FROM alert_event a {_UNIT_NAME}
                        WHERE a.cleared_at IS NULL AND a.delivered_at IS NULL
                          AND a.first_seen > now() - make_interval(hours => :h)
                        ORDER BY a.unit_code, a.rule"""),
            conn,
            params={"h": RESEND_HOURS},
        )
    if rows.empty:
        return None
    ids = [int(i) for i in rows["id"]]
    error = post(url, message(rules, rows, len(ids)))
    with engine.begin() as conn:
        if error is None:
            conn.execute(sa.text("UPDATE alert_event SET delivered_at = now(), delivery_error = NULL "
                                 "WHERE id = ANY(:ids)"), {"ids": ids})  # fmt: skip
        else:
            conn.execute(sa.text("UPDATE alert_event SET delivery_error = :e WHERE id = ANY(:ids)"),
                         {"ids": ids, "e": error})  # fmt: skip
            _log.warning("alert webhook: %s", error)
    return error is None
