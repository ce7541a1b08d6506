"""The read layer: every read of the store, by subject, and :func:`run`, the one place a read statement runs.

Where a read goes (one module per subject; each function takes an engine, a Scope and where relevant a Period, and
returns a DataFrame of counts: every rate and its definition comes from the catalogue, data_access.indicators):

- ``places``: the units (districts down to micro-grids), a scope's path and children, their counts and staff;
- ``issues``: 12345 and grid issues (counts, trends, funnel, backlog, lists, repeats, residents' questions);
- ``organisation``: party organisations, coverage, grid workers, notices and joint projects;
- ``stations``: service stations, compounds and walking reach; ``volunteers``: volunteers, activities, teams;
- ``property_management``: property companies, committees, fees; ``maps``: geometry and map figures;
- ``ranking``: a scope's children ranked by any indicator (the 红黑榜 rule).
Word counts of request texts are data_access.words (built at load).

:func:`run` executes a statement with bound parameters only, as the area the caller acts as
(data_access.engine.acting: row-level security), times it and logs it when slower than GGC_SLOW_READ_S. The choice
between the summary tables and raw rows is :func:`from_summaries` (or the :func:`summarised` decorator); the
summaries' own reads are in data_access.summary, beside how they are built.

Statement cache. Pages cache whole reads per area, data version and arguments (dashboard/data.py); the figures'
as-of moves every minute (data_access.clock.as_of), and so a page's read misses its cache each minute. Most of the
statements it runs do not depend on the moment (the summaries count what happened by their build; no event is
stored after now): the counts the clock moves (超期未结, 挂账, due) are separate statements bound to ``:at``. Inside
:func:`cached` (the page's read of one area and data version), a statement that binds no ``at`` is answered from
a small in-process cache keyed by the area, the data version, its text and its parameters (a statement bound to
``at`` = clock.EVER, counting everything stored, is one too), so a new minute re-reads the open issues only.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa

from data_access import clock
from data_access.engine import acting_area
from data_access.scope import Scope
from data_access.settings import get_settings

ENTRIES = 512  # statements kept (each an aggregate of a page: rows in the tens to thousands)
TTL_S = 600  # how long a cached read lives: a statement here, a page's read (dashboard.data), an API answer
_scope: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("ggc_read_cache", default=None)
_cache: OrderedDict[tuple, tuple[float, pd.DataFrame]] = OrderedDict()
_lock = threading.Lock()
_log = logging.getLogger(__name__)
SUMMARISED = ("city", "district", "street")  # the scopes the summary tables answer for (a community is a small slice)
BUCKET = {"day": "{}::date", "week": "date_trunc('week', {})::date", "month": "date_trunc('month', {})::date"}


def from_summaries(scope: Scope, raw: bool = False) -> bool:
    """Whether a read of ``scope`` is answered from the summary tables (``raw``: the caller wants raw rows)."""
    return not raw and scope.level in SUMMARISED


def summarised(fast):
    """A read over raw rows answered by ``fast`` where the summaries cover the scope (:func:`from_summaries`;
    ``raw=True`` asks for the raw rows). ``fast`` takes the raw read's arguments, its defaults applied, and
    returns the same columns."""

    def wrap(raw_read):
        signature = inspect.signature(raw_read)

        @functools.wraps(raw_read)
        def read(engine: sa.Engine, scope: Scope, *args, raw: bool = False, **kwargs):
            if not from_summaries(scope, raw):
                return raw_read(engine, scope, *args, **kwargs)
            bound = signature.bind(engine, scope, *args, **kwargs)
            bound.apply_defaults()
            return fast(*bound.args, **bound.kwargs)

        return read

    return wrap


@contextmanager
def cached(area: str, data_version: int):
    """Answer the enclosed statements that bind no ``at`` from the cache of this area and data version."""
    token = _scope.set((area, data_version))
    try:
        yield
    finally:
        _scope.reset(token)


def _key(sql: str, params: dict) -> tuple | None:
    where = _scope.get()
    moment = params.get("at", clock.EVER)
    if where is None or moment != clock.EVER or "now()" in sql:  # the moment's statements are never kept
        return None
    try:
        frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
        hash(frozen)
    except TypeError:  # a parameter that cannot be a key: run it
        return None
    return (*where, sql, frozen)


def run(engine: sa.Engine, sql: str, params: dict | None = None) -> pd.DataFrame:
    """The rows of ``sql`` (bound ``params``) as a DataFrame."""
    params = params or {}
    key = _key(sql, params)
    if key is not None:
        with _lock:
            kept, hit = _cache.get(key, (0.0, None))
            if hit is not None and time.monotonic() - kept < TTL_S:
                _cache.move_to_end(key)
                return hit.copy()
    t0 = time.perf_counter()
    with engine.connect() as conn:
        df = pd.read_sql_query(sa.text(sql), conn, params=params)
    took = time.perf_counter() - t0
    if took > get_settings().slow_read_s:
        _log.warning("slow read for area %r: %.2f s: %s", acting_area(), took, " ".join(sql.split())[:300])
    if key is not None:
        with _lock:
            _cache[key] = (time.monotonic(), df.copy())
            while len(_cache) > ENTRIES:
                _cache.popitem(last=False)
    return df


def clear() -> None:
    with _lock:
        _cache.clear()
