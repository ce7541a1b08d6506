"""The demo generator without a database: determinism and calibration arithmetic."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from data_access.demo.build import generate, history_start
from data_access.demo.layout import allocate
from data_access.demo.spec import SEED_DISTRICTS
from data_access.schema import LIFECYCLE


def test_same_seed_same_rows():
    one = {"210711": SEED_DISTRICTS["210711"]}
    a, _ = generate(date(2026, 6, 30), seed=7, districts=one)
    b, _ = generate(date(2026, 6, 30), seed=7, districts=one)
    c, _ = generate(date(2026, 6, 30), seed=8, districts=one)
    for table in ("grid", "compound", "issue", "volunteer_activity", "party_org"):
        pa, pb = pd.concat(a.frames[table]), pd.concat(b.frames[table])
        pd.testing.assert_frame_equal(pa, pb)
    assert not pd.concat(a.frames["issue"])["reported_at"].equals(pd.concat(c.frames["issue"])["reported_at"])


def test_history_reaches_back_five_years_and_to_2021():
    assert history_start(date(2026, 11, 22)) == date(2021, 1, 1)
    assert history_start(date(2030, 3, 1)) == date(2021, 1, 1)
    assert history_start(date(2019, 3, 1)) == date(2014, 1, 1)


def test_issue_lifecycle_is_ordered_and_mostly_on_time():
    one = {"510903": SEED_DISTRICTS["510903"]}
    tables, _ = generate(date(2026, 6, 30), districts=one)
    df = pd.concat(tables.frames["issue"])
    stages = LIFECYCLE
    for a, b in zip(stages, stages[1:]):
        both = df[a].notna() & df[b].notna()
        assert (df.loc[both, b] >= df.loc[both, a]).all(), f"{b} before {a}"
    closed = df["closed_at"].notna()
    on_time = (df.loc[closed, "closed_at"] <= df.loc[closed, "due_at"]).mean()
    assert 0.8 < on_time < 0.99
    assert (df["due_at"] > df["reported_at"]).all()
    assert df["reported_at"].max() <= pd.Timestamp("2026-06-30 23:59:59")
    monthly = df.groupby(df["reported_at"].dt.month).size()
    assert monthly.max() > 1.2 * monthly.min()  # seasonality


@pytest.mark.parametrize(("total", "weights", "minimum"), [(10, [1, 1, 1], 1), (7, [5, 1], 0), (3, [1, 1, 1], 1)])
def test_allocate_sums_and_respects_minimum(total, weights, minimum):
    out = allocate(total, weights, minimum)
    assert out.sum() == total and (out >= minimum).all()


def test_allocate_rejects_impossible_minimum():
    with pytest.raises(ValueError, match="at least 1"):
        allocate(2, np.ones(3), 1)
