"""A frame as the body of a PostgreSQL binary COPY, built column by column (no loop over rows).

Once reading and checking a file got cheap, the server became the slow side of a first load:
in CSV it splits every line and runs each type's text input function. In the binary format it
takes the values as they are stored (benchmarks/README.md, session 8). Each field is its
length (4 bytes, -1 for NULL) then its bytes, big-endian for numbers; Arrow joins the pieces
of a row, and the rows lie one after another in the joined array's data buffer: the body.

Only the types the loaders write in bulk are encoded here (integers, booleans, text); for
any other column, or a value that does not fit its column, `encode` answers None and the
caller sends CSV, where PostgreSQL itself says what is wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # then no flags and no header extension
TRAILER = b"\xff\xff"
INTEGERS = {"bigint": np.dtype(">i8"), "integer": np.dtype(">i4"), "smallint": np.dtype(">i2")}
TEXT = {"text", "character varying"}
NOTHING = pa.scalar(b"", pa.large_binary())


def encode(frame: pd.DataFrame, columns: list[str], types: dict[str, str]) -> bytes | None:
    """The COPY body of `frame[columns]` for columns of the given PostgreSQL `types`
    (`format_type` names), signature and trailer included; None when CSV must be sent.
    Consecutive number and boolean columns make one piece per row: list them together."""
    count = np.full((len(frame), 1), len(columns), dtype=">i2").view(np.uint8)
    pieces, fixed = [], [(count, np.zeros(len(frame), dtype=bool), False)]
    for name in columns:
        sql_type = types.get(name, "")
        if sql_type in INTEGERS or sql_type == "boolean":
            field = _integer_field(frame[name], INTEGERS[sql_type]) if sql_type in INTEGERS \
                else _boolean_field(frame[name])
            if field is None:
                return None
            fixed.append((*field, True))
        elif sql_type in TEXT and (text := _text_field(frame[name])) is not None:
            if fixed:
                pieces.append(_fixed_piece(fixed))
                fixed = []
            pieces.extend(text)
        else:
            return None
    if fixed:
        pieces.append(_fixed_piece(fixed))
    rows = pc.binary_join_element_wise(*pieces, NOTHING)
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    start, end = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
    return b"".join((SIGNATURE, memoryview(rows.buffers()[2])[start:end], TRAILER))


def _integer_field(values: pd.Series, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray] | None:
    """The (rows, width) big-endian bytes of each value and where it is missing."""
    try:
        numbers = values.astype("Int64")
    except (TypeError, ValueError):
        return None
    missing = numbers.isna().to_numpy()
    present = numbers.to_numpy(dtype=np.int64, na_value=0)
    limit = np.iinfo(dtype)
    if present.size and (present.min() < limit.min or present.max() > limit.max):
        return None
    return present.astype(dtype).view(np.uint8).reshape(-1, dtype.itemsize), missing


def _boolean_field(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        flags = values.astype("boolean")
    except (TypeError, ValueError):
        return None
    return flags.to_numpy(dtype=np.uint8, na_value=0).reshape(-1, 1), flags.isna().to_numpy()


def _text_field(values: pd.Series) -> list[pa.Array] | None:
    """Two pieces per row: the length, then the UTF-8 bytes (None: not text, e.g. numbers)."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return None
    try:
        text = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # an object column holding other values
        return None
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    lengths = pc.binary_length(text).fill_null(-1).to_numpy()  # NULL: the length -1 alone
    return [_binary_rows(_big_endian_int32(lengths)), text.cast(pa.large_binary()).fill_null(b"")]


def _fixed_piece(fields: list[tuple[np.ndarray, np.ndarray, bool]]) -> pa.Array:
    """Consecutive fixed-width fields as one binary value per row. Each field is its (rows,
    width) bytes, where it is missing, and whether it is a field (the leading field count is
    bytes without a length): a field gets its length before it, or -1 alone where missing."""
    rows = len(fields[0][0])
    parts, keep, dropped = [], [], np.zeros(rows, dtype=np.int64)
    for data, missing, is_field in fields:
        width = data.shape[1]
        if is_field:
            length = np.where(missing, -1, width).astype(">i4").reshape(-1, 1).view(np.uint8)
            parts.append(length)
            keep.append(np.ones((rows, 4), dtype=bool))
            if missing.all():  # a column empty in the whole chunk: no bytes to drop
                continue
        parts.append(data)
        keep.append(np.repeat(~missing.reshape(-1, 1), width, axis=1))
        dropped += missing * width
    cells = np.concatenate(parts, axis=1)
    if not dropped.any():
        return _binary_rows(cells)
    lengths = cells.shape[1] - dropped
    return _binary_array(np.concatenate(([0], np.cumsum(lengths))), cells[np.concatenate(keep, axis=1)])


def _big_endian_int32(values: np.ndarray) -> np.ndarray:
    """The 4 bytes of each value, as a (rows, 4) matrix."""
    return values.astype(">i4").reshape(-1, 1).view(np.uint8)


def _binary_rows(matrix: np.ndarray) -> pa.Array:
    """Each row of a (rows, width) byte matrix as one binary value."""
    rows, width = matrix.shape
    return _binary_array(np.arange(rows + 1, dtype=np.int64) * width, matrix.reshape(-1))


def _binary_array(offsets: np.ndarray, data: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(pa.large_binary(), len(offsets) - 1,
                                 [None, pa.py_buffer(offsets.astype(np.int64)),
                                  pa.py_buffer(np.ascontiguousarray(data))])
