"""诉求分析 on /issues: keyword search, the words residents use, repeat requests by compound and by address."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import indicators, words
from data_access.reads import issues
from data_access.scope import Period, Scope
from tests.conftest import writable_copy
from tests.integration.test_pages import run

DISTRICT = "430602"


@pytest.fixture(scope="module")
def year(last_12_months):
    start, end = last_12_months
    return Period(start, end), datetime.combine(end, datetime.min.time())


def test_a_search_finds_exactly_the_issues_whose_text_or_address_holds_every_word(engine, year):
    period, at = year
    found = issues.issue_search(engine, Scope.from_code(DISTRICT), period, "电梯  困人", at, limit=5)
    with engine.connect() as conn:
        expected = conn.execute(
            sa.text(
                "SELECT count(*) FROM issue WHERE district_code = :d AND reported_at >= :a AND reported_at < :b "
                "AND (request_text LIKE '%电梯%' OR address LIKE '%电梯%') "
                "AND (request_text LIKE '%困人%' OR address LIKE '%困人%')"
            ),
            {"d": DISTRICT, "a": period.start, "b": period.end},
        ).scalar()
    assert expected > 5
    assert len(found) == 5 and int(found["matches"].iloc[0]) == expected
    assert found["request_text"].str.contains("电梯").all() and found["request_text"].str.contains("困人").all()
    assert found["reported_at"].is_monotonic_decreasing
    # LIKE's own characters are taken literally: nothing says "100%" or "_".
    for literal in ("%", "_", "\\"):
        assert issues.issue_search(engine, Scope.from_code(DISTRICT), period, literal, at).empty


def test_the_words_are_what_was_asked_not_where(engine, year):
    period, _ = year
    top = words.request_words(engine, Scope.from_code(DISTRICT), period, limit=40)
    assert len(top) == 40 and top["issues"].is_monotonic_decreasing
    with engine.connect() as conn:
        places = set(
            conn.execute(
                sa.text(
                    "SELECT name FROM compound WHERE district_code = :d UNION SELECT name FROM community "
                    "WHERE district_code = :d"
                ),
                {"d": DISTRICT},
            ).scalars()
        )
        # A word's count is the number of issues whose text uses it, in the months the period touches.
        word = top["word"].iloc[0]
        said = conn.execute(
            sa.text(
                "SELECT count(*) FROM issue WHERE district_code = :d AND reported_at >= :a AND reported_at < :b "
                "AND request_text LIKE :w"
            ),
            {"d": DISTRICT, "a": period.start.replace(day=1), "b": period.end, "w": f"%{word}%"},
        ).scalar()
    assert not set(top["word"]) & places
    assert not set(top["word"]) & words.stop_words()
    assert not top["word"].str.contains(r"[0-9]|路$|栋|号").any()
    assert "消防通道" in set(top["word"])  # a word of lexicon/words.txt, kept whole
    assert top["issues"].iloc[0] <= said  # the same word may also sit inside a longer one


def test_top_words_count_each_issue_once_and_keep_category_names_whole():
    texts = pd.DataFrame({"text": ["楼下占道经营占道经营", "占道经营的摊贩", "噪音扰民"], "n": [3, 2, 1]})
    top = words.top_words(texts, keep=["占道经营", "噪音扰民"]).set_index("word")["issues"]
    assert top["占道经营"] == 5 and top["噪音扰民"] == 1 and "摊贩" in top
    assert words.top_words(texts.iloc[:0]).empty


@pytest.mark.parametrize("scope", ["420100", DISTRICT])
def test_the_words_counted_when_issues_load_are_those_of_the_texts(engine, year, scope):
    """A city's or district's words come from word_district_summary (counted at load); they are the words of cutting
    the texts of the whole months the period touches, and a street cuts its own texts."""
    period, _ = year
    months = Period(period.start.replace(day=1), period.end)
    with engine.connect() as conn:
        names = conn.execute(sa.text("SELECT name FROM issue_category")).scalars().all()
    kept = words.request_words(engine, Scope.from_code(scope), period, limit=25)
    cut = words.top_words(words.texts(engine, Scope.from_code(scope), months, limit=10**7), names, limit=25)
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), cut.reset_index(drop=True), check_dtype=False)


def test_repeat_requests_by_address_count_once_in_the_catalogue_and_in_the_table(engine, year):
    period, at = year
    with writable_copy("cockpit_repeats") as copy:
        with copy.begin() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT code, community_code, category_code, reported_at FROM issue WHERE compound_code IS NULL "
                    "AND district_code = :d AND reported_at >= :a ORDER BY reported_at DESC LIMIT 1"
                ),
                {"d": DISTRICT, "a": period.start},
            ).one()
            # Two earlier work orders at the same door, written as a 12345 export would write it.
            for k, (written, days) in enumerate((("  常青路 ３６号　", 3), ("常青路36号", 10))):
                conn.execute(
                    sa.text(
                        "INSERT INTO issue (code, source_channel, category_code, category_l1, category_l2, "
                        "district_code, street_code, community_code, reported_at, due_at, address) "
                        "SELECT :code, 'hotline', category_code, category_l1, category_l2, district_code, street_code, "
                        "community_code, reported_at - make_interval(days => :days), "
                        "reported_at - make_interval(days => :days) + interval '2 days', :address "
                        "FROM issue WHERE code = :of"
                    ),
                    {"code": f"T{k}", "days": days, "address": written, "of": row.code},
                )
            conn.execute(sa.text("UPDATE issue SET address = '常青路36号' WHERE code = :c"), {"c": row.code})
            keys = (
                conn.execute(
                    sa.text("SELECT DISTINCT address_key FROM issue WHERE code IN ('T0', 'T1', :c)"), {"c": row.code}
                )
                .scalars()
                .all()
            )
            assert keys == ["常青路36号"]
            from data_access import summary

            summary.refresh(conn, [DISTRICT])
        scope = Scope.from_code(row.community_code)
        table = issues.repeat_requests(copy, scope, period)
        raw = issues.issue_counts(copy, scope, period, at, raw=True).iloc[0]
        kept = issues.issue_counts(copy, scope, period, at).iloc[0]
        ours = table[table["place"] == "常青路36号"]
        assert len(ours) == 1 and int(ours["repeats"].iloc[0]) == 2  # the second and the third at that door
        assert int(table["total"].iloc[0]) == int(raw["repeated"]) == int(kept["repeated"]) == table["repeats"].sum()


def test_unplaced_issues_are_a_catalogue_share(engine, year):
    period, at = year
    placed = issues.issue_kpis(engine, Scope.from_code(DISTRICT), period, at).iloc[0]
    assert placed["unplaced"] == 0 and placed["unplaced_share"] == 0  # the demo's issues all have a point
    assert indicators.get("unplaced_share").numerator == "unplaced"


def test_the_issues_page_searches_and_shows_words_and_repeats(engine):
    at = run("issues", scope=DISTRICT)
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert any("重复诉求率" in label for label in labels)
    search = next(w for w in at.text_input if w.label == "搜索诉求内容或地址")
    at = search.input("漏水 **楼上**").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "含“漏水 \\*\\*楼上\\*\\*”的事件共" in captions or "没有诉求内容或地址含" in captions
    assert "重复诉求共" in captions and "每个词计提到它的事件数" in captions


def test_the_stored_repeat_reference_is_the_definition(engine):
    """issue.repeat_of, set when issues load, is indicators.REPEAT_OF of every issue (one district's)."""
    with engine.connect() as conn:
        wrong, repeats = conn.execute(
            sa.text(
                f"SELECT count(*) FILTER (WHERE i.repeat_of IS DISTINCT FROM {indicators.REPEAT_OF.format(a='i.')}), "
                "count(*) FILTER (WHERE i.repeat_of IS NOT NULL) FROM issue i WHERE i.district_code = :d"
            ),
            {"d": DISTRICT},
        ).one()
    assert wrong == 0 and repeats > 100


def test_a_load_finds_repeats_among_its_own_rows_and_the_stored_ones(tmp_path, monkeypatch):
    """A load numbers its new issues and finds their repeats before it inserts them (summary.number_new_issues):
    among the file's own rows, with two reported at the same minute (neither repeats the other; a later one repeats
    the one loaded last), beyond the 30 days (none), and a later file's earlier work order that the stored ones now
    repeat. After each load every issue of the community is what the definition says."""
    from data_access import summary
    from data_access.importing.load import import_file

    def load(name: str, rows: list[tuple[str, str]]) -> None:
        path = tmp_path / name
        lines = ["工单编号,来源渠道,事件分类代码,社区代码,上报时间,详细地址"]
        lines += [f"{code},12345热线,020102,{COMMUNITY},{at},测试路8号" for code, at in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = import_file(copy, "issues", path)
        assert report.loaded and not report.problems, report.problems

    def check() -> dict[str, str | None]:
        with copy.connect() as conn:
            wrong = conn.execute(
                sa.text(
                    f"SELECT count(*) FROM issue i WHERE i.community_code = :c "
                    f"AND i.repeat_of IS DISTINCT FROM {indicators.REPEAT_OF.format(a='i.')}"
                ),
                {"c": COMMUNITY},
            ).scalar()
            assert wrong == 0
            rows = conn.execute(
                sa.text("SELECT i.code, p.code FROM issue i LEFT JOIN issue p ON p.id = i.repeat_of WHERE i.code ~ :r"),
                {"r": "^R[0-4]$"},
            ).all()
        return dict(rows)

    COMMUNITY = "430602001002"
    with writable_copy("cockpit_repeat_load") as copy:
        with monkeypatch.context() as m:  # the new rows' repeats as numbered before the insert, not fixed after
            m.setattr(summary, "mark_repeats", lambda conn, touched, numbered=False: 0)
            load("march.csv", [("R1", "2026-03-05 10:00"), ("R2", "2026-03-05 10:00"), ("R3", "2026-03-06 09:00"),
                               ("R4", "2026-05-01 09:00")])  # fmt: skip
            assert check() == {"R1": None, "R2": None, "R3": "R2", "R4": None}
        load("late.csv", [("R0", "2026-03-04 12:00")])
        assert check() == {"R0": None, "R1": "R0", "R2": "R0", "R3": "R2", "R4": None}
