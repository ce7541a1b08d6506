"""Entry point: page config, navigation that keeps the view in the URL, the shared filters."""

import logging

import streamlit as st

from dashboard import filters
from dashboard.errors import guarded
from dashboard.i18n import t

logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
st.set_page_config(page_title=t("app_title"), page_icon="🏘️", layout="wide")
PAGES = [
    st.Page("app_pages/overview.py", title=t("overview"), url_path="", default=True),
    st.Page("app_pages/organization.py", title=t("organization"), url_path="organization"),
    st.Page("app_pages/stations.py", title=t("stations_page"), url_path="stations"),
    st.Page("app_pages/volunteers.py", title=t("volunteers_page"), url_path="volunteers"),
    st.Page("app_pages/issues.py", title=t("issues_page"), url_path="issues"),
    st.Page("app_pages/property.py", title=t("property_page"), url_path="property"),
    st.Page("app_pages/map.py", title=t("map_page"), url_path="map"),
    st.Page("app_pages/import.py", title=t("import_page"), url_path="import"),
]
SCREEN = st.Page("app_pages/screen.py", title=t("screen_page"), url_path="screen")
nav = st.navigation([*PAGES, SCREEN], position="hidden")
if nav.url_path != "screen":  # the wall screen has no sidebar and no widgets
    with guarded():
        filters.sidebar(PAGES)
nav.run()
