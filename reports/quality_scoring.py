"""Values, sub-scores, the score /5, Top Seller and what it misses, probation breaches.

Everything is computed from the exact numerators and denominators with `Fraction`s, so that a
threshold comparison never depends on rounding; values are rounded half-up only where they are
shown (rates and hours one decimal, the rating two: 4.65 must not read as 4.7). The loop here is
per seller (10,000 a night), never per order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

import pandas as pd

from reports.quality_reference import RATE_INDICATORS, QualityThresholds, Threshold

PLACES = {"average_rating": 2, "response_hours": 1} | dict.fromkeys(RATE_INDICATORS, 1)
LABELS = {"average_rating": "rating", "acceptance": "acceptance", "claim": "claim",
          "refund": "spontaneous refund", "tracking": "tracking", "late": "late delivery",
          "response_hours": "response time"}
LABELS_FR = {"average_rating": "note", "acceptance": "acceptation", "claim": "réclamations",
             "refund": "remboursements spontanés", "tracking": "suivi", "late": "retards de livraison",
             "response_hours": "délai de réponse"}
"""The indicators as the seller guide names them: what sellers read comes in French first."""
Said = tuple[str, str]
"""A text in French, then in English."""
UNITS = {"average_rating": "/5", "response_hours": " h"} | dict.fromkeys(RATE_INDICATORS, " %")
GAP_UNITS = {"average_rating": "", "response_hours": " h"} | dict.fromkeys(RATE_INDICATORS, " points")
STEP_UNITS = {"average_rating": ("", ""), "response_hours": (" h", " h")} | dict.fromkeys(
    RATE_INDICATORS, (" point", " points"))
"""The unit of "less than one displayed step" (0,1 point: singular in French below 2)."""


def said_both(items: list[Said]) -> str:
    """The French list, then the English one: "acceptation 80,0 % < 85 % / acceptance 80.0 %
    < 85 %" (sellers read these in their workbook, ops in the CSV)."""
    if not items:
        return ""
    return "; ".join(fr for fr, _ in items) + " / " + "; ".join(en for _, en in items)


def french(value: Decimal | int | str) -> str:
    """A number as French writes it: a decimal comma."""
    return str(value).replace(".", ",")


def half_up(value: Fraction, places: int) -> Decimal:
    """`value` rounded half-up to `places` decimals, exactly (no float on the way)."""
    scale = 10**places
    return Decimal(floor(value * scale + Fraction(1, 2))).scaleb(-places)


def exact_values(row: pd.Series | Mapping) -> dict[str, tuple[Fraction | None, int]]:
    """Each indicator's exact value (None when its denominator is 0) and denominator, from the
    night's counts (a row of the night's table, or its dict)."""
    values: dict[str, tuple[Fraction | None, int]] = {}
    den = int(row["rating_den"])
    values["average_rating"] = (Fraction(int(row["rating_points"]), 5 * den) if den else None, den)
    for name in RATE_INDICATORS:
        den = int(row[f"{name}_den"])
        values[name] = (Fraction(100 * int(row[f"{name}_num"]), den) if den else None, den)
    den = int(row["response_den"])
    values["response_hours"] = (Fraction(int(row["response_seconds"]), 3600 * den) if den else None, den)
    return values


@dataclass
class SellerVerdict:
    """One seller's scoring on D (before the status machine)."""

    shown: dict[str, Decimal | None]  # values as displayed; None = not enough data
    sub_scores: dict[str, Decimal | None]
    score_tenths: int | None
    top_seller: bool
    missing: list[Said]  # the Top Seller criteria that fail, and by how much
    breaches: list[Said]  # "acceptation 80,0 % < 85 %", for the status change reason
    breached: set[str]  # the indicators past their probation threshold

    @property
    def top_seller_missing(self) -> str:
        return said_both(self.missing)


def less_than_a_step(name: str) -> Said:
    """A gap the displayed value cannot show: "moins de 0,1 point" / "less than 0.1 points"."""
    step = Decimal(1).scaleb(-PLACES[name])
    unit_fr, unit_en = STEP_UNITS[name]
    return f"moins de {french(step)}{unit_fr}", f"less than {step}{unit_en}"


def reads_as_breach(name: str, shown: Decimal, rule: Threshold) -> bool:
    """Whether the displayed value, next to the displayed probation bound, reads as past it:
    acceptance 84.96 % breaches 85 % but shows as 85.0 %, which does not."""
    assert rule.probation is not None
    bound = half_up(rule.probation, PLACES[name])
    return shown < bound if rule.higher else shown > bound


def _breach_text(name: str, shown: Decimal, rule: Threshold) -> Said:
    """A probation breach as the status change says it: "acceptation 80,0 % < 85 %"; when the
    displayed value reads as the bound, how far past it the value is instead ("acceptation
    85,0 % : moins de 0,1 point sous le seuil de 85 %"), never "85,0 % < 85 %"."""
    assert rule.probation is not None
    bound = f"{half_up(rule.probation, PLACES[name]).normalize():f}{UNITS[name]}"
    head_fr = f"{LABELS_FR[name]} {french(shown)}{UNITS[name]}"
    head_en = f"{LABELS[name]} {shown}{UNITS[name]}"
    if reads_as_breach(name, shown, rule):
        sign = "<" if rule.higher else ">"
        return f"{head_fr} {sign} {french(bound)}", f"{head_en} {sign} {bound}"
    gap_fr, gap_en = less_than_a_step(name)
    side_fr, side_en = ("sous le", "below") if rule.higher else ("au-dessus du", "above")
    return (f"{head_fr} : {gap_fr} {side_fr} seuil de {french(bound)}",
            f"{head_en}: {gap_en} {side_en} the {bound} threshold")


def _gap_text(name: str, shown: Decimal, bound: Fraction, higher: bool) -> Said:
    gap = (Decimal(bound.numerator) / bound.denominator - shown) * (1 if higher else -1)
    step = Decimal(1).scaleb(-PLACES[name])
    word_fr, word_en = ("de moins que requis", "short") if higher else ("de trop", "over")
    head_fr = f"{LABELS_FR[name]} {french(shown)}{UNITS[name]} :"
    head_en = f"{LABELS[name]} {shown}{UNITS[name]}:"
    if gap <= 0:
        step_fr, step_en = less_than_a_step(name)
        return f"{head_fr} {step_fr} {word_fr}", f"{head_en} {step_en} {word_en}"
    amount = gap.quantize(step)
    unit_fr = unit_en = GAP_UNITS[name]
    if unit_fr == " points":  # French: singular below 2 (1,0 point); English: 1 point only
        unit_fr = " point" if amount < 2 else unit_fr
        unit_en = " point" if amount == 1 else unit_en
    return (f"{head_fr} {french(amount)}{unit_fr} {word_fr}", f"{head_en} {amount}{unit_en} {word_en}")


NOT_RATES = frozenset({"average_rating", "response_hours"})
"""Indicators that are no rate over orders: the minimum of data decides their score and their
probation, not whether a Top Seller meets them."""


def judge(row: pd.Series, thresholds: QualityThresholds) -> SellerVerdict:
    shown: dict[str, Decimal | None] = {}
    subs: dict[str, Decimal | None] = {}
    exact_subs: list[Fraction] = []
    missing: list[Said] = []
    breaches: list[Said] = []
    breached: set[str] = set()
    for name, (value, den) in exact_values(row).items():
        rule = thresholds.indicators[name]
        if value is None or den < rule.min_denominator:
            # quality.md: not enough data "neither breaches a threshold nor counts toward a
            # score"; the Top Seller bounds are thresholds too, so a rate does not fail them
            # (a training seller has no estimated deliveries, hence never a late rate)
            shown[name] = subs[name] = None
            if value is not None and name in NOT_RATES and rule.top_seller is not None \
                    and not rule.meets_top(value):
                # ... but the rating and the response time are what the seed's Top Seller asks
                # first: nine ratings of 1/5 and answers in 300 h made a Top Seller scored 5/5
                missing.append(_gap_text(name, half_up(value, PLACES[name]), rule.top_seller,
                                         rule.higher))
            continue
        shown[name] = half_up(value, PLACES[name])
        sub = rule.sub_score(value)
        exact_subs.append(sub)
        subs[name] = half_up(sub, 1)
        if rule.top_seller is not None and not rule.meets_top(value):
            missing.append(_gap_text(name, shown[name], rule.top_seller, rule.higher))
        if rule.breaches_probation(value):
            breached.add(name)
            breaches.append(_breach_text(name, shown[name], rule))
    orders = int(row["order_count"])
    if orders < thresholds.top_order_count:
        gap = thresholds.top_order_count - orders
        missing.append((f"commandes {orders} : {gap} de moins que requis", f"orders {orders}: {gap} short"))
    months = row["seniority_months"]
    if pd.isna(months):
        missing.append(("ancienneté : non activé", "seniority: not activated"))
    elif int(months) < thresholds.top_seniority_months:
        gap = thresholds.top_seniority_months - int(months)
        missing.append((f"ancienneté {int(months)} mois : {gap} mois de moins que requis",
                        f"seniority {int(months)} {_months(int(months))}: {gap} {_months(gap)} short"))
    score = None
    if exact_subs:
        score = floor(sum(exact_subs) / len(exact_subs) * 10 + Fraction(1, 2))
    return SellerVerdict(shown, subs, score, not missing, missing, breaches, breached)


def _months(count: int) -> str:
    return "month" if count == 1 else "months"


def judge_all(indicators: pd.DataFrame, thresholds: QualityThresholds) -> list[SellerVerdict]:
    return [judge(row, thresholds) for _, row in indicators.iterrows()]

