"""Command line: python -m data_access COMMAND ... (setup, migrate, demo, refresh, figures, indicators, status,
import, user, briefing, alerts).

Errors print one line on stderr and exit non-zero (2 for usage errors).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from datetime import date, datetime
from pathlib import Path


def _moment(text: str) -> date | datetime:
    """A day (2026-12-07) or a moment (2026-12-07T08:30)."""
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


def _cmd_setup(args) -> dict:
    from data_access.store import ensure_ready

    return ensure_ready(load_demo_if_empty=not args.no_demo)


def _cmd_migrate(args) -> dict:
    from data_access import migrate
    from data_access.engine import get_engine

    if args.revision.startswith("-") or args.down:
        migrate.downgrade(get_engine(), args.revision)
    else:
        migrate.upgrade(get_engine(), args.revision)
    return {"revision": migrate.current_revision(get_engine())}


def _cmd_demo(args) -> dict:
    from data_access import migrate
    from data_access.engine import get_engine
    from data_access.store import load_demo

    engine = get_engine()
    migrate.upgrade(engine)
    result = {}
    if not args.scale_only:
        result["demo"] = load_demo(engine, as_of=args.as_of, seed=args.seed, replace=args.replace)
    if args.scale:
        from data_access.demo.scale import build_scale

        result["scale"] = build_scale(engine, args.scale)
    return result


def _cmd_remove_district(args) -> dict:
    import getpass

    from data_access.engine import get_engine
    from data_access.store import remove_district

    return {"district": args.code, "deleted": remove_district(get_engine(), args.code, f"cli:{getpass.getuser()}")}


def _cmd_refresh(args) -> dict:
    import time

    from data_access.engine import get_engine
    from data_access.store import refresh_summaries

    t0 = time.perf_counter()
    rows = refresh_summaries(get_engine())
    return {"rows": rows, "seconds": round(time.perf_counter() - t0, 1)}


def _cmd_figures(args) -> dict:
    import sqlalchemy as sa

    from data_access.engine import get_engine
    from data_access.figures import FIGURES, compute, expressible, seed_rows
    from data_access.settings import PROJECT_ROOT

    engine = get_engine()
    with engine.connect() as conn:
        code = conn.execute(
            sa.text(
                "SELECT code FROM district WHERE name = :n OR code = :n "
                "UNION ALL SELECT code FROM city WHERE name = :n OR code = :n"
            ),
            {"n": args.place},
        ).scalar()
        if code is None:
            raise LookupError(f"no district or city named {args.place!r} in the store")
        # The place's published figures (the reference file beside the project, else the copy the demo ships).
        ref = PROJECT_ROOT.parent / "shared" / "reference" / "seed_figures.csv"
        rows = seed_rows(ref if ref.exists() else PROJECT_ROOT / "data_access" / "demo" / "seed_figures.csv")
        wanted = list(dict.fromkeys(r["figure"] for r in rows if r["adcode"] == code and expressible(r)[0]))
        return compute(conn, code, wanted or list(FIGURES))


def _cmd_import(args) -> int:
    """Exit 0 loaded (or valid on a dry run), 1 rejected with a report or unreadable, 2 usage error."""

    from data_access.engine import get_engine
    from data_access.importing.load import UsageError, import_file
    from data_access.store import ensure_ready

    name = Path(args.path).name
    try:
        ensure_ready(load_demo_if_empty=False)
        with warnings.catch_warnings():  # numerical warnings of the libraries are not the user's business
            warnings.simplefilter("ignore")
            report = import_file(
                get_engine(),
                args.kind,
                args.path,
                crs=args.crs,
                encoding=args.encoding,
                dry_run=args.dry_run,
                valid_rows_only=args.valid_rows_only,
                district=args.district,
                map_categories=args.map_categories,
                create_departments=args.create_departments,
                replace_tree=args.tree,
                **_profile(args),
            )
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # FileProblem: the file as a whole cannot be read
        print(f"error: {exc}; nothing was loaded", file=sys.stderr)
        return 1
    except Exception as exc:  # one line, never a traceback; the store is unchanged (one transaction)
        logging.getLogger("data_access.import").debug("import of %s failed", name, exc_info=True)
        detail = str(exc).splitlines()[0][:200] if str(exc) else "unexpected failure"
        print(f"error: {name} could not be imported ({detail}); nothing was loaded", file=sys.stderr)
        return 1
    if report.loaded:
        _audit_import(args, report)
    for note in report.notes:
        print(f"note: {note.line()}", file=sys.stderr)
    for problem in report.problems:
        print(problem.line(), file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return 0 if report.loaded or not report.problems else 1


def _profile(args) -> dict:
    """import_file's options for --profile NAME (the saved profile) or --save-profile NAME (one proposed from this
    file's headers by their names and aliases, with its --map-categories and --district; likenesses and guesses are
    left to a person on /import), saved in the load's own transaction: a dry run or a refused file saves nothing."""
    import getpass

    from data_access.engine import get_engine
    from data_access.importing import profiles
    from data_access.importing.kinds import KINDS
    from data_access.importing.load import UsageError, _category_map, _district
    from data_access.importing.validate import read_table

    if args.save_profile:
        if args.kind not in KINDS:
            raise UsageError(f"unknown kind {args.kind!r}; one of {', '.join(KINDS)}")
        raw, _, _, _ = read_table(Path(args.path), args.encoding, KINDS[args.kind])
        proposal = profiles.propose(raw.columns, KINDS[args.kind])
        proposal.loc[~proposal["reason"].isin(["name", "alias"]), "field"] = ""
        with get_engine().connect() as conn:
            profile = profiles.from_proposal(
                args.save_profile, args.kind, proposal,
                district=_district(conn, args.district), categories=_category_map(args.map_categories) or {},
            )  # fmt: skip
        profiles.check(profile)
        return {"profile": profile, "in_load": lambda conn, _: profiles.save(conn, profile, f"cli:{getpass.getuser()}")}
    if not args.profile:
        return {}
    with get_engine().connect() as conn:
        profile = profiles.get(conn, args.profile)
        if profile is None:
            known = "、".join(profiles.names(conn)) or "none saved yet"
            raise UsageError(f"--profile {args.profile!r}: no such profile ({known})")
    if profile.kind != args.kind:
        raise UsageError(f"--profile {args.profile!r} is a profile for {profile.kind}, not {args.kind}")
    return {"profile": profile}


def _audit_import(args, report) -> None:
    import getpass
    import hashlib

    from data_access.accounts import audit
    from data_access.engine import get_engine

    digest = hashlib.sha256(Path(args.path).read_bytes()).hexdigest()
    with get_engine().begin() as conn:
        audit(
            conn, f"cli:{getpass.getuser()}", "import", kind=args.kind, files=[Path(args.path).name], sha256=digest,
            rows=report.rows, inserted=report.inserted, updated=report.updated, rejected=report.rejected_rows,
            departments_created=[] if report.new_departments is None else report.new_departments["code"].tolist(),
        )  # fmt: skip


def _cmd_user(args) -> dict:
    """Create or change an account; the password is read from stdin (never from the command line)."""
    from data_access.accounts import save_account
    from data_access.engine import get_engine
    from data_access.store import ensure_ready

    ensure_ready(load_demo_if_empty=False)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    with get_engine().begin() as conn:
        token = save_account(
            conn, "cli", args.username, args.role, args.area, password=password, display_name=args.name,
            disabled=args.disable,
        )  # fmt: skip
    return {"username": args.username, "role": args.role, "area": args.area or "(all)", "screen_token": token}


def _cmd_briefing(args) -> dict:
    """Briefings (工作简报) as PDF or DOCX files: one unit, or each of its child units (audited)."""
    import getpass
    import time

    from data_access.accounts import audit
    from data_access.engine import get_engine
    from data_access.scope import Scope
    from documents import briefing

    t0 = time.perf_counter()
    engine = get_engine()
    paths = briefing.write(engine, Scope.from_code(args.scope), args.period, args.format, Path(args.out),
                           children=args.children, who=f"cli:{getpass.getuser()}")  # fmt: skip
    with engine.begin() as conn:
        audit(conn, f"cli:{getpass.getuser()}", "briefing", scope=args.scope, period=args.period,
              format=args.format, files=[p.name for p in paths])  # fmt: skip
    return {"files": [str(p) for p in paths], "seconds": round(time.perf_counter() - t0, 1)}


def _cmd_alerts(args) -> dict:
    """Evaluate the alert rules now (a schedule runs this), or only check a rules file (audited)."""
    import getpass

    from data_access import alerts
    from data_access.accounts import audit
    from data_access.engine import get_engine

    rules = alerts.load(Path(args.check) if args.check else None)
    if args.check:
        return {"rules": [r.name for r in rules.rules], "webhook": rules.webhook_kind if rules.webhook_url else ""}
    engine = get_engine()
    result = alerts.evaluate(engine, rules)
    with engine.begin() as conn:
        audit(conn, f"cli:{getpass.getuser()}", "alerts", **result)
    return result


def _cmd_sync(args) -> dict:
    """sync: run every source once (or every --every minutes); sync add …: a source; sync list: the sources."""
    import time

    from data_access import sync
    from data_access.engine import get_engine
    from data_access.store import ensure_ready

    ensure_ready(load_demo_if_empty=False)
    engine = get_engine()
    if args.action == "add":
        with engine.begin() as conn:
            sync.add_source(
                conn, args.name, args.label or args.name, args.kind, args.profile, args.location,
                expected_minutes=args.expected_minutes, source_table=args.table, watermark_column=args.watermark,
                key_column=args.key, page_rows=args.page_rows,
            )  # fmt: skip
        return {"added": args.name}
    if args.action == "list":
        df = sync.sources(engine).drop(columns=["location", "watermark_key"])
        return {"sources": json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False))}
    if not args.every:
        return {"runs": sync.run_all(engine)}
    while True:  # a failure of one round (the store away) is logged; the next round tries again
        try:
            _print({"runs": sync.run_all(engine)}, args.json)
        except Exception as exc:
            print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        time.sleep(args.every * 60)


def _cmd_status(args) -> dict:
    from data_access.store import status

    return status()


def _print(result, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    for key, value in result.items():
        print(f"{key}: {json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict) else value}")


def main(argv: list[str] | None = None) -> int:
    from data_access.importing.kinds import KINDS

    parser = argparse.ArgumentParser(prog="python -m data_access", description="Grid Governance Cockpit store")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup", help="migrate, and load the demo city when the store is empty")
    p.add_argument("--no-demo", action="store_true")
    p = sub.add_parser("migrate", help="apply (or revert) schema migrations")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument("--down", action="store_true", help="downgrade to REVISION")
    p = sub.add_parser("demo", help="build the demo city")
    p.add_argument(
        "--as-of",
        type=_moment,
        default=None,
        help="the moment generated up to: 2026-12-07T08:30, or a day for its end (default: now, by the clock)",
    )
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--replace", action="store_true", help="empty a non-empty store first")
    p.add_argument("--scale", type=int, default=0, help="add megacity bulk, 1..10 (10 ≈ 10 million issues)")
    p.add_argument("--scale-only", action="store_true", help="add bulk to an existing demo")
    p = sub.add_parser("remove-district", help="delete one district and all its rows (to load your own instead)")
    p.add_argument("code", help="区划代码, six digits")
    sub.add_parser("refresh", help="rebuild the summary tables from the raw tables")
    p = sub.add_parser("figures", help="computed figures of one district or city, keyed as in seed_figures.csv")
    p.add_argument("--place", required=True)
    sub.add_parser("indicators", help="print the indicator catalogue as Markdown (docs/indicators.md)")
    p = sub.add_parser("status", help="embedded or external, schema revision, rows per table")
    p = sub.add_parser("import", help="load a file of one kind (boundaries, stations, people, issues …)")
    p.add_argument("kind", help="one of: " + ", ".join(KINDS))
    p.add_argument("path")
    p.add_argument(
        "--crs",
        default=None,
        help="WGS-84, CGCS2000, EPSG:4491-4554, EPSG:32643-32653, GCJ-02, BD-09 "
        "(default: the file's own CRS, else WGS-84)",
    )
    p.add_argument("--encoding", default=None, help="default: detect UTF-8, UTF-8 with BOM, GBK, GB18030")
    p.add_argument("--dry-run", action="store_true", help="validate only")
    p.add_argument("--valid-rows-only", action="store_true", help="load the valid rows, report the rest")
    p.add_argument("--district", default=None, help="issues placed by name: the district (code or name) of them all")
    p.add_argument(
        "--map-categories", default=None, metavar="CSV", help="issues: map the file's categories (two columns)"
    )
    p.add_argument(
        "--create-departments", action="store_true", help="issues: create the handling departments a district lacks"
    )
    p.add_argument("--profile", default=None, metavar="NAME", help="load with a saved import profile (导入方案)")
    p.add_argument(
        "--save-profile", default=None, metavar="NAME", help="load, and save this file's column mapping as a profile"
    )
    tree = p.add_mutually_exclusive_group()
    tree.add_argument(
        "--replace-default-tree", dest="tree", action="store_const", const=True, default=None,
        help="categories: the district's tree replaces the default one (its issues may use its categories only)",
    )  # fmt: skip
    tree.add_argument(
        "--extend-default-tree", dest="tree", action="store_const", const=False,
        help="categories: the district's tree extends the default one (the default for a first tree)",
    )  # fmt: skip
    p = sub.add_parser("briefing", help="write briefings (工作简报) of a unit and period as PDF or DOCX")
    p.add_argument("--scope", required=True, help="the unit's code (city, district, street or community)")
    p.add_argument(
        "--period", default="month", help="2026-11, 2026-W48, 2026-Q4, or week/month/quarter: the newest complete one"
    )
    p.add_argument("--children", action="store_true", help="one briefing per child unit instead")
    p.add_argument("--format", choices=["pdf", "docx"], default="pdf")
    p.add_argument("--out", default=".", help="the folder to write into")
    p = sub.add_parser("alerts", help="evaluate the alert rules (预警) now and post new firings to the webhook")
    p.add_argument("--check", default=None, metavar="TOML", help="only check a rules file and list its rules")
    p = sub.add_parser("sync", help="load what the sources delivered (inbox folders, SQL tables); add or list them")
    p.add_argument("action", nargs="?", default="run", choices=["run", "add", "list"])
    p.add_argument("--every", type=float, default=0, metavar="MINUTES", help="run: again every MINUTES, for ever")
    p.add_argument("--name", help="add: the source's name (letters, digits)")
    p.add_argument("--label", default="", help="add: as headers show it, such as 12345工单")
    p.add_argument("--kind", choices=["folder", "sql"], help="add: an inbox folder or a SQL table")
    p.add_argument("--profile", help="add: the import profile the source loads with")
    p.add_argument("--location", help="add: the folder, or the SQLAlchemy URL of the database")
    p.add_argument("--table", help="add (sql): the table or view, schema.name")
    p.add_argument("--watermark", help="add (sql): its update-time column")
    p.add_argument("--key", help="add (sql): its key column (orders rows of one update time)")
    p.add_argument("--page-rows", type=int, default=10_000, help="add (sql): rows read per page")
    p.add_argument("--expected-minutes", type=int, default=1440, help="add: silent longer than this is overdue")
    p = sub.add_parser("user", help="create or change an account (a screen account prints its token once)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["city", "district", "street", "community", "screen", "admin"])
    p.add_argument("--area", default="", help="the unit code the account sees (empty: the whole store)")
    p.add_argument("--name", default="", help="display name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.add_argument("--disable", action="store_true", help="disable the account (it loses access at once)")
    for p in sub.choices.values():
        p.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    if args.command == "import":
        return _cmd_import(args)
    if args.command == "indicators":
        from data_access.indicators import markdown

        sys.stdout.write(markdown())
        return 0
    handler = {
        "setup": _cmd_setup,
        "migrate": _cmd_migrate,
        "demo": _cmd_demo,
        "refresh": _cmd_refresh,
        "figures": _cmd_figures,
        "remove-district": _cmd_remove_district,
        "status": _cmd_status,
        "user": _cmd_user,
        "briefing": _cmd_briefing,
        "alerts": _cmd_alerts,
        "sync": _cmd_sync,
    }[args.command]
    try:
        result = handler(args)
    except (LookupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # one clear line, never a traceback
        print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1
    _print(result or {}, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
