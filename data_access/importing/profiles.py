"""Import profiles (导入方案): how one source's files map onto a kind, proposed once and reused.

A profile renames the source's columns to the kind's fields, maps its category and department names to the
store's, and names its district. The first file of a source gets a proposal (``propose``: each header's field by
alias, then by likeness, with the reason); an admin corrects it and saves it (``save``, audited); the next file of
the same shape loads with it in one step, and a file whose columns changed says which.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from data_access import clock
from data_access.importing.kinds import KINDS, Kind
from data_access.importing.validate import Problem, header_key

LIKENESS = 0.5  # difflib's ratio from which a header is proposed for a field it does not name exactly
_TIME_WORDS = ("时间", "日期", "时刻", "时限", "date", "time", "at")


@dataclass
class Profile:
    name: str
    kind: str
    district: str | None = None  # the district code of every row that names none
    columns: dict[str, str] = field(default_factory=dict)  # the source's header → the field's Chinese header
    categories: dict[str, str] = field(default_factory=dict)  # the source's category → a code, name or path
    departments: dict[str, str] = field(default_factory=dict)  # the source's department → a name or code
    headers: list[str] = field(default_factory=list)  # the source's headers when the profile was saved

    def apply(self, raw: pd.DataFrame, notes: list[Problem]) -> pd.DataFrame:
        """``raw`` with the profile's columns renamed; a note on the columns that changed since it was saved."""
        now = [str(h) for h in raw.columns]
        added = [h for h in now if h not in self.headers]
        gone = [h for h in self.headers if h not in now]
        if added or gone:
            notes.append(
                Problem(
                    0,
                    "",
                    "",
                    "profile_columns",
                    {"name": self.name, "added": "、".join(added) or "—", "gone": "、".join(gone) or "—"},
                )  # fmt: skip
            )
        rename = {h: self.columns[h] for h in now if self.columns.get(h)}
        return raw.rename(columns=rename)


def propose(headers, kind: Kind) -> pd.DataFrame:
    """For each header of a source's file: the field it maps to (its Chinese header, or '' for none: the values are
    kept with the row) and why — its name or an alias, or its likeness to a field's name (the best first)."""
    names = {header_key(h): c.zh for c in kind.columns for h in c.headers}
    rows, taken = [], set()
    for header in headers:
        key = header_key(header)
        if key in names and names[key] not in taken:
            field_zh = names[key]
            reason = ("name", field_zh) if key == header_key(field_zh) else ("alias", str(header))
        else:
            timely = key.endswith(_TIME_WORDS)  # a time's header is not like 办理状态, however like 办理时限 it reads
            scored = [
                (difflib.SequenceMatcher(None, key, header_key(h)).ratio(), h, c.zh)
                for c in kind.columns
                if c.zh not in taken and (c.type not in ("date", "datetime") or timely)
                for h in c.headers
            ]
            score, like, field_zh = max(scored, default=(0.0, "", ""))
            contained = next((c.zh for c in kind.columns if c.zh not in taken and c.zh in str(header)), None)
            if contained:
                field_zh, reason = contained, ("contains", contained)
            elif score >= LIKENESS:
                reason = ("like", f"{like} {score:.2f}")
            else:
                field_zh, reason = "", ("none", "")
        taken.add(field_zh)
        rows.append({"header": str(header), "field": field_zh, "reason": reason[0], "detail": reason[1]})
    return pd.DataFrame(rows, columns=["header", "field", "reason", "detail"])


def from_proposal(name: str, kind: str, mapping: pd.DataFrame, **maps) -> Profile:
    """A profile from an edited proposal (header, field) and the name maps (categories, departments, district)."""
    columns = {h: f for h, f in zip(mapping["header"], mapping["field"], strict=True) if isinstance(f, str) and f}
    return Profile(name, kind, columns=columns, headers=list(mapping["header"]), **maps)


def name_maps(problems: list[Problem]) -> dict[str, dict[str, str]]:
    """The category and department names a dry run could not find, each with the nearest name as its proposal
    ('' when there is none)."""
    categories, departments = {}, {}
    for p in problems:
        if p.key == "unknown_category":
            categories[p.value] = p.params["nearest"].split("、")[0].strip("—")
        elif p.key == "unknown_name" and p.column == "承办单位":
            departments[p.value] = p.params["candidates"].split("、")[0].strip("—")
    return {"categories": categories, "departments": departments}


def check(profile: Profile) -> None:
    """ValueError when the profile is not one a load can use: an unknown kind, a field the kind lacks, a name."""
    if not (1 <= len(profile.name) <= 64) or any(ch in profile.name for ch in "/\\\x00"):
        raise ValueError("a profile's name has 1 to 64 characters and no / or \\")
    if profile.kind not in KINDS:
        raise ValueError(f"unknown kind {profile.kind!r}")
    fields = {c.zh for c in KINDS[profile.kind].columns}
    targets = list(profile.columns.values())
    wrong = sorted(set(targets) - fields)
    if wrong:
        raise ValueError(f"{profile.kind} has no field {wrong[0]}")
    twice = sorted({f for f in targets if targets.count(f) > 1})
    if twice:
        raise ValueError(f"two columns are mapped to {twice[0]}")
    kept = {h for h in profile.headers if h not in profile.columns}  # columns that keep their own name
    clash = sorted(kept & set(targets))
    if clash:
        raise ValueError(f"the file has its own column {clash[0]}; map that one, or leave {clash[0]} unmapped")


def save(conn, profile: Profile, by: str) -> None:
    """Insert or replace the profile, and audit it (in the caller's transaction)."""
    from data_access.accounts import audit

    check(profile)
    values = {
        "n": profile.name, "k": profile.kind, "d": profile.district, "c": json.dumps(profile.columns),
        "cat": json.dumps(profile.categories), "dep": json.dumps(profile.departments),
        "h": json.dumps(profile.headers), "by": by, "at": clock.now(),
    }  # fmt: skip
    conn.execute(
        sa.text(
            "INSERT INTO import_profile (name, kind, district_code, columns, categories, departments, headers, "
            "saved_by, saved_at) VALUES (:n, :k, :d, CAST(:c AS jsonb), CAST(:cat AS jsonb), CAST(:dep AS jsonb), "
            "CAST(:h AS jsonb), :by, :at) ON CONFLICT (name) DO UPDATE SET kind = :k, district_code = :d, "
            "columns = CAST(:c AS jsonb), categories = CAST(:cat AS jsonb), departments = CAST(:dep AS jsonb), "
            "headers = CAST(:h AS jsonb), saved_by = :by, saved_at = :at"
        ),
        values,
    )
    audit(conn, by, "profile", name=profile.name, kind=profile.kind, columns=len(profile.columns),
          categories=len(profile.categories), departments=len(profile.departments))  # fmt: skip


def get(conn, name: str) -> Profile | None:
    row = conn.execute(
        sa.text(
            "SELECT name, kind, district_code, columns, categories, departments, headers FROM import_profile "
            "WHERE name = :n"
        ),
        {"n": name},
    ).one_or_none()
    return None if row is None else Profile(*row)


def names(conn, kind: str | None = None) -> list[str]:
    sql = "SELECT name FROM import_profile WHERE CAST(:k AS text) IS NULL OR kind = :k ORDER BY name"
    return list(conn.execute(sa.text(sql), {"k": kind}).scalars())
