"""Sessions that survive a reload (issue 18): the session table, the sign-in route and its cookie, the gate, and a
browser that stays signed in across reloads and tabs until it signs out."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from data_access import accounts, sessions
from data_access.engine import transaction
from tests.browser import DEMO_PASSWORDS, chromium_page, open_signed_in, streamlit_server, wait_until_idle

NAME, PASSWORD = "test-session-user", "a-good-password-1"


@pytest.fixture
def account(engine):
    with engine.begin() as conn:
        accounts.save_account(conn, "test", NAME, "street", "430602001", password=PASSWORD)
    yield accounts.current(NAME)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM app_user WHERE username = :u"), {"u": NAME})
        conn.execute(sa.text("DELETE FROM login_failure WHERE username = :u"), {"u": NAME})


def _state(engine, cookie: str) -> dict:
    session_id = cookie.partition(".")[0]
    with engine.connect() as conn:
        return dict(
            conn.execute(sa.text("SELECT * FROM user_session WHERE id_hash = :h"), {"h": sessions._hash(session_id)})
            .mappings()
            .one()
        )


def test_a_session_is_found_by_its_signed_cookie_and_by_nothing_else(engine, account):
    cookie = sessions.begin(account, "10.0.0.7", "Mozilla/5.0 test")
    assert sessions.username(cookie) == NAME
    assert NAME not in cookie and "." in cookie
    row = _state(engine, cookie)
    assert row["client_addr"] == "10.0.0.7" and row["user_agent"] == "Mozilla/5.0 test" and row["ended_at"] is None
    assert row["expires_at"] - row["created_at"] == pytest.approx(sessions.LIFETIME, abs=timedelta(seconds=5))
    session_id, _, signature = cookie.partition(".")
    forged = [
        f"{session_id}.{'0' * len(signature)}",  # another signature
        f"{session_id[:-1]}{'B' if session_id.endswith('A') else 'A'}.{signature}",  # another id, the old signature
        session_id,  # no signature
        "",
        "x" * 500,
    ]
    assert [sessions.username(c) for c in forged] == [None] * len(forged)
    assert sessions.end(cookie) == NAME and sessions.username(cookie) is None  # signed out: in every tab
    assert sessions.end(cookie) is None  # once


def test_idle_expired_and_changed_accounts_end_their_sessions(engine, account):
    idle, old, disabled = (sessions.begin(account) for _ in range(3))
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE user_session SET last_seen_at = now() - :d WHERE id_hash = :h"),
            {"d": sessions.IDLE + timedelta(minutes=1), "h": sessions._hash(idle.partition(".")[0])},
        )
        conn.execute(
            sa.text("UPDATE user_session SET expires_at = now() - interval '1 second' WHERE id_hash = :h"),
            {"h": sessions._hash(old.partition(".")[0])},
        )
    assert sessions.username(idle) is None and sessions.username(old) is None
    assert sessions.username(disabled) == NAME
    with engine.begin() as conn:  # an admin disables the account
        accounts.save_account(conn, "test", NAME, "street", "430602001", disabled=True)
    assert sessions.username(disabled) is None and _state(engine, disabled)["end_reason"] == "account_changed"
    with engine.begin() as conn:
        accounts.save_account(conn, "test", NAME, "street", "430602001", disabled=False)
    # A new password ends the others; the session that changed it stays.
    here, there = sessions.begin(account), sessions.begin(account)
    assert accounts.change_password(account, PASSWORD, "another-good-password") == ""
    sessions.keep(account, here)
    assert sessions.username(here) == NAME and sessions.username(there) is None
    # A new area ends them all.
    with engine.begin() as conn:
        accounts.save_account(conn, "test", NAME, "street", "430602002")
    assert sessions.username(here) is None


def test_the_app_role_opens_sessions_only_for_the_signed_user(engine, account):
    """Whoever holds the app role cannot mint a session for an admin: the policy wants the signed user."""
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        with transaction("430602001", "street", NAME) as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO user_session (id_hash, username, expires_at) VALUES (:h, 'admin', now() + '1 day')"
                ),
                {"h": "f" * 64},
            )
    with transaction("430602001", "street", NAME) as conn:  # and reads only its own
        assert (
            conn.execute(sa.text("SELECT count(*) FROM user_session WHERE username <> :u"), {"u": NAME}).scalar() == 0
        )


def _csrf(http: requests.Session, url: str, next_url: str = "/") -> str:
    page = http.get(f"{url}/signin", params={"next": next_url}, timeout=30)
    assert page.status_code == 200 and 'name="csrf"' in page.text
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_the_sign_in_route_sets_an_httponly_cookie_and_the_gate_keeps_the_link(engine, artifacts):
    with streamlit_server(artifacts / "streamlit-sessions.log") as url:
        http = requests.Session()
        asked = "/issues?scope=430602&range=year"
        gate = http.get(url + asked, headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
        assert gate.status_code == 303
        assert parse_qs(urlsplit(gate.headers["location"]).query)["next"] == [asked]
        assert http.get(f"{url}/_stcore/health", timeout=30).text == "ok"  # Streamlit's own paths pass
        # No token, or another page's token: refused, nothing audited as a sign-in.
        form = {"username": "district", "password": DEMO_PASSWORDS["district"], "next": asked}
        assert http.post(f"{url}/signin", data=form, allow_redirects=False, timeout=30).status_code == 403
        token = _csrf(http, url, asked)
        stranger = requests.Session()
        refused = stranger.post(f"{url}/signin", data={**form, "csrf": token}, allow_redirects=False, timeout=30)
        assert refused.status_code == 403 and "ggc_session" not in refused.headers.get("set-cookie", "")
        wrong = http.post(f"{url}/signin", data={**form, "password": "wrong", "csrf": token}, timeout=30)
        assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
        token = _csrf(http, url, asked)  # the English form answers in English
        english = {**form, "password": "wrong", "csrf": token, "lang": "en"}
        wrong = http.post(f"{url}/signin", data=english, timeout=30)
        assert wrong.status_code == 401 and "Wrong username or password" in wrong.text and "用户名" not in wrong.text
        token = _csrf(http, url, asked)
        done = http.post(f"{url}/signin", data={**form, "csrf": token}, allow_redirects=False, timeout=30)
        assert done.status_code == 303 and done.headers["location"] == asked
        cookie = done.headers["set-cookie"]
        assert re.search(r"ggc_session=[^;]+", cookie) and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Path=/" in cookie and "Secure" not in cookie and "district" not in cookie.split(";")[0]
        first = http.cookies["ggc_session"]
        assert (
            http.get(url + asked, headers={"Accept": "text/html"}, allow_redirects=False, timeout=30).status_code == 200
        )
        # Over HTTPS (a proxy says so) the cookie is Secure; a link to another site goes home instead.
        token = _csrf(http, url)
        https = http.post(
            f"{url}/signin",
            data={**form, "csrf": token, "next": "//evil.example/x"},
            headers={"X-Forwarded-Proto": "https"},
            allow_redirects=False,
            timeout=30,
        )
        assert https.headers["location"] == "/" and "Secure" in https.headers["set-cookie"]
        # A cookie of an ended session is refused at the gate, and removed.
        sessions.end(first)
        headers = {"Accept": "text/html", "Cookie": f"ggc_session={first}"}
        again = requests.get(url + asked, headers=headers, allow_redirects=False, timeout=30)
        assert again.status_code == 303 and 'ggc_session=""' in again.headers.get("set-cookie", "")
    with engine.connect() as conn:
        events = conn.execute(
            sa.text("SELECT event FROM audit_log WHERE username = 'district' ORDER BY id DESC LIMIT 3")
        ).scalars()
        assert list(events) == ["login", "login", "login_failed"]


@pytest.mark.browser
def test_a_browser_stays_signed_in_across_reloads_and_tabs_until_it_signs_out(engine, artifacts):
    with streamlit_server(artifacts / "streamlit-sessions-browser.log") as url, chromium_page() as page:
        open_signed_in(page, f"{url}/issues?scope=430602001", "street")
        page.get_by_role("heading", name="事件办理").first.wait_for(timeout=90_000)
        cookie = next(c for c in page.context.cookies() if c["name"] == "ggc_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        page.reload()  # F5: the same view, no form
        page.get_by_role("heading", name="事件办理").first.wait_for(timeout=90_000)
        assert page.locator("form[action='/signin']").count() == 0 and "scope=430602001" in page.url
        other = page.context.new_page()  # a new tab opens a link directly
        other.goto(f"{url}/volunteers?scope=430602001")
        other.get_by_role("heading", name="志愿服务").first.wait_for(timeout=90_000)
        other.locator("[data-testid='stMetric']").first.wait_for(timeout=90_000)  # its figures, not a skeleton
        wait_until_idle(other)
        other.screenshot(path=str(artifacts / "session-new-tab.png"))
        page.get_by_role("button", name="退出登录").click()  # sign out in the first tab…
        page.get_by_text("您已退出登录").wait_for(timeout=60_000)
        other.get_by_text("English", exact=True).click()  # …a click in the other
        other.get_by_text("您已退出登录").wait_for(timeout=60_000)  # …and the other tab is out
        other.screenshot(path=str(artifacts / "session-ended-other-tab.png"))
        assert other.locator("[data-testid='stMetric']").count() == 0
        other.get_by_role("link", name="重新登录").click()
        other.locator("form[action='/signin']").wait_for(timeout=30_000)


def test_admin_lists_open_sessions_and_ends_one(engine, account):
    from tests.apptest import app_test

    cookie = sessions.begin(account, "10.0.0.9", "Mozilla/5.0 listed")
    at = app_test("admin")
    at.switch_page("app_pages/admin.py")
    at.run()
    assert not at.exception and not at.error
    listed = next(df.value for df in at.dataframe if "客户端地址" in df.value.columns)
    mine = listed[listed["用户名"] == NAME]
    assert len(mine) == 1 and mine["客户端地址"].iloc[0] == "10.0.0.9"
    with transaction("", "admin", "admin") as conn:
        assert sessions.end_by_admin(conn, mine["会话"].iloc[0]) == 1
    assert sessions.username(cookie) is None and _state(engine, cookie)["end_reason"] == "ended_by_admin"
    with transaction("430602001", "street", NAME) as conn:  # not an admin: ends nothing of anyone else
        other = sessions.begin(accounts.current("district"))
        assert sessions.end_by_admin(conn, sessions._hash(other.partition(".")[0])[:12]) == 0
    assert sessions.username(other) == "district"
    sessions.end(other)
