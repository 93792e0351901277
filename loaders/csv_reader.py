"""Read a seller's CSV file: its layout (delimiter, header row), then its rows, fast or precisely.

The CSV half of `open_table` (`loaders.reader`), apart from its encoding (`loaders.csv_encoding`)
and its record splitting (`loaders.csv_records`). A CSV record with quoted line breaks is one
row; a blank line is a row (Excel shows it) that holds no data. The delimiter is the one of
`;` `,` tab `|` that splits the first lines most consistently (outside quotes), preferring one
under which the header row is found. A first line `sep=;` is Excel's delimiter hint: it names
the delimiter, and Excel hides it, so it is no row and the next line is row 1.

CSV is read on two paths, which split records alike. The fast path parses the body with
pyarrow block by block (`loaders.csv_blocks`), every column as text; rows with the wrong
number of fields come back through pyarrow's invalid-row handler and are fixed or reported in
Python. The precise path re-reads the body with Python's `csv` module from the first row not
yet returned; it takes over when pyarrow fails, when a cell is over `limits.max_field_chars`,
when a cell holds a line break (a quote left open is silently closed by pyarrow at the next
quote of the file, and only the raw text tells it from a real multi-line cell), or when the
file ends inside a quote. Both report rows they cannot read as `loaders.csv_records` says.
Speed, measured on the project's 2-core machine (1,000,000 rows, 240 MB): about 0.8 s for
UTF-8, 1.1-1.5 s for Windows-1252 on the fast path, about 6 s on the precise path; the fast
path's peak memory (the process's) is about 320 MB (370 MB transcoded) for 1 or 3 million rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders.csv_blocks import record_blocks
from loaders.csv_encoding import DELIMITERS, SNIFF_BYTES, Encoding, detect_encoding
from loaders.csv_records import (
    Lines,
    RecordError,
    RunawayQuote,
    field_too_long,
    fit_record,
    sample_records,
    unbalanced,
    unbalanced_quote,
)
from loaders.reader import ChunkBuilder, HeaderSearch, TableReader, check_width, unreadable
from loaders.table import Chunk, ReadInfo, ReadLimits
from marketplace.errors import Problem, Reason, reject_file

_SAMPLE_BYTES = 1024 * 1024  # where the header row (and the rows above it) must fit
_ARROW_BLOCK_BYTES = 12 * 1024 * 1024
"""A chunk's worth of file: about 50,000 offer rows. Three chunks are alive at once (read,
queued, written), each copied a few times on its way; 16 MiB peaked above 600 MB once polars
came in, 8 MiB doubled the per-chunk cost of the rules (benchmarks/README.md, session 8)."""
_QUOTED = re.compile(r'"[^"]*"')
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DELIMITER_HINT = re.compile(r"sep=([;,\t|])(?:\r\n|\r|\n|$)", re.IGNORECASE)


def open_csv(path: Path, search: HeaderSearch, limits: ReadLimits) -> TableReader:
    """The CSV file at `path`, its layout found (see `open_table`)."""
    return _CsvTable(path, _csv_layout(path, search, limits), limits)


@dataclass(frozen=True)
class _CsvLayout:
    encoding: Encoding
    delimiter: str
    header_row: int  # as Excel numbers it: a `sep=` hint line is not counted
    headers: list[str]
    body_offset: int  # byte offset of the record after the header
    hinted: bool  # a first line `sep=;` named the delimiter


def _csv_layout(path: Path, search: HeaderSearch, limits: ReadLimits) -> _CsvLayout:
    encoding = detect_encoding(path)
    text, complete = _read_sample(path, encoding)
    if complete and not text.strip():
        raise reject_file(Reason.EMPTY_FILE, "Le fichier est vide.", "The file is empty.")
    hint = _DELIMITER_HINT.match(text)
    hinted, skipped = (hint[1], hint.end()) if hint else (None, 0)
    rows = text[skipped:]
    candidates = sorted(_rank_delimiters(rows), key=lambda candidate: candidate != hinted)
    searched = []  # the rows as the likeliest delimiter splits them, for the rejection
    for delimiter in candidates:
        records = sample_records(rows, delimiter, search.rows_needed)
        split = [(number, cells) for number, cells, _ in records]
        searched = searched or split
        found = search.find(split)
        if found is not None:
            break
    else:
        raise search.not_found(ReadInfo(format="csv", headers=[], header_row=None,
                                        encoding=encoding.label,
                                        delimiter=candidates[0] if candidates else None), searched)
    header_row, headers = found
    check_width(len(headers), limits)
    end = skipped + records[header_row - 1][2]
    offset = encoding.bom + len(text[:end].encode(encoding.codec))
    return _CsvLayout(encoding, delimiter, header_row, headers, offset, hint is not None)


def _read_sample(path: Path, encoding: Encoding) -> tuple[str, bool]:
    """The first whole lines of the file as text, and whether that is the whole file."""
    with path.open("rb") as handle:
        handle.seek(encoding.bom)
        raw = handle.read(_SAMPLE_BYTES)
        complete = not handle.read(1)
    text = codecs.getincrementaldecoder(encoding.codec)().decode(raw, final=complete)
    if not complete:  # drop the last, possibly cut, line (never cut between \r and \n)
        text = text[: max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1]
    return text, complete


def _rank_delimiters(text: str) -> list[str]:
    """Candidates, most consistent first: the most lines sharing one non-zero count of the
    delimiter outside quotes (among the first 20 non-blank lines), then the larger count."""
    lines = [_QUOTED.sub("", line) for line in _LINE_BREAK.split(text[:SNIFF_BYTES])]
    lines = [line for line in lines if line.strip()][:20]

    def consistency(delimiter: str) -> tuple[int, int]:
        counts = Counter(line.count(delimiter) for line in lines)
        counts.pop(0, None)
        return max(((n, width) for width, n in counts.items()), default=(0, 0))

    return sorted(DELIMITERS, key=consistency, reverse=True)


# --------------------------------------------------------------------------- CSV: precise path


def _split_records(
    lines: Lines, layout: _CsvLayout, limits: ReadLimits, skip_through: int
) -> Iterator[tuple[int, list[str] | Problem]]:
    """(row number, cells or the Problem that replaces them) of each non-empty record after
    row `skip_through` (the rows before it are only counted: the fast path returned them)."""
    new_reader = partial(csv.reader, lines, delimiter=layout.delimiter)
    reader = new_reader()
    number = layout.header_row
    while True:
        number += 1
        lines.begin_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (RecordError, csv.Error) as error:
            if number > skip_through:
                quote = isinstance(error, RunawayQuote)
                yield number, unbalanced_quote(number) if quote else field_too_long(number, limits)
            lines.push_back(lines.record[1:])
            reader = new_reader()
            continue
        if number <= skip_through:
            continue
        if (lines.hit_eof or len(lines.record) > 1) and unbalanced(lines, layout.delimiter):
            yield number, unbalanced_quote(number)
            lines.push_back(lines.record[1:])
            reader = new_reader()
            continue
        shaped = fit_record(number, cells, layout.headers, "".join(lines.record), limits)
        if shaped is not None:
            yield number, shaped


# --------------------------------------------------------------------------- CSV: fast path


@dataclass
class _Part:
    """What one block of the body gave: its rows (the rows pyarrow refused, fixed, merged back
    in order) and their problems, and the number of its last record."""

    frame: pd.DataFrame
    problems: list[Problem]
    last_row: int


class _ArrowBody:
    """The body read by pyarrow, block by block, as `_Part`s; None when the precise path must
    take over: pyarrow failed, a cell is over the limit, or a cell holds a line break. pyarrow
    silently closes a quote left open at the next quote of the file, swallowing the rows in
    between into one cell: only the raw text tells such a cell from a real multi-line cell, so
    a file with quoted line breaks is read by the precise path from that block on.

    Each block (see `loaders.csv_blocks`) is parsed on its own by `pyarrow.csv.read_csv`, so that
    memory stays flat whatever the file's length.

    Rows with the wrong number of fields go to pyarrow's invalid-row handler, which (read on
    one thread) gives their record number in the block and their text: they are split again
    with the csv module, padded or trimmed like the precise path does, and merged back in order.
    """

    def __init__(self, layout: _CsvLayout, limits: ReadLimits):
        self._layout, self._limits = layout, limits
        self._names = [str(position) for position in range(len(layout.headers))]
        self._refused: list[tuple[int, str]] = []  # (row number, text), in file order
        self._rows_before = layout.header_row  # rows above the block being parsed

    def parts(self, handle: io.BufferedReader) -> Iterator[_Part | None]:
        try:
            for block in record_blocks(handle, self._layout.encoding.codec, _ARROW_BLOCK_BYTES):
                table = self._parse(block)
                if _has_line_break(table) or _has_overlong_cell(table, self._limits.max_field_chars):
                    break
                part = self._part(table, self._rows_before + 1)
                if part is None:
                    break
                yield part
                self._rows_before = part.last_row
            else:
                return
        except pa.ArrowException:
            pass
        yield None

    def _parse(self, block: memoryview) -> pa.Table:
        self._refused = []
        return pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(
                column_names=self._names,
                block_size=len(block) + 1,  # one chunk per column: the block is already cut
                use_threads=False,  # the invalid-row handler gets row numbers only then
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self._layout.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=self._refuse,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(self._names, pa.string()),
                strings_can_be_null=False,
                check_utf8=False,  # already checked (UTF-8) or produced by transcoding
            ),
        )

    def _refuse(self, row: pacsv.InvalidRow) -> str:
        self._refused.append((self._rows_before + row.number, row.text))
        return "skip"

    def _part(self, table: pa.Table, first: int) -> _Part | None:
        layout, refused = self._layout, self._refused
        fixed = _fix_refused(refused, layout, self._limits)
        if fixed is None:
            return None
        rows, row_numbers, problems = fixed
        last_row = first + table.num_rows + len(refused) - 1
        numbers = np.delete(np.arange(first, last_row + 1), [n - first for n, _ in refused])
        keep = _filled_rows(table)
        if not keep.all():  # blank lines, `;;;` and ` ; ;` rows: numbered, not returned
            table, numbers = table.filter(keep), numbers[keep]
        frame = table.to_pandas()
        frame.columns = range(len(layout.headers))
        frame.index = pd.Index(numbers)
        if rows:
            extra = pd.DataFrame(rows, index=row_numbers, columns=frame.columns, dtype="str")
            frame = pd.concat([frame, extra]).sort_index()
        return _Part(frame, problems, last_row)


def _fix_refused(
    refused: list[tuple[int, str]], layout: _CsvLayout, limits: ReadLimits
) -> tuple[list[list[str]], list[int], list[Problem]] | None:
    """The refused rows split, fitted, or reported; None when one needs the precise path: it
    spans lines, or it ends inside a quote. pyarrow gives a row's text without its line break,
    so a block cut inside a quoted cell (see `loaders.csv_blocks`) shows only as a quote still open
    at the end of its last row: split with a line break added, that cell holds it. A cell past
    the csv module's own field limit (131,072 characters) makes it raise: the precise path,
    which guards every record against it, reports that row as too long."""
    rows: list[list[str]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    for number, text in refused:
        if "\n" in text or "\r" in text:
            return None
        try:
            cells = next(csv.reader(io.StringIO(text + "\n", newline=""),
                                    delimiter=layout.delimiter), [])
        except csv.Error:
            return None
        if cells and cells[-1].endswith("\n"):
            return None
        shaped = fit_record(number, cells, layout.headers, text, limits)
        if isinstance(shaped, Problem):
            problems.append(shaped)
        elif shaped is not None:
            rows.append(shaped)
            numbers.append(number)
    return rows, numbers, problems


def _filled_rows(table: pa.Table) -> np.ndarray:
    """Which rows hold a cell that is not blank (`loaders.reader.blank_row`, vectorised).
    Column by column, over the rows still blank only: the first column settles nearly every
    row, so trimming costs about 20 ms per million rows, not the 0.2 s of trimming every cell."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        cells = column if len(rows) == table.num_rows else column.take(rows)
        blank[rows] = pc.equal(pc.utf8_trim_whitespace(cells), "").to_numpy()
    return ~blank


def _has_line_break(table: pa.Table) -> bool:
    """A string array's values sit back to back in one buffer: search that, not each cell."""
    for column in table.columns:
        for chunk in column.chunks:
            _, offsets, data = chunk.buffers()
            if data is None or not len(chunk):
                continue
            bounds = np.frombuffer(offsets, dtype=np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
            values = memoryview(data)[bounds[0] : bounds[-1]].tobytes()
            if b"\n" in values or b"\r" in values:
                return True
    return False


def _has_overlong_cell(table: pa.Table, max_chars: int) -> bool:
    """Byte lengths first (free from the offsets): characters are never more than bytes."""
    return any(
        (pc.max(pc.binary_length(column)).as_py() or 0) > max_chars
        and (pc.max(pc.utf8_length(column)).as_py() or 0) > max_chars
        for column in table.columns
    )


def _ends_in_open_quote(path: Path, layout: _CsvLayout) -> bool:
    """Whether the file ends, without a line break, on a line holding an odd number of quotes
    (then the precise path reads it all): pyarrow silently closes a quote left open there, the
    precise path reports it. Only the last 64 KiB are looked at: a longer last line may be
    misjudged, at worst read as pyarrow reads it."""
    start = max(layout.body_offset, path.stat().st_size - SNIFF_BYTES)
    start -= (start - layout.body_offset) % 2 if layout.encoding.codec.startswith("utf-16") else 0
    with path.open("rb") as handle:
        handle.seek(start)
        tail = handle.read().decode(layout.encoding.codec, errors="replace")
    if tail.endswith(("\n", "\r")):
        return False
    return tail[max(tail.rfind("\n"), tail.rfind("\r")) + 1 :].count('"') % 2 == 1


# --------------------------------------------------------------------------- CSV: the reader


class _CsvTable(TableReader):
    def __init__(self, path: Path, layout: _CsvLayout, limits: ReadLimits):
        info = ReadInfo(
            format="csv",
            headers=layout.headers,
            header_row=layout.header_row,
            encoding=layout.encoding.label,
            delimiter=layout.delimiter,
            delimiter_hint=layout.hinted,
        )
        super().__init__(info, limits)
        self._path, self._layout = path, layout

    def __iter__(self) -> Iterator[Chunk]:
        try:
            done = yield from self._fast_chunks()
            if done is not None:
                yield from self._precise_chunks(done)
        except OSError as error:
            raise unreadable(f"lecture impossible ({error.strerror})", str(error)) from error
        self._check_not_empty()

    def _fast_chunks(self) -> Generator[Chunk, None, int | None]:
        """Chunks while pyarrow reads without trouble; then the last row number returned (for
        the precise path to resume after), or None when the whole body was read."""
        done = self._layout.header_row
        if _ends_in_open_quote(self._path, self._layout):
            return done
        with self._path.open("rb") as handle:
            handle.seek(self._layout.body_offset)
            for part in _ArrowBody(self._layout, self.limits).parts(handle):
                if part is None:
                    return done
                yield from self._chunks_of(part)
                done = part.last_row
        return None

    def _chunks_of(self, part: _Part) -> Iterator[Chunk]:
        """The part in chunks of at most `chunk_rows` rows, each problem with its rows."""
        size, frame, problems = self.limits.chunk_rows, part.frame, part.problems
        for start in range(0, max(len(frame), 1), size):
            piece = frame.iloc[start : start + size]
            if start + size < len(frame):
                mine = [p for p in problems if p.row is not None and p.row <= piece.index[-1]]
                problems = problems[len(mine) :]
            else:
                mine = problems
            if len(piece) or mine:
                yield self._counted(Chunk(piece, mine))

    def _precise_chunks(self, done: int) -> Iterator[Chunk]:
        layout, limits = self._layout, self.limits
        builder = ChunkBuilder(len(layout.headers), limits.chunk_rows)
        with self._path.open("rb") as handle:
            handle.seek(layout.body_offset)
            text = io.TextIOWrapper(handle, encoding=layout.encoding.codec, newline="")
            lines = Lines(
                text,
                max_field_chars=limits.max_field_chars,
                max_line_chars=2 * limits.max_field_chars * (len(layout.headers) + 1),
            )
            for number, item in _split_records(lines, layout, limits, done):
                if isinstance(item, Problem):
                    builder.problems.append(item)
                elif (chunk := builder.add(number, item)) is not None:
                    yield self._counted(chunk)
        if (chunk := builder.flush()) is not None:
            yield self._counted(chunk)
