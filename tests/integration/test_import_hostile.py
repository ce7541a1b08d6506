"""The importer against a corpus of hostile and broken files (tests/hostile_files.py).

Each file goes through the command line's own entry point (``python -m data_access import``, run
in this process to save the interpreter's start-up per file), once as a dry run and once for real.
Both must end the same way, with the exit code the case names, one message naming what is wrong
(the row and column where there is one), no traceback or Python class name, nothing changed in the
store when the file is rejected, and no temporary folder left behind.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import shapely
import shapely.geometry
import sqlalchemy as sa

from data_access.__main__ import main
from tests.conftest import writable_copy
from tests.hostile_files import cases, write_corpus
from tests.integration.test_import import counts

PYTHON_NAMES = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception|Warning)\b|File \"|line \d+, in ")


@pytest.fixture(scope="module")
def engine(engine):
    with writable_copy("cockpit_test_hostile") as copy:
        yield copy


@pytest.fixture(scope="module")
def corpus(engine, tmp_path_factory):
    with engine.connect() as conn:
        code, wkb = conn.execute(
            sa.text("SELECT code, geom FROM grid WHERE community_code = '430602001001' ORDER BY code")
        ).first()
    stored = {"code": code, "geometry": shapely.geometry.mapping(shapely.from_wkb(bytes(wkb)))}
    return {case.name: (case, path) for case, path in write_corpus(tmp_path_factory.mktemp("hostile"), stored)}


def _run(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["import", *args])
    err = capsys.readouterr().err
    return code, err.strip().splitlines()


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("ggc-*")}


def test_the_corpus_has_forty_files_of_every_sort():
    names = [c.name for c in cases({"code": "x" * 15, "geometry": {}})]
    assert len(names) == len(set(names)) >= 40
    assert {Path(n).suffix for n in names} >= {".csv", ".xlsx", ".xls", ".et", ".geojson", ".zip", ".gpkg"}


@pytest.mark.parametrize("name", [c.name for c in cases({"code": "x" * 15, "geometry": {}})])
def test_a_hostile_file_gets_one_clear_answer_and_changes_nothing(engine, corpus, capsys, name):
    case, path = corpus[name]
    before, tmp_before = counts(engine), _leftovers()
    dry_code, dry = _run(capsys, case.kind, str(path), "--dry-run")
    assert counts(engine) == before
    code, lines = _run(capsys, case.kind, str(path))
    text = "\n".join(lines)
    assert (dry_code, code) == (case.exit, case.exit), text
    assert lines and case.says in text, text
    assert not PYTHON_NAMES.search(text), text
    assert not PYTHON_NAMES.search("\n".join(dry)), dry
    assert _leftovers() <= tmp_before
    if code:
        assert counts(engine) == before
        assert lines[-1].startswith(("rejected ", "error: ")), text
        assert len([ln for ln in lines if ln.startswith("error: ")]) <= 1
        assert "nothing was loaded" in lines[-1], text


def test_the_import_page_answers_a_broken_workbook_and_a_hidden_character_in_chinese(engine, corpus, artifacts):
    """In Chromium: an .xls no reader can open gets the sentence that says what to do, a NUL byte a problem (the
    table of problems is drawn on a canvas: its row and column are read in the screenshot)."""
    from tests.browser import chromium_page, open_signed_in, streamlit_server

    before = counts(engine)
    with streamlit_server(artifacts / "streamlit-import-hostile.log") as url, chromium_page() as page:
        open_signed_in(page, f"{url}/import", "admin")
        page.get_by_role("heading", name="数据导入").wait_for(timeout=90_000)
        dropzone = page.locator("[data-testid='stFileUploaderDropzoneInput']")
        dropzone.set_input_files(str(corpus["old.xls"][1]))
        page.get_by_text("old.xls 设有密码或已损坏，无法读取").wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts / "page-import-old-xls.png"), full_page=True)
        dropzone.set_input_files(str(corpus["nul.csv"][1]))
        page.get_by_text("发现 1 个问题").wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(artifacts / "page-import-control-char.png"), full_page=True)
        body = page.inner_text("body")
    assert "页面出错" not in body and "Traceback" not in body
    assert counts(engine) == before


def test_a_dry_run_applies_the_stores_own_rules_when_the_file_checks_miss_one(engine, corpus, capsys, monkeypatch):
    """The staged rows meet the tables' CHECK constraints on a dry run too: with the importer's own
    lifecycle check switched off, a deadline before the report is still refused on its row."""
    from data_access.importing import validate

    monkeypatch.setattr(validate, "_check_lifecycle", lambda out, kind, cells: [])
    case, path = corpus["due-before-report.csv"]
    before = counts(engine)
    for args in ((case.kind, str(path), "--dry-run"), (case.kind, str(path))):
        code, lines = _run(capsys, *args)
        assert code == 1, lines
        assert any(ln.startswith("row 2, column 办理时限") and "ck_issue_due_after_report" in ln for ln in lines), lines
    assert counts(engine) == before
