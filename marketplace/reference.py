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


@dataclass(frozen=True)
class Plan:
    """One plan of `plans.csv`: the standard subscription or a premium plan, fee excl. VAT."""

    code: str
    label: str
    premium: bool
    monthly_fee_excl_vat: Decimal


@dataclass(frozen=True)
class Billing:
    """What the marketplace charges that is no category's or plan's (`billing.csv`)."""

    vat_rate: Decimal
    default_commission_rate: Decimal
    plans: dict[str, Plan]

    @property
    def standard(self) -> Plan:
        return self.plans["standard"]


@lru_cache
def load_billing(reference_dir: Path) -> Billing:
    """VAT rate, default commission rate and plans; cached per folder like the categories."""
    with (reference_dir / "billing.csv").open(encoding="utf-8", newline="") as handle:
        values = {row["name"]: Decimal(row["value"]) for row in csv.DictReader(handle)}
    with (reference_dir / "plans.csv").open(encoding="utf-8", newline="") as handle:
        plans = {
            row["code"].strip().lower(): Plan(
                code=row["code"].strip().lower(),
                label=row["label"],
                premium=row["kind"] == "premium",
                monthly_fee_excl_vat=Decimal(row["monthly_fee_excl_vat"]),
            )
            for row in csv.DictReader(handle)
        }
    return Billing(vat_rate=values["vat_rate"],
                   default_commission_rate=values["default_commission_rate"], plans=plans)
