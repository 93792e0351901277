"""The rejected rows, ready to resend: the seller's own columns in the seller's own format.

Why it exists: the seller fixes these rows and sends them again, so the file must be one they
can import as is: their header texts, their values unchanged, and for a CSV their encoding and
delimiter (and Excel's `sep=` line when they had one); for an XLSX their sheet name when Excel
accepts it.

Decisions:
- Which rows come back is decided by `write_import_report`: rejected rows (see
  `reports.report_grid`) that have values. A file-level rejection produces no rejected-rows
  file (the seller fixes and resends their own file). A row the reader refused for its
  number of fields comes back split as it was sent; one with unpaired quotes has no values to
  resend (the XLSX summary lists it).
- An amount whose separator only the rest of the file told (`12,500` beside `9,90`: 12,50)
  comes back as it was read (`12,50`): alone in the smaller file it is "thousands or
  decimals?", and the fixed file was refused for a price the first import had accepted. A
  value the import refused comes back as sent.
- Values go through `reports.safe_cells.inert_text` (text cells in the Text format in XLSX):
  the apostrophe before a formula's first character, which the readers take off again when
  the fixed file comes back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import xlsxwriter

from loaders.table import ReadInfo
from reports.report_grid import ReportGrid, padded
from reports.report_workbook import write_text
from reports.safe_cells import SpreadsheetCsvWriter, clean_for_xlsx, inert_text

if TYPE_CHECKING:
    from reports.import_report import ReportInput


def write_rejected_csv(path: Path, report: ReportInput, grid: ReportGrid, rows: list[int]) -> None:
    info = report.info
    encoding = (info.encoding if info else None) or "utf-8"
    delimiter = (info.delimiter if info else None) or ","
    with path.open("w", encoding=encoding, errors="replace", newline="") as out:
        if info and info.delimiter_hint:  # without it, an Excel of another locale splits nothing
            out.write(f"sep={delimiter}\r\n")
        writer = SpreadsheetCsvWriter(out, delimiter=delimiter)
        for line in _resend_lines(report, grid, rows):
            writer.writerow([inert_text(value) for value in line])


def write_rejected_xlsx(path: Path, report: ReportInput, grid: ReportGrid, rows: list[int]) -> None:
    with xlsxwriter.Workbook(str(path)) as workbook:
        sheet = workbook.add_worksheet(_sheet_name(report.info))
        text = workbook.add_format({"num_format": "@"})
        for sheet_row, line in enumerate(_resend_lines(report, grid, rows)):
            for column, value in enumerate(line):
                write_text(sheet, sheet_row, column, inert_text(clean_for_xlsx(value)), text)


def _resend_lines(report: ReportInput, grid: ReportGrid, rows: list[int]) -> Iterable[list[str]]:
    """The header and the rows, each as wide as the header unless it holds more: a row sent
    with too many fields comes back with them, and does not widen every other line."""
    width = len(report.headers)
    yield report.headers
    separator = report.decimal_separator
    for number in rows:
        values = grid.values[number]
        filled = max((i + 1 for i, value in enumerate(values) if value != ""), default=0)
        line = padded(values[:max(width, filled)], width)
        if separator:
            for position in report.amount_columns & set(range(len(line))):
                line[position] = _as_read(line[position], separator)
        yield line


_DECIMALS_ENDING_IN_0 = re.compile(r"(\s*[+-]?\d{1,3}([.,])\d\d)0(\s*(?:€|eur)?\s*)", re.IGNORECASE)
"""An amount with one separator before three digits, the last a 0: 12,500 (or 1.250)."""


def _as_read(value: str, decimal_separator: str) -> str:
    """`value` as the import read it when alone it could be either: `12,500` → `12,50` where the
    comma was the decimal separator. Any other is left as sent: the import refused it (`2.500`
    beside comma prices was asked "thousands or decimals?", and settling it here loaded 2 500 €
    from the fixed file; three decimals not ending in 0 are too many)."""
    found = _DECIMALS_ENDING_IN_0.fullmatch(value)
    if found is None or found.group(2) != decimal_separator:
        return value
    return found.group(1) + found.group(3)


def _sheet_name(info: ReadInfo | None) -> str | None:
    """The seller's sheet name when Excel accepts it, else xlsxwriter's default."""
    name = info.sheet if info else None
    if not name or len(name) > 31 or any(char in name for char in "[]:*?/\\"):
        return None
    return None if name.startswith("'") or name.endswith("'") else name
