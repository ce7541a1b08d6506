"""预警 (issue 20): an alert fires once when its condition starts, not again while it holds, clears when it ends, and
reaches a webhook receiver on loopback with the unit and the value; rules are checked with the line named; the
threshold rules agree with the catalogue read another way; imports evaluate; the page and the sidebar show them."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from dashboard import data
from data_access import alerts, clock, indicators
from data_access.meta import bump_data_version
from data_access.reads import issues
from data_access.scope import Scope
from data_access.settings import PROJECT_ROOT, get_settings
from tests.apptest import app_test
from tests.conftest import writable_copy
from tests.unit.test_alert_rules import REPEAT_RULE


@pytest.fixture
def copy(engine):
    with writable_copy("cockpit_test_alerts") as e:
        yield e


@pytest.fixture
def receiver():
    """A group robot's webhook on loopback: records each POST's JSON and answers errcode 0."""
    got: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append({"path": self.path, "json": json.loads(body), "type": self.headers["Content-Type"]})
            answer = b'{"errcode":0,"errmsg":"ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test", got
    server.shutdown()
    server.server_close()


def _quiet_compound(conn, at):
    """A compound, a category and three issues of its community reported in the last 30 days at other compounds
    (or none), none of them of that category there: the place the test makes a repeat request."""
    row = conn.execute(
        sa.text("""
            SELECT i.community_code, array_agg(i.code ORDER BY i.code) AS issues
            FROM issue i WHERE i.reported_at > :at - interval '25 days' AND i.reported_at <= :at
              AND i.compound_code IS NOT NULL
            GROUP BY 1 HAVING count(*) >= 4 ORDER BY 1 LIMIT 1"""),
        {"at": at},
    ).one()
    compound = conn.execute(
        sa.text("SELECT code, name FROM compound WHERE community_code = :c ORDER BY code LIMIT 1"),
        {"c": row.community_code},
    ).one()
    category = conn.execute(
        sa.text("""SELECT code, name FROM issue_category c WHERE length(code) = 6 AND NOT EXISTS (
                   SELECT 1 FROM issue i WHERE i.compound_code = :k AND i.category_code = c.code
                   AND i.reported_at > :at - interval '40 days') ORDER BY code LIMIT 1"""),
        {"k": compound.code, "at": at},
    ).one()
    return row.community_code, compound, category, row.issues[:4]


def _move(conn, issues, compound, category):
    conn.execute(sa.text("UPDATE issue SET compound_code = :k, category_code = :c WHERE code = ANY(:ids)"),
                 {"k": compound, "c": category, "ids": list(issues)})  # fmt: skip


def test_an_alert_fires_once_holds_quietly_clears_and_reaches_the_webhook(copy, receiver, tmp_path):
    url, got = receiver
    rules = alerts.parse(REPEAT_RULE.format(url=url, kind="wecom"))
    at = clock.as_of()
    with copy.connect() as conn:
        community, compound, category, issues = _quiet_compound(conn, at)
        original = conn.execute(
            sa.text("SELECT code, compound_code, category_code FROM issue WHERE code = ANY(:ids) ORDER BY code"),
            {"ids": issues},
        ).all()
    alerts.evaluate(copy, rules)  # the store's own firings of this rule, recorded before the test's
    got.clear()

    with copy.begin() as conn:
        _move(conn, issues[:2], compound.code, category.code)
    assert alerts.evaluate(copy, rules)["new"] == 0 and not _ours_for(copy, community, compound)

    with copy.begin() as conn:  # the third request in 30 days: the condition starts
        _move(conn, issues[2:3], compound.code, category.code)
    first = alerts.evaluate(copy, rules)
    mine = _ours_for(copy, community, compound)
    assert first["new"] >= 1 and len(mine) == 1 and mine[0].value == 3 and mine[0].cleared_at is None
    assert mine[0].delivered_at is not None
    assert len(got) == 1 and got[0]["type"].startswith("application/json")
    content = got[0]["json"]["markdown"]["content"]
    assert got[0]["json"]["msgtype"] == "markdown"
    assert compound.name in content.replace("\\", "") and category.name in content and "当前值 3件" in content

    with copy.begin() as conn:  # a fourth: the condition holds; no new firing, no new message, the value follows
        _move(conn, issues[3:4], compound.code, category.code)
    again = alerts.evaluate(copy, rules)
    mine = _ours_for(copy, community, compound)
    assert again["new"] == 0 and len(mine) == 1 and mine[0].last_value == 4 and mine[0].value == 3
    assert len(got) == 1

    with copy.begin() as conn:  # the requests moved back: the condition ends and the firing is cleared
        for code, k, c in original:
            _move(conn, [code], k, c)
    alerts.evaluate(copy, rules)
    mine = _ours_for(copy, community, compound)
    assert len(mine) == 1 and mine[0].cleared_at is not None
    assert alerts.evaluate(copy, rules)["new"] == 0 and len(_ours_for(copy, community, compound)) == 1
    assert len(got) == 1  # clearing is recorded, not posted


def _ours_for(engine, community, compound):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("""SELECT id, value, last_value, cleared_at, delivered_at FROM alert_event
                       WHERE rule = 'repeat_here' AND unit_code = :u AND subject LIKE :k ORDER BY id"""),
            {"u": community, "k": f"{compound.code}:%"},
        ).all()


def test_a_webhook_that_refuses_is_recorded_and_dingtalk_gets_its_shape(copy, receiver):
    url, got = receiver
    rules = alerts.parse(REPEAT_RULE.format(url=url, kind="dingtalk"))
    alerts.evaluate(copy, rules)
    if got:  # the store had repeat requests of its own: they were posted as one message, in DingTalk's shape
        body = got[0]["json"]
        assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
    bad = alerts.parse(REPEAT_RULE.format(url="http://127.0.0.1:9/nobody", kind="wecom"))
    with copy.begin() as conn:
        conn.execute(sa.text("UPDATE alert_event SET cleared_at = now()"))
    result = alerts.evaluate(copy, bad)
    assert result["new"] == 0 or result["delivered"] is False
    if result["new"]:
        with copy.connect() as conn:
            errors = conn.execute(sa.text("SELECT delivery_error FROM alert_event WHERE cleared_at IS NULL")).scalars()
            assert all(e and "URLError" in e for e in errors)


def test_the_threshold_rules_agree_with_the_catalogue_read_per_unit(engine):
    rules = alerts.load(alerts.RULES_FILE)
    at = clock.as_of()
    rule = rules.by_name["on_time_below_target"]
    fired = {f["unit_code"]: f for f in alerts.firings(engine, alerts.Rules((rule,)), at)}
    months = alerts._months(at, rule.periods)
    target = indicators.targets("on_time_rate", "street")[0]
    streets = _streets(engine, "430602")
    for code in streets:
        values = [issues.issue_kpis(engine, Scope.from_code(code), m, at).iloc[0] for m in months]
        breach = all(
            v["on_time_rate"] == v["on_time_rate"] and not indicators.small_sample("on_time_rate", v["due"])
            and v["on_time_rate"] < target
            for v in values
        )  # fmt: skip
        assert breach == (code in fired), code
        if breach:
            assert fired[code]["value"] == pytest.approx(values[0]["on_time_rate"])
            assert fired[code]["threshold"] == target


def _streets(engine, district):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT code FROM street WHERE district_code = :d ORDER BY code"),
                            {"d": district}).scalars().all()  # fmt: skip


def test_an_issues_import_evaluates_the_rules(copy, tmp_path):
    from data_access.importing.load import import_file

    report = import_file(copy, "issues", PROJECT_ROOT / "examples" / "issues-12345.csv", district="430602")
    assert report.loaded and report.alerts is not None and report.alerts["open"] >= 0
    assert "alerts:" in report.summary()


def test_the_alerts_page_lists_them_and_the_sidebar_counts_them(engine):
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM alert_event WHERE cleared_at IS NULL "
                                 "AND starts_with(unit_code, '430602')")).scalar()  # fmt: skip
    assert n > 0  # the demo's build evaluated the shipped rules
    at = app_test("district", timeout=180)
    at.switch_page("app_pages/alerts.py")
    at.run()
    assert not at.exception
    assert at.subheader[0].value == f"未解除 {n} 条"
    assert f"预警（{n}）" in [e.proto.label for e in at.get("page_link")]  # the sidebar's badge
    shown = at.dataframe[0].value
    assert len(shown) == n and set(shown["状态"]) == {"未解除"}
    titles = {r.title for r in alerts.load().rules}
    assert set(shown["规则"]) <= titles
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()


def test_admins_edit_the_rules_on_admin_checked_first(engine, tmp_path, monkeypatch):
    path = tmp_path / "rules.toml"
    shipped = alerts.RULES_FILE.read_text(encoding="utf-8")
    path.write_text(shipped, encoding="utf-8")
    monkeypatch.setenv("GGC_ALERT_RULES", str(path))
    get_settings.cache_clear()
    at = app_test("admin", timeout=180)
    at.switch_page("app_pages/admin.py")
    at.run()
    area = at.text_area(key="alert_rules_text")
    assert area.value == shipped
    area.set_value(shipped.replace('levels = ["community"]', 'levels = ["ward"]')).run()
    at.button(key="alert_rules_save").click().run()
    assert any("规则未保存" in e.value and "line " in e.value and "ward" in e.value for e in at.error)
    assert path.read_text(encoding="utf-8") == shipped  # nothing saved
    at.text_area(key="alert_rules_text").set_value(shipped.replace("above = 3", "above = 1000")).run()
    at.button(key="alert_rules_save").click().run()
    assert any("已保存 5 条规则" in s.value for s in at.success), [e.value for e in at.error]
    assert "above = 1000" in path.read_text(encoding="utf-8")
    with engine.connect() as conn:
        event = conn.execute(sa.text("SELECT detail FROM audit_log WHERE event = 'alert_rules' "
                                     "ORDER BY id DESC LIMIT 1")).scalar()  # fmt: skip
    assert event["rules"] == [r.name for r in alerts.load(path).rules]


def test_the_wall_screen_jumps_to_the_unit_of_a_fresh_alert_and_names_the_rule(engine):
    with engine.begin() as conn:  # one of the district's street alerts first seen a minute ago, the rest hours ago
        kept = conn.execute(sa.text("SELECT id, first_seen FROM alert_event")).all()
        conn.execute(sa.text("UPDATE alert_event SET first_seen = now() - interval '3 hours'"))
        row = conn.execute(sa.text("""
            UPDATE alert_event SET first_seen = now() - interval '1 minute' WHERE id = (
              SELECT id FROM alert_event WHERE cleared_at IS NULL AND unit_code LIKE '430602%'
              AND length(unit_code) >= 9 ORDER BY id LIMIT 1)
            RETURNING rule, unit_code""")).one()  # fmt: skip
        street = conn.execute(sa.text("SELECT name FROM street WHERE code = :c"), {"c": row.unit_code[:9]}).scalar()
        bump_data_version(conn, [])  # as an evaluation does: the store's version only, no district's
    data._versions.clear()  # this process read the versions within the last 5 s, perhaps (other tests): read them again
    try:
        at = app_test(timeout=120)
        at.query_params["scope"] = "430602"
        at.query_params["alert"] = "1"
        at.switch_page("app_pages/screen.py")
        at.run()
        assert not at.exception
        shown = " ".join(m.value for m in at.markdown)
        assert f"预警：{alerts.load().by_name[row.rule].title}" in shown
        assert street in shown  # the banner's place and the screen's own place line
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alert_event SET first_seen = :f WHERE id = :id"),
                         [{"f": f, "id": i} for i, f in kept])  # fmt: skip
