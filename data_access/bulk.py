"""Bulk loading with COPY."""

from __future__ import annotations

import io

import pandas as pd
import sqlalchemy as sa

CHUNK_ROWS = 200_000


def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy(deep=False)
    for col in out.columns:
        sample = out[col].dropna()
        if len(sample) and isinstance(sample.iloc[0], (bytes, bytearray, memoryview)):
            out[col] = out[col].map(lambda b: None if b is None else "\\x" + bytes(b).hex())
    return out


def copy_dataframe(conn: sa.Connection, table: str, df: pd.DataFrame) -> int:
    """COPY the rows of ``df`` into ``table`` (columns named as in the frame).

    ``table`` and the column names come from code, never from users; they are quoted anyway.
    Returns the number of rows written.
    """
    if df.empty:
        return 0
    raw = conn.connection.driver_connection
    cols = ", ".join(f'"{c}"' for c in df.columns)
    sql = f'COPY "{table}" ({cols}) FROM STDIN WITH (FORMAT csv)'
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for start in range(0, len(df), CHUNK_ROWS):
            buf = io.StringIO()
            _csv_ready(df.iloc[start : start + CHUNK_ROWS]).to_csv(buf, index=False, header=False)
            copy.write(buf.getvalue())
    return len(df)
