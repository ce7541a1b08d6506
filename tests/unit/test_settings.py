"""One settings object: every GGC_* variable the code reads goes through data_access.settings, and README's
"Configure" table lists exactly those."""

from __future__ import annotations

import re

from data_access.settings import PROJECT_ROOT, VARIABLES, get_settings


def test_readme_lists_every_setting_and_no_other():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configure", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.M)
    assert sorted(listed) == sorted(VARIABLES)


def test_no_module_reads_a_setting_from_the_environment_itself():
    """Only data_access/settings.py reads GGC_* variables (so .streamlit/secrets.toml reaches every one); serve.py's
    GGC_WEB is the served app's own marker, not a setting."""
    found = []
    for folder in ("app_pages", "dashboard", "data_access", "documents", "geo", "web"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if path.name == "settings.py" or "migrations" in path.parts:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"os\.(environ|getenv)\b.*GGC_(?!WEB\b)", line):
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_each_variable_reaches_its_setting(monkeypatch):
    monkeypatch.setenv("GGC_SESSION_IDLE_HOURS", "2.5")
    monkeypatch.setenv("GGC_FRAME_ANCESTORS", "https://wall.example.gov.cn https://b.example")
    monkeypatch.setenv("GGC_SLOW_READ_S", "0.25")
    get_settings.cache_clear()
    s = get_settings()
    assert s.session_idle_hours == 2.5 and s.slow_read_s == 0.25
    assert s.frame_ancestors == ("https://wall.example.gov.cn", "https://b.example")


def test_the_secrets_files_streamlit_is_told_to_read_reach_the_settings(monkeypatch, tmp_path):
    """A deployment that names its secrets (STREAMLIT_SECRETS_FILES, as the OIDC test does) configures both
    Streamlit's st.login and these settings: the sign-in page offers the identity provider only if [auth] is seen."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('GGC_SLOW_READ_S = "3"\n[auth]\nclient_id = "x"\n', encoding="utf-8")
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))
    monkeypatch.delenv("GGC_SLOW_READ_S", raising=False)
    get_settings.cache_clear()
    try:
        s = get_settings()
        assert s.oidc and s.slow_read_s == 3.0
    finally:
        get_settings.cache_clear()
