"""The ranking rule of the catalogue (排名与红黑榜): child units worst first by one indicator, with rank numbers and the
three best and worst marked; rows resting on too few cases are listed after the rest, unranked. The pages, the wall
screen, briefings and the API rank with it."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data_access import indicators
from data_access.reads import issues, places
from data_access.scope import Period, Scope


def ranked(df: pd.DataFrame, key: str | None) -> pd.DataFrame:
    """``df`` worst first by the catalogue indicator ``key`` (rows resting on too few cases, and rows without a
    value, after the rest, unranked), with ``place_rank`` (名次, equal values share one) and ``board`` ('red' for the
    best three, 'black' for the worst three, ties included, when at least six are ranked: 红黑榜); by name when
    ``key`` is None."""
    if key is None:
        return df.sort_values("name").assign(place_rank=pd.array([None] * len(df), dtype="Int64"), board="")
    ind = indicators.get(key)
    cases = df[ind.denominator] if ind.denominator in df else pd.Series([None] * len(df), index=df.index)
    unranked = pd.Series([indicators.small_sample(key, n) for n in cases], index=df.index) | df[key].isna()
    order = df.assign(_u=unranked).sort_values(["_u", key, "code"], ascending=[True, ind.higher_is_better, True])
    ranked_rows = ~order.pop("_u").to_numpy()
    values = order[key].where(ranked_rows)
    worst = values.rank(method="min", ascending=ind.higher_is_better)  # 名次: ties share one
    best = values.rank(method="min", ascending=not ind.higher_is_better)
    board = np.where(worst <= 3, "black", np.where(best <= 3, "red", ""))
    return order.assign(
        place_rank=pd.array(worst.round(), dtype="Int64"), board=np.where(ranked_rows.sum() >= 6, board, "")
    )


def ranking(engine: sa.Engine, scope: Scope, period: Period, at: datetime, key: str) -> pd.DataFrame:
    """The scope's child units (code, name) with the catalogue's issue counts and indicators of the period,
    :func:`ranked` by ``key``."""
    units = places.children(engine, scope)
    return ranked(units.merge(issues.issue_by_child(engine, scope, period, at), on="code", how="left"), key)
