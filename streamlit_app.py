"""Entry point: page config, sign-in, navigation that keeps the view in the URL, the shared filters."""

import logging

import streamlit as st

from dashboard import auth, data, filters
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.state import from_params
from dashboard.widgets import EXPORT_CONTEXT, NARROW_CSS
from web import telemetry

logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
st.set_page_config(page_title=t("app_title"), page_icon="🏘️", layout="wide")
ready = False
with guarded():
    who = auth.resolve()
    ready = True
if not ready:  # the store could not be asked (the message is on the page)
    st.stop()
role = who.role if who else None
SCREEN = st.Page("app_pages/screen.py", title=t("screen_page"), url_path="screen")


def alerts_title() -> str:
    """预警, with the number of open alerts in the view's place (the sidebar's badge)."""
    if who is None:
        return t("alerts_page")
    try:
        n = int(data.alert_listing(from_params(st.query_params).scope, True, 30, 500)["cleared_at"].isna().sum())
    except Exception:  # the badge never stops a page: the page itself says what is wrong with the store
        logging.getLogger(__name__).warning("alert count unavailable", exc_info=True)
        return t("alerts_page")
    return t("alerts_badge", n=n) if n else t("alerts_page")


def to_screen() -> None:
    st.switch_page(SCREEN, query_params=st.query_params.to_dict())


if role == "screen":  # a wall screen's token opens the wall screen and nothing else; the root leads there
    # (the default page always answers at the root, so /screen must not be the default itself)
    shown, pages = [], [st.Page(to_screen, title=t("screen_page"), default=True), SCREEN]
else:
    shown = [
        st.Page("app_pages/overview.py", title=t("overview"), url_path="", default=True),
        st.Page("app_pages/organization.py", title=t("organization"), url_path="organization"),
        st.Page("app_pages/stations.py", title=t("stations_page"), url_path="stations"),
        st.Page("app_pages/volunteers.py", title=t("volunteers_page"), url_path="volunteers"),
        st.Page("app_pages/issues.py", title=t("issues_page"), url_path="issues"),
        st.Page("app_pages/property.py", title=t("property_page"), url_path="property"),
        st.Page("app_pages/map.py", title=t("map_page"), url_path="map"),
        st.Page("app_pages/briefing.py", title=t("briefing_page"), url_path="briefing"),
        st.Page("app_pages/alerts.py", title=alerts_title(), url_path="alerts"),
        st.Page("app_pages/indicators.py", title=t("indicators_page"), url_path="indicators"),
    ]
    if who is None or who.is_admin:  # before signing in every page stays routable: deep links survive it
        shown += [
            st.Page("app_pages/import.py", title=t("import_page"), url_path="import"),
            st.Page("app_pages/admin.py", title=t("admin_page"), url_path="admin"),
        ]
    pages = [*shown, SCREEN]
nav = st.navigation(pages, position="hidden")
if who is None:
    with guarded():
        auth.sign_in_page()
    st.stop()
if nav.url_path != "screen":  # the wall screen has no sidebar and no widgets
    st.html(NARROW_CSS)
    with guarded():
        filters.sidebar(shown, who)
st.session_state.pop(EXPORT_CONTEXT, None)  # a page's header sets what its downloads describe
with telemetry.SCRIPT_RUNS.labels(nav.url_path or "overview").time():  # /metrics: runs and their duration
    nav.run()
