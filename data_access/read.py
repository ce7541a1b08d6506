"""Where a read statement runs: :func:`run`, with bound parameters only, and the statement cache.

Pages cache whole reads per area, data version and arguments (dashboard/data.py); the figures' as-of moves every
minute (data_access.clock.as_of), and so a page's read misses its cache each minute. Most of the statements it
runs do not depend on the moment (the summaries count what happened by their build; no event is stored after
now): the counts the clock moves (超期未结, 挂账, due) are separate statements bound to ``:at``. Inside
:func:`cached` (the page's read of one area and data version), a statement that binds no ``at`` is answered from
a small in-process cache keyed by the area, the data version, its text and its parameters (a statement bound to
``at`` = clock.EVER, counting everything stored, is one too), so a new minute re-reads the open issues only.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa

from data_access import clock

ENTRIES = 512  # statements kept (each an aggregate of a page: rows in the tens to thousands)
TTL_S = 600  # how long a cached read lives: a statement here, a page's read (dashboard.data), an API answer
_scope: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("ggc_read_cache", default=None)
_cache: OrderedDict[tuple, tuple[float, pd.DataFrame]] = OrderedDict()
_lock = threading.Lock()


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
    with engine.connect() as conn:
        df = pd.read_sql_query(sa.text(sql), conn, params=params)
    if key is not None:
        with _lock:
            _cache[key] = (time.monotonic(), df.copy())
            while len(_cache) > ENTRIES:
                _cache.popitem(last=False)
    return df


def clear() -> None:
    with _lock:
        _cache.clear()
