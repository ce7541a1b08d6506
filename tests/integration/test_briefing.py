"""工作简报 (issue 20): the PDF's text (pdftotext) and the DOCX's (python-docx) carry the catalogue's figures for the
scope and period, the bottom unit named is the catalogue's worst; the first page is rendered (pdftoppm) for a look;
the command line, the page and bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa

from dashboard import formats
from data_access import clock, indicators
from data_access.reads import issues, organisation, places, stations
from data_access.reads.ranking import ranked
from data_access.scope import Scope
from data_access.settings import PROJECT_ROOT
from documents import briefing
from tests.apptest import app_test

DISTRICT, STREET = "430602", "430602001"


@pytest.fixture(scope="module")
def month(engine) -> str:
    return briefing.last_complete("month", clock.as_of())


@pytest.fixture(scope="module")
def district(engine, month):
    b = briefing.collect(engine, Scope.from_code(DISTRICT), month, "测试")
    imgs = briefing.images(b)
    return b, briefing.pdf(b, imgs), briefing.docx(b, imgs)


def pdf_text(body: bytes, tmp: Path) -> str:
    path = tmp / "b.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def docx_text(body: bytes, tmp: Path) -> str:
    path = tmp / "b.docx"
    path.write_bytes(body)
    d = docx.Document(str(path))
    cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def expected(engine, scope: Scope, month: str) -> dict[str, str]:
    """The headline figures as the catalogue gives them for the scope and the month, written as the pages write."""
    p = briefing.parse_period(month).period
    at = clock.as_of()
    values = issues.issue_kpis(engine, scope, p, at).iloc[0].to_dict()
    values.update(organisation.coverage_rates(engine, scope).iloc[0].to_dict())
    values["station_coverage"] = stations.station_coverage(engine, scope).set_index("minutes").loc[15, "coverage"]
    return {k: formats.indicator(k, values[k]) for k in briefing.HEADLINE}


def worst_child(engine, scope: Scope, month: str) -> str:
    p = briefing.parse_period(month).period
    units = places.children(engine, scope)
    df = ranked(units.merge(issues.issue_by_child(engine, scope, p, clock.as_of()), on="code"),
                briefing.RANKED_BY)  # fmt: skip
    return df.iloc[0]["name"]


def test_the_pdf_and_the_docx_say_the_catalogues_figures_and_name_its_worst_unit(engine, district, month, tmp_path):
    b, pdf, doc = district
    figures = expected(engine, Scope.from_code(DISTRICT), month)
    worst = worst_child(engine, Scope.from_code(DISTRICT), month)
    label = briefing.parse_period(month).label
    for name, text in (("pdf", pdf_text(pdf, tmp_path)), ("docx", docx_text(doc, tmp_path))):
        flat = re.sub(r"\s+", "", text)
        assert "岳阳楼区工作简报" in flat and label in flat, name
        for key, shown in figures.items():
            assert f"{indicators.get(key).zh}{shown}" in flat or shown in flat, (name, key, shown)
        # the rate sentences: "11月，岳阳楼区按期结案率93.4%，较上月…"
        on_time = figures["on_time_rate"]
        assert f"岳阳楼区按期结案率{on_time}" in flat, name
        assert f"后三位是{worst}（" in flat, (name, worst)
        assert "None" not in text and "nan" not in text, name


def test_every_sentence_figure_is_the_catalogues(engine, district, month):
    b, _, _ = district
    rows = {h["key"]: h for h in b.headline}
    said = briefing.sentences(b)
    for key in briefing.SENTENCE_RATES:
        line = next(s for s in said if f"{b.place}{indicators.get(key).zh}" in s)
        assert rows[key]["value_text"] in line
        change = rows[key]["change"]
        if change and round(abs(change), 1):
            word = "上升" if change > 0 else "下降"
            assert f"{word}{abs(change):.1f}个百分点" in line
    overdue = next(s for s in said if "超期" in s)
    assert formats.count(b.counts["overdue_open"]) in overdue or "无超期" in overdue


def test_the_first_page_is_rendered_for_a_look(district, artifacts, tmp_path):
    _, pdf, _ = district
    src = tmp_path / "b.pdf"
    src.write_bytes(pdf)
    out = artifacts / "briefing-430602-page1"
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", "1", "-l", "1", str(src), str(out)],
                   check=True)  # fmt: skip
    png = out.with_suffix(".png")
    assert png.stat().st_size > 30_000  # a page of text and a coloured table, not a blank page
    pages = subprocess.run(["pdfinfo", str(src)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages)[1]) >= 3


def test_a_street_and_a_community_and_a_week_and_a_quarter(engine):
    at = clock.as_of().date()
    for code, period in (
        (STREET, briefing.last_complete("week", at)),
        ("430602001001", briefing.last_complete("quarter", at)),
    ):
        b = briefing.collect(engine, Scope.from_code(code), period)
        assert b.period.text == period
        said = briefing.sentences(b)
        assert said and all("None" not in s and "nan" not in s for s in said)
        assert briefing.docx(b, {})[:2] == b"PK"


@pytest.mark.parametrize(
    "text, start, end, previous",
    [
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1), date(2026, 10, 1)),
        ("2026-01", date(2026, 1, 1), date(2026, 2, 1), date(2025, 12, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1), date(2026, 11, 1)),
        ("2026-W48", date(2026, 11, 23), date(2026, 11, 30), date(2026, 11, 16)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1), date(2025, 10, 1)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1), date(2026, 7, 1)),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 5), date(2025, 12, 22)),
    ],
)
def test_periods(text, start, end, previous):
    p = briefing.parse_period(text)
    assert (p.period.start, p.period.end, p.previous.start, p.previous.end) == (start, end, previous, start)


def test_labels_and_file_names():
    assert briefing.parse_period("2026-W01").label == "2026年第1周（12月29日—1月4日）"  # the ISO week's year
    assert briefing.parse_period("2026-Q4").label == "2026年第4季度"
    names = ["工作简报_A_2026-11.pdf", "工作简报_A_2026-11.pdf", "工作简报_B_2026-11.pdf"]
    import io
    import zipfile

    z = zipfile.ZipFile(io.BytesIO(briefing.zipped([(n, c, b"x") for n, c in zip(names, ("1", "2", "3"))])))
    assert sorted(z.namelist()) == ["工作简报_A_2026-11_1.pdf", "工作简报_A_2026-11_2.pdf", "工作简报_B_2026-11.pdf"]
    assert briefing._UNSAFE.sub("", "../x y/z:民意") == "xyz民意"


def test_the_newest_complete_period():
    assert briefing.last_complete("month", date(2026, 12, 6)) == "2026-11"
    assert briefing.last_complete("month", date(2026, 11, 30)) == "2026-11"
    assert briefing.last_complete("week", date(2026, 12, 6)) == "2026-W49"  # Sunday: its week is complete
    assert briefing.last_complete("week", date(2026, 12, 7)) == "2026-W49"
    assert briefing.last_complete("quarter", date(2026, 12, 6)) == "2026-Q3"
    assert briefing.last_complete("quarter", date(2026, 2, 1)) == "2025-Q4"
    # an as-of time: its own day is whole only from 23:59:59 on (real data loaded during the day)
    assert briefing.last_complete("month", datetime(2026, 11, 30, 15, 0)) == "2026-10"
    assert briefing.last_complete("month", datetime(2026, 11, 30, 23, 59, 59)) == "2026-11"
    for bad in ("2026-13", "2026-W60", "2026-Q5", "November", "2026-11'; DROP TABLE issue"):
        with pytest.raises(ValueError):
            briefing.parse_period(bad)


def test_the_command_line_writes_each_child_units_briefing_and_audits_it(engine, tmp_path, month):
    out = tmp_path / "weekly"
    run = subprocess.run(
        [sys.executable, "-m", "data_access", "briefing", "--scope", "430602001", "--children", "--period", "week",
         "--format", "docx", "--out", str(out)],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    files = sorted(out.glob("*.docx"))
    n = len(places.children(engine, Scope.from_code("430602001")))
    assert len(files) == n and all(f.name.startswith("工作简报_") for f in files)
    with engine.connect() as conn:
        detail = conn.execute(
            sa.text("SELECT detail FROM audit_log WHERE event = 'briefing' ORDER BY id DESC LIMIT 1")
        ).scalar()
    assert detail["scope"] == "430602001" and len(detail["files"]) == n


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scope", "430602999", "--period", "2026-11"], "no place has the code 430602999"),
        (["--scope", "430602", "--period", "2026-13"], "no month 13"),
        (["--scope", "430602", "--period", "2099-01"], "begins after"),
        (["--scope", "43x602", "--period", "2026-11"], "must be 6 digits"),
    ],
)
def test_bad_input_gets_one_line(args, message, tmp_path):
    run = subprocess.run([sys.executable, "-m", "data_access", "briefing", *args, "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)  # fmt: skip
    assert run.returncode == 1
    assert message in run.stderr and "Traceback" not in run.stderr
    assert not list(tmp_path.iterdir())


def test_the_briefing_page_previews_and_offers_the_documents():
    at = app_test("street", timeout=240)
    at.switch_page("app_pages/briefing.py")
    at.query_params["scope"] = STREET
    at.run()
    assert not at.exception, at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "民意街道按期结案率" in shown
    assert [r.label for r in at.radio][0] == "简报类型"
    assert at.get("download_button")  # PDF and DOCX
    assert at.get("imgs") or at.get("image")
