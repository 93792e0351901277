"""The marketplace's invoices (and credit notes) to sellers, and their yearly number counters.

Why a counter table and not a database sequence: French invoices are numbered in one unbroken
series, and a sequence leaves a gap whenever a transaction that drew a number rolls back
(reliability.md). A counter row per (series, year) is updated in the invoice's own
transaction, so a rollback gives the numbers back and concurrent runs queue on the row lock.

An invoice row keeps everything its files are built from (amounts as printed, the customer's
legal identity at issue time), so a re-issue produces the same document even after the
seller's registry entry changes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.catalog import NOW, Base, Cents, UTCDateTime, utcnow


class InvoiceCounter(Base):
    """The last number issued in one series (FA invoices, AV credit notes) for one year."""

    __tablename__ = "invoice_counters"

    series: Mapped[str] = mapped_column(String(2), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    """One invoice or credit note for one seller and month, amounts as printed on it.

    For a credit note (series AV, type code 381) the printed amounts are the charges negated,
    so its total is positive. `*_vat` is zero under reverse charge.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("seller_id", "month", "series", name="uq_invoices_seller_month_series"),
        UniqueConstraint("series", "year", "sequence", name="uq_invoices_series_year_sequence"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # FA-2026-000001
    series: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    type_code: Mapped[int] = mapped_column(SmallInteger)  # UNTDID 1001: 380 invoice, 381 credit
    seller_id: Mapped[int] = mapped_column(BigInteger)
    month: Mapped[str] = mapped_column(String(7))  # the billed month, YYYY-MM
    issue_date: Mapped[date] = mapped_column(Date)
    payment_date: Mapped[date] = mapped_column(Date)
    reverse_charge: Mapped[bool] = mapped_column(Boolean)
    commission_excl_vat: Mapped[Decimal] = mapped_column(Cents)
    commission_vat: Mapped[Decimal] = mapped_column(Cents)
    subscription_excl_vat: Mapped[Decimal] = mapped_column(Cents)
    subscription_vat: Mapped[Decimal] = mapped_column(Cents)
    premium_excl_vat: Mapped[Decimal] = mapped_column(Cents)
    premium_vat: Mapped[Decimal] = mapped_column(Cents)
    total_excl_vat: Mapped[Decimal] = mapped_column(Cents)
    total_vat: Mapped[Decimal] = mapped_column(Cents)
    total_incl_vat: Mapped[Decimal] = mapped_column(Cents)
    # The customer (the seller) as the registry described it when the invoice was issued.
    customer_legal_name: Mapped[str] = mapped_column(String(200))
    customer_legal_form: Mapped[str | None] = mapped_column(String(50))
    customer_siren: Mapped[str | None] = mapped_column(String(9))
    customer_vat_number: Mapped[str | None] = mapped_column(String(20))
    customer_address: Mapped[str | None] = mapped_column(String(300))
    customer_postcode: Mapped[str | None] = mapped_column(String(20))
    customer_city: Mapped[str | None] = mapped_column(String(100))
    customer_country: Mapped[str | None] = mapped_column(String(2))
    # A credit note's corrected invoices (EN 16931 BG-3): "FA-2026-000003@2026-11-02 ..."
    preceding_invoices: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=NOW)
