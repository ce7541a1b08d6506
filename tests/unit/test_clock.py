"""The one clock (data_access.clock) and the periods leaders speak in (data_access.periods), as pure functions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from data_access import clock, periods
from data_access.periods import comparison, named
from data_access.scope import Period
from data_access.settings import PROJECT_ROOT, get_settings


@pytest.fixture
def settings_env(monkeypatch):
    """Set GGC_* variables for one test; the settings are read anew and restored after it."""

    def set_(**values):
        for k, v in values.items():
            monkeypatch.setenv(k, v)
        get_settings.cache_clear()

    yield set_
    monkeypatch.undo()
    get_settings.cache_clear()


def test_now_is_wall_time_in_the_configured_zone_whatever_the_servers(settings_env, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # a container on UTC
    settings_env(GGC_TIMEZONE="Asia/Shanghai")
    monkeypatch.delenv("GGC_NOW", raising=False)
    get_settings.cache_clear()
    utc = datetime.now(UTC).replace(tzinfo=None)
    hours = (clock.now() - utc).total_seconds() / 3600
    assert round(hours) == 8 and clock.now().tzinfo is None and clock.now().microsecond == 0


def test_a_pinned_now_and_the_as_of_to_the_minute(settings_env):
    settings_env(GGC_NOW="2026-12-07T08:30:42")
    assert clock.now() == datetime(2026, 12, 7, 8, 30, 42)
    assert clock.as_of() == datetime(2026, 12, 7, 8, 30)
    assert clock.today() == date(2026, 12, 7)


def test_bad_settings_are_named(settings_env):
    settings_env(GGC_TIMEZONE="Mars/Olympus")
    with pytest.raises(ValueError, match="GGC_TIMEZONE"):
        get_settings()
    settings_env(GGC_TIMEZONE="Asia/Shanghai", GGC_NOW="tomorrow")
    with pytest.raises(ValueError, match="GGC_NOW"):
        get_settings()


def test_stored_instants_are_written_in_the_zone_without_an_offset(settings_env):
    settings_env(GGC_TIMEZONE="Asia/Shanghai")
    instant = datetime(2026, 12, 7, 0, 26, 29, tzinfo=UTC)
    assert clock.local(instant) == datetime(2026, 12, 7, 8, 26, 29)
    assert clock.written(instant) == "2026-12-07 08:26"
    assert clock.written(datetime(2026, 12, 7, 8, 26, 29)) == "2026-12-07 08:26"  # wall time stays as it is
    assert clock.written(None) == ""
    settings_env(GGC_TIMEZONE="Asia/Urumqi")
    assert clock.written(instant) == "2026-12-07 06:26"


def test_nothing_but_the_clock_reads_the_wall_clock():
    """Every other module asks data_access.clock (the tests' own waits for a server excepted)."""
    reads = re.compile(r"datetime\.now\(|date\.today\(|datetime\.today\(|time\.time\(\)|utcnow|Timestamp\.(now|today)")
    found = []
    for folder in ("app_pages", "dashboard", "data_access", "documents", "geo", "scripts", "web"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if path.name == "clock.py" and path.parent.name == "data_access":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if reads.search(line):
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}")
    for path in (PROJECT_ROOT / "streamlit_app.py", PROJECT_ROOT / "serve.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        found += [f"{path.name}: {line}" for line in lines if reads.search(line)]
    assert not found, "\n".join(found)


DAY = date(2026, 12, 7)  # a Monday


@pytest.mark.parametrize(
    ("rng", "period", "previous"),
    [
        ("today", ("2026-12-07", "2026-12-08"), ("2026-12-06", "2026-12-07")),
        ("week", ("2026-12-07", "2026-12-08"), ("2026-11-30", "2026-12-01")),  # Monday so far: last Monday
        ("last_week", ("2026-11-30", "2026-12-07"), ("2026-11-23", "2026-11-30")),
        ("month", ("2026-12-01", "2026-12-08"), ("2026-11-01", "2026-11-08")),  # 1–7 December: 1–7 November
        ("last_month", ("2026-11-01", "2026-12-01"), ("2026-10-01", "2026-11-01")),  # 上月 against 前月
        ("quarter", ("2026-10-01", "2026-12-08"), ("2026-07-01", "2026-09-08")),
        ("last_quarter", ("2026-07-01", "2026-10-01"), ("2026-04-01", "2026-07-01")),
        ("year", ("2026-01-01", "2026-12-08"), ("2025-01-01", "2025-12-08")),
        ("last_year", ("2025-01-01", "2026-01-01"), ("2024-01-01", "2025-01-01")),
        ("7d", ("2026-12-01", "2026-12-08"), ("2026-11-24", "2026-12-01")),
        ("30d", ("2026-11-08", "2026-12-08"), ("2026-10-09", "2026-11-08")),
        ("12m", ("2026-01-01", "2026-12-08"), ("2025-01-01", "2025-12-08")),  # twelve calendar months
    ],
)
def test_named_periods_and_what_they_are_compared_with(rng, period, previous):
    p, c = periods.periods(rng, DAY)
    assert (p.start.isoformat(), p.end.isoformat()) == period
    assert (c.start.isoformat(), c.end.isoformat()) == previous


def test_a_period_to_date_is_compared_with_the_same_days_never_past_the_previous_end():
    p, c = periods.periods("month", date(2027, 3, 31))
    assert c == Period(date(2027, 2, 1), date(2027, 3, 1))  # 1–31 March against the whole of February
    p, c = periods.periods("month", date(2026, 12, 31))
    assert c == Period(date(2026, 11, 1), date(2026, 12, 1))
    p, c = periods.periods("week", date(2026, 12, 9))  # Wednesday: Monday to Wednesday of the week before
    assert c == Period(date(2026, 11, 30), date(2026, 12, 3))


def test_a_custom_range_of_whole_months_is_compared_with_as_many_months_before():
    nov = periods.periods("custom", DAY, start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert nov == (Period(date(2026, 11, 1), date(2026, 12, 1)), Period(date(2026, 10, 1), date(2026, 11, 1)))
    q = periods.periods("custom", DAY, start=date(2026, 7, 1), end=date(2026, 9, 30))
    assert q[1] == Period(date(2026, 4, 1), date(2026, 7, 1))
    mid = periods.periods("custom", DAY, start=date(2026, 11, 10), end=date(2026, 11, 19))
    assert mid[1] == Period(date(2026, 10, 31), date(2026, 11, 10))  # ten days just before


def test_same_days_a_year_before_and_29_february():
    p, c = periods.periods("today", date(2028, 2, 29), "yoy")
    assert c == Period(date(2027, 2, 28), date(2027, 3, 1))
    p, c = periods.periods("last_month", DAY, "yoy")
    assert c == Period(date(2025, 11, 1), date(2025, 12, 1))


@pytest.mark.parametrize("day", [date(2027, 1, 1), date(2026, 12, 31), date(2026, 12, 1), date(2024, 2, 29)])
def test_every_range_on_the_edges_of_months_and_years(day):
    for rng in periods.RANGES[:-1]:
        n = named(rng, day)
        prev = comparison(n)
        assert n.period.start <= day < n.period.end or not n.to_date
        assert prev.end <= n.period.start and prev.start < prev.end
        assert comparison(n, "yoy").start.year == n.period.start.year - 1


def test_old_links_keep_their_meaning_and_a_bad_range_is_refused():
    assert named("this_month", DAY).period == named("month", DAY).period
    with pytest.raises(ValueError, match="unknown range"):
        named("fortnight", DAY)
    with pytest.raises(ValueError, match="custom"):
        named("custom", DAY, date(2026, 2, 1), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("start", "end", "grain"),
    [("2026-12-07", "2026-12-08", "day"), ("2026-11-08", "2026-12-08", "day"), ("2026-10-01", "2026-12-08", "week"),
     ("2025-12-08", "2026-12-08", "month")],
)  # fmt: skip
def test_trends_follow_the_period(start, end, grain):
    assert periods.grain(Period(date.fromisoformat(start), date.fromisoformat(end))) == grain


def test_partial_buckets_are_cut_by_the_period_or_hold_today():
    p = Period(date(2025, 12, 8), date(2026, 12, 8))
    assert periods.partial(p, "month", DAY) == {date(2025, 12, 1), date(2026, 12, 1)}
    whole = Period(date(2026, 1, 1), date(2026, 12, 1))
    assert periods.partial(whole, "month", DAY) == set()
    week = Period(date(2026, 11, 30), date(2026, 12, 8))
    assert periods.partial(week, "day", DAY) == {DAY}
    assert periods.buckets(Period(date(2026, 10, 1), date(2026, 10, 15)), "week")[0] == date(2026, 9, 28)


def test_the_last_complete_day():
    assert periods.last_complete_day(datetime(2026, 12, 7, 8, 30)) == date(2026, 12, 6)
    assert periods.last_complete_day(datetime(2026, 12, 7, 23, 59, 59)) == date(2026, 12, 7)
    assert periods.last_complete_day(date(2026, 12, 7)) == date(2026, 12, 7)
