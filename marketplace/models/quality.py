"""Nightly quality indicators, one row per seller and report date, and status changes.

Rates are stored exactly (numerator and denominator) so that any display, trend or later
rule recomputes them without rounding drift; the average rating is kept as the sum of the
aspects of complete evaluations (five per order) and the response time as a total of seconds.
A re-run of a night replaces that night's rows (quality.md: same figures, same files).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.catalog import Base, Cents, UTCDateTime, utcnow


class QualityIndicators(Base):
    """One seller's indicators for the 6-month window ending on `report_date`."""

    __tablename__ = "quality_indicators"
    __table_args__ = (Index("ix_quality_indicators_seller", "seller_id", "report_date"),)

    report_date: Mapped[date] = mapped_column(Date, primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    registry_status: Mapped[str] = mapped_column(String(20))
    order_count: Mapped[int] = mapped_column(Integer)
    seniority_months: Mapped[int | None] = mapped_column(Integer)
    rating_points: Mapped[int] = mapped_column(BigInteger)  # sum of the five aspects
    rating_den: Mapped[int] = mapped_column(Integer)  # complete evaluations
    acceptance_num: Mapped[int] = mapped_column(Integer)
    acceptance_den: Mapped[int] = mapped_column(Integer)
    claim_num: Mapped[int] = mapped_column(Integer)
    claim_den: Mapped[int] = mapped_column(Integer)
    refund_num: Mapped[int] = mapped_column(Integer)
    refund_den: Mapped[int] = mapped_column(Integer)
    tracking_num: Mapped[int] = mapped_column(Integer)
    tracking_den: Mapped[int] = mapped_column(Integer)
    late_num: Mapped[int] = mapped_column(Integer)
    late_den: Mapped[int] = mapped_column(Integer)
    response_seconds: Mapped[int] = mapped_column(BigInteger)
    response_den: Mapped[int] = mapped_column(Integer)  # questions asked in the window
    response_unanswered: Mapped[int] = mapped_column(Integer)
    trial_orders: Mapped[int | None] = mapped_column(Integer)  # since activation, trial sellers
    trial_revenue: Mapped[Decimal | None] = mapped_column(Cents)
    # the registry as the night read it: its re-run reads them again
    activated_at: Mapped[date | None] = mapped_column(Date)
    trial_max_orders: Mapped[int | None] = mapped_column(Integer)
    trial_max_revenue: Mapped[Decimal | None] = mapped_column(Cents)
    score_tenths: Mapped[int | None] = mapped_column(SmallInteger)  # score /5 × 10, half-up
    top_seller: Mapped[bool] = mapped_column(Boolean)
    top_seller_missing: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))
    probation_since: Mapped[date | None] = mapped_column(Date)
    status_change: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QualityStatusChange(Base):
    """One quality status change of a seller, with the night that made it and why."""

    __tablename__ = "quality_status_changes"
    __table_args__ = (Index("ix_quality_status_changes_seller", "seller_id", "report_date"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger)
    report_date: Mapped[date] = mapped_column(Date, index=True)
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QualityNight(Base):
    """A night of the quality report, and when its files were published.

    A night stored but never published (its storage failed, the run was killed) is not the
    previous night of the next one: the changes it found are then reported by the next
    published night instead of appearing in no file at all.
    """

    __tablename__ = "quality_nights"

    report_date: Mapped[date] = mapped_column(Date, primary_key=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
