"""Nightly quality benchmark: 10,000 sellers and 2,000,000 orders over 6 months in PostgreSQL.

Why this exists: the night must stay within its slot as the marketplace grows. This script
fills a database of its own (default `bench_quality` on the local server; the URL from
`BENCH_QUALITY_DATABASE_URL` or `--database-url`) with deterministic sellers and orders
(numpy, loaded with COPY), then times, in one run:
- the baselines: a plain `SELECT seller_id, count(*) FROM orders GROUP BY seller_id`, and
  reading every order once (`COPY orders TO STDOUT`);
- the indicator computation (`compute_night`: read the window's orders, per-order rules,
  per-seller totals; target ≤ 30 s);
- the whole night (`run_quality_report`: indicators, statuses, history, indicators.csv/.xlsx and
  10,000 seller workbooks written by 2 worker processes; target ≤ 10 min);
- the peak memory (resource.getrusage: this process and its largest child; target < 2 GB).
It prints the figures and their ratios to the baselines, and asserts nothing.

    .venv/bin/python benchmarks/nightly_quality.py [--sellers 10000] [--orders 2000000] [--workers 2]
        [--database-url URL] [--skip-load]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loaders.bulk import copy_frame  # noqa: E402
from marketplace.config import Settings  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.migrate import upgrade  # noqa: E402
from reports.quality import run_quality_report  # noqa: E402
from reports.quality_calendar import quality_window  # noqa: E402
from reports.quality_indicators import compute_night  # noqa: E402

REPORT_DATE = date(2026, 11, 21)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_quality"
HOUR = np.timedelta64(3600, "s")


def _ensure_database(url: str) -> None:
    """The benchmark's database made when missing (a fresh server has none)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": name}).first() is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _reset(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)


def _sellers(count: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    ids = np.arange(1, count + 1)
    activated = pd.Timestamp("2026-11-21") - pd.to_timedelta(rng.integers(30, 1500, count), unit="D")
    trial = rng.random(count) < 0.05
    return pd.DataFrame({
        "seller_id": ids, "shop_name": [f"Shop {i}" for i in ids], "legal_name": [f"Legal {i}" for i in ids],
        "status": np.where(rng.random(count) < 0.03, "vacation", "active"),
        "activated_at": activated.date, "plan": "standard", "bank_account_valid": False,
        "trial_max_orders": pd.Series(np.where(trial, 150, 0), dtype="Int64").where(trial),
        "created_at": pd.Timestamp("2026-11-01"), "updated_at": pd.Timestamp("2026-11-01"),
    })


def _orders(count: int, sellers: int) -> pd.DataFrame:
    """Orders over the 6-month window (plus 10 days before it), events vectorised."""
    rng = np.random.default_rng(2)
    window = quality_window(REPORT_DATE)
    start = np.datetime64(window.start_utc.replace(tzinfo=None), "s") - np.timedelta64(10, "D")
    span = int((np.datetime64(window.end_utc.replace(tzinfo=None), "s") - start) / np.timedelta64(1, "s"))
    # a few big sellers and many small ones (Zipf-like weights)
    weights = 1 / np.arange(1, sellers + 1) ** 0.6
    seller = rng.choice(np.arange(1, sellers + 1), size=count, p=weights / weights.sum())
    ordered = start + rng.integers(0, span, count).astype("timedelta64[s]")
    decision = rng.random(count)
    accepted = np.where(decision < 0.93, ordered + rng.integers(1, 40, count) * HOUR, np.datetime64("NaT"))
    refused = np.where((decision >= 0.93) & (decision < 0.96), ordered + 2 * HOUR, np.datetime64("NaT"))
    delivery = rng.choice(np.array(["tracked", "standard", "digital"]), count, p=[0.7, 0.15, 0.15])
    shipped = accepted + 20 * HOUR
    estimated = shipped + 72 * HOUR
    late = rng.random(count) < 0.06
    delivered = estimated + np.where(late, 30, -5) * HOUR
    tracked = (delivery == "tracked") & (rng.random(count) < 0.95) & ~np.isnat(shipped)
    claim = (rng.random(count) < 0.02) & ~np.isnat(accepted)
    refund = (rng.random(count) < 0.02) & ~np.isnat(accepted)
    question = rng.random(count) < 0.2
    asked = np.where(question, ordered + 3 * HOUR, np.datetime64("NaT"))
    answered = np.where(question & (rng.random(count) < 0.998), asked + rng.integers(1, 60, count) * HOUR,
                        np.datetime64("NaT"))
    rated = (rng.random(count) < 0.4) & ~np.isnat(accepted)
    frame = pd.DataFrame({
        "order_id": pd.Series(np.arange(count)).map("B-{:08d}".format),
        "seller_id": seller, "sku": "SKU-1", "ordered_at": ordered,
        "amount": rng.integers(500, 20000, count), "shipping_amount": 490,
        "accepted_at": accepted, "refused_at": refused,
        "shipped_at": shipped, "delivery": delivery,
        "tracking_number": np.where(tracked, "6A123", None),
        "estimated_delivery_at": estimated, "delivered_at": delivered,
        "refunded_at": np.where(refund, accepted + 24 * HOUR, np.datetime64("NaT")),
        "refund_reason": np.where(refund, "spontaneous", None),
        "claim_opened_at": np.where(claim, delivered + 24 * HOUR, np.datetime64("NaT")),
        "question_at": asked, "answered_at": answered,
        "rated_at": np.where(rated, delivered + 48 * HOUR, np.datetime64("NaT")),
        "export_date": REPORT_DATE, "created_at": pd.Timestamp("2026-11-21"),
        "updated_at": pd.Timestamp("2026-11-21"),
    })
    for aspect in ("rating_delivery_place", "rating_on_time", "rating_care", "rating_conformity",
                   "rating_packaging"):
        frame[aspect] = pd.Series(rng.integers(3, 6, count), dtype="Int64").where(rated)
    return frame


def _load(engine, sellers: int, orders: int) -> float:
    started = time.perf_counter()
    _reset(engine)
    seller_frame = _sellers(sellers)
    with Session(engine) as session, session.begin():
        copy_frame(session, "sellers", seller_frame, list(seller_frame.columns))
    frame = _orders(orders, sellers)
    for first in range(0, orders, 500_000):
        with Session(engine) as session, session.begin():
            part = frame.iloc[first:first + 500_000]
            copy_frame(session, "orders", part, list(part.columns))
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _baselines(engine) -> tuple[float, float]:
    def group_by() -> int:
        with engine.connect() as connection:
            query = text("SELECT seller_id, count(*) FROM orders GROUP BY seller_id")
            return len(connection.execute(query).all())

    def copy_all() -> int:
        raw = engine.raw_connection()
        size = 0
        try:
            with raw.cursor() as cursor, cursor.copy("COPY orders TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    size += len(block)
        finally:
            raw.close()
        return size

    return _timed(group_by)[0], _timed(copy_all)[0]


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sellers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_QUALITY_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--skip-load", action="store_true", help="reuse the data already loaded")
    args = parser.parse_args()
    _ensure_database(args.database_url)
    engine = make_engine(args.database_url)
    if not args.skip_load:
        print(f"loading {args.sellers:,} sellers and {args.orders:,} orders (COPY)... ", end="", flush=True)
        print(f"{_load(engine, args.sellers, args.orders):.1f} s")
    group_by, copy_all = _baselines(engine)
    compute, _night = _timed(lambda: compute_night(engine, quality_window(REPORT_DATE)))
    with tempfile.TemporaryDirectory() as store:
        settings = Settings(database_url=args.database_url, storage=store)
        whole, report = _timed(lambda: run_quality_report(engine, settings, REPORT_DATE,
                                                          workers=args.workers))
        books = len(list(Path(store).rglob("sellers/*.xlsx")))
    own, children = _peak_mb()
    print(f"baseline GROUP BY count:            {group_by:8.2f} s")
    print(f"baseline COPY orders TO STDOUT:     {copy_all:8.2f} s")
    print(f"indicator computation:              {compute:8.2f} s   (target 30 s;"
          f" {compute / group_by:.1f} x GROUP BY, {compute / copy_all:.1f} x COPY)")
    print(f"whole night ({books:,} seller workbooks):  {whole:8.2f} s   (target 600 s;"
          f" {whole / copy_all:.1f} x COPY)")
    print(f"peak memory: this process {own:,.0f} MB, largest worker {children:,.0f} MB   (target < 2,048 MB)")
    print("night:", report.as_json() | {"files": "..."})


if __name__ == "__main__":
    main()
