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
    except Exception:  # the UI never shows a traceback
        ref = uuid.uuid4().hex[:8]
        log.exception("page error %s", ref)
        st.error(t("error", ref=ref))
