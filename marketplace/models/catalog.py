"""The catalog: sellers, offers, promotions and the record of imports.

Money is stored as integer cents (`Cents`) on both databases: SQLite's Numeric goes through
float, and one representation everywhere keeps the bulk paths (COPY, executemany) simple.
Timestamps are stored in UTC; business dates are plain dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CENT = Decimal("0.01")
NOW = text("(CURRENT_TIMESTAMP)")


class Cents(TypeDecorator):
    """A Decimal amount in euros, stored as a whole number of cents.

    Refuses an amount with fractions of a cent: rounding is the caller's decision, made where
    the spec names it, never a side effect of storage.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect) -> int | None:
        if value is None:
            return None
        cents = Decimal(value) * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"amount {value} has fractions of a cent")
        return int(cents)

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:
        return None if value is None else (Decimal(value) / 100).quantize(CENT)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as naive UTC (SQLite keeps no offsets)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Seller(Base):
    """One row per seller: the registry's current state (feeds.md, seller registry)."""

    __tablename__ = "sellers"

    seller_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    shop_name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str] = mapped_column(String(200))
    legal_form: Mapped[str | None] = mapped_column(String(50))
    share_capital: Mapped[Decimal | None] = mapped_column(Cents)
    siren: Mapped[str | None] = mapped_column(String(9))
    siret: Mapped[str | None] = mapped_column(String(14))
    rcs_city: Mapped[str | None] = mapped_column(String(100))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(254))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    bank_account_valid: Mapped[bool] = mapped_column(Boolean, default=False)
    bank_account_problem: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[str] = mapped_column(String(50), default="standard")
    registered_at: Mapped[date | None] = mapped_column(Date)
    activated_at: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    termination_requested_at: Mapped[date | None] = mapped_column(Date)
    trial_max_orders: Mapped[int | None] = mapped_column(Integer)
    trial_max_revenue: Mapped[Decimal | None] = mapped_column(Cents)
    payout_hold_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_import_id: Mapped[int | None] = mapped_column(BigInteger)


class OfferValues:
    """What an offer file says about an offer: the current state and each superseded version
    hold the same columns (this mixin), in this order."""

    product_id: Mapped[str | None] = mapped_column(String(20))
    product_id_type: Mapped[str | None] = mapped_column(String(4))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    price: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    quantity: Mapped[int | None] = mapped_column(Integer)
    condition: Mapped[str] = mapped_column(String(20), default="new")
    leadtime_to_ship: Mapped[int] = mapped_column(Integer, default=2)
    delivery: Mapped[str | None] = mapped_column(String(20))
    practical_component: Mapped[bool | None] = mapped_column(Boolean)


class Offer(OfferValues, Base):
    """One row per (seller, sku): the offer's current state. Never hard-deleted.

    `published` is not stored: it is derived from `active` and the seller's status when read.
    """

    __tablename__ = "offers"

    # The natural key is the primary key: one index to maintain on a million-row load. No
    # foreign key to sellers (a per-row check costs a third of a bulk load): the loader locks
    # and checks the seller row first, and sellers are never deleted.
    seller_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Server defaults (UTC: PostgreSQL sessions run in UTC, see marketplace.db) so that a bulk
    # COPY need not send and parse a timestamp per row.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=NOW)
    last_import_id: Mapped[int | None] = mapped_column(BigInteger)
    # A hash of sku and values written by the offer loader (loaders.offer_fingerprints); NULL
    # when the offer was written by other means: it is then compared column by column.
    fingerprint: Mapped[int | None] = mapped_column(BigInteger)


class OfferHistory(OfferValues, Base):
    """One row per superseded version of an offer: its values before an import changed it."""

    __tablename__ = "offer_history"
    __table_args__ = (Index("ix_offer_history_offer", "seller_id", "sku"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime)
    import_id: Mapped[int | None] = mapped_column(BigInteger)
    replaced_by_import_id: Mapped[int | None] = mapped_column(BigInteger)


class Promotion(Base):
    """One row per promotion of a seller's offer: a price (or free delivery) over [start, end).

    The key is what a seller re-sends: the same sku, type and dates replace the stored row
    (re-sending is idempotent); its unique index also serves the per-offer lookups. The
    discount is kept as sent (a price, or a percentage applied to the offer's price when read).
    """

    __tablename__ = "promotions"
    __table_args__ = (
        UniqueConstraint("seller_id", "sku", "promotion_type", "start_at", "end_at",
                         name="uq_promotions_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64))
    promotion_type: Mapped[int] = mapped_column(Integer)
    discount_price: Mapped[Decimal | None] = mapped_column(Cents)
    discount_percent: Mapped[int | None] = mapped_column(Integer)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)  # exclusive: [start_at, end_at)
    period: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=NOW)
    last_import_id: Mapped[int | None] = mapped_column(BigInteger)


class Import(Base):
    """One row per file received (every attempt, duplicates and rejections included)."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_sha256", "sha256"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    seller_id: Mapped[int | None] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mode: Mapped[str | None] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="processing")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    errors_report: Mapped[str | None] = mapped_column(Text)
    archive: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)


class AppliedFile(Base):
    """One row per file content applied to the catalog: the database's "once" guarantee.

    Inserted in the same transaction as the rows it loads, so two racing runs of one file
    cannot both apply it (the unique key makes the second one fail and roll back). A content
    applied in update mode may be applied once more in replace mode (ops making the seller's
    file their whole catalogue), never the other way round.
    """

    __tablename__ = "applied_files"
    __table_args__ = (
        UniqueConstraint("kind", "seller_scope", "sha256", "mode", name="uq_applied_files_content"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    seller_scope: Mapped[int] = mapped_column(BigInteger)  # the seller, 0 for ops feeds
    sha256: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(10), server_default="update")  # or "replace"
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportProblem(Base):
    """One row per problem found in an imported file (rejections and warnings)."""

    __tablename__ = "import_problems"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"), index=True)
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    message_fr: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
