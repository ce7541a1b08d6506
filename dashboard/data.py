"""Cached reads for the pages: st.cache_data over data_access, keyed by area, scope and period.

Every read runs on the app role's engine as the signed-in account's area (row-level security), and
every entry is keyed by that area, so sessions of one area share entries and no entry crosses areas.
Entries are keyed by the store's data version as well, which every import (from any process) bumps:
pages show new data within VERSION_TTL_S seconds of a load, without a restart. Entries also expire
after CACHE_TTL_S seconds.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from data_access import access, metrics, queries
from data_access.scope import Period, Scope
from data_access.store import data_version

CACHE_TTL_S = 600
VERSION_TTL_S = 5
_SOURCES = {"metrics": metrics, "queries": queries}


def area() -> str:
    """The row-level-security area of this session ('' = nothing: no one is signed in)."""
    who = st.session_state.get("principal")
    return who.prefix if who is not None else ""


def version() -> int:
    return _version(area())


@st.cache_data(ttl=VERSION_TTL_S, show_spinner=False)
def _version(area_prefix: str) -> int:
    with access.acting(area_prefix):
        return data_version(access.app_engine())


def clear() -> None:
    """Drop every cached read (after a load in this process)."""
    st.cache_data.clear()


def as_of() -> datetime:
    return _as_of(area(), version())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _as_of(area_prefix: str, data_ver: int) -> datetime:
    with access.acting(area_prefix):
        return metrics.as_of(access.app_engine())


def fetch(name: str, scope_code: str | None, *args) -> pd.DataFrame:
    """Call ``data_access.<module>.<function>(engine, scope, *args)``; ``name`` is "module.function"."""
    return _fetch(area(), version(), name, scope_code, *args)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _fetch(area_prefix: str, data_ver: int, name: str, scope_code: str | None, *args) -> pd.DataFrame:
    module, func = name.split(".")
    fn = getattr(_SOURCES[module], func)
    with access.acting(area_prefix):
        return fn(access.app_engine(), Scope.from_code(scope_code), *args)


def units(level: str, parent: str | None) -> pd.DataFrame:
    return _units(area(), version(), level, parent)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _units(area_prefix: str, data_ver: int, level: str, parent: str | None) -> pd.DataFrame:
    with access.acting(area_prefix):
        return queries.units(access.app_engine(), level, parent)


def place_overview(start, end) -> pd.DataFrame:
    return _place_overview(area(), version(), start, end)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _place_overview(area_prefix: str, data_ver: int, start, end) -> pd.DataFrame:
    with access.acting(area_prefix):
        return metrics.place_overview(access.app_engine(), Period(start, end))


def names_of(level: str, parent: str | None) -> dict[str, str]:
    """Names of child units (code → name), for labelling rankings."""
    df = units(level, parent)
    return dict(zip(df["code"], df["name"]))
