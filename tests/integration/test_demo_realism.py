"""The demo ages like a real 12345 / grid system (issue 15): open cases are days to weeks late, the few that
stay open long are formally suspended (挂账) with a date and a reason, and every overdue figure counts the same
set."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import data
from dashboard import screen as sc
from data_access import clock
from data_access.reads import issues
from data_access.scope import Period, Scope


@pytest.fixture(scope="module")
def at(engine):
    return clock.as_of()


def test_no_case_stays_open_for_months_unless_suspended(engine, at):
    with engine.connect() as conn:
        issues, open_old, suspended, bad = conn.execute(
            sa.text(
                "SELECT count(*), "
                "count(*) FILTER (WHERE closed_at IS NULL AND suspended_at IS NULL "
                "AND reported_at < :at - interval '180 days'), "
                "count(*) FILTER (WHERE suspended_at IS NOT NULL), "
                "count(*) FILTER (WHERE suspended_at IS NOT NULL AND (suspend_reason = '' OR suspended_at < due_at)) "
                "FROM issue"
            ),
            {"at": at},
        ).one()
        late = conn.execute(
            sa.text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM :at - due_at) / 86400) "
                "FROM issue WHERE closed_at IS NULL AND suspended_at IS NULL AND due_at <= :at"
            ),
            {"at": at},
        ).scalar()
    assert open_old == 0
    assert 0 < suspended < 0.01 * issues  # a small share, each with its reason, suspended after its limit
    assert bad == 0
    assert late < 30  # the median overdue case is days to weeks late, not years


def test_every_district_counts_the_same_overdue_cases_on_the_kpi_the_backlog_and_the_screen(engine, at):
    month = Period(at.date() - timedelta(days=29), at.date() + timedelta(days=1))  # the screen's 30 days
    with engine.connect() as conn:
        districts = [r[0] for r in conn.execute(sa.text("SELECT code FROM district ORDER BY code"))]
    read = data.direct(engine)
    for code in districts:
        kpi = int(issues.issue_kpis(engine, Scope("district", code), month, at)["overdue_open"].iloc[0])
        backlog = int(issues.backlog_by_age(engine, Scope("district", code), at)["overdue"].sum())
        shown = int(sc.snapshot(read, code, at)["kpis_30"]["overdue_open"].iloc[0])
        assert kpi == backlog == shown, code
        raw = int(issues.issue_kpis(engine, Scope("district", code), month, at, raw=True)["overdue_open"].iloc[0])
        assert raw == kpi, code


# What a resident or a grid worker did (not deadlines, which lie ahead): none after the moment the demo was built.
EVENTS = {
    "issue": ("reported_at", "accepted_at", "registered_at", "dispatched_at", "handled_at", "verified_at", "closed_at",
              "evaluated_at", "suspended_at"),
    "policy_notice": ("sent_at",),
    "notice_delivery": ("reached_at",),
    "volunteer_activity": ("activity_date",),
    "point_redemption": ("redeemed_on",),
    "volunteer": ("registered_on",),
    "resident_question": ("raised_on", "answered_on"),
    "joint_project": ("started_on", "finished_on"),
    "in_service_registration": ("registered_on",),
}  # fmt: skip


def test_nothing_happens_after_the_moment_the_demo_was_built(engine):
    from data_access.meta import demo_moment

    with engine.connect() as conn:
        built = demo_moment(conn)
        assert built == clock.now()  # the tests' pinned clock
        for table, columns in EVENTS.items():
            for col in columns:
                late = conn.execute(sa.text(f"SELECT max({col}) FROM {table}")).scalar()
                late = late if late is None or hasattr(late, "hour") else pd.Timestamp(late).to_pydatetime()
                assert late is None or late <= built, f"{table}.{col}: {late} after the build at {built}"
