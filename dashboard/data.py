"""Cached reads for the pages: st.cache_data over data_access, keyed by scope and period.

Entries are shared across sessions and expire after CACHE_TTL_S seconds.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from data_access import metrics, queries
from data_access.engine import get_engine
from data_access.scope import Period, Scope

CACHE_TTL_S = 600
_SOURCES = {"metrics": metrics, "queries": queries}


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def as_of() -> datetime:
    return metrics.as_of(get_engine())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def fetch(name: str, scope_code: str | None, *args) -> pd.DataFrame:
    """Call ``data_access.<module>.<function>(engine, scope, *args)``; ``name`` is "module.function"."""
    module, func = name.split(".")
    fn = getattr(_SOURCES[module], func)
    return fn(get_engine(), Scope.from_code(scope_code), *args)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def units(level: str, parent: str | None) -> pd.DataFrame:
    return queries.units(get_engine(), level, parent)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def place_overview(start, end) -> pd.DataFrame:
    return metrics.place_overview(get_engine(), Period(start, end))


def names_of(level: str, parent: str | None) -> dict[str, str]:
    """Names of child units (code → name), for labelling rankings."""
    df = units(level, parent)
    return dict(zip(df["code"], df["name"]))
