"""Each seller's quality numerators and denominators for one night (quality.md, Indicators).

The per-order flags of `quality_orders` are summed per seller in one group-by; the sellers of
the registry that are active or on vacation (vacation: offers unpublished, indicators still
computed) get a row even with no order. Trial counters (accepted orders and revenue since
activation, revenue = what the customer paid, items plus delivery) are computed only for the
sellers that have a trial limit, over all their orders since activation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine, bindparam, text

from reports.quality_calendar import Window, paris_midnight_utc, whole_months
from reports.quality_orders import (
    order_flags,
    overdue_orders,
    problem_orders,
    read_window_orders,
)

REPORTED_STATUSES = ("active", "vacation")
COUNTS = [
    "acceptance_num", "acceptance_den", "claim_num", "claim_den", "refund_num", "refund_den",
    "tracking_num", "tracking_den", "late_num", "late_den", "rating_points", "rating_den",
    "response_seconds", "response_den", "response_unanswered",
]


@dataclass
class NightFigures:
    """What one night computes from the orders: totals per seller and the orders to list."""

    indicators: pd.DataFrame  # one row per reported seller
    problems: pd.DataFrame  # the orders behind each bad figure
    overdue: pd.DataFrame  # orders past their deadline with no decision


def read_sellers(engine: Engine, report_date: date) -> pd.DataFrame:
    """The sellers the night reports on, with their registry status and trial limits: the
    registry as it is, or, for a night stored before (a re-run), as that night read it. A
    re-run read today's registry: a trial limit lifted since turned the night's
    `trial_limit_reached` into `active`, dated that night, under nights after it that still
    said reached; a seller terminated since vanished from it; an activation date corrected
    since changed its seniority and its Top Seller."""
    stored = text("SELECT seller_id, registry_status, activated_at, trial_max_orders,"
                  " trial_max_revenue FROM quality_indicators WHERE report_date = :night"
                  " ORDER BY seller_id")
    registry = text("SELECT seller_id, status AS registry_status, activated_at, trial_max_orders,"
                    " trial_max_revenue FROM sellers WHERE status IN ('active', 'vacation')"
                    " ORDER BY seller_id")
    with engine.connect() as connection:
        night = connection.execute(text("SELECT 1 FROM quality_nights WHERE report_date = :night"),
                                   {"night": report_date}).first()
        query = registry if night is None else stored.bindparams(night=report_date)
        frame = pd.read_sql(query, connection)
    frame["seller_id"] = frame["seller_id"].astype("int64")
    frame["activated_at"] = pd.to_datetime(frame["activated_at"]).dt.date
    for column in ("trial_max_orders", "trial_max_revenue"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    return frame


def _trial_counters(engine: Engine, sellers: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Accepted orders and revenue (cents) since activation, up to the end of D."""
    trial = sellers[(sellers["trial_max_orders"].notna() | sellers["trial_max_revenue"].notna())
                    & sellers["activated_at"].notna()]
    columns = ["seller_id", "trial_orders", "trial_revenue_cents"]
    if trial.empty:
        return pd.DataFrame(columns=columns).astype("int64")
    query = text("SELECT o.seller_id, o.accepted_at, o.amount + o.shipping_amount AS cents"
                 " FROM orders o WHERE o.seller_id IN :sellers"
                 " AND o.accepted_at IS NOT NULL AND o.accepted_at < :end"
                 ).bindparams(bindparam("sellers", expanding=True))
    end = window.end_utc.replace(tzinfo=None)
    with engine.connect() as connection:
        accepted = pd.read_sql(query, connection, params={
            "sellers": [int(seller) for seller in trial["seller_id"]], "end": end})
    accepted["accepted_at"] = pd.to_datetime(accepted["accepted_at"], format="ISO8601")
    starts = trial.set_index("seller_id")["activated_at"].map(
        lambda day: paris_midnight_utc(day).replace(tzinfo=None))
    since = accepted["seller_id"].map(starts)
    accepted = accepted[since.notna() & (accepted["accepted_at"] >= since)]
    totals = accepted.groupby("seller_id").agg(trial_orders=("cents", "size"),
                                               trial_revenue_cents=("cents", "sum"))
    return totals.reindex(trial["seller_id"], fill_value=0).reset_index()


def compute_night(engine: Engine, window: Window) -> NightFigures:
    """Read the window's orders once and total them per seller."""
    sellers = read_sellers(engine, window.report_date)
    orders = read_window_orders(engine, window)
    flags = order_flags(orders, window)
    totals = flags.groupby("seller_id")[COUNTS].sum()
    frame = sellers.merge(totals, how="left", left_on="seller_id", right_index=True)
    frame[COUNTS] = frame[COUNTS].fillna(0).astype("int64")
    frame["order_count"] = frame["claim_den"]
    frame["seniority_months"] = whole_months(frame["activated_at"], window.report_date)
    frame = frame.merge(_trial_counters(engine, sellers, window), how="left", on="seller_id")
    problems = problem_orders(orders, flags, window)
    reported = problems["seller_id"].isin(frame["seller_id"])
    return NightFigures(frame, problems[reported].reset_index(drop=True), overdue_orders(orders, flags))
