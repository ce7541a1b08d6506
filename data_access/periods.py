"""The periods leaders speak in, and what each is compared with: one function for pages, the wall screen,
briefings, alerts and the API.

A period is half-open, whole days: [start, end). Periods "to date" (今日, 本周, 本月, 本季度, 本年, 近7天, 近30天,
近12个月) end with today, which is partial: the data stops at now. 近12个月 is twelve calendar months, this month so
far and the eleven before it: month-aligned, so that it and its comparison read month rows only.

环比 (``prev``) compares with the previous period of the same kind: 上月 with 前月, a period to date with the same days
of the previous one (本月 1–7 December with 1–7 November; 近12个月 with the same twelve months a year before), a
rolling or custom period with as many days just before it, a custom range of whole calendar months with as many
months before it. 同比 (``yoy``) compares with the same days a year before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from data_access.scope import Period

# Named ranges, in the menu's order. Old links' values (month, quarter, year, 12m, custom) keep their meaning.
RANGES = (
    "today",
    "week",
    "last_week",
    "month",
    "last_month",
    "quarter",
    "last_quarter",
    "year",
    "last_year",
    "7d",
    "30d",
    "12m",
    "custom",
)
DEFAULT_RANGE = "12m"
COMPARES = ("prev", "yoy")
ALIASES = {"this_month": "month", "this_quarter": "quarter", "this_year": "year", "this_week": "week"}
DAY = timedelta(days=1)


def shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def shift_months(d: date, months: int) -> date:
    """The same day ``months`` months away (the month's last day where it has fewer days)."""
    m = d.year * 12 + d.month - 1 + months
    y, mo = divmod(m, 12)
    first = date(y, mo + 1, 1)
    last = (shift_month_start(first, 1) - DAY).day
    return first.replace(day=min(d.day, last))


def shift_month_start(d: date, months: int) -> date:
    m = d.year * 12 + d.month - 1 + months
    y, mo = divmod(m, 12)
    return date(y, mo + 1, 1)


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


@dataclass(frozen=True)
class Named:
    """A named period at a day: the period, what kind of calendar unit it is (day, week, month, quarter, year or
    None for a rolling or custom one) and whether it runs to date (ends with today)."""

    period: Period
    unit: str | None
    to_date: bool


def named(rng: str, today: date, start: date | None = None, end: date | None = None) -> Named:
    """The period ``rng`` names on ``today`` (``start``/``end``, inclusive, for ``custom``)."""
    rng = ALIASES.get(rng, rng)
    tomorrow = today + DAY
    if rng == "today":
        return Named(Period(today, tomorrow), "day", True)
    if rng == "week":
        return Named(Period(_week_start(today), tomorrow), "week", True)
    if rng == "last_week":
        s = _week_start(today) - timedelta(days=7)
        return Named(Period(s, s + timedelta(days=7)), "week", False)
    if rng == "month":
        return Named(Period(today.replace(day=1), tomorrow), "month", True)
    if rng == "last_month":
        s = shift_month_start(today, -1)
        return Named(Period(s, today.replace(day=1)), "month", False)
    if rng == "quarter":
        return Named(Period(_quarter_start(today), tomorrow), "quarter", True)
    if rng == "last_quarter":
        q = _quarter_start(today)
        return Named(Period(shift_month_start(q, -3), q), "quarter", False)
    if rng == "year":
        return Named(Period(date(today.year, 1, 1), tomorrow), "year", True)
    if rng == "last_year":
        return Named(Period(date(today.year - 1, 1, 1), date(today.year, 1, 1)), "year", False)
    if rng == "7d":
        return Named(Period(tomorrow - timedelta(days=7), tomorrow), None, True)
    if rng == "30d":
        return Named(Period(tomorrow - timedelta(days=30), tomorrow), None, True)
    if rng == "custom":
        if start is None or end is None or end < start:
            raise ValueError(f"a custom range needs a start and an end on or after it, got {start} and {end}")
        return Named(Period(start, end + DAY), _whole_unit(start, end + DAY), False)
    if rng == "12m":  # 近12个月: this month so far and the eleven whole months before it
        return Named(Period(shift_month_start(today, -11), tomorrow), "12m", True)
    raise ValueError(f"unknown range {rng!r}; expected one of {', '.join(RANGES)}")


def _whole_unit(start: date, end: date) -> str | None:
    """'month' when [start, end) is whole calendar months (a custom November is compared with October)."""
    return "month" if start.day == 1 and end.day == 1 else None


def comparison(n: Named, compare: str = "prev") -> Period:
    """What the named period is compared with: 环比 (``prev``) or 同比 (``yoy``), see the module's text."""
    p = n.period
    if compare == "yoy":
        return Period(shift_year(p.start, -1), shift_year(p.end, -1))
    if compare != "prev":
        raise ValueError(f"unknown comparison {compare!r}; expected prev or yoy")
    if n.unit in ("month", "quarter", "year", "12m"):
        months = {"month": 1, "quarter": 3, "year": 12, "12m": 12}[n.unit]
        if n.unit == "month" and not n.to_date:  # whole months of a custom range: as many months before
            months = (p.end.year * 12 + p.end.month) - (p.start.year * 12 + p.start.month)
        start = shift_month_start(p.start, -months)
        if not n.to_date:
            return Period(start, p.start)
        # To date: the same days of the previous one, never past its end (本月 on 31 March: 1–28 February).
        return Period(start, min(shift_months(p.end - DAY, -months) + DAY, p.start))
    if n.unit in ("day", "week"):  # 今日 with 昨日; a week (to date) with the same weekdays of the week before
        step = timedelta(days=1 if n.unit == "day" else 7)
        return Period(p.start - step, p.end - step)
    days = p.end - p.start  # rolling and custom days: as many days just before
    return Period(p.start - days, p.start)


def period_of(rng: str, today: date, start: date | None = None, end: date | None = None) -> Period:
    return named(rng, today, start, end).period


def periods(rng: str, today: date, compare: str = "prev", start=None, end=None) -> tuple[Period, Period]:
    """(the period, its comparison): what every page, the screen, briefings and the API use."""
    n = named(rng, today, start, end)
    return n.period, comparison(n, compare)


def grain(period: Period) -> str:
    """The trend's bucket for ``period``: days up to a month, weeks up to a quarter, months beyond."""
    days = (period.end - period.start).days
    return "day" if days <= 31 else "week" if days <= 92 else "month"


def bucket_start(d: date, g: str) -> date:
    return d if g == "day" else _week_start(d) if g == "week" else d.replace(day=1)


def buckets(period: Period, g: str) -> list[date]:
    """The first day of every bucket of grain ``g`` the period touches (a bucket may start before it)."""
    out, d = [], bucket_start(period.start, g)
    while d < period.end:
        out.append(d)
        d = d + DAY if g == "day" else d + timedelta(days=7) if g == "week" else shift_month_start(d, 1)
    return out


def partial(period: Period, g: str, today: date) -> set[date]:
    """The buckets the period or the data covers only in part: cut by the period's edges, or holding today."""
    out = set()
    for b in buckets(period, g):
        nxt = b + DAY if g == "day" else b + timedelta(days=7) if g == "week" else shift_month_start(b, 1)
        if b < period.start or nxt > period.end or b <= today < nxt:
            out.add(b)
    return out


def last_complete_day(at: date | datetime) -> date:
    """The last whole day of data at the moment ``at``: the day before, until 23:59:59 (a date is taken as
    complete)."""
    if isinstance(at, datetime):
        return (at + timedelta(seconds=1)).date() - DAY
    return at
