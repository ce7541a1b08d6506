"""The store's own facts (store_meta): its data versions, the moment its demo was built and when its data last
changed. A low module: the loaders, summaries and alerts stamp it, the pages and the API read it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from data_access import clock


def demo_moment(conn: sa.Connection) -> datetime | None:
    """The moment the demo was generated up to (None: the store holds no demo)."""
    rows = dict(
        conn.execute(sa.text("SELECT key, value FROM store_meta WHERE key IN ('demo_built_at', 'demo_as_of')")).all()
    )
    if "demo_built_at" in rows:
        return datetime.fromisoformat(rows["demo_built_at"])
    if "demo_as_of" in rows:  # a demo built before the clock: the end of its day
        return datetime.combine(date.fromisoformat(rows["demo_as_of"]), datetime.max.time()).replace(microsecond=0)
    return None


def last_load(conn: sa.Connection) -> datetime | None:
    """When the data last changed (an import, a refresh, the demo's build): wall time in the clock's zone."""
    value = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'data_changed_at'")).scalar()
    if not value:
        return None
    return clock.local(datetime.fromisoformat(value))


def bump_data_version(conn: sa.Connection, districts=None, at: datetime | None = None) -> None:
    """Mark the data as changed (inside the loading transaction), so that app processes renew their caches of it:
    of everything (``districts`` None: a rebuild, the demo), of those districts only (an import, a district removed),
    or of nothing page reads hold (an empty list: alerts changed; the global version still moves). ``at``: when the
    data changed (default now; the demo's: the moment it was generated up to, not the end of its load)."""
    version = conn.execute(
        sa.text(
            "INSERT INTO store_meta (key, value) VALUES ('data_version', '1') ON CONFLICT (key) "
            "DO UPDATE SET value = (store_meta.value::bigint + 1)::text RETURNING value"
        )
    ).scalar()
    changed = ["data_epoch"] if districts is None else [f"district_version:{d}" for d in sorted(set(districts))]
    for key in changed:  # each set to the new version: a scope's version is the largest of its own and the epoch
        conn.execute(
            sa.text("INSERT INTO store_meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = :v"),
            {"k": key, "v": version},
        )
    if districts == []:  # alerts are read from the data, not part of it: 数据更新于 stays
        return
    conn.execute(
        sa.text(
            "INSERT INTO store_meta (key, value) VALUES ('data_changed_at', :at) ON CONFLICT (key) "
            "DO UPDATE SET value = EXCLUDED.value"
        ),
        {"at": (at or clock.now()).isoformat(sep=" ")},
    )


def versions(conn: sa.Connection) -> dict[str, int]:
    """The data versions: ``*`` (everything, moves with any change), ``epoch`` (the last change of everything),
    each district's (its last change) by district code, and each city's (its districts' last) as ``city:<code>``."""
    rows = conn.execute(
        sa.text(
            "SELECT m.key, m.value, d.city_code FROM store_meta m "
            "LEFT JOIN district d ON m.key = 'district_version:' || d.code "
            "WHERE m.key IN ('data_version', 'data_epoch') OR m.key LIKE 'district_version:%'"
        )
    ).all()
    out = {"*": 0, "epoch": 0, "city:": 0}  # city: (no code): districts removed, or not seen by the area
    for key, value, city in rows:
        out[{"data_version": "*", "data_epoch": "epoch"}.get(key, key.removeprefix("district_version:"))] = int(value)
        if key.startswith("district_version:"):
            out[f"city:{city or ''}"] = max(out.get(f"city:{city or ''}", 0), int(value))
    return out


def scope_version(known: dict[str, int], code: str | None) -> int:
    """The version of what a read of the place ``code`` (None: everything) holds, from :func:`versions`: it moves
    when the place's district (a city's: any of its districts, by ``district.city_code``) or everything changed,
    not when others did."""
    if code is None:
        return known["*"]
    if len(code) == 6 and code.endswith("00"):
        return max(known["epoch"], known["city:"], known.get(f"city:{code}", 0))
    return max(known["epoch"], known.get(code[:6], 0))


def data_version(engine: sa.Engine) -> int:
    """A number that grows with every import or refresh (0 before the first)."""
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'data_version'")).scalar()
    return int(value or 0)
