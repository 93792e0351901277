"""The error report a seller gets for an imported file (offers.md, "The error report").

Why it looks like this: the seller fixes their own spreadsheet, so the XLSX shows their rows
as they sent them (every value a text cell, `000123` stays `000123`) with the offending cells
highlighted and explained in a comment, in French first; the CSV twin gives machines one line
per problem; the rejected rows come back in the seller's own columns and format so that they
can be fixed and sent again. Row numbers are always the ones the seller sees in Excel.

Decisions:
- Excel forbids `/` in sheet names, so the sheets are "Résumé - Summary" and "Lignes - Rows".
- A row is rejected when it has a row or cell problem of severity error. A file-level
  rejection (missing column, replace guard...) produces no rejected-rows file: the seller
  fixes and resends their own file, and the summary says why. Rows that could not be split
  into cells (field count, unbalanced quote) have no values to resend: the summary lists them.
- Every file is written under a hidden temporary name in `out_dir`, and all are renamed into
  place only once all were written (reliability.md, "Published or not at all"). A rejected-rows
  file left by an earlier run of the same stem, in the other format or now without rejected
  rows, is removed so that a rerun replaces and never leaves a stale file next to the new ones.
- Cell texts go through `reports.safe_cells` (see its docstring for where the apostrophe goes).
"""

from __future__ import annotations

import contextlib
import csv
import os
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from loaders.table import ReadInfo
from marketplace.errors import Problem, Severity
from reports.safe_cells import clean_for_xlsx, inert_text, resend_csv_text

SUMMARY_SHEET = "Résumé - Summary"
ROWS_SHEET = "Lignes - Rows"
ERROR_FILL = "#FF8080"
WARNING_FILL = "#FFC000"
CSV_COLUMNS = ("row", "column", "value", "code", "message_fr", "message_en")
TOP_ERRORS = 10
FIXED_COLUMNS = 2  # "erreurs / errors" and "ligne / row", before the seller's columns

_KINDS = {
    "offers": "offres / offers",
    "promotions": "promotions / promotions",
    "sellers": "vendeurs / sellers",
    "orders": "commandes / orders",
}
_STATUSES = {
    "loaded": "chargé / loaded",
    "partial": "chargé en partie / partially loaded",
    "rejected": "rejeté / rejected",
    "duplicate": "déjà importé / already imported (duplicate)",
}
_ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 avec BOM / with BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (cp1252)",
}
_SEPARATORS = {
    ";": "point-virgule (;) / semicolon",
    ",": "virgule (,) / comma",
    ".": "point (.) / dot",
    "\t": "tabulation / tab",
    "|": "barre verticale (|) / pipe",
}
_SEVERITIES = {Severity.ERROR: "erreur / error", Severity.WARNING: "avertissement / warning"}
_UNKNOWN = "non détecté / not detected"


@dataclass
class ReportInput:
    """Everything the report shows about one imported file."""

    file_name: str  # the seller's original file name (already safe)
    kind: str  # "offers", "promotions", "sellers", "orders"
    seller_id: int | None
    import_id: int
    status: str  # "loaded", "partial", "rejected", "duplicate"
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    warnings: int
    info: ReadInfo | None  # None when the file could not be read at all
    decimal_separator: str | None  # "," or "." as detected by the schema
    headers: list[str]  # the seller's header texts by position ([] if unreadable)
    rows: pd.DataFrame  # rows to show; index = Excel row numbers, columns = header positions
    all_rows: bool  # True: every data row of the file; False: only the flagged rows
    problems: list[Problem]  # row/cell problems (row set) and file-level ones (row None)
    notes: list[str] = field(default_factory=list)  # extra lines for the summary


@dataclass
class ReportFiles:
    """Where the report was published; `rejected` is None when no row was rejected."""

    xlsx: Path
    csv: Path
    rejected: Path | None


@dataclass
class _Grid:
    """The report's rows: the seller's values and the problems placed on rows and cells."""

    width: int  # number of seller columns
    positions: dict[str, int]  # seller header text -> position
    values: dict[int, list[str]]  # Excel row number -> values by position
    by_row: dict[int, list[Problem]]  # Excel row number -> its problems, in column order
    by_cell: dict[tuple[int, int], list[Problem]]  # (row, position) -> problems on that cell
    rejected: set[int]  # rows with an error

    @property
    def row_numbers(self) -> list[int]:
        return sorted(self.values.keys() | self.by_row.keys())


@dataclass(frozen=True)
class _Formats:
    """The workbook's cell formats (xlsxwriter formats belong to one workbook)."""

    bold: Format
    text: Format
    error: Format  # an offending cell, and the first column of a rejected row
    warning: Format  # a cell with a warning only

    @classmethod
    def of(cls, workbook: Workbook) -> _Formats:
        def text_fill(color: str) -> Format:
            return workbook.add_format({"num_format": "@", "bg_color": color, "pattern": 1})

        return cls(
            bold=workbook.add_format({"bold": True}),
            text=workbook.add_format({"num_format": "@"}),
            error=text_fill(ERROR_FILL),
            warning=text_fill(WARNING_FILL),
        )


def write_import_report(out_dir: Path, stem: str, report: ReportInput) -> ReportFiles:
    """Write `<stem>-errors.xlsx`, `<stem>-errors.csv` and, if rows were rejected,
    `<stem>-rejected.csv|xlsx` into `out_dir`, each published whole or not at all."""
    grid = _grid(report)
    files = ReportFiles(
        xlsx=out_dir / f"{stem}-errors.xlsx", csv=out_dir / f"{stem}-errors.csv", rejected=None
    )
    writers: dict[Path, Callable[[Path], None]] = {
        files.xlsx: lambda path: _write_xlsx(path, report, grid),
        files.csv: lambda path: _write_problems_csv(path, report, grid),
    }
    resendable = [row for row in sorted(grid.rejected) if row in grid.values]
    if resendable:
        is_xlsx = report.info is not None and report.info.format == "xlsx"
        files.rejected = out_dir / f"{stem}-rejected.{'xlsx' if is_xlsx else 'csv'}"
        write_rejected = _write_rejected_xlsx if is_xlsx else _write_rejected_csv
        writers[files.rejected] = lambda path: write_rejected(path, report, grid, resendable)
    _publish(out_dir, writers)
    for suffix in ("csv", "xlsx"):
        stale = out_dir / f"{stem}-rejected.{suffix}"
        if stale != files.rejected:
            stale.unlink(missing_ok=True)
    return files


# --- publishing ---------------------------------------------------------------------------


def _publish(out_dir: Path, writers: dict[Path, Callable[[Path], None]]) -> None:
    """Write every file under a temporary name, then rename them all into place.

    The temporary names are unique (uuid), and the writers create the files themselves so that
    they get the usual permissions (mkstemp would leave them readable by their owner only).
    """
    temps: dict[Path, Path] = {}
    try:
        for final, write in writers.items():
            temps[final] = out_dir / f".{final.name}.{uuid.uuid4().hex}.tmp"
            write(temps[final])
        for final, temp in temps.items():
            os.replace(temp, final)
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


# --- the rows and their problems ---------------------------------------------------------


def _grid(report: ReportInput) -> _Grid:
    width = max(len(report.headers), len(report.rows.columns))
    positions = _header_positions(report.headers)
    frame = report.rows.reindex(columns=range(width))
    values = {
        int(number): [_as_text(value) for value in cells]
        for number, *cells in frame.itertuples(name=None)
    }
    grid = _Grid(width, positions, values, defaultdict(list), defaultdict(list), set())
    row_problems = [p for p in report.problems if p.row is not None]
    for problem in sorted(row_problems, key=lambda p: _sort_key(p, positions)):
        row = int(problem.row)
        grid.by_row[row].append(problem)
        position = _position(problem.column, positions)
        if position is not None:
            grid.by_cell[(row, position)].append(problem)
        if problem.severity == Severity.ERROR:
            grid.rejected.add(row)
    return grid


def _header_positions(headers: list[str]) -> dict[str, int]:
    """Header text -> first position with that text (exact, then trimmed and casefolded)."""
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        positions.setdefault(header, position)
        positions.setdefault(_loose(header), position)
    return positions


def _position(column: str | None, positions: dict[str, int]) -> int | None:
    if column is None:
        return None
    return positions.get(column, positions.get(_loose(column)))


def _loose(header: str) -> str:
    return header.strip().casefold()


def _sort_key(problem: Problem, positions: dict[str, int]) -> tuple[int, int, int]:
    """File-level problems first, then by row, then row-level before cell-level by column."""
    if problem.row is None:
        return (0, 0, 0)
    position = _position(problem.column, positions)
    return (1, problem.row, -1 if position is None else position)


def _as_text(value: object) -> str:
    """A cell as text: the readers give `str`, but a reindexed or missing cell is NaN."""
    if isinstance(value, str):
        return value
    return "" if pd.isna(value) else str(value)


# --- CSV twin -------------------------------------------------------------------------------


def _write_problems_csv(path: Path, report: ReportInput, grid: _Grid) -> None:
    problems = sorted(report.problems, key=lambda p: _sort_key(p, grid.positions))
    with path.open("w", encoding="utf-8-sig", errors="replace", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_problem_line(problem) for problem in problems)


def _problem_line(problem: Problem) -> list[str]:
    row = "" if problem.row is None else str(problem.row)
    texts = (problem.column or "", problem.value or "", str(problem.code), problem.message_fr,
             problem.message_en)
    return [row, *(inert_text(text) for text in texts)]


# --- XLSX report ----------------------------------------------------------------------------


def _write_xlsx(path: Path, report: ReportInput, grid: _Grid) -> None:
    with xlsxwriter.Workbook(str(path)) as workbook:
        formats = _Formats.of(workbook)
        _write_summary(workbook.add_worksheet(SUMMARY_SHEET), formats, report, grid)
        _write_rows(workbook.add_worksheet(ROWS_SHEET), formats, report, grid)


def _write_text(sheet: Worksheet, row: int, column: int, text: str, fmt: Format | None) -> None:
    """A text cell, or a blank one for "" so that Excel's "(Blanks)" filter finds it."""
    if text:
        sheet.write_string(row, column, text, fmt)
    else:
        sheet.write_blank(row, column, None, fmt)


def _safe(value: str) -> str:
    """A text for the error report: writable in XLSX and never run as a formula."""
    return inert_text(clean_for_xlsx(value))


class _SummaryLines:
    """Writes the summary sheet top to bottom: titles, label/value pairs, small tables."""

    def __init__(self, sheet: Worksheet, formats: _Formats):
        self.sheet = sheet
        self.formats = formats
        self.row = 0

    def title(self, text: str) -> None:
        if self.row:
            self.row += 1
        self.sheet.write_string(self.row, 0, text, self.formats.bold)
        self.row += 1

    def line(self, *cells: str | int, bold: bool = False) -> None:
        for column, cell in enumerate(cells):
            fmt = self.formats.bold if bold else None
            if isinstance(cell, int):
                self.sheet.write_number(self.row, column, cell, fmt)
            else:
                self.sheet.write_string(self.row, column, _safe(cell), fmt)
        self.row += 1


def _write_summary(sheet: Worksheet, formats: _Formats, report: ReportInput, grid: _Grid) -> None:
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 60)
    sheet.set_column(2, 3, 40)
    lines = _SummaryLines(sheet, formats)
    _summary_counts(lines, report)
    _summary_detected(lines, report)
    _summary_file_problems(lines, report)
    _summary_top_errors(lines, grid)
    _summary_notes(lines, report, grid)


def _summary_counts(lines: _SummaryLines, report: ReportInput) -> None:
    lines.title("Rapport d'import / Import report")
    lines.line("Fichier / File", report.file_name)
    lines.line("Type / Kind", _KINDS.get(report.kind, report.kind))
    lines.line("Import n° / Import id", report.import_id)
    lines.line("Vendeur / Seller", "—" if report.seller_id is None else report.seller_id)
    lines.line("Statut / Status", _STATUSES.get(report.status, report.status))
    lines.line("Lignes lues / Rows read", report.rows_read)
    lines.line("Lignes chargées / Rows loaded", report.rows_loaded)
    lines.line("Lignes rejetées / Rows rejected", report.rows_rejected)
    lines.line("Avertissements / Warnings", report.warnings)
    lines.line("Lignes affichées / Rows shown", _rows_shown(report.all_rows))


def _rows_shown(all_rows: bool) -> str:
    if all_rows:
        return "toutes les lignes du fichier / every row of the file"
    return (
        "seulement les lignes signalées (fichier volumineux) / "
        "only the flagged rows (large file)"
    )


def _summary_detected(lines: _SummaryLines, report: ReportInput) -> None:
    lines.title("Ce que nous avons lu / What we detected")
    info = report.info
    if info is None:
        lines.line("Lecture / Reading", "illisible / the file could not be read")
        return
    lines.line("Format", "XLSX (Excel)" if info.format == "xlsx" else info.format.upper())
    if info.format == "csv":
        lines.line("Encodage / Encoding", _named(_ENCODINGS, info.encoding))
        lines.line("Séparateur / Delimiter", _named(_SEPARATORS, info.delimiter))
    else:
        lines.line("Feuille / Sheet", info.sheet or _UNKNOWN)
    decimal = _named(_SEPARATORS, report.decimal_separator)
    lines.line("Séparateur décimal / Decimal separator", decimal)
    lines.line("Ligne d'en-tête / Header row", info.header_row)
    for note in info.notes:
        lines.line("Remarque / Note", note)


def _named(names: dict[str, str], value: str | None) -> str:
    if value is None:
        return _UNKNOWN
    return names.get(value, repr(value))


def _summary_file_problems(lines: _SummaryLines, report: ReportInput) -> None:
    file_problems = [p for p in report.problems if p.row is None]
    if not file_problems:
        return
    lines.title("Problèmes sur le fichier / File problems")
    lines.line("type", "message", "message (en)", "code", bold=True)
    for problem in file_problems:
        severity = _SEVERITIES[problem.severity]
        lines.line(severity, problem.message_fr, problem.message_en, str(problem.code))


def _summary_top_errors(lines: _SummaryLines, grid: _Grid) -> None:
    problems = [problem for row_problems in grid.by_row.values() for problem in row_problems]
    if not problems:
        return
    counts = Counter(problem.code for problem in problems)
    example: dict[str, str] = {}
    for problem in problems:
        example.setdefault(problem.code, problem.message_fr)
    lines.title("Erreurs les plus fréquentes / Top errors")
    lines.line("code", "message (exemple / example)", "nombre / count", bold=True)
    for code, count in counts.most_common(TOP_ERRORS):
        lines.line(str(code), example[code], count)


def _summary_notes(lines: _SummaryLines, report: ReportInput, grid: _Grid) -> None:
    unsplit = [row for row in sorted(grid.rejected) if row not in grid.values]
    notes = list(report.notes)
    if unsplit:
        listed = ", ".join(str(row) for row in unsplit)
        notes.append(
            f"Lignes rejetées absentes du fichier à renvoyer (non découpables en cellules) : "
            f"{listed} / Rejected rows missing from the file to resend (could not be split "
            f"into cells): {listed}"
        )
    if not notes:
        return
    lines.title("Remarques / Notes")
    for note in notes:
        lines.line(note)


def _write_rows(sheet: Worksheet, formats: _Formats, report: ReportInput, grid: _Grid) -> None:
    headers = ["erreurs / errors", "ligne / row", *_padded(report.headers, grid.width)]
    for column, header in enumerate(headers):
        _write_text(sheet, 0, column, _safe(header), formats.bold)
    numbers = grid.row_numbers
    for sheet_row, number in enumerate(numbers, start=1):
        _write_row(sheet, formats, grid, sheet_row, number)
    sheet.set_column(0, 0, 50)
    sheet.set_column(1, 1, 8)
    sheet.set_column(FIXED_COLUMNS, FIXED_COLUMNS + max(grid.width - 1, 0), 18)
    sheet.autofilter(0, 0, len(numbers), len(headers) - 1)
    sheet.freeze_panes(1, 0)


def _write_row(
    sheet: Worksheet, formats: _Formats, grid: _Grid, sheet_row: int, number: int
) -> None:
    problems = grid.by_row.get(number, [])
    summary = "; ".join(dict.fromkeys(problem.message_fr for problem in problems))
    first_format = formats.error if number in grid.rejected else formats.text
    _write_text(sheet, sheet_row, 0, _safe(summary), first_format)
    sheet.write_number(sheet_row, 1, number)
    values = grid.values.get(number, [""] * grid.width)
    for position, value in enumerate(values):
        cell_problems = grid.by_cell.get((number, position), [])
        column = FIXED_COLUMNS + position
        _write_text(sheet, sheet_row, column, _safe(value), _cell_format(formats, cell_problems))
        if cell_problems:
            sheet.write_comment(sheet_row, column, _comment(cell_problems), {"x_scale": 3})


def _cell_format(formats: _Formats, problems: list[Problem]) -> Format:
    if any(problem.severity == Severity.ERROR for problem in problems):
        return formats.error
    return formats.warning if problems else formats.text


def _comment(problems: list[Problem]) -> str:
    """French then English, one paragraph per problem (comments are never evaluated)."""
    paragraphs = dict.fromkeys(f"{p.message_fr}\n{p.message_en}" for p in problems)
    return clean_for_xlsx("\n\n".join(paragraphs))


def _padded(headers: list[str], width: int) -> list[str]:
    return [*headers, *[""] * (width - len(headers))]


# --- rejected rows, ready to resend ---------------------------------------------------------


def _write_rejected_csv(path: Path, report: ReportInput, grid: _Grid, rows: list[int]) -> None:
    info = report.info
    encoding = (info.encoding if info else None) or "utf-8"
    delimiter = (info.delimiter if info else None) or ","
    with path.open("w", encoding=encoding, errors="replace", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        for line in _resend_lines(report, grid, rows):
            writer.writerow([resend_csv_text(value) for value in line])


def _write_rejected_xlsx(path: Path, report: ReportInput, grid: _Grid, rows: list[int]) -> None:
    with xlsxwriter.Workbook(str(path)) as workbook:
        sheet = workbook.add_worksheet(_sheet_name(report.info))
        text = workbook.add_format({"num_format": "@"})
        for sheet_row, line in enumerate(_resend_lines(report, grid, rows)):
            for column, value in enumerate(line):
                _write_text(sheet, sheet_row, column, clean_for_xlsx(value), text)


def _resend_lines(report: ReportInput, grid: _Grid, rows: list[int]) -> Iterable[list[str]]:
    yield _padded(report.headers, grid.width)
    for number in rows:
        yield grid.values[number]


def _sheet_name(info: ReadInfo | None) -> str | None:
    """The seller's sheet name when Excel accepts it, else xlsxwriter's default."""
    name = info.sheet if info else None
    if not name or len(name) > 31 or any(char in name for char in "[]:*?/\\"):
        return None
    return None if name.startswith("'") or name.endswith("'") else name
