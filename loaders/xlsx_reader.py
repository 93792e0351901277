"""Read a seller's XLSX workbook: its sheet, its header row, then its rows as text.

The XLSX half of `open_table` (`loaders.reader`), opened only after `loaders.xlsx_guard` has
checked the archive. openpyxl is imported only when a workbook is opened: it takes about
0.1 s to import, which `marketplace validate` must not pay at start-up.

Decisions (each tested in tests/test_reader.py):
- The sheet read is the first whose normalized name is one of the caller's preferred sheets,
  else the first sheet.
- The table is as wide as the header row up to its last non-empty cell; cells further right
  are ignored, with a note.
- Cells are read as the values Excel last calculated, turned into text by `cell_text`.
Empty formatted rows are numbered but not returned; after `MAX_EMPTY_ROW_RUN` of them in a row
reading stops, with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path

from loaders.headers import normalize_header
from loaders.reader import ChunkBuilder, HeaderSearch, TableReader, fr_number, unreadable
from loaders.table import Chunk, ReadInfo, ReadLimits
from loaders.xlsx_guard import check_xlsx
from marketplace.errors import FileRejected, Reason, reject_file

MAX_EMPTY_ROW_RUN = 10_000  # stop after this many consecutive empty rows


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
        builder = ChunkBuilder(width, self.limits.chunk_rows)
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
            f"Lecture arrêtée à la ligne {number} après {fr_number(MAX_EMPTY_ROW_RUN)} lignes vides "
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
def open_xlsx(
    path: Path, search: HeaderSearch, limits: ReadLimits, preferred_sheets: tuple[str, ...]
) -> Iterator[TableReader]:
    import openpyxl  # here, not at the top: see the module docstring

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


def _open_sheet(sheet, search: HeaderSearch, limits: ReadLimits) -> _XlsxTable:
    rows = _xlsx_rows(sheet, limits.max_columns)
    first = list(islice(rows, search.rows_needed))
    found = search.find([(n, [cell_text(v) for v in values]) for n, values in first])
    if found is None:
        raise search.not_found()
    header_row, cells = found
    width = max(position + 1 for position, cell in enumerate(cells) if cell)
    info = ReadInfo(format="xlsx", headers=cells[:width], header_row=header_row, sheet=sheet.title)
    return _XlsxTable(info, limits, chain(first[header_row:], rows))


def _unreadable_xlsx(error: Exception) -> FileRejected:
    return unreadable(
        "le classeur Excel est endommagé ou contient des éléments refusés par sécurité ; "
        "enregistrez-le de nouveau depuis Excel, ou en CSV",
        f"the Excel workbook is damaged or holds parts refused for safety "
        f"({type(error).__name__}: {error}); save it again from Excel, or as CSV",
    )
