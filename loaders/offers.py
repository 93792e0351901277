"""The offer feed: checking a file here, loading it in `loaders.offer_loading`."""

from __future__ import annotations

from schemas.feed import FeedContext, LoadedByModule, Validated
from schemas.offers import OFFER_COLUMNS, validate_offers
from schemas.seller_file_columns import PROMOTION_COLUMNS_IN_OFFER_FILES


class OffersFeed(LoadedByModule):
    """Seller-scoped offers, staged through a temporary table."""

    kind = "offers"
    columns = OFFER_COLUMNS
    preferred_sheets = ("offers", "offres")
    seller_scoped = True
    report_masks: dict = {}
    report_text_mask = None
    other_feed_columns = PROMOTION_COLUMNS_IN_OFFER_FILES
    validated_against_catalog = False
    header_only_is_empty_load = False
    export_dated_by_name = False
    loading = "loaders.offer_loading"

    def validate(self, frame, headers, ctx: FeedContext) -> Validated:
        return validate_offers(frame, headers, ctx)


OFFERS_FEED = OffersFeed()
