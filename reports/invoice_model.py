"""An issued invoice or credit note as stored: the one record its PDF, XML and register use.

Why apart from the numbering and the writers: both import it, and the payout close reads it
back (`charges()`) to check that what was invoiced is what was booked.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from reports.invoice_charges import InvoiceCharges

INVOICE = ("FA", 380)  # series, UNTDID 1001 document type: commercial invoice
CREDIT_NOTE = ("AV", 381)  # credit note


@dataclass(frozen=True)
class IssuedInvoice:
    """One invoice (FA, 380) or credit note (AV, 381), amounts as printed on it.

    A credit note prints the charges negated (its total is positive); a line may be negative
    on either document when one kind of charge was refunded more than charged.
    """

    number: str
    series: str
    year: int
    sequence: int
    type_code: int
    seller_id: int
    month: str
    issue_date: date
    payment_date: date
    reverse_charge: bool
    commission_excl_vat: Decimal
    commission_vat: Decimal
    subscription_excl_vat: Decimal
    subscription_vat: Decimal
    premium_excl_vat: Decimal
    premium_vat: Decimal
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    customer_legal_name: str
    customer_legal_form: str | None
    customer_siren: str | None
    customer_vat_number: str | None
    customer_address: str | None
    customer_postcode: str | None
    customer_city: str | None
    customer_country: str | None
    preceding_invoices: str | None = None
    """A credit note's corrected invoices as stored: `FA-2026-000003@2026-11-02`, space-separated."""

    @property
    def preceding(self) -> list[tuple[str, date]]:
        """(number, issue date) of each invoice a credit note corrects (EN 16931 BG-3)."""
        items = (self.preceding_invoices or "").split()
        return [(number, date.fromisoformat(day)) for number, day in (i.split("@") for i in items)]

    @property
    def is_credit_note(self) -> bool:
        return self.series == CREDIT_NOTE[0]

    @property
    def sign(self) -> int:
        """+1 for an invoice, -1 for a credit note: printed amount × sign = booked charge."""
        return -1 if self.is_credit_note else 1

    def charges(self) -> InvoiceCharges:
        """The booked charges this document was issued for (the invariant's other side)."""
        s = self.sign
        return InvoiceCharges(
            seller_id=self.seller_id, commission_excl_vat=s * self.commission_excl_vat,
            commission_vat=s * self.commission_vat, subscription_excl_vat=s * self.subscription_excl_vat,
            subscription_vat=s * self.subscription_vat, premium_excl_vat=s * self.premium_excl_vat,
            premium_vat=s * self.premium_vat, reverse_charge=self.reverse_charge,
            payment_date=self.payment_date)


COLUMNS = tuple(field.name for field in fields(IssuedInvoice))


def document_kind(charges: InvoiceCharges) -> tuple[str, int] | None:
    """(series, type code) for a month's charges, None when there is nothing to invoice.

    Negative net (excl. VAT, then VAT) → credit note; a zero net with non-zero lines is still
    an invoice (it shows the lines).
    """
    amounts = (charges.commission_excl_vat, charges.commission_vat, charges.subscription_excl_vat,
               charges.subscription_vat, charges.premium_excl_vat, charges.premium_vat)
    if not any(amounts):
        return None
    net = (charges.total_excl_vat, charges.total_vat)
    return CREDIT_NOTE if net < (Decimal(0), Decimal(0)) else INVOICE


def preceding_text(references: list[tuple[str, date]]) -> str | None:
    """The stored form of `IssuedInvoice.preceding`."""
    return " ".join(f"{number}@{day.isoformat()}" for number, day in references) or None


def format_number(series: str, year: int, sequence: int) -> str:
    """FA-2026-000001: series, year of issue, six-digit rank in the year's series."""
    return f"{series}-{year}-{sequence:06d}"
