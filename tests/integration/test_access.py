"""Access control: the app role and row-level security, sign-in and lock-out, screens' tokens, the audit
log, URL parameters that try SQL injection and names that try script injection."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
import sqlalchemy as sa
from google.protobuf.json_format import MessageToJson

from data_access import accounts, schema
from data_access.engine import (
    CONTEXT_TTL_S,
    Principal,
    _on_begin,
    acting,
    acting_as,
    app_engine,
    app_url,
    sign_context,
)
from data_access.settings import PROJECT_ROOT
from tests.apptest import app_test
from tests.conftest import writable_copy

AREAS = {"district": "430602", "street": "430602001", "community": "430602001001"}
OUTSIDE = "420106"  # 武昌区, in another city
PAGES = ["overview", "organization", "stations", "volunteers", "issues", "property", "map"]
UNIT_TABLES = ("district", "street", "community", "grid", "micro_grid")
INJECTIONS = ["' OR '1'='1", "430602' OR 1=1 --", "1; DROP TABLE issue; --", "430602001%"]
XSS = "<img src=x onerror=alert(1)>"
TITLES = dict(zip(PAGES, ["总览", "组织体系", "服务阵地", "志愿服务", "事件办理", "物业与业委会", "网格地图"]))


def _area_columns(table: sa.Table) -> list[str]:
    return [c for c in ("community_code", "street_code", "district_code") if c in table.c]


def test_the_app_role_is_hygienic(engine):
    with engine.connect() as conn:
        role = conn.execute(
            sa.text("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'ggc_app'")
        ).one()
        assert tuple(role) == (False, False, False, False)
        assert conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relowner = 'ggc_app'::regrole")).scalar() == 0
        tables = conn.execute(
            sa.text(
                "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
                "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
            )
        ).all()
        assert len(tables) >= 30
        assert [name for name, forced in tables if not forced] == []
        views = conn.execute(
            sa.text(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm') "
                "AND NOT coalesce('security_invoker=true' = ANY(reloptions), false)"
            )
        ).all()
        assert views == []
        unguarded = conn.execute(
            sa.text(
                "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' "
                "AND has_table_privilege('ggc_app', c.oid, 'SELECT') AND NOT EXISTS (SELECT 1 FROM pg_policy p "
                "WHERE p.polrelid = c.oid AND 'ggc_app'::regrole = ANY(p.polroles))"
            )
        ).all()
        assert unguarded == []
    with acting("*"), app_engine().connect() as conn:  # the dashboard's engine really is that role
        assert conn.execute(sa.text("SELECT current_user")).scalar() == "ggc_app"


def test_an_unset_or_empty_area_sees_no_rows(engine):
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM issue")).scalar() > 0
    for area in (None, ""):  # no acting() at all, and an empty one
        with acting(area) if area is not None else contextlib.nullcontext():
            with app_engine().connect() as conn:
                for table in schema.metadata.tables:
                    if table == "login_failure":  # counted before anyone is known (no area's data): open by design
                        continue
                    n = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar()
                    assert n == 0, f"{table}: {n} rows with area {area!r}"


@pytest.mark.parametrize("role", list(AREAS))
def test_every_table_holds_only_the_area_and_all_of_it(engine, role):
    prefix = AREAS[role]
    checked = 0
    for table in schema.metadata.sorted_tables:
        if table.name in UNIT_TABLES:  # and the units above, for names and outlines
            inside = "(starts_with(code, :p) OR starts_with(:p, code))"
        elif table.name == "department":  # the district's departments, for the areas inside it too
            inside = "(starts_with(district_code, :p) OR starts_with(:p, district_code))"
        elif table.name == "property_company":  # and the companies managing a compound in the area
            inside = (
                "(starts_with(district_code, :p) OR EXISTS (SELECT 1 FROM compound c WHERE "
                "c.property_company_id = property_company.id AND starts_with(c.community_code, :p)))"
            )
        elif table.name == "issue_category":  # reference: every signed-in area reads every tree's categories
            inside = "TRUE"
        elif _area_columns(table):
            inside = f"starts_with(coalesce({', '.join(_area_columns(table))}), :p)"
        else:
            continue
        with engine.connect() as conn:
            expected = conn.execute(sa.text(f'SELECT count(*) FROM "{table.name}" WHERE {inside}'), {"p": prefix})
            expected = expected.scalar()
        with acting(prefix, role, role), app_engine().connect() as conn:
            seen = conn.execute(sa.text(f'SELECT count(*) FROM "{table.name}"')).scalar()
            outside = conn.execute(sa.text(f'SELECT count(*) FROM "{table.name}" WHERE NOT {inside}'), {"p": prefix})
            assert outside.scalar() == 0, table.name
        assert seen == expected, table.name
        checked += expected > 0
    assert checked >= 15


def test_a_thousand_interleaved_requests_of_two_areas_over_two_connections_leak_nothing(engine):
    pool = sa.create_engine(app_url(), pool_size=2, max_overflow=0, pool_timeout=60)
    sa.event.listen(pool, "begin", _on_begin)
    areas = ("430602", "420106")
    wrong, done = [], []

    def worker(i: int) -> None:
        for n in range(250):
            area = areas[(i + n) % 2]
            with acting(area), pool.connect() as conn:
                setting, districts = conn.execute(
                    sa.text("SELECT ggc_area(), array_agg(DISTINCT district_code) FROM community")
                ).one()
            if setting != area or districts != [area]:
                wrong.append((area, setting, districts))
            done.append(1)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with pool.connect() as conn:  # a pooled connection used by both areas now carries neither
        assert conn.execute(sa.text("SELECT count(*) FROM community")).scalar() == 0
    pool.dispose()
    assert len(done) == 1000
    assert wrong == []


def _shown(at) -> str:
    """Everything a run put on the page: every element's message, and the cells of every table."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(MessageToJson(proto, ensure_ascii=False))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    out += [df.value.to_csv() for df in at.dataframe if isinstance(df.value, pd.DataFrame)]
    return "\n".join(out)


@pytest.fixture(scope="module")
def outside_names(engine) -> dict[str, set[str]]:
    """Per area, the names of units outside it (and not its ancestors) that no unit inside or above shares."""
    out = {}
    with engine.connect() as conn:
        units = pd.concat(
            [
                pd.read_sql_query(sa.text(f"SELECT code, name FROM {t}"), conn)
                for t in ("district", "street", "community")
            ]
        )
    for role, prefix in AREAS.items():
        visible = units["code"].map(lambda c, p=prefix: c.startswith(p) or p.startswith(c))
        out[role] = set(units.loc[~visible, "name"]) - set(units.loc[visible, "name"])
    return out


@pytest.mark.parametrize("role", list(AREAS))
@pytest.mark.parametrize("page", PAGES)
def test_pages_show_nothing_outside_the_account_area(engine, outside_names, role, page):
    at = app_test(role)
    at.query_params["scope"] = OUTSIDE  # asks for another city's district
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception and not at.error
    shown = _shown(at)
    with engine.connect() as conn:
        own = conn.execute(sa.text(f"SELECT name FROM {role} WHERE code = :c"), {"c": AREAS[role]}).scalar()
    assert own in shown  # the page fell back to the account's own area
    leaked = sorted(name for name in outside_names[role] if name in shown)
    assert leaked == [], f"{page} as {role} shows {leaked[:5]}"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", ["overview", "issues", "stations", "map"])
def test_sql_injection_in_every_url_parameter_changes_nothing(engine, page):
    def run(**params):
        at = app_test("district")
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(f"app_pages/{page}.py")
        return at.run()

    baseline = run(scope="430602")
    assert not baseline.exception
    for param in ("scope", "range", "from", "to", "cmp", "lang"):
        for value in INJECTIONS:
            at = run(**{"scope": "430602", param: value})
            assert not at.exception and not at.error, (param, value)
            assert _metrics(at) == _metrics(baseline), (param, value)
            shown = _shown(at).lower()
            assert "syntax" not in shown and "psycopg" not in shown and "traceback" not in shown


def test_a_screen_token_opens_only_its_area_and_a_bad_one_nothing(engine):
    at = app_test(None, timeout=120)
    at.query_params["token"] = accounts.DEMO_SCREEN_TOKEN
    at.query_params["scope"] = OUTSIDE
    at.switch_page("app_pages/screen.py")
    at.run()
    assert not at.exception and not at.error
    strip = " ".join(m.value for m in at.markdown if "ggc-strip" in m.value)
    assert "岳阳楼区" in strip and "武昌区" not in strip
    for token in ("' OR 1=1 --", "screen.wrong-secret", "city.demo-city-2026", accounts.DEMO_SCREEN_TOKEN + "x"):
        bad = app_test(None, timeout=120)
        bad.query_params["token"] = token
        bad.switch_page("app_pages/screen.py")
        bad.run()
        assert not bad.exception
        assert [e.value for e in bad.error] == ["大屏令牌无效或已停用，请向管理员索取新的大屏链接。"], token
        assert not any("ggc-kpi" in m.value for m in bad.markdown)


def test_nobody_signed_in_sees_the_sign_in_page_and_no_data(engine):
    at = app_test(None)
    at.query_params["scope"] = "430602"
    at.switch_page("app_pages/issues.py")
    at.run()
    assert not at.exception
    assert len(at.metric) == 0 and len(at.dataframe) >= 1  # the demo's sample accounts, nothing else
    assert [ti.label for ti in at.text_input] == ["用户名", "密码"]


@pytest.fixture
def account(engine):
    """A fresh local account (street 430602001) and its password; removed afterwards."""
    name, password = "test-street-user", "a-good-password-1"
    with engine.begin() as conn:
        accounts.save_account(conn, "test", name, "street", "430602001", password=password)
    yield name, password
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM app_user WHERE username = :u"), {"u": name})
        conn.execute(sa.text("DELETE FROM login_failure WHERE username = :u"), {"u": name})


def _events(engine, username: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT event FROM audit_log WHERE username = :u ORDER BY id"), {"u": username})
        return [r[0] for r in rows]


def test_passwords_are_argon2_and_five_failures_lock_the_name_for_that_address(engine, account):
    name, password = account
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM app_user WHERE username = :u"), {"u": name}).scalar()
    assert stored.startswith("$argon2id$") and password not in stored
    who, why = accounts.login(name, password, "10.0.0.1")
    assert who == Principal(name, "street", "430602001") and why == ""
    for _ in range(accounts.MAX_FAILURES - 1):
        assert accounts.login(name, "wrong password", "10.0.0.1") == (None, "bad_credentials")
    assert accounts.login(name, "wrong password", "10.0.0.1") == (None, "locked")
    assert accounts.login(name, password, "10.0.0.1") == (None, "locked")  # the right password does not help now
    assert accounts.login(name, password, "10.0.0.2")[0] is not None  # …from there; another client signs in
    events = _events(engine, name)
    assert events[0] == "login" and events.count("login_failed") == accounts.MAX_FAILURES + 1
    assert "locked" in events
    with engine.begin() as conn:  # the lock runs out
        conn.execute(
            sa.text("UPDATE login_failure SET at = at - interval '16 minutes' WHERE username = :u"), {"u": name}
        )
    assert accounts.login(name, password, "10.0.0.1")[0] is not None


def test_an_unknown_name_locks_like_a_known_one_and_an_address_is_throttled(engine, account):
    """Issue 16: the lock no longer tells which names exist, and one address gets 20 failures per 15 minutes
    whatever names it tries (the answers' times: scripts/bench_signin.py, docs/benchmarks.md)."""
    name, password = account
    answers = {}
    for who in (name, "no-such-user-x"):
        answers[who] = [accounts.login(who, "wrong password", "10.0.1.1")[1] for _ in range(accounts.MAX_FAILURES + 1)]
    assert answers[name] == answers["no-such-user-x"]
    assert answers[name] == ["bad_credentials"] * (accounts.MAX_FAILURES - 1) + ["locked", "locked"]
    assert accounts.login("x" * 500, "wrong password", "10.0.1.9") == (None, "bad_credentials")  # not an error

    sprayed = [accounts.login(f"spray-{i}", "guess", "10.0.3.1")[1] for i in range(accounts.ADDRESS_FAILURES)]
    assert sprayed[-1] == "locked" and sprayed.count("bad_credentials") == accounts.ADDRESS_FAILURES - 1
    assert accounts.login(name, password, "10.0.3.1") == (None, "locked")  # the address, for every name
    assert accounts.login(name, password, "10.0.3.2")[0] is not None


def test_password_change_needs_the_old_one_and_a_long_new_one(engine, account):
    name, password = account
    who = accounts.login(name, password)[0]
    assert accounts.change_password(who, "not it", "another-good-password") == "wrong_password"
    assert accounts.change_password(who, password, "short") == "too_short"
    assert accounts.change_password(who, password, "another-good-password") == ""
    assert accounts.login(name, password)[0] is None
    assert accounts.login(name, "another-good-password")[0] is not None
    assert _events(engine, name).count("password") == 2


def test_a_disabled_account_loses_access_on_its_next_interaction(engine, account):
    name, _ = account
    at = app_test(name)
    at.switch_page("app_pages/issues.py")
    at.run()
    assert not at.exception and len(at.metric) > 0
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE app_user SET disabled = true WHERE username = :u"), {"u": name})
    at.run()  # the next click
    assert not at.exception
    assert len(at.metric) == 0 and [ti.label for ti in at.text_input] == ["用户名", "密码"]


def test_accounts_and_the_audit_log_are_row_secured(engine, account):
    name, password = account
    accounts.login(name, password)
    with acting("430602001", "street", name), app_engine().connect() as conn:
        assert conn.execute(sa.text("SELECT array_agg(username) FROM app_user")).scalar() == [name]
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar() == 0
        with pytest.raises(sa.exc.ProgrammingError):  # nobody edits the log
            conn.execute(sa.text("UPDATE audit_log SET event = 'x'"))
    with acting("430602001", "street", name), app_engine().begin() as conn:
        with pytest.raises(sa.exc.DatabaseError):  # nor writes an entry in someone else's name
            accounts.audit(conn, "admin", "login")
    with acting("*", "admin", "admin"), app_engine().connect() as conn:
        entries = accounts.audit_entries(conn, username=name, event="login")
        assert len(entries) >= 1 and set(entries["area"]) == {"430602001"}
        assert len(accounts.accounts(conn)) >= 7


def test_the_admin_page_creates_a_screen_account_and_reads_the_log(engine):
    at = app_test("admin", timeout=120)
    at.switch_page("app_pages/admin.py")
    at.run()
    assert not at.exception and not at.error
    users = at.dataframe[0].value
    assert {"city", "district", "street", "community", "admin", "screen"} <= set(
        users["用户名"]
    )  # the page speaks Chinese
    try:
        at.text_input[0].input("test-screen-wall")
        at.selectbox[0].select("screen")
        at.text_input[1].input("430602001")
        at.button[0].click()  # the form's submit button
        at.run()
        assert not at.exception and not at.error
        token = next(c.value for c in at.code).split("token=")[1]
        assert accounts.screen_login(token) == Principal("test-screen-wall", "screen", "430602001")
        log = at.dataframe[1].value
        assert "account_create" in set(log.iloc[:, 2]) or "account_create" in _events(engine, "admin")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM app_user WHERE username = 'test-screen-wall'"))


def test_a_command_line_import_is_audited_with_the_file_hash(engine):
    path = PROJECT_ROOT / "examples" / "stations.csv"
    with writable_copy("cockpit_audit") as copy:
        run = subprocess.run(
            [sys.executable, "-m", "data_access", "import", "stations", str(path)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            env=dict(os.environ),
        )
        assert run.returncode == 0, run.stderr
        with copy.connect() as conn:
            detail = conn.execute(
                sa.text("SELECT detail FROM audit_log WHERE event = 'import' ORDER BY id DESC LIMIT 1")
            ).scalar()
    assert detail["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert detail["kind"] == "stations" and detail["inserted"] + detail["updated"] == detail["rows"] > 0


@pytest.mark.browser
def test_a_name_with_markup_runs_no_script_on_any_page_or_tooltip(engine, artifacts):
    from tests.browser import chromium_page, open_signed_in, streamlit_server

    with writable_copy("cockpit_xss") as copy:
        with copy.begin() as conn:
            conn.execute(sa.text("UPDATE district SET name = :n WHERE code = '430602'"), {"n": XSS})
            conn.execute(sa.text("UPDATE community SET name = :n WHERE street_code = '430602001'"), {"n": XSS + "社区"})
            conn.execute(sa.text("UPDATE service_station SET name = :n WHERE district_code = '430602'"), {"n": XSS})
        dialogs = []
        with streamlit_server(artifacts / "streamlit-xss.log") as url, chromium_page() as page:
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for name in PAGES:
                path = "" if name == "overview" else name
                open_signed_in(page, f"{url}/{path}?scope=430602001", "district")
                page.get_by_role("heading", name=TITLES[name]).first.wait_for(timeout=90_000)  # the deep link
                page.get_by_text(XSS).first.wait_for(timeout=90_000)  # the name is shown, as text
                page.wait_for_timeout(1500)
                if name == "map":
                    box = page.locator("[data-testid='stDeckGlJsonChart']").first.bounding_box()
                    for dx in range(1, 10):  # sweep the map so tooltips open over several units
                        page.mouse.move(box["x"] + box["width"] * dx / 10, box["y"] + box["height"] / 2)
                        page.wait_for_timeout(150)
                    page.screenshot(path=str(artifacts / "xss-map.png"))
                assert page.locator("img[src='x']").count() == 0, name
            assert dialogs == []


def test_an_export_holds_the_area_only_and_is_audited(engine, account):
    from dashboard import widgets

    name, password = account
    who = accounts.login(name, password)[0]
    with acting_as(who), app_engine().connect() as conn:
        df = pd.read_sql_query(sa.text("SELECT code, street_code FROM service_station"), conn)
    assert len(df) > 0 and set(df["street_code"]) == {"430602001"}
    body = widgets.export(who, "stations", "csv", df)()
    assert body.decode("utf-8-sig").count("\n") == len(df) + 1
    with engine.connect() as conn:
        detail = conn.execute(
            sa.text("SELECT detail FROM audit_log WHERE username = :u AND event = 'export' ORDER BY id DESC"),
            {"u": name},
        ).scalar()
    assert detail == {"table": "stations", "format": "csv", "rows": len(df)}


def test_sql_injection_in_every_screen_parameter_shows_only_the_token_area(engine):
    for param in ("scope", "rotate", "every", "refresh", "theme", "alert", "lang"):
        for value in INJECTIONS[:2]:
            at = app_test(None, timeout=120)
            at.query_params["token"] = accounts.DEMO_SCREEN_TOKEN
            at.query_params[param] = value
            at.switch_page("app_pages/screen.py")
            at.run()
            assert not at.exception and not at.error, (param, value)
            strip = " ".join(m.value for m in at.markdown if "ggc-strip" in m.value)
            assert "岳阳楼区" in strip, (param, value)


HOSTILE_TEXT = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "@SUM(A1)", "=1+1", "\t=1+1", "-2+3", "站\x07点", "正常名称"]


def test_exports_write_formula_like_text_as_text(engine, account):
    """Issue 16: a name such as =cmd|' /C calc'!A0 comes out of 下载 Excel as a string cell and out of the CSV
    with a leading apostrophe; a control character no longer makes the whole workbook fail; a failed export is
    audited as failed, not as done."""
    import io

    import openpyxl

    from dashboard import widgets

    name, password = account
    who = accounts.login(name, password)[0]
    df = pd.DataFrame({"name": HOSTILE_TEXT, "n": range(len(HOSTILE_TEXT))})
    book = openpyxl.load_workbook(io.BytesIO(widgets.export(who, "stations", "xlsx", df)()))
    ws = book.active
    header = next(r for r in range(1, 12) if ws.cell(row=r, column=1).value == "name")
    cells = [ws.cell(row=header + 1 + i, column=1) for i in range(len(HOSTILE_TEXT))]
    assert all(c.data_type == "s" for c in cells), [(c.value, c.data_type) for c in cells]
    assert [c.value for c in cells] == [v.replace("\x07", "") for v in HOSTILE_TEXT]
    assert [ws.cell(row=header + 1 + i, column=2).value for i in range(len(HOSTILE_TEXT))] == list(df["n"])
    rows = widgets.export(who, "stations", "csv", df)().decode("utf-8-sig").splitlines()[1:]
    import csv

    names = [r[0] for r in csv.reader(rows)]
    assert [n for n in names if n[:1] in "=+-@\t\r"] == []
    assert names[0] == "'=cmd|' /C calc'!A0" and names[-1] == "正常名称"

    stamped = pd.DataFrame({"at": pd.to_datetime(["2026-12-01 02:00"]).tz_localize("UTC")})
    ws = openpyxl.load_workbook(io.BytesIO(widgets.to_excel(stamped))).active
    assert str(ws.cell(row=2, column=1).value) == "2026-12-01 10:00:00"  # Beijing time, not a failed export
    broken = pd.DataFrame({"name": ["甲", pd.Timestamp("2026-01-01", tz="UTC")]})  # a zoned time among text
    with pytest.raises(Exception):  # noqa: B017 — Streamlit reports any failure of the callable as one message
        widgets.export(who, "broken_table", "xlsx", broken)()
    with engine.connect() as conn:
        events = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT event FROM audit_log WHERE username = :u AND detail->>'table' = 'broken_table'"),
                {"u": name},
            )
        ]
    assert events == ["export_failed"]


def test_an_account_cannot_make_itself_admin_through_the_app_role(engine, account):
    """Issue 16: row-level security let a street account update every column of its own row; now only its
    password (and display name) change unless the transaction names an admin; the app role's sessions time out."""
    name, password = account
    who = accounts.login(name, password, "10.0.4.1")[0]
    for change in ("role = 'admin', area = ''", "area = ''", "disabled = false, username = 'someone-else'"):
        with pytest.raises(sa.exc.ProgrammingError, match="only an administrator"):
            with acting_as(who), app_engine().begin() as conn:
                conn.execute(sa.text(f"UPDATE app_user SET {change} WHERE username = :u"), {"u": name})
    with acting_as(who), app_engine().begin() as conn:
        assert (
            conn.execute(sa.text("UPDATE app_user SET display_name = '街道' WHERE username = :u"), {"u": name}).rowcount
            == 1
        )
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT role, area FROM app_user WHERE username = :u"), {"u": name}).one()
        config = conn.execute(sa.text("SELECT rolconfig FROM pg_roles WHERE rolname = 'ggc_app'")).scalar()
    assert tuple(row) == ("street", "430602001")
    assert {"statement_timeout=60s", "idle_in_transaction_session_timeout=60s"} <= set(config)


def _probe(sql: str, context: str | None = None, area: str = "") -> tuple[str, object]:
    """One statement on a bare ggc_app connection (no signing listener): ('rows', n) or ('refused', sqlstate)."""
    bare = sa.create_engine(app_url(), poolclass=sa.pool.NullPool)
    try:
        with bare.begin() as conn:
            for setting in ("app.area", "app.role", "app.user"):  # what a holder of the credentials would try
                conn.execute(sa.text("SELECT set_config(:s, :v, true)"), {"s": setting, "v": area})
            if context is not None:
                conn.execute(sa.text("SELECT set_config('app.context', :c, true)"), {"c": context})
            result = conn.execute(sa.text(sql))
            return "rows", result.scalar() if result.returns_rows else result.rowcount
    except sa.exc.DBAPIError as exc:
        return "refused", exc.orig.sqlstate
    finally:
        bare.dispose()


def test_the_app_roles_credentials_neither_forge_nor_widen_the_area(engine, account):
    """Issue 16: connected as ggc_app directly, every probe of the hostile run sees 0 foreign rows or is refused."""
    name, _ = account
    count = "SELECT count(*) FROM issue"
    with engine.connect() as conn:
        everything = conn.execute(sa.text(count)).scalar()
        street = conn.execute(sa.text(count + " WHERE starts_with(community_code, '430602001')")).scalar()
        key = conn.execute(sa.text("SELECT secret FROM ggc_private.context_key")).scalar()
    assert everything > street > 0
    genuine = sign_context("430602001", "street", name, key)
    forged = sign_context("*", "admin", "admin", b"a guessed key")
    stale = sign_context("*", "admin", "admin", key, now=time.time() - CONTEXT_TTL_S - 1)
    widened = genuine.replace("430602001|street", "*|admin", 1)
    assert _probe(count, genuine) == ("rows", street)  # the signed context works on a bare connection
    for context in (None, "", forged, stale, widened, "*|admin|9999999999|" + "0" * 64 + "|admin"):
        assert _probe(count, context, area="*") == ("rows", 0), context
        assert _probe("SELECT count(*) FROM app_user", context, area="*") == ("rows", 0), context
    refused = {
        "the key": ("SELECT count(*) FROM ggc_private.context_key", None),
        "every hash": ("SELECT count(password_hash) FROM app_user", genuine),
        "a new admin": (
            "INSERT INTO app_user (username, role, area, password_hash) VALUES ('mallory', 'admin', '', 'x')",
            genuine,
        ),
        "its own role": (f"UPDATE app_user SET role = 'admin', area = '' WHERE username = '{name}'", genuine),
        "no connection limit": ("ALTER ROLE ggc_app CONNECTION LIMIT -1", None),
        "a new role": ("CREATE ROLE mallory LOGIN", None),
    }
    answers = {probe: _probe(sql, context, area="*")[0] for probe, (sql, context) in refused.items()}
    assert answers == dict.fromkeys(refused, "refused")
    assert _probe("SELECT ggc_password_hash() IS NOT NULL", genuine) == ("rows", True)  # its own, for sign-in
    assert _probe("SELECT ggc_password_hash()", sign_context("", "", "admin", b"x")) == ("rows", None)
    with engine.connect() as conn:
        limit = conn.execute(sa.text("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'ggc_app'")).scalar()
    assert 0 < limit <= 100


def test_a_role_default_set_by_the_app_role_does_not_reach_the_dashboards_sessions(engine):
    """Postgres lets a role change its own defaults (ALTER ROLE ggc_app SET statement_timeout = '1ms'); the
    dashboard passes its own timeout on every connection, so the sabotage does not take."""
    assert _probe("ALTER ROLE ggc_app SET statement_timeout = '1ms'")[0] == "rows"
    try:
        app_engine().dispose()  # new connections: the new default would apply to them
        with acting("430602"), app_engine().connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "30s"
            assert conn.execute(sa.text("SELECT count(*) FROM issue")).scalar() > 0
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER ROLE ggc_app SET statement_timeout = '60s'"))
        app_engine().dispose()
