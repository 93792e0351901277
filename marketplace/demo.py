"""`marketplace demo`: the sample files of data/samples dropped in the inbox and processed.

It shows a newcomer the whole offer pipeline on the embedded defaults (SQLite file, local
folder): the registry loads first, then three sellers' offer files as they really arrive,
then two promotion files (one clean, one with the usual mistakes; their dates are December
2026 and January 2027), and the command prints where each error report is.
"""

from __future__ import annotations

import shutil

from rich.console import Console

from loaders.inbox import process_inbox
from marketplace.app import make_ingestor
from marketplace.config import SAMPLES_DIR, get_settings
from marketplace.layout import inbox_key

SAMPLE_DROPS = [
    ("sellers", None, "sellers.csv"),
    ("offers", 101, "offres-formations.csv"),
    ("offers", 102, "catalogue-livres.csv"),
    ("offers", 103, "offres-informatique.xlsx"),
    ("promotions", 102, "promotions-librairie.xlsx"),
    ("promotions", 103, "promotions-erreurs.csv"),
]


def run_demo(console: Console) -> int:
    settings = get_settings()
    ingestor = make_ingestor(settings)
    for kind, seller_id, name in SAMPLE_DROPS:
        ingestor.storage.upload(SAMPLES_DIR / name, inbox_key(kind, seller_id, name))
    console.print(f"Samples dropped in {ingestor.storage.url}/inbox; processing the inbox...")
    run = process_inbox(ingestor)
    for result in run.results:
        line = (f"{result.kind:10} seller={result.seller_id!s:5} {result.status:9}"
                f" rows={result.rows:<4} loaded={result.loaded:<4} rejected={result.rejected:<3}"
                f" warnings={result.warnings}")
        console.print(line)
        if result.errors_report:
            console.print(f"    report: {result.errors_report}")
    console.print(f"Catalog: {settings.database_url}  —  try: marketplace export offers")
    if shutil.which("marketplace") is None:
        console.print("(the command is in .venv/bin: source .venv/bin/activate)")
    return 0
