"""The sync (数据对接): sources that deliver by themselves, loaded with their import profile.

Two kinds of source (``sync_source``, migration 0025):

- **folder**: an inbox the source's system (or an exchange job) drops files into. Each file loads with the source's
  profile in one transaction and is moved to ``done/`` or ``failed/`` beside a report (``<file>.report.txt``). A
  file loads once: its SHA-256 is recorded in the load's own transaction, so the same file dropped again is only
  moved to ``done/``. Files still being written should be given a temporary name (``.part``, ``.tmp``, or a leading
  dot) and renamed when complete: those are left alone.
- **sql**: a table or view of another database (a 前置库 of the data-sharing platform), read in pages ordered by an
  update-time column and a key, from the stored watermark on. Each page loads (rows with problems are reported
  and skipped, so one bad work order does not stop the feed) and advances the watermark in the same transaction:
  a run that fails part-way keeps the pages it committed and the next run goes on from there; a work order
  changed at the source since its last load (closed, evaluated) comes again with a later update time and updates
  its row.

Every run is recorded in ``sync_run`` with its counts, or its error: what a failed run had not committed is read
again by the next (a page and its watermark, a file and its record, commit together). Two runs of one source never
overlap (an advisory lock). A source silent for longer than its ``expected_minutes`` is overdue
(:func:`data_access.sources.freshness`): the ``stale`` alert rule fires and the page headers show it red. Runs are
started by ``python -m data_access sync`` (once, or ``--every MINUTES``), from cron or a systemd timer (README).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from data_access import clock
from data_access import sources as fed
from data_access.accounts import audit
from data_access.importing import profiles
from data_access.importing.kinds import KINDS, TABLE_SUFFIXES
from data_access.importing.load import Report, import_file, import_table
from data_access.importing.validate import FileProblem, header_key

_log = logging.getLogger(__name__)
LISTED = 5  # problems quoted in a run's message


@dataclass
class Run:
    source: str
    started_at: datetime
    id: int = 0  # its sync_run row
    ok: bool = True
    files: int = 0
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    lines: list[str] = field(default_factory=list)

    def add(self, report: Report) -> None:
        self.rows += report.rows
        self.inserted += report.inserted
        self.updated += report.updated
        self.rejected += report.rejected_rows

    @property
    def delivered(self) -> bool:
        return self.files > 0 or self.inserted + self.updated > 0

    def as_dict(self) -> dict:
        return {
            "source": self.source, "ok": self.ok, "files": self.files, "rows": self.rows, "inserted": self.inserted,
            "updated": self.updated, "rejected": self.rejected, "message": "; ".join(self.lines)[:2000],
        }  # fmt: skip


def add_source(conn, name: str, label: str, kind: str, profile: str, location: str, *, expected_minutes: int,
               source_table: str | None = None, watermark_column: str | None = None, key_column: str | None = None,
               page_rows: int = 10_000) -> None:  # fmt: skip
    """Insert or change a source (its watermark and history are kept when it is changed)."""
    missing = [
        what for what, v in (("name", name), ("kind", kind), ("profile", profile), ("location", location)) if not v
    ]
    if missing:
        raise ValueError(f"a source needs its {', '.join(missing)}")
    if profiles.get(conn, profile) is None:
        raise LookupError(f"no import profile {profile!r}; save one on /import or with import --save-profile")
    values = {
        "n": name, "l": label, "k": kind, "p": profile, "loc": location, "t": source_table, "w": watermark_column,
        "key": key_column, "r": page_rows, "m": expected_minutes,
    }  # fmt: skip
    conn.execute(
        sa.text(
            "INSERT INTO sync_source (name, label, kind, profile, location, source_table, watermark_column, "
            "key_column, page_rows, expected_minutes) VALUES (:n, :l, :k, :p, :loc, :t, :w, :key, :r, :m) "
            "ON CONFLICT (name) DO UPDATE SET label = :l, kind = :k, profile = :p, location = :loc, "
            "source_table = :t, watermark_column = :w, key_column = :key, page_rows = :r, expected_minutes = :m"
        ),
        values,
    )


def sources(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(sa.text("SELECT * FROM sync_source ORDER BY name"), conn)


def _report_text(report: Report) -> str:
    """A file's report beside it in done/ or failed/, in Chinese (the district's staff read it)."""
    lines = [f"说明：{n.line('zh')}" for n in report.notes] + [p.line("zh") for p in report.problems]
    return "\n".join([*lines, report.summary("zh")]) + "\n"


def _move(path: Path, folder: str, text: str) -> None:
    """``path`` into ``folder`` beside it (a name taken there gets the time), with its report."""
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}.{clock.now():%Y%m%d%H%M%S}{path.suffix}"
    (target_dir / f"{target.name}.report.txt").write_text(text, encoding="utf-8")
    shutil.move(path, target)


def _inbox(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"the inbox {folder} is not a folder")
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and p.suffix.lower() in TABLE_SUFFIXES
    )


def _run_folder(engine, source, profile: profiles.Profile, run: Run) -> None:
    for path in _inbox(Path(source.location)):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with engine.connect() as conn:
            seen = conn.execute(
                sa.text("SELECT name FROM sync_file WHERE source = :s AND sha256 = :h"), {"s": source.name, "h": digest}
            ).scalar()
        if seen is not None:
            _move(path, "done", f"{path.name}：与已导入的 {seen} 内容相同，未重复导入\n")
            run.lines.append(f"{path.name}：已导入过")
            continue

        def record(conn, report, name=path.name, digest=digest):
            conn.execute(
                sa.text("INSERT INTO sync_file (source, sha256, name, run_id) VALUES (:s, :h, :n, :r)"),
                {"s": source.name, "h": digest, "n": name, "r": run.id},
            )

        try:
            report = import_file(engine, profile.kind, path, profile=profile, in_load=record, evaluate_alerts=False)
        except FileProblem as exc:  # the file as a whole cannot be read: it is the file's fault, not the run's
            _move(path, "failed", f"{exc.reason_in('zh')}；未导入\n")
            run.lines.append(exc.reason_in("zh"))
            run.ok = False
            continue
        run.add(report)
        if report.loaded:
            run.files += 1
            _move(path, "done", _report_text(report))
        else:
            run.ok = False
            _move(path, "failed", _report_text(report))
        run.lines.append(report.summary("zh"))


def _watermark(value):
    """A stored watermark as the value to compare with: a time from its ISO text, else the JSON value."""
    if value is None:
        return None
    loaded = json.loads(value)
    if isinstance(loaded, dict) and "time" in loaded:
        return datetime.fromisoformat(loaded["time"])
    return loaded


def _stored(value) -> str:
    if isinstance(value, datetime):
        return json.dumps({"time": pd.Timestamp(value).isoformat()})
    if hasattr(value, "item"):  # a numpy number
        value = value.item()
    return json.dumps(value, default=str)


def _page_query(source, after: bool) -> sa.Select:
    """The next page of the source's table (after the watermark when there is one; rows without an update time or a
    key are never read): bound parameters, the names quoted as identifiers (``schema.table`` or ``table``)."""
    schema, _, name = source.source_table.rpartition(".")
    table = sa.table(name, sa.column(source.watermark_column), sa.column(source.key_column), schema=schema or None)
    w, k = table.c[source.watermark_column], table.c[source.key_column]
    query = sa.select(sa.text("*")).select_from(table).where(w.is_not(None), k.is_not(None))
    query = query.order_by(w, k).limit(sa.bindparam("n"))
    if after:
        wm = sa.bindparam("wm")
        query = query.where(sa.or_(w > wm, sa.and_(w == wm, k > sa.bindparam("key"))))
    return query


def _run_sql(engine, source, profile: profiles.Profile, run: Run) -> None:
    remote = sa.create_engine(source.location, poolclass=NullPool, connect_args=_connect_args(source.location))
    kind = KINDS[profile.kind]
    wm, key = _watermark(source.watermark), _watermark(source.watermark_key)
    try:
        while True:
            with remote.connect() as conn:
                query = _page_query(source, wm is not None)
                page = pd.read_sql_query(query, conn, params={"wm": wm, "key": key, "n": int(source.page_rows)})
            if page.empty:
                return
            last_wm, last_key = page[source.watermark_column].iloc[-1], page[source.key_column].iloc[-1]
            full = len(page) == source.page_rows  # more may follow
            if record := _record_key(page, profile, kind):  # a change log: a work order's last change of the page
                page = page.drop_duplicates(record, keep="last")

            def advance(conn, report, last_wm=last_wm, last_key=last_key):
                conn.execute(
                    sa.text("UPDATE sync_source SET watermark = :w, watermark_key = :k WHERE name = :n"),
                    {"w": _stored(last_wm), "k": _stored(last_key), "n": source.name},
                )

            report = Report(profile.kind, f"{source.source_table}")
            import_table(
                engine,
                kind,
                page,
                report,
                profile=profile,
                valid_rows_only=True,
                in_load=advance,
                evaluate_alerts=False,
            )
            if not report.loaded:  # nothing loadable on the page: the run fails and the page is read again
                problems = "；".join(p.line("zh") for p in report.problems[:LISTED])
                raise RuntimeError(f"{wm} 之后的 {len(page)} 行无一可导入（{problems}）")
            run.add(report)
            keys = page[source.key_column].astype(str)  # a row of the page by its key, not its number
            run.lines += [f"{source.key_column}={keys[p.row - 2]}：{p.column} {p.reason_in('zh')}"
                          for p in report.problems if p.of_a_row][:LISTED]  # fmt: skip
            wm, key = last_wm, last_key
            if not full:
                return
    finally:
        remote.dispose()


def _record_key(page: pd.DataFrame, profile: profiles.Profile, kind) -> list[str]:
    """The page's columns that hold the kind's natural key (工单编号 …), by the profile or by their own names."""
    zh = {kind.column(k).zh for k in kind.key}
    names = {header_key(h) for k in kind.key for h in kind.column(k).headers}
    return [c for c in page.columns if profile.columns.get(str(c)) in zh or header_key(c) in names]


def _connect_args(url: str) -> dict:
    """A source that stalls must not hang the sync: connection and statement timeouts where the driver has them."""
    if sa.make_url(url).get_backend_name() == "postgresql":
        return {"connect_timeout": 10, "options": "-c statement_timeout=120000"}
    return {}


def _reason(exc: BaseException) -> str:
    """A failure in one line: its root cause (the driver's own words: relation "exch.gd_12345" does not exist)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    exc = getattr(exc, "orig", None) or exc
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]


def run_source(engine, name: str) -> dict:
    """One run of the source ``name``, recorded; returns its counts (and ``ok``). A run of the same source already
    under way (a timer and 立即同步) is not joined: this one returns ``{"source": name, "busy": True}``."""
    with engine.connect() as lock:  # held for the run, released however it ends
        key = {"k": f"ggc_sync:{name}"}
        if not lock.execute(sa.text("SELECT pg_try_advisory_lock(hashtext(:k))"), key).scalar():
            return {"source": name, "busy": True, "ok": True, "files": 0, "inserted": 0, "updated": 0}
        try:
            return _run(engine, name)
        finally:
            lock.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:k))"), key)
            lock.commit()


def _run(engine, name: str) -> dict:
    with engine.begin() as conn:
        source = conn.execute(sa.text("SELECT * FROM sync_source WHERE name = :n"), {"n": name}).one_or_none()
        if source is None:
            raise LookupError(f"no sync source {name!r}")
        profile = profiles.get(conn, source.profile)
        started = clock.now()
        run = Run(name, started)
        run.id = conn.execute(
            sa.text(
                "INSERT INTO sync_run (source, started_at, finished_at, ok) VALUES (:s, :t, :t, false) RETURNING id"
            ),
            {"s": name, "t": started},
        ).scalar()
    try:
        (_run_folder if source.kind == "folder" else _run_sql)(engine, source, profile, run)
    except Exception as exc:  # the store, the source or the folder failed: recorded, retried on the next run
        run.ok = False
        run.lines.append(_reason(exc))
        _log.warning("sync of %s failed: %s", name, run.lines[-1])
    finished = clock.now()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE sync_run SET finished_at = :f, ok = :ok, files = :files, rows = :rows, inserted = :inserted, "
                "updated = :updated, rejected = :rejected, message = :message WHERE id = :id"
            ),
            {**run.as_dict(), "f": finished, "id": run.id},
        )
        conn.execute(
            sa.text(
                "UPDATE sync_source SET last_run_at = :t, last_ok_at = CASE WHEN :ok THEN :t ELSE last_ok_at END, "
                "last_delivery_at = CASE WHEN :d THEN :t ELSE last_delivery_at END, "
                "last_error = CASE WHEN :ok THEN NULL ELSE :m END, "
                "failures = CASE WHEN :ok THEN 0 ELSE failures + 1 END WHERE name = :n"
            ),
            {"t": finished, "ok": run.ok, "d": run.delivered, "m": run.as_dict()["message"], "n": name},
        )
        audit(conn, "sync", "sync", **{k: v for k, v in run.as_dict().items() if k != "message"})
    return {**run.as_dict(), "seconds": round((finished - started).total_seconds(), 1)}


def run_all(engine) -> list[dict]:
    """One run of every source, then the alert rules when a run delivered or a source is overdue (a source gone
    stale fires even when nothing loaded)."""
    from data_access import alerts

    results = [run_source(engine, name) for name in sources(engine)["name"]]
    with engine.connect() as conn:
        overdue = fed.freshness(conn)["overdue"].any()
    if overdue or any(r["inserted"] + r["updated"] or r["files"] for r in results):  # else nothing can have changed
        alerts.evaluate_quietly(engine)
    return results
