"""Open a seller's table file, CSV or XLSX, and stream its rows as the text the seller sent.

Sellers export from Excel in France: CSV in Windows-1252 or UTF-8, `;`, `,` or tab, title
rows above the header, Excel's padding; or XLSX with instructions above the header and
thousands of formatted empty rows below the data. The reader turns any of that into `Chunk`s
of text cells numbered as Excel numbers its rows, or rejects the file as a whole with a
`FileRejected` whose French and English messages say what to do. A seller's file is untrusted
input: nothing else is raised for a bad file.

This module is what every caller needs: `open_table`, the `TableReader` it returns, the
format check by magic bytes, the header-row search and `DEFAULT_LIMITS`. Each format is read
by its own module, `loaders.csv_reader` or `loaders.xlsx_reader`; they build on this one, and
`open_table` imports the one a file needs when it opens it, so that importing this module
(as `marketplace validate` does at start-up) loads neither pyarrow nor openpyxl.

Decisions (each tested in tests/test_reader.py):
- The format comes from the bytes, never the name: `PK\\x03\\x04` is an XLSX (.xlsm too), an
  OLE2 compound file is an encrypted workbook or a legacy .xls (Reason.ENCRYPTED); a PDF, a
  web page (the "Excel" export of many ERPs) or Excel 2003's XML spreadsheet is named as
  such (Reason.UNKNOWN_FORMAT: it was "no header row" while Excel showed one); anything else
  is CSV text.
- Row numbers are the ones Excel shows: the header row's number plus the record's ordinal
  under it. Empty rows (blank lines, Excel's `;;;;` padding, empty formatted XLSX rows, and
  rows whose cells hold only spaces: `blank_row`) are counted for numbering but never returned.
- The header row is the first of the first 10 rows holding at least two distinct known header
  keys (`header_key`), unless the caller forces `header_row`; when the next non-empty row
  holds other names, as many known keys or more, it is the header instead (marketplace
  templates put the column codes under a row of labels for people; the same names repeated
  are a data row). The table is as wide as the header row.
- `ReadInfo.rows_read` counts the non-empty data rows, including rows reported as problems;
  more than `limits.max_rows` of them rejects the file (Reason.TOO_LARGE), none at all too
  (Reason.NO_ROWS, raised when the iteration ends).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from loaders.headers import header_key, without_answer_hints
from loaders.table import Chunk, ReadInfo, ReadLimits
from marketplace.errors import FileRejected, Problem, Reason, reject_file

DEFAULT_LIMITS = ReadLimits()  # frozen: safe to share as a default
HEADER_SEARCH_ROWS = 10
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"


class TableReader(ABC):
    """An opened table: `info` is filled on open; iterate once to get the data `Chunk`s."""

    def __init__(self, info: ReadInfo, limits: ReadLimits):
        self.info = info
        self.limits = limits

    @abstractmethod
    def __iter__(self) -> Iterator[Chunk]: ...

    def _counted(self, chunk: Chunk) -> Chunk:
        """The chunk, after counting its rows (checked per chunk against `limits.max_rows`)."""
        # a refused row counts; a note about the file (another sheet not read) is no row: a
        # header-only "Offres" beside its copy "Offres (2)" answered "loaded", 0 rows, exit 0
        self.info.rows_read += len(chunk.frame) + sum(p.row is not None for p in chunk.problems)
        if self.info.rows_read > self.limits.max_rows:
            raise reject_file(
                Reason.TOO_LARGE,
                f"Fichier trop volumineux : plus de {fr_number(self.limits.max_rows)} lignes de "
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
    known_headers: Collection[str],
    limits: ReadLimits = DEFAULT_LIMITS,
    preferred_sheets: tuple[str, ...] = (),
    header_row: int | None = None,
    required_headers: tuple[tuple[str, ...], ...] = (),
) -> Iterator[TableReader]:
    """Open `path` (CSV or XLSX, told apart by content) and find its header row.

    `known_headers`: the header names that identify the header row, as the message listing
    them shows them (in their order; a set's alphabetically); they match the file's headers
    space-insensitively (`header_key`).
    `preferred_sheets`: normalized sheet names, XLSX takes the first sheet matching one of them
    (else the first sheet). `header_row`: force the header's 1-based row number instead of
    searching for it. `required_headers`: each required field's names, which rank a workbook's
    sheets before the count of known names. Raises `FileRejected` for any file-level failure, on open or while
    iterating.
    """
    search = HeaderSearch(known_headers, header_row, required_headers)
    # imported here: the format modules build on this one, and import pyarrow or openpyxl
    if _sniff_format(path, limits) == "xlsx":
        from loaders.xlsx_reader import open_xlsx

        with open_xlsx(path, search, limits, preferred_sheets) as table:
            yield table
    else:
        from loaders.csv_reader import open_csv

        yield open_csv(path, search, limits)


def _sniff_format(path: Path, limits: ReadLimits) -> str:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
            magic = head[:8]
    except OSError as error:
        raise unreadable(f"lecture impossible ({error.strerror})", str(error)) from error
    if size == 0:
        raise reject_file(Reason.EMPTY_FILE, "Le fichier est vide.", "The file is empty.")
    if size > limits.max_bytes:
        raise reject_file(
            Reason.TOO_LARGE,
            f"Fichier trop volumineux : {fr_number(size)} octets (maximum {fr_number(limits.max_bytes)}). "
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
    if magic.startswith(_ZIP_MAGIC):
        return "xlsx"
    _refuse_other_documents(head)
    return "csv"


_HEAD_BYTES = 4096
_SAVE_AS = ("Ouvrez-le dans Excel et enregistrez-le en « Classeur Excel (.xlsx) » ou en « CSV UTF-8 ».",
            'Open it in Excel and save it as "Excel Workbook (.xlsx)" or "CSV UTF-8".')
_OTHER_DOCUMENTS = (  # (what the head holds, the format named in French and English, advice)
    (re.compile(rb"^%PDF-"), "un document PDF", "a PDF document",
     ("Envoyez le fichier Excel (.xlsx) ou CSV dont il est tiré.",
      "Send the Excel (.xlsx) or CSV file it was made from.")),
    (re.compile(rb"^<\?xml[^>]*>\s*(?:<\?mso[^>]*>\s*)*<Workbook\b|"
                rb"urn:schemas-microsoft-com:office:spreadsheet"),
     "une feuille « XML 2003 » d'Excel", "an Excel 2003 XML spreadsheet", _SAVE_AS),
    (re.compile(rb"^(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|meta)\b",
                re.IGNORECASE | re.DOTALL),
     "une page web (HTML) nommée comme un tableur", "a web page (HTML) named as a spreadsheet",
     _SAVE_AS),
)


def _refuse_other_documents(head: bytes) -> None:
    """A document that is not a table, named by what it is: opened in Excel, a web page or an
    XML spreadsheet shows its header in row 1, so "no header row" sent the seller looking for a
    fault Excel does not show."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    for pattern, what_fr, what_en, (advice_fr, advice_en) in _OTHER_DOCUMENTS:
        if pattern.search(text):
            raise reject_file(
                Reason.UNKNOWN_FORMAT,
                f"Format non reconnu : ce fichier est {what_fr}, pas un classeur Excel ni un"
                f" CSV. {advice_fr}",
                f"Unknown format: this file is {what_en}, not an Excel workbook nor a CSV."
                f" {advice_en}",
            )


# --------------------------------------------------------------------------- header row


@dataclass(frozen=True)
class HeaderSearch:
    known: Collection[str]  # header names, readable in the message when none is found
    forced_row: int | None
    required: tuple[tuple[str, ...], ...] = ()  # each required field's names

    def required_in(self, cells: list[str]) -> tuple[bool, int]:
        """Whether a header row's cells name the feed's key (its first required field: the sku),
        and how many required fields they name: a sheet of drop-down lists ("Catégorie",
        "État", "Devise"...) names more known columns than the seller's table, a sheet of
        category codes more required ones than a file of deletions (`Référence`, `Action`)."""
        keys = self._known_keys(cells)
        named = [any(header_key(name) in keys for name in names) for names in self.required]
        return (bool(named) and named[0], sum(named))

    @cached_property
    def _keys(self) -> frozenset[str]:
        return frozenset(map(header_key, self.known))

    @property
    def rows_needed(self) -> int:
        return max(HEADER_SEARCH_ROWS, self.forced_row or 0)

    def find(self, rows: list[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
        """(row number, cells) of the header among the first rows, or None."""
        if self.forced_row is not None:
            return next(((number, cells) for number, cells in rows
                         if number == self.forced_row and any(cells)), None)
        found, found_keys = None, frozenset()
        for number, cells in rows:
            if number > HEADER_SEARCH_ROWS or blank_row(cells):
                continue
            keys = self._known_keys(cells)
            if found is None and len(keys) < 2:
                continue
            if found is not None and (len(keys) < len(found_keys) or keys == found_keys):
                break  # the first data row
            found, found_keys = (number, cells), keys
        return found

    def known_in(self, cells: list[str]) -> int:
        """How many of a header row's cells name a known column."""
        return len(self._known_keys(cells))

    def _known_keys(self, cells: list[str]) -> frozenset[str]:
        """The known names among cells, a yes-or-no hint taken off (`Mise en situation ?`)."""
        keys = [header_key(cell) for cell in cells]
        return frozenset([*keys, *map(without_answer_hints, keys)]) & self._keys

    def not_found(self, detected: ReadInfo, rows: list[tuple[int, list[str]]] = ()) -> FileRejected:
        """The rejection, carrying what was read (format, encoding, delimiter or sheet).
        `rows`: the rows searched, to name one that looks like a header with one known name."""
        rejection = self._near_miss(rows, detected.sheet) or self._rejection(detected.sheet)
        rejection.detected = detected
        return rejection

    def _near_miss(self, rows, sheet: str | None) -> FileRejected | None:
        """A row of several names, one of them known (a Shopify export: "Title" beside "Variant
        SKU", "Variant Price"): named with its known name, rather than "no header row" for a
        file whose first row the seller sees is a header."""
        if self.forced_row is not None:
            return None
        for number, cells in rows:
            if number > HEADER_SEARCH_ROWS:
                break
            named = [cell for cell in cells if cell.strip()]
            known = [cell for cell in named if header_key(cell) in self._keys]
            if len(named) >= 3 and known:
                names = self._names()
                where_fr = f"la ligne {number}" + (f" de la feuille « {sheet} »" if sheet else "")
                where_en = f"row {number}" + (f" of sheet {sheet!r}" if sheet else "")
                return reject_file(
                    Reason.NO_HEADER,
                    f"Ligne d'en-tête introuvable : {where_fr} a l'air d'un en-tête, mais seule la"
                    f" colonne « {known[0]} » y porte un nom attendu. Renommez vos colonnes avec"
                    f" les noms attendus ({names}).",
                    f"Header row not found: {where_en} looks like a header, but only column"
                    f" \"{known[0]}\" has an expected name. Rename your columns with the expected"
                    f" names ({names}).",
                    row=number,
                )
        return None

    def _names(self) -> str:
        listed = sorted(self.known) if isinstance(self.known, frozenset | set) else list(self.known)
        return ", ".join(listed[:15]) + ("…" if len(listed) > 15 else "")

    def _rejection(self, sheet: str | None) -> FileRejected:
        if self.forced_row is not None:
            return reject_file(
                Reason.NO_HEADER,
                f"Ligne d'en-tête introuvable : la ligne {self.forced_row} n'existe pas ou est vide.",
                f"Header row not found: row {self.forced_row} does not exist or is empty.",
            )
        names = self._names()
        return reject_file(
            Reason.NO_HEADER,
            f"Ligne d'en-tête introuvable : aucune des {HEADER_SEARCH_ROWS} premières lignes"
            f"{f' de la feuille « {sheet} »' if sheet else ''} ne contient au moins deux noms de"
            f" colonnes attendus ({names}).",
            f"Header row not found: none of the first {HEADER_SEARCH_ROWS} rows"
            f"{f' of sheet {sheet!r}' if sheet else ''} holds at least two expected column"
            f" names ({names}).",
        )


# --------------------------------------------------------------------------- chunks


def blank_row(cells: list[str]) -> bool:
    """Whether a row holds nothing but white space (spaces, no-break spaces...): an empty row,
    as `;;;;` is. The schemas strip cells of that same white space, so such a row would
    otherwise come back as a row whose every cell is missing."""
    return not any(cell.strip() for cell in cells)


class ChunkBuilder:
    """Rows and problems gathered row by row into `Chunk`s of at most `size` rows (for the
    format readers that split rows themselves)."""

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


# --------------------------------------------------------------------------- messages


def check_width(columns: int, limits: ReadLimits, *, counted: bool = True) -> None:
    """Refuse a header row wider than `limits.max_columns` (CSV and XLSX alike). `counted`:
    `columns` is the row's whole width (a CSV's), not the cells read up to one past the limit
    (an XLSX's, whose wider rows are never read whole)."""
    if columns > limits.max_columns:
        has_fr, has_en = (str(columns), str(columns)) if counted else (
            f"plus de {limits.max_columns}", f"more than {limits.max_columns}")
        raise reject_file(
            Reason.TOO_LARGE,
            f"Trop de colonnes : la ligne d'en-tête en compte {has_fr} (maximum {limits.max_columns}).",
            f"Too many columns: the header row has {has_en} (at most {limits.max_columns}).",
        )


def fr_number(number: int) -> str:
    """1000000 → '1 000 000' (French thousands separator)."""
    return f"{number:,}".replace(",", " ")


def unreadable(detail_fr: str, detail_en: str, row: int | None = None) -> FileRejected:
    return reject_file(
        Reason.UNREADABLE,
        f"Fichier illisible : {detail_fr}.",
        f"Unreadable file: {detail_en}.",
        row=row,
    )
