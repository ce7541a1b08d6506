"""Helpers for browser tests: a Streamlit server on a free port and Debian's headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

from data_access.accounts import DEMO_ACCOUNTS
from data_access.settings import PROJECT_ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(log_path, env: dict | None = None, port: int | None = None):
    """Serve streamlit_app.py with the current environment (the test store) plus ``env``; yield its URL."""
    port = port or free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "serve.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError(f"streamlit did not start; see {log_path}")
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


DEMO_PASSWORDS = {username: password for username, _, _, password, _ in DEMO_ACCOUNTS}


_SIGNED_IN_AS: dict[int, str] = {}  # browser context → the demo account its session cookie is of


def open_signed_in(page, url: str, user: str = "city", timeout: int = 120_000) -> None:
    """Open ``url`` signed in as one of the demo accounts: through /signin, where the app sends a browser without
    a session (and back to ``url``); a browser already signed in as ``user`` goes straight there (its cookie)."""
    if _SIGNED_IN_AS.get(id(page.context)) not in (None, user):
        page.context.clear_cookies()
    page.goto(url, timeout=timeout)
    sidebar = page.locator("[data-testid='stSidebar']")
    either = "form[action='/signin'], [data-testid='stSidebar']"
    page.wait_for_function(f'() => document.querySelector("{either}")', timeout=timeout)
    if page.locator("form[action='/signin']").count():
        page.locator("#username").fill(user)
        page.locator("#password").fill(DEMO_PASSWORDS[user])
        page.locator("#password").press("Enter")
    # Signed in: the app's sidebar is there (attached, not visible: a phone starts with it collapsed).
    sidebar.wait_for(state="attached", timeout=timeout)
    _SIGNED_IN_AS[id(page.context)] = user


def wait_until_idle(page, timeout: int = 90_000) -> None:
    """Wait until the app's script has finished its run: a widget changed just before started one, and a file
    set on an uploader while that run redraws the page can be lost."""
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 && document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState !== 'running'""",
        timeout=timeout,
    )


def _keep_failure(page) -> None:
    """Save what a failing browser test's page showed (screenshot, text, console) for CI's log to point at."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "browser").split(" ")[0].split("::")[-1]
    out = PROJECT_ROOT / "test-artifacts" / f"failed-{test}"
    try:
        out.parent.mkdir(exist_ok=True)
        page.screenshot(path=f"{out}.png", full_page=True)
        out.with_suffix(".txt").write_text(page.inner_text("body") + "\n--- console\n" + "\n".join(page.console_lines))
        print(f"browser failure kept in {out}.png/.txt")
    except Exception as error:  # the page itself may be gone
        print(f"browser failure not kept: {error}")


@contextmanager
def chromium_page(width: int = 1600, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # A context of its own, so that a test may open a second tab of the same browser (its cookies).
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
            page = context.new_page()
            page.console_lines = []  # what the page wrote to its console, for a failing test to save
            page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text}"))
            try:
                yield page
            except Exception:
                _keep_failure(page)
                raise
        finally:
            browser.close()
