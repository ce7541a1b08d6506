"""A category's time limit as a due time: hours, calendar days (自然日) or working days (工作日, Monday to Friday at the
same time of day)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from data_access.categories import deadline


def test_each_unit_counts_from_the_report():
    friday = pd.Series(pd.to_datetime(["2026-03-06 08:00"] * 3))
    due = deadline(friday, [12, 2, 5], ["hours", "calendar_days", "working_days"])
    assert list(due) == [datetime(2026, 3, 6, 20), datetime(2026, 3, 8, 8), datetime(2026, 3, 13, 8)]


def test_a_weekend_report_starts_on_monday_and_its_working_days_count_after_it():
    saturday = pd.Series(pd.to_datetime(["2026-03-07 22:30"]))
    assert list(deadline(saturday, [1], ["working_days"])) == [datetime(2026, 3, 10, 22, 30)]
