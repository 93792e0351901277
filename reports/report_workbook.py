"""The error report's XLSX, the file the seller reads: a summary sheet and a rows sheet.

Why it looks like this: the seller fixes their own spreadsheet, so the rows sheet shows their
rows as they sent them (every value a text cell, `000123` stays `000123`) with the offending
cells highlighted and explained in a comment, in French first, and a first column that says
what is wrong with the row, red when the row is rejected. The summary says what we read and
why the file or rows were refused.

Decisions:
- Excel forbids `/` in sheet names, so the sheets are "Résumé - Summary" and "Lignes - Rows".
- A file-level rejection (missing column, replace guard...) is explained in the summary; the
  seller fixes and resends their own file. Rows that could not be split into cells (field
  count, unbalanced quote) have no values to resend: the summary lists them.
- Cell texts go through `reports.safe_cells` (see its docstring for where the apostrophe goes).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from marketplace.errors import Problem, Severity
from reports.report_grid import ReportGrid, padded
from reports.safe_cells import clean_for_xlsx, inert_text

if TYPE_CHECKING:
    from reports.import_report import ReportInput

SUMMARY_SHEET = "Résumé - Summary"
ROWS_SHEET = "Lignes - Rows"
ERROR_FILL = "#FF8080"
WARNING_FILL = "#FFC000"
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
_NONE_LOADED = "aucune ligne chargée : toutes refusées / no row loaded: every row rejected"
# A check-only run (`marketplace validate`, no import id) loads nothing: it says what would be.
_CHECK_STATUSES = {
    "loaded": "valide / valid",
    "partial": "à corriger : des lignes seraient rejetées / to fix: rows would be rejected",
    "rejected": "rejeté / rejected",
}
_CHECK_ONLY = "aucun : vérification seule, rien n'a été chargé / none: check only, nothing loaded"
_ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 avec BOM / with BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (cp1252)",
    "mac-roman": "Mac Roman (Excel pour Mac, « CSV Macintosh » / Excel for Mac)",
    "cp858": "DOS (page de code 850/858 / code page 850/858)",
    "iso-8859-15": "ISO-8859-15 (Latin-9)",
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


def write_report_xlsx(path: Path, report: ReportInput, grid: ReportGrid) -> None:
    with xlsxwriter.Workbook(str(path)) as workbook:
        formats = _Formats.of(workbook)
        _write_summary(workbook.add_worksheet(SUMMARY_SHEET), formats, report, grid)
        _write_rows(workbook.add_worksheet(ROWS_SHEET), formats, report, grid)


def write_text(sheet: Worksheet, row: int, column: int, text: str, fmt: Format | None) -> None:
    """A text cell, or a blank one for "" so that Excel's "(Blanks)" filter finds it."""
    if text:
        sheet.write_string(row, column, text, fmt)
    else:
        sheet.write_blank(row, column, None, fmt)


def _safe(value: str) -> str:
    """A text for the error report: writable in XLSX and never run as a formula."""
    return inert_text(clean_for_xlsx(value))


# --- summary sheet --------------------------------------------------------------------------


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


def _write_summary(
    sheet: Worksheet, formats: _Formats, report: ReportInput, grid: ReportGrid
) -> None:
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
    checked_only = report.import_id is None
    lines.line("Import n° / Import id", _CHECK_ONLY if checked_only else report.import_id)
    lines.line("Vendeur / Seller", "—" if report.seller_id is None else report.seller_id)
    statuses = _CHECK_STATUSES if checked_only else _STATUSES
    status = statuses.get(report.status, report.status)
    if report.status == "partial" and not checked_only and report.rows_loaded == 0:
        status = _NONE_LOADED  # "partially loaded" beside "rows loaded: 0" misled the seller
    lines.line("Statut / Status", status)
    lines.line("Lignes lues / Rows read", report.rows_read)
    if checked_only:
        lines.line("Lignes valides (non chargées) / Valid rows (not loaded)", report.rows_loaded)
    else:
        lines.line("Lignes chargées / Rows loaded", report.rows_loaded)
    lines.line("Lignes rejetées / Rows rejected", report.rows_rejected)
    lines.line("Avertissements / Warnings", report.warnings)
    lines.line("Lignes affichées / Rows shown", _rows_shown(report))


def _rows_shown(report: ReportInput) -> str:
    if report.status == "rejected" and report.rows.empty:  # refused before its rows were read
        return ("aucune : le fichier est refusé en entier, voir ses problèmes ci-dessous / none:"
                " the whole file is refused, see its problems below")
    if report.all_rows:
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
    lines.line("Ligne d'en-tête / Header row", info.header_row or "introuvable / not found")
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


def _summary_top_errors(lines: _SummaryLines, grid: ReportGrid) -> None:
    problems = [problem for row_problems in grid.by_row.values() for problem in row_problems]
    if not problems:
        return
    # by code, column and message but its values: a price out of range and a lead time out of
    # range are two errors, so are a discount past 90 % and one that leaves no price to pay
    keys = [(problem.code, problem.column, _message_shape(problem)) for problem in problems]
    counts = Counter(keys)
    example: dict[tuple, str] = {}
    for key, problem in zip(keys, problems, strict=True):
        example.setdefault(key, problem.message_fr)
    lines.title("Erreurs les plus fréquentes / Top errors")
    lines.line("code", "colonne / column", "message (exemple / example)", "nombre / count",
               bold=True)
    for key, count in counts.most_common(TOP_ERRORS):
        code, column, _ = key
        lines.line(str(code), column or "", example[key], count)


def _message_shape(problem: Problem) -> str:
    """A message without what changes from row to row: what it quotes (the cell's value, the
    sku), its numbers."""
    return re.sub(r"\d+", "", re.sub(r"«[^»]*»", "«»", problem.message_fr))


def _summary_notes(lines: _SummaryLines, report: ReportInput, grid: ReportGrid) -> None:
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


# --- rows sheet -----------------------------------------------------------------------------


def _write_rows(sheet: Worksheet, formats: _Formats, report: ReportInput, grid: ReportGrid) -> None:
    headers = ["erreurs / errors", "ligne / row", *padded(report.headers, grid.width)]
    for column, header in enumerate(headers):
        write_text(sheet, 0, column, _safe(header), formats.bold)
    numbers = [number for number in grid.row_numbers if number not in grid.undetailed]
    comments = 0
    for sheet_row, number in enumerate(numbers, start=1):
        comments += _write_row(sheet, formats, grid, sheet_row, number, comments < MAX_COMMENTS)
    sheet.set_column(0, 0, 50)
    sheet.set_column(1, 1, 8)
    sheet.set_column(FIXED_COLUMNS, FIXED_COLUMNS + max(grid.width - 1, 0), 18)
    sheet.autofilter(0, 0, len(numbers), len(headers) - 1)
    sheet.freeze_panes(1, 0)


MAX_COMMENTS = 10_000
"""Cells past it get no comment (their row's first column says the same): a file of 100,000
rows with three empty required cells each took 48 s and most of 860 MB to write 300,000 of
Excel's comment shapes, a report no one reads past its first screens anyway."""


def _write_row(
    sheet: Worksheet, formats: _Formats, grid: ReportGrid, sheet_row: int, number: int,
    with_comments: bool,
) -> int:
    """Writes the row; returns how many comments it put."""
    # errors first: a rejected row's cell never starts with "avertissement" (filtering that
    # word out to see the rejected rows hid it)
    problems = sorted(grid.by_row.get(number, []), key=lambda p: p.severity == Severity.WARNING)
    summary = "; ".join(dict.fromkeys(map(_labelled, problems)))
    first_format = formats.error if number in grid.rejected else formats.text
    write_text(sheet, sheet_row, 0, _safe(summary), first_format)
    sheet.write_number(sheet_row, 1, number)
    values = grid.values.get(number, [""] * grid.width)
    comments = 0
    for position, value in enumerate(values):
        cell_problems = grid.by_cell.get((number, position), [])
        column = FIXED_COLUMNS + position
        # a text cell in the Text format (`@`), never run even once edited, and the apostrophe
        # before a formula's first character, as in every output (reports.safe_cells)
        write_text(sheet, sheet_row, column, _safe(value), _cell_format(formats, cell_problems))
        if cell_problems and with_comments:
            sheet.write_comment(sheet_row, column, _comment(cell_problems), {"x_scale": 3})
            comments += 1
    return comments


def _labelled(problem: Problem) -> str:
    """The message as the rows sheet's first column shows it: a warning says it is one, so that
    filtering that column on "avertissement" (or on the rest) separates loaded rows from
    rejected ones, as the colours do."""
    if problem.severity == Severity.WARNING:
        return f"avertissement : {problem.message_fr}"
    return problem.message_fr


def _cell_format(formats: _Formats, problems: list[Problem]) -> Format:
    if any(problem.severity == Severity.ERROR for problem in problems):
        return formats.error
    return formats.warning if problems else formats.text


def _comment(problems: list[Problem]) -> str:
    """French then English, one paragraph per problem (comments are never evaluated)."""
    paragraphs = dict.fromkeys(f"{p.message_fr}\n{p.message_en}" for p in problems)
    return clean_for_xlsx("\n\n".join(paragraphs))
