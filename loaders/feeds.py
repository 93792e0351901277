"""The feeds the pipeline knows, by kind (the word used on the command line and in the inbox)."""

from __future__ import annotations

from loaders.offers import OFFERS_FEED
from loaders.orders import ORDERS_FEED
from loaders.promotions import PROMOTIONS_FEED
from loaders.sellers import SELLERS_FEED
from schemas.feed import Feed

FEEDS: dict[str, Feed] = {"offers": OFFERS_FEED, "promotions": PROMOTIONS_FEED,
                          "sellers": SELLERS_FEED, "orders": ORDERS_FEED}
