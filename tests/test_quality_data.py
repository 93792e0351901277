"""Builders for the quality tests (no tests here): sellers and orders written straight to the
catalog with SQLAlchemy, times given in Paris wall-clock time, and a night's report run."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from marketplace.config import Settings
from marketplace.models import Order, QualityIndicators, Seller
from reports.quality import run_quality_report

PARIS = ZoneInfo("Europe/Paris")


def paris(text_time: str) -> datetime:
    """'2026-11-21 10:30' in Paris, as an aware datetime."""
    return datetime.fromisoformat(text_time).replace(tzinfo=PARIS)


def seller(engine, seller_id: int, activated: date = date(2025, 1, 1), status: str = "active",
           **fields) -> None:
    with Session(engine) as session, session.begin():
        session.add(Seller(seller_id=seller_id, shop_name=f"Shop {seller_id}",
                           legal_name=f"Legal {seller_id}", status=status, activated_at=activated,
                           **fields))


def orders(engine, rows: list[dict]) -> None:
    """Insert orders; each row needs order_id, seller_id, ordered_at (aware)."""
    full = [{"sku": "SKU-1", "amount": Decimal("10.00"), "shipping_amount": Decimal("0.00"),
             "export_date": date(2026, 11, 21)} | row for row in rows]
    with Session(engine) as session, session.begin():
        session.execute(insert(Order), full)


def perfect_orders(seller_id: int, count: int, first: datetime, prefix: str = "") -> list[dict]:
    """`count` orders that meet every Top Seller criterion: accepted an hour later, tracked,
    delivered on time, rated 5 on every aspect, a question answered in an hour."""
    rows = []
    for n in range(count):
        at = first + timedelta(hours=n)
        rows.append({
            "order_id": f"{prefix}{seller_id}-{n:04d}", "seller_id": seller_id, "ordered_at": at,
            "accepted_at": at + timedelta(hours=1), "shipped_at": at + timedelta(hours=2),
            "delivery": "tracked", "tracking_number": f"T{n}",
            "estimated_delivery_at": at + timedelta(days=3),
            "delivered_at": at + timedelta(days=2), "question_at": at, "answered_at": at + timedelta(hours=1),
            "rated_at": at + timedelta(days=3), "rating_delivery_place": 5, "rating_on_time": 5,
            "rating_care": 5, "rating_conformity": 5, "rating_packaging": 5,
        })
    return rows


def night(engine, tmp_path, day: date):
    """Run the report of `day` with the files in tmp_path/store, in this process."""
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        storage=str(tmp_path / "store"))
    return run_quality_report(engine, settings, day, workers=1)


def stored(engine, day: date, seller_id: int) -> dict:
    """The stored indicator row of `seller_id` on `day`, typed by the model."""
    with Session(engine) as session:
        row = session.get(QualityIndicators, (day, seller_id))
        return {column.key: getattr(row, column.key) for column in QualityIndicators.__table__.columns}


def csv_rows(tmp_path, day: date) -> dict[str, dict[str, str]]:
    import csv

    path = tmp_path / "store" / "outbox" / "quality" / day.isoformat() / "indicators.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["seller_id"]: row for row in csv.DictReader(handle)}


