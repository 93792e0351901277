"""What the marketplace charged one seller for one month: the contract between payouts and invoices.

Why a separate module: the payout close books these amounts in the ledger and the invoice
module prints them; both import this one dataclass, so the invoice shows exactly the booked
amounts (ledger = statement = invoice, to the cent) and neither module depends on the other's
internals. Amounts are positive charges in euros (Decimal, two places), excl. VAT and VAT
apart, as booked: the invoice never recomputes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class InvoiceCharges:
    """One seller's charges for one month, as booked in the ledger.

    commission_excl_vat is the month's commissions net of commission refunds (it can be
    negative: a credit note); the *_vat fields are the booked VAT sums (zero under reverse
    charge). payment_date is the payout's requested execution date, or the month's settlement
    date when nothing is paid.
    """

    seller_id: int
    commission_excl_vat: Decimal
    commission_vat: Decimal
    subscription_excl_vat: Decimal
    subscription_vat: Decimal
    premium_excl_vat: Decimal
    premium_vat: Decimal
    reverse_charge: bool
    payment_date: date

    @property
    def total_excl_vat(self) -> Decimal:
        """Net amount excl. VAT the invoice (or credit note, when negative) shows."""
        return self.commission_excl_vat + self.subscription_excl_vat + self.premium_excl_vat

    @property
    def total_vat(self) -> Decimal:
        """VAT the invoice shows (zero under reverse charge)."""
        return self.commission_vat + self.subscription_vat + self.premium_vat
