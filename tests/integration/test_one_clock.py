"""One clock on every page: at the pinned moment (the test store's build moment, any hour of any day), the wall
screen's 今日 counts and the stocks 超期未结 and 挂账 on the screen and /issues are what SQL counts at that moment, and
上月 is compared with 前月 by the overview, /issues, the briefing and the API alike."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta

import sqlalchemy as sa

from data_access import clock, indicators, periods
from data_access.reads import issues
from data_access.scope import Scope
from documents import briefing
from tests.integration.test_indicator_pages import cards, run, screen_card

SCOPE = "430602"


def _sql(engine, where: str, at: datetime) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(f"SELECT count(*) FROM issue i WHERE i.district_code = :d AND {where}"), {"d": SCOPE, "at": at}
        ).scalar()


def _written(n: int) -> str:
    return f"{n:,}"


def test_today_and_the_stocks_agree_with_sql_at_the_moment(engine):
    at, now = clock.as_of(), clock.now()
    midnight = datetime.combine(at.date(), datetime.min.time())
    with engine.connect() as conn:
        future = conn.execute(sa.text("SELECT count(*) FROM issue WHERE reported_at > :n"), {"n": now}).scalar()
    assert future == 0  # the demo holds nothing after the moment it was built
    reported = _sql(engine, f"i.reported_at >= '{midnight.isoformat()}' AND i.reported_at <= :at", at)
    closed = _sql(engine, f"i.reported_at >= '{midnight.isoformat()}' AND i.closed_at <= :at", at)
    overdue = _sql(engine, indicators.condition(indicators.OVERDUE, "i"), at)
    held = _sql(engine, f"i.closed_at IS NULL AND {indicators.condition(indicators.SUSPENDED, 'i')}", at)
    screen = run("screen", scope=SCOPE)
    assert screen_card(screen, "上报事件（今日）")[1] == _written(reported)
    assert screen_card(screen, "今日上报已结案")[1] == _written(closed)
    assert screen_card(screen, "超期未结")[1] == _written(overdue)
    text = " ".join(m.value for m in screen.markdown)
    assert (f"另有挂账 {_written(held)} 件" in text) == bool(held)
    assert f"读取于 {now:%H:%M}" in text and "数据更新于" in text
    for rng in (periods.DEFAULT_RANGE, "today", "last_month"):  # the stocks whatever the period
        found = cards(run("issues", scope=SCOPE, range=rng))
        assert found["超期未结"][1] == _written(overdue), rng
        assert found["挂账"][1] == _written(held), rng


def _caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("统计期"))


def test_last_month_is_compared_with_the_month_before_on_every_page(engine):
    at = clock.as_of()
    month, before = periods.periods("last_month", at.date())
    assert month.start.day == 1 and before.end == month.start and before.start.day == 1
    span = f"{month.start} 至 {month.end - timedelta(days=1)}，环比 {before.start} 至 {before.end - timedelta(days=1)}"
    row = issues.issue_kpis(engine, Scope.from_code(SCOPE), month, at).iloc[0]
    for page in ("overview", "issues"):
        shown = run(page, scope=SCOPE, range="last_month")
        assert span in _caption(shown), page
        assert cards(shown)["上报事件"][1] == _written(int(row["reported"])), page
    b = briefing.collect(engine, Scope.from_code(SCOPE), f"{month.start:%Y-%m}", at=at)
    assert (b.period.period, b.period.previous) == (month, before)
    assert b.counts["reported"] == row["reported"]


def test_the_header_says_when_the_figures_are_computed_and_when_the_data_last_changed(engine):
    caption = _caption(run("overview", scope=SCOPE, range="today"))
    day = clock.today()
    assert f"统计期 {day}，环比 {day - timedelta(days=1)}" in caption
    assert re.search(rf"统计时点 {clock.written(clock.as_of())}；数据更新于 \d{{4}}-\d\d-\d\d \d\d:\d\d", caption)
    assert "+00" not in caption and "UTC" not in caption


def test_the_tests_run_on_a_pinned_clock(engine):
    """The test store's clock is the moment its demo was built (tests/conftest.py)."""
    from data_access.meta import demo_moment

    with engine.connect() as conn:
        assert clock.now() == demo_moment(conn) == datetime.fromisoformat(os.environ["GGC_NOW"])
