"""Monthly payouts benchmark: 10,000 sellers and 500,000 orders delivered in the month.

Why this exists: the close books, decides and publishes in one run on the 1st; performance.md
wants booking + decisions within a minute and every file (10,000 statements and invoices
included) within ten, in under 2 GB. This script builds a database `bench_payouts` next to
the given PostgreSQL URL (recreated each run; the tests' schema is untouched), loads sellers,
offers and orders with COPY, then times, in the same run:
- the baseline: a plain `SUM ... GROUP BY seller` over the month's delivered orders;
- a draft (booking every entry + decisions + the two draft files);
- the close (booking again after the draft's deletion, decisions, SEPA file, invoice numbers,
  invariants, commit) and the publication of every file (statements and invoices written by
  a 2-process pool), measured apart;
and reports the peak memory of the process and of its pool workers (max RSS).

    .venv/bin/python benchmarks/monthly_payouts.py [--sellers 10000] [--orders 500000]
        [--database-url URL] [--out benchmarks/out]

It prints a table and writes `OUT/monthly_payouts.json`. It asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from marketplace.config import SAMPLES_DIR, Settings  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.migrate import upgrade  # noqa: E402
from marketplace.storage import LocalStorage  # noqa: E402
from reports import payout_run  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "bench_payouts"
SEED = 20_261_101
MONTH = "2026-10"
NOW = datetime(2026, 11, 1, 5, tzinfo=UTC)  # 06:00 in Paris on the 1st
IBAN = "FR7630006000011234567890189"
CATEGORIES = ("formation-management", "livres", "informatique", "telephonie", "jeux-video")


def recreate_database(url: str) -> str:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
    admin.dispose()
    return make_url(url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def _copy(engine, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())


def load(engine, sellers: int, orders: int) -> None:
    """Sellers (5 % invalid IBAN, 2 % on hold), 5 offers each, orders delivered in October."""
    rng = np.random.default_rng(SEED)
    ids = np.arange(1, sellers + 1)
    _copy(engine, "sellers", pd.DataFrame({
        "seller_id": ids, "shop_name": [f"Shop {i}" for i in ids],
        "legal_name": [f"Legal {i} SAS" for i in ids], "siren": "812345676", "country": "FR",
        "address": "1 rue de la Paix", "postcode": "75002", "city": "Paris",
        "iban": IBAN, "bic": "AGRIFRPP", "bank_account_valid": rng.random(sellers) > 0.05,
        "plan": "standard", "activated_at": "2025-01-15", "status": "active",
        "payout_hold_until": np.where(rng.random(sellers) < 0.02, "2027-03-31", None),
        "created_at": "2025-01-01 00:00:00", "updated_at": "2025-01-01 00:00:00",
    }))
    skus = [f"S{k}" for k in range(5)]
    offers = pd.DataFrame({"seller_id": np.repeat(ids, 5), "sku": np.tile(skus, sellers)})
    offers["category"] = np.tile(CATEGORIES, sellers)
    offers = offers.assign(title="Produit", price=1000, currency="EUR", condition="new",
                           leadtime_to_ship=2, active=True)
    _copy(engine, "offers", offers)
    seconds = rng.integers(0, 31 * 86400 - 7200, orders)
    delivered = pd.Timestamp("2026-09-30 22:00:00") + pd.to_timedelta(seconds, unit="s")
    _copy(engine, "orders", pd.DataFrame({
        "order_id": [f"B{i:07d}" for i in range(orders)],
        "seller_id": rng.integers(1, sellers + 1, orders),
        "sku": [f"S{k}" for k in rng.integers(0, 6, orders)],  # S5: no offer, the default rate
        "ordered_at": delivered - pd.Timedelta(days=2), "amount": rng.integers(500, 30_000, orders),
        "shipping_amount": rng.choice([0, 490, 690], orders),
        "accepted_at": delivered - pd.Timedelta(days=1), "delivered_at": delivered,
        "export_date": "2026-10-31",
    }))
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def baseline(engine) -> float:
    start = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(text(
            "SELECT seller_id, SUM(amount + shipping_amount) FROM orders WHERE delivered_at >= :a"
            " AND delivered_at < :b GROUP BY seller_id"),
            {"a": datetime(2026, 9, 30, 22), "b": datetime(2026, 10, 31, 23)}).all()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    url = recreate_database(args.database_url)
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    load(engine, args.sellers, args.orders)
    figures = {"sellers": args.sellers, "orders": args.orders, "load_s": time.perf_counter() - started}
    figures["baseline_s"] = baseline(engine)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=url, storage=folder,
                            identity_file=SAMPLES_DIR / "marketplace.toml")
        storage = LocalStorage(Path(folder))
        start = time.perf_counter()
        payout_run.run_payouts(engine, storage, settings, MONTH, close=False, now=NOW)
        figures["draft_s"] = time.perf_counter() - start
        publish = payout_run.write_month_files
        timing = {}

        def timed_publish(*a, **k):
            begin = time.perf_counter()
            files = publish(*a, **k)
            timing["files_s"] = time.perf_counter() - begin
            return files

        payout_run.write_month_files = timed_publish
        start = time.perf_counter()
        result = payout_run.run_payouts(engine, storage, settings, MONTH, close=True, now=NOW)
        figures["close_total_s"] = time.perf_counter() - start
        figures["files_s"] = timing["files_s"]
        figures["close_db_s"] = figures["close_total_s"] - figures["files_s"]
        figures["files"] = len(result.files)
        figures["paid"], figures["carried"], figures["held"] = result.paid, result.carried, result.held
    with engine.connect() as connection:
        count = connection.execute(text("SELECT COUNT(*) FROM ledger_entries"))
        figures["ledger_entries"] = count.scalar_one()
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["peak_rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures["draft_vs_baseline"] = figures["draft_s"] / figures["baseline_s"]
    figures["close_db_vs_baseline"] = figures["close_db_s"] / figures["baseline_s"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "monthly_payouts.json").write_text(json.dumps(figures, indent=2))
    for name, value in figures.items():
        print(f"{name:24} {value:,.2f}" if isinstance(value, float) else f"{name:24} {value:,}")


if __name__ == "__main__":
    main()
