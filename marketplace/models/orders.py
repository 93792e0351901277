"""Orders as the order system last exported them (feeds.md, order activity).

One row per order, its latest known state: the daily export is upserted by order_id and an
older export never overwrites a newer state (`export_date`, then the import that brought it).
Quality indicators and the payout ledger read this table; they never change it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.catalog import NOW, Base, Cents, UTCDateTime, utcnow


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_seller_ordered", "seller_id", "ordered_at"),)

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64))
    customer_type: Mapped[str | None] = mapped_column(String(12))  # individual, business
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount: Mapped[Decimal] = mapped_column(Cents)  # items, incl. VAT
    shipping_amount: Mapped[Decimal] = mapped_column(Cents, default=Decimal("0.00"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery: Mapped[str | None] = mapped_column(String(10))  # digital, standard, tracked
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    estimated_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_amount: Mapped[Decimal | None] = mapped_column(Cents)
    refund_reason: Mapped[str | None] = mapped_column(String(12))  # spontaneous, claim
    claim_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_reason: Mapped[str | None] = mapped_column(Text)
    question_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating_delivery_place: Mapped[int | None] = mapped_column(SmallInteger)
    rating_on_time: Mapped[int | None] = mapped_column(SmallInteger)
    rating_care: Mapped[int | None] = mapped_column(SmallInteger)
    rating_conformity: Mapped[int | None] = mapped_column(SmallInteger)
    rating_packaging: Mapped[int | None] = mapped_column(SmallInteger)
    goodwill_amount: Mapped[Decimal | None] = mapped_column(Cents)
    goodwill_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Freshness of this state: the export's date (from inbox/orders/<YYYY-MM-DD>.csv), then the
    # import that brought it; an upsert only replaces a row with an equal or newer pair.
    export_date: Mapped[date] = mapped_column(Date)
    last_import_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=NOW)
