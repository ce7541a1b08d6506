"""What /metrics reports (Prometheus text format, prometheus_client's default registry): script runs and their
duration by page, page reads and cache misses, the app role's connections in use, open sessions, API requests by
endpoint and status, imports by outcome. Counters are this process's; the open sessions are the store's."""

from __future__ import annotations

import logging

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily

SCRIPT_RUNS = Histogram(
    "ggc_script_run_seconds",
    "Script runs (a page drawn for a browser) and their duration, by page",
    ["page"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
)
READS = Counter("ggc_page_reads", "Page reads asked for (cached or not)")
CACHE_MISSES = Counter("ggc_page_read_cache_misses", "Page reads that went to the store (not in the cache)")
API_REQUESTS = Counter("ggc_api_requests", "Requests to /api/v1/ by endpoint and status", ["endpoint", "status"])
IMPORTS = Counter("ggc_imports", "Imports from the import page by outcome", ["outcome"])
_log = logging.getLogger(__name__)
disable_created_metrics()  # no *_created series: counters start with the process


def _pool_in_use() -> float:
    from data_access.engine import app_engine

    return app_engine.cache_info().currsize and app_engine().pool.checkedout()


Gauge("ggc_db_pool_in_use", "Connections of the app role's pool checked out").set_function(_pool_in_use)


class _OpenSessions:
    """The store's open sessions at scrape time (nothing when the store does not answer)."""

    def collect(self):
        from data_access import sessions

        try:
            n = sessions.open_count()
        except Exception:
            _log.warning("metrics: the store does not answer; open sessions left out", exc_info=True)
            return
        yield GaugeMetricFamily("ggc_sessions_open", "Signed-in browser sessions open (not ended, expired or idle)", n)


class _Sources:
    """Each sync source's last delivery (epoch seconds) and whether it is overdue, at scrape time."""

    def collect(self):
        from data_access import clock, sources
        from data_access.engine import transaction

        try:
            with transaction("", "", "") as conn:
                df = sources.freshness(conn)
        except Exception:
            _log.warning("metrics: the store does not answer; sources left out", exc_info=True)
            return
        last = GaugeMetricFamily(
            "ggc_source_last_delivery_timestamp_seconds", "When each sync source last delivered", labels=["source"]
        )
        overdue = GaugeMetricFamily(
            "ggc_source_overdue", "1 when a sync source is silent longer than expected", labels=["source"]
        )
        for r in df.itertuples():
            if clock.local(r.last_delivery_at):
                last.add_metric([r.name], clock.aware(r.last_delivery_at).timestamp())
            overdue.add_metric([r.name], float(r.overdue))
        yield last
        yield overdue


REGISTRY.register(_OpenSessions())
REGISTRY.register(_Sources())


def text() -> bytes:
    return generate_latest(REGISTRY)
