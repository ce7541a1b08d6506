"""The read-only API /api/v1/ (issue 18): every endpoint for every role against the catalogue's own values, another
area refused, bad parameters named, an injection corpus that changes nothing, tokens revoked and audited, the
OpenAPI document. Against a real server (serve.py) on the test store."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from data_access import accounts, clock, indicators, periods, tokens
from data_access.periods import DEFAULT_RANGE, period_of
from data_access.reads import issues, organisation, places, stations
from data_access.scope import Scope
from tests.browser import streamlit_server
from web.api import ENDPOINTS

ROLES = {"city": None, "district": "430602", "street": "430602001", "community": "430602001001", "admin": None}
UNLIMITED = {"GGC_THROTTLE_PER_MIN": "1000000", "GGC_API_RATE_PER_MIN": "1000000"}


@pytest.fixture(scope="module")
def api(artifacts):
    with streamlit_server(artifacts / "streamlit-api.log", UNLIMITED) as url:
        yield f"{url}/api/v1"


@pytest.fixture(scope="module")
def token(engine):
    """A token for each demo account (issued by the admin), revoked at the end."""
    with engine.begin() as conn:
        issued = {name: tokens.issue(conn, name, "test", "admin") for name in ROLES}
    yield issued
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_token SET revoked_at = now() WHERE label = 'test'"))


def get(api, token, endpoint, **params):
    return requests.get(f"{api}/{endpoint}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _expected_indicators(engine, scope: Scope, rng: str) -> dict:
    at = clock.as_of()
    period = period_of(rng, at.date())
    values = {
        **issues.issue_kpis(engine, scope, period, at).iloc[0].to_dict(),
        **organisation.coverage_rates(engine, scope).iloc[0].to_dict(),
        "station_coverage": stations.walk_coverage(stations.station_coverage(engine, scope))["station_coverage"],
    }
    return {i.key: values[i.key] for i in indicators.INDICATORS if i.key in values}


def _close(got, expected, key) -> bool:
    if expected is None or expected != expected:
        return got is None
    decimals = 0 if indicators.get(key).kind == "count" else indicators.get(key).decimals
    return got == round(float(expected), decimals)


@pytest.mark.parametrize("role", list(ROLES))
def test_indicators_equal_the_catalogues_for_each_role(api, token, engine, role):
    area = ROLES[role]
    answer = get(api, token[role], "indicators", range="year")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["place"]["code"] == area
    expected = _expected_indicators(engine, Scope.from_code(area), "year")
    got = {row["key"]: row["value"] for row in body["indicators"]}
    assert set(got) == set(expected) and len(got) >= 30
    wrong = {k: (got[k], expected[k]) for k in expected if not _close(got[k], expected[k], k)}
    assert not wrong
    rows = {row["key"]: row for row in body["indicators"]}
    level = Scope.from_code(area).level
    rate = rows["on_time_rate"]
    assert rate["status"] == indicators.rag("on_time_rate", expected["on_time_rate"], level, rate["denominator"])
    assert rate["unit"] == "%" and rate["name"] == indicators.get("on_time_rate").zh


def test_periods_and_their_comparison_are_the_pages(api, token, engine):
    """上月 against 前月, 同比 against the same days a year before, as data_access.periods gives the pages; the as-of
    moment is wall time to the minute, without an offset."""
    at = clock.as_of()
    for rng, compare in (("last_month", "prev"), ("month", "yoy"), ("today", "prev")):
        body = get(api, token["district"], "indicators", scope="430602", range=rng, compare=compare).json()
        period, previous = periods.periods(rng, at.date(), compare)
        span = {"start": period.start.isoformat(), "end": (period.end - timedelta(days=1)).isoformat()}
        before = {"start": previous.start.isoformat(), "end": (previous.end - timedelta(days=1)).isoformat()}
        assert (body["period"], body["comparison"]) == (span, before), rng
        assert body["as_of"] == at.isoformat(timespec="minutes")
        reported = next(r["value"] for r in body["indicators"] if r["key"] == "reported")
        assert reported == issues.issue_kpis(engine, Scope.from_code("430602"), period, at)["reported"].iloc[0]
    bad = get(api, token["district"], "indicators", scope="430602", range="last_month", compare="mom")
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "compare"


def test_the_csv_is_the_json_as_a_table_that_excel_reads(api, token):
    as_json = get(api, token["district"], "indicators", scope="430602", range="month").json()["indicators"]
    answer = get(api, token["district"], "indicators", scope="430602", range="month", format="csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())  # a BOM: Excel and WPS read UTF-8 Chinese
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:5] == ["key", "name", "domain", "unit", "value"] and len(lines) == len(as_json) + 1
    reported = next(line for line in lines if line.startswith("reported,"))
    assert reported.split(",")[4] == str(next(r["value"] for r in as_json if r["key"] == "reported"))  # 21166


def test_the_ranking_is_the_child_units_worst_first_with_their_catalogue_values(api, token, engine):
    answer = get(api, token["district"], "ranking", scope="430602", indicator="closure_rate", range="12m")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["indicator"]["key"] == "closure_rate" and body["indicator"]["name"] == indicators.get("closure_rate").zh
    scope = Scope.from_code("430602")
    at = clock.as_of()
    df = issues.issue_by_child(engine, scope, period_of(DEFAULT_RANGE, at.date()), at).set_index("code")
    streets = places.children(engine, scope)
    units = body["units"]
    assert [u["code"] for u in units if u["code"]] and {u["code"] for u in units} == set(streets["code"])
    ranked = [u for u in units if u["rank"] is not None]
    assert all(_close(u["value"], df.loc[u["code"], "closure_rate"], "closure_rate") for u in ranked)
    values = [u["value"] for u in ranked]
    assert values == sorted(values) and ranked[0]["rank"] == 1  # worst (lowest) first
    assert [u["board"] for u in ranked[:3]] == ["black"] * 3 and ranked[-1]["board"] == "red"
    assert all(u["name"] and u["name"] != "结案率" for u in units)


def test_overdue_pages_follow_each_other_without_gaps_or_repeats(api, token, engine):
    first = get(api, token["district"], "overdue", scope="430602", limit=7).json()
    second = get(api, token["district"], "overdue", scope="430602", limit=7, after=first["next"]).json()
    at = clock.as_of()
    direct = issues.overdue_issues(engine, Scope.from_code("430602"), at, limit=14)
    assert [i["order_no"] for i in first["items"] + second["items"]] == direct["order_no"].tolist()
    assert len(first["items"]) == 7 and first["next"] and first["items"][0]["category"]
    english = get(api, token["district"], "overdue", scope="430602", limit=1, lang="en").json()["items"][0]
    assert english["category"] == direct.iloc[0]["category_en"]


def test_units_are_the_outlines_of_one_level_as_geojson(api, token, engine):
    answer = get(api, token["street"], "units", level="community")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/geo+json"
    body = answer.json()
    codes = sorted(f["properties"]["code"] for f in body["features"])
    expected = places.units(engine, "community", "430602001")["code"].tolist()
    assert body["type"] == "FeatureCollection" and codes == sorted(expected)
    lon, lat = body["features"][0]["geometry"]["coordinates"][0][0]
    assert 108 < lon < 125 and 20 < lat < 45  # WGS-84 degrees of the demo's cities
    grids = get(api, token["street"], "units", level="grid").json()["features"]
    assert all(f["properties"]["code"].startswith("430602001") and f["properties"]["level"] == "grid" for f in grids)


@pytest.mark.parametrize(
    "role, scope",
    [("district", "420103"), ("street", "430602"), ("street", "430602002"), ("community", "430602001002")],
)
def test_another_areas_place_is_refused_and_no_rows_leave(api, token, role, scope):
    for endpoint in ENDPOINTS:
        answer = get(api, token[role], endpoint, scope=scope)
        assert answer.status_code == 403, (endpoint, answer.text)
        assert set(answer.json()) == {"error"} and answer.json()["error"]["parameter"] == "scope"


BAD = [
    ("indicators", {"scope": "4306"}, "scope"),
    ("indicators", {"range": "fortnight"}, "range"),
    ("indicators", {"range": "custom", "from": "2026-13-01", "to": "2026-12-01"}, "from"),
    ("indicators", {"range": "custom", "from": "2026-02-01"}, "to"),
    ("indicators", {"range": "custom", "from": "2026-03-01", "to": "2026-02-01"}, "to"),
    ("indicators", {"format": "xlsx"}, "format"),
    ("indicators", {"lang": "fr"}, "lang"),
    ("indicators", {"limit": "5"}, "limit"),
    ("ranking", {"indicator": "station_coverage"}, "indicator"),
    ("ranking", {"scope": "430602001001001"}, "scope"),
    ("overdue", {"limit": "0"}, "limit"),
    ("overdue", {"limit": "501"}, "limit"),
    ("overdue", {"limit": "ten"}, "limit"),
    ("overdue", {"after": "not-a-cursor"}, "after"),
    ("units", {"level": "district"}, "level"),
    ("units", {"format": "csv"}, "format"),
]


@pytest.mark.parametrize("endpoint, params, parameter", BAD)
def test_a_bad_parameter_gets_400_naming_it(api, token, endpoint, params, parameter):
    answer = get(api, token["admin"], endpoint, **{"scope": "430602", **params})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["parameter"] == parameter and error["code"] in ("bad_parameter", "unknown_parameter")
    assert "Traceback" not in answer.text


def test_an_unknown_place_is_404_and_an_unknown_endpoint_too(api, token):
    assert get(api, token["admin"], "indicators", scope="430602999").status_code == 404
    answer = get(api, token["admin"], "nothing")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "no_such_endpoint"


INJECTIONS = [
    "430602' OR '1'='1",
    "430602; DROP TABLE issue; --",
    "1) UNION SELECT password_hash FROM app_user --",
    "'; UPDATE app_user SET role = 'admin' --",
    "430602\x00",
    "$$; SELECT pg_sleep(10); $$",
    "%' AND 1=1 --",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "../../etc/passwd",
]


def _fingerprint(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.text(f"SELECT count(*), md5(string_agg({col}::text, ',' ORDER BY {col})) FROM {table}")
            ).one()
            for table, col in (("issue", "code"), ("app_user", "username || role || area"), ("street", "code"))
        )


def test_an_injection_corpus_in_every_parameter_changes_nothing(api, token, engine):
    before = _fingerprint(engine)
    statuses = set()
    for endpoint, (_, params, _) in ENDPOINTS.items():
        for param in params:
            for payload in INJECTIONS:
                answer = get(api, token["district"], endpoint, **{param: payload})
                statuses.add(answer.status_code)
                assert answer.status_code in (400, 403), (endpoint, param, payload, answer.text)
                assert answer.json()["error"]["parameter"] in (param, "scope"), (endpoint, param, payload)
                assert "Traceback" not in answer.text and "password" not in answer.text
    assert _fingerprint(engine) == before and statuses <= {400, 403}


def test_without_a_valid_token_nothing_is_answered(api, token, engine):
    for headers in ({}, {"Authorization": "Bearer ggc_" + "x" * 40}, {"Authorization": "Basic Y2l0eTpkZW1v"}):
        answer = requests.get(f"{api}/indicators", headers=headers, timeout=30)
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
        assert set(answer.json()) == {"error"}
    with engine.begin() as conn:
        revoked = tokens.issue(conn, "street", "revoked", "admin")
        tokens.revoke(conn, conn.execute(sa.text("SELECT max(id) FROM api_token WHERE label = 'revoked'")).scalar())
        accounts.save_account(conn, "test", "api-disabled", "street", "430602001", password="a-good-password-1")
        disabled = tokens.issue(conn, "api-disabled", "disabled", "admin")
    assert get(api, disabled, "indicators").status_code == 200
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE app_user SET disabled = true WHERE username = 'api-disabled'"))
    try:
        assert get(api, revoked, "indicators").status_code == 401
        assert get(api, disabled, "indicators").status_code == 401  # at the next call
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM app_user WHERE username = 'api-disabled'"))


def test_every_use_is_audited_with_its_status(api, token, engine):
    with engine.connect() as conn:
        last = conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    get(api, token["street"], "indicators", range="month")
    get(api, token["street"], "indicators", scope="430602")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT username, event, detail FROM audit_log WHERE id > :i AND event = 'api' ORDER BY id"),
            {"i": last},
        ).all()
    mine = [(u, d["status"], d["path"]) for u, e, d in rows if u == "street"]
    assert mine == [("street", 200, "/api/v1/indicators"), ("street", 403, "/api/v1/indicators")]


def test_the_openapi_document_describes_every_endpoint_and_parameter(api):
    doc = requests.get(f"{api}/openapi.json", timeout=30).json()
    assert doc["openapi"].startswith("3.")
    for name, (_, params, _) in ENDPOINTS.items():
        operation = doc["paths"][f"/api/v1/{name}"]["get"]
        assert [p["name"] for p in operation["parameters"]] == list(params)
        assert {"200", "400", "401", "403", "404", "429"} <= set(operation["responses"])


def test_an_admin_issues_a_token_on_admin_shown_once_and_revokes_it(engine):
    from data_access.engine import transaction
    from tests.apptest import app_test

    at = app_test("admin")
    at.switch_page("app_pages/admin.py")
    at.run()
    at.selectbox(key="token_user").set_value("district")
    next(i for i in at.text_input if i.label == "用途说明").input("岳阳楼区大屏厂商")
    next(b for b in at.button if b.label == "签发令牌").click()
    at.run()
    assert not at.exception and not at.error
    shown = [c.value for c in at.code if c.value.startswith("ggc_")]
    assert len(shown) == 1 and tokens.username(shown[0]) == "district"
    listed = next(df.value for df in at.dataframe if "用途说明" in df.value.columns)
    assert (listed["用途说明"] == "岳阳楼区大屏厂商").sum() >= 1
    assert shown[0] not in listed.to_string()  # listed by its label and id, never by the token
    with engine.connect() as conn:
        stored = (
            conn.execute(sa.text("SELECT token_hash FROM api_token WHERE label = '岳阳楼区大屏厂商'")).scalars().all()
        )
    assert shown[0] not in stored and all(len(h) == 64 for h in stored)
    at.run()  # the next run shows it no more
    assert not [c for c in at.code if c.value.startswith("ggc_")]
    with transaction("430602", "district", "district") as conn:  # not an admin: issues and revokes nothing
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            tokens.issue(conn, "district", "mine", "district")
    with transaction("", "admin", "admin") as conn:
        token_id = conn.execute(sa.text("SELECT max(id) FROM api_token WHERE label = '岳阳楼区大屏厂商'")).scalar()
        assert tokens.revoke(conn, token_id) == 1
    assert tokens.username(shown[0]) is None
