"""`marketplace export offers`: the catalogue as CSV, one row per (seller, sku).

`published` is derived here from the offer's active flag and its seller's status, never
stored; the latest nightly quality report takes offers off too when it says the seller's trial
limit is reached (probation and a proposed deactivation do not unpublish). `effective_price` is
what the offer costs at the time of the export: the price of the promotion running then, else
the price (`reports.effective_price`); `top_seller` is the latest quality report's verdict
(false before the first report).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from marketplace.models import Offer, QualityIndicators, Seller, utcnow
from reports.effective_price import effective_price, running_promotions
from reports.safe_cells import inert_text

EXPORT_COLUMNS = [
    "seller_id", "sku", "product_id", "title", "category", "price", "quantity", "condition",
    "active", "published", "effective_price", "top_seller",
]
PUBLISHING_STATUSES = ("active",)
UNPUBLISHING_QUALITY_STATUSES = ("trial_limit_reached",)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _rows(engine: Engine, seller_id: int | None, at: datetime) -> Iterator[list[str]]:
    running = running_promotions(at)
    latest = (select(QualityIndicators.seller_id, QualityIndicators.status, QualityIndicators.top_seller)
              .where(QualityIndicators.report_date
                     == select(func.max(QualityIndicators.report_date)).scalar_subquery())
              .subquery())
    query = (select(Offer, Seller.status, effective_price(running), latest.c.status, latest.c.top_seller)
             .join(Seller, Seller.seller_id == Offer.seller_id)
             .outerjoin(running, and_(running.c.seller_id == Offer.seller_id,
                                      running.c.sku == Offer.sku))
             .outerjoin(latest, latest.c.seller_id == Offer.seller_id)
             .order_by(Offer.seller_id, Offer.sku))
    if seller_id is not None:
        query = query.where(Offer.seller_id == seller_id)
    with Session(engine) as session:
        for offer, status, effective, quality, top in session.execute(
                query.execution_options(yield_per=10_000)):
            published = (offer.active and status in PUBLISHING_STATUSES
                         and quality not in UNPUBLISHING_QUALITY_STATUSES)
            yield [
                str(offer.seller_id), inert_text(offer.sku), offer.product_id or "",
                inert_text(offer.title), offer.category, _money(offer.price),
                "" if offer.quantity is None else str(offer.quantity), offer.condition,
                str(offer.active).lower(), str(published).lower(), _money(effective), str(bool(top)).lower(),
            ]


def export_offers(engine: Engine, out: TextIO, seller_id: int | None = None,
                  at: datetime | None = None) -> int:
    """Write the catalogue as it is at `at` (default: now) to `out`; returns the offers written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in _rows(engine, seller_id, at or utcnow()):
        writer.writerow(row)
        count += 1
    return count
