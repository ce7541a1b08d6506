"""The words residents use (诉求内容的高频词): request texts cut into words by jieba.

Each word counts the issues whose request text uses it (once per issue, however often it is said). The texts
come without their places (:data:`PLACELESS`: the issue's compound and community, roads, doors), so that the words
are what was asked, not where. Words of one character, numbers and the stop words of ``lexicon/stopwords.txt`` are
left out; the words of ``lexicon/words.txt`` and the category tree's names are kept whole.

Texts are cut when issues load (:func:`refresh`, from data_access.summary): ``word_district_summary`` keeps each
district's words per report month, so a city or district page sums a few thousand rows instead of cutting a year of
texts (15–18 s for a city at megacity scale); its words are those of the whole months the period touches. A street or
smaller place cuts its own period's texts when read.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from data_access.bulk import insert_dataframe
from data_access.reads import run
from data_access.scope import Period, Scope

LEXICON = Path(__file__).with_name("lexicon")
_DIGITS = re.compile(r"[0-9０-９]+")
_lock = threading.Lock()


def _lines(name: str) -> list[str]:
    text = (LEXICON / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_lines("stopwords.txt"))


def _tokenizer(extra: tuple[str, ...]):
    with _lock:  # the start-up warm-up and a first page asking at once: one of them builds, the other waits
        return _built(extra)


@cache
def _built(extra: tuple[str, ...]):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for line in _lines("words.txt"):
        word, freq, tag = line.split()
        tok.add_word(word, int(freq), tag)
    for word in extra:
        tok.add_word(word, 2000)
    return tok


def _kept(word: str) -> bool:
    return len(word) >= 2 and word not in stop_words() and not _DIGITS.fullmatch(word) and word.strip().isalnum()


def top_words(texts: pd.DataFrame, keep: Iterable[str] = (), limit: int = 30) -> pd.DataFrame:
    """The ``limit`` words used by most issues: ``texts`` has distinct texts (``text``) and their issue counts
    (``n``); the ``keep`` words (category names) are kept whole. Returns ``word`` and ``issues``, the most used
    first (ties by word)."""
    tok = _tokenizer(tuple(sorted(set(keep))))
    counts: Counter[str] = Counter()
    for text, n in zip(texts["text"], texts["n"], strict=True):
        for word in {w for w in tok.lcut(str(text)) if _kept(w)}:
            counts[word] += int(n)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return pd.DataFrame(ranked, columns=["word", "issues"]).astype({"issues": "int64"})


# Where a request text says where (an address inside it): a road before a number, and a door, building or unit.
ROAD_IN_TEXT = "[一-龥]{1,4}(大道|路|街|巷)(?=[0-9０-９])"
NUMBER_IN_TEXT = "[0-9０-９一二三四五六七八九十]+ *(号楼|号院|号|栋|幢|单元|楼|层|室|弄)"
# An issue's request text without its places (SQL over ``issue i``; bound :road and :number). The names come from
# one index lookup per issue: joined, the planner looped over every compound for each issue.
PLACELESS = (
    "regexp_replace(regexp_replace(replace(replace(i.request_text, "
    "coalesce((SELECT k.name FROM compound k WHERE k.code = i.compound_code), ''), ' '), "
    "coalesce((SELECT m.name FROM community m WHERE m.code = i.community_code), ''), ' '), :road, ' ', 'g'), "
    ":number, ' ', 'g')"
)
BATCH = 100_000  # (district, month, text) rows read at a time


# The words the tokenizer keeps whole: the default tree's category names. A district's own tree (kind categories)
# does not change them: the words already counted stay what a rebuild would count.
DEFAULT_NAMES = "SELECT name FROM issue_category WHERE district_code IS NULL"


def refresh(conn: sa.Connection, only: str = "") -> int:
    """Count the words of the issues' request texts per district and report month into word_district_summary: of
    every issue, or of the districts and months of those ``only`` selects (a JOIN on ``issue i``: what a load
    touched; their rows are replaced). Runs in the caller's transaction; returns the (district, month, word) rows
    written."""
    months = f"SELECT DISTINCT i.district_code, date_trunc('month', i.reported_at)::date AS bucket FROM issue i {only}"
    conn.execute(sa.text(f"CREATE TEMP TABLE _word_months ON COMMIT DROP AS {months}"))
    conn.execute(
        sa.text(
            "DELETE FROM word_district_summary s USING _word_months m WHERE s.district_code = m.district_code "
            "AND s.bucket = m.bucket"
        )
    )
    # The places are taken out of each distinct text of a place once, not of every issue saying it (8.1 → 5.1 s for
    # a million issues of a few hundred request forms).
    texts = f"""
        SELECT i.district_code, i.bucket, {PLACELESS} AS t, sum(i.n)::bigint AS n FROM (
            SELECT i.district_code, date_trunc('month', i.reported_at)::date AS bucket, i.request_text,
                   i.compound_code, i.community_code, count(*) AS n
            FROM issue i JOIN _word_months m ON i.district_code = m.district_code
                 AND i.reported_at >= m.bucket AND i.reported_at < m.bucket + interval '1 month'
            WHERE i.request_text IS NOT NULL GROUP BY 1, 2, 3, 4, 5) i
        GROUP BY 1, 2, 3"""
    names = conn.execute(sa.text(DEFAULT_NAMES)).scalars().all()
    tok = _tokenizer(tuple(sorted(set(names))))
    cut: dict[str, frozenset[str]] = {}
    counts: Counter = Counter()  # (district, month, word): a few hundred thousand at most
    stream = sa.text(texts).execution_options(stream_results=True)
    result = conn.execute(stream, {"road": ROAD_IN_TEXT, "number": NUMBER_IN_TEXT})
    while rows := result.fetchmany(BATCH):
        for district, bucket, text, n in rows:
            if text not in cut:
                cut[text] = frozenset(w for w in tok.lcut(str(text)) if _kept(w))
            for word in cut[text]:
                counts[(bucket, district, word)] += n
    df = pd.DataFrame([(*k, v) for k, v in counts.items()], columns=["bucket", "district_code", "word", "issues"])
    conn.execute(sa.text("DROP TABLE _word_months"))
    return insert_dataframe(conn, "word_district_summary", df)  # an import writes as the app role


def texts(engine, scope: Scope, period: Period, limit: int = 50_000) -> pd.DataFrame:
    """The request texts of ``scope``'s issues reported in ``period`` without their places, distinct (``text``), with
    how many issues said each (``n``), the most said first, at most ``limit`` of them."""
    w, p = scope.where("i")
    pw, pp = period.where("i.reported_at")
    sql = f"""SELECT t AS text, count(*) AS n FROM (
                  SELECT {PLACELESS} AS t FROM issue i WHERE {w} AND {pw} AND i.request_text IS NOT NULL
              ) x GROUP BY 1 ORDER BY n DESC, text LIMIT :limit"""
    return run(engine, sql, {**p, **pp, "road": ROAD_IN_TEXT, "number": NUMBER_IN_TEXT, "limit": limit})


def request_words(engine, scope: Scope, period: Period, limit: int = 30) -> pd.DataFrame:
    """The ``limit`` words used by most of ``scope``'s issues reported in ``period``: ``word``, ``issues``, the most
    used first (ties by word). A city or district sums the counts kept per district and month, of the whole months
    the period touches; a street or smaller place (a few thousand texts a year) cuts its period's texts."""
    if scope.level in ("city", "district"):
        w, p = scope.where()
        sql = f"""SELECT word, sum(issues)::bigint AS issues FROM word_district_summary
                  WHERE {w} AND bucket >= :m0 AND bucket < :m1 GROUP BY word ORDER BY 2 DESC, word LIMIT :limit"""
        return run(engine, sql, {**p, "m0": period.start.replace(day=1), "m1": period.end, "limit": limit})
    names = run(engine, DEFAULT_NAMES)["name"]
    return top_words(texts(engine, scope, period), names, limit)


def warm() -> None:
    """Build the tokenizer ahead of the first page that needs it (1–2 s), with the default category tree's names."""
    from data_access.categories import default_tree

    _tokenizer(tuple(sorted(set(default_tree()["name"]))))
