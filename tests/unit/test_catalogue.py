"""The indicator catalogue as data (no database): well formed, its targets and colours, docs/indicators.md generated
from it. Values against independent SQL: tests/integration/test_indicators.py."""

from __future__ import annotations

import pytest

from data_access import indicators
from data_access.settings import PROJECT_ROOT


@pytest.fixture
def targets_file(tmp_path, monkeypatch):
    """Write a targets TOML and point GGC_TARGETS_FILE at it; the defaults come back afterwards."""
    monkeypatch.delenv("GGC_TARGETS_FILE", raising=False)
    indicators.reload_targets()

    def write(text: str):
        path = tmp_path / "targets.toml"
        path.write_text(text, "utf-8")
        monkeypatch.setenv("GGC_TARGETS_FILE", str(path))
        indicators.reload_targets()
        return path

    yield write
    monkeypatch.undo()
    indicators.reload_targets()


def test_a_targets_file_overrides_the_defaults_and_per_level(targets_file):
    green, amber = indicators.targets("closure_rate")
    value = (green + amber) / 2  # amber by default
    by_default = indicators.rag("closure_rate", value)
    assert by_default == "amber"
    on_time = indicators.targets("on_time_rate")
    targets_file(
        f"[closure_rate]\ngreen = {value - 1}\namber = {value - 2}\n"
        f"[closure_rate.street]\ngreen = {value + 2}\namber = {value + 1}\n"
        f"[on_time_rate.street]\ngreen = {value + 2}\namber = {value + 1}\n"
    )
    assert indicators.rag("closure_rate", value) == "green" != by_default
    assert indicators.rag("closure_rate", value, "district") == "green"
    assert indicators.rag("closure_rate", value, "street") == "red"
    assert indicators.targets("closure_rate", "street") == (value + 2, value + 1)
    # A per-level table alone leaves the other levels at the defaults.
    assert indicators.targets("on_time_rate") == indicators.targets("on_time_rate", "district") == on_time
    assert indicators.targets("on_time_rate", "street") == (value + 2, value + 1)


def test_reloading_without_the_targets_file_restores_the_defaults(targets_file, monkeypatch):
    ind = indicators.CATALOGUE["closure_rate"]
    assert indicators.targets("closure_rate") == (ind.green, ind.amber)
    targets_file("[closure_rate]\ngreen = 1\namber = 0\n")
    assert indicators.targets("closure_rate") == (1.0, 0.0)
    monkeypatch.delenv("GGC_TARGETS_FILE")
    assert indicators.targets("closure_rate") == (1.0, 0.0)  # read once, until reloaded
    indicators.reload_targets()
    assert indicators.targets("closure_rate") == (ind.green, ind.amber)


@pytest.mark.parametrize(
    "key", [i.key for i in indicators.INDICATORS if not i.higher_is_better and i.green is not None]
)
def test_lower_is_better_indicators_are_red_above_amber(targets_file, key):
    green, amber = indicators.targets(key)
    assert green < amber, (key, green, amber)
    n = indicators.CATALOGUE[key].min_cases
    assert indicators.rag(key, amber + 1, n=n) == "red"
    assert indicators.rag(key, amber, n=n) == "amber"
    assert indicators.rag(key, (green + amber) / 2, n=n) == "amber"
    assert indicators.rag(key, green, n=n) == "green"


@pytest.mark.parametrize("key", [i.key for i in indicators.INDICATORS if i.higher_is_better and i.green is not None])
def test_higher_is_better_indicators_are_red_below_amber(targets_file, key):
    green, amber = indicators.targets(key)
    assert green > amber, (key, green, amber)
    assert indicators.rag(key, amber - 1) == "red"
    assert indicators.rag(key, amber) == "amber"
    assert indicators.rag(key, green) == "green"


@pytest.mark.parametrize("key", [i.key for i in indicators.INDICATORS if i.min_cases > 0])
def test_small_samples_are_never_coloured(targets_file, key):
    ind = indicators.CATALOGUE[key]
    t = indicators.targets(key)
    assert t is not None, key
    good = t[0]
    assert indicators.rag(key, good, n=ind.min_cases - 1) is None
    assert indicators.rag(key, good, n=ind.min_cases) == "green"
    assert indicators.rag(key, good) == "green"  # no case count given: coloured


def test_docs_indicators_md_is_generated_from_the_catalogue():
    path = PROJECT_ROOT / "docs" / "indicators.md"
    hint = "docs/indicators.md is stale: run `python -m data_access indicators > docs/indicators.md`"
    assert path.exists(), hint
    assert path.read_text("utf-8") == indicators.markdown(), hint


# ---------------------------------------------------------------------------------------------- 6. catalogue


def test_the_catalogue_is_well_formed():
    keys = [i.key for i in indicators.INDICATORS]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert set(indicators.CATALOGUE) == set(keys)
    count_keys = [c.key for c in indicators.ISSUE_COUNTS]
    assert len(count_keys) == len(set(count_keys)) and set(indicators.COUNTS) == set(count_keys)
    for i in indicators.INDICATORS:
        for attr in ("zh", "en", "definition", "standard"):
            assert isinstance(getattr(i, attr), str) and getattr(i, attr).strip(), (i.key, attr)
        assert i.kind in ("ratio", "mean", "count", "per_1000", "per_10000"), (i.key, i.kind)
        assert (i.denominator is None) == (i.kind == "count"), (i.key, i.kind, i.denominator)
        assert (i.green is None) == (i.amber is None), i.key
        if i.domain == "issues":
            for part in (i.numerator, i.denominator):
                if part is not None:
                    assert part in indicators.COUNTS, (i.key, part)
