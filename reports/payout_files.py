"""payouts.csv and payouts.xlsx for finance (payouts.md, "Files").

The CSV has exactly the spec's columns in order, amounts with a dot and two decimals signed as
in the ledger (a payout is negative: it debits the balance), then a totals row (`TOTAL` in
seller_id). The XLSX shows the same lines and totals, plus a summary sheet: the marketplace's
revenue (commissions net of commission refunds, subscriptions and premium plans, excl. VAT and
VAT) and a chart of commission revenue by category. A draft is written under other names
(`payouts-DRAFT.*`) with a DRAFT banner, so it can never be mistaken for the closed files.
Texts from the registry (names, reasons) go through `inert_text`; the IBAN is masked.
Amounts are written to the XLSX as cents / 100 by xlsxwriter's own number formatting of a
Decimal (the spreadsheet's own type): no float arithmetic happens here.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pandas as pd
import xlsxwriter

from reports.payout_lines import AMOUNT_COLUMNS, CSV_COLUMNS
from reports.safe_cells import SpreadsheetCsvWriter, clean_for_xlsx, inert_text

TEXT_COLUMNS = ("shop_name", "legal_name", "reason")
DRAFT_BANNER = "BROUILLON / DRAFT — non clôturé, aucun virement ni facture / not closed"


def money(cents: int) -> str:
    """12345 → "123.45", -5 → "-0.05": a dot, two decimals, the ledger's sign."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"


def _euros(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _totals(lines: pd.DataFrame) -> dict[str, int]:
    return {column: int(lines[column].sum()) for column in AMOUNT_COLUMNS}


def payouts_csv(lines: pd.DataFrame) -> bytes:
    """The CSV's bytes (UTF-8 with BOM: Excel in France opens it right)."""
    out = io.StringIO()
    writer = SpreadsheetCsvWriter(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines[list(CSV_COLUMNS)].itertuples(index=False):  # one per seller
        values = line._asdict()
        writer.writerow([money(values[c]) if c in AMOUNT_COLUMNS
                         else inert_text(_text(values[c])) if c in TEXT_COLUMNS
                         else _text(values[c]) for c in CSV_COLUMNS])
    totals = _totals(lines)
    writer.writerow(["TOTAL", "", "", *(money(totals[c]) for c in AMOUNT_COLUMNS), "", "", ""])
    return out.getvalue().encode("utf-8-sig")


def payouts_xlsx(lines: pd.DataFrame, revenue: pd.DataFrame, month: str, draft: bool,
                 created: datetime) -> bytes:
    """The workbook's bytes: lines and totals, then the revenue summary with its chart.

    `created` (the close's time) is the document's creation date: a re-issue is byte-identical.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": created})
    bold = book.add_format({"bold": True})
    amount = book.add_format({"num_format": "#,##0.00"})
    amount_bold = book.add_format({"num_format": "#,##0.00", "bold": True})
    sheet = book.add_worksheet("Virements - Payouts")
    row = 0
    if draft:
        sheet.write_string(0, 0, DRAFT_BANNER, book.add_format({"bold": True, "font_color": "red"}))
        row = 1
    sheet.write_row(row, 0, CSV_COLUMNS, bold)
    for line in lines[list(CSV_COLUMNS)].itertuples(index=False):
        row += 1
        values = line._asdict()
        for col, name in enumerate(CSV_COLUMNS):
            if name in AMOUNT_COLUMNS:
                sheet.write_number(row, col, _euros(values[name]), amount)
            elif name == "seller_id":
                sheet.write_number(row, col, int(values[name]))
            else:
                sheet.write_string(row, col, clean_for_xlsx(inert_text(_text(values[name]))))
    row += 1
    sheet.write_string(row, 0, "TOTAL", bold)
    totals = _totals(lines)
    for col, name in enumerate(CSV_COLUMNS):
        if name in AMOUNT_COLUMNS:
            sheet.write_number(row, col, _euros(totals[name]), amount_bold)
    sheet.freeze_panes(1 + int(draft), 1)
    _summary(book, lines, revenue, month, draft, bold, amount)
    book.close()
    return buffer.getvalue()


def revenue_rows(lines: pd.DataFrame) -> list[tuple[str, int, int]]:
    """(label, excl. VAT, VAT) in positive cents: what the marketplace earned on the month."""
    com_vat = -(lines["commissions_vat"] + lines["commission_refunds_vat"]).sum()
    com_excl = -(lines["commissions_excl_vat"] + lines["commission_refunds"]
                 - lines["commission_refunds_vat"]).sum()
    sub_vat, prem_vat = -lines["subscription_vat"].sum(), -lines["premium_vat"].sum()
    return [("Commissions (nettes des remboursements / net of refunds)", int(com_excl), int(com_vat)),
            ("Abonnements / subscriptions", int(-lines["subscription"].sum() - sub_vat), int(sub_vat)),
            ("Premium", int(-lines["premium"].sum() - prem_vat), int(prem_vat))]


def _summary(book, lines: pd.DataFrame, revenue: pd.DataFrame, month: str, draft: bool,
             bold, amount) -> None:
    sheet = book.add_worksheet("Résumé - Summary")
    title = f"Chiffre d'affaires de la place de marché / marketplace revenue {month}"
    sheet.write_string(0, 0, (DRAFT_BANNER + " — " if draft else "") + title, bold)
    sheet.write_row(2, 0, ["", "HT / excl. VAT", "TVA / VAT", "TTC / incl. VAT"], bold)
    rows = revenue_rows(lines)
    for i, (label, excl, vat) in enumerate(rows, start=3):
        sheet.write_string(i, 0, label)
        for col, value in enumerate((excl, vat, excl + vat), start=1):
            sheet.write_number(i, col, _euros(value), amount)
    total_row = 3 + len(rows)
    sheet.write_string(total_row, 0, "Total", bold)
    for col in (1, 2, 3):
        value = sum((r[1], r[2], r[1] + r[2])[col - 1] for r in rows)
        sheet.write_number(total_row, col, _euros(value), amount)
    start = total_row + 2
    sheet.write_row(start, 0, ["Catégorie / category", "Commissions HT / excl. VAT"], bold)
    for i, item in enumerate(revenue.itertuples(index=False), start=start + 1):
        sheet.write_string(i, 0, clean_for_xlsx(item.category or "(taux par défaut / default rate)"))
        sheet.write_number(i, 1, _euros(item.commission_excl_vat), amount)
    sheet.set_column(0, 0, 52)
    sheet.set_column(1, 3, 18)
    if not revenue.empty:
        chart = book.add_chart({"type": "column"})
        last = start + len(revenue)
        chart.add_series({"name": "Commissions HT / excl. VAT",
                          "categories": [sheet.name, start + 1, 0, last, 0],
                          "values": [sheet.name, start + 1, 1, last, 1]})
        chart.set_title({"name": "Commissions par catégorie / by category"})
        chart.set_legend({"none": True})
        sheet.insert_chart(2, 5, chart)
