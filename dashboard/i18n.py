"""Chinese-first labels with an English switch. The language lives in the URL (?lang=en); the labels themselves are
in dashboard.labels."""

from __future__ import annotations

import streamlit as st

from dashboard.labels import LANGS, text_in


def lang() -> str:
    value = st.query_params.get("lang", "zh")
    return value if value in LANGS else "zh"


def localised(column: str) -> str:
    """The column holding a data name in the current language: ``name`` or ``name_en``."""
    return column if lang() == "zh" else f"{column}_en"


def t(key: str, **kwargs) -> str:
    """The label ``key`` in the current language (dashboard.labels.text_in)."""
    return text_in(lang(), key, **kwargs)
