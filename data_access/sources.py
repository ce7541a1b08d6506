"""What the sync's sources delivered and when: the state page headers, the wall screen, /healthz, /metrics, the
``stale`` alert and /admin read (the sync itself, which writes it, is data_access.sync)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data_access import clock


def freshness(conn) -> pd.DataFrame:
    """Each source's last delivery and whether it is overdue: silent for longer than expected since its last
    delivery (or, never having delivered, since its first run): name, label, district_code, last_delivery_at, since,
    expected_minutes, failures, silent_minutes, overdue. The one definition the headers, the wall screen, /healthz,
    /metrics and the ``stale`` alert use."""
    df = pd.read_sql_query(sa.text("SELECT * FROM ggc_sources()"), conn)  # any caller, even no account
    silent = (pd.Timestamp(clock.now()) - pd.to_datetime(df["since"])) / pd.Timedelta(minutes=1)
    df["silent_minutes"] = silent
    df["overdue"] = (silent > df["expected_minutes"]).fillna(False).astype(bool)
    return df


def status(conn) -> pd.DataFrame:
    """The sources as admins see them on /admin (no location, no watermark): name, label, kind, profile,
    expected_minutes, last_run_at, last_ok_at, last_delivery_at, last_error, failures."""
    sql = (
        "SELECT name, label, kind, profile, expected_minutes, last_run_at, last_ok_at, last_delivery_at, last_error, "
        "failures FROM sync_source ORDER BY label, name"
    )
    return pd.read_sql_query(sa.text(sql), conn)


def runs(conn, limit: int = 50) -> pd.DataFrame:
    """The newest runs first, each with its source's label (``source``)."""
    sql = (
        "SELECT s.label AS source, r.started_at, r.finished_at, r.ok, r.files, r.rows, r.inserted, r.updated, "
        "r.rejected, r.message FROM sync_run r JOIN sync_source s ON s.name = r.source "
        "ORDER BY r.started_at DESC, r.id DESC LIMIT :n"
    )
    return pd.read_sql_query(sa.text(sql), conn, params={"n": limit})
