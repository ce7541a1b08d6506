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
def streamlit_server(log_path, env: dict | None = None):
    """Serve streamlit_app.py with the current environment (the test store) plus ``env``; yield its URL."""
    port = free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "streamlit_app.py",
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


def open_signed_in(page, url: str, user: str = "city", timeout: int = 120_000) -> None:
    """Open ``url`` and sign in there as one of the demo accounts (every new page load is a new session)."""
    page.goto(url, timeout=timeout)
    form = page.locator("[data-testid='stForm']").first
    sidebar = page.locator("[data-testid='stSidebar']")
    for attempt in range(3):  # a rerun racing the typing can drop the submit (seen once in CI): type again
        form.wait_for(timeout=timeout)
        form.locator("input").nth(0).fill(user)
        form.locator("input").nth(1).fill(DEMO_PASSWORDS[user])
        form.locator("input").nth(1).press("Enter")  # submits the form (its first button is the eye toggle)
        try:
            # Signed in: the app's sidebar is there (attached, not visible: a phone starts with it collapsed).
            sidebar.wait_for(state="attached", timeout=timeout // 3 if attempt < 2 else timeout)
            return
        except Exception:
            if attempt == 2:
                raise


@contextmanager
def chromium_page(width: int = 1600, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
            yield page
        finally:
            browser.close()
