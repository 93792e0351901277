"""The error report's CSV twin: one line per problem, for machines.

Why a module of its own: the XLSX is laid out for the seller to read; this file gives machines
the same problems, one line each under a fixed header (`CSV_COLUMNS`).

Decisions:
- File-level problems first, then by row and, within a row, row-level problems before
  cell-level ones in column order (`report_grid.sort_key`).
- Row numbers are the seller's Excel ones, like everywhere in the report.
- Texts copied from the input go through `reports.safe_cells.inert_text`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from marketplace.errors import Problem
from reports.report_grid import ReportGrid, sort_key
from reports.safe_cells import SpreadsheetCsvWriter, inert_text

if TYPE_CHECKING:
    from reports.import_report import ReportInput

CSV_COLUMNS = ("row", "column", "value", "code", "message_fr", "message_en")


def write_problems_csv(path: Path, report: ReportInput, grid: ReportGrid) -> None:
    problems = sorted(report.problems, key=lambda p: sort_key(p, grid.positions))
    with path.open("w", encoding="utf-8-sig", errors="replace", newline="") as out:
        writer = SpreadsheetCsvWriter(out)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_problem_line(problem) for problem in problems)


def _problem_line(problem: Problem) -> list[str]:
    row = "" if problem.row is None else str(problem.row)
    texts = (problem.column or "", problem.value or "", str(problem.code), problem.message_fr,
             problem.message_en)
    return [row, *(inert_text(text) for text in texts)]
