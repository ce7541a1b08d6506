"""Escaping for text that reaches markdown or HTML (names come from imported files)."""

from __future__ import annotations

import html
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # text a spreadsheet may run as a formula (CSV, Excel exports)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$:])")


def md(text: object) -> str:
    """Escape ``text`` for Streamlit markdown: HTML entities first, then markdown punctuation."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=True))
