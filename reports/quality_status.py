"""The quality status machine (seed 004): probation, deactivation proposed, trial limit reached.

Statuses: `active`; `probation` (entered the first night an indicator with enough data is past
its probation threshold); `deactivation_proposed` (still past a threshold when the probation's
days are over: with 14 days, a seller entering on night S is still in probation on S+13, its 14th
day, and is proposed on S+14, its 15th, if still past; the pipeline never deactivates, ops
decide); `trial_limit_reached` (accepted orders or revenue since activation reached a trial
limit of the registry: offers unpublished until ops lift the limit there, which the next night
sees). Back within every threshold → `active`, whatever the day. A probation shown before the
trial limit keeps its clock (`probation_since`) under it; one that starts under the limit starts
when the limit is lifted: the seller must see the 14 days seed 004 gives to correct (a seller
past a threshold under the limit went from it straight to a proposed deactivation).
A night's status depends only on its figures and the previous stored night before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from reports.quality_scoring import Said, french

ACTIVE, PROBATION, PROPOSED, TRIAL = ("active", "probation", "deactivation_proposed",
                                      "trial_limit_reached")


TOP_SELLER, NOT_TOP_SELLER = "top_seller", "not_top_seller"


@dataclass(frozen=True)
class StatusOutcome:
    status: str
    probation_since: date | None
    change: str  # "" when the status did not change


def trial_reason(row: pd.Series) -> Said | None:
    """Why the trial limit is reached, or None (limits and counters from the registry/orders)."""
    reasons: list[Said] = []
    if pd.notna(row["trial_max_orders"]) and row["trial_orders"] >= row["trial_max_orders"]:
        done, limit = int(row["trial_orders"]), int(row["trial_max_orders"])
        orders_fr = "commande acceptée" if done < 2 else "commandes acceptées"  # French: 0 and 1
        orders_en = "accepted order" if done == 1 else "accepted orders"
        reasons.append((f"{done} {orders_fr} ≥ limite {limit}", f"{done} {orders_en} ≥ limit {limit}"))
    if pd.notna(row["trial_max_revenue"]) and row["trial_revenue_cents"] >= row["trial_max_revenue"]:
        done, limit = (f"{int(row[c]) / 100:.2f} €" for c in ("trial_revenue_cents", "trial_max_revenue"))
        reasons.append((f"chiffre d'affaires {french(done)} ≥ limite {french(limit)}",
                        f"revenue {done} ≥ limit {limit}"))
    if not reasons:
        return None
    return "; ".join(fr for fr, _ in reasons), "; ".join(en for _, en in reasons)


def next_status(previous: str, since: date | None, breaches: list[Said], trial: Said | None,
                report_date: date, probation_days: int) -> StatusOutcome:
    """The status on `report_date` given the previous night's status and probation start."""
    if breaches and trial and since is None:  # not shown: no clock before the limit is lifted
        quality = PROBATION
    elif breaches:
        since = since or report_date
        quality = PROPOSED if (report_date - since).days >= probation_days else PROBATION
    else:
        since, quality = None, ACTIVE
    status = TRIAL if trial else quality
    if status == previous:
        return StatusOutcome(status, since, "")
    listed_fr, listed_en = ("; ".join(text[i] for text in breaches) for i in (0, 1))
    if status == TRIAL:
        fr, en = f"limite d'essai atteinte : {trial[0]}", f"trial limit reached: {trial[1]}"
    elif status == PROPOSED:
        fr = f"toujours au-delà d'un seuil après {probation_days} jours de probation : {listed_fr}"
        en = f"still past a threshold after {probation_days} days of probation: {listed_en}"
    elif status == PROBATION and previous != TRIAL:
        fr, en = f"seuil de probation dépassé : {listed_fr}", f"past a probation threshold: {listed_en}"
    elif status == PROBATION:
        fr, en = f"limite d'essai levée ; {listed_fr}", f"trial limit lifted; {listed_en}"
    elif previous == TRIAL:
        fr, en = "limite d'essai levée", "trial limit lifted"
    else:
        fr, en = "de nouveau dans tous les seuils", "back within every threshold"
    return StatusOutcome(status, since, f"{previous} → {status} : {fr} / {en}")


def top_seller_change(was: bool, now: bool, missing: list[Said]) -> tuple[str, str]:
    """Seed 004's "statut TOP VENDEUR" gained or lost on this night: ("gained" | "lost" | "",
    the history's reason, which says what failed)."""
    if was == now:
        return "", ""
    if now:
        return "gained", ("Top Vendeur obtenu : tous les critères tenus"
                          " / Top Seller gained: every criterion met")
    fr, en = ("; ".join(text[i] for text in missing) for i in (0, 1))
    return "lost", f"Top Vendeur perdu : {fr} / Top Seller lost: {en}"
