"""Read a seller's XLSX workbook: its sheet, its header row, then its rows as text.

The XLSX half of `open_table` (`loaders.reader`), opened only after `loaders.xlsx_guard` has
checked the archive. openpyxl is imported only when a workbook is opened: it takes about
0.1 s to import, which `marketplace validate` must not pay at start-up.

Decisions (each tested in tests/test_reader.py):
- The sheet read is the first visible one whose normalized name is one of the caller's
  preferred sheets, else the visible sheet whose header row has the most known names.
- The table is as wide as the header row up to its last non-empty cell; values further right
  are ignored, with a warning (like an unknown column).
- Cells are read as the values Excel last calculated, turned by `cell_text` into the text
  Excel shows for them, as far as validation needs it: numbers to Excel's 15 significant
  digits, leading zeros of a zero-padding format, percentages, dates alone or date-times.
  The number format is looked up only for cells that hold a number or a date.
Empty formatted rows, and rows of blank cells, are numbered but not returned; after
`MAX_EMPTY_ROW_RUN` of them in a row reading stops, with a note.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path

from loaders.headers import normalize_header
from loaders.reader import (
    ChunkBuilder,
    HeaderSearch,
    TableReader,
    blank_row,
    check_width,
    fr_number,
    unreadable,
)
from loaders.table import Chunk, ReadInfo, ReadLimits
from loaders.xlsx_guard import check_xlsx
from loaders.xlsx_sheet_xml import MergedRange, last_row_with_value, scan_sheet, table_total_rows
from marketplace.errors import FileRejected, Problem, Reason, Severity, reject_file

MAX_EMPTY_ROW_RUN = 10_000  # stop after this many consecutive empty rows


# What a number format puts around the digits, that says nothing of how a value shows: quoted
# text, escaped characters, [colours], [$-locales] and [conditions], _x paddings and *x fills.
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_SHOWS_TIME = re.compile(r"[hs]|am/pm|a/p", re.IGNORECASE)
_SHOWS_DATE = re.compile(r"[dmy]", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"[0#?](?:\.([0#?]*))?E[+-]", re.IGNORECASE)
_ZERO_PADDING = re.compile(r"0+")
_NUMBERS = (int, float)


@dataclass(frozen=True)
class _Shown:
    """What a cell's number format changes in the text Excel shows for its value."""

    zero_width: int = 0  # a plain zero-padding format ("000000"): whole numbers padded to it
    percent: bool = False  # 0.2 shows as 20 %
    with_time: bool | None = None  # dates show their time, or not; None: the format shows no date
    scientific: int | None = None  # 3760130000000 shows as 3,76E+12: its decimals shown


@lru_cache(maxsize=1024)  # a workbook uses a handful of formats, on thousands of cells
def _shown(number_format: str) -> _Shown:
    """How a number format shows values. Only its first section counts (the one for
    positive numbers, which openpyxl also reads dates by)."""
    if _ZERO_PADDING.fullmatch(number_format):
        return _Shown(zero_width=len(number_format))
    code = _FORMAT_LITERALS.sub("", number_format.split(";")[0])
    if _SHOWS_TIME.search(code):
        return _Shown(with_time=True)
    if scientific := _SCIENTIFIC.search(code):
        return _Shown(scientific=len(scientific.group(1) or ""))
    return _Shown(percent="%" in code, with_time=False if _SHOWS_DATE.search(code) else None)


def cell_text(value: object, number_format: str = "General") -> str:
    """An openpyxl cell value as the text Excel shows for it in that number format, as far as
    validation needs it: "" for an empty cell (or a formula never calculated), TRUE/FALSE,
    numbers as `_number_text` says, dates and times in ISO ("YYYY-MM-DD" for a date alone,
    "YYYY-MM-DD HH:MM:SS" for a date-time, "HH:MM:SS"), durations as "H:MM:SS".

    A datetime is a date-time when its format shows a time, even at 00:00 (an end at
    "06/01/2027 00:00" is not the whole day), or when it holds a time its format hides (a
    template's column formatted "dd/mm/yyyy" keeps that format when the seller types
    "06/01/2027 08:00": the time is in the cell and in Excel's formula bar, and a message
    asking for it could never be satisfied); else a date alone."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, _NUMBERS):
        return _number_text(value, _shown(number_format))
    if isinstance(value, datetime):
        with_time = _shown(number_format).with_time or value.time() != time()
        # the date parsers (schemas.parsing_dates) read "YYYY-MM-DD" as a date alone
        return value.isoformat(" ", "seconds") if with_time else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def _number_text(value: int | float, shown: _Shown) -> str:
    """A number as Excel shows it: integers with every digit, floats as `_float_text`; under a
    percent format ×100 with " %" (0.2 is "20 %"); under a plain zero-padding format, whole
    numbers padded with leading zeros ("0012345678905"); under a scientific format, as Excel
    shows it ("3.76E+12"): a code saved from a CSV Excel had cut to 3,76013E+12 holds zeros
    where its digits were, and the seller sees the notation, so the rules refuse it as in a
    CSV (offers.md: never a silent conversion)."""
    if shown.scientific is not None:
        return f"{value:.{shown.scientific}E}"
    if shown.percent:  # to 9 decimals once ×100: 1-7,83/8,7 is 0.0999999999999999, shown 10 %
        return f"{value * 100} %" if isinstance(value, int) else f"{_float_text(round(value * 100, 9))} %"
    text = str(value) if isinstance(value, int) else _float_text(value)
    if shown.zero_width and "." not in text:
        return text.zfill(shown.zero_width + text.startswith("-"))
    return text


def _float_text(value: float) -> str:
    """To 15 significant digits, as Excel keeps them (a computed 19.990000000000002 is 19.99,
    not a price with too many decimals), integral ones without ".0", not in scientific
    notation (3.60029E+12 is "3600290000000")... below 10^15: a number of 16 digits or more has
    lost its last ones in the workbook itself, and reads as Excel shows it, 1.23456789012345E+17
    (refused as an identifier, where 123456789012345000 loaded as a reference two offers
    shared). Decimal only for the rare exponent: it costs."""
    if abs(value) >= 1e15:
        return f"{value:.14E}"
    text = format(value + 0.0, ".15g")  # + 0.0: -0.0 is 0.0, "-0" is no text a seller wrote
    return f"{Decimal(text):f}" if "e" in text else text


def _text_of(cell) -> str:
    """The text of an openpyxl read-only cell: text cells (most) need no number format.
    OOXML writes a tab, a line feed or a carriage return as `_x0009_`, `_x000A_`, `_x000D_`,
    which openpyxl's read-only cells leave as is: a carriage return made the reference
    `X-1_x000D_` a second offer beside X-1. Only those are read as the characters they stand
    for: openpyxl has already taken off the escape of a text typed so (`_x005F_`), and
    `1920_x1080_` is a screen's resolution, not a character; other control characters would
    be no cell's text (a NUL fails PostgreSQL's)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return _LINE_ESCAPES.sub(_escaped_character, value) if "_x" in value else value
    return cell_text(value, cell.number_format)


_LINE_ESCAPES = re.compile("_x000([9ADad])_")


def _escaped_character(match: re.Match) -> str:
    return chr(int(match.group(1), 16))


def _xlsx_rows(sheet, max_col: int) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, read-only cells) of every row, gaps included; openpyxl errors →
    rejection. Cells, not values: the text depends on each cell's number format."""
    sheet.reset_dimensions()  # the dimension tag is the file's claim, not a fact
    rows = sheet.iter_rows(max_col=max_col)
    number = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception as error:  # any openpyxl failure on a hostile sheet: unreadable
            raise _unreadable_xlsx(error) from error
        number += 1
        yield number, cells


class _XlsxTable(TableReader):
    def __init__(self, info: ReadInfo, limits: ReadLimits, sheet, rows: Iterator[tuple[int, tuple]],
                 notes: list[Problem]):
        super().__init__(info, limits)
        self._notes = notes  # about the workbook, said with the first chunk
        self._sheet = sheet
        self._rows = rows
        self._noted_outside = False
        scan = scan_sheet(sheet, len(info.headers))
        if scan.out_of_order is not None:
            raise _rows_out_of_order(sheet.title, *scan.out_of_order)
        self._uncalculated = scan.uncalculated
        self._literals = scan.literals
        self._merged: dict[int, list[MergedRange]] = {}
        for merge in scan.merged:
            if merge.first_row > (info.header_row or 0):
                self._merged.setdefault(merge.first_row, []).append(merge)
        first_header = next((at for at, header in enumerate(info.headers) if header.strip()), 0)
        try:
            self._totals = table_total_rows(sheet, info.header_row or 0, first_header)
        except Exception as error:  # a damaged table part (bad CRC, deflate, method): exit 4 was
            raise _unreadable_xlsx(error) from error  # the seller's inbox blocked every night

    def __iter__(self) -> Iterator[Chunk]:
        width = len(self.info.headers)
        builder = ChunkBuilder(width, self.limits.chunk_rows)
        builder.problems.extend(self._notes)
        empty_run = 0
        for number, row in self._rows:
            if number in self._totals:
                self.info.notes.append(
                    f"Ligne {number} : ligne Total du tableau Excel, ignorée / row {number}: the"
                    " Excel table's totals row, ignored")
                continue
            cells = [_text_of(cell) for cell in row[:width]]
            if blank_row(cells):
                empty_run += 1
                if empty_run == MAX_EMPTY_ROW_RUN:
                    self._note_stopped(number, builder)
                    break
                continue
            empty_run = 0
            self._warn_outside(number, row[width:], builder)
            self._warn_uncalculated(number, cells, builder)
            self._warn_merged(number, builder)
            if (chunk := builder.add(number, cells)) is not None:
                yield self._counted(chunk)
        if (chunk := builder.flush()) is not None:
            yield self._counted(chunk)
        self._check_not_empty()

    def _note_stopped(self, number: int, builder: ChunkBuilder) -> None:
        """Said in the summary; and, when rows further down hold values, as a warning: they
        are not read, and a seller must not lose them without a word."""
        self.info.notes.append(
            f"Lecture arrêtée à la ligne {number} après {fr_number(MAX_EMPTY_ROW_RUN)} lignes vides "
            f"consécutives / Reading stopped at row {number} after {MAX_EMPTY_ROW_RUN:,} "
            "consecutive empty rows"
        )
        last = last_row_with_value(self._sheet)
        if last is not None and last > number:
            builder.problems.append(Problem(
                Reason.ROWS_NOT_READ,
                f"Lecture arrêtée à la ligne {number} après {fr_number(MAX_EMPTY_ROW_RUN)} lignes"
                f" vides : des valeurs plus bas (jusqu'à la ligne {last}) ne sont pas lues."
                " Supprimez les lignes vides et renvoyez le fichier.",
                f"Reading stopped at row {number} after {MAX_EMPTY_ROW_RUN:,} empty rows: values"
                f" further down (up to row {last}) are not read. Delete the empty rows and send"
                " the file again.",
                severity=Severity.WARNING))

    def _warn_uncalculated(self, number: int, cells: list[str], builder: ChunkBuilder) -> None:
        """A formula saved without its value (or with a placeholder) is read empty: the seller
        is told why, and how to get the value read (`loaders.xlsx_sheet_xml`); one that is its
        own value (`="0012345678905"`) is read as that value."""
        for column, value in self._literals.get(number, {}).items():  # whatever was stored
            cells[column] = value
        for column, formula in self._uncalculated.get(number, {}).items():
            cells[column] = ""
            builder.problems.append(Problem(
                Reason.FORMULA_NOT_CALCULATED,
                "Formule enregistrée sans sa valeur (fichier produit par un programme) : la"
                " cellule est lue vide. Ouvrez le fichier dans Excel ou LibreOffice, enregistrez-le"
                " puis renvoyez-le, ou saisissez la valeur elle-même.",
                "Formula saved without its value (a file written by a program): the cell is read"
                " empty. Open the file in Excel or LibreOffice, save it and send it again, or type"
                " the value itself.",
                row=number, column=self.info.headers[column], value=formula,
                severity=Severity.WARNING))

    def _warn_merged(self, number: int, builder: ChunkBuilder) -> None:
        """A range merged over data rows or columns: its value is in its first cell only, the
        cells under it or right of it are read empty; said where it starts, so the "empty"
        that follows is understood."""
        for merge in self._merged.get(number, ()):
            fr, en = _merged_cells_read_empty(merge)
            builder.problems.append(Problem(
                Reason.MERGED_CELLS,
                f"Cellules fusionnées {merge.ref} : la valeur n'est que dans la première cellule,"
                f" {fr}. Annulez la fusion et recopiez la valeur dans chaque cellule.",
                f"Merged cells {merge.ref}: the value is in the first cell only, {en}. Unmerge"
                " the cells and copy the value in every cell.",
                row=number, column=self.info.headers[merge.first_column], value=merge.ref,
                severity=Severity.WARNING))

    def _warn_outside(self, number: int, outside: tuple, builder: ChunkBuilder) -> None:
        """Values right of the last header are ignored like an unknown column's, and said
        so once, as a warning (a note alone wrote no report when nothing else was wrong)."""
        if not self._noted_outside and any(_text_of(cell) for cell in outside):
            self._noted_outside = True
            builder.problems.append(Problem(
                Reason.UNKNOWN_COLUMN,
                f"Des valeurs à droite de la dernière colonne d'en-tête sont ignorées (par ex."
                f" ligne {number}) : donnez un en-tête à leur colonne pour qu'elles comptent.",
                f"Values right of the last header column are ignored (e.g. row {number}):"
                " give their column a header for them to count.",
                severity=Severity.WARNING))


def _merged_cells_read_empty(merge: MergedRange) -> tuple[str, str]:
    """What a merge leaves empty, in words: rows under its first row, or columns right of its
    first column ("la ligne 8", never "les lignes 8 à 8")."""
    if merge.last_row > merge.first_row:
        first, last = merge.first_row + 1, merge.last_row
        if first == last:
            return f"la ligne {first} est lue vide", f"row {first} is read empty"
        return f"les lignes {first} à {last} sont lues vides", f"rows {first} to {last} are read empty"
    return ("les colonnes à sa droite sont lues vides sur cette ligne",
            "the columns right of it are read empty on this row")


@contextmanager
def open_xlsx(
    path: Path, search: HeaderSearch, limits: ReadLimits, preferred_sheets: tuple[str, ...]
) -> Iterator[TableReader]:
    import openpyxl  # here, not at the top: see the module docstring

    check_xlsx(path)
    with path.open("rb") as handle:
        try:
            with warnings.catch_warnings():  # "no default style", "invalid specification":
                warnings.simplefilter("ignore", UserWarning)  # openpyxl's, not the seller's
                workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl on a hostile archive: unreadable, whatever failed
            raise _unreadable_xlsx(error) from error
        try:
            sheets = workbook.worksheets
            if not sheets and _strict_open_xml(path):
                raise reject_file(
                    Reason.UNKNOWN_FORMAT,
                    "Format non reconnu : le classeur est enregistré en « Feuille de calcul Open"
                    " XML stricte », que nous ne lisons pas. Enregistrez-le en « Classeur Excel"
                    " (.xlsx) ».",
                    "Unknown format: the workbook is saved as \"Strict Open XML Spreadsheet\","
                    ' which we do not read. Save it as "Excel Workbook (.xlsx)".',
                )
            if not sheets:
                raise reject_file(
                    Reason.NO_HEADER,
                    "Le classeur ne contient aucune feuille de calcul.",
                    "The workbook holds no worksheet.",
                )
            yield _chosen_sheet(sheets, search, limits, preferred_sheets)
        finally:
            workbook.close()


def _strict_open_xml(path: Path) -> bool:
    """Excel's "Strict Open XML" save: openpyxl finds no sheet in it (its namespaces are
    purl.oclc.org's, not the transitional ones), and "no worksheet" was no help to the seller."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        try:
            with archive.open("xl/workbook.xml") as entry:
                return b"purl.oclc.org/ooxml/spreadsheetml" in entry.read(4096)
        except KeyError:
            return False


GUIDANCE_WORDS = frozenset({
    "instruction", "instructions", "consignes", "emploi", "aide", "help", "guide", "notice",
    "exemple", "exemples", "example", "examples", "lisez", "readme", "read", "explications",
    "explication", "conseils", "tutoriel", "tutorial", "documentation", "legende", "legend",
    "sample", "samples", "remplir", "information", "informations", "faq",
})


def _is_guidance(sheet) -> bool:
    """Whether the sheet's name says it explains the template ("Mode d'emploi", "Lisez-moi")."""
    return bool(GUIDANCE_WORDS & set(re.split(r"[^a-z]+", normalize_header(sheet.title))))


def _chosen_sheet(sheets: list, search: HeaderSearch, limits: ReadLimits,
                  preferred_sheets: tuple[str, ...]) -> _XlsxTable:
    """The visible sheet with the feed's name ("Offres"), else the visible sheet whose header
    row names the feed's key (the sku), then the most required columns, then the most known
    ones, the first of them on a tie
    (a visible sheet of drop-down lists named more known columns than the table). Hidden sheets are read
    only in a workbook without a visible one: a hidden "Offres" holds last season's prices the
    seller no longer sees, and read instead of their visible sheet it put them back on sale;
    where no visible sheet has a header row, the rejection says a hidden "Offres" is not read
    (the seller who hid their table unhides it). Templates put an "Instructions" sheet first
    and a sheet of lists ("Catégorie", "État": two known names, no offer); the seller sees
    neither as their table. A sheet named as guidance ("Instructions", "Exemple", "Aide"...)
    comes after the others: its example table has the right headers but is not the seller's.
    Another sheet with as many known headers is named in a warning. With none, the first
    visible sheet's rejection says why."""
    visible = [s for s in sheets if getattr(s, "sheet_state", "visible") == "visible"]
    hidden = [s for s in sheets if s not in visible]
    try:
        return _best_sheet(visible or hidden, search, limits, preferred_sheets)
    except FileRejected as rejection:
        named = [s.title for s in hidden if normalize_header(s.title) in preferred_sheets]
        if not visible or not named or rejection.problem.code is not Reason.NO_HEADER:
            raise
        raise _hidden_sheet_not_read(rejection, named[0]) from None


def _best_sheet(sheets: list, search: HeaderSearch, limits: ReadLimits,
                preferred_sheets: tuple[str, ...]) -> _XlsxTable:
    """`_chosen_sheet` among `sheets`."""
    sheets = list(sheets)
    named = [s for s in sheets if normalize_header(s.title) in preferred_sheets]
    sheets.sort(key=lambda sheet: (sheet not in named[:1], _is_guidance(sheet)))
    first_rejection: FileRejected | None = None
    found_in: list[tuple[int, object, _FoundHeader]] = []
    for sheet in sheets:
        try:
            found = _find_header(sheet, search, limits)
        except FileRejected as rejection:
            if named and sheet is not named[0]:
                continue  # the named sheet is read: another one's flaw is not the file's
            if named or rejection.problem.code is not Reason.NO_HEADER:
                raise
            first_rejection = first_rejection or rejection
            continue
        found_in.append(((*search.required_in(found.cells), search.known_in(found.cells)), sheet, found))
    if not found_in:
        raise first_rejection
    known, sheet, found = (found_in[0] if named  # the named sheet, searched first
                           else max(found_in, key=lambda candidate: candidate[0]))  # first on a tie
    also = [other.title for count, other, _ in found_in
            if other is not sheet and count >= known and not _is_guidance(other)]
    return _table(sheet, found, limits, [_other_sheets_not_read(sheet.title, also)] if also else [])


def _hidden_sheet_not_read(rejection: FileRejected, name: str) -> FileRejected:
    """The visible sheets' rejection, saying that the sheet named for the feed is hidden and
    not read: the seller who hid it shows it, or the file was refused without a word about it.
    Never read instead: a hidden "Offres" is most often last season's prices."""
    problem = rejection.problem
    refused = reject_file(
        problem.code,
        f"{problem.message_fr} La feuille « {name} » est masquée et n'est pas lue : si elle"
        " contient vos offres, affichez-la (clic droit sur un onglet, Afficher) et renvoyez le"
        " fichier.",
        f"{problem.message_en} Sheet '{name}' is hidden and not read: if it holds your offers,"
        " unhide it (right-click a tab, Unhide) and send the file again.")
    refused.detected = rejection.detected
    return refused


def _other_sheets_not_read(read: str, others: list[str]) -> Problem:
    """A workbook of two sheets of offers (the template copied to "Feuil2"): one only is read,
    and the seller is told, rather than the other's offers left out without a word."""
    names = ", ".join(f"« {name} »" for name in others)
    return Problem(
        Reason.ROWS_NOT_READ,
        f"Seule la feuille « {read} » est lue ; {names} a aussi des en-têtes de colonnes et n'est"
        " pas lue : mettez toutes les lignes sur une feuille, ou nommez-la « offres »"
        " (« promotions » pour des promotions).",
        f"Only sheet '{read}' is read; {names} has column headers too and is not read: put every"
        " row on one sheet, or name it 'offers' ('promotions' for promotions).",
        severity=Severity.WARNING)


@dataclass
class _FoundHeader:
    rows: Iterator[tuple[int, tuple]]  # the rows after those read to find it
    first: list[tuple[int, tuple]]  # the rows read to find it
    header_row: int
    cells: list[str]


def _find_header(sheet, search: HeaderSearch, limits: ReadLimits) -> _FoundHeader:
    rows = _xlsx_rows(sheet, limits.max_columns + 1)  # one more: a header too wide is refused
    first = list(islice(rows, search.rows_needed))
    texts = [(n, [_text_of(cell) for cell in row]) for n, row in first]
    found = search.find(texts)
    if found is None:
        raise search.not_found(ReadInfo(format="xlsx", headers=[], header_row=None,
                                        sheet=sheet.title), texts)
    return _FoundHeader(rows, first, *found)


def _table(sheet, found: _FoundHeader, limits: ReadLimits, notes: list[Problem]) -> _XlsxTable:
    header_row, cells, first, rows = found.header_row, found.cells, found.first, found.rows
    width = max(position + 1 for position, cell in enumerate(cells) if cell)
    check_width(width, limits, counted=False)
    info = ReadInfo(format="xlsx", headers=cells[:width], header_row=header_row, sheet=sheet.title)
    return _XlsxTable(info, limits, sheet, chain(first[header_row:], rows), notes)


def _rows_out_of_order(sheet: str, before: int, after: int) -> FileRejected:
    return unreadable(
        f"les lignes de la feuille « {sheet} » ne sont pas dans l'ordre (la ligne {after} est"
        f" écrite après la ligne {before}) : une ligne serait perdue ; ouvrez le fichier dans"
        " Excel ou LibreOffice, enregistrez-le et envoyez-le de nouveau",
        f"the rows of sheet '{sheet}' are not in order (row {after} is written after row"
        f" {before}): a row would be lost; open the file in Excel or LibreOffice, save it and"
        " send it again",
    )


def _unreadable_xlsx(error: Exception) -> FileRejected:
    return unreadable(
        "le classeur Excel est endommagé ou contient des éléments refusés par sécurité ; "
        "enregistrez-le de nouveau depuis Excel, ou en CSV",
        f"the Excel workbook is damaged or holds parts refused for safety "
        f"({type(error).__name__}: {error}); save it again from Excel, or as CSV",
    )
