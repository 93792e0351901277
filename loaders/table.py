"""What a reader hands to the rest of the pipeline: raw text in chunks, and what it detected.

Readers keep every cell as the text the seller sent (identifiers keep their leading zeros,
`12,50` stays `12,50`): typing is the schemas' job, so that an error can quote the value
exactly as the seller sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from marketplace.errors import Problem


@dataclass(frozen=True)
class ReadLimits:
    """Caps applied whatever the file claims about itself."""

    max_rows: int = 1_000_000
    max_bytes: int = 200 * 1024 * 1024
    max_columns: int = 200
    max_field_chars: int = 100_000
    chunk_rows: int = 100_000


@dataclass
class ReadInfo:
    """What the reader detected, shown to the seller in the report's summary."""

    format: str  # "csv" or "xlsx"
    headers: list[str]  # the header row's texts, by position, as the seller wrote them
    header_row: int | None  # 1-based row number of the header, as Excel shows it; None: not found
    encoding: str | None = None  # csv only: utf-8, utf-8-sig, utf-16, cp1252, mac-roman, cp858, iso-8859-15
    delimiter: str | None = None  # csv only
    delimiter_hint: bool = False  # csv only: it began with Excel's `sep=;` line
    sheet: str | None = None  # xlsx only
    rows_read: int = 0  # data rows seen so far (filled while iterating)
    notes: list[str] = field(default_factory=list)  # e.g. "trailing empty rows ignored"


@dataclass
class Chunk:
    """A slice of data rows.

    `frame`: one row per data row of the file; its index is the row number the seller sees in
    Excel (header row included, so the first data row under a header on row 1 is 2); its
    columns are the header positions 0..n-1 (ints), every value a `str` ("" for an empty cell).
    `problems`: rows of this slice that could not be split into cells (too many fields, an
    unbalanced quote...), which are not in `frame`.
    """

    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
