"""Per-seller statements of month M: `statements/<seller_id>.xlsx` and `.csv`.

The seller's entries of M in the order they happened (occurred_at, then booking order),
between the opening (carried-in) and closing balance, with a running balance, so a seller can
check every line against their orders. Written from the stored ledger, in a pool of processes
when there are many (10,000 sellers: xlsxwriter is CPU-bound), each worker opening its own
storage from the settings (a storage client is not shared across processes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import xlsxwriter

from marketplace.calendar import PARIS
from marketplace.config import Settings
from marketplace.layout import safe_key
from marketplace.storage import open_storage
from reports.payout_files import money
from reports.safe_cells import SpreadsheetCsvWriter, clean_for_xlsx, inert_text

COLUMNS = ("date", "type", "reference", "libelle / text", "montant / amount", "dont TVA / of which VAT",
           "solde / balance")


@dataclass(frozen=True)
class Statement:
    seller_id: int
    shop_name: str
    opening: int
    entries: pd.DataFrame  # entry_type, occurred_at (naive UTC), reference, text, amount, vat


def statement_key(month: str, seller_id: int, suffix: str) -> str:
    return safe_key("outbox", "payouts", month, "statements", f"{seller_id}.{suffix}")


def _rows(statement: Statement) -> list[list]:
    entries = statement.entries
    running = statement.opening + entries["amount"].cumsum()
    when = (pd.to_datetime(entries["occurred_at"]).dt.tz_localize("UTC")
            .dt.tz_convert(ZoneInfo(PARIS)).dt.strftime("%Y-%m-%d %H:%M"))
    return [[w, t, inert_text(str(r)), inert_text(str(x)), int(a), int(v), int(b)]
            for w, t, r, x, a, v, b in zip(when, entries["entry_type"], entries["reference"],
                                           entries["text"], entries["amount"], entries["vat"],
                                           running, strict=True)]


def statement_csv(statement: Statement, month: str) -> bytes:
    rows = _rows(statement)
    closing = statement.opening + int(statement.entries["amount"].sum())
    out = io.StringIO()
    writer = SpreadsheetCsvWriter(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(["", "OPENING", month, "Solde reporté / opening balance", "", "",
                     money(statement.opening)])
    writer.writerows([*row[:4], money(row[4]), money(row[5]), money(row[6])] for row in rows)
    writer.writerow(["", "CLOSING", month, "Solde de clôture / closing balance", "", "", money(closing)])
    return out.getvalue().encode("utf-8-sig")


def statement_xlsx(statement: Statement, month: str, created: datetime) -> bytes:
    rows = _rows(statement)
    closing = statement.opening + int(statement.entries["amount"].sum())
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": created})
    bold = book.add_format({"bold": True})
    amount = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet("Relevé - Statement")
    sheet.write_string(0, 0, clean_for_xlsx(inert_text(
        f"Relevé / statement {month} — {statement.seller_id} {statement.shop_name}")), bold)
    sheet.write_row(2, 0, COLUMNS, bold)
    sheet.write_string(3, 3, "Solde reporté / opening balance", bold)
    sheet.write_number(3, 6, Decimal(statement.opening).scaleb(-2), amount)
    for i, row in enumerate(rows, start=4):
        for col, value in enumerate(row):
            if col >= 4:
                sheet.write_number(i, col, Decimal(value).scaleb(-2), amount)
            else:
                sheet.write_string(i, col, clean_for_xlsx(value))
    last = 4 + len(rows)
    sheet.write_string(last, 3, "Solde de clôture / closing balance", bold)
    sheet.write_number(last, 6, Decimal(closing).scaleb(-2), amount)
    sheet.set_column(0, 0, 17)
    sheet.set_column(1, 2, 20)
    sheet.set_column(3, 3, 48)
    sheet.set_column(4, 6, 14)
    book.close()
    return buffer.getvalue()


def write_chunk(settings: Settings, month: str, created: datetime,
                statements: list[Statement]) -> list[str]:
    """Write these statements (run in a worker process: opens its own storage)."""
    storage = open_storage(settings)
    written = []
    for statement in statements:
        written.append(storage.write_bytes(statement_key(month, statement.seller_id, "csv"),
                                           statement_csv(statement, month)))
        written.append(storage.write_bytes(statement_key(month, statement.seller_id, "xlsx"),
                                           statement_xlsx(statement, month, created)))
    return written


def build_statements(lines: pd.DataFrame, entries: pd.DataFrame) -> list[Statement]:
    """One statement per decided seller (a seller with only a carried balance gets one too)."""
    groups = dict(tuple(entries.groupby("seller_id", sort=False)))
    empty = entries.iloc[0:0]
    return [Statement(int(seller), str(shop or ""), int(opening), groups.get(seller, empty))
            for seller, shop, opening in zip(lines["seller_id"], lines["shop_name"],
                                             lines["opening"], strict=True)]


def chunked(statements: list[Statement], pieces: int) -> list[list[Statement]]:
    """About `pieces` slices, so that the pool's workers stay busy until the end."""
    size = max(1, -(-len(statements) // pieces))
    return [statements[i:i + size] for i in range(0, len(statements), size)]
