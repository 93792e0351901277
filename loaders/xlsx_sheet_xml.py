"""What a sheet's XML says that openpyxl's read-only values do not.

Formula cells without a calculated value: Excel and LibreOffice save every formula with the
value it last calculated, and that value is what the reader reads (`data_only`). A workbook
written by a program (an ERP export, a script using openpyxl) may hold `=B2*1.2` with no value
at all: openpyxl then reads the cell as empty, while the seller, who opens the file in Excel,
sees a price. openpyxl's read-only parser drops the formula when it reads values, hence a scan
of the part rather than a second parse, so that the report can say why the cell was read empty
and how to fix it (open the file, save it, send it again).

Merged cells: Excel shows a merged range's value across it, but only its first cell holds
it; the others are read empty, and a category merged over three rows left two of them
"required and empty" with nothing to say why.

Rows out of order: Excel and LibreOffice write a sheet's rows in order, but a program may
not (`<row r="5">` before `<row r="3">`); openpyxl's read-only reader then skips the row that
goes back, without a word, so a seller's row would be lost.

Totals rows of Excel Tables: a table's definition (its own part) says how many rows at its
bottom are totals, which no seller means as offers.

Values after the reader stopped: the reader gives up after a long run of empty rows (a sheet
formatted down to row 1,048,576); the last row holding a value says whether it left any.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape

from openpyxl.utils import column_index_from_string

from loaders.xlsx_guard import entry_head, resolve_part, workbook_part

BLOCK_BYTES = 4 * 1024**2
_TAG = rb"<(?:\w+:)?"  # SpreadsheetML is written with or without a namespace prefix
_CELL_WITHOUT_VALUE = re.compile(
    _TAG + rb"c\b([^>]*)>\s*" + _TAG + rb"f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*"
    rb"(" + _TAG + rb"v\s*/>|" + _TAG + rb"v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_FORMULA_CELL = re.compile(_TAG + rb"c\b([^>]*)>\s*" + _TAG + rb"f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)")
_TEXT_RESULT = re.compile(rb'\bt="str"')
_FULL_CALC_ON_LOAD = re.compile(rb"""<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*["'](?:1|true)["']""")
_REFERENCE = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_ROW_START = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]+)"')
_VALUE = re.compile(rb"<(?:\w+:)?[vt]\b[^>]*>\s*[^<\s]")  # a cell value, or inline text
_MERGE = re.compile(_TAG + rb'mergeCell\b[^>]*?\bref="([A-Z]{1,3})([0-9]+):([A-Z]{1,3})([0-9]+)"')


@dataclass(frozen=True)
class MergedRange:
    """A merged range, as Excel names it ("C2:C4"), with its first row and column (0-based)
    and its last row and column."""

    ref: str
    first_row: int
    last_row: int
    first_column: int
    last_column: int


@dataclass
class SheetScan:
    uncalculated: dict[int, dict[int, str]] = field(default_factory=dict)
    literals: dict[int, dict[int, str]] = field(default_factory=dict)  # row: {column: value}
    merged: list[MergedRange] = field(default_factory=list)
    out_of_order: tuple[int, int] | None = None  # (a row, the row written after it) going back


def scan_sheet(sheet, width: int) -> SheetScan:
    """One pass over the sheet's part: `uncalculated`, {Excel row: {column index < `width`:
    "=formula"}} of its formula cells without a value ("=" alone for a shared formula, whose
    text is in another cell; a formula whose text result is empty, `t="str"` and `<v></v>`, has
    one), or of every formula cell when the workbook asks to be recalculated on opening (a
    program writing `<v>0</v>` in each: the stock read 0 where Excel shows 12); `literals`,
    the same for formulas that are their own value (`="0012345678905"`), with it; `merged`, its
    merged ranges over more than one cell starting left of `width`; `out_of_order`, the first
    row written after a row of the same or a later number. `sheet` is an openpyxl read-only
    worksheet; without access to its part, nothing is found."""
    found = SheetScan()
    previous = 0
    stale = values_recalculated_on_opening(sheet)
    for block in _whole_rows(sheet):
        if found.out_of_order is None:
            for start in _ROW_START.finditer(block):
                number = int(start.group(1))
                if number <= previous:
                    found.out_of_order = (previous, number)
                    break
                previous = number
        if b"mergeCell" in block:
            found.merged += _merged_ranges(block, width)
        if b"<f" not in block and b":f" not in block:  # no formula here: skip the scan
            continue
        for match in (_FORMULA_CELL if stale else _CELL_WITHOUT_VALUE).finditer(block):
            reference = _REFERENCE.search(match.group(1))
            if reference is None or (not stale and match.group(3) and _TEXT_RESULT.search(match.group(1))):
                continue
            column = column_index_from_string(reference.group(1).decode()) - 1
            if column < width:
                formula = unescape((match.group(2) or b"").decode("utf-8", "replace"))
                row = int(reference.group(2))
                if (literal := _LITERAL.fullmatch(formula.strip())) is not None:
                    found.literals.setdefault(row, {})[column] = (
                        literal["number"] or literal["text"].replace('""', '"'))
                else:
                    found.uncalculated.setdefault(row, {})[column] = f"={formula}"
    return found


_LITERAL = re.compile(r'"(?P<text>(?:[^"]|"")*)"|(?P<number>[+-]?\d+(?:\.\d+)?)')
"""A formula that is its own value: `="0012345678905"`, which exports write so that Excel keeps
an EAN's leading zeros (with 0 stored as its value by a program that calculates nothing)."""


def _merged_ranges(block: bytes, width: int) -> list[MergedRange]:
    ranges = []
    for first_col, first_row, last_col, last_row in _MERGE.findall(block):
        column = column_index_from_string(first_col.decode()) - 1
        last_column = column_index_from_string(last_col.decode()) - 1
        if column < width and (int(last_row) > int(first_row) or last_column > column):
            ref = f"{first_col.decode()}{int(first_row)}:{last_col.decode()}{int(last_row)}"
            ranges.append(MergedRange(ref, int(first_row), int(last_row), column, last_column))
    return ranges


def last_row_with_value(sheet) -> int | None:
    """The Excel number of the sheet's last row holding a value (None: none, or no access)."""
    last = None
    for block in _whole_rows(sheet):
        final = deque(_VALUE.finditer(block), maxlen=1)  # the block's last value
        if final:
            starts = deque(_ROW_START.finditer(block, 0, final[0].start()), maxlen=1)
            last = int(starts[0].group(1)) if starts else last
    return last


_TABLE_RELATION = re.compile(rb'<(?:\w+:)?Relationship\b[^>]*?Type="[^"]*/table"[^>]*?/?>')
_TARGET = re.compile(rb'\bTarget="([^"]+)"')
_TABLE_REF = re.compile(rb'\bref="([A-Z]{1,3})([0-9]+):([A-Z]{1,3})([0-9]+)"')
_TOTALS = re.compile(rb'\btotalsRowCount="([0-9]+)"')
_SMALL_PART = 64 * 1024  # a table's definition: its columns' names, a few KB


def table_total_rows(sheet, header_row: int, first_column: int) -> set[int]:
    """The Excel numbers of the totals rows ("Ligne Total") of the Excel Table read: the one
    whose header is the header row read and which holds its first header cell (`first_column`,
    0-based; a summary table beside it has its own totals, on rows of offers). Its "Total" and
    the sum of the stock were taken for an offer without sku (and, rejected, stopped a
    replace). Empty when openpyxl gives no access to the parts, or the table's definition is
    not one Excel writes."""
    archive, part = getattr(sheet.parent, "_archive", None), getattr(sheet, "_worksheet_path", None)
    if archive is None or part is None:
        return set()
    folder, _, name = part.rpartition("/")
    relations = f"{folder}/_rels/{name}.rels"
    if relations not in archive.namelist():
        return set()
    totals: set[int] = set()
    for relation in _TABLE_RELATION.finditer(entry_head(archive, relations, _SMALL_PART)):
        target = _TARGET.search(relation.group())
        path = resolve_part(folder, target.group(1).decode()) if target else None
        if path is None or path not in archive.namelist():
            continue
        table = entry_head(archive, path, _SMALL_PART)
        ref, count = _TABLE_REF.search(table), _TOTALS.search(table)
        if not (ref and count):
            continue
        first, last, totals_count = int(ref.group(2)), int(ref.group(4)), int(count.group(1))
        left, right = (column_index_from_string(ref.group(n).decode()) - 1 for n in (1, 3))
        ours = first == header_row and left <= first_column <= right
        if ours and 0 < totals_count < last - first:  # a count past its rows is no table's
            totals.update(range(last - totals_count + 1, last + 1))
    return totals


def values_recalculated_on_opening(sheet) -> bool:
    """Whether the workbook tells Excel to recalculate every formula when it opens
    (`fullCalcOnLoad`): programs that write formulas without calculating them (xlsxwriter and
    the exports built on it) set it and store 0 as each formula's value; Excel and LibreOffice
    clear it when they save."""
    archive = getattr(sheet.parent, "_archive", None)
    if archive is None:
        return False
    part = workbook_part(archive)
    if part not in archive.namelist():
        return False
    return _FULL_CALC_ON_LOAD.search(entry_head(archive, part, 4 * 1024**2)) is not None


def _whole_rows(sheet) -> Iterator[bytes]:
    """The sheet's XML part in blocks that end after a row's closing tag, so no cell is cut in
    two; nothing when openpyxl gives no access to the part (its archive and part name are
    private attributes of a read-only worksheet)."""
    archive, part = getattr(sheet.parent, "_archive", None), getattr(sheet, "_worksheet_path", None)
    if archive is None or part is None:
        return
    with archive.open(part) as xml:
        yield from _blocks(xml)


def _blocks(xml) -> Iterator[bytes]:
    pending = b""
    while block := xml.read(BLOCK_BYTES):
        pending += block
        ends = [m.end() for m in _ROW_END.finditer(pending, max(len(pending) - len(block) - 16, 0))]
        if ends:
            yield pending[:ends[-1]]
            pending = pending[ends[-1]:]
    if pending:
        yield pending
