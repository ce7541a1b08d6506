"""The one clock: what "now" is, in the configured zone, and how a time is written for a person.

Work orders carry China wall time, and so does every stored time of the data (``timestamp`` columns): they are
wall times in ``GGC_TIMEZONE`` (default Asia/Shanghai), whatever zone the server runs in. Nothing else reads the
wall clock: the figures' as-of, 今日, overdue, periods and every time a person reads ask this module. ``GGC_NOW``
pins "now" (tests run on the moment their store was built; a demo can be shown at a chosen moment).

Times the database stamps itself (``timestamptz``: sign-ins, sessions, the audit log, alerts) are real
instants; :func:`local` turns them into wall time here before anyone reads them. Elapsed-time mechanics that
must keep moving under a pinned clock (a wall screen's rotation, a signed context's two minutes) read
:func:`seconds`.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from data_access.settings import get_settings

# The end of time: counts "by then" are counts of everything stored (the summaries count so; no event is stored
# after now), so a read bound to it does not depend on the moment.
EVER = datetime(9999, 12, 31)


def zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def now() -> datetime:
    """The present moment as wall time in the zone (naive, whole seconds), or the pinned one."""
    pinned = get_settings().now
    if pinned is not None:
        return pinned
    return datetime.now(zone()).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()


def as_of() -> datetime:
    """The moment the figures are computed at: now, to the minute (pages cache their reads per minute; nothing
    is shown finer than a minute)."""
    return now().replace(second=0)


def seconds() -> float:
    """Seconds since the epoch, never pinned: for intervals (rotation, expiry of a signed context)."""
    return time.time()


def local(value: datetime | None) -> datetime | None:
    """Wall time in the zone of a stored instant (aware) or wall time (naive, returned as it is)."""
    if value is None or value != value:  # None, NaT
        return None
    if getattr(value, "tzinfo", None) is not None:
        return value.astimezone(zone()).replace(tzinfo=None)
    return value


def aware(value: datetime) -> datetime:
    """A stored wall time (naive, in the zone) as an instant: with the zone's offset (for ISO text and epochs)."""
    return value.replace(tzinfo=zone()) if value.tzinfo is None else value


def written(value: datetime | date | None, seconds_too: bool = False) -> str:
    """A time as a person reads it: ``2026-12-07 08:30`` in the zone, no offset ('' for none)."""
    value = local(value) if isinstance(value, datetime) else value
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds_too else "%Y-%m-%d %H:%M")


def age_text(then: datetime, at: datetime | None = None) -> tuple[int, str]:
    """How long before ``at`` (default now) ``then`` was: (whole minutes, the unit it is best said in: 'minutes',
    'hours' from two hours, 'days' from two days)."""
    gone = (local(at) if at else now()) - local(then)
    mins = max(0, int(gone.total_seconds() // 60))
    return mins, "days" if mins >= 2 * 24 * 60 else "hours" if mins >= 120 else "minutes"
