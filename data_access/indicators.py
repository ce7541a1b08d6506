"""The indicator catalogue (指标体系): every figure the product shows, declared once.

A figure is built from *counts*. A :class:`Count` says how it is read from raw rows (an SQL aggregate
over the issue table, at the time ``:at``) and whether the summary tables store it (an additive column
of ``issue_summary`` and ``issue_category_summary`` of the same name). An :class:`Indicator` is a
formula over counts: a ratio (numerator / denominator, in percent), a mean (a sum over its count), or
a count itself; with its names, unit, definition, the standard it follows, the better direction and
its default targets. Readers return counts; :func:`derive` turns them into every indicator whose
counts are present; :func:`rag` colours a value against its targets (overridable per level by the
TOML file named by ``GGC_TARGETS_FILE``). Nothing else computes a rate or decides a colour.

Figures are computed at the data's as-of time ``:at`` (the summaries count what happened by the time they
were built). Two definitions everything else uses:

- *due* (应办结): an issue is due once it is closed or past its deadline (``DUE``);
- *overdue* (超期未结): open, past its deadline at ``:at`` and not suspended (``OVERDUE``), read live from raw
  rows at every scope, since the clock, not the data, moves issues into it;
- *suspended* (挂账): open and formally suspended by ``:at`` (``SUSPENDED``): still due, not overdue.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from data_access.settings import get_settings

# The definitions of "due", "overdue" and "satisfied", over an issue row (``{a}``: its alias and a dot).
DUE = "({a}closed_at <= :at OR {a}due_at <= :at)"
PAST_DUE = "{a}due_at <= :at"  # of an open issue: past its deadline (reads of open issues need due_at only)
SUSPENDED = "{a}suspended_at <= :at"  # of an open issue: 挂账 by :at
NOT_SUSPENDED = "({a}suspended_at IS NULL OR {a}suspended_at > :at)"
OVERDUE = f"({{a}}closed_at IS NULL AND {PAST_DUE} AND {NOT_SUSPENDED})"
SATISFIED = "{a}satisfaction IN ('satisfied', 'basically_satisfied')"
SELF_SETTLED = "{a}escalation_level IN ('compound', 'community')"
REPEAT_DAYS = 30
# A repeat request (重复诉求): an earlier issue of the same level-3 category within 30 days at the same compound,
# or at the same address (schema.ADDRESS_KEY: normalised, naming a number) in the same community. REPEAT_OF is the
# latest such earlier issue's id (NULL: none), which summary.mark_repeats stores as ``issue.repeat_of`` when issues
# load; everything else counts the stored reference (REPEAT).
_EARLIER = (
    "p.category_code = {a}category_code AND p.reported_at < {a}reported_at "
    f"AND p.reported_at >= {{a}}reported_at - interval '{REPEAT_DAYS} days'"
)
REPEAT_OF = (
    "(SELECT x.id FROM ((SELECT p.id, p.reported_at FROM issue p WHERE {a}compound_code IS NOT NULL "
    f"AND p.compound_code = {{a}}compound_code AND {_EARLIER} ORDER BY p.reported_at DESC, p.id DESC LIMIT 1) "
    "UNION ALL (SELECT p.id, p.reported_at FROM issue p WHERE {a}address_key IS NOT NULL "
    f"AND p.address_key = {{a}}address_key AND p.community_code = {{a}}community_code AND {_EARLIER} "
    "ORDER BY p.reported_at DESC, p.id DESC LIMIT 1)) x ORDER BY x.reported_at DESC, x.id DESC LIMIT 1)"
)
REPEAT = "{a}repeat_of IS NOT NULL"
MIN_CASES = 20  # a rate on fewer cases is shown with its count and never coloured


@dataclass(frozen=True)
class Count:
    """A count of issues (or a sum of hours), read from raw rows and, when ``stored``, from the summaries."""

    key: str
    zh: str
    en: str
    raw: str  # SQL aggregate over issue rows aliased ``{a}`` (bound parameter :at)
    stored: bool = True  # a column of the issue summaries (additive); else read live from raw rows


def _filter(cond: str) -> str:
    return f"count(*) FILTER (WHERE {cond})"


def _hours(b: str, a: str) -> str:
    return f"extract(epoch FROM {{a}}{b} - {{a}}{a}) / 3600"


# The issue lifecycle's steps: (stage key, its timestamp, the previous stage's timestamp, Chinese, English).
STEPS = (
    ("accepted", "accepted_at", "reported_at", "受理", "acceptance"),
    ("dispatched", "dispatched_at", "accepted_at", "派遣", "dispatch"),
    ("handled", "handled_at", "dispatched_at", "处置", "handling"),
    ("closed", "closed_at", "handled_at", "结案", "closing"),
    ("satisfied", "evaluated_at", "closed_at", "评价", "evaluation"),
)

ISSUE_COUNTS: tuple[Count, ...] = (
    Count("reported", "上报数", "Reported", "count(*)"),
    Count("accepted", "受理数", "Accepted", _filter("{a}accepted_at <= :at")),
    Count(
        "accepted_on_time",
        "按时受理数",
        "Accepted in time",
        _filter("{a}accepted_at <= :at AND {a}accepted_at <= {a}accept_due_at"),
    ),
    Count("registered", "立案数", "Registered", _filter("{a}registered_at <= :at")),
    Count("dispatched", "派遣数", "Dispatched", _filter("{a}dispatched_at <= :at")),
    Count("handled", "处置数", "Handled", _filter("{a}handled_at <= :at")),
    Count(
        "handled_on_time",
        "按期处置数",
        "Handled on time",
        _filter("{a}closed_at <= :at AND {a}handled_at <= {a}due_at"),
    ),
    Count("closed", "结案数", "Closed", _filter("{a}closed_at <= :at")),
    Count("on_time", "按期结案数", "Closed on time", _filter("{a}closed_at <= :at AND {a}closed_at <= {a}due_at")),
    Count("closed_late", "超期结案数", "Closed late", _filter("{a}closed_at <= :at AND {a}closed_at > {a}due_at")),
    Count("overdue_open", "超期未结数", "Overdue open", _filter(OVERDUE), stored=False),
    Count("suspended_open", "挂账数", "Suspended", _filter(f"{{a}}closed_at IS NULL AND {SUSPENDED}"), stored=False),
    Count(
        "suspended_due",
        "挂账应办结数",
        "Suspended and due",
        _filter(f"{{a}}closed_at IS NULL AND {SUSPENDED} AND {PAST_DUE}"),
        stored=False,
    ),
    # The period's open issues past their limit, suspended or not (with closed: due).
    Count(
        "open_past_due", "超期在办数", "Open past due", _filter(f"{{a}}closed_at IS NULL AND {PAST_DUE}"), stored=False
    ),
    # From summaries: closed + open_past_due.
    Count("due", "应办结数", "Due", _filter(DUE), stored=False),
    Count("reworked", "返工数", "Reworked", _filter("{a}closed_at <= :at AND {a}reworked_count > 0")),
    Count("returned", "回退数", "Returned", _filter("{a}dispatched_at <= :at AND {a}returned_count > 0")),
    Count("extended", "延期数", "Extended", _filter("{a}dispatched_at <= :at AND {a}extended_count > 0")),
    Count(
        "redispatched", "重新派遣数", "Re-dispatched", _filter("{a}dispatched_at <= :at AND {a}redispatch_count > 0")
    ),
    Count("self_settled", "自行处置数", "Settled locally", _filter(f"{{a}}closed_at <= :at AND {SELF_SETTLED}")),
    Count("evaluated", "评价数", "Evaluated", _filter("{a}evaluated_at <= :at")),
    Count("satisfied", "满意数", "Satisfied", _filter(f"{{a}}evaluated_at <= :at AND {SATISFIED}")),
    Count("answered", "回访表态数", "Resolution stated", _filter("{a}evaluated_at <= :at AND {a}resolved IS NOT NULL")),
    Count("resolved", "已解决数", "Resolved", _filter("{a}evaluated_at <= :at AND {a}resolved")),
    Count("repeated", "重复诉求数", "Repeat requests", _filter(REPEAT)),
    # Placed by name (a 12345 export without coordinates): counted at the community, absent from point layers.
    Count("unplaced", "未定位数", "Without a point", _filter("{a}lon IS NULL")),
    # Reports of grid workers (网格员上报): those a worker reported, registered (立案: a valid report) and
    # settled at the compound by the worker's grid (就地化解).
    Count("worker_reported", "网格员上报数", "Reported by grid workers", _filter("{a}reporter_code IS NOT NULL")),
    Count(
        "worker_registered",
        "有效上报数",
        "Valid reports",
        _filter("{a}reporter_code IS NOT NULL AND {a}registered_at <= :at"),
    ),
    Count(
        "worker_self_settled",
        "网格员自行处置数",
        "Settled by the grid",
        _filter("{a}reporter_code IS NOT NULL AND {a}closed_at <= :at AND {a}escalation_level = 'compound'"),
    ),
    *(
        c
        for key, b, a, zh, en in STEPS
        for c in (
            Count(
                f"h_{key}",
                f"{zh}时长合计",
                f"Hours to {en}",
                f"coalesce(sum({_hours(b, a)}) FILTER (WHERE {{a}}{b} <= :at), 0)",
            ),
            Count(
                f"nh_{key}",
                f"{zh}时长样本",
                f"Timed {en}s",
                f"count({{a}}{b} - {{a}}{a}) FILTER (WHERE {{a}}{b} <= :at)",
            ),
        )
    ),
)
COUNTS = {c.key: c for c in ISSUE_COUNTS}
STORED = tuple(c.key for c in ISSUE_COUNTS if c.stored)  # the summaries' additive columns, in this order
# Stocks at the as-of time, whatever the period (超期未结, 挂账): every page, the screen, briefings and the API show
# the same number for one place at one moment. They have no value for a previous period.
STOCKS = ("overdue_open", "suspended_open", "suspended_due")
LIVE = (*STOCKS, "open_past_due")  # read live from the open issues at :at (summary.live_counts), never stored


# Counts of compounds (组织体系): SQL aggregates over compound rows aliased ``{a}``, read by the organisation,
# property and map reads alike.
COMPOUND_COUNTS = {
    "compounds": "count(*)",
    "with_branch": "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM party_org o WHERE o.compound_code = {a}code))",
    "eligible": "count(*) FILTER (WHERE {a}committee_eligible)",
    "committees": "count(*) FILTER (WHERE {a}committee_eligible AND EXISTS (SELECT 1 FROM owners_committee oc "
    "WHERE oc.compound_code = {a}code AND oc.kind = 'owners_committee'))",
}


def compound_counts(alias: str = "", keys=None) -> str:
    """SQL select list of the compound counts (all, or ``keys``) over rows aliased ``alias``."""
    a = f"{alias}." if alias else ""
    return ", ".join(f"{COMPOUND_COUNTS[k].format(a=a)} AS {k}" for k in (keys or COMPOUND_COUNTS))


def raw_counts(alias: str = "", keys=None) -> str:
    """SQL select list of the issue counts (all, or ``keys``) over rows aliased ``alias``, at ``:at``."""
    a = f"{alias}." if alias else ""
    return ", ".join(f"{COUNTS[k].raw.format(a=a)} AS {k}" for k in (keys or COUNTS))


def condition(template: str, alias: str = "") -> str:
    """One of the definitions above (DUE, OVERDUE, SATISFIED, …) over rows aliased ``alias``."""
    return template.format(a=f"{alias}." if alias else "")


def open_states(alias: str = "") -> dict[str, str]:
    """How an open issue stands at ``:at``, as SQL conditions (the caller selects the open issues): within its
    limit, overdue (超期未结), suspended (挂账), and suspended past its limit (still due)."""
    past, held, free = (condition(c, alias) for c in (PAST_DUE, SUSPENDED, NOT_SUSPENDED))
    return {
        "past_due": past,
        "in_time": f"NOT {past} AND {free}",
        "overdue_open": f"{past} AND {free}",
        "suspended_open": held,
        "suspended_due": f"{held} AND {past}",
    }


@dataclass(frozen=True)
class Indicator:
    """One indicator: a formula over counts, with what a reader needs to trust it."""

    key: str
    zh: str
    en: str
    unit: str  # "%", "件", "小时", "‰" …
    definition: str  # one sentence, Chinese
    standard: str
    numerator: str  # a count key
    denominator: str | None = None  # a count key (None: the indicator is the count itself)
    kind: str = "ratio"  # "ratio" (percent), "mean" (sum / count), "count", "per_1000", "per_10000"
    higher_is_better: bool = True
    green: float | None = None  # at or above (below, when lower is better) this value: green
    amber: float | None = None
    domain: str = "issues"
    min_cases: int = 0  # fewer cases in the denominator: shown greyed, never coloured
    decimals: int = 1  # shown with this many decimals (rates always with one)
    median: tuple[str, str] | None = field(default=None, compare=False)  # raw-only medians: (to, from) columns
    walk_minutes: float | None = None  # a walking-coverage indicator: the walk it counts (street distance by settings)

    @property
    def scale(self) -> float:
        return {"ratio": 100.0, "per_1000": 1000.0, "per_10000": 10000.0}.get(self.kind, 1.0)


_GBT = "GB/T 30428.4 数字化城市管理信息系统 第4部分：绩效评价（案件评价）"
_H12345 = "12345政务服务便民热线考核（三率：响应率、解决率、满意率）"
_DESIGN = "本系统口径（DESIGN.md）"
_DEPT = "部门考核（承办单位按期办结与满意度）"


def _rate(key, zh, en, definition, standard, num, den, green, amber, better=True, **kw) -> Indicator:
    return Indicator(key, zh, en, "%", definition, standard, num, den, "ratio", better, green, amber, **kw)


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "reported",
        "上报数",
        "Reported",
        "件",
        "统计期内上报（含来电、巡查发现）的事件数。",
        _DESIGN,
        "reported",
        kind="count",
        higher_is_better=False,
    ),
    Indicator(
        "closed",
        "结案数",
        "Closed",
        "件",
        "统计期内上报、截至数据时点已结案的事件数。",
        _DESIGN,
        "closed",
        kind="count",
    ),
    Indicator(
        "due",
        "应办结数",
        "Due",
        "件",
        "统计期内上报、截至数据时点已结案或已超过办理时限的事件数（考核分母）。",
        _GBT,
        "due",
        kind="count",
    ),
    _rate(
        "on_time_acceptance_rate",
        "按时受理率",
        "Accepted in time",
        "在受理时限内受理的事件占上报事件的比例。",
        _GBT,
        "accepted_on_time",
        "reported",
        95.0,
        90.0,
        min_cases=MIN_CASES,
    ),
    _rate(
        "on_time_handling_rate",
        "按期处置率",
        "Handled on time",
        "已结案且在办理时限内处置完毕的事件占应办结事件的比例（处置后尚未结案的不计入分子）。",
        _GBT,
        "handled_on_time",
        "due",
        90.0,
        80.0,
        min_cases=MIN_CASES,
    ),
    _rate(
        "on_time_rate",
        "按期结案率",
        "On-time closure",
        "在办理时限内结案的事件占应办结事件的比例。",
        _GBT,
        "on_time",
        "due",
        90.0,
        80.0,
        min_cases=MIN_CASES,
    ),
    _rate(
        "closure_rate",
        "结案率",
        "Closure rate",
        "已结案事件占应办结事件的比例（处置率）。",
        _GBT,
        "closed",
        "due",
        95.0,
        90.0,
        min_cases=MIN_CASES,
    ),
    Indicator(
        "overdue_open",
        "超期未结",
        "Overdue open",
        "件",
        "截至统计时点已超过办理时限、仍未结案且未挂账的事件数，不论上报时间（存量：各页面、大屏、简报与接口同一地点同一时点同一数字）。",
        _GBT,
        "overdue_open",
        kind="count",
        higher_is_better=False,
        green=0,
        amber=10,
    ),
    Indicator(
        "suspended_open",
        "挂账",
        "Suspended",
        "件",
        "截至统计时点经审批挂账（暂缓办理、注明原因）、尚未结案的事件数，不论上报时间（存量）；挂账事件仍计入应办结，"
        "不计入超期未结。",
        _GBT,
        "suspended_open",
        kind="count",
        higher_is_better=False,
    ),
    Indicator(
        "closed_late",
        "超期结案",
        "Closed late",
        "件",
        "超过办理时限后才结案的事件数。",
        _GBT,
        "closed_late",
        kind="count",
        higher_is_better=False,
    ),
    _rate(
        "closed_late_rate",
        "超期结案率",
        "Closed late",
        "已结案事件中超过办理时限才结案的比例。",
        _GBT,
        "closed_late",
        "closed",
        5.0,
        10.0,
        better=False,
        min_cases=MIN_CASES,
    ),
    _rate(
        "rework_rate",
        "返工率",
        "Rework rate",
        "结案事件中经核查不合格、返工重办的比例。",
        _GBT,
        "reworked",
        "closed",
        3.0,
        6.0,
        better=False,
        min_cases=MIN_CASES,
    ),
    _rate(
        "return_rate",
        "回退率",
        "Return rate",
        "已派遣事件中被承办单位回退（退单）的比例。",
        _GBT,
        "returned",
        "dispatched",
        5.0,
        10.0,
        better=False,
        min_cases=MIN_CASES,
    ),
    _rate(
        "extension_rate",
        "延期率",
        "Extension rate",
        "已派遣事件中申请延期办理的比例。",
        _GBT,
        "extended",
        "dispatched",
        5.0,
        10.0,
        better=False,
        min_cases=MIN_CASES,
    ),
    _rate(
        "redispatch_rate",
        "重新派遣率",
        "Re-dispatch rate",
        "已派遣事件中改派其他承办单位的比例。",
        _DEPT,
        "redispatched",
        "dispatched",
        5.0,
        10.0,
        better=False,
        min_cases=MIN_CASES,
    ),
    _rate(
        "self_settled_rate",
        "自行处置率",
        "Settled locally",
        "结案事件中在小区、社区层级化解、未上交街道和区的比例。",
        "党建引领基层治理“小事不出网格、大事不出社区”（种子文章）",
        "self_settled",
        "closed",
        70.0,
        60.0,
        min_cases=MIN_CASES,
    ),
    _rate(
        "satisfaction_rate",
        "群众满意率",
        "Satisfaction",
        "回访评价中满意与基本满意的比例。",
        _H12345,
        "satisfied",
        "evaluated",
        92.0,
        85.0,
        min_cases=MIN_CASES,
    ),
    _rate(
        "response_rate",
        "响应率",
        "Response rate",
        "在受理时限内响应（受理）的诉求占全部诉求的比例（12345三率之一，与按时受理率同口径）。",
        _H12345,
        "accepted_on_time",
        "reported",
        95.0,
        90.0,
        min_cases=MIN_CASES,
    ),
    _rate(
        "resolution_rate",
        "解决率",
        "Resolution rate",
        "回访中群众表示“已解决”的诉求占表态诉求的比例。",
        _H12345,
        "resolved",
        "answered",
        85.0,
        75.0,
        min_cases=MIN_CASES,
    ),
    _rate(
        "repeat_rate",
        "重复诉求率",
        "Repeat requests",
        "同一小区（或同一社区内同一门牌地址）、同一三级类别30天内再次上报的诉求占上报诉求的比例。",
        "12345热线重复来电考核口径（同一诉求30天内）",
        "repeated",
        "reported",
        5.0,
        10.0,
        better=False,
        min_cases=MIN_CASES,
    ),
    _rate(
        "unplaced_share",
        "未定位事件占比",
        "Issues without a point",
        "没有坐标、按名称计入所在社区的事件占上报事件的比例；这些事件计入各项指标，不出现在热力图和点位图层上。",
        _DESIGN,
        "unplaced",
        "reported",
        None,
        None,
        better=False,
    ),
    Indicator(
        "worker_reported",
        "网格员上报数",
        "Reported by grid workers",
        "件",
        "网格员巡查发现并上报的事件数。",
        _GBT,
        "worker_reported",
        kind="count",
    ),
    _rate(
        "valid_report_rate",
        "有效上报率",
        "Valid reports",
        "网格员上报的事件中予以立案（有效上报）的比例。",
        _GBT,
        "worker_registered",
        "worker_reported",
        95.0,
        90.0,
        min_cases=MIN_CASES,
    ),
    Indicator(
        "worker_self_settled",
        "网格员自行处置数",
        "Settled by the grid",
        "件",
        "网格员上报、在小区（网格）层级就地化解结案的事件数。",
        "党建引领基层治理“小事不出网格”（种子文章）",
        "worker_self_settled",
        kind="count",
    ),
    *(
        Indicator(
            f"mean_{key}_hours",
            f"平均{zh}时长",
            f"Mean hours to {en}",
            "小时",
            f"从上一环节到{zh}的平均用时（小时）。",
            _GBT,
            f"h_{key}",
            f"nh_{key}",
            "mean",
            higher_is_better=False,
            median=(b, a),
        )
        for key, b, a, zh, en in STEPS
    ),
    # Organisation, stations, volunteers (counts read by their own readers).
    _rate(
        "compound_party_coverage",
        "小区党组织覆盖率",
        "Compounds with a party branch",
        "建有党支部（含联合、片区党支部）的小区占小区总数的比例。",
        "种子文章 001/002：小区党组织全覆盖",
        "with_branch",
        "compounds",
        80.0,
        50.0,
        domain="organisation",
    ),
    _rate(
        "committee_formation_rate",
        "业委会组建率",
        "Owners' committees formed",
        "已组建业主委员会的小区占具备组建条件小区的比例。",
        "种子文章：业委会组建率",
        "committees",
        "eligible",
        80.0,
        60.0,
        domain="property",
    ),
    _rate(
        "committee_party_share",
        "业委会党员占比",
        "Party members in committees",
        "业委会成员中党员的比例。",
        "种子文章：业委会成员党员比例",
        "committee_party_members",
        "committee_members",
        50.0,
        30.0,
        domain="property",
    ),
    _rate(
        "property_party_coverage",
        "物业企业党组织覆盖率",
        "Property companies with a party organisation",
        "服务本区域小区的物业企业中建立党组织（单建、联建或派驻党建指导员）的比例。",
        "种子文章：物业企业党的组织和工作全覆盖",
        "companies_with_party",
        "companies",
        90.0,
        70.0,
        domain="property",
    ),
    Indicator(
        "mean_credit_score",
        "物业企业平均信用分",
        "Mean credit score of property companies",
        "分",
        "服务本区域小区的物业企业最近一次信用评分的平均值。",
        "种子文章：物业服务企业信用分管理",
        "credit_score_total",
        "rated_companies",
        "mean",
        domain="property",
    ),
    _rate(
        "property_satisfaction",
        "物业服务满意度",
        "Property service satisfaction",
        "物业服务满意度测评中表示满意的受访者比例。",
        "种子文章：物业服务满意度测评",
        "survey_satisfied",
        "respondents",
        85.0,
        70.0,
        domain="property",
    ),
    _rate(
        "station_coverage",
        "15分钟步行覆盖率",
        "15-minute walk coverage",
        "距党群服务驿站步行15分钟以内的小区住户占住户总数的比例。",
        "种子文章：15分钟党群服务圈",
        "covered",
        "households",
        90.0,
        75.0,
        domain="stations",
        walk_minutes=15,
    ),
    _rate(
        "in_service_active_rate",
        "在职党员活跃率",
        "Active in-service members",
        "报到在职党员中统计期内参加过志愿服务的比例。",
        "种子文章：在职党员到社区报到",
        "in_service_active",
        "in_service_registered",
        50.0,
        25.0,
        domain="volunteers",
    ),
    _rate(
        "worker_reach",
        "网格员5分钟可达率",
        "Households within 5 minutes of a grid worker",
        "距在岗网格员步行5分钟以内的小区住户占住户总数的比例（应急响应）。",
        "种子文章：网格员“5分钟响应”",
        "covered",
        "households",
        80.0,
        60.0,
        domain="stations",
    ),
    _rate(
        "fee_collection_rate",
        "物业费收缴率",
        "Property fee collection rate",
        "年度实收物业费占应收物业费的比例（物业企业或自管组织收取的小区）。",
        "种子文章：物业费收缴率较2年前提升",
        "fees_collected",
        "fees_billed",
        90.0,
        75.0,
        domain="property",
    ),
    _rate(
        "registry_entry_rate",
        "房屋人口信息录入率",
        "Houses and people entered",
        "已录入党群服务系统的实有房屋和实有人口条数占实有房屋、实有人口总数的比例（只计条数，不含个人信息）。",
        "种子文章：全面录入房屋、人口等信息",
        "registry_entered",
        "registry_total",
        95.0,
        80.0,
        domain="organisation",
    ),
    _rate(
        "zone_coverage",
        "党员责任区住户覆盖率",
        "Households in party members' responsibility zones",
        "党员责任区包含的住户数占小区住户总数的比例。",
        "种子文章：设置“党员责任区”",
        "zone_households",
        "households",
        30.0,
        15.0,
        domain="organisation",
    ),
    Indicator(
        "notice_hours",
        "政策传达时效",
        "Notice delivery time",
        "小时",
        "区级通知发出至各层级（街道、社区、网格、微网格、住户）传达到位的平均用时；住户层为微网格员敲门入户"
        "传达到该微网格全部住户之时。",
        "种子文章：基层政策传达时效由3小时加快至1.5小时",
        "delivery_hours",
        "deliveries",
        "mean",
        higher_is_better=False,
        green=2.0,
        amber=3.0,
        domain="organisation",
    ),
    Indicator(
        "unit_mean_area",
        "单元平均服务面积",
        "Mean area per unit",
        "平方公里",
        "治理单元（网格或微网格）面积之和与单元数之比。",
        "种子文章：微网格平均服务面积",
        "unit_area",
        "units",
        "mean",
        higher_is_better=False,  # finer units (细化微网格): each within a short walk
        domain="maps",
        decimals=2,
    ),
    Indicator(
        "issues_per_unit_month",
        "单元月均事件数",
        "Issues per unit a month",
        "件/单元·月",
        "治理单元有效期内上报到该单元的事件数，与单元数和有效月数之积的比（布局调整前后可比）。",
        _DESIGN,
        "unit_issues",
        "unit_months",
        "mean",
        higher_is_better=False,
        domain="maps",
    ),
    _rate(
        "project_completion_rate",
        "共建项目完成率",
        "Projects completed",
        "已完成的共建项目和共同缔造实事项目占项目总数的比例（统计期内启动的项目）。",
        "种子文章：共建项目清单、共同缔造实事项目",
        "projects_done",
        "projects",
        70.0,
        50.0,
        domain="organisation",
    ),
    _rate(
        "question_resolution_rate",
        "群众关心问题解决率",
        "Residents' questions resolved",
        "统计期内征集的群众关心问题中已解决的比例（已答复未解决的不计）。",
        "种子文章：征集群众关心问题",
        "questions_resolved",
        "questions",
        80.0,
        60.0,
        domain="requests",
    ),
    Indicator(
        "households_per_station",
        "每站服务户数",
        "Households per station",
        "户/个",
        "住户数与党群服务驿站数之比。",
        _DESIGN,
        "households",
        "stations",
        "mean",
        higher_is_better=False,
        domain="stations",
        decimals=0,
    ),
    Indicator(
        "workers_per_1000",
        "千户网格员数",
        "Grid workers per 1,000 households",
        "人/千户",
        "在岗网格员数与住户数之比（每千户）。",
        _DESIGN,
        "workers",
        "households",
        "per_1000",
        domain="organisation",
    ),
    Indicator(
        "issues_per_1000",
        "千户事件数",
        "Issues per 1,000 households",
        "件/千户",
        "统计期内上报事件数与住户数之比（每千户）。",
        _DESIGN,
        "reported",
        "households",
        "per_1000",
        higher_is_better=False,
        domain="maps",
    ),
    Indicator(
        "volunteers_per_1000",
        "千人志愿者数",
        "Volunteers per 1,000 residents",
        "人/千人",
        "注册志愿者数与常住人口之比（每千人）。",
        _DESIGN,
        "volunteers",
        "residents",
        "per_1000",
        domain="maps",
    ),
    Indicator(
        "community_worker_ratio",
        "社区工作者配备",
        "Community workers per 10,000 residents",
        "人/万人",
        "在岗社区工作者人数与社区常住人口之比（每万人）。",
        "种子文章：按每万城镇常住人口18人的标准配备社区工作者",
        "community_workers",
        "residents",
        "per_10000",
        green=18.0,
        amber=15.0,
        domain="organisation",
    ),
)
# 高频问题: a topic residents raised at least this many times in the period (the place's questions).
FREQUENT_TOPIC = 50
CATALOGUE = {i.key: i for i in INDICATORS}
# The names the rate columns had before the catalogue (kept: pages, exports and tests read them).
ALIASES = {
    "coverage": "station_coverage",  # the targets file's old key
    "branch_coverage": "compound_party_coverage",
    "committee_rate": "committee_formation_rate",
    "active_rate": "in_service_active_rate",
    "party_coverage": "compound_party_coverage",
}
LEVELS = ("city", "district", "street", "community", "grid", "department")


def get(key: str) -> Indicator:
    """The indicator ``key`` (or one of its older column names)."""
    return CATALOGUE[ALIASES.get(key, key)]


def formula_of(key: str, name=lambda count: count) -> str:
    """The indicator's formula over its counts, the counts written by ``name`` (default: their keys):
    ``closed / due × 100``, ``workers / residents × 10000``, ``reported`` for a count."""
    ind = get(key)
    if ind.denominator is None:
        return name(ind.numerator)
    scale = f" × {ind.scale:.0f}" if ind.scale != 1 else ""
    return f"{name(ind.numerator)} / {name(ind.denominator)}{scale}"


def value(counts, key: str) -> float | None:
    """The indicator's value from a mapping (a row) of counts; None when undefined (no cases)."""
    ind = get(key)
    num = counts.get(ind.numerator)
    if num is None or _missing(num):
        return None
    if ind.denominator is None:
        return float(num)
    den = counts.get(ind.denominator)
    if den is None or _missing(den) or den == 0:
        return None
    return ind.scale * float(num) / float(den)


def derive(df: pd.DataFrame, keys=None, names: dict[str, str] | None = None) -> pd.DataFrame:
    """``df`` with a column for every ratio or mean indicator (or ``keys``) whose counts it has.

    ``names`` maps an indicator key to the column name to write (default: the key).
    """
    floats: dict[str, np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        if name not in floats:
            floats[name] = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return floats[name]

    new = {}
    for ind in INDICATORS if keys is None else [get(k) for k in keys]:
        if ind.denominator is None or ind.numerator not in df or ind.denominator not in df:
            continue
        num, den = column(ind.numerator), column(ind.denominator)
        out = np.full(len(df), np.nan)
        np.divide(ind.scale * num, den, out=out, where=den > 0)
        new[(names or {}).get(ind.key, ind.key)] = out
    # One concat, not a column at a time (a frame of 80 columns grew block by block: 30 ms a call).
    kept = df.drop(columns=[c for c in new if c in df])
    return pd.concat([kept, pd.DataFrame(new, index=df.index)], axis=1)


def total(rows: pd.DataFrame) -> pd.Series:
    """The scope's own counts: the sum of its children's (``rows``') count columns. A rate's column is left out:
    the rate of the whole is the ratio of its summed counts (:func:`value`), never a sum of the children's rates."""
    ratios = {k for k, ind in CATALOGUE.items() if ind.denominator is not None}
    return rows[[c for c in rows.select_dtypes("number").columns if c not in ratios]].sum()


def percent(part, whole):
    """``part`` as a percentage of ``whole`` (arrays or numbers); undefined (NaN) where ``whole`` is 0."""
    part, whole = pd.Series(part, dtype=float), pd.Series(whole, dtype=float)
    return 100.0 * part / whole.where(whole > 0)


def change_percent(now, before):
    """Growth in percent from ``before`` to ``now`` (arrays or numbers); undefined (NaN) where ``before`` is 0."""
    now, before = pd.Series(now, dtype=float), pd.Series(before, dtype=float)
    return 100.0 * (now - before) / before.where(before > 0)


def with_live(stored: pd.DataFrame, live: pd.DataFrame, keyed: bool) -> pd.DataFrame:
    """Stored counts (summaries, or raw rows counted to the end of time) with the live counts beside them (one row,
    or by ``code``), and ``due`` = closed + the period's open issues past their limit (the same set as ``DUE`` on
    raw rows at :at)."""
    if keyed:  # a unit with old open issues and no report in the period is still in the stocks
        df = stored.merge(live, on="code", how="outer")
        for col in stored.columns.drop("code"):
            df[col] = df[col].fillna(0).astype(stored[col].dtype)
    else:
        df = stored.copy()
        for col in LIVE:
            df[col] = live[col].iloc[0]
    for col in LIVE:
        df[col] = df[col].fillna(0).astype("int64")
    df["due"] = df["closed"] + df["open_past_due"]
    return df


def cases(counts, key: str) -> float | None:
    """How many cases the indicator's value rests on (its denominator), or None for a count."""
    ind = get(key)
    if ind.denominator is None:
        return None
    den = counts.get(ind.denominator)
    return None if den is None or _missing(den) else float(den)


def _missing(v) -> bool:
    try:
        return v is None or math.isnan(float(v))
    except (TypeError, ValueError):
        return True


# ---------------------------------------------------------------------------------------------- targets


@lru_cache(maxsize=1)
def _overrides() -> dict:
    path = get_settings().targets_file
    if not path:
        return {}
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def targets(key: str, level: str | None = None) -> tuple[float, float] | None:
    """(green, amber) of the indicator at ``level`` ('city' … 'grid', 'department'), or None.

    The targets file (TOML, ``GGC_TARGETS_FILE``) overrides them: ``[closure_rate] green = 96
    amber = 92`` for every level and ``[closure_rate.street]`` for one.
    """
    ind = get(key)
    out = (ind.green, ind.amber) if ind.green is not None and ind.amber is not None else None
    over = _overrides().get(ind.key) or next(
        (_overrides()[a] for a, k in ALIASES.items() if k == ind.key and a in _overrides()), None
    )
    if over:
        if "green" in over and "amber" in over:
            out = (float(over["green"]), float(over["amber"]))
        per_level = over.get(level) if level else None
        if isinstance(per_level, dict) and "green" in per_level and "amber" in per_level:
            out = (float(per_level["green"]), float(per_level["amber"]))
    return out


def reload_targets() -> None:
    """Read the settings and the targets file again (after it changed or GGC_TARGETS_FILE was set)."""
    get_settings.cache_clear()
    _overrides.cache_clear()


def rag(key: str, v, level: str | None = None, n=None) -> str | None:
    """'green', 'amber', 'red' for a value against the indicator's targets at ``level``.

    None when there is no target, no value, or the value rests on ``n`` cases, fewer than the
    indicator's minimum (small samples are never coloured as good or bad).
    """
    if key not in CATALOGUE and key not in ALIASES:
        return None
    t = targets(key, level)
    if t is None or _missing(v):
        return None
    ind = get(key)
    if n is not None and not _missing(n) and n < ind.min_cases:
        return None
    green, amber = t
    if ind.higher_is_better:
        return "green" if v >= green else "amber" if v >= amber else "red"
    return "green" if v <= green else "amber" if v <= amber else "red"


def small_sample(key: str, n) -> bool:
    """Whether a value resting on ``n`` cases is below the indicator's minimum."""
    return n is not None and not _missing(n) and n < get(key).min_cases


# ---------------------------------------------------------------------------------------------- docs


def markdown() -> str:
    """docs/indicators.md, generated from the catalogue (``python -m data_access indicators``)."""
    lines = [
        "# Indicators (指标说明)",
        "",
        "Generated from `data_access/indicators.py` by `python -m data_access indicators > docs/indicators.md`;",
        "a test fails when this file is stale. Every page, the wall screen, exports and the `figures` command",
        "read these definitions and targets; no other module computes a rate or picks a colour.",
        "",
        f"- **Due (应办结)**: `{condition(DUE)}` — an issue counts once it is closed or past its deadline.",
        f"- **Overdue (超期未结)**: `{condition(OVERDUE)}`, read live from raw rows at every scope.",
        f"- **Repeat request (重复诉求)**: an earlier issue of the same level-3 category within {REPEAT_DAYS} days "
        "at the same compound, or at the same address in the same community (the address normalised: width "
        "forms, case, spaces and punctuation dropped, 幢/号楼 read as 栋; only an address naming a number counts).",
        f"- Rates on fewer than {MIN_CASES} cases are shown greyed with their count and never coloured.",
        "- Targets: green at or better than the first value, amber at or better than the second, else red; "
        "overridable per level in the TOML file named by `GGC_TARGETS_FILE`.",
        "",
        "| key | 指标 | indicator | unit | definition | formula | standard | targets (green / amber) | better |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i in INDICATORS:
        formula = formula_of(i.key)
        tg = "—" if i.green is None else f"{i.green:g} / {i.amber:g}"
        better = "higher" if i.higher_is_better else "lower"
        cells = [f"`{i.key}`", i.zh, i.en, i.unit, i.definition, f"`{formula}`", i.standard, tg, better]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Counts (issues)",
        "",
        "| count | 名称 | raw rows (SQL over `issue`) | in summaries |",
        "| --- | --- | --- | --- |",
    ]
    for c in ISSUE_COUNTS:
        lines.append(f"| `{c.key}` | {c.zh} | `{c.raw.format(a='')}` | {'yes' if c.stored else 'no (live)'} |")
    return "\n".join(lines) + "\n"
