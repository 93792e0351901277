"""Fan-out: process_inbox on a Dask LocalCluster of processes gives the catalog, row for row, that
the plain sequential inbox run gives (offers, their history, promotions, import outcomes).

50 files: 5 sellers × (8 offer files re-pricing the same SKUs, in arrival order, one bad row
each, + 2 promotion files). Arrival order matters (the last price wins, each re-price writes a
history row), so a fan-out that reordered one seller's files would show.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from loaders.inbox import process_inbox
from loaders.ingest import Ingestor
from marketplace.config import Settings, get_settings
from marketplace.storage import LocalStorage
from tests.conftest import _truncate
from tests.helpers import add_seller, offer_rows, write_offer_csv

SELLERS = (1, 2, 3, 4, 5)
OFFER_FILES = 8
PROMOTION_HEADER = "sku;type;prix promo;remise %;début;fin;période\n"
T0 = 1_800_000_000  # arrival times (mtime), one minute apart, sellers interleaved

COMPARED = {
    "offers": "SELECT seller_id, sku, product_id, title, category, price, quantity, condition, active"
              " FROM offers ORDER BY seller_id, sku",
    "offer_history": "SELECT seller_id, sku, price, active FROM offer_history ORDER BY seller_id, sku, price",
    "promotions": "SELECT seller_id, sku, promotion_type, discount_price, discount_percent, start_at,"
                  " end_at, period FROM promotions ORDER BY seller_id, sku, start_at",
    "imports": "SELECT kind, seller_id, file_name, sha256, status, rows_read, rows_loaded, rows_rejected"
               " FROM imports ORDER BY kind, seller_id, file_name",
}


def drop_inbox(store: Path) -> int:
    """Write the 50 inbox files under `store`; returns how many."""
    count = 0
    for j in range(OFFER_FILES):
        for seller in SELLERS:
            folder = store / "inbox" / "offers" / str(seller)
            folder.mkdir(parents=True, exist_ok=True)
            # SKU-00000..2 re-priced by every file (10,00 + j), one new SKU per file, one bad price
            rows = offer_rows(3, price=f"{10 + j},00") + offer_rows(1, start=10 + j)
            rows.append([f"BAD-{j}", "", "Sans prix", "informatique", "gratuit", "1", "new"])
            path = write_offer_csv(folder / f"o{j}.csv", rows)
            os.utime(path, (T0 + 60 * count, T0 + 60 * count))
            count += 1
    for seller in SELLERS:
        folder = store / "inbox" / "promotions" / str(seller)
        folder.mkdir(parents=True, exist_ok=True)
        for j, sku in enumerate(("SKU-00000", "SKU-00001")):
            path = folder / f"p{j}.csv"
            path.write_text(PROMOTION_HEADER + f"{sku};6;{1 + seller},00;;2027-02-04;2027-02-06;\n",
                            encoding="utf-8")
            os.utime(path, (T0 + 60 * count, T0 + 60 * count))
            count += 1
    return count


def snapshot(engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in COMPARED.items()}


def fresh_catalog(engine) -> None:
    _truncate(engine)
    for seller in SELLERS:
        add_seller(engine, seller)


def test_a_dask_run_equals_the_sequential_run_row_for_row(prefect_harness, engine, tmp_path, monkeypatch):
    from flows.ingest import inbox_task_runner, process_inbox_flow

    url = engine.url.render_as_string(hide_password=False)
    fresh_catalog(engine)
    assert drop_inbox(tmp_path / "plain") == 50
    settings = Settings(database_url=url, storage=str(tmp_path / "plain"))
    plain = process_inbox(Ingestor(engine, LocalStorage(tmp_path / "plain"), settings))
    assert len(plain.results) == 50
    expected = snapshot(engine)

    fresh_catalog(engine)
    drop_inbox(tmp_path / "dask")
    # the Dask workers are processes: they read the settings from the environment
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", url)
    monkeypatch.setenv("MARKETPLACE_STORAGE", str(tmp_path / "dask"))
    get_settings.cache_clear()
    results = process_inbox_flow.with_options(task_runner=inbox_task_runner("local"))()
    get_settings.cache_clear()

    assert len(results) == 50
    assert snapshot(engine) == expected
    # what the comparison covers: 5 sellers × (3 re-priced + 8 new) offers at the last price,
    # 7 superseded prices of 3 SKUs each, 2 promotions, and 40 partial + 10 loaded imports
    assert len(expected["offers"]) == 5 * 11
    assert {row[5] for row in expected["offers"] if row[1] < "SKU-00003"} == {1700}  # cents
    assert len(expected["offer_history"]) == 5 * 3 * 7
    assert len(expected["promotions"]) == 5 * 2
    assert sorted({row[4] for row in expected["imports"]}) == ["loaded", "partial"]
    assert sum(row[4] == "partial" for row in expected["imports"]) == 40
    assert not list((tmp_path / "dask" / "inbox").rglob("*.csv"))
