"""Every page with Streamlit's AppTest at city, district, street and community scope.

Each run asserts no exception, no error box, and one KPI equal to a value computed
independently in SQL for that scope of the demo data.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access import clock
from data_access.settings import PROJECT_ROOT
from tests.apptest import app_test

APP = str(PROJECT_ROOT / "streamlit_app.py")
SCOPES = {"city": "420100", "district": "430602", "street": "430602001", "community": "430602001001"}
COLUMN = {"city": None, "district": "district_code", "street": "street_code", "community": "community_code"}


def run(page: str, user: str = "city", **params) -> AppTest:
    at = app_test(user)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def metric(at: AppTest, label: str) -> float:
    for m in at.metric:
        if m.label == label:
            return float(m.value.replace(",", ""))
    raise AssertionError(f"no KPI {label!r}; have {[m.label for m in at.metric]}")


def _where(level: str, alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    if level == "city":
        return f"{a}district_code IN (SELECT code FROM district WHERE city_code = :c)"
    return f"{a}{COLUMN[level]} = :c"


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


EXPECTED = {
    # page: (KPI label, SQL over the scope)
    "overview": ("上报事件", "SELECT count(*) FROM issue WHERE {w} AND reported_at >= :a AND reported_at < :b"),
    "issues": ("上报事件", "SELECT count(*) FROM issue WHERE {w} AND reported_at >= :a AND reported_at < :b"),
    "organization": ("小区/网格党支部", "SELECT count(*) FROM party_org WHERE {w} AND level = 'branch'"),
    "stations": ("服务阵地数", "SELECT count(*) FROM service_station WHERE {w}"),
    "volunteers": ("注册志愿者", "SELECT count(*) FROM volunteer WHERE {w} AND registered_on < :b"),
    "property": ("物业企业", "SELECT count(DISTINCT property_company_id) FROM compound WHERE {w}"),
}


@pytest.mark.parametrize("level", list(SCOPES))
@pytest.mark.parametrize("page", list(EXPECTED))
def test_page_kpi_matches_sql(engine, last_12_months, page, level):
    at = run(page, scope=SCOPES[level])
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    label, sql = EXPECTED[page]
    a, b = last_12_months
    expected = _scalar(engine, sql.format(w=_where(level)), c=SCOPES[level], a=a, b=b)
    assert expected > 0
    assert metric(at, label) == expected


def test_whole_store_overview_lists_every_district(engine):
    at = run("overview")
    assert not at.exception and not at.error
    cards = [m.value for m in at.markdown]
    for name in ["江汉区", "武昌区", "襄城区", "太和区", "船山区", "新罗区", "岳阳楼区", "江岸区", "新洲区"]:
        assert sum(name in c for c in cards) == 1, name
    places = at.dataframe[-1].value
    assert len(places) == 18  # the seven seed districts and the rest of Wuhan


def test_breadcrumb_names_the_path(engine):
    at = run("issues", scope="430602001")
    labels = [b.label for b in at.button]
    assert labels[0] == "全部地区"
    assert "› 岳阳市" in labels and "› 岳阳楼区" in labels
    street = _scalar(engine, "SELECT name FROM street WHERE code = '430602001'")
    assert f"› {street}" in labels


def test_breadcrumb_goes_back_up(engine):
    at = run("issues", scope="430602001")
    next(b for b in at.button if b.label == "› 岳阳楼区").click().run()
    assert at.query_params["scope"] == "430602"


def test_english_switch(engine):
    at = run("issues", lang="en", scope="430602")
    assert not at.exception
    assert at.title[0].value == "Issue handling"
    assert any(m.label == "Issues reported" for m in at.metric)


def test_grid_scope_without_volunteer_data_shows_empty_state(engine):
    with engine.connect() as conn:
        grid = conn.execute(sa.text("SELECT code FROM grid WHERE district_code = '430602' LIMIT 1")).scalar()
    at = run("volunteers", scope=grid)
    assert not at.exception and not at.error
    assert len(at.info) == 1 and "没有数据" in at.info[0].value


@pytest.mark.parametrize(
    "params",
    [
        {"scope": "abc"},
        {"scope": "999999999"},
        {"range": "forever"},
        {"range": "custom", "from": "2025-13-01", "to": "x"},
        {"scope": "4306'; DROP TABLE issue; --"},
        {"cmp": "<script>"},
    ],
)
def test_bad_url_parameters_fall_back_or_show_empty_state(engine, params):
    at = run("overview", **params)
    assert not at.exception
    assert not at.error
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM issue")).scalar() > 0


def test_time_range_and_comparison_in_the_url(engine):
    at = run("issues", scope="430602", range="year", cmp="yoy")
    assert not at.exception
    caption = at.caption[0].value
    year = _scalar(engine, "SELECT value FROM store_meta WHERE key = 'demo_as_of'")[:4]
    assert caption.startswith(f"统计期 {year}-01-01")  # on 1 January, that day alone
    assert f"同比 {int(year) - 1}-01-01" in caption


def test_an_error_shows_a_reference_not_a_traceback(engine, monkeypatch, caplog):
    from dashboard import data

    def broken(*args, **kwargs):
        raise RuntimeError("secret connection string postgres://user:pw@db")

    monkeypatch.setitem(data.READERS, "backlog_by_age", broken)
    at = run("issues", scope="420103")
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "编号" in message and "secret" not in message and "Traceback" not in message
    assert any("page error" in r.getMessage() for r in caplog.records)


def test_the_ranking_of_units_is_worst_first_with_ranks_and_the_sort_switches(engine):
    at = run("issues", scope=SCOPES["district"])
    assert not at.exception

    def units():
        return next(d.value for d in at.dataframe if "名次" in d.value.columns and "按期结案率%" in d.value.columns)

    df = units()
    ranked = df[df["名次"].notna()]
    assert len(ranked) >= 6 and list(ranked["名次"]) == list(range(1, len(ranked) + 1))
    rates = list(ranked["按期结案率%"])
    assert rates == sorted(rates) and rates[0] < rates[-1]  # worst first
    assert list(ranked["红黑榜"].iloc[:3]) == ["黑榜"] * 3 and list(ranked["红黑榜"].iloc[-3:]) == ["红榜"] * 3
    at.selectbox(key="issues_units_sort").set_value("name").run()
    by_name = units()
    assert by_name["名次"].isna().all() and sorted(by_name["名称"]) == sorted(df["名称"])


def test_a_link_with_unusable_custom_dates_says_what_it_shows(engine):
    at = run("overview", scope=SCOPES["district"], range="custom", **{"from": "2025-13-01", "to": "x"})
    assert not at.exception
    assert any("自定义日期无效" in w.value for w in at.warning)


def test_a_hostile_range_is_clamped_to_the_data_without_an_error(engine):
    """/?range=custom&from=1900-01-01&to=2999-12-31 crashed the sidebar (no way to sign out): issue 16."""
    from dashboard.state import FIRST_DAY

    at = run("overview", scope=SCOPES["district"], range="custom", **{"from": "1900-01-01", "to": "2999-12-31"})
    assert not at.exception and not at.error
    start, end = at.date_input[0].value
    assert start == FIRST_DAY and FIRST_DAY < end <= clock.today()
    assert any(b.label == "退出登录" for b in at.sidebar.button)


def test_stock_counts_show_no_change_against_an_earlier_period(engine):
    """超期未结 and 挂账 are counted at the data time: no delta; a rate's change is in 个百分点."""
    at = run("issues", scope=SCOPES["district"])
    cards = {m.label.split("[")[-1].rstrip("]"): m for m in at.metric}
    assert cards["超期未结"].delta in (None, "") and cards["挂账"].delta in (None, "")
    assert "个百分点" in (cards["按期结案率"].delta or "")
