"""The import profile (导入方案) on /import: the proposed mapping of a new source's file, edited and saved.

The page reads the upload's headers, proposes each one's field with the reason, lets the admin correct the
mapping and the category and department names a dry run could not find (nearest names proposed), and saves it
all as a named profile; the next file of the source loads with the saved profile in one click.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.i18n import t
from data_access.importing.kinds import KINDS


def _reason(row) -> str:
    return t(f"profile_reason_{row['reason']}", detail=row["detail"])


def mapping(kind: str, proposed: pd.DataFrame, key: str) -> pd.DataFrame:
    """The proposal (profiles.propose) as the admin edited it: header, field ('' for none)."""
    shown = pd.DataFrame(
        {
            "header": proposed["header"],
            "field": proposed["field"],
            "reason": proposed.apply(_reason, axis=1),
        }
    )
    fields = ["", *[c.zh for c in KINDS[kind].columns]]
    st.caption(t("profile_columns_hint"))
    edited = st.data_editor(
        shown,
        key=f"profile_columns_{key}",
        hide_index=True,
        disabled=["header", "reason"],
        width="stretch",
        column_config={
            "header": st.column_config.TextColumn(t("profile_header")),
            "field": st.column_config.SelectboxColumn(t("profile_field"), options=fields, required=False),
            "reason": st.column_config.TextColumn(t("profile_reason")),
        },
    )
    return edited[["header", "field"]].fillna("")


def name_maps(found: dict[str, dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    """The category and department names a dry run could not find, with the proposed names, as edited; a name
    mapped to '' stays unmapped (and stays a problem)."""
    out = {}
    for what, names in found.items():
        if not names:
            out[what] = {}
            continue
        st.caption(t(f"profile_{what}_hint"))
        frame = pd.DataFrame({"source": list(names), "target": list(names.values())})
        edited = st.data_editor(
            frame,
            key=f"profile_{what}_{key}",
            hide_index=True,
            disabled=["source"],
            width="stretch",
            column_config={
                "source": st.column_config.TextColumn(t("profile_source_name")),
                "target": st.column_config.TextColumn(t(f"profile_target_{what}")),
            },
        )
        out[what] = {s: v.strip() for s, v in zip(edited["source"], edited["target"].fillna(""), strict=True) if v}
    return out
