"""Figure builders on small explicit frames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts
from dashboard import formats as formats_module
from dashboard.widgets import header
from data_access import indicators


def test_trend_with_rate_axis():
    df = pd.DataFrame(
        {
            "month": pd.date_range("2026-01-01", periods=3, freq="MS"),
            "reported": [10, 12, 9],
            "rate": [90.0, 95.0, 97.5],
        }
    )
    fig = charts.trend(df, "month", {"reported": "上报"}, "趋势", rate_series={"rate": "按期率"})
    assert [tr.name for tr in fig.data] == ["上报", "按期率"]
    assert list(fig.data[0].y) == [10, 12, 9] and fig.data[1].yaxis == "y2"
    assert fig.layout.title.text == "趋势"


def test_ranking_bar_sorts_and_colours_by_rag():
    df = pd.DataFrame(
        {
            "name": ["甲", "乙", "丙"],
            "rate": [97.0, 85.0, 92.0],
            "rag": ["green", "red", "amber"],
            "code": ["1", "2", "3"],
        }
    )
    fig = charts.ranking_bar(df, "name", "rate", "rag", code="code")
    bar = fig.data[0]
    assert list(bar.y) == ["乙", "丙", "甲"]
    assert list(bar.marker.color) == [
        charts.RAG_COLOURS["red"],
        charts.RAG_COLOURS["amber"],
        charts.RAG_COLOURS["green"],
    ]
    assert list(bar.customdata) == ["2", "3", "1"]


def test_names_from_the_data_reach_plotly_as_text_not_markup():
    """An imported name is shown as written: plotly reads <b> and <a href> in labels, and shows entities as the
    characters."""
    df = pd.DataFrame({"name": ['<a href="https://x.example">停车</a>', "A&B"], "n": [2, 1]})
    assert list(charts.ranking_bar(df, "name", "n").data[0].y) == [
        "A&amp;B",
        '&lt;a href="https://x.example"&gt;停车&lt;/a&gt;',
    ]
    assert list(charts.donut(df, "name", "n").data[0].labels)[1] == "A&amp;B"


def test_funnel_and_donut():
    df = pd.DataFrame({"stage": ["上报", "受理", "结案"], "count": [100, 95, 90]})
    assert isinstance(charts.funnel(df, "stage", "count").data[0], go.Funnel)
    pie = charts.donut(df, "stage", "count").data[0]
    assert isinstance(pie, go.Pie) and list(pie.values) == [100, 95, 90]


def test_hierarchy_sunburst_sums_leaves():
    df = pd.DataFrame({"l1": ["环境", "环境", "物业"], "l2": ["卫生", "秩序", "服务"], "n": [3, 2, 5]})
    fig = charts.hierarchy(df, ["l1", "l2"], "n")
    values = dict(zip(fig.data[0].ids, fig.data[0].values))
    assert values["环境"] == 5 and values["物业"] == 5


def test_calendar_heatmap_is_seven_rows_by_weeks():
    daily = pd.DataFrame({"day": pd.date_range("2026-01-05", periods=21, freq="D"), "n": range(21)})
    fig = charts.calendar_heatmap(daily, "day", "n")
    z = fig.data[0].z
    assert len(z) == 7 and len(z[0]) == 3
    assert z[0][0] == 0 and z[6][2] == 20


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="missing columns \\['rate'\\]"):
        charts.ranking_bar(pd.DataFrame({"name": []}), "name", "rate")


def test_stacked_bars_and_histogram():
    df = pd.DataFrame({"bucket": ["0-1d", "1-3d"], "a": [1, 2], "b": [3, 4]})
    fig = charts.stacked_bars(df, "bucket", {"a": "甲", "b": "乙"})
    assert fig.layout.barmode == "stack" and len(fig.data) == 2
    assert isinstance(charts.histogram(pd.Series([1, 2, 3])).data[0], go.Histogram)


def test_a_long_table_shows_its_first_rows_and_says_so():
    """widgets.table: 250 rows (with a coloured column) show as 200, with a caption giving the total."""
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        from dashboard.widgets import table

        df = pd.DataFrame(
            {"name": [f"单位{i}" for i in range(250)], "closure_rate": [50.0 + i / 5 for i in range(250)]}
        )
        df["due"] = 100
        table(df, ["name", "closure_rate"], "long", "long_table", rag_columns=("closure_rate",), level="street")

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 200
    assert any("250" in c.value and "200" in c.value for c in at.caption)


def test_table_cells_take_the_catalogue_colour_and_small_samples_none():
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        from dashboard.widgets import table

        df = pd.DataFrame({"name": ["甲", "乙", "丙", "丁"], "closure_rate": [99.0, 91.0, 50.0, 50.0]})
        df["due"] = [100, 100, 100, 5]  # 丁: 5 cases, below the minimum
        table(df, ["name", "closure_rate"], "rag", "rag_table", rag_columns=("closure_rate",), level="street")

    at = AppTest.from_function(page, default_timeout=60).run()
    styles = at.dataframe[0].proto.arrow_data.styler.styles
    green, amber = indicators.targets("closure_rate", "street")
    assert 99.0 >= green and green > 91.0 >= amber > 50.0  # the cases below sit where the test says
    for row, css in ((0, "#d8f0dc"), (1, "#fbeccb"), (2, "#f8d3d3")):
        assert f"row{row}_col1 {{ background-color: {css} }}" in styles
    assert "row3_col1" not in styles


def test_a_table_without_colours_is_sent_as_it_is_with_the_formats_of_its_numbers():
    """No Styler where no cell is coloured (issue 21: it cost a quarter of a rerun): the browser writes the numbers,
    with thousands separators, one decimal for rates, none for years, and 数据缺失's mark for missing values."""
    import json

    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        from dashboard.widgets import table

        df = pd.DataFrame(
            {"name": ["甲", None], "reported": [12345, 7], "closure_rate": [91.25, None], "year": [2024, 2025]}
        )
        table(df, ["name", "reported", "closure_rate", "year"], "plain", "plain_table", pinned=("name",))

    at = AppTest.from_function(page, default_timeout=60).run()
    proto = at.dataframe[0].proto
    assert not proto.arrow_data.styler.styles and not proto.arrow_data.styler.display_values
    config = json.loads(proto.columns)
    formats = {name: c.get("type_config", {}).get("format") for name, c in config.items()}
    expected = {header("reported"): "%,d", header("closure_rate"): "%,.1f", header("year"): "%d"}
    assert expected.items() <= formats.items(), formats
    assert config[header("name")].get("pinned") is True
    assert proto.placeholder == formats_module.MISSING


def test_trend_marks_incomplete_months_and_starts_rates_near_the_data():
    months = pd.date_range("2026-09-01", periods=4, freq="MS")
    df = pd.DataFrame({"month": months.date, "reported": [100, 110, 105, 4], "rate": [93.0, 95.0, 99.5, 90.0]})
    fig = charts.trend(
        df,
        "month",
        {"reported": "上报"},
        rate_series={"rate": "按期率"},
        partial=[months[-1].date()],
        partial_label="不完整",
        month_format="%Y年%-m月",
    )
    solid, dashed, rate = fig.data
    assert list(solid.y[:3]) == [100, 110, 105] and pd.isna(solid.y[3])  # the one-day month is not on the line
    assert pd.isna(dashed.y[:2]).all() and list(dashed.y[2:]) == [105, 4]
    assert dashed.line.dash == "dash" and not dashed.showlegend
    assert [a.text for a in fig.layout.annotations] == ["不完整"]
    lo, hi = fig.layout.yaxis2.range
    assert 80 <= lo < 90 and hi >= 99.5  # not 0–100
    assert fig.layout.xaxis.tickformat == "%Y年%-m月"
    whole = charts.trend(df.iloc[:3], "month", {"reported": "上报"}, partial=[months[-1].date()], partial_label="x")
    assert len(whole.data) == 1 and not whole.layout.annotations


def test_year_axes_tick_on_whole_years_and_percent_bars_start_near_the_data():
    fig = charts.trend(pd.DataFrame({"year": [2023, 2024, 2025], "n": [1, 2, 3]}), "year", {"n": "受访"})
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"
    bars = pd.DataFrame({"name": ["甲", "乙"], "rate": [93.0, 99.5], "rag": ["amber", "green"]})
    lo, hi = charts.ranking_bar(bars, "name", "rate", "rag", percent=True).layout.xaxis.range
    assert 85 <= lo < 93 and hi > 99.5


def test_rankings_put_the_worst_first_and_small_samples_last():
    from data_access.reads.ranking import ranked

    df = pd.DataFrame(
        {
            "code": list("abcdefgh"),
            "name": list("ABCDEFGH"),
            "closure_rate": [90.0, 80.0, None, 99.0, 70.0, 95.0, 60.0, 85.0],
            "due": [100, 100, 100, 100, 5, 100, 100, 100],  # e: 5 cases, below the minimum
            "overdue_open": [3, 0, 1, 9, 2, 4, 5, 6],
        }
    )
    r = ranked(df, "closure_rate")
    assert list(r["code"]) == ["g", "b", "h", "a", "f", "d", "e", "c"]
    assert list(r["place_rank"].iloc[:6]) == [1, 2, 3, 4, 5, 6] and r["place_rank"].iloc[6:].isna().all()
    assert list(r["board"]) == ["black"] * 3 + ["red"] * 3 + ["", ""]
    assert list(ranked(df, "overdue_open")["code"][:2]) == ["d", "h"]  # a count where lower is better
    assert list(ranked(df.head(5), "closure_rate")["board"]) == [""] * 5  # fewer than six ranked: no board
    assert list(ranked(df, None)["code"]) == list("abcdefgh")
    ties = ranked(df.assign(closure_rate=[90.0, 90.0, 90.0, 99.0, 70.0, 95.0, 60.0, 85.0]), "closure_rate")
    assert list(ties["place_rank"].iloc[:5]) == [1, 2, 3, 3, 3]  # equal values share a rank
    assert list(ties["board"].iloc[:5]) == ["black", "black", "black", "black", "black"]


def test_chart_numbers_are_written_with_separators_not_si_suffixes():
    funnel = charts.funnel(pd.DataFrame({"s": ["上报", "结案"], "n": [21439, 20000]}), "s", "n")
    assert funnel.data[0].texttemplate.startswith("%{value:,}")
    years = charts.bars(pd.DataFrame({"year": [2022, 2023, 2024], "n": [3, 5, 2]}), "year", "n")
    assert years.layout.xaxis.dtick == 1 and years.layout.xaxis.tickformat == "d"
    assert years.layout.yaxis.tickformat == ",~f"
    tree = charts.hierarchy(pd.DataFrame({"a": ["甲", "甲"], "b": ["乙", "丙"], "n": [12000, 3]}), ["a", "b"], "n")
    assert "%{value:,}" in tree.data[0].texttemplate


def test_an_excel_export_has_its_title_block_widths_and_number_formats():
    import io

    import openpyxl

    from dashboard.widgets import to_excel

    df = pd.DataFrame({"单位名称": ["岳阳楼区洞庭街道", "乙"], "上报": [412348, 5], "结案率%": [93.44, 100.0]})
    book = to_excel(df, "部门考核/排名", [("范围", "岳阳楼区"), ("数据截至", "2026年11月23日")])
    ws = openpyxl.load_workbook(io.BytesIO(book)).active
    assert ws.title == "部门考核排名"  # no character Excel refuses in a sheet name
    assert [ws.cell(row=r, column=1).value for r in (1, 2, 4)] == ["范围", "数据截至", "单位名称"]
    assert ws.cell(row=5, column=2).value == 412348 and ws.cell(row=5, column=2).number_format == "#,##0"
    assert ws.cell(row=5, column=3).number_format == "#,##0.0"
    assert ws.column_dimensions["A"].width >= 18  # eight Chinese characters fit
