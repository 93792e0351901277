"""The quality thresholds (data/reference/quality_thresholds.csv), loaded into typed records.

The business edits the file, not the code: one row per indicator with its Top Seller bound,
its probation bound, the values that score 5 and 0, and the minimum denominator under which a
rate is "not enough data"; two rows carry the Top Seller order count and seniority, and one the
probation length in days. Values are exact `Fraction`s so that comparisons never round.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

RATE_INDICATORS = ("acceptance", "claim", "refund", "tracking", "late")
SCORED_INDICATORS = ("average_rating", *RATE_INDICATORS, "response_hours")


@dataclass(frozen=True)
class Threshold:
    """One indicator's bounds; `higher` says whether a higher value is better."""

    indicator: str
    higher: bool
    top_seller: Fraction | None
    probation: Fraction | None
    score_5: Fraction | None
    score_0: Fraction | None
    min_denominator: int

    def meets_top(self, value: Fraction) -> bool:
        assert self.top_seller is not None
        return value >= self.top_seller if self.higher else value <= self.top_seller

    def breaches_probation(self, value: Fraction) -> bool:
        if self.probation is None:
            return False
        return value < self.probation if self.higher else value > self.probation

    def sub_score(self, value: Fraction) -> Fraction:
        """Linear between the "score 0" and "score 5" values, clamped to 0..5."""
        assert self.score_5 is not None and self.score_0 is not None
        raw = 5 * (value - self.score_0) / (self.score_5 - self.score_0)
        return min(Fraction(5), max(Fraction(0), raw))


@dataclass(frozen=True)
class QualityThresholds:
    indicators: dict[str, Threshold]
    top_order_count: int
    top_seniority_months: int
    probation_days: int


def _fraction(text: str) -> Fraction | None:
    return Fraction(text) if text.strip() else None


@lru_cache
def load_quality_thresholds(reference_dir: Path) -> QualityThresholds:
    """The thresholds of `quality_thresholds.csv`; cached per folder (changed by a release)."""
    with (reference_dir / "quality_thresholds.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["indicator"]: row for row in csv.DictReader(handle)}
    indicators = {
        name: Threshold(
            indicator=name, higher=rows[name]["better"] == "higher",
            top_seller=_fraction(rows[name]["top_seller"]),
            probation=_fraction(rows[name]["probation"]),
            score_5=_fraction(rows[name]["score_5"]), score_0=_fraction(rows[name]["score_0"]),
            min_denominator=int(rows[name]["min_denominator"]),
        )
        for name in SCORED_INDICATORS
    }
    return QualityThresholds(
        indicators=indicators,
        top_order_count=int(rows["order_count"]["top_seller"]),
        top_seniority_months=int(rows["seniority_months"]["top_seller"]),
        probation_days=int(rows["probation_days"]["probation"]),
    )
