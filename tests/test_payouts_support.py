"""Builders for the payout tests (no tests here): sellers, offers and orders written directly.

The order feed is another module's; these tests insert orders as the table holds them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from marketplace.config import SAMPLES_DIR, Settings
from marketplace.models import Offer, Order, Seller
from marketplace.storage import LocalStorage
from reports.payout_run import run_payouts

PARIS = ZoneInfo("Europe/Paris")
GOOD_IBAN = "FR7630006000011234567890189"
BAD_IBAN = "FR7630006000011234567890188"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def add_seller(engine, seller_id: int, *, activated: date | None = date(2020, 1, 1), status="active",
               plan="standard", bank_valid=True, hold: date | None = None, terminated: date | None = None,
               country="FR", vat: str | None = None) -> None:
    with Session(engine) as session, session.begin():
        session.add(Seller(seller_id=seller_id, shop_name=f"Shop {seller_id}",
                           legal_name=f"Legal {seller_id} SAS", status=status, plan=plan,
                           activated_at=activated, bank_account_valid=bank_valid,
                           iban=GOOD_IBAN if bank_valid else BAD_IBAN, bic="AGRIFRPP",
                           payout_hold_until=hold, termination_requested_at=terminated,
                           country=country, vat_number=vat, siren="812345676",
                           address="1 rue X", postcode="75001", city="Paris"))


def add_offer(engine, seller_id: int, sku: str, category: str) -> None:
    with Session(engine) as session, session.begin():
        session.add(Offer(seller_id=seller_id, sku=sku, title=sku, category=category,
                          price=Decimal("1.00")))


def add_order(engine, order_id: str, seller_id: int, amount: str, *, shipping="0.00", sku="SKU",
              delivered: datetime | None = None, refunded: datetime | None = None,
              refund: str | None = None, goodwill: str | None = None,
              goodwill_at: datetime | None = None) -> None:
    with Session(engine) as session, session.begin():
        session.merge(Order(
            order_id=order_id, seller_id=seller_id, sku=sku, ordered_at=datetime(2020, 1, 1, tzinfo=UTC),
            amount=Decimal(amount), shipping_amount=Decimal(shipping),
            accepted_at=datetime(2020, 1, 1, tzinfo=UTC), delivered_at=delivered,
            refunded_at=refunded, refund_amount=Decimal(refund) if refund else None,
            goodwill_amount=Decimal(goodwill) if goodwill else None, goodwill_at=goodwill_at,
            export_date=date(2026, 11, 1)))


def settings_for(engine, tmp_path) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False),
                    storage=str(tmp_path / "store"),
                    identity_file=SAMPLES_DIR / "marketplace.toml")


def run(engine, tmp_path, month: str, close: bool = True, now: datetime | None = None):
    settings = settings_for(engine, tmp_path)
    now = now or paris(2026, 11, 1, 6, 0).astimezone(UTC)
    return run_payouts(engine, LocalStorage(tmp_path / "store"), settings, month, close=close, now=now)


def entries(engine, seller_id: int | None = None) -> list[tuple]:
    """(month, type, reference, amount, vat) in cents, in booking order."""
    from sqlalchemy import text

    query = "SELECT month, entry_type, reference, amount, vat FROM ledger_entries"
    params = {}
    if seller_id is not None:
        query += " WHERE seller_id = :s"
        params["s"] = seller_id
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(query + " ORDER BY id"), params)]
