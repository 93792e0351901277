"""The catalog database's tables, one module per area; importing this package registers them
all on `Base.metadata` (what Alembic and the tests compare)."""

from marketplace.models.catalog import (
    CENT,
    NOW,
    AppliedFile,
    Base,
    Cents,
    Import,
    ImportProblem,
    Offer,
    OfferHistory,
    OfferValues,
    Promotion,
    Seller,
    UTCDateTime,
    utcnow,
)
from marketplace.models.orders import Order

__all__ = [
    "CENT", "NOW", "AppliedFile", "Base", "Cents", "Import", "ImportProblem", "Offer",
    "OfferHistory", "OfferValues", "Order", "Promotion", "Seller", "UTCDateTime", "utcnow",
]
