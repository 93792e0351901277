"""The error report's rows: the seller's values with the problems placed on rows and cells.

Why a module of its own: the XLSX, its CSV twin and the rejected-rows file all show the same
rows in the same order, so they are computed once here and each writer only lays them out.

Decisions:
- Row numbers are always the ones the seller sees in Excel (the index of `ReportInput.rows`),
  never positions in the DataFrame.
- A problem names its column by the seller's header text; it is placed on the first column
  with that text, matched exactly and then trimmed and casefolded.
- A row is rejected when it has a row or cell problem of severity error. File-level problems
  (row None) reject no row: they stay out of the grid and the summary shows them.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from marketplace.errors import Problem, Reason, Severity

if TYPE_CHECKING:
    from reports.import_report import ReportInput


@dataclass
class ReportGrid:
    """The report's rows: the seller's values and the problems placed on rows and cells."""

    width: int  # number of seller columns
    positions: dict[str, int]  # seller header text -> position
    values: dict[int, list[str]]  # Excel row number -> values by position
    by_row: dict[int, list[Problem]]  # Excel row number -> its problems, in column order
    by_cell: dict[tuple[int, int], list[Problem]]  # (row, position) -> problems on that cell
    rejected: set[int]  # rows with an error
    undetailed: set[int] = field(default_factory=set)  # rejected by problems not detailed

    @property
    def row_numbers(self) -> list[int]:
        return sorted(self.values.keys() | self.by_row.keys())


def build_grid(report: ReportInput) -> ReportGrid:
    unsplit = _unsplit_rows(report)
    width = max(len(report.headers), len(report.rows.columns),
                *(len(cells) for cells in unsplit.values()))
    positions = _header_positions(report.headers)
    frame = report.rows.reindex(columns=range(width))
    values = {
        int(number): [_as_text(value) for value in cells]
        for number, *cells in frame.itertuples(name=None)
    }
    values |= {row: padded(cells, width) for row, cells in unsplit.items() if row not in values}
    grid = ReportGrid(width, positions, values, defaultdict(list), defaultdict(list), set())
    row_problems = [p for p in report.problems if p.row is not None]
    for problem in sorted(row_problems, key=lambda p: sort_key(p, positions)):
        row = int(problem.row)
        grid.by_row[row].append(problem)
        position = _position(problem.column, positions)
        if position is not None:
            grid.by_cell[(row, position)].append(problem)
        if problem.severity == Severity.ERROR:
            grid.rejected.add(row)
    # past the problems detailed (`loaders.checking.MAX_DETAILED`): sent back all the same
    grid.undetailed = set(report.rejected_rows) - grid.rejected
    grid.rejected |= grid.undetailed
    return grid


def _unsplit_rows(report: ReportInput) -> dict[int, list[str]]:
    """The rows the reader refused whole (too many fields, unpaired quotes), split on the
    file's delimiter as they are: shown and sent back as the seller wrote them, to be fixed."""
    delimiter = (report.info.delimiter if report.info else None) or ","
    return {
        int(p.row): next(csv.reader(io.StringIO(p.value), delimiter=delimiter), [])
        for p in report.problems
        if p.code in (Reason.FIELD_COUNT, Reason.UNBALANCED_QUOTE) and p.row is not None and p.value
    }


def sort_key(problem: Problem, positions: dict[str, int]) -> tuple[int, int, int]:
    """File-level problems first, then by row, then row-level before cell-level by column."""
    if problem.row is None:
        return (0, 0, 0)
    position = _position(problem.column, positions)
    return (1, problem.row, -1 if position is None else position)


def padded(headers: list[str], width: int) -> list[str]:
    return [*headers, *[""] * (width - len(headers))]


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


def _as_text(value: object) -> str:
    """A cell as text: the readers give `str`, but a reindexed or missing cell is NaN."""
    if isinstance(value, str):
        return value
    return "" if pd.isna(value) else str(value)
