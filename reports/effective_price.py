"""What an offer costs at an instant: its price, or the price of the promotion running then.

One rule, in SQL, for the loader (a discount must be below the offer's price) and for every
reader (the export): a promotion's price is its discount price, or the offer's price less the
percentage, rounded half-up to the cent. In integer cents that is
`(price * (100 - percent) * 2 + 100) / 200` with integer division: exact on both databases,
no float anywhere, and equal to `Decimal.quantize(CENT, ROUND_HALF_UP)` (a property test
checks it). A promotion never raises a price: one that is not below the current price (the
offer's price went down since it was loaded) is ignored. Free delivery (type 10) leaves the
price as it is.

Prices are the offers' current prices: the catalog plans promotions, not price changes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Select,
    Subquery,
    and_,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from marketplace.models import Cents, Offer, Promotion


def promotion_price_sql(offer: str = "o", promotion: str = "p") -> str:
    """The promotion's price in cents (NULL for free delivery), for the table names given."""
    return (f"COALESCE({promotion}.discount_price, ({offer}.price * (100 -"
            f" {promotion}.discount_percent) * 2 + 100) / 200)")


def running_promotions(at: datetime) -> Subquery:
    """The promotions running at `at` (an aware datetime): start included, end excluded."""
    return select(
        Promotion.seller_id, Promotion.sku, Promotion.promotion_type, Promotion.discount_percent,
        type_coerce(Promotion.discount_price, BigInteger).label("discount_price"),  # in cents
    ).where(Promotion.start_at <= at, Promotion.end_at > at).subquery("running")


def effective_price(running: Subquery, offers: str = "offers") -> ColumnElement[Decimal]:
    """The offer's price, or its running promotion's when that is above 0 and below it."""
    promo = promotion_price_sql(offers, running.name)
    return literal_column(f"CASE WHEN {promo} > 0 AND {promo} < {offers}.price THEN {promo}"
                          f" ELSE {offers}.price END", Cents())


def effective_prices_query(at: datetime, seller_id: int | None = None) -> Select:
    """Every offer (of one seller, or all) with its effective price at `at`.

    Columns: seller_id, sku, effective_price (Decimal euros), promotion_type (None when no
    promotion runs then).
    """
    running = running_promotions(at)
    query = select(Offer.seller_id, Offer.sku, effective_price(running).label("effective_price"),
                   running.c.promotion_type).outerjoin(
        running, and_(running.c.seller_id == Offer.seller_id, running.c.sku == Offer.sku))
    return query if seller_id is None else query.where(Offer.seller_id == seller_id)


def effective_prices(
    bind: Session | Engine, at: datetime, seller_id: int | None = None
) -> dict[tuple[int, str], Decimal]:
    """(seller_id, sku) -> what the offer costs at instant `at`, for every offer."""
    query = effective_prices_query(at, seller_id)
    if isinstance(bind, Session):
        return {(s, k): price for s, k, price, _type in bind.execute(query)}
    with Session(bind) as session:
        return {(s, k): price for s, k, price, _type in session.execute(query)}
