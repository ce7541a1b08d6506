"""The dashboard as served: ``streamlit run serve.py`` (``make run``). streamlit_app.py with the sign-in route and
the session gate of dashboard.web (an st.App), so that a reload, a new tab or a shared link stays signed in."""

import os
import threading

import streamlit as st

from dashboard import web
from data_access import words

os.environ["GGC_WEB"] = "1"  # the script's sign-in page links to /signin instead of showing its own form
app = st.App("streamlit_app.py", routes=web.ROUTES, middleware=web.MIDDLEWARE)
threading.Thread(target=words.warm, name="warm-jieba", daemon=True).start()  # the words of /issues, ahead of time
