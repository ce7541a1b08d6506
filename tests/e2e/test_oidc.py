"""Signing in through an identity provider (issue 18): a real OIDC provider on loopback (oidc-provider-mock), the
app's st.login, an account found by the provider's verified e-mail with its role and area, an unknown e-mail refused
with a clear message, and signing out."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests
import sqlalchemy as sa

from data_access import accounts
from tests.browser import chromium_page, free_port, streamlit_server

pytestmark = pytest.mark.browser
LEADER, STRANGER = "leader@yueyang.example.gov.cn", "stranger@example.com"


@pytest.fixture(scope="module")
def provider(artifacts):
    port = free_port()
    with open(artifacts / "oidc-provider.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 30
            while True:
                try:
                    if requests.get(f"{url}/.well-known/openid-configuration", timeout=2).ok:
                        break
                except OSError:
                    pass
                assert time.time() < deadline, "the OIDC provider did not start"
                time.sleep(0.3)
            for email in (LEADER, STRANGER):  # what the provider says of each: a verified e-mail and a name
                claims = {"email": email, "email_verified": True, "name": email.split("@")[0]}
                assert requests.put(f"{url}/users/{email}", json=claims, timeout=10).status_code == 204
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


@pytest.fixture(scope="module")
def app(provider, engine, artifacts, tmp_path_factory):
    with engine.begin() as conn:  # an account an admin opened for the leader's e-mail: no password, a district
        accounts.save_account(conn, "test", LEADER, "district", "430602", display_name="岳阳楼区领导（单位身份）")
    port = free_port()
    secrets = tmp_path_factory.mktemp("oidc") / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-of-some-length"\n'
        'client_id = "ggc-test"\nclient_secret = "ggc-test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    try:
        with streamlit_server(artifacts / "streamlit-oidc.log", {"STREAMLIT_SECRETS_FILES": str(secrets)}, port) as url:
            yield url
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM app_user WHERE username = :u"), {"u": LEADER})


def _through_the_provider(page, app, email):
    page.goto(f"{app}/issues?scope=430602", timeout=120_000)
    page.locator("a.sso").click()  # /signin: 使用单位统一身份登录
    page.locator("input[name='sub']").fill(email, timeout=60_000)  # the provider's own sign-in form
    page.get_by_role("button", name="Authorize").click()


def _audit(engine, username):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT event, detail FROM audit_log WHERE username = :u ORDER BY id DESC LIMIT 1"), {"u": username}
        ).one()


def test_a_verified_email_signs_in_as_its_account_and_signs_out(app, engine, artifacts):
    with chromium_page() as page:
        _through_the_provider(page, app, LEADER)
        sidebar = page.locator("[data-testid='stSidebar']")
        sidebar.get_by_text("岳阳楼区领导（单位身份）").wait_for(timeout=120_000)
        page.locator("[data-testid='stMetric']").first.wait_for(timeout=120_000)
        page.screenshot(path=str(artifacts / "oidc-signed-in.png"))
        body = page.inner_text("body")
        assert "岳阳楼区" in body and "岳阳市" not in sidebar.inner_text()  # the account's area, not the city
        event, detail = _audit(engine, LEADER)
        assert event == "login" and detail["method"] == "oidc"
        page.reload()  # the provider's cookie keeps the browser signed in
        sidebar.get_by_text("岳阳楼区领导（单位身份）").wait_for(timeout=120_000)
        sidebar.get_by_role("button", name="退出登录").click()
        end = page.get_by_role("button", name="End session")  # the provider asks before ending its own session
        try:
            end.click(timeout=30_000)
        except Exception:  # a provider that ends it without asking
            pass
        page.wait_for_url("**/signin**", timeout=60_000)
        page.screenshot(path=str(artifacts / "oidc-signed-out.png"))
        assert _audit(engine, LEADER)[0] == "logout"
        page.goto(f"{app}/issues?scope=430602")
        page.wait_for_url("**/signin**", timeout=60_000)  # signed out: the app asks again


def test_an_email_without_an_account_is_refused_with_a_clear_message(app, engine, artifacts):
    with chromium_page() as page:
        _through_the_provider(page, app, STRANGER)
        page.get_by_text("没有与").wait_for(timeout=120_000)
        page.screenshot(path=str(artifacts / "oidc-unknown.png"))
        text = page.inner_text("body")
        assert STRANGER in text and "请联系管理员开通" in text
        assert page.locator("[data-testid='stMetric']").count() == 0  # no figures
        event, detail = _audit(engine, STRANGER)
        assert event == "login_failed" and detail["reason"] == "unknown"
        page.get_by_role("button", name="换一个身份登录").click()
        try:
            page.get_by_role("button", name="End session").click(timeout=30_000)
        except Exception:
            pass
        page.wait_for_url("**/signin**", timeout=60_000)
