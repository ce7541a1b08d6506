"""dashboard.formats: figures written the Chinese way (issue 15), and the English way under the switch."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dashboard import formats


@pytest.mark.parametrize(
    "n,short,text",
    [
        (21439, False, "21,439"),
        (21439, True, "21,439"),  # under 100,000: written out
        (412348, True, "41.2万"),
        (400000, True, "40万"),
        (123456789, True, "1.23亿"),
        (412348, False, "412,348"),
        (0, True, "0"),
        (None, True, "—"),
        (float("nan"), False, "—"),
    ],
)
def test_counts(n, short, text):
    assert formats.count(n, short) == text


def test_rates_hours_dates_and_changes():
    assert formats.rate(93.44) == "93.4%" and formats.rate(None) == "—"
    assert formats.hours(5.25) == "5.2 小时" and formats.hours(72) == "3.0 天"
    assert formats.day(date(2026, 11, 3)) == "2026年11月3日" and formats.day(datetime(2026, 1, 2, 9)) == "2026年1月2日"
    assert formats.signed(-0.04, 1) == "+0.0" and formats.signed(1234) == "+1,234" and formats.signed(-5) == "-5"


def test_indicators_by_kind():
    assert formats.indicator("closure_rate", 95.04) == "95.0%"
    assert formats.indicator("reported", 412348, short=True) == "41.2万"
    assert formats.indicator("reported", 412348) == "412,348"
    assert formats.indicator("mean_closed_hours", 50) == "2.1 天"
    assert formats.indicator("households_per_station", 277.56) == "278"
    assert formats.indicator("closure_rate", float("nan")) == "—"


def test_english_writes_numbers_out(monkeypatch):
    monkeypatch.setattr(formats, "lang", lambda: "en")
    assert formats.count(412348, short=True) == "412,348"
    assert formats.day(date(2026, 11, 3)) == "2026-11-03"
