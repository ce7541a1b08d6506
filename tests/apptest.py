"""Streamlit AppTest of the whole app, signed in as one of the demo's sample accounts."""

from __future__ import annotations

from functools import lru_cache

from streamlit.testing.v1 import AppTest

from data_access.settings import PROJECT_ROOT

APP = str(PROJECT_ROOT / "streamlit_app.py")


@lru_cache(maxsize=1)
def _components():
    """Streamlit's v2 components, discovered once per process as a server does at its start: AppTest otherwise scans
    the metadata of every installed package on each new instance's first run (≈ 0.6 s, which benchmarks counted as
    page time)."""
    from streamlit.components.v2.component_manager import BidiComponentManager

    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def app_test(user: str | None = "city", timeout: int = 90) -> AppTest:
    """The app as ``user`` (a username; None: nobody is signed in)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if hasattr(at, "_bidi_component_manager"):
        at._bidi_component_manager = _components()
    if user:
        at.session_state["auth_user"] = user
    return at
