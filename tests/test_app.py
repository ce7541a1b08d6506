"""Pages with Streamlit's AppTest against the test store."""

from __future__ import annotations

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.settings import PROJECT_ROOT

APP = str(PROJECT_ROOT / "streamlit_app.py")


def _run(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def test_overview_lists_the_seven_places_from_postgres(engine):
    at = _run()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "示范地区一览"
    table = at.dataframe[0].value
    assert len(table) == 7
    row = table.set_index("区划代码").loc["430602"]
    with engine.connect() as conn:
        grids = conn.execute(sa.text("SELECT count(*) FROM grid WHERE district_code = '430602'")).scalar()
        compounds = conn.execute(sa.text("SELECT count(*) FROM compound WHERE district_code = '430602'")).scalar()
    assert row["网格"] == grids and row["小区"] == compounds
    cards = [m.value for m in at.markdown]
    assert sum("岳阳楼区" in c for c in cards) == 1
    assert len(at.metric) == 4 * 7


def test_overview_in_english(engine):
    at = _run("en")
    assert not at.exception
    assert at.title[0].value == "Places at a glance"
    assert "Grids" in at.dataframe[0].value.columns
