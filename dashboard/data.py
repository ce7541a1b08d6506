"""Cached reads for the pages: st.cache_data over data_access, keyed by scope and period.

Entries are shared across sessions and keyed by the store's data version as well, which every
import (from any process) bumps: pages show new data within VERSION_TTL_S seconds of a load,
without a restart. Entries also expire after CACHE_TTL_S seconds.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from data_access import metrics, queries
from data_access.engine import get_engine
from data_access.scope import Period, Scope
from data_access.store import data_version

CACHE_TTL_S = 600
VERSION_TTL_S = 5
_SOURCES = {"metrics": metrics, "queries": queries}


@st.cache_data(ttl=VERSION_TTL_S, show_spinner=False)
def version() -> int:
    return data_version(get_engine())


def clear() -> None:
    """Drop every cached read (after a load in this process)."""
    st.cache_data.clear()


def as_of() -> datetime:
    return _as_of(version())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _as_of(data_ver: int) -> datetime:
    return metrics.as_of(get_engine())


def fetch(name: str, scope_code: str | None, *args) -> pd.DataFrame:
    """Call ``data_access.<module>.<function>(engine, scope, *args)``; ``name`` is "module.function"."""
    return _fetch(version(), name, scope_code, *args)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _fetch(data_ver: int, name: str, scope_code: str | None, *args) -> pd.DataFrame:
    module, func = name.split(".")
    fn = getattr(_SOURCES[module], func)
    return fn(get_engine(), Scope.from_code(scope_code), *args)


def units(level: str, parent: str | None) -> pd.DataFrame:
    return _units(version(), level, parent)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _units(data_ver: int, level: str, parent: str | None) -> pd.DataFrame:
    return queries.units(get_engine(), level, parent)


def place_overview(start, end) -> pd.DataFrame:
    return _place_overview(version(), start, end)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _place_overview(data_ver: int, start, end) -> pd.DataFrame:
    return metrics.place_overview(get_engine(), Period(start, end))


def names_of(level: str, parent: str | None) -> dict[str, str]:
    """Names of child units (code → name), for labelling rankings."""
    df = units(level, parent)
    return dict(zip(df["code"], df["name"]))
