"""A scope (a place at one level of the hierarchy) and a time range, as SQL fragments.

Filters are built as (sql, params) pairs; columns come from an allow-list, values are
always bound parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

LEVELS = ("city", "district", "street", "community", "grid")
CODE_LENGTH = {"city": 6, "district": 6, "street": 9, "community": 12, "grid": 15}
_COLUMN = {"district": "district_code", "street": "street_code", "community": "community_code", "grid": "grid_code"}
CHILD_LEVEL = {
    "city": "district",
    "district": "street",
    "street": "community",
    "community": "grid",
    "grid": "micro_grid",
}


PLACE_CODE = re.compile(r"[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15}")  # a city or district, street, community, grid


def is_place_code(text) -> bool:
    """Whether ``text`` is a place code: 6 digits (a city, a district), 9 (a street), 12 (a community), 15 (a grid)."""
    return isinstance(text, str) and PLACE_CODE.fullmatch(text) is not None


@dataclass(frozen=True)
class Scope:
    """A place: ``level`` is one of LEVELS and ``code`` its code (None for the whole store)."""

    level: str = "city"
    code: str | None = None

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"unknown scope level {self.level!r}; expected one of {', '.join(LEVELS)}")
        if self.code is not None and not re.fullmatch(rf"[0-9]{{{CODE_LENGTH[self.level]}}}", self.code):
            raise ValueError(f"{self.level} code must be {CODE_LENGTH[self.level]} digits, got {self.code!r}")

    @classmethod
    def from_code(cls, code: str | None) -> Scope:
        """The scope a code names: 6 digits ending in 00 is a city, otherwise by length."""
        if not code:
            return cls()
        by_len = {6: "district", 9: "street", 12: "community", 15: "grid"}
        if len(code) == 6 and code.endswith("00"):
            return cls("city", code)
        if len(code) not in by_len:
            raise ValueError(f"not a place code: {code!r}")
        return cls(by_len[len(code)], code)

    def where(self, alias: str = "", finest: str = "grid") -> tuple[str, dict]:
        """SQL condition selecting rows of this scope in a table with the hierarchy code columns.

        ``finest`` is the finest level the table records; a scope below it selects nothing
        (volunteers are registered by community, so a grid has none of its own).
        """
        prefix = f"{alias}." if alias else ""
        if self.code is None:
            return "TRUE", {}
        if LEVELS.index(self.level) > LEVELS.index(finest):
            return "FALSE", {}
        if self.level == "city":
            # An array of the city's districts, made once (an InitPlan): as IN (SELECT …), the planner, which cannot
            # count rows past row-level security, called the function again for every row of a nested loop
            # (a city's compounds: 0.2 s instead of 0.02 s at megacity scale).
            return (
                f"{prefix}district_code = ANY(ARRAY(SELECT ggc_city_districts(:scope_code)))",
                {"scope_code": self.code},
            )
        return f"{prefix}{_COLUMN[self.level]} = :scope_code", {"scope_code": self.code}

    def where_unit(self, unit_level: str, alias: str = "") -> tuple[str, dict]:
        """SQL condition on a hierarchy table (street, community, grid) keyed by ``code``.

        Units below the scope are those inside it; a unit at or above the scope's level is
        the one containing it.
        """
        if unit_level not in ("street", "community", "grid"):
            raise ValueError(f"not a unit level: {unit_level!r}")
        if self.code is None or self.level == "city":
            return self.where(alias)
        prefix = f"{alias}." if alias else ""
        if LEVELS.index(self.level) < LEVELS.index(unit_level):
            return self.where(alias)
        return f"{prefix}code = left(:scope_code, {CODE_LENGTH[unit_level]})", {"scope_code": self.code}

    @property
    def child_level(self) -> str:
        """The level of the units directly below: the whole store's are its cities."""
        return "city" if self.code is None else CHILD_LEVEL[self.level]


@dataclass(frozen=True)
class Period:
    """A half-open date range [start, end)."""

    start: date
    end: date

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError(f"period end {self.end} must be after start {self.start}")

    def where(self, column: str) -> tuple[str, dict]:
        if not re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", column):
            raise ValueError(f"bad column name {column!r}")
        # ISO strings travel untyped, so Postgres reads them as the column's own type: a timestamp column
        # is compared timestamp to timestamp, a leakproof operator row-level security lets an index use.
        return f"{column} >= :p_start AND {column} < :p_end", {
            "p_start": self.start.isoformat(),
            "p_end": self.end.isoformat(),
        }
