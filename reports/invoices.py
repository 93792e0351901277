"""The marketplace's monthly invoices to sellers: issued in the close's transaction, filed once.

How it fits: the payout close books each seller's charges in the ledger and, in the same
transaction, calls `issue_month_invoices` with them; after the commit it calls
`write_invoice_files` to publish the Factur-X PDFs and the register. A rerun of a closed month
finds the stored invoices (one per seller, month and series: a unique constraint) and re-issues
the same files, with no new number.

Decisions:
- One document per seller and month: an invoice (FA-YYYY-NNNNNN, type 380) when the net is
  positive or zero with lines, a credit note (AV-YYYY-NNNNNN, type 381) when it is negative,
  none when every amount is zero. The series' year is the issue date's year.
- Numbers follow the sellers' order within a run (seller_id), so a run's numbering is
  reproducible; see `reports.invoice_numbers` for why a counter row.
- The row stores the amounts as printed and the customer's identity at issue time: the files
  are rebuilt from the row alone, identical, whatever the registry says later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, insert, select

from marketplace.identity import MarketplaceIdentity
from marketplace.layout import safe_key
from marketplace.models import Invoice, LedgerEntry, Seller
from marketplace.storage import Storage
from reports.invoice_charges import InvoiceCharges
from reports.invoice_model import (
    COLUMNS,
    CREDIT_NOTE,
    IssuedInvoice,
    document_kind,
    format_number,
    preceding_text,
)
from reports.invoice_numbers import advance_counter, lock_counter
from reports.invoice_pdf import facturx_pdf
from reports.invoices_register import register_csv

__all__ = ["IssuedInvoice", "issue_month_invoices", "stored_month_invoices", "write_invoice_files",
           "write_invoice_pdfs", "write_invoice_register"]

_CUSTOMER = ("legal_name", "legal_form", "siren", "vat_number", "address", "postcode", "city",
             "country")


class UnknownSeller(LookupError):
    """Charges for a seller the registry does not hold: no invoice without a customer."""


def issue_month_invoices(connection: Connection, month: str, issue_date: date,
                         charges: Sequence[InvoiceCharges]) -> list[IssuedInvoice]:
    """Issue (or find, on a rerun) the month's documents, inside the caller's transaction.

    Returns one document per seller with non-zero charges, in seller order. Counters are locked
    before the stored invoices are read, so two concurrent runs never number the same seller
    twice: the second waits, then finds the first one's invoices.
    """
    if len({c.seller_id for c in charges}) != len(charges):
        raise ValueError("one InvoiceCharges per seller: the month's charges are summed per seller")
    kinds = {c.seller_id: kind for c in charges if (kind := document_kind(c)) is not None}
    year = issue_date.year
    for series in sorted({series for series, _ in kinds.values()}):
        lock_counter(connection, series, year)
    stored = {invoice.seller_id: invoice for invoice in stored_month_invoices(connection, month)}
    to_issue = sorted((c for c in charges if c.seller_id in kinds and c.seller_id not in stored),
                      key=lambda c: c.seller_id)
    customers = _customers(connection, [c.seller_id for c in to_issue])
    corrected = _corrected_invoices(
        connection, month, [c.seller_id for c in to_issue if kinds[c.seller_id] == CREDIT_NOTE])
    issued: list[IssuedInvoice] = []
    for kind in sorted({kinds[c.seller_id] for c in to_issue}):
        batch = [c for c in to_issue if kinds[c.seller_id] == kind]
        first = advance_counter(connection, kind[0], year, len(batch))
        issued += [_document(c, kind, year, first + rank, month, issue_date,
                             customers[c.seller_id], corrected.get(c.seller_id))
                   for rank, c in enumerate(batch)]
    if issued:
        connection.execute(insert(Invoice), [vars(invoice) for invoice in issued])
    found = [invoice for seller_id, invoice in stored.items() if seller_id in kinds]
    return sorted([*found, *issued], key=lambda invoice: invoice.seller_id)


def stored_month_invoices(connection: Connection, month: str) -> list[IssuedInvoice]:
    """Every document issued for `month`, by number."""
    query = (select(*(Invoice.__table__.c[name] for name in COLUMNS))
             .where(Invoice.month == month).order_by(Invoice.number))
    return [IssuedInvoice(**row._mapping) for row in connection.execute(query)]


def write_invoice_files(storage: Storage, month: str, invoices: Sequence[IssuedInvoice],
                        identity: MarketplaceIdentity) -> list[str]:
    """Publish outbox/payouts/<month>/invoices/<number>.pdf and invoices.csv; return the keys.

    The customer's identity comes from each stored invoice (snapshot at issue), the issuer's
    from `identity`. Bytes depend only on these, so a re-issue writes the same files.
    """
    return [*write_invoice_pdfs(storage, month, invoices, identity),
            write_invoice_register(storage, month, invoices)]


def write_invoice_pdfs(storage: Storage, month: str, invoices: Sequence[IssuedInvoice],
                       identity: MarketplaceIdentity) -> list[str]:
    """Only the Factur-X PDFs: what worker processes share out, each a slice of the invoices."""
    keys = []
    for invoice in invoices:
        key = safe_key("outbox", "payouts", month, "invoices", f"{invoice.number}.pdf")
        storage.write_bytes(key, facturx_pdf(invoice, identity))
        keys.append(key)
    return keys


def write_invoice_register(storage: Storage, month: str, invoices: Sequence[IssuedInvoice]) -> str:
    """Only invoices.csv, the register of all the month's invoices (written once, whole)."""
    key = safe_key("outbox", "payouts", month, "invoices.csv")
    storage.write_bytes(key, register_csv(invoices))
    return key


def _customers(connection: Connection, seller_ids: list[int]) -> dict[int, dict[str, str | None]]:
    if not seller_ids:
        return {}
    columns = [Seller.seller_id, *(getattr(Seller, name) for name in _CUSTOMER)]
    rows = connection.execute(select(*columns).where(Seller.seller_id.in_(seller_ids))).all()
    found = {row.seller_id: {f"customer_{name}": getattr(row, name) for name in _CUSTOMER}
             for row in rows}
    missing = sorted(set(seller_ids) - found.keys())
    if missing:
        raise UnknownSeller(f"no seller row for invoiced seller(s) {missing}")
    return found


def _corrected_invoices(connection: Connection, month: str,
                        seller_ids: list[int]) -> dict[int, str]:
    """For each credit note to issue, the earlier documents whose commissions it gives back.

    A month's net is negative when refunds give back commissions invoiced in earlier months; a
    French corrective document must name the invoices it corrects (EN 16931 BG-3): those of the
    months in which the refunded orders' commissions were booked.
    """
    if not seller_ids:
        return {}
    refund, commission = LedgerEntry.__table__.alias("r"), LedgerEntry.__table__.alias("c")
    query = (
        select(refund.c.seller_id, Invoice.number, Invoice.issue_date).distinct()
        .join(commission, (commission.c.entry_type == "COMMISSION")
              & (commission.c.seller_id == refund.c.seller_id)
              & (commission.c.order_id == refund.c.order_id) & (commission.c.month < month))
        .join(Invoice, (Invoice.seller_id == commission.c.seller_id)
              & (Invoice.month == commission.c.month))
        .where(refund.c.entry_type == "COMMISSION_REFUND", refund.c.month == month,
               refund.c.seller_id.in_(seller_ids))
        .order_by(refund.c.seller_id, Invoice.number))
    found: dict[int, list[tuple[str, date]]] = {}
    for seller_id, number, issued_on in connection.execute(query):
        found.setdefault(seller_id, []).append((number, issued_on))
    return {seller_id: preceding_text(references) for seller_id, references in found.items()}


def _document(charges: InvoiceCharges, kind: tuple[str, int], year: int, sequence: int,
              month: str, issue_date: date, customer: dict[str, str | None],
              preceding: str | None) -> IssuedInvoice:
    series, type_code = kind
    sign = -1 if kind == CREDIT_NOTE else 1
    amounts = {name: sign * getattr(charges, name) for name in (
        "commission_excl_vat", "commission_vat", "subscription_excl_vat", "subscription_vat",
        "premium_excl_vat", "premium_vat")}
    total_excl = sign * charges.total_excl_vat
    total_vat = sign * charges.total_vat
    return IssuedInvoice(
        number=format_number(series, year, sequence), series=series, year=year, sequence=sequence,
        type_code=type_code, seller_id=charges.seller_id, month=month, issue_date=issue_date,
        payment_date=charges.payment_date, reverse_charge=charges.reverse_charge, **amounts,
        total_excl_vat=total_excl, total_vat=total_vat, total_incl_vat=total_excl + total_vat,
        **customer, preceding_invoices=preceding)
