"""Settings, read once from the environment and ``.streamlit/secrets.toml``.

Environment variables win over secrets.toml. Nothing here connects to anything.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _name(value: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise ValueError(f"GGC_DB_NAME must be a lower-case identifier, got {value!r}")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"GGC_TIMEZONE must be an IANA time zone such as Asia/Shanghai, got {value!r}") from None
    return value


def _moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None, microsecond=0)
    except ValueError:
        raise ValueError(f"GGC_NOW must be a date and time such as 2026-12-07T08:30, got {value!r}") from None


def _whole(value: str) -> int:
    return int(float(value))  # secrets.toml may write 30.0 for 30


def _words(value: str) -> tuple[str, ...]:
    return tuple(value.split())


def _var(name: str, default=None, parse=str):
    """A setting read from the variable ``name`` (environment, then secrets.toml), ``parse``d; ``default`` when
    unset or empty. The one place each setting's variable, default and type are written."""
    return field(default=default, metadata={"var": name, "parse": parse})


@dataclass(frozen=True)
class Settings:
    database_url: str | None = _var("DATABASE_URL")  # an external Postgres; None means the embedded one
    data_dir: Path = _var("GGC_DATA_DIR", PROJECT_ROOT / ".data", Path)  # the embedded server's data
    embedded_db: str = _var("GGC_DB_NAME", "cockpit", _name)  # database name on the embedded server
    detour_factor: float = _var("GGC_DETOUR_FACTOR", 1.3, float)  # street distance ≈ straight line × this
    walk_speed_m_per_min: float = _var("GGC_WALK_SPEED_M_PER_MIN", 80.0, float)
    basemap_url: str | None = _var("GGC_BASEMAP_URL")  # XYZ template with {z}/{x}/{y}; None: no basemap (offline)
    basemap_attribution: str = _var("GGC_BASEMAP_ATTRIBUTION", "")
    basemap_crs: str = _var("GGC_BASEMAP_CRS", "WGS-84")  # WGS-84/CGCS2000 (天地图, intranets) or GCJ-02 (AMap)
    app_database_url: str | None = _var("GGC_APP_DATABASE_URL")  # the dashboard's (ggc_app); None: see access
    read_database_url: str | None = _var("GGC_READ_DATABASE_URL")  # the cached reads (ggc_app), e.g. a replica
    app_password: str | None = _var("GGC_APP_PASSWORD")  # ggc_app's password on an external server (setup sets it)
    connect_timeout_s: int = _var("GGC_CONNECT_TIMEOUT_S", 5, _whole)  # a store that does not answer fails after this
    statement_timeout_s: int = _var("GGC_STATEMENT_TIMEOUT_S", 30, _whole)  # the dashboard's (ggc_app's) longest query
    owner_statement_timeout_s: int = _var("GGC_OWNER_STATEMENT_TIMEOUT_S", 1800, _whole)  # imports, refreshes
    context_secret: str | None = _var("GGC_CONTEXT_SECRET")  # signs each transaction's area; None: setup's key
    timezone: str = _var("GGC_TIMEZONE", "Asia/Shanghai", _zone)  # the zone stored times are wall times of
    now: datetime | None = _var("GGC_NOW", None, _moment)  # a pinned "now" (wall time in ``timezone``): tests, demos
    slow_read_s: float = _var("GGC_SLOW_READ_S", 1.0, float)  # read statements slower than this are logged
    targets_file: Path | None = _var("GGC_TARGETS_FILE", None, Path)  # TOML of the indicators' targets
    alert_rules: Path | None = _var("GGC_ALERT_RULES", None, Path)  # the alert rules; None: data_access/alerts.toml
    alert_webhook: str | None = _var("GGC_ALERT_WEBHOOK")  # the group robot new alerts go to; None: the rules'
    throttle_per_min: int = _var("GGC_THROTTLE_PER_MIN", 120, _whole)  # sign-ins and API calls per address a minute
    api_rate_per_min: int = _var("GGC_API_RATE_PER_MIN", 60, _whole)  # API calls with one token per minute
    session_idle_hours: float = _var("GGC_SESSION_IDLE_HOURS", 8.0, float)
    session_days: float = _var("GGC_SESSION_DAYS", 7.0, float)
    frame_ancestors: tuple[str, ...] = _var("GGC_FRAME_ANCESTORS", (), _words)  # origins that may frame the app
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

    def pick(name: str):
        return os.environ.get(name) or secrets.get(name) or secrets.get(name.lower())

    given = {f.name: (f.metadata["parse"](str(v)) if (v := pick(f.metadata["var"])) else f.default)
             for f in fields(Settings) if "var" in f.metadata}  # fmt: skip
    return Settings(**given, oidc="auth" in secrets)


# Every setting's variable (environment or secrets.toml), as README's "Configure" table lists them (tested).
VARIABLES = tuple(f.metadata["var"] for f in fields(Settings) if "var" in f.metadata)
