"""One indicator, one value, one colour: the same figure on the overview, the issue page, /indicators and
the wall screen, and a targets file that recolours them all (AppTest, one district)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from data_access import clock, indicators
from data_access.periods import DEFAULT_RANGE, period_of
from data_access.reads import issues
from data_access.scope import Period, Scope
from tests.apptest import app_test

SCOPE = "430602"
KEYS = ("reported", "closure_rate", "on_time_rate", "satisfaction_rate")
MD = {"green": "green", "amber": "orange", "red": "red"}


def run(page: str, **params):
    at = app_test("city", timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at


def shown(key: str, v) -> str:
    return f"{v:,.0f}" if indicators.get(key).kind == "count" else f"{v:.1f}%"


def cards(at) -> dict[str, tuple[str | None, str]]:
    """Card name → (colour written in its label, value)."""
    out = {}
    for m in at.metric:
        found = re.fullmatch(r":(\w+)\[(.*)\]", m.label)
        colour, name = (found.group(1), found.group(2)) if found else (None, m.label)
        out[name] = (colour, m.value)
    return out


def screen_card(at, label: str) -> tuple[str, str]:
    html = " ".join(m.value for m in at.markdown)
    found = re.search(rf'ggc-kpi ?(\w*)"><div class="l">{label}</div><div class="v">([^<]*)<', html)
    assert found, f"no screen card {label!r}"
    return found.group(1), found.group(2)


@pytest.fixture()
def kpis(engine):
    at = clock.as_of()
    period = period_of(DEFAULT_RANGE, at.date())
    return issues.issue_kpis(engine, Scope.from_code(SCOPE), period, at).iloc[0], at


def test_one_value_and_one_colour_on_every_page(engine, kpis):
    row, at = kpis
    pages = {page: cards(run(page, scope=SCOPE)) for page in ("overview", "issues")}
    listed = run("indicators", scope=SCOPE).dataframe
    values = {r["指标"]: r["当前范围取值"] for df in listed for _, r in df.value.iterrows()}
    for key in KEYS:
        name = "上报事件" if key == "reported" else indicators.get(key).zh
        colour = indicators.rag(key, row[key], "district", indicators.cases(row, key))
        for page, found in pages.items():
            assert found[name] == (MD.get(colour), shown(key, row[key])), (page, key)
        assert values[name] == shown(key, row[key]), key
    # The screen's 30-day closure rate is the catalogue's over those 30 days, in the same colour.
    month = Period(at.date() - timedelta(days=29), at.date() + timedelta(days=1))
    last30 = issues.issue_kpis(engine, Scope.from_code(SCOPE), month, at).iloc[0]
    screen = run("screen", scope=SCOPE)
    colour = indicators.rag("closure_rate", last30["closure_rate"], "district", last30["due"]) or ""
    assert colour != "red"  # the defaults; the next test turns it red with a targets file
    assert screen_card(screen, "结案率（近30天）") == (colour, shown("closure_rate", last30["closure_rate"]))


@pytest.fixture()
def strict_targets(tmp_path, monkeypatch):
    path = tmp_path / "targets.toml"
    # Above any rate: red whatever the day's data (a district closes 99.9 % of its due cases on some days).
    path.write_text("[closure_rate]\ngreen = 100.5\namber = 100.2\n", encoding="utf-8")
    monkeypatch.setenv("GGC_TARGETS_FILE", str(path))
    indicators.reload_targets()
    yield
    monkeypatch.delenv("GGC_TARGETS_FILE")
    indicators.reload_targets()


def test_a_targets_file_recolours_pages_and_screen_alike(engine, kpis, strict_targets):
    row, _ = kpis
    assert indicators.rag("closure_rate", row["closure_rate"], "district") == "red"
    name = indicators.get("closure_rate").zh
    assert cards(run("issues", scope=SCOPE))[name][0] == "red"
    assert cards(run("overview", scope=SCOPE))[name][0] == "red"
    assert screen_card(run("screen", scope=SCOPE), "结案率（近30天）")[0] == "red"


def test_the_department_ranking_is_worst_first_with_each_departments_own_kind(engine):
    import sqlalchemy as sa

    at = run("issues", scope=SCOPE)
    table = next(df.value for df in at.dataframe if "承办单位" in df.value.columns and "单位类型" in df.value.columns)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT name, kind FROM department WHERE district_code = :d"), {"d": SCOPE})
        kinds = {name: kind for name, kind in found}
    label = {"street": "街道", "bureau": "区直部门", "utility": "公用企业", "other": "其他"}
    assert len(table) > 10
    for _, row in table.iterrows():
        assert row["单位类型"] == label[kinds[row["承办单位"]]], row["承办单位"]
    table = table.reset_index(drop=True)
    ranked = table[table["应办结"] >= indicators.get("on_time_rate").min_cases]
    assert ranked.index.tolist() == list(range(len(ranked)))  # small samples after the rest
    assert ranked["按期结案率%"].tolist() == sorted(ranked["按期结案率%"])  # worst first


def test_a_departments_overdue_list_holds_its_own_work_orders_only(engine):
    import sqlalchemy as sa

    at = clock.as_of()
    with engine.connect() as conn:
        code, name = conn.execute(
            sa.text(
                "SELECT d.code, d.name FROM issue i JOIN department d ON d.code = i.department_code "
                f"WHERE i.district_code = :d AND {indicators.condition(indicators.OVERDUE, 'i')} "
                "GROUP BY 1, 2 ORDER BY count(*) DESC, 1 LIMIT 1"
            ),
            {"d": SCOPE, "at": at},
        ).one()
    rows = issues.overdue_issues(engine, Scope.from_code(SCOPE), at, 100_000, department=code)
    everyone = issues.overdue_issues(engine, Scope.from_code(SCOPE), at, 100_000)
    assert len(rows) > 0 and set(rows["department"]) == {name}
    assert len(rows) == (everyone["department"] == name).sum() < len(everyone)
