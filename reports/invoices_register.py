"""invoices.csv: the register of a month's invoices and credit notes, for finance.

Why signed amounts: finance sums the register's columns into the month's invoiced revenue, so
a credit note's totals are negative here (they are positive on the document itself).
Texts copied from the seller registry go through `inert_text` (spreadsheet output is inert).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from reports.invoice_model import IssuedInvoice
from reports.safe_cells import SpreadsheetCsvWriter, inert_text

REGISTER_COLUMNS = ("number", "type", "issue_date", "month", "seller_id", "legal_name", "siren",
                    "vat_number", "total_excl_vat", "total_vat", "total_incl_vat",
                    "reverse_charge", "payment_date", "preceding_invoices")


def register_csv(invoices: Sequence[IssuedInvoice]) -> bytes:
    """The register in number order, UTF-8 with BOM (Excel), amounts with a dot and 2 decimals."""
    out = io.StringIO()
    writer = SpreadsheetCsvWriter(out, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for invoice in sorted(invoices, key=lambda invoice: invoice.number):
        sign = invoice.sign
        writer.writerow([
            invoice.number, "credit_note" if invoice.is_credit_note else "invoice",
            invoice.issue_date.isoformat(), invoice.month, invoice.seller_id,
            inert_text(invoice.customer_legal_name), invoice.customer_siren or "",
            inert_text(invoice.customer_vat_number or ""),
            _amount(sign, invoice.total_excl_vat), _amount(sign, invoice.total_vat),
            _amount(sign, invoice.total_incl_vat), "yes" if invoice.reverse_charge else "no",
            invoice.payment_date.isoformat(), " ".join(number for number, _ in invoice.preceding),
        ])
    return out.getvalue().encode("utf-8-sig")


def _amount(sign: int, amount: Decimal) -> str:
    """`amount` signed for the register; no VAT is 0.00, not -0.00, on a credit note."""
    return f"{(sign * amount) or Decimal(0):.2f}"
