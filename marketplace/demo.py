"""`marketplace demo`: the sample files of data/samples dropped in the inbox and processed.

It shows a newcomer the whole offer pipeline on the embedded defaults (SQLite file, local
folder): the registry loads first, then three sellers' offer files as they really arrive,
then two promotion files (one clean, one with the usual mistakes; their dates are December
2026 and January 2027), then a month of orders, and the command prints where each error report
is and the quality report of 2026-11-22 (Top Sellers, probations, where its files are).

The samples tell the story of one night, so the files are checked as on the morning after it
(`DEMO_NOW`, 2026-11-23 in Paris), whatever the machine's date: a promotion of the clean sample
must not turn into "already over" a few weeks after it was written.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy.engine import make_url

from loaders.inbox import process_inbox
from marketplace.app import catalog_engine, make_ingestor
from marketplace.config import SAMPLES_DIR, get_settings
from marketplace.layout import inbox_key
from reports.payout_run import payout_summary, run_payouts
from reports.quality import run_quality_report, summary_lines

SAMPLE_DROPS = [
    ("sellers", None, "sellers.csv"),
    ("offers", 101, "offres-formations.csv"),
    ("offers", 102, "catalogue-livres.csv"),
    ("offers", 103, "offres-informatique.xlsx"),
    ("promotions", 102, "promotions-librairie.xlsx"),
    ("promotions", 103, "promotions-erreurs.csv"),
]
ORDER_EXPORTS = [  # data/samples/orders/, dropped in inbox/orders/ (processed after the registry)
    "2026-11-22.csv",  # made by data/samples/make_orders.py: the quality report's month
    "2026-11-01.csv",  # October deliveries of 102, 106, 107 (payouts)
]
PAYOUT_DEMO_MONTH = "2026-10"  # closed at the end: paid, negative, invalid IBAN, fraud hold
QUALITY_DEMO_DATE = date(2026, 11, 22)  # the night the sample orders tell a story about
DEMO_NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)  # 08:00 in Paris, the morning after that night


def run_demo(console: Console) -> int:
    settings = get_settings()
    _fill_identity(settings.identity_file, console)
    ingestor = make_ingestor(settings, now=DEMO_NOW)
    for kind, seller_id, name in SAMPLE_DROPS:
        ingestor.storage.upload(SAMPLES_DIR / name, inbox_key(kind, seller_id, name))
    for name in ORDER_EXPORTS:
        ingestor.storage.upload(SAMPLES_DIR / "orders" / name, inbox_key("orders", None, name))
    console.print(f"Samples dropped in {ingestor.storage.url}/inbox; processing the inbox...")
    run = process_inbox(ingestor)
    for result in run.results:
        line = (f"{result.kind:10} seller={result.seller_id!s:5} {result.status:9}"
                f" rows={result.rows:<4} loaded={result.loaded:<4} rejected={result.rejected:<3}"
                f" warnings={result.warnings}")
        console.print(line)
        if result.errors_report:
            console.print(f"    report: {result.errors_report}")
    quality = run_quality_report(catalog_engine(settings), settings, QUALITY_DEMO_DATE).as_json()
    for line in summary_lines(quality):
        console.print(line)
    payouts = run_payouts(catalog_engine(settings), ingestor.storage, settings, PAYOUT_DEMO_MONTH,
                          close=True)
    for line in payout_summary(payouts):
        console.print(line)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    console.print(f"Catalog: {shown}  —  try: marketplace export offers")
    if shutil.which("marketplace") is None:
        console.print("(the command is in .venv/bin: source .venv/bin/activate)")
    return 0


def _fill_identity(path: Path, console: Console) -> None:
    """The identity settings file filled with the made-up sample identity when there is none,
    so that the demo, and the commands tried after it, can invoice and pay."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLES_DIR / "marketplace.toml", path)
    console.print(f"Sample marketplace identity written to {path} (made up: replace it with"
                  " config/marketplace.example.toml filled in before real payouts).")

