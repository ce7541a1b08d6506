"""Places, categories and departments given by name, as 12345 and grid-system exports give them.

A name is matched exactly first, then after normalising the usual variants: full-width and
half-width forms (NFKC), spaces, and the trailing words a unit's name may carry or drop (社区,
居委会, 村委会 for a community; 街道, 街道办事处, 镇 for a street). A name that matches no unit or
several is reported with the candidates; nothing is guessed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

_SPACES = re.compile(r"\s+")
SUFFIXES = {
    "district": ("人民政府", "区", "县", "市"),
    "street": ("街道办事处", "街道办", "办事处", "街道", "镇人民政府", "乡人民政府", "镇", "乡"),
    "community": ("社区居民委员会", "居民委员会", "村民委员会", "社区居委会", "居委会", "村委会", "社区", "村"),
    "department": ("办事处", "人民政府"),
}
PATH_SEPARATORS = re.compile(r"\s*(?:>|/|｜|\||-|—|＞|→)\s*")


def normal(name, level: str | None = None) -> str:
    """``name`` without its width variants, spaces and (for ``level``) one trailing unit word."""
    text = _SPACES.sub("", unicodedata.normalize("NFKC", str(name)))
    for suffix in SUFFIXES.get(level or "", ()):
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def nearest(value: str, names, n: int = 3) -> list[str]:
    """Up to ``n`` names like ``value`` (difflib's ratio, at least 0.4), for a report."""
    return difflib.get_close_matches(str(value), list(dict.fromkeys(names)), n=n, cutoff=0.4)


def match(value: str, units: pd.DataFrame, level: str) -> tuple[str | None, str | None, list[str]]:
    """(code, None, []) for the one unit of ``units`` (code, name, norm) called ``value``; else (None, the
    problem, the candidates): ``ambiguous_name`` and the units of that name, or ``unknown_name`` and the
    nearest names."""
    for hits in (units[units["name"] == value], units[units["norm"] == normal(value, level)]):
        if len(hits) == 1:
            return hits["code"].iloc[0], None, []
        if len(hits) > 1:
            return None, "ambiguous_name", [f"{n} ({c})" for c, n in zip(hits["code"], hits["name"], strict=True)]
    return None, "unknown_name", nearest(value, units["name"])


def with_norm(units: pd.DataFrame, level: str) -> pd.DataFrame:
    return units.assign(norm=units["name"].map(lambda v: normal(v, level)))


def split_path(value: str) -> list[str]:
    """A category path (市容环境>市容秩序>占道经营, also with / - ｜) as its parts, the leaf last."""
    return [normal(p) for p in PATH_SEPARATORS.split(str(value).strip()) if p.strip()]
