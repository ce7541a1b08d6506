"""The practices of migration 0019 as the pages show them: property fees on /property, responsibility zones and
the registry and policy notices on /organization, the micro-grid layouts before and after a reform on /map; a
point placed on the layout of its day; the new tables behind row-level security. In Chromium: tests/e2e/test_browser.py
(test_the_practices_in_chromium)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import shapely
import sqlalchemy as sa

from data_access import clock
from data_access.engine import acting, app_engine
from data_access.importing import load
from data_access.reads import organisation, places
from data_access.scope import Scope
from tests.integration.test_pages import metric, run

JIANGHAN, TAIHE, CHUANSHAN = "420103", "210711", "510903"


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def _metric_text(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label.endswith(label) or f"[{label}]" in m.label)


def test_property_shows_the_fee_collection_rate_and_the_takeovers(engine):
    at = run("property", scope=JIANGHAN)
    assert not at.exception and not at.error
    last = _scalar(engine, "SELECT max(year) FROM property_fee WHERE district_code = :d", d=JIANGHAN)
    rate = _scalar(
        engine,
        "SELECT 100 * sum(collected) / sum(billed) FROM property_fee WHERE district_code = :d AND year = :y",
        d=JIANGHAN,
        y=last,
    )
    assert _metric_text(at, "物业费收缴率") == f"{float(rate):.1f}%"
    takeover = next(df for df in at.dataframe if "接管前一年" in df.value.iloc[:, 0].tolist())
    sides = takeover.value.set_index(takeover.value.columns[0])
    assert sides.loc["接管当年"].iloc[-1] > sides.loc["接管前一年"].iloc[-1]  # the rate rose after the takeover


def test_organization_shows_zones_registry_and_notices(engine):
    at = run("organization", scope=TAIHE)
    assert not at.exception and not at.error
    assert metric(at, "党员责任区") == 87
    entered = _scalar(
        engine, "SELECT sum(houses_entered + people_entered) FROM housing_registry WHERE district_code = :d", d=TAIHE
    )
    assert metric(at, "已录入房屋人口信息(条)") == entered
    assert any("暂无政策传达记录" in i.value for i in at.info)  # 太和区 sends no notices in the demo
    at = run("organization", scope=CHUANSHAN)
    assert not at.exception and not at.error
    assert _metric_text(at, "政策传达时效") == "1.5 小时"


def test_map_compares_the_layouts_before_and_after_the_reform():
    at = run("map", scope=CHUANSHAN)
    assert not at.exception and not at.error
    layouts = next(df.value for df in at.dataframe if "现行布局" in df.value.iloc[:, 0].tolist())
    units = dict(zip(layouts.iloc[:, 0], layouts["单元数"]))
    assert units == {"现行布局": 1072, "调整前布局": 446}
    assert run("map", scope="430602").dataframe  # a district never re-divided: no comparison table
    assert not any("现行布局" in df.value.iloc[:, 0].tolist() for df in run("map", scope="430602").dataframe)


def test_a_point_is_placed_on_the_micro_grid_of_its_day(engine):
    with engine.connect() as conn:
        day = _scalar(engine, "SELECT max(valid_to) FROM micro_grid WHERE district_code = :d", d=CHUANSHAN)
        old = conn.execute(
            sa.text(
                "SELECT code, centroid_lon, centroid_lat FROM micro_grid "
                "WHERE valid_to IS NOT NULL AND district_code = :d ORDER BY code LIMIT 1"
            ),
            {"d": CHUANSHAN},
        ).one()
        units = load._units(conn, "micro_grid", {CHUANSHAN})
    # The old unit's own point (inside one of today's micro-grids that it was made of).
    pt = shapely.points([old.centroid_lon, old.centroid_lon], [old.centroid_lat, old.centroid_lat])
    inside = shapely.contains_xy(units.loc[old.code, "g"], old.centroid_lon, old.centroid_lat)
    if not inside:  # a centroid outside a multipolygon: a point of the unit instead
        p = shapely.point_on_surface(units.loc[old.code, "g"])
        pt = shapely.points([p.x, p.x], [p.y, p.y])
    days = np.array([day - timedelta(days=1), day], dtype="datetime64[D]")
    before, after = load._locate(units, pt, days)
    assert before == old.code
    assert after != old.code and after is not None and len(after) == 17  # today's micro-grid there
    assert load._locate(units, pt[1:])[0] == after  # no day given: today's layout


def test_a_street_sees_the_notices_of_its_district_and_the_map_compares_only_re_divided_districts(engine):
    with acting(f"{CHUANSHAN}001"), app_engine().connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM policy_notice")).scalar() > 0
        assert conn.execute(sa.text("SELECT count(DISTINCT district_code) FROM policy_notice")).scalar() == 1

    with engine.connect() as conn:
        at = clock.as_of()
    whole = places.layouts(engine, Scope(), at)  # every district: only 船山区 was re-divided
    assert whole["units"].tolist() == [1072, 446]
    street = organisation.notice_delivery(engine, Scope("street", f"{CHUANSHAN}001"))
    assert set(street["side"]) == {"before", "after"} and (street["deliveries"] > 0).all()


def test_the_practice_tables_are_read_within_the_area_only():
    with acting(CHUANSHAN), app_engine().connect() as conn:
        for table in ("property_fee", "housing_registry", "responsibility_zone", "notice_delivery", "policy_notice"):
            seen = conn.execute(sa.text(f"SELECT DISTINCT district_code FROM {table}")).scalars().all()
            assert set(seen) <= {CHUANSHAN}, table
        assert conn.execute(sa.text("SELECT count(*) FROM notice_delivery")).scalar() > 0
        assert conn.execute(sa.text("DELETE FROM policy_notice")).rowcount == 0  # a reader deletes nothing
        conn.rollback()


def test_projects_service_items_and_questions_on_their_pages(engine, last_12_months):
    a, b = last_12_months
    at = run("organization", scope=JIANGHAN)
    assert not at.exception and not at.error
    started = "district_code = :d AND started_on >= :a AND started_on < :b"
    assert metric(at, "共建项目") == _scalar(
        engine, f"SELECT count(*) FROM joint_project WHERE {started}", d=JIANGHAN, a=a, b=b
    )
    done = _scalar(
        engine,
        f"SELECT 100.0 * count(*) FILTER (WHERE status = 'done') / count(*) FROM joint_project WHERE {started}",
        d=JIANGHAN,
        a=a,
        b=b,
    )
    assert _metric_text(at, "共建项目完成率") == f"{float(done):.1f}%"
    listing = next(df.value for df in at.dataframe if "共建单位" in df.value.columns)
    assert listing["启动日期"].is_monotonic_decreasing  # the latest first
    at = run("stations", scope=JIANGHAN)
    assert not at.exception and not at.error
    distinct = _scalar(engine, "SELECT count(DISTINCT name) FROM service_item WHERE district_code = :d", d=JIANGHAN)
    assert metric(at, "服务事项(项)") == distinct
    at = run("issues", scope=JIANGHAN)
    assert not at.exception and not at.error
    raised = "district_code = :d AND raised_on >= :a AND raised_on < :b"
    n = _scalar(engine, f"SELECT count(*) FROM resident_question WHERE {raised}", d=JIANGHAN, a=a, b=b)
    assert metric(at, "征集群众关心问题") == n > 0


def test_whole_wuhan_community_workers_team_kinds_and_frequent_topics(engine, last_12_months):
    """武汉市 (all 13 districts): community workers against residents on /organization, teams by kind on
    /volunteers, the frequent topics of the period on /issues, each as the raw rows give them."""
    from data_access import indicators

    wuhan = "district_code LIKE '4201%'"
    at = run("organization", scope="420100")
    assert not at.exception and not at.error
    workers = _scalar(engine, f"SELECT count(*) FROM grid_worker WHERE {wuhan} AND role = 'community_worker'")
    residents = _scalar(engine, f"SELECT sum(residents) FROM community WHERE {wuhan}")
    assert metric(at, "社区工作者") == workers == 21294
    assert _metric_text(at, "社区工作者配备") == f"{10000 * workers / residents:.1f}" == "18.0"
    at = run("volunteers", scope="420100")
    assert not at.exception and not at.error
    assert metric(at, "专业服务团队") == 8015 and metric(at, "邻里服务队") == 6443
    a, b = last_12_months
    frequent = _scalar(
        engine,
        f"SELECT count(*) FROM (SELECT topic FROM resident_question WHERE {wuhan} AND raised_on >= :a "
        "AND raised_on < :b GROUP BY topic HAVING count(*) >= :n) t",
        a=a,
        b=b,
        n=indicators.FREQUENT_TOPIC,
    )
    at = run("issues", scope="420100")
    assert not at.exception and not at.error
    assert metric(at, f"高频问题（≥{indicators.FREQUENT_TOPIC}次）") == frequent > 0
