"""Going to another view: the URL's query string is the view (dashboard.state), so a link reopens it."""

from __future__ import annotations

import streamlit as st

from dashboard.state import ViewState, to_params


def go(state: ViewState) -> None:
    """Put ``state`` in the URL and rerun."""
    st.query_params.from_dict(to_params(state))
    st.rerun()
