"""Book the month's subscriptions and premium plans (payouts.md, SUBSCRIPTION and PREMIUM).

Rules, computed over all sellers at once (pandas, whole-number cents):
- a seller is subscribed in M from activation; the first month is charged pro rata of the
  days left, activation day included: fee × (days in M − day + 1) / days in M, half-up;
- the month in which a termination takes effect (the month of `termination_requested_at`:
  it takes effect at that month's end) is charged in full, and none after; a terminated
  seller with no request date is charged nothing (no month to start from);
- a pending seller is not activated and pays nothing;
- PREMIUM: the plan's fee (plans.csv) on top of the standard subscription, same rules;
- VAT 20 % half-up on the rounded fee, none under reverse charge (see ledger_orders).
Due on the 1st: a fee's occurred_at is the later of the 1st and the activation day, at 00:00
in Paris. A fee is referenced by the month it is for; the fees of a closed month for a seller
whose registry row arrived after that month closed are booked in the month being run.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marketplace.models import Seller
from marketplace.reference import Billing
from reports.ledger_orders import reverse_charge_mask
from reports.ledger_sql import PPM, cents, insert_entries, ppm, utc_naive
from reports.payout_calendar import PayoutMonth, paris_midnight, parse_month

_TEXTS = {"SUBSCRIPTION": "Abonnement / subscription", "PREMIUM": "Abonnement Premium / premium plan"}


def _sellers(session: Session) -> pd.DataFrame:
    columns = [Seller.seller_id, Seller.plan, Seller.status, Seller.activated_at,
               Seller.termination_requested_at, Seller.country, Seller.vat_number, Seller.created_at]
    rows = session.execute(select(*columns)).all()
    return pd.DataFrame(rows, columns=[c.key for c in columns])


def subscribed(sellers: pd.DataFrame, month: PayoutMonth) -> pd.Series:
    """Which sellers owe the month's fees (see the module's rules)."""
    activated = sellers["activated_at"].notna() & (sellers["activated_at"] <= month.last_day)
    ends = sellers["termination_requested_at"]
    running = ends.isna() | (ends >= month.first_day)
    terminated_undated = (sellers["status"] == "terminated") & ends.isna()
    return activated & running & ~terminated_undated & (sellers["status"] != "pending")


def fee_entries(sellers: pd.DataFrame, month: PayoutMonth, billing: Billing,
                booked_in: str | None = None) -> list[dict]:
    """The SUBSCRIPTION and PREMIUM rows of `month` for these sellers (amounts in cents),
    booked in the ledger month `booked_in` (`month` itself by default)."""
    owing = sellers[subscribed(sellers, month)].copy()
    if owing.empty:
        return []
    first_month = owing["activated_at"] >= month.first_day
    start_day = owing["activated_at"].where(first_month, month.first_day)
    days_left = month.days - pd.to_datetime(start_day).dt.day + 1
    reverse = reverse_charge_mask(owing["country"], owing["vat_number"])
    fees = {code: cents(plan.monthly_fee_excl_vat) for code, plan in billing.plans.items()}
    owing["SUBSCRIPTION"] = cents(billing.standard.monthly_fee_excl_vat)
    premium = owing["plan"].map({c: f for c, f in fees.items() if billing.plans[c].premium})
    owing["PREMIUM"] = premium.fillna(0).astype("int64")
    vat = ppm(billing.vat_rate)
    frames = []
    for entry_type in ("SUBSCRIPTION", "PREMIUM"):
        fee = owing[entry_type]
        excl = (2 * fee * days_left + month.days) // (2 * month.days)  # half-up, fee ≥ 0
        tax = ((excl * vat + PPM // 2) // PPM).where(~reverse, 0)
        frame = pd.DataFrame({
            "seller_id": owing["seller_id"], "month": booked_in or month.key, "entry_type": entry_type,
            "occurred_at": pd.Series([utc_naive(paris_midnight(day)) for day in start_day],
                                     index=owing.index, dtype=object),
            "order_id": None, "reference": month.key, "category": None,
            "amount": -(excl + tax), "vat": -tax,
            "text": _TEXTS[entry_type] + f" {month.key}",
        })
        frames.append(frame[fee > 0])
    entries = pd.concat(frames, ignore_index=True)
    entries["text"] = entries["text"].where(~entries["seller_id"].isin(
        owing.loc[first_month, "seller_id"]), entries["text"] + " (prorata)")
    return entries.astype({"seller_id": "int64", "amount": "int64", "vat": "int64"}).to_dict("records")


def book_fees(session: Session, month: PayoutMonth, billing: Billing) -> None:
    """Book the month's subscriptions and premium fees, and those of the closed months a seller
    unknown at their close owed.

    A seller activated on 15 October whose registry row arrives after October closed owed
    October all the same: payouts.md books an event that arrives after its month closed in the
    next open month, so the October fee (referenced 2026-10) is booked in the month run. Only
    for rows created after the close: a seller known then was charged what the registry said
    (a pending seller nothing, a standard plan no premium), and a later change of status or
    plan does not reach back. Months before the first one this back office closed are not
    charged (see docs/decisions.md).

    A draft of a month after open ones (December's while November is open) books their fees
    too, as it books their order events: its preview left out 47.99 per seller and month.
    """
    sellers = _sellers(session)
    closed = session.execute(text("SELECT month, closed_at FROM payout_months WHERE status = 'closed'"
                                  " AND month < :month ORDER BY month"), {"month": month.key}).all()
    skipped = _open_months_before(closed[-1][0], month) if closed else []
    created = pd.to_datetime(sellers["created_at"], utc=True)
    owed = [entry for key, closed_at in closed
            for entry in fee_entries(sellers[created > pd.Timestamp(closed_at, tz="UTC")],
                                     parse_month(key), billing, booked_in=month.key)]
    if owed:
        charged = set(session.execute(text(
            "SELECT entry_type, seller_id, reference FROM ledger_entries"
            " WHERE entry_type IN ('SUBSCRIPTION', 'PREMIUM')")).tuples())
        owed = [entry for entry in owed
                if (entry["entry_type"], entry["seller_id"], entry["reference"]) not in charged]
    skipped_fees = [entry for key in skipped
                    for entry in fee_entries(sellers, parse_month(key), billing, booked_in=month.key)]
    insert_entries(session, owed + skipped_fees + fee_entries(sellers, month, billing))


def _open_months_before(last_closed: str, month: PayoutMonth) -> list[str]:
    """The months after the last closed one and before `month` (none when closing: months
    close in order)."""
    keys, key = [], parse_month(last_closed).next_key
    while key < month.key:
        keys.append(key)
        key = parse_month(key).next_key
    return keys
