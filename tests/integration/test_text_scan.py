"""Every page's Chinese text, scanned for what a user must never read: internal identifiers (snake_case
names, English enum values) and None / nan / NaT (issue 15)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.apptest import app_test

PAGES = ["overview", "organization", "stations", "volunteers", "issues", "property", "map", "indicators"]
IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
MISSING = re.compile(r"\b(None|nan|NaN|NaT)\b")


def texts(at) -> list[tuple[str, str]]:
    """(where, text) of everything the page shows as text: prose, KPIs, widget labels and options, table
    headers and text cells."""
    out = []
    for kind in ("markdown", "caption", "subheader", "title", "header", "info", "warning", "error", "success"):
        out += [(kind, str(el.value)) for el in getattr(at, kind)]
    for m in at.metric:
        out += [("metric", str(m.label)), ("metric", str(m.value)), ("metric", str(m.delta or ""))]
    for kind in ("selectbox", "multiselect", "radio", "button", "toggle", "checkbox", "date_input"):
        for el in getattr(at, kind):
            out.append((kind, str(el.label)))
            out += [(f"{kind} option", str(o)) for o in getattr(el, "options", None) or []]
    for d in at.dataframe:
        df = d.value
        if isinstance(df, pd.DataFrame):
            out += [("table header", str(c)) for c in df.columns]
            for c in df.columns:
                if df[c].dtype == object:
                    out += [("table cell", str(x)) for x in df[c].dropna().unique()]
    return out


@pytest.mark.parametrize("scope", ["430602", "430602001001"])
@pytest.mark.parametrize("page", PAGES)
def test_the_chinese_interface_shows_no_identifiers_and_no_none(engine, page, scope):
    at = app_test("city")
    at.query_params["scope"] = scope
    at.switch_page(f"app_pages/{page}.py")
    at.run(timeout=120)
    assert not at.exception
    shown = texts(at)
    assert len(shown) > 10  # the scan read the page
    bad = [(where, s) for where, s in shown if IDENTIFIER.search(s) or MISSING.search(s)]
    assert not bad, bad[:10]
