"""Builders shared by the invoice tests (no tests here): sellers with a legal identity, charges."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert, select

from marketplace.config import SAMPLES_DIR, Settings
from marketplace.identity import MarketplaceIdentity, load_identity
from marketplace.models import Seller
from reports.invoice_charges import InvoiceCharges

ZERO = Decimal("0.00")
PAYMENT_DATE = date(2026, 12, 2)


def sample_identity() -> MarketplaceIdentity:
    return load_identity(Settings(identity_file=SAMPLES_DIR / "marketplace.toml"))


def add_sellers(connection, seller_ids, *, country: str = "FR") -> None:
    """Sellers with the identity an invoice prints (one SIREN for all: only the name varies)."""
    known = set(connection.execute(select(Seller.seller_id)).scalars())
    rows = [dict(seller_id=seller_id, shop_name=f"Boutique {seller_id}",
                 legal_name=f"Vendeur {seller_id} SAS", legal_form="SAS", siren="812345676",
                 vat_number="FR19812345676" if country == "FR" else "DE136695976",
                 address="12 rue de la République", postcode="69002", city="Lyon",
                 country=country, status="active")
            for seller_id in sorted(set(seller_ids) - known)]
    if rows:
        connection.execute(insert(Seller), rows)


def charges(seller_id: int, commission: str = "0.00", subscription: str = "0.00",
            premium: str = "0.00", *, reverse_charge: bool = False,
            payment_date: date = PAYMENT_DATE) -> InvoiceCharges:
    """Charges excl. VAT with the 20 % VAT booked on each (none under reverse charge)."""
    def vat(amount: str) -> Decimal:
        if reverse_charge:
            return ZERO
        return (Decimal(amount) * Decimal("0.2")).quantize(Decimal("0.01"), ROUND_HALF_UP)

    return InvoiceCharges(
        seller_id=seller_id, commission_excl_vat=Decimal(commission), commission_vat=vat(commission),
        subscription_excl_vat=Decimal(subscription), subscription_vat=vat(subscription),
        premium_excl_vat=Decimal(premium), premium_vat=vat(premium), reverse_charge=reverse_charge,
        payment_date=payment_date)
