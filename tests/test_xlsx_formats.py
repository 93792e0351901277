"""XLSX cells read as the text Excel shows: the cell's number format decides how a number or a
date is written, as the seller sees it in Excel (then the schemas validate that text)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from loaders.xlsx_reader import cell_text
from schemas.columns import known_header_names, map_headers
from schemas.parsing import parse_cents
from schemas.parsing_dates import parse_end_instants
from schemas.promotions import PROMOTION_COLUMNS, validate_promotions
from tests.test_promotions_schema import context
from tests.test_reader import read, rewrite_entry, rows


def formatted_xlsx(path: Path, cells: list[tuple[object, str]]) -> Path:
    """A sheet `sku | title` whose title column holds each value in its number format, one a row.

    Floats are stored as Excel stores them, to 17 significant digits (`19.990000000000002`):
    openpyxl writes 16 (`19.99`), which would hide the noise of a computed cell."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["sku", "title"])
    for number, (value, number_format) in enumerate(cells, start=2):
        sheet.cell(number, 1, f"A{number}")
        sheet.cell(number, 2, value).number_format = number_format
    workbook.save(path)
    floats = [value for value, _ in cells if isinstance(value, float)]

    def as_excel_writes(xml: bytes) -> bytes:
        for value in floats:
            xml = xml.replace(f"<v>{value:.16g}</v>".encode(), f"<v>{value!r}</v>".encode())
        return xml

    rewrite_entry(path, "xl/worksheets/sheet1.xml", as_excel_writes)
    return path


def shown(tmp_path: Path, value: object, number_format: str) -> str:
    """The text the reader gives for `value` written in a cell of that number format."""
    _, frame, _ = read(formatted_xlsx(tmp_path / "f.xlsx", [(value, number_format)]))
    return frame.loc[2, 1]


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (19.990000000000002, "General", "19.99"),  # =A1*B1 and the like: Excel keeps 15 digits
        (0.30000000000000004, "General", "0.3"),
        (13.049999999999999, "0.00", "13.05"),
        (17.799999999999997, "#,##0.00 €", "17.8"),
        (12.0, "General", "12"),
        (-0.0, "General", "0"),
        (12.555, "General", "12.555"),  # what the seller typed stays (and is refused: 3 decimals)
        (1e-7, "General", "0.0000001"),
        (3.60029e12, "General", "3600290000000"),
        (42, "General", "42"),
        # a scientific format shows the notation: the identifier rules refuse it, as in a CSV
        (3760130000000.0, "0.00E+00", "3.76E+12"),
        (3760130000000, "0.00000E+00", "3.76013E+12"),
    ],
)
def test_numbers_read_to_15_significant_digits(
    tmp_path: Path, value: float, number_format: str, text: str
) -> None:
    assert shown(tmp_path, value, number_format) == text


def test_computed_prices_are_no_longer_too_precise(tmp_path: Path) -> None:
    values = [19.990000000000002, 0.30000000000000004, 13.049999999999999, 17.799999999999997]
    _, frame, _ = read(formatted_xlsx(tmp_path / "f.xlsx", [(v, "General") for v in values]))
    cents, unreadable, too_precise = parse_cents(frame[1], ".")
    assert cents.tolist() == [1999, 30, 1305, 1780]
    assert not unreadable.any() and not too_precise.any()


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (12345678905, "0000000000000", "0012345678905"),
        (123, "000000", "000123"),
        (123.0, "000000", "000123"),
        (-123, "000000", "-000123"),
        (1234567, "000000", "1234567"),  # wider than the format: every digit shows
        (123, "0", "123"),
        (12.5, "000000", "12.5"),  # not a whole number: left as it is
        (123, "#,##0", "123"),  # not a plain zero-padding format: left alone
        (123, '"FR"000000', "123"),
    ],
)
def test_zero_padding_formats_keep_the_leading_zeros(
    tmp_path: Path, value: float, number_format: str, text: str
) -> None:
    assert shown(tmp_path, value, number_format) == text


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (datetime(2027, 1, 6), "dd/mm/yyyy hh:mm", "2027-01-06 00:00:00"),
        (datetime(2027, 1, 6), "yyyy-mm-dd h:mm:ss", "2027-01-06 00:00:00"),
        (datetime(2027, 1, 6, 9, 30), "d/m/yy h:mm AM/PM", "2027-01-06 09:30:00"),
        (datetime(2027, 1, 6, 9, 30), "dd/mm/yyyy hh:mm", "2027-01-06 09:30:00"),
        # a time the format hides is still read: the seller typed it into a date column
        (datetime(2026, 12, 22, 15, 30), "dd/mm/yyyy", "2026-12-22 15:30:00"),
        (datetime(2026, 12, 22), "dd/mm/yyyy", "2026-12-22"),
        (datetime(2026, 12, 22), "[$-40C]dddd d mmmm yyyy", "2026-12-22"),
        (datetime(2026, 12, 22), 'dd/mm/yyyy" hors délai"', "2026-12-22"),  # quoted h, s
    ],
)
def test_the_format_says_date_alone_or_date_time(
    tmp_path: Path, value: datetime, number_format: str, text: str
) -> None:
    assert shown(tmp_path, value, number_format) == text


def test_an_end_date_typed_at_midnight_ends_at_midnight(tmp_path: Path) -> None:
    cells = [(datetime(2027, 1, 6), "dd/mm/yyyy hh:mm"), (datetime(2026, 12, 22), "dd/mm/yyyy"),
             (datetime(2027, 1, 6, 8), "dd/mm/yyyy")]
    _, frame, _ = read(formatted_xlsx(tmp_path / "f.xlsx", cells))
    ends, unreadable = parse_end_instants(frame[1])
    assert not unreadable.any()
    assert ends.tolist() == [  # Paris time: UTC+1 in winter
        pd.Timestamp("2027-01-05 23:00", tz="UTC"),  # the instant typed
        pd.Timestamp("2026-12-22 23:00", tz="UTC"),  # a date alone: the whole day
        pd.Timestamp("2027-01-06 07:00", tz="UTC"),  # 08:00 typed into a date-formatted cell
    ]


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (0.2, "0%", "20 %"),
        (0.2, "0.00%", "20 %"),
        (0.07, "0%", "7 %"),  # 0.07 × 100 is 7.000000000000001 in floats
        (0.155, "0.0%", "15.5 %"),
        (1 - 7.83 / 8.7, "0%", "10 %"),  # =1-7,83/8,7 caches 0.09999999999999987: Excel shows 10 %
        (0.1998, "0.00%", "19.98 %"),  # a real 19.98 % stays what it is
        (1, "0%", "100 %"),
        (0.2, "General", "0.2"),
        (20, '0" %"', "20"),  # a quoted % is text: Excel shows 20 %, the cell holds 20
    ],
)
def test_percent_formats_read_as_percent(tmp_path: Path, value: float, number_format: str, text: str) -> None:
    assert shown(tmp_path, value, number_format) == text


def test_cell_text_defaults_to_the_general_format() -> None:
    assert (cell_text(0.1 + 0.2), cell_text(123, "000000"), cell_text(0.2, "0%")) == ("0.3", "000123", "20 %")


def test_rows_of_blank_cells_are_empty_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    for row in [["sku", "title"], ["A1", "x"], [" ", "\u00a0"], ["  ", None], [None, "\t "], ["A2", " y "]]:
        workbook.active.append(row)
    workbook.save(tmp_path / "f.xlsx")
    info, frame, problems = read(tmp_path / "f.xlsx")
    assert rows(frame) == {2: ["A1", "x"], 6: ["A2", " y "]}
    assert (info.rows_read, problems) == (2, [])


def test_a_promotion_workbook_reads_as_the_seller_sees_it(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["sku", "type", "remise %", "début", "fin"])
    sheet.append(["A", 6, 0.2, datetime(2026, 12, 4, 8), datetime(2026, 12, 6)])
    for cell, number_format in zip(sheet[2][2:], ["0%", "dd/mm/yyyy hh:mm", "dd/mm/yyyy hh:mm"], strict=True):
        cell.number_format = number_format
    workbook.save(tmp_path / "p.xlsx")
    info, frame, _ = read(tmp_path / "p.xlsx", known_header_names(PROMOTION_COLUMNS))
    result = validate_promotions(frame, map_headers(info.headers, PROMOTION_COLUMNS), context())
    assert result.problems == []
    assert result.valid.loc[2, ["discount_percent", "end_at"]].tolist() == [
        20, pd.Timestamp("2026-12-05 23:00", tz="UTC")]  # 00:00 typed: not the whole of the 6th
