"""Bulk writes into a staging table, by each database's fast path.

PostgreSQL: `COPY ... FROM STDIN` of CSV written by pyarrow (a per-row Python loop or
`to_sql` costs 4 to 40 times more, see spec/performance.md). SQLite: `executemany` over
tuples in the open transaction.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import text

from loaders import pg_binary

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TIMESTAMP_TEXT = "%Y-%m-%d %H:%M:%S.%f"


def utc_timestamp_text(values: pd.Series) -> pd.Series:
    """Aware instants as SQLAlchemy writes naive-UTC datetimes to SQLite, which compares them as
    text: staged rows must use the same format as the stored ones."""
    return values.dt.tz_convert("UTC").dt.tz_localize(None).dt.strftime(TIMESTAMP_TEXT)


def _column_list(columns: list[str]) -> str:
    return ", ".join(columns)


def copy_frame(session: Session, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """Append `frame[columns]` to `table` (a name the code chose, never a seller's text)."""
    if frame.empty:
        return
    if session.get_bind().dialect.name == "postgresql":
        _copy_postgres(session, table, frame, columns)
    else:
        _executemany_sqlite(session, table, frame, columns)


def _copy_postgres(session: Session, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    body = pg_binary.encode(frame, columns, column_types(session, table))
    if body is None:  # a type the binary encoder leaves to PostgreSQL's own parsing
        arrow = pa.Table.from_pandas(frame[columns], preserve_index=False)
        buffer = io.BytesIO()
        pacsv.write_csv(arrow, buffer, pacsv.WriteOptions(include_header=False))
        _copy(session, table, columns, buffer.getbuffer(), "csv")
    else:
        _copy(session, table, columns, body, "binary")


def copy_encoded(session: Session, table: str, columns: list[str], body: bytes) -> None:
    """Append the rows of a binary COPY body `pg_binary.encode` made earlier (in the read-ahead
    thread, while this one waited on the server)."""
    _copy(session, table, columns, body, "binary")


def _copy(session: Session, table: str, columns: list[str], body, format_name: str) -> None:
    cursor = session.connection().connection.driver_connection.cursor()
    statement = f"COPY {table} ({_column_list(columns)}) FROM STDIN WITH (FORMAT {format_name})"
    with cursor.copy(statement) as copy:
        copy.write(body)


def column_types(session: Session, table: str) -> dict[str, str]:
    """Each column's PostgreSQL type as `format_type` names it; temporary tables first. Asked
    once per table and session (a file's transaction), not once per chunk."""
    known = session.info.setdefault("column_types", {})
    if table not in known:
        query = text("SELECT attname, format_type(atttypid, NULL) FROM pg_attribute"
                     " WHERE attrelid = to_regclass(:table) AND attnum > 0 AND NOT attisdropped")
        known[table] = {name: kind for name, kind in session.execute(query, {"table": table})}
    return known[table]


def _python_values(series: pd.Series) -> list:
    """Python values with None for missing ones, through Arrow (no per-value pandas calls)."""
    return pa.Array.from_pandas(series).to_pylist()


SQLITE_BATCH_ROWS = 8_192
"""Rows turned into Python values at a time: a whole chunk of them (17 columns of 65,000 rows)
weighed 60 MB of short-lived objects, for no gain in speed."""


def _executemany_sqlite(session: Session, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    placeholders = ", ".join("?" for _ in columns)
    cursor = session.connection().connection.driver_connection.cursor()
    insert = f"INSERT INTO {table} ({_column_list(columns)}) VALUES ({placeholders})"
    for start in range(0, len(frame), SQLITE_BATCH_ROWS):
        batch = frame.iloc[start:start + SQLITE_BATCH_ROWS]
        cursor.executemany(insert, zip(*(_python_values(batch[c]) for c in columns), strict=True))
