"""The megacity build, fast: one of Wuhan's light districts generated again at scale 1 in a copy of the store
(``make bench`` builds all eleven at scale 10, ≈25 min, not in CI)."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from data_access.demo import city
from data_access.demo.scale import build_scale
from data_access.indicators import FREQUENT_TOPIC
from tests.conftest import writable_copy

CAIDIAN = "420114"


def _counts(conn) -> dict:
    return dict(conn.execute(sa.text("SELECT district_code, count(*) FROM issue GROUP BY 1")).all())


def test_a_light_district_is_replaced_at_scale_and_the_rest_stays():
    with writable_copy("cockpit_test_scale") as copy:
        with copy.connect() as conn:
            before = _counts(conn)
        timings = build_scale(copy, 1, codes=[CAIDIAN])
        with copy.connect() as conn:
            after = _counts(conn)
            meta = dict(conn.execute(sa.text("SELECT key, value FROM store_meta")).all())
            summed = conn.execute(
                sa.text("SELECT sum(reported) FROM issue_summary WHERE district_code = :d AND span = 'm'"),
                {"d": CAIDIAN},
            ).scalar()
        assert list(timings) == [CAIDIAN]
        assert after[CAIDIAN] == timings[CAIDIAN]["issues"] > 10 * before[CAIDIAN]  # light → scale 1
        assert summed == after[CAIDIAN]  # its summaries rebuilt with it
        assert {d: n for d, n in after.items() if d != CAIDIAN} == {d: n for d, n in before.items() if d != CAIDIAN}
        assert meta["demo_scaled"] == CAIDIAN and "demo_scale" not in meta  # ten still light
        assert build_scale(copy, 1, codes=[CAIDIAN]) == {}  # a rerun skips what is scaled


def test_frequent_topics_are_shared_out_so_that_exactly_the_city_count_reaches_the_threshold():
    seed = np.array([300, 120, 80, 40, 30, 20, 12, 10, 9, 8, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 1, 0])
    add = city._topic_counts(seed, 2300)
    total = seed + add
    assert add.sum() == 2300 and (add >= 0).all()
    assert (total >= FREQUENT_TOPIC).sum() == city.CITY_TARGETS["frequent_topics"]
    with pytest.raises(ValueError, match="too few"):
        city._topic_counts(seed, 100)
