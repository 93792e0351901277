"""Reference data the business edits (data/reference/*.csv), loaded into typed records."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Category:
    """One category of the catalogue, as `categories.csv` defines it."""

    code: str
    label: str
    digital: bool
    training: bool
    prohibited: bool
    commission_rate: Decimal | None


def _yes(text: str) -> bool:
    return text.strip().lower() in {"yes", "oui", "true", "1"}


@lru_cache
def load_categories(reference_dir: Path) -> dict[str, Category]:
    """Categories by code; cached per folder (the files change with a release, not a run)."""
    with (reference_dir / "categories.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Category(
                code=row["code"],
                label=row["label"],
                digital=row["kind"] == "digital",
                training=_yes(row["training"]),
                prohibited=_yes(row["prohibited"]),
                commission_rate=Decimal(row["commission_rate"]) if row["commission_rate"] else None,
            )
            for row in csv.DictReader(handle)
        }
