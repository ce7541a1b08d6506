"""Alert rules as data (no database): the shipped file parses, a bad file gets one message naming its line, names in a
message are escaped for the robot's markdown."""

from __future__ import annotations

import subprocess
import sys

import pytest

from data_access import alerts
from data_access.settings import PROJECT_ROOT

REPEAT_RULE = """
[webhook]
url = "{url}"
kind = "{kind}"

[[rule]]
name = "repeat_here"
title = "同一小区重复诉求"
kind = "repeat"
levels = ["community"]
at_least = 3
days = 30
"""


def test_names_in_a_message_are_escaped_for_markdown():
    import pandas as pd

    rules = alerts.parse(REPEAT_RULE.format(url="", kind="wecom"))
    rows = pd.DataFrame([{"rule": "repeat_here", "unit": "[x](http://evil)", "subject_name": "**a**\n# b",
                          "value": 3.0, "threshold": 3.0, "first_seen": pd.Timestamp("2026-12-01 08:00")}])  # fmt: skip
    content = alerts.message(rules, rows, 1)["markdown"]["content"]
    assert "\n#" not in content and "＊＊a＊＊ ＃ b" in content  # a line break in a name starts no heading
    assert "[x](http://evil)" not in content and "［x］（http://evil）" in content and "＊＊a＊＊" in content


BAD_RULES = [
    ("[[rule]]\nname = 'a'\nkind = 'spike'\nlevels = ['street']\n\n[[rule]\n", "line 6: not valid TOML"),
    ("[[rule]]\nname = 'a'\nkind = 'threshold'\nindicator = 'nope'\nlevels = ['street']\nabove = 1\n",
     "line 1: rule a: indicator must be an issue indicator"),
    ("[[rule]]\nname = 'a'\nkind = 'spike'\nlevels = ['street']\n\n[[rule]]\nname = 'a'\nkind = 'repeat'\n"
     "levels = ['street']\n", "line 6: a second rule named a"),
    ("# rules\n\n[[rule]]\nname = 'a'\nkind = 'repeat'\nlevels = ['street']\nat_least = 1\n",
     "line 3: rule a: at_least must be from 2"),
    ("[[rule]]\nname = 'a'\nkind = 'threshold'\nindicator = 'on_time_rate'\nlevels = ['street']\nbelow = 'target'\n"
     "above = 3\n", "give one of above and below"),
    ("[[rule]]\nname = 'a'\nkind = 'threshold'\nindicator = 'overdue_open'\nlevels = ['street']\nabove = 3\n"
     "periods = 2\n", "periods must be 1"),
    ("[[rule]]\nname = 'a'\nkind = 'spike'\nlevels = ['street']\nfactr = 2\n", "unknown key 'factr'"),
    ("[[rule]]\nname = 'a b'\nkind = 'spike'\nlevels = ['street']\n", "name must be letters"),
    ("[webhook]\nurl = 'ftp://x'\n", "line 1: webhook url must be empty or an http(s) address"),
    ("[hooks]\nurl = ''\n", "line 1: unknown section or key 'hooks'"),
]  # fmt: skip


@pytest.mark.parametrize("text, message", BAD_RULES)
def test_a_bad_rules_file_gets_a_message_naming_the_line(text, message, tmp_path):
    with pytest.raises(alerts.RuleError, match=None) as info:
        alerts.parse(text)
    assert message in str(info.value)
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "data_access", "alerts", "--check", str(path)],
                         capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)  # fmt: skip
    assert run.returncode == 1 and message in run.stderr and "Traceback" not in run.stderr


def test_the_shipped_rules_parse():
    rules = alerts.load(alerts.RULES_FILE)
    assert {r.kind for r in rules.rules} == set(alerts.KINDS)
