"""The words residents use (诉求内容的高频词): request texts cut into words by jieba.

Each word counts the issues whose request text uses it (once per issue, however often it is said). The texts
come without their places (queries.request_texts: the issue's compound and community, roads, doors), so that
the words are what was asked, not where. Words of one character, numbers and the stop words of
``lexicon/stopwords.txt`` are left out; the words of ``lexicon/words.txt`` and the category tree's names are
kept whole.
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


def request_words(engine, scope, period, limit: int = 30) -> pd.DataFrame:
    """:func:`top_words` of the request texts of ``scope``'s issues reported in ``period``: ``word``, ``issues``."""
    from data_access import queries

    categories = queries.category_names(engine)
    return top_words(queries.request_texts(engine, scope, period), categories, limit)


def warm() -> None:
    """Build the tokenizer ahead of the first page that needs it (1–2 s), with the default category tree's names
    (the store's own, unless it imported another tree)."""
    from data_access.categories import default_tree

    _tokenizer(tuple(sorted(set(default_tree()["name"]))))
