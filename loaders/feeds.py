"""The feeds the pipeline knows, by kind (the word used on the command line and in the inbox).

Each feed's module is imported when its kind is first asked for: a `validate offers` run, which a
seller's script waits for, does not pay for the promotion, registry and order schemas.
"""

from __future__ import annotations

from importlib import import_module

from schemas.feed import Feed

FEED_MODULES = {"offers": ("loaders.offers", "OFFERS_FEED"),
                "promotions": ("loaders.promotions", "PROMOTIONS_FEED"),
                "sellers": ("loaders.sellers", "SELLERS_FEED"),
                "orders": ("loaders.orders", "ORDERS_FEED")}
KINDS = tuple(FEED_MODULES)


def feed_for(kind: str) -> Feed:
    """The feed of `kind` (one of KINDS)."""
    module, name = FEED_MODULES[kind]
    return getattr(import_module(module), name)
