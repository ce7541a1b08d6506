"""Red/amber/green targets for rankings, overridable by a TOML file (GGC_TARGETS_FILE)."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache

# metric: (green at or above, amber at or above); below amber is red. Higher is better.
DEFAULT_TARGETS = {
    "closure_rate": (95.0, 90.0),
    "on_time_rate": (90.0, 80.0),
    "satisfaction_rate": (92.0, 85.0),
    "branch_coverage": (80.0, 50.0),
    "committee_rate": (80.0, 60.0),
    "coverage": (90.0, 75.0),
    "active_rate": (50.0, 25.0),
}


@lru_cache(maxsize=1)
def targets() -> dict[str, tuple[float, float]]:
    out = dict(DEFAULT_TARGETS)
    path = os.environ.get("GGC_TARGETS_FILE")
    if path:
        with open(path, "rb") as fh:
            for key, value in tomllib.load(fh).items():
                out[key] = (float(value["green"]), float(value["amber"]))
    return out


def rag(metric: str, value) -> str | None:
    """ "green", "amber", "red", or None when there is no target or no value."""
    if metric not in targets() or value is None or value != value:
        return None
    green, amber = targets()[metric]
    return "green" if value >= green else "amber" if value >= amber else "red"
