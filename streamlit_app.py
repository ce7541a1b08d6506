"""Entry point: page config, navigation, the language switch."""

import streamlit as st

from dashboard.i18n import language_switch, t

st.set_page_config(page_title=t("app_title"), page_icon="🏘️", layout="wide")
pages = [st.Page("pages/overview.py", title=t("overview"), url_path="", default=True)]
nav = st.navigation(pages)
language_switch()
nav.run()
