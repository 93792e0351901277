"""An order belongs to one seller (feeds.md): no export moves it to another, on both databases.

A later export naming another seller for a stored order was applied as any newer state: the
order, with its claim, refund and rating, went to the other seller's figures and payouts, and
a third export moved it back.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from marketplace.config import Settings
from marketplace.errors import Reason
from tests.conftest import _truncate
from tests.helpers import add_seller
from tests.test_orders_feed import add_offer, codes, ingest, stored, write

HEADER = ("order_id;seller_id;sku;ordered_at;amount;accepted_at;refunded_at;refund_amount;"
          "refund_reason;claim_opened_at;claim_reason;rated_at;rating_delivery_place;"
          "rating_on_time;rating_care;rating_conformity;rating_packaging\n")
OF_102 = ("A-001;102;B-100;2026-11-20 10:00;40,00;2026-11-20 11:00;2026-11-21 09:00;40,00;claim;"
          "2026-11-20 18:00;cassé;2026-11-21 10:00;1;2;1;1;2")
OF_201 = "A-001;201;X-201;2026-11-20 10:00;40,00;2026-11-20 11:00;;;;;;;;;;;"


@pytest.fixture
def two_sellers(engine):
    for seller_id, sku in ((102, "B-100"), (201, "X-201")):
        add_seller(engine, seller_id)
        add_offer(engine, seller_id, sku)
    return engine


def _as_stored(engine) -> tuple:
    a = stored(engine)["A-001"]
    return (a.seller_id, a.sku, a.claim_reason, a.refund_amount, a.rating_care, a.export_date,
            a.last_import_id)


def test_a_later_export_naming_another_seller_is_rejected_and_leaves_the_order(
        two_sellers, settings, tmp_path):
    first = ingest(two_sellers, settings, write(tmp_path / "2026-11-21.csv", OF_102, header=HEADER))
    assert (first.status, first.loaded) == ("loaded", 1)
    kept = (102, "B-100", "cassé", Decimal("40.00"), 1, date(2026, 11, 21), first.import_id)
    assert _as_stored(two_sellers) == kept
    later = ingest(two_sellers, settings, write(tmp_path / "2026-11-22.csv", OF_201, header=HEADER))
    assert (later.status, later.exit_code, later.loaded, later.rejected) == ("partial", 1, 0, 1)
    assert codes(later.problems) == {(2, "seller_id", Reason.OTHER_SELLER)}
    [problem] = later.problems
    assert problem.value == "201"
    assert problem.message_fr.startswith("La commande « A-001 » appartient au vendeur 102, pas au"
                                         " vendeur 201")
    assert problem.message_en.startswith('Order "A-001" belongs to seller 102, not to seller 201')
    assert _as_stored(two_sellers) == kept
    # the same day, a re-export, or an older one: the order stays with its seller either way
    for name in ("2026-11-21.csv", "2026-11-20.csv"):
        again = ingest(two_sellers, settings, write(tmp_path / "again" / name, OF_201, header=HEADER))
        assert (again.status, again.loaded, codes(again.problems)) == (
            "partial", 0, {(2, "seller_id", Reason.OTHER_SELLER)})
    assert _as_stored(two_sellers) == kept
    # its own seller's newer export still replaces it
    newer = ingest(two_sellers, settings, write(tmp_path / "2026-11-23.csv",
                                                OF_102.replace("cassé", "rayé"), header=HEADER))
    assert (newer.status, newer.loaded) == ("loaded", 1)
    assert _as_stored(two_sellers)[2:] == ("rayé", Decimal("40.00"), 1, date(2026, 11, 23),
                                           newer.import_id)


def test_other_rows_of_the_file_load(two_sellers, settings, tmp_path):
    ingest(two_sellers, settings, write(tmp_path / "2026-11-21.csv", OF_102, header=HEADER))
    result = ingest(two_sellers, settings, write(
        tmp_path / "2026-11-22.csv", "A-002;201;X-201;2026-11-21 10:00;10;;;;;;;;;;;;", OF_201,
        header=HEADER))
    assert (result.status, result.loaded, result.rejected, result.warnings) == ("partial", 1, 1, 0)
    orders = stored(two_sellers)
    assert (orders["A-001"].seller_id, orders["A-002"].seller_id) == (102, 201)


def test_an_order_a_concurrent_file_stores_for_another_seller_is_not_taken_over(
        postgres_engine, tmp_path):
    """PostgreSQL: the file's upsert waits for the other transaction's new order, then finds
    it; checked only before the upsert, the row would have overwritten it once committed."""
    _truncate(postgres_engine)
    engine = postgres_engine
    for seller_id, sku in ((102, "B-100"), (201, "X-201")):
        add_seller(engine, seller_id)
        add_offer(engine, seller_id, sku)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        storage=str(tmp_path / "store"))
    path = write(tmp_path / "2026-11-22.csv", OF_201, header=HEADER)
    results = []
    with engine.connect() as other:
        other.execute(text(
            "INSERT INTO orders (order_id, seller_id, sku, ordered_at, amount, shipping_amount,"
            " export_date, last_import_id) VALUES ('A-001', 102, 'B-100', :at, 40, 0,"
            " '2026-11-21', 0)"), {"at": datetime(2026, 11, 20, 9, tzinfo=UTC)})
        loader = threading.Thread(target=lambda: results.append(ingest(engine, settings, path)))
        loader.start()
        with engine.connect() as watch:
            for _ in range(300):  # until the loader waits for the uncommitted order's lock
                waiting = watch.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()")).scalar_one()
                watch.rollback()  # the activity view is read once per transaction
                if waiting:
                    break
                time.sleep(0.1)
        assert waiting, "the loader never waited for the other transaction"
        other.commit()
    loader.join(timeout=60)
    [result] = results
    assert (result.status, result.loaded, codes(result.problems)) == (
        "partial", 0, {(2, "seller_id", Reason.OTHER_SELLER)})
    assert stored(engine)["A-001"].seller_id == 102
