"""The payout ledger, the state of each month's close, and the payouts decided (payouts.md).

Why three tables: the ledger is the one source of money (a balance is always a sum of its
entries, never a stored number that could drift); `payout_months` says which months are
closed (a closed month's entries are final, a draft's are recomputed) and whether its files
were written; `payouts` holds one decision per seller and month, unique in the database so
that no retry, race or rerun can pay a month twice.

Amounts are signed as the seller sees them: `amount` is the whole effect on the balance,
VAT included, and `vat` the VAT part of it (zero on a sale, under reverse charge, ...).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.catalog import NOW, Base, Cents, UTCDateTime, utcnow


class LedgerEntry(Base):
    """One booking; never updated. The unique key makes booking the same event again a no-op:
    (SALE|COMMISSION, seller, order), (REFUND|COMMISSION_REFUND|GOODWILL, seller, order@month:
    one difference a month), (SUBSCRIPTION|PREMIUM|PAYOUT, seller, month), (ADJUSTMENT,
    seller, month:file sha:row). Months closed before these keys hold order@refunded cents
    for refunds and the order alone for goodwill: sums, never keys, read them."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("entry_type", "seller_id", "reference", name="uq_ledger_booking"),
        Index("ix_ledger_seller_month", "seller_id", "month"),
        Index("ix_ledger_month", "month"),
        Index("ix_ledger_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the month it is booked in
    entry_type: Mapped[str] = mapped_column(String(20))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=NOW)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_id: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(64))  # commissions: the offer's category
    amount: Mapped[Decimal] = mapped_column(Cents)  # signed, VAT included
    vat: Mapped[Decimal] = mapped_column(Cents)  # the VAT part of amount, same sign
    text: Mapped[str] = mapped_column(String(300))


class PayoutMonth(Base):
    """A month's run state: draft (recomputable) or closed (final), and its published files."""

    __tablename__ = "payout_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # draft, closed
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    execution_date: Mapped[date | None] = mapped_column(Date)  # requested SEPA execution
    sepa_xml: Mapped[bytes | None] = mapped_column(LargeBinary)  # the transfer file, as validated
    files_written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Payout(Base):
    """The decision for one seller and month; `id` is the SEPA end-to-end id of a paid one."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("seller_id", "month", name="uq_payouts_seller_month"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger)
    month: Mapped[str] = mapped_column(String(7))
    opening: Mapped[Decimal] = mapped_column(Cents)  # carried in
    balance: Mapped[Decimal] = mapped_column(Cents)  # opening + the month's entries
    amount: Mapped[Decimal] = mapped_column(Cents)  # paid (0 unless decision = paid)
    decision: Mapped[str] = mapped_column(String(10))  # paid, carried, held
    reason: Mapped[str | None] = mapped_column(String(200))
    release_date: Mapped[date | None] = mapped_column(Date)
    # The seller as the registry described it when the month was decided: a closed month's
    # files are re-issued the same after a rename or a new IBAN (NULL: decided before 0009).
    shop_name: Mapped[str | None] = mapped_column(String(200))
    legal_name: Mapped[str | None] = mapped_column(String(200))
    iban_masked: Mapped[str | None] = mapped_column(String(34))
