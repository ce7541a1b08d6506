"""Errors: logged server-side with a reference; the browser sees only the reference."""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager

import streamlit as st

from dashboard.i18n import t

log = logging.getLogger("cockpit")


@contextmanager
def guarded():
    """Run a page body; on any exception log it and show a short message with its reference."""
    try:
        yield
    except Exception as exc:  # the UI never shows a traceback
        ref = uuid.uuid4().hex[:8]
        if unavailable(exc):
            log.warning("store unavailable %s: %s", ref, _reason(exc))
            st.warning(t("db_unavailable", ref=ref))
            _retry()
            return
        log.exception("page error %s", ref)
        st.error(t("error", ref=ref))


RETRY_S = 10


def _reason(exc: BaseException) -> str:
    """The innermost cause's class and first line (Postgres's own words: a timeout, a refused connection), without
    the statement or its parameters."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text.splitlines()[0][:200] if text else ''}"


def unavailable(exc: BaseException) -> bool:
    """The store did not answer: no connection (down, unreachable, timed out, refused) or a query cancelled by
    the statement timeout (a table locked for long)."""
    import psycopg
    import sqlalchemy as sa

    while exc is not None:
        if isinstance(exc, sa.exc.OperationalError | psycopg.OperationalError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@st.fragment(run_every=RETRY_S)
def _retry() -> None:
    """Run the page again every RETRY_S seconds until the store answers (the first run only draws this)."""
    if st.session_state.get("_retry_armed"):
        st.session_state["_retry_armed"] = False
        st.rerun(scope="app")
    st.session_state["_retry_armed"] = True
