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
from marketplace.models.invoices import Invoice, InvoiceCounter
from marketplace.models.orders import Order
from marketplace.models.payouts import LedgerEntry, Payout, PayoutMonth
from marketplace.models.quality import QualityIndicators, QualityNight, QualityStatusChange

__all__ = [
    "CENT", "NOW", "AppliedFile", "Base", "Cents", "Import", "ImportProblem", "Invoice",
    "InvoiceCounter", "Offer",
    "LedgerEntry", "OfferHistory", "OfferValues", "Order", "Payout", "PayoutMonth", "Promotion",
    "QualityIndicators", "QualityNight", "QualityStatusChange",
    "Seller", "UTCDateTime", "utcnow",
]
