"""The dashboard as served: ``streamlit run serve.py`` (``make run``). streamlit_app.py with the sign-in route and
the session gate of web.server (an st.App), so that a reload, a new tab or a shared link stays signed in."""

import logging
import os
import sys
import threading

import streamlit as st

from dashboard import data
from web import server as web

_requests = logging.getLogger("ggc.http")  # one JSON line per request (web.server.Hardening), on stderr
if not _requests.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter('{"at": "%(asctime)s", "http": %(message)s}'))
    _requests.addHandler(_handler)
    _requests.setLevel(logging.INFO)
    _requests.propagate = False
os.environ["GGC_WEB"] = "1"  # the script's sign-in page links to /signin instead of showing its own form
app = st.App("streamlit_app.py", routes=web.ROUTES, middleware=web.MIDDLEWARE)
threading.Thread(target=web.warm, name="warm-up", daemon=True).start()  # ahead of the first browser or API call
data.start_warming()  # after a load, the reads people made recently are made again in the background
