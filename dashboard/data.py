"""Cached reads for the pages: typed readers over data_access, keyed by area, scope and arguments.

Each reader below keeps the signature of the data_access function it wraps, less the engine: the scope
is given by its code (``None``: every place the account may see), so ``data.issue_kpis(code, period,
at)`` calls ``issues.issue_kpis(engine, Scope.from_code(code), period, at)``. Its columns are in the
wrapped function's docstring (``help(data.issue_kpis)``); the choice between summaries and raw rows is
made inside it, with the same columns either way.

Every read runs in one place (:func:`_call`): on the app role's engine as the signed-in account's area
(row-level security; each statement timed and logged when slow by data_access.reads.run), and cached under a key
holding that area, so sessions of one area share entries and no entry crosses areas. Entries are keyed by the
store's data version as well, which every import (from any process) bumps: pages show new data within
VERSION_TTL_S seconds of a load, without a restart. Entries also expire after CACHE_TTL_S seconds.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import SimpleNamespace

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from dashboard.i18n import lang, t
from data_access import alerts, clock, reads, words
from data_access import sources as sources_read
from data_access.engine import acting, read_engine
from data_access.meta import last_load, scope_version, versions
from data_access.reads import issues, maps, organisation, places, property_management, volunteers
from data_access.reads import stations as station_reads  # `stations` is a reader below
from data_access.scope import Period, Scope
from data_access.settings import get_settings
from web import telemetry

CACHE_TTL_S = reads.TTL_S
VERSION_TTL_S = 5
READ_THREADS = 4  # reads of one page run at once (gather); the read engine's pool holds 10 connections
READERS: dict[str, object] = {}  # reader name → the data_access function it wraps
WHOLE_STORE: set[str] = set()  # readers cached by the whole store's version (alerts move only it)
_log = logging.getLogger(__name__)


def area() -> str:
    """The row-level-security area of this session ('' = nothing: no one is signed in)."""
    who = st.session_state.get("principal")
    return who.prefix if who is not None else ""


def version(scope_code: str | None = None) -> int:
    """The data version of what reads of ``scope_code`` hold (None: everything): an import into one district
    leaves the cached reads of the others as they are."""
    return scope_version(_versions(area()), scope_code)


def _version_of(known: dict[str, int], name: str, scope_code: str | None) -> int:
    return scope_version(known, None if name in WHOLE_STORE else scope_code)


@st.cache_data(ttl=VERSION_TTL_S, show_spinner=False)
def _versions(area_prefix: str) -> dict[str, int]:
    with acting(area_prefix), read_engine().connect() as conn:
        return versions(conn)


def clear() -> None:
    """Drop every cached read and map (after a load in this process)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    reads.clear()


def as_of() -> datetime:
    """The moment the figures are computed at: now, to the minute (data_access.clock)."""
    return clock.as_of()


def loaded_at() -> datetime | None:
    """When the data the account sees last changed (an import, a refresh, the demo's build)."""
    return _loaded_at(area(), version())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _loaded_at(area_prefix: str, data_ver: int) -> datetime | None:
    with acting(area_prefix), read_engine().connect() as conn:
        return last_load(conn)


def sources() -> pd.DataFrame:
    """Each sync source's last delivery and whether it is overdue (data_access.sources.freshness), read again each
    minute: a source goes overdue by the clock, not by a load."""
    return _sources(version(), clock.now().replace(second=0))


@st.cache_data(ttl=120, show_spinner=False, max_entries=4)
def _sources(data_ver: int, minute: datetime) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return sources_read.freshness(conn)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _call(area_prefix: str, data_ver: int, name: str, scope_code: str | None, *args) -> pd.DataFrame:
    """Where every page read runs: as the area, cached by (area, data version, reader, arguments)."""
    telemetry.CACHE_MISSES.inc()
    with acting(area_prefix), reads.cached(area_prefix, data_ver):  # each statement timed in reads.run
        return READERS[name](read_engine(), Scope.from_code(scope_code), *args)


# After a load, the reads people made recently are made again in the background (:func:`start_warming`), so that
# the first leader of the morning finds the pages of the new data warm.
WARM_KEEP_S = 24 * 3600  # reads remembered this long after their last use
WARM_MAX = 400
_recent: dict[tuple, float] = {}  # (area, reader, scope code, arguments) → when last used (monotonic)
_recent_lock = threading.Lock()
_AT = "<the figures' moment>"  # in a remembered read's arguments: the as-of it is made at, whenever that is


def _remember(area_prefix: str, name: str, scope_code: str | None, args: tuple) -> None:
    args = tuple(_AT if isinstance(a, datetime) else a for a in args)
    with _recent_lock:
        _recent[(area_prefix, name, scope_code, args)] = time.monotonic()
        if len(_recent) > WARM_MAX:
            for key in sorted(_recent, key=_recent.get)[: len(_recent) - WARM_MAX]:
                del _recent[key]


def warm_once(done: dict) -> int:
    """Make again every remembered read whose data version moved since it was last made (``done``: its key →
    the version it was made at); the figures' moment is the present one. Returns the reads made."""
    made = 0
    with _recent_lock:
        recent = sorted(_recent.items(), key=lambda kv: -kv[1])
    now = time.monotonic()
    for (area_prefix, name, scope_code, args), used in recent:
        if now - used > WARM_KEEP_S:
            continue
        ver = _version_of(_versions(area_prefix), name, scope_code)
        key = (area_prefix, name, scope_code, args)
        if done.setdefault(key, ver) == ver:
            continue
        fresh = tuple(clock.as_of() if a == _AT else a for a in args)
        try:
            _call(area_prefix, ver, name, scope_code, *fresh)
            made += 1
            done[key] = ver
        except Exception:  # the store away or a read that fails (tried again next round): the page will say so
            _log.warning("warm-up of %s(%s) failed", name, scope_code, exc_info=True)
    return made


def start_warming() -> None:
    """Run :func:`warm_once` every VERSION_TTL_S seconds in a thread of this process (serve.py starts it)."""

    def loop():
        done: dict = {}
        while True:
            time.sleep(VERSION_TTL_S)
            try:
                made = warm_once(done)
                if made:
                    _log.info("warmed %d reads of the new data", made)
            except Exception:
                _log.warning("warm-up round failed", exc_info=True)

    threading.Thread(target=loop, name="warm-reads", daemon=True).start()


def gather(*calls) -> list:
    """Run reader calls ``(reader, scope_code, *args)`` at once, each on its own connection, and return their
    results in order: a page's independent reads overlap instead of queueing (cached like any read)."""
    who, known, ctx = area(), _versions(area()), get_script_run_ctx()

    def run(call):
        add_script_run_ctx(threading.current_thread(), ctx)
        telemetry.READS.inc()
        fn, scope_code, *args = call
        _remember(who, fn.__name__, scope_code, args)
        return _call(who, _version_of(known, fn.__name__, scope_code), fn.__name__, scope_code, *args)

    with ThreadPoolExecutor(READ_THREADS) as pool:
        return list(pool.map(run, calls))


def reader(fn, whole_store: bool = False):
    """A cached page reader over ``fn(engine, scope, *args)``: call it as ``reader(scope_code, *args)``. Its cache
    follows the data version of the place read, or with ``whole_store`` the store's (any change anywhere)."""
    READERS[fn.__name__] = fn
    if whole_store:
        WHOLE_STORE.add(fn.__name__)

    @functools.wraps(fn)
    def read(scope_code: str | None, *args):
        telemetry.READS.inc()
        _remember(area(), fn.__name__, scope_code, args)
        return _call(area(), _version_of(_versions(area()), fn.__name__, scope_code), fn.__name__, scope_code, *args)

    return read


def direct(engine: sa.Engine) -> SimpleNamespace:
    """The same readers, uncached, on ``engine`` (benchmarks and scripts)."""
    return SimpleNamespace(
        **{
            name: functools.partial(lambda fn, code, *a: fn(engine, Scope.from_code(code), *a), fn)
            for name, fn in READERS.items()
        }
    )


# -- places
place_path = reader(places.place_path)
children = reader(places.children)
hierarchy_counts = reader(places.hierarchy_counts)

# -- issues
issue_kpis = reader(issues.issue_kpis)
stage_medians = reader(issues.stage_medians)
issue_by_child = reader(issues.issue_by_child)
issue_by_department = reader(issues.issue_by_department)
issue_by_worker = reader(issues.issue_by_worker)
issue_trend = reader(issues.issue_trend)
issue_funnel = reader(issues.issue_funnel)
backlog_by_age = reader(issues.backlog_by_age)
overdue_issues = reader(issues.overdue_issues)
issue_search = reader(issues.issue_search)
repeat_requests = reader(issues.repeat_requests)
request_words = reader(words.request_words)
watch_list = reader(issues.watch_list)
issues_by_category = reader(issues.issues_by_category)
issue_mix = reader(issues.issue_mix)

# -- volunteers
volunteer_kpis = reader(volunteers.volunteer_kpis)
volunteer_trend = reader(volunteers.volunteer_trend)
volunteer_daily = reader(volunteers.volunteer_daily)
activity_types = reader(volunteers.activity_types)
top_teams = reader(volunteers.top_teams)
in_service_by_child = reader(volunteers.in_service_by_child)

# -- organisation
party_org_counts = reader(organisation.party_org_counts)
coverage_rates = reader(organisation.coverage_rates)
org_by_child = reader(organisation.org_by_child)
secretary_mix = reader(organisation.secretary_mix)
worker_counts = reader(organisation.worker_counts)
worker_reach = reader(station_reads.worker_reach)

# -- stations
stations = reader(station_reads.stations)
station_coverage = reader(station_reads.station_coverage)
station_coverage_by = reader(station_reads.station_coverage_by)
station_plan = reader(station_reads.station_plan)
uncovered_compounds = reader(station_reads.uncovered_compounds)

# -- property
property_companies = reader(property_management.property_companies)
committees = reader(property_management.committees)
satisfaction_surveys = reader(property_management.satisfaction_surveys)
property_issue_trend = reader(property_management.property_issue_trend)
fee_years = reader(property_management.fee_years)
fee_takeovers = reader(property_management.fee_takeovers)
registry_and_zones = reader(places.registry_and_zones)
community_staff = reader(places.community_staff)
team_kinds = reader(volunteers.team_kinds)
notice_delivery = reader(organisation.notice_delivery)
layouts = reader(places.layouts)
projects = reader(organisation.projects)
recent_projects = reader(organisation.recent_projects)
service_items = reader(station_reads.service_items)
questions = reader(issues.questions)

# -- alerts (预警)
alert_listing = reader(alerts.listing, whole_store=True)  # an evaluation moves only the store's version

# -- maps
map_units = reader(maps.map_units)
unit_geoms = reader(maps.unit_geoms)
compound_geoms = reader(maps.compound_geoms)
issue_points = reader(maps.issue_points)
micro_grid_stats = reader(maps.micro_grid_stats)
overlay_counts = reader(maps.overlay_counts)


def units(level: str, parent: str | None, current: bool = True) -> pd.DataFrame:
    """Code and name of the units (``current``: of today's layout, for selectors; else every layout's, to name
    the units a period's figures fall on)."""
    return _units(area(), version(), level, parent, current)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _units(area_prefix: str, data_ver: int, level: str, parent: str | None, current: bool) -> pd.DataFrame:
    with acting(area_prefix):
        return places.units(read_engine(), level, parent, current)


def place_overview(start, end, at) -> pd.DataFrame:
    return _place_overview(area(), version(), start, end, at)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _place_overview(area_prefix: str, data_ver: int, start, end, at) -> pd.DataFrame:
    with acting(area_prefix), reads.cached(area_prefix, data_ver):
        return places.place_overview(read_engine(), Period(start, end), at)


def names_of(level: str, parent: str | None) -> dict[str, str]:
    """Names of child units (code → name), for labelling rankings."""
    df = units(level, parent)
    return dict(zip(df["code"], df["name"]))


def map_deck(scope_code: str | None, period: Period, at: datetime, metric: str, shown, height: int = 640):
    """(deck, legend) of :func:`dashboard.mapview.build` over these readers, shared by the reruns and sessions of
    one area and data version, its JSON computed once: a rerun that leaves the map as it was neither rebuilds
    nor re-serialises it (0.2–0.4 s at the megacity's city scope)."""
    return _map_deck(area(), version(scope_code), lang(), scope_code, period, at, metric, tuple(shown), height)


@st.cache_resource(ttl=CACHE_TTL_S, max_entries=16, show_spinner=False)
def _map_deck(area_prefix, data_ver, language, scope_code, period, at, metric, shown, height):
    from dashboard import mapview

    gather(*mapview.reads(sys.modules[__name__], scope_code, period, at, metric, shown))
    deck, legend = mapview.build(
        sys.modules[__name__], scope_code, period, at, metric, list(shown), t, get_settings(), height
    )
    if deck is not None:
        spec = deck.to_json()
        deck.to_json = lambda: spec  # st.pydeck_chart calls it on every run
    return deck, legend
