"""The error report a seller gets for an imported file (offers.md, "The error report").

Why it exists: one call that turns what the import found into the files the seller gets back,
published together or not at all. The seller fixes their own spreadsheet, so the XLSX shows
their rows as they sent them (`reports.report_workbook`); the CSV twin gives machines one line
per problem (`reports.report_csv`); the rejected rows come back in the seller's own columns and
format so that they can be fixed and sent again (`reports.report_rejected`). All three show the
same rows and problems (`reports.report_grid`), with the row numbers the seller sees in Excel.

Decisions:
- Every file is written under a hidden temporary name in `out_dir`, and all are renamed into
  place only once all were written (reliability.md, "Published or not at all"). A rejected-rows
  file left by an earlier run of the same stem, in the other format or now without rejected
  rows, is removed so that a rerun replaces and never leaves a stale file next to the new ones.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from loaders.table import ReadInfo
from marketplace.errors import Problem
from reports.report_csv import write_problems_csv
from reports.report_grid import build_grid
from reports.report_rejected import write_rejected_csv, write_rejected_xlsx
from reports.report_workbook import write_report_xlsx


@dataclass
class ReportInput:
    """Everything the report shows about one imported file."""

    file_name: str  # the file's name as the seller sent it ("Offres d'été n°3.xlsx")
    kind: str  # "offers", "promotions", "sellers", "orders"
    seller_id: int | None
    import_id: int | None  # None: a check-only run (`marketplace validate`)
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
    rejected_rows: frozenset[int] = frozenset()  # every row rejected, problems detailed or not
    amount_columns: frozenset[int] = frozenset()  # positions of the amounts read with decimal_separator
    export_day: date | None = None  # an order export's day: in its rejected rows' file name


@dataclass
class ReportFiles:
    """Where the report was published; `rejected` is None when no row was rejected."""

    xlsx: Path
    csv: Path
    rejected: Path | None


def write_import_report(out_dir: Path, stem: str, report: ReportInput) -> ReportFiles:
    """Write `<stem>-errors.xlsx`, `<stem>-errors.csv` and, if rows were rejected,
    `<stem>-rejected.csv|xlsx` (`<stem>-rejected-<YYYY-MM-DD>.csv` for an order export) into
    `out_dir`, each published whole or not at all."""
    grid = build_grid(report)
    files = ReportFiles(
        xlsx=out_dir / f"{stem}-errors.xlsx", csv=out_dir / f"{stem}-errors.csv", rejected=None
    )
    writers: dict[Path, Callable[[Path], None]] = {
        files.xlsx: lambda path: write_report_xlsx(path, report, grid),
        files.csv: lambda path: write_problems_csv(path, report, grid),
    }
    resendable = [row for row in sorted(grid.rejected) if row in grid.values]
    if resendable:
        is_xlsx = report.info is not None and report.info.format == "xlsx"
        # an order export's day in the name: fixed and sent again, the rows are that day's state
        # (dated by their latest event, they were older than the export that rejected them)
        day = f"-{report.export_day.isoformat()}" if report.export_day else ""
        files.rejected = out_dir / f"{stem}-rejected{day}.{'xlsx' if is_xlsx else _text_suffix(report)}"
        write_rejected = write_rejected_xlsx if is_xlsx else write_rejected_csv
        writers[files.rejected] = lambda path: write_rejected(path, report, grid, resendable)
    _publish(out_dir, writers)
    for stale in out_dir.glob(f"{stem}-rejected*"):
        if stale != files.rejected and stale.suffix.lstrip(".") in ("xlsx", *TEXT_SUFFIXES):
            stale.unlink(missing_ok=True)
    return files


TEXT_SUFFIXES = ("csv", "txt", "tsv")


def _text_suffix(report: ReportInput) -> str:
    """The seller's own extension (Excel's "Unicode text" export is a .txt), else csv."""
    suffix = Path(report.file_name).suffix.lower().lstrip(".")
    return suffix if suffix in TEXT_SUFFIXES else "csv"


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
