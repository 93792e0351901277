"""CSV text split into records with Python's `csv` module, and each record fitted to the header.

A module of its own because three parts of `loaders.csv_reader` split records with these
same pieces, so that a row reads alike whichever part reads it: the header search splits
the first lines (`sample_records`), the precise path splits the whole body (`Lines`,
`unbalanced`), and the fast path fits the rows pyarrow refused (`fit_record`). Records are
split as RFC 4180, leniently: `"aa"a` is `aaa`, a quote inside an unquoted cell is text, as in
Excel and pyarrow.

Decisions (each tested in tests/test_reader.py):
- a record of blank cells (`blank_row`: spaces, no-break spaces) is an empty row, whatever its
  width;
- fewer fields than the header: padded with "" (Excel drops trailing empty cells);
- more fields, the extra ones all empty: accepted (Excel pads); otherwise Reason.FIELD_COUNT;
- a quote still open at the end of the file or past `limits.max_field_chars` characters, or a
  multi-line record whose quotes do not pair: Reason.UNBALANCED_QUOTE at the row where the
  record starts, and reading resumes at the next physical line, so the rest of the file is
  not swallowed;
- a cell over `limits.max_field_chars`: Reason.FIELD_TOO_LONG (Python's csv module also caps a
  field at `csv.field_size_limit()`, 131,072 characters by default).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TextIO

from loaders.reader import blank_row, fr_number
from loaders.table import ReadLimits
from marketplace.errors import Problem, Reason


class RecordError(Exception):
    """A record the csv module must not be fed any further (see `Lines`)."""


class RunawayQuote(RecordError):
    pass


class _OverlongLine(RecordError):
    pass


def without_nul(text: str) -> str:
    """`text` without NUL characters. A NUL past the first bytes of a file (the head of a
    UTF-8 or Windows-1252 file with one is refused as binary), or inside a UTF-16 text, is an
    export's debris no seller typed or sees; PostgreSQL's text cannot hold one, so it failed
    the whole file there (exit 4) while SQLite stored it and exported it raw. Both readers
    drop it, like the registry's other control characters."""
    return text.replace("\x00", "") if "\x00" in text else text


class Lines:
    """The body's physical lines for `csv.reader`, and what the current record consumed.

    Lines keep their own line break (CRLF, LF or CR). Between `begin_record` calls this keeps
    the lines the record took (to read them again after an unbalanced quote) and whether it ran
    into the end of the file; a record that takes more than `max_field_chars` characters past
    its first line raises `RunawayQuote` (an open quote would otherwise swallow the file), and
    a physical line longer than `max_line_chars` (0: no limit; the reader allows twice what a
    full row of maximal cells takes) raises `_OverlongLine` after being skipped, so memory
    stays bounded whatever the file holds.
    """

    def __init__(self, text: TextIO, *, max_field_chars: int, max_line_chars: int):
        self._text = text
        self._max_field_chars = max_field_chars
        self._max_line_chars = max_line_chars or -1
        self._pushed: list[str] = []
        self.record: list[str] = []
        self.hit_eof = False
        self._spilled = 0

    def begin_record(self) -> None:
        self.record, self.hit_eof, self._spilled = [], False, 0

    def push_back(self, lines: list[str]) -> None:
        self._pushed.extend(reversed(lines))

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._pushed.pop() if self._pushed else self._text.readline(self._max_line_chars)
        if line.endswith("\x1a"):  # the DOS end-of-file mark ends a file (see loaders.csv_blocks)
            line = line.rstrip("\x1a")
        if not line:
            self.hit_eof = bool(self.record)
            raise StopIteration
        if len(line) == self._max_line_chars and not line.endswith(("\n", "\r")):
            while (rest := self._text.readline(self._max_line_chars)) and not rest.endswith(("\n", "\r")):
                pass
            raise _OverlongLine
        line = without_nul(line)
        self.record.append(line)
        if len(self.record) > 1:
            self._spilled += len(line)
            if self._spilled > self._max_field_chars:
                raise RunawayQuote
        return line


def sample_records(text: str, delimiter: str, wanted: int) -> list[tuple[int, list[str], int]]:
    """(row number, cells, end offset in `text`) of the first complete records of the sample."""
    lines = Lines(io.StringIO(text, newline=""), max_field_chars=len(text), max_line_chars=0)
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[tuple[int, list[str], int]] = []
    end = 0
    while len(records) < wanted:
        lines.begin_record()
        try:
            cells = next(reader)
        except (StopIteration, csv.Error, RecordError):
            break
        if lines.hit_eof:  # a record cut by the end of the sample
            break
        end += sum(map(len, lines.record))
        records.append((len(records) + 1, cells, end))
    return records


def unbalanced(lines: Lines, delimiter: str) -> bool:
    """A record whose quote ran to the end of the file, or a multi-line record whose quotes do
    not pair (a closing quote followed by text, as when a quote left open runs into the next
    quoted cell): an unbalanced quote. (On a single line, `"aa"a` is read as `aaa`, as Excel
    and pyarrow do: it swallows nothing.)"""
    if lines.hit_eof:
        return True
    if len(lines.record) < 2:
        return False
    try:
        raw = io.StringIO("".join(lines.record), newline="")
        list(csv.reader(raw, delimiter=delimiter, strict=True))
    except csv.Error:
        return True
    return False


def fit_record(
    number: int, cells: list[str], headers: list[str], raw: str, limits: ReadLimits
) -> list[str] | Problem | None:
    """The record's cells padded or trimmed to the header's width, a Problem, or None (empty)."""
    width = len(headers)
    if blank_row(cells):
        return None
    if len(cells) == width and max(map(len, cells)) <= limits.max_field_chars:
        return cells  # the common case
    if len(cells) > width:
        # a header ending with a delimiter has an unnamed last column, which a row shifted by
        # a delimiter typed in a cell fills: 12,50 read as a price of 12 and a stock of 50
        named = max((at + 1 for at, header in enumerate(headers) if header.strip()), default=width)
        if any(cells[width:]) or any(cells[named:width]):
            return Problem(
                Reason.FIELD_COUNT,
                f"La ligne {number} a {len(cells)} colonnes au lieu de {width} : vérifiez les "
                "séparateurs et les guillemets.",
                f"Row {number} has {len(cells)} columns instead of {width}: check the "
                "delimiters and the quotes.",
                row=number,
                value=raw.rstrip("\r\n")[:200],
            )
        cells = cells[:width]
    elif len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    if max(map(len, cells)) > limits.max_field_chars:
        position = next(i for i, cell in enumerate(cells) if len(cell) > limits.max_field_chars)
        return field_too_long(number, limits, headers[position], cells[position])
    return cells


def unbalanced_quote(number: int) -> Problem:
    return Problem(
        Reason.UNBALANCED_QUOTE,
        f"Ligne {number} : un guillemet (\") ouvert n'est jamais refermé ; cette ligne est "
        "ignorée et la lecture reprend à la ligne suivante.",
        f'Row {number}: a quote (") is opened and never closed; this row is skipped and '
        "reading resumes at the next line.",
        row=number,
    )


def field_too_long(number: int, limits: ReadLimits, column: str | None = None, cell: str = "") -> Problem:
    where_fr = f", colonne « {column} »" if column is not None else ""
    where_en = f', column "{column}"' if column is not None else ""
    return Problem(
        Reason.FIELD_TOO_LONG,
        f"Ligne {number}{where_fr} : une cellule dépasse {fr_number(limits.max_field_chars)} caractères.",
        f"Row {number}{where_en}: a cell is longer than {limits.max_field_chars:,} characters.",
        row=number,
        column=column,
        value=cell[:100] or None,
    )
