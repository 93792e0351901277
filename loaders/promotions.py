"""The promotion feed: checking a file here, loading it in `loaders.promotion_loading`."""

from __future__ import annotations

from schemas.feed import FeedContext, LoadedByModule, StagedAsValidated, Validated
from schemas.promotions import PROMOTION_COLUMNS, validate_promotions
from schemas.seller_file_columns import OFFER_COLUMNS_IN_PROMOTION_FILES


class PromotionsFeed(StagedAsValidated, LoadedByModule):
    """Seller-scoped promotions, staged through a temporary table as validation typed them."""

    kind = "promotions"
    columns = PROMOTION_COLUMNS
    preferred_sheets = ("promotions", "promos")
    seller_scoped = True
    report_masks: dict = {}
    report_text_mask = None
    other_feed_columns = OFFER_COLUMNS_IN_PROMOTION_FILES
    validated_against_catalog = True
    header_only_is_empty_load = False
    export_dated_by_name = False
    loading = "loaders.promotion_loading"

    def validate(self, frame, headers, ctx: FeedContext) -> Validated:
        return validate_promotions(frame, headers, ctx)


PROMOTIONS_FEED = PromotionsFeed()
