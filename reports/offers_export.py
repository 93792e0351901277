"""`marketplace export offers`: the catalogue as CSV, one row per (seller, sku).

`published` is derived here from the offer's active flag and its seller's status, never
stored; the latest published nightly quality report takes offers off too when it says the seller's trial
limit is reached, as long as the registry still sets a limit (ops lifting it, by emptying the
cells, puts the offers back at once, not at the next night; a limit raised waits for the night
to count against it); probation and a proposed deactivation do not unpublish. A termination takes
effect at the end of the month of `termination_requested_at` (seed 000, feeds.md): from the next
month (Paris) the seller's offers are off, whatever status the registry still shows, as its
subscription is no longer charged then (reports.ledger_fees). `effective_price` is
what the offer costs at the time of the export: the price of the promotion running then, else
the price (`reports.effective_price`); `top_seller` is the latest published quality report's
verdict (false before the first report).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TextIO

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from marketplace.calendar import paris_today
from marketplace.db import is_postgres
from marketplace.models import Offer, QualityIndicators, QualityNight, Seller, utcnow
from reports.effective_price import effective_price, running_promotions
from reports.safe_cells import SpreadsheetCsvWriter, inert_text

EXPORT_COLUMNS = [
    "seller_id", "sku", "product_id", "title", "category", "price", "quantity", "condition",
    "active", "published", "effective_price", "top_seller",
]
PUBLISHING_STATUSES = ("active",)
UNPUBLISHING_QUALITY_STATUSES = ("trial_limit_reached",)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _terminated(requested: date | None, month_start: date) -> bool:
    """Whether a termination requested on `requested` has taken effect (its month is over)."""
    return requested is not None and requested < month_start


def _rows(engine: Engine, seller_id: int | None, at: datetime) -> Iterator[list[str]]:
    running = running_promotions(at)
    month_start = paris_today(at if at.tzinfo else at.replace(tzinfo=UTC)).replace(day=1)
    last_published = (select(func.max(QualityNight.report_date))
                      .where(QualityNight.published_at.is_not(None)).scalar_subquery())
    latest = (select(QualityIndicators.seller_id, QualityIndicators.status, QualityIndicators.top_seller)
              .where(QualityIndicators.report_date == last_published).subquery())
    limited = Seller.trial_max_orders.is_not(None) | Seller.trial_max_revenue.is_not(None)
    query = (select(Offer, Seller.status, Seller.termination_requested_at, effective_price(running),
                    latest.c.status, latest.c.top_seller, limited)
             .join(Seller, Seller.seller_id == Offer.seller_id)
             .outerjoin(running, and_(running.c.seller_id == Offer.seller_id,
                                      running.c.sku == Offer.sku))
             .outerjoin(latest, latest.c.seller_id == Offer.seller_id)
             .order_by(Offer.seller_id, Offer.sku.collate("C") if is_postgres(engine) else Offer.sku))
    if seller_id is not None:
        query = query.where(Offer.seller_id == seller_id)
    with Session(engine) as session:
        for offer, status, termination, effective, quality, top, trial in session.execute(
                query.execution_options(yield_per=10_000)):
            published = (offer.active and status in PUBLISHING_STATUSES
                         and not _terminated(termination, month_start)
                         and not (quality in UNPUBLISHING_QUALITY_STATUSES and trial))
            yield [
                str(offer.seller_id), inert_text(offer.sku), offer.product_id or "",
                inert_text(offer.title), offer.category, _money(offer.price),
                "" if offer.quantity is None else str(offer.quantity), offer.condition,
                str(offer.active).lower(), str(published).lower(), _money(effective), str(bool(top)).lower(),
            ]


class UnknownSeller(LookupError):
    """`seller_id` is not in the registry (a typo, most often: not an empty shop)."""


def export_offers(engine: Engine, out: TextIO, seller_id: int | None = None,
                  at: datetime | None = None) -> int:
    """Write the catalogue as it is at `at` (default: now) to `out`; returns the offers written.
    An unknown `seller_id` raises UnknownSeller before anything is written."""
    if seller_id is not None:
        with Session(engine) as session:
            if session.get(Seller, seller_id) is None:
                raise UnknownSeller(f"Vendeur {seller_id} inconnu du registre / seller {seller_id}"
                                    " is not in the registry")
    writer = SpreadsheetCsvWriter(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in _rows(engine, seller_id, at or utcnow()):
        writer.writerow(row)
        count += 1
    return count
