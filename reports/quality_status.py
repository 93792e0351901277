"""The quality status machine (seed 004): probation, deactivation proposed, trial limit reached.

Statuses: `active`; `probation` (entered the first night an indicator with enough data is past
its probation threshold); `deactivation_proposed` (still past a threshold when the probation's
days are over: with 14 days, a seller entering on night S is still in probation on S+13, its 14th
day, and is proposed on S+14, its 15th, if still past; the pipeline never deactivates, ops
decide); `trial_limit_reached` (accepted orders or revenue since activation reached a trial
limit of the registry: offers unpublished until ops lift the limit there, which the next night
sees). Back within every threshold → `active`, whatever the day. The probation clock
(`probation_since`) keeps running under a trial limit, so lifting the limit shows the true state.
A night's status depends only on its figures and the previous stored night before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

ACTIVE, PROBATION, PROPOSED, TRIAL = ("active", "probation", "deactivation_proposed",
                                      "trial_limit_reached")


@dataclass(frozen=True)
class StatusOutcome:
    status: str
    probation_since: date | None
    change: str  # "" when the status did not change


def trial_reason(row: pd.Series) -> str | None:
    """Why the trial limit is reached, or None (limits and counters from the registry/orders)."""
    reasons = []
    if pd.notna(row["trial_max_orders"]) and row["trial_orders"] >= row["trial_max_orders"]:
        reasons.append(f"{int(row['trial_orders'])} accepted orders ≥ limit {int(row['trial_max_orders'])}")
    if pd.notna(row["trial_max_revenue"]) and row["trial_revenue_cents"] >= row["trial_max_revenue"]:
        reasons.append(f"revenue {int(row['trial_revenue_cents']) / 100:.2f} € ≥ limit "
                       f"{int(row['trial_max_revenue']) / 100:.2f} €")
    return "; ".join(reasons) or None


def next_status(previous: str, since: date | None, breaches: list[str], trial: str | None,
                report_date: date, probation_days: int) -> StatusOutcome:
    """The status on `report_date` given the previous night's status and probation start."""
    if breaches:
        since = since or report_date
        quality = PROPOSED if (report_date - since).days >= probation_days else PROBATION
    else:
        since, quality = None, ACTIVE
    status = TRIAL if trial else quality
    if status == previous:
        return StatusOutcome(status, since, "")
    if status == TRIAL:
        reason = f"trial limit reached: {trial}"
    elif status == PROPOSED:
        reason = f"still past a threshold after {probation_days} days of probation: " + "; ".join(breaches)
    elif status == PROBATION:
        reason = ("past a probation threshold: " if previous != TRIAL else "trial limit lifted; ") \
            + "; ".join(breaches)
    else:
        reason = "trial limit lifted" if previous == TRIAL else "back within every threshold"
    return StatusOutcome(status, since, f"{previous} → {status}: {reason}")
