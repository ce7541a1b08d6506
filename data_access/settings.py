"""Settings, read once from the environment and ``.streamlit/secrets.toml``.

Environment variables win over secrets.toml. Nothing here connects to anything.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    database_url: str | None  # an external Postgres; None means the embedded one
    data_dir: Path  # where the embedded server keeps its data
    embedded_db: str  # database name on the embedded server
    detour_factor: float  # street distance ≈ straight line × this
    walk_speed_m_per_min: float
    basemap_url: str | None = None  # XYZ template with {z}/{x}/{y}; None draws no basemap (offline)
    basemap_attribution: str = ""
    basemap_crs: str = "WGS-84"  # WGS-84/CGCS2000 (天地图, most intranet servers) or GCJ-02 (AMap, Tencent)
    app_database_url: str | None = None  # how the dashboard connects (as ggc_app); None: derived, see access
    read_database_url: str | None = None  # the dashboard's cached reads (as ggc_app), e.g. a streaming replica
    app_password: str | None = None  # ggc_app's password on an external server (setup sets it)
    connect_timeout_s: int = 5  # a store that does not answer fails after this, on both engines
    statement_timeout_s: int = 30  # the dashboard's (ggc_app's) longest query; a locked table fails after it
    owner_statement_timeout_s: int = 1800  # imports, refreshes and migrations (the store owner's engine)
    context_secret: str | None = None  # signs each transaction's area; None: the key setup made in the store
    timezone: str = "Asia/Shanghai"  # the zone stored times are wall times of, and every time shown is written in
    now: datetime | None = None  # a pinned "now" (wall time in ``timezone``): tests, demos of a chosen moment
    slow_read_s: float = 1.0  # page reads slower than this are logged
    targets_file: Path | None = None  # TOML of the indicators' red/amber/green targets
    alert_rules: Path | None = None  # the alert rules (TOML); None: data_access/alerts.toml
    alert_webhook: str | None = None  # the group robot new alerts are posted to; None: the rules file's
    throttle_per_min: int = 120  # sign-in posts and API calls from one address per minute
    api_rate_per_min: int = 60  # API calls with one token per minute
    session_idle_hours: float = 8.0
    session_days: float = 7.0
    frame_ancestors: tuple[str, ...] = ()  # origins that may show the app in an iframe
    oidc: bool = False  # an identity provider is configured (secrets.toml's [auth], read by Streamlit's st.login)

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def _secrets() -> dict:
    """The secrets Streamlit reads: ~/.streamlit/secrets.toml then the project's, or the files named by
    ``STREAMLIT_SECRETS_FILES`` (Streamlit's ``secrets.files``); a later file's keys win."""
    named = os.environ.get("STREAMLIT_SECRETS_FILES", "").strip()
    paths = (
        [Path(p) for p in re.split(r"[,\s]+", named)]
        if named
        else [Path.home() / ".streamlit" / "secrets.toml", PROJECT_ROOT / ".streamlit" / "secrets.toml"]
    )
    out: dict = {}
    for path in paths:
        if path.is_file():
            with path.open("rb") as fh:
                out.update(tomllib.load(fh))
    return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    secrets = _secrets()

    def pick(name: str, default=None):
        return os.environ.get(name) or secrets.get(name) or secrets.get(name.lower()) or default

    embedded_db = pick("GGC_DB_NAME", "cockpit")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", embedded_db):
        raise ValueError(f"GGC_DB_NAME must be a lower-case identifier, got {embedded_db!r}")
    zone = pick("GGC_TIMEZONE", "Asia/Shanghai")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"GGC_TIMEZONE must be an IANA time zone such as Asia/Shanghai, got {zone!r}") from None
    pinned = pick("GGC_NOW")
    try:
        pinned = datetime.fromisoformat(pinned).replace(tzinfo=None, microsecond=0) if pinned else None
    except ValueError:
        raise ValueError(f"GGC_NOW must be a date and time such as 2026-12-07T08:30, got {pinned!r}") from None
    return Settings(
        database_url=pick("DATABASE_URL"),
        data_dir=Path(pick("GGC_DATA_DIR", PROJECT_ROOT / ".data")),
        embedded_db=embedded_db,
        detour_factor=float(pick("GGC_DETOUR_FACTOR", 1.3)),
        walk_speed_m_per_min=float(pick("GGC_WALK_SPEED_M_PER_MIN", 80.0)),
        basemap_url=pick("GGC_BASEMAP_URL"),
        basemap_attribution=pick("GGC_BASEMAP_ATTRIBUTION", ""),
        basemap_crs=pick("GGC_BASEMAP_CRS", "WGS-84"),
        app_database_url=pick("GGC_APP_DATABASE_URL"),
        read_database_url=pick("GGC_READ_DATABASE_URL"),
        app_password=pick("GGC_APP_PASSWORD"),
        connect_timeout_s=int(pick("GGC_CONNECT_TIMEOUT_S", 5)),
        statement_timeout_s=int(pick("GGC_STATEMENT_TIMEOUT_S", 30)),
        owner_statement_timeout_s=int(pick("GGC_OWNER_STATEMENT_TIMEOUT_S", 1800)),
        context_secret=pick("GGC_CONTEXT_SECRET"),
        timezone=zone,
        now=pinned,
        slow_read_s=float(pick("GGC_SLOW_READ_S", 1.0)),
        targets_file=Path(pick("GGC_TARGETS_FILE")) if pick("GGC_TARGETS_FILE") else None,
        alert_rules=Path(pick("GGC_ALERT_RULES")) if pick("GGC_ALERT_RULES") else None,
        alert_webhook=pick("GGC_ALERT_WEBHOOK"),
        throttle_per_min=int(pick("GGC_THROTTLE_PER_MIN", 120)),
        api_rate_per_min=int(pick("GGC_API_RATE_PER_MIN", 60)),
        session_idle_hours=float(pick("GGC_SESSION_IDLE_HOURS", 8)),
        session_days=float(pick("GGC_SESSION_DAYS", 7)),
        frame_ancestors=tuple(str(pick("GGC_FRAME_ANCESTORS", "")).split()),
        oidc="auth" in secrets,
    )


# Every setting's variable (environment or secrets.toml), as README's "Configure" table lists them (tested).
VARIABLES = (
    "DATABASE_URL", "GGC_DATA_DIR", "GGC_DB_NAME", "GGC_TIMEZONE", "GGC_NOW", "GGC_DETOUR_FACTOR",
    "GGC_WALK_SPEED_M_PER_MIN", "GGC_TARGETS_FILE", "GGC_SLOW_READ_S", "GGC_BASEMAP_URL", "GGC_BASEMAP_ATTRIBUTION",
    "GGC_BASEMAP_CRS", "GGC_APP_DATABASE_URL", "GGC_READ_DATABASE_URL", "GGC_APP_PASSWORD", "GGC_CONNECT_TIMEOUT_S",
    "GGC_STATEMENT_TIMEOUT_S", "GGC_OWNER_STATEMENT_TIMEOUT_S", "GGC_SESSION_IDLE_HOURS", "GGC_SESSION_DAYS",
    "GGC_CONTEXT_SECRET", "GGC_THROTTLE_PER_MIN", "GGC_API_RATE_PER_MIN", "GGC_ALERT_RULES", "GGC_ALERT_WEBHOOK",
    "GGC_FRAME_ANCESTORS",
)  # fmt: skip
