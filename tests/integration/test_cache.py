"""Cold is rare: a load renews the cached reads of the districts it changed, not every read of every user, and the
reads people made recently are made again in the background (dashboard.data.warm_once)."""

from __future__ import annotations

from data_access import clock, periods
from data_access.meta import bump_data_version, scope_version, versions
from tests.conftest import writable_copy


def test_a_load_into_one_district_moves_the_versions_of_its_places_only(engine):
    with engine.connect() as conn:
        before = versions(conn)
        moved = lambda after, code: scope_version(after, code) != scope_version(before, code)  # noqa: E731
        bump_data_version(conn, ["430602"])  # an import into 岳阳楼区
        after = versions(conn)
        assert [moved(after, c) for c in ("430602", "430602001", "430602001001", "430600", None)] == [True] * 5
        assert [moved(after, c) for c in ("420106", "420106001", "420100", "420600")] == [False] * 4
        bump_data_version(conn, [])  # alerts changed: the pages' reads stay
        alerts = versions(conn)
        assert scope_version(alerts, "430602") == scope_version(after, "430602") and alerts["*"] > after["*"]
        bump_data_version(conn)  # a rebuild: everything
        rebuilt = versions(conn)
        assert all(scope_version(rebuilt, c) > scope_version(alerts, c) for c in ("420106", "430602001", None))
        conn.rollback()


def test_reads_made_recently_are_made_again_after_a_load(engine):
    from dashboard import data
    from web import telemetry

    scope, at = "430602", clock.as_of()
    period = periods.period_of(periods.DEFAULT_RANGE, at.date())
    with writable_copy("cockpit_warm") as copy:
        data._recent.clear()
        data._remember("*", "issue_kpis", scope, (period, at))
        data._remember("*", "issue_kpis", "420106", (period, at))
        done: dict = {}
        assert data.warm_once(done) == 0  # first seen: made by the page itself
        with copy.begin() as conn:
            bump_data_version(conn, [scope])
        data._versions.clear()
        assert data.warm_once(done) == 1  # 岳阳楼区's read again, 武昌区's still cached
        misses = telemetry.CACHE_MISSES._value.get()
        ver = scope_version(data._versions("*"), scope)
        data._call("*", ver, "issue_kpis", scope, period, clock.as_of())
        assert telemetry.CACHE_MISSES._value.get() == misses  # warm: no read of the store
        assert data.warm_once(done) == 0
    data._recent.clear()
