"""Cached reads for the pages: st.cache_data over data_access, keyed by scope and period."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from data_access import metrics
from data_access.engine import get_engine
from data_access.scope import Period


@st.cache_data(ttl=300, show_spinner=False)
def data_as_of() -> str:
    return metrics.as_of(get_engine()).date().isoformat()


def last_12_months(as_of: date) -> Period:
    end = as_of + timedelta(days=1)
    return Period(end.replace(year=end.year - 1), end)


@st.cache_data(ttl=300, show_spinner=False)
def place_overview(start: date, end: date) -> pd.DataFrame:
    return metrics.place_overview(get_engine(), Period(start, end))
