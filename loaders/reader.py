"""Open a seller's table file, CSV or XLSX, and stream its rows as the text the seller sent.

Sellers export from Excel in France: CSV in Windows-1252 or UTF-8, `;`, `,` or tab, title
rows above the header, Excel's padding; or XLSX with instructions above the header and
thousands of formatted empty rows below the data. This module turns any of that into `Chunk`s
of text cells numbered as Excel numbers its rows, or rejects the file as a whole with a
`FileRejected` whose French and English messages say what to do. A seller's file is untrusted
input: nothing else is raised for a bad file.

Decisions (each tested in tests/test_reader.py):
- The format comes from the bytes, never the name: `PK\\x03\\x04` is an XLSX (.xlsm too), an
  OLE2 compound file is an encrypted workbook or a legacy .xls (Reason.ENCRYPTED), anything
  else is CSV text.
- Row numbers are the ones Excel shows: the header row's number plus the record's ordinal
  under it. A CSV record with quoted line breaks is one row; a blank line is a row (Excel
  shows it) that holds no data. Wholly empty rows (blank lines, Excel's `;;;;` padding, empty
  formatted XLSX rows) are counted for numbering but never returned.
- The header row is the first of the first 10 rows holding at least two distinct known header
  keys (`normalize_header`), unless the caller forces `header_row`. The table is as wide as the
  header row (for XLSX, up to its last non-empty cell; cells further right are ignored, with a
  note).
- `ReadInfo.rows_read` counts the non-empty data rows, including rows reported as problems;
  more than `limits.max_rows` of them rejects the file (Reason.TOO_LARGE), none at all too
  (Reason.NO_ROWS, raised when the iteration ends).

CSV is read on two paths, which split records alike (RFC 4180, leniently: `"aa"a` is `aaa`,
a quote inside an unquoted cell is text, as in Excel and pyarrow). The fast path streams the
body through pyarrow, every column as text; rows with the wrong number of fields come back
through pyarrow's invalid-row handler and are fixed or reported in Python. The precise path
re-reads the body with Python's `csv` module from the first row not yet returned; it takes
over when pyarrow fails, when a cell is over `limits.max_field_chars`, when a cell holds a line
break (a quote left open is silently closed by pyarrow at the next quote of the file, and only
the raw text tells it from a real multi-line cell), or when the file ends inside a quote:
- fewer fields than the header: padded with "" (Excel drops trailing empty cells);
- more fields, the extra ones all empty: accepted (Excel pads); otherwise Reason.FIELD_COUNT;
- a quote still open at the end of the file or past `limits.max_field_chars` characters, or a
  multi-line record whose quotes do not pair: Reason.UNBALANCED_QUOTE at the row where the
  record starts, and reading resumes at the next physical line, so the rest of the file is
  not swallowed;
- a cell over `limits.max_field_chars`: Reason.FIELD_TOO_LONG (Python's csv module also caps a
  field at `csv.field_size_limit()`, 131,072 characters by default).
Speed, measured on the project's 2-core machine (1,000,000 rows, 150 MB): about 0.5-1 s for
UTF-8 or Windows-1252 on the fast path, about 6 s on the precise path.
Encodings: a UTF-16 byte order mark (or NUL bytes at odd positions: UTF-16LE without one)
means UTF-16; otherwise the whole file is checked in streamed blocks: valid UTF-8 is UTF-8,
anything else Windows-1252. A file that is UTF-8 (a BOM or accented UTF-8 characters) up to
some byte and not after it mixes encodings: rejected, naming that physical line. The
delimiter is the one of `;` `,` tab `|` that splits the first lines most consistently (outside
quotes), preferring one under which the header row is found.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial, reduce
from itertools import chain, islice
from pathlib import Path
from typing import TextIO

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders.headers import normalize_header
from loaders.table import Chunk, ReadInfo, ReadLimits
from loaders.xlsx_guard import check_xlsx
from marketplace.errors import FileRejected, Problem, Reason, reject_file

DEFAULT_LIMITS = ReadLimits()  # frozen: safe to share as a default
HEADER_SEARCH_ROWS = 10
MAX_EMPTY_ROW_RUN = 10_000  # XLSX: stop after this many consecutive empty rows
DELIMITERS = (";", ",", "\t", "|")  # on a tie, the earlier wins (French Excel writes `;`)
_SNIFF_BYTES = 64 * 1024
_SAMPLE_BYTES = 1024 * 1024  # where the header row (and the rows above it) must fit
_SCAN_BYTES = 4 * 1024 * 1024
_ARROW_BLOCK_BYTES = 16 * 1024 * 1024
_UTF8_BOM = codecs.BOM_UTF8
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
_CONTROL_BYTES = bytes(set(range(32)) - set(b"\t\n\r\x0b\x0c"))
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_HIGH_BYTES = bytes(range(128, 256))
_HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]{2,}")
_QUOTED = re.compile(r'"[^"]*"')
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class TableReader(ABC):
    """An opened table: `info` is filled on open; iterate once to get the data `Chunk`s."""

    def __init__(self, info: ReadInfo, limits: ReadLimits):
        self.info = info
        self.limits = limits

    @abstractmethod
    def __iter__(self) -> Iterator[Chunk]: ...

    def _counted(self, chunk: Chunk) -> Chunk:
        """The chunk, after counting its rows (checked per chunk against `limits.max_rows`)."""
        self.info.rows_read += len(chunk.frame) + len(chunk.problems)
        if self.info.rows_read > self.limits.max_rows:
            raise reject_file(
                Reason.TOO_LARGE,
                f"Fichier trop volumineux : plus de {_fr(self.limits.max_rows)} lignes de "
                "données. Découpez-le en plusieurs fichiers.",
                f"File too large: more than {self.limits.max_rows:,} data rows. Split it into several files.",
            )
        return chunk

    def _check_not_empty(self) -> None:
        if self.info.rows_read == 0:
            raise reject_file(
                Reason.NO_ROWS,
                f"Le fichier ne contient aucune ligne de données sous la ligne d'en-tête "
                f"(ligne {self.info.header_row}).",
                f"The file holds no data row below its header row (row {self.info.header_row}).",
            )


@contextmanager
def open_table(
    path: Path,
    *,
    known_headers: frozenset[str],
    limits: ReadLimits = DEFAULT_LIMITS,
    preferred_sheets: tuple[str, ...] = (),
    header_row: int | None = None,
) -> Iterator[TableReader]:
    """Open `path` (CSV or XLSX, told apart by content) and find its header row.

    `known_headers`: normalized header keys (`normalize_header`) that identify the header row.
    `preferred_sheets`: normalized sheet names, XLSX takes the first sheet matching one of them
    (else the first sheet). `header_row`: force the header's 1-based row number instead of
    searching for it. Raises `FileRejected` for any file-level failure, on open or while
    iterating.
    """
    search = _HeaderSearch(known_headers, header_row)
    if _sniff_format(path, limits) == "xlsx":
        with _open_xlsx(path, search, limits, preferred_sheets) as table:
            yield table
    else:
        yield _CsvTable(path, _csv_layout(path, search, limits), limits)


def _sniff_format(path: Path, limits: ReadLimits) -> str:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as error:
        raise _unreadable(f"lecture impossible ({error.strerror})", str(error)) from error
    if size == 0:
        raise reject_file(Reason.EMPTY_FILE, "Le fichier est vide.", "The file is empty.")
    if size > limits.max_bytes:
        raise reject_file(
            Reason.TOO_LARGE,
            f"Fichier trop volumineux : {_fr(size)} octets (maximum {_fr(limits.max_bytes)}). "
            "Découpez-le en plusieurs fichiers.",
            f"File too large: {size:,} bytes (at most {limits.max_bytes:,}). Split it into several files.",
        )
    if magic.startswith(_OLE2_MAGIC):
        raise reject_file(
            Reason.ENCRYPTED,
            "Fichier refusé : fichier protégé par mot de passe ou au format Excel 97-2003 "
            "(.xls) : enregistrez-le en .xlsx sans mot de passe ou en CSV.",
            "File rejected: password-protected file or Excel 97-2003 (.xls) format: save it "
            "as .xlsx without a password, or as CSV.",
        )
    return "xlsx" if magic.startswith(_ZIP_MAGIC) else "csv"


# --------------------------------------------------------------------------- header row


@dataclass(frozen=True)
class _HeaderSearch:
    known: frozenset[str]
    forced_row: int | None

    @property
    def rows_needed(self) -> int:
        return max(HEADER_SEARCH_ROWS, self.forced_row or 0)

    def find(self, rows: list[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
        """(row number, cells) of the header among the first rows, or None."""
        for number, cells in rows:
            if self.forced_row is not None:
                if number == self.forced_row and any(cells):
                    return number, cells
            elif number <= HEADER_SEARCH_ROWS and self._is_header(cells):
                return number, cells
        return None

    def _is_header(self, cells: list[str]) -> bool:
        return len({normalize_header(cell) for cell in cells} & self.known) >= 2

    def not_found(self) -> FileRejected:
        if self.forced_row is not None:
            return reject_file(
                Reason.NO_HEADER,
                f"Ligne d'en-tête introuvable : la ligne {self.forced_row} n'existe pas ou est vide.",
                f"Header row not found: row {self.forced_row} does not exist or is empty.",
            )
        names = ", ".join(sorted(self.known)[:15]) + ("…" if len(self.known) > 15 else "")
        return reject_file(
            Reason.NO_HEADER,
            f"Ligne d'en-tête introuvable : aucune des {HEADER_SEARCH_ROWS} premières lignes ne "
            f"contient au moins deux noms de colonnes attendus ({names}).",
            f"Header row not found: none of the first {HEADER_SEARCH_ROWS} rows holds at least "
            f"two expected column names ({names}).",
        )


# --------------------------------------------------------------------------- CSV: encoding


@dataclass(frozen=True)
class _Encoding:
    codec: str  # Python codec of the bytes after the byte order mark
    label: str  # what ReadInfo.encoding says
    bom: int  # length of the byte order mark


def _detect_encoding(path: Path) -> _Encoding:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(_UTF32_BOMS):
        raise _unknown_format("fichier en UTF-32, un encodage non pris en charge", "UTF-32 is not supported")
    for bom, codec in _UTF16_BOMS:
        if head.startswith(bom):
            return _checked_utf16(path, _Encoding(codec, "utf-16", len(bom)))
    if _looks_utf16le(head):
        return _checked_utf16(path, _Encoding("utf-16-le", "utf-16", 0))
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if b"\x00" in head or controls * 100 > len(head):
        raise _unknown_format("contenu binaire", "binary content")
    if _scan_8bit(path) == "cp1252":
        _check_cp1252(path, head)
        return _Encoding("cp1252", "cp1252", 0)
    if head.startswith(_UTF8_BOM):
        return _Encoding("utf-8", "utf-8-sig", len(_UTF8_BOM))
    return _Encoding("utf-8", "utf-8", 0)


def _looks_utf16le(head: bytes) -> bool:
    """UTF-16LE without BOM: at least half the odd bytes are NUL, under a tenth of the even."""
    even, odd = head[0::2], head[1::2]
    return bool(odd) and odd.count(0) * 2 >= len(odd) and even.count(0) * 10 < len(even)


def _checked_utf16(path: Path, encoding: _Encoding) -> _Encoding:
    """Decode the whole file: a truncated or corrupt UTF-16 file is unreadable."""
    decoder = codecs.getincrementaldecoder(encoding.codec)()
    with path.open("rb") as handle:
        handle.seek(encoding.bom)
        try:
            head = decoder.decode(handle.read(_SNIFF_BYTES))
            while block := handle.read(_SCAN_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise _unreadable(
                "fichier UTF-16 tronqué ou endommagé", f"truncated or corrupt UTF-16 ({error})"
            ) from error
    if head.strip() and not any(mark in head for mark in (*DELIMITERS, "\n", "\r")):
        raise _unreadable(
            "le fichier commence par une marque UTF-16 mais son contenu n'est pas en UTF-16",
            "the file starts with a UTF-16 byte order mark but its content is not UTF-16",
        )
    return encoding


def _scan_8bit(path: Path) -> str:
    """'utf-8' if the whole file is valid UTF-8, else 'cp1252'; mixed encodings rejected.

    Streamed in blocks cut on character boundaries, validated by Arrow (several times faster
    than decoding in Python: this pass reads the whole file before the first row)."""
    offset, carry, seen_utf8 = 0, b"", False  # seen_utf8: a BOM or accents in valid UTF-8
    with path.open("rb") as handle:
        while True:
            block = handle.read(_SCAN_BYTES)
            data = carry + block
            cut = _utf8_boundary(data) if block else len(data)
            part, carry = data[:cut], data[cut:]
            if not part.isascii():
                bad = _first_invalid_utf8(part)
                if bad is not None:
                    if seen_utf8 or not part[:bad].isascii():
                        raise _mixed_encoding(_line_at(path, offset + bad))
                    return "cp1252"
                seen_utf8 = True
            offset += cut
            if not block:
                return "utf-8"


def _utf8_boundary(data: bytes) -> int:
    """Length of the longest prefix of `data` not ending inside a UTF-8 character (at most
    three bytes are held back for the next block)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data) - back + 1
        if byte >= 0xC0:
            return len(data) - back
    return len(data)


def _first_invalid_utf8(data: bytes) -> int | None:
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    try:
        pa.StringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            return error.start
    return None


def _check_cp1252(path: Path, head: bytes) -> None:
    """Reject a non-UTF-8 file that is not Windows-1252 either.

    Five bytes mean nothing in Windows-1252 (checked in the whole file). And Western text has
    its accented letters between ASCII ones, while Chinese or Japanese double-byte encodings
    (Big5, GBK, Shift-JIS), which decode as Windows-1252 mojibake, have their non-ASCII bytes
    in runs: when most of the head's (at least 16) non-ASCII bytes sit in runs, it is not
    Windows-1252.
    """
    high = len(head) - len(head.translate(None, _HIGH_BYTES))
    in_runs = sum(map(len, _HIGH_BYTE_RUN.findall(head)))
    line = 1 if high >= 16 and in_runs * 2 > high else None
    offset = 0
    with path.open("rb") as handle:
        while line is None and (block := handle.read(_SCAN_BYTES)):
            found = [block.find(byte) for byte in _CP1252_UNDEFINED if byte in block]
            if found:
                line = _line_at(path, offset + min(found))
            offset += len(block)
    if line is not None:
        raise _unreadable(
            f"encodage des caractères non reconnu (ni UTF-8, ni UTF-16, ni Windows-1252) à la "
            f"ligne {line} : enregistrez le fichier en « CSV UTF-8 »",
            f"unknown character encoding (neither UTF-8, UTF-16 nor Windows-1252) at line "
            f'{line}: save the file as "CSV UTF-8"',
            row=line,
        )


def _line_at(path: Path, offset: int) -> int:
    """Physical line (1-based; CRLF, LF or CR breaks) holding the byte at `offset`."""
    breaks, previous = 0, b""
    with path.open("rb") as handle:
        while offset > 0 and (block := handle.read(min(_SCAN_BYTES, offset))):
            offset -= len(block)
            breaks += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            breaks -= previous == b"\r" and block.startswith(b"\n")
            previous = block[-1:]
    return breaks + 1


def _mixed_encoding(line: int) -> FileRejected:
    return reject_file(
        Reason.MIXED_ENCODING,
        f"Encodages mélangés : le début du fichier est en UTF-8 mais pas la ligne {line} "
        "(caractères accentués enregistrés dans un autre encodage). Enregistrez le fichier en "
        "« CSV UTF-8 » depuis Excel et renvoyez-le.",
        f"Mixed encodings: the file starts in UTF-8 but line {line} is not UTF-8. Save the "
        'file as "CSV UTF-8" from Excel and send it again.',
        row=line,
    )


# --------------------------------------------------------------------------- CSV: layout


@dataclass(frozen=True)
class _CsvLayout:
    encoding: _Encoding
    delimiter: str
    header_row: int
    headers: list[str]
    body_offset: int  # byte offset of the record after the header


def _csv_layout(path: Path, search: _HeaderSearch, limits: ReadLimits) -> _CsvLayout:
    encoding = _detect_encoding(path)
    text, complete = _read_sample(path, encoding)
    if complete and not text.strip():
        raise reject_file(Reason.EMPTY_FILE, "Le fichier est vide.", "The file is empty.")
    for delimiter in _rank_delimiters(text):
        records = _sample_records(text, delimiter, search.rows_needed)
        found = search.find([(number, cells) for number, cells, _ in records])
        if found is not None:
            break
    else:
        raise search.not_found()
    header_row, headers = found
    if len(headers) > limits.max_columns:
        raise reject_file(
            Reason.TOO_LARGE,
            f"Trop de colonnes : la ligne d'en-tête en compte {len(headers)} (maximum {limits.max_columns}).",
            f"Too many columns: the header row has {len(headers)} (at most {limits.max_columns}).",
        )
    end = records[header_row - 1][2]
    offset = encoding.bom + len(text[:end].encode(encoding.codec))
    return _CsvLayout(encoding, delimiter, header_row, headers, offset)


def _read_sample(path: Path, encoding: _Encoding) -> tuple[str, bool]:
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
    lines = [_QUOTED.sub("", line) for line in _LINE_BREAK.split(text[:_SNIFF_BYTES])]
    lines = [line for line in lines if line.strip()][:20]

    def consistency(delimiter: str) -> tuple[int, int]:
        counts = Counter(line.count(delimiter) for line in lines)
        counts.pop(0, None)
        return max(((n, width) for width, n in counts.items()), default=(0, 0))

    return sorted(DELIMITERS, key=consistency, reverse=True)


def _sample_records(text: str, delimiter: str, wanted: int) -> list[tuple[int, list[str], int]]:
    """(row number, cells, end offset in `text`) of the first complete records of the sample."""
    lines = _Lines(io.StringIO(text, newline=""), max_field_chars=len(text), max_line_chars=0)
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[tuple[int, list[str], int]] = []
    end = 0
    while len(records) < wanted:
        lines.begin_record()
        try:
            cells = next(reader)
        except (StopIteration, csv.Error, _RecordError):
            break
        if lines.hit_eof:  # a record cut by the end of the sample
            break
        end += sum(map(len, lines.record))
        records.append((len(records) + 1, cells, end))
    return records


# --------------------------------------------------------------------------- CSV: precise path


class _RecordError(Exception):
    """A record the csv module must not be fed any further (see `_Lines`)."""


class _RunawayQuote(_RecordError):
    pass


class _OverlongLine(_RecordError):
    pass


class _Lines:
    """The body's physical lines for `csv.reader`, and what the current record consumed.

    Lines keep their own line break (CRLF, LF or CR). Between `begin_record` calls this keeps
    the lines the record took (to read them again after an unbalanced quote) and whether it ran
    into the end of the file; a record that takes more than `max_field_chars` characters past
    its first line raises `_RunawayQuote` (an open quote would otherwise swallow the file), and
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
        if not line:
            self.hit_eof = bool(self.record)
            raise StopIteration
        if len(line) == self._max_line_chars and not line.endswith(("\n", "\r")):
            while (rest := self._text.readline(self._max_line_chars)) and not rest.endswith(("\n", "\r")):
                pass
            raise _OverlongLine
        self.record.append(line)
        if len(self.record) > 1:
            self._spilled += len(line)
            if self._spilled > self._max_field_chars:
                raise _RunawayQuote
        return line


def _split_records(
    lines: _Lines, layout: _CsvLayout, limits: ReadLimits, skip_through: int
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
        except (_RecordError, csv.Error) as error:
            if number > skip_through:
                quote = isinstance(error, _RunawayQuote)
                yield number, _unbalanced_quote(number) if quote else _field_too_long(number, limits)
            lines.push_back(lines.record[1:])
            reader = new_reader()
            continue
        if number <= skip_through:
            continue
        if (lines.hit_eof or len(lines.record) > 1) and _unbalanced(lines, layout.delimiter):
            yield number, _unbalanced_quote(number)
            lines.push_back(lines.record[1:])
            reader = new_reader()
            continue
        shaped = _fit(number, cells, layout.headers, "".join(lines.record), limits)
        if shaped is not None:
            yield number, shaped


def _unbalanced(lines: _Lines, delimiter: str) -> bool:
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


def _fit(
    number: int, cells: list[str], headers: list[str], raw: str, limits: ReadLimits
) -> list[str] | Problem | None:
    """The record's cells padded or trimmed to the header's width, a Problem, or None (empty)."""
    width = len(headers)
    if len(cells) == width and max(map(len, cells)) <= limits.max_field_chars and any(cells):
        return cells  # the common case, first
    if not any(cells):
        return None
    if len(cells) > width:
        if any(cells[width:]):
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
        return _field_too_long(number, limits, headers[position], cells[position])
    return cells


def _unbalanced_quote(number: int) -> Problem:
    return Problem(
        Reason.UNBALANCED_QUOTE,
        f"Ligne {number} : un guillemet (\") ouvert n'est jamais refermé ; cette ligne est "
        "ignorée et la lecture reprend à la ligne suivante.",
        f'Row {number}: a quote (") is opened and never closed; this row is skipped and '
        "reading resumes at the next line.",
        row=number,
    )


def _field_too_long(number: int, limits: ReadLimits, column: str | None = None, cell: str = "") -> Problem:
    where_fr = f", colonne « {column} »" if column is not None else ""
    where_en = f', column "{column}"' if column is not None else ""
    return Problem(
        Reason.FIELD_TOO_LONG,
        f"Ligne {number}{where_fr} : une cellule dépasse {_fr(limits.max_field_chars)} caractères.",
        f"Row {number}{where_en}: a cell is longer than {limits.max_field_chars:,} characters.",
        row=number,
        column=column,
        value=cell[:100] or None,
    )


# --------------------------------------------------------------------------- CSV: fast path


@dataclass
class _Part:
    """What one pyarrow batch gave: its rows (the rows pyarrow refused, fixed, merged back in
    order) and their problems, and the number of its last record."""

    frame: pd.DataFrame
    problems: list[Problem]
    last_row: int


class _ArrowBody:
    """The body read by pyarrow, batch by batch, as `_Part`s; None when the precise path must
    take over: pyarrow failed, a cell is over the limit, or a cell holds a line break. pyarrow
    silently closes a quote left open at the next quote of the file, swallowing the rows in
    between into one cell: only the raw text tells such a cell from a real multi-line cell, so
    a file with quoted line breaks is read by the precise path from that batch on.

    Rows with the wrong number of fields go to pyarrow's invalid-row handler, which (read on
    one thread) gives their record number and text: they are split again with the csv module,
    padded or trimmed like the precise path does, and merged back in order.
    """

    def __init__(self, layout: _CsvLayout, limits: ReadLimits):
        self._layout, self._limits = layout, limits
        self._names = [str(position) for position in range(len(layout.headers))]
        self._refused: list[tuple[int, str]] = []  # (row number, text), in file order

    def parts(self, handle: io.BufferedReader) -> Iterator[_Part | None]:
        next_row = self._layout.header_row + 1
        # pyarrow makes no batch of a last block whose rows it all refused: an empty batch
        # at the end gathers them
        no_rows = pa.RecordBatch.from_pydict(dict.fromkeys(self._names, pa.array([], pa.string())))
        try:
            for batch in chain(self._batches(handle), [no_rows]):
                if _has_line_break(batch) or _has_overlong_cell(batch, self._limits.max_field_chars):
                    break
                part = self._part(batch, next_row, self._take_refused(next_row, batch.num_rows))
                if part is None:
                    break
                yield part
                next_row = part.last_row + 1
            else:
                if not self._refused:
                    return
        except pa.ArrowException:
            pass
        yield None

    def _batches(self, handle: io.BufferedReader) -> pacsv.CSVStreamingReader:
        codec = self._layout.encoding.codec
        return pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(
                column_names=self._names,
                block_size=_ARROW_BLOCK_BYTES,
                encoding="utf8" if codec == "utf-8" else codec,
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
        self._refused.append((self._layout.header_row + row.number, row.text))
        return "skip"

    def _take_refused(self, first: int, valid_rows: int) -> list[tuple[int, str]]:
        """The refused rows among a batch's records, which run from `first` over `valid_rows`
        plus the refused ones (a refused row right after them may be taken too: the records
        are contiguous, the next batch then starts after it)."""
        taken = 0
        while taken < len(self._refused) and self._refused[taken][0] <= first + valid_rows + taken:
            taken += 1
        refused, self._refused = self._refused[:taken], self._refused[taken:]
        return refused

    def _part(self, batch: pa.RecordBatch, first: int, refused: list[tuple[int, str]]) -> _Part | None:
        layout = self._layout
        fixed = _fix_refused(refused, layout, self._limits)
        if fixed is None:
            return None
        rows, row_numbers, problems = fixed
        last_row = first + batch.num_rows + len(refused) - 1
        numbers = np.delete(np.arange(first, last_row + 1), [n - first for n, _ in refused])
        keep = reduce(pc.or_, (pc.not_equal(column, "") for column in batch.columns))
        if not pc.all(keep).as_py():  # blank lines and `;;;` rows: numbered, not returned
            batch, numbers = batch.filter(keep), numbers[keep.to_numpy(zero_copy_only=False)]
        frame = batch.to_pandas()
        frame.columns = range(len(layout.headers))
        frame.index = pd.Index(numbers)
        if rows:
            extra = pd.DataFrame(rows, index=row_numbers, columns=frame.columns, dtype="str")
            frame = pd.concat([frame, extra]).sort_index()
        return _Part(frame, problems, last_row)


def _fix_refused(
    refused: list[tuple[int, str]], layout: _CsvLayout, limits: ReadLimits
) -> tuple[list[list[str]], list[int], list[Problem]] | None:
    rows: list[list[str]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    for number, text in refused:
        if "\n" in text or "\r" in text:
            return None
        cells = next(csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter), [])
        shaped = _fit(number, cells, layout.headers, text, limits)
        if isinstance(shaped, Problem):
            problems.append(shaped)
        elif shaped is not None:
            rows.append(shaped)
            numbers.append(number)
    return rows, numbers, problems


def _has_line_break(batch: pa.RecordBatch) -> bool:
    """A string column's values sit back to back in one buffer: search that, not each cell."""
    for column in batch.columns:
        _, offsets, data = column.buffers()
        if data is None or not len(column):
            continue
        bounds = np.frombuffer(offsets, dtype=np.int32)[column.offset : column.offset + len(column) + 1]
        values = memoryview(data)[bounds[0] : bounds[-1]].tobytes()
        if b"\n" in values or b"\r" in values:
            return True
    return False


def _has_overlong_cell(batch: pa.RecordBatch, max_chars: int) -> bool:
    """Byte lengths first (free from the offsets): characters are never more than bytes."""
    return any(
        (pc.max(pc.binary_length(column)).as_py() or 0) > max_chars
        and (pc.max(pc.utf8_length(column)).as_py() or 0) > max_chars
        for column in batch
    )


def _ends_in_open_quote(path: Path, layout: _CsvLayout) -> bool:
    """Whether the file ends, without a line break, on a line holding an odd number of quotes
    (then the precise path reads it all): pyarrow silently closes a quote left open there, the
    precise path reports it. Only the last 64 KiB are looked at: a longer last line may be
    misjudged, at worst read as pyarrow reads it."""
    start = max(layout.body_offset, path.stat().st_size - _SNIFF_BYTES)
    start -= (start - layout.body_offset) % 2 if layout.encoding.codec.startswith("utf-16") else 0
    with path.open("rb") as handle:
        handle.seek(start)
        tail = handle.read().decode(layout.encoding.codec, errors="replace")
    if tail.endswith(("\n", "\r")):
        return False
    return tail[max(tail.rfind("\n"), tail.rfind("\r")) + 1 :].count('"') % 2 == 1


# --------------------------------------------------------------------------- CSV: the reader


class _ChunkBuilder:
    """Rows and problems gathered row by row into `Chunk`s of at most `size` rows."""

    def __init__(self, width: int, size: int):
        self._width, self._size = width, size
        self._rows: list[list[str]] = []
        self._numbers: list[int] = []
        self.problems: list[Problem] = []

    def add(self, number: int, cells: list[str]) -> Chunk | None:
        self._rows.append(cells)
        self._numbers.append(number)
        return self.flush() if len(self._rows) >= self._size else None

    def flush(self) -> Chunk | None:
        if not self._rows and not self.problems:
            return None
        frame = pd.DataFrame(self._rows or None, index=self._numbers, columns=range(self._width), dtype="str")
        chunk = Chunk(frame, self.problems)
        self._rows, self._numbers, self.problems = [], [], []
        return chunk


class _CsvTable(TableReader):
    def __init__(self, path: Path, layout: _CsvLayout, limits: ReadLimits):
        info = ReadInfo(
            format="csv",
            headers=layout.headers,
            header_row=layout.header_row,
            encoding=layout.encoding.label,
            delimiter=layout.delimiter,
        )
        super().__init__(info, limits)
        self._path, self._layout = path, layout

    def __iter__(self) -> Iterator[Chunk]:
        try:
            done = yield from self._fast_chunks()
            if done is not None:
                yield from self._precise_chunks(done)
        except OSError as error:
            raise _unreadable(f"lecture impossible ({error.strerror})", str(error)) from error
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
        builder = _ChunkBuilder(len(layout.headers), limits.chunk_rows)
        with self._path.open("rb") as handle:
            handle.seek(layout.body_offset)
            text = io.TextIOWrapper(handle, encoding=layout.encoding.codec, newline="")
            lines = _Lines(
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


# --------------------------------------------------------------------------- XLSX


def cell_text(value: object) -> str:
    """An openpyxl cell value as text: "" for an empty cell (or a formula never calculated),
    TRUE/FALSE, integral numbers without ".0", other numbers in their shortest exact form and
    never in scientific notation (3.60029E+12 is "3600290000000"), dates and times in ISO
    ("YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", "HH:MM:SS"), durations as "H:MM:SS"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def _xlsx_rows(sheet, max_col: int) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values) of every row, gaps included; openpyxl errors → rejection."""
    sheet.reset_dimensions()  # the dimension tag is the file's claim, not a fact
    rows = sheet.iter_rows(max_col=max_col, values_only=True)
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as error:  # any openpyxl failure on a hostile sheet: unreadable
            raise _unreadable_xlsx(error) from error
        number += 1
        yield number, values


class _XlsxTable(TableReader):
    def __init__(self, info: ReadInfo, limits: ReadLimits, rows: Iterator[tuple[int, tuple]]):
        super().__init__(info, limits)
        self._rows = rows
        self._noted_outside = False

    def __iter__(self) -> Iterator[Chunk]:
        width = len(self.info.headers)
        builder = _ChunkBuilder(width, self.limits.chunk_rows)
        empty_run = 0
        for number, values in self._rows:
            cells = [cell_text(value) for value in values[:width]]
            if not any(cells):
                empty_run += 1
                if empty_run == MAX_EMPTY_ROW_RUN:
                    self._note_stopped(number)
                    break
                continue
            empty_run = 0
            self._note_outside(number, values[width:])
            if (chunk := builder.add(number, cells)) is not None:
                yield self._counted(chunk)
        if (chunk := builder.flush()) is not None:
            yield self._counted(chunk)
        self._check_not_empty()

    def _note_stopped(self, number: int) -> None:
        self.info.notes.append(
            f"Lecture arrêtée à la ligne {number} après {_fr(MAX_EMPTY_ROW_RUN)} lignes vides "
            f"consécutives / Reading stopped at row {number} after {MAX_EMPTY_ROW_RUN:,} "
            "consecutive empty rows"
        )

    def _note_outside(self, number: int, outside: tuple) -> None:
        if not self._noted_outside and any(cell_text(value) for value in outside):
            self._noted_outside = True
            self.info.notes.append(
                f"Cellules à droite de la dernière colonne d'en-tête ignorées (par ex. ligne "
                f"{number}) / Cells right of the last header column ignored (e.g. row {number})"
            )


@contextmanager
def _open_xlsx(
    path: Path, search: _HeaderSearch, limits: ReadLimits, preferred_sheets: tuple[str, ...]
) -> Iterator[TableReader]:
    check_xlsx(path)
    with path.open("rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl on a hostile archive: unreadable, whatever failed
            raise _unreadable_xlsx(error) from error
        try:
            sheets = workbook.worksheets
            if not sheets:
                raise reject_file(
                    Reason.NO_HEADER,
                    "Le classeur ne contient aucune feuille de calcul.",
                    "The workbook holds no worksheet.",
                )
            preferred = (s for s in sheets if normalize_header(s.title) in preferred_sheets)
            yield _open_sheet(next(preferred, sheets[0]), search, limits)
        finally:
            workbook.close()


def _open_sheet(sheet, search: _HeaderSearch, limits: ReadLimits) -> _XlsxTable:
    rows = _xlsx_rows(sheet, limits.max_columns)
    first = list(islice(rows, search.rows_needed))
    found = search.find([(n, [cell_text(v) for v in values]) for n, values in first])
    if found is None:
        raise search.not_found()
    header_row, cells = found
    width = max(position + 1 for position, cell in enumerate(cells) if cell)
    info = ReadInfo(format="xlsx", headers=cells[:width], header_row=header_row, sheet=sheet.title)
    return _XlsxTable(info, limits, chain(first[header_row:], rows))


# --------------------------------------------------------------------------- messages


def _fr(number: int) -> str:
    """1000000 → '1 000 000' (French thousands separator)."""
    return f"{number:,}".replace(",", " ")


def _unreadable(detail_fr: str, detail_en: str, row: int | None = None) -> FileRejected:
    return reject_file(
        Reason.UNREADABLE,
        f"Fichier illisible : {detail_fr}.",
        f"Unreadable file: {detail_en}.",
        row=row,
    )


def _unreadable_xlsx(error: Exception) -> FileRejected:
    return _unreadable(
        "le classeur Excel est endommagé ou contient des éléments refusés par sécurité ; "
        "enregistrez-le de nouveau depuis Excel, ou en CSV",
        f"the Excel workbook is damaged or holds parts refused for safety "
        f"({type(error).__name__}: {error}); save it again from Excel, or as CSV",
    )


def _unknown_format(detail_fr: str, detail_en: str) -> FileRejected:
    return reject_file(
        Reason.UNKNOWN_FORMAT,
        f"Format non reconnu ({detail_fr}) : envoyez un classeur .xlsx ou un fichier CSV.",
        f"Unknown format ({detail_en}): send an .xlsx workbook or a CSV file.",
    )
