"""Streamlit AppTest of the whole app, signed in as one of the demo's sample accounts."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from data_access.settings import PROJECT_ROOT

APP = str(PROJECT_ROOT / "streamlit_app.py")


def app_test(user: str | None = "city", timeout: int = 90) -> AppTest:
    """The app as ``user`` (a username; None: nobody is signed in)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if user:
        at.session_state["auth_user"] = user
    return at
