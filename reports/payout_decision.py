"""Decide each seller's payout for month M and book it (payouts.md, "The decision").

Balance = carried-in (every entry of earlier months) + the month's entries. Paid in full when
the balance is positive, the bank account is valid, no hold runs and the seller is not
pending; otherwise carried, with the first reason that applies, in this order: negative (or
zero) balance, pending, hold until D (decision `held`, released on D), invalid bank account, a
legal name with nothing a SEPA transfer can print (symbols alone).
A hold runs when `payout_hold_until` is on or after the requested execution date. Terminated
sellers are decided like the others: paid as long as movements come. A seller the registry
does not know (entries only) is carried as "unknown seller".

The sellers decided are those with an entry in M or a non-zero carried-in balance. Payouts
are inserted (unique per seller and month in the database), then one PAYOUT entry per paid
seller, so closing = opening + entries − payout holds in the ledger itself.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marketplace.models import Seller
from reports.ledger_sql import insert_entries, utc_naive
from reports.payout_calendar import PayoutMonth, paris_midnight
from reports.sepa_transfer import usable_name
from schemas.bank_accounts import bank_account_issue, mask_iban

_BALANCES = text("""
SELECT l.seller_id,
       CAST(SUM(CASE WHEN l.month < :month THEN l.amount ELSE 0 END) AS BIGINT) AS opening,
       CAST(SUM(CASE WHEN l.month = :month AND l.entry_type <> 'PAYOUT' THEN l.amount ELSE 0 END)
           AS BIGINT) AS movements,
       SUM(CASE WHEN l.month = :month THEN 1 ELSE 0 END) AS entries
FROM ledger_entries l
WHERE l.month <= :month
GROUP BY l.seller_id""")

SNAPSHOT = ["shop_name", "legal_name", "iban_masked"]
"""What the month's files print of the registry, kept with the decision (payouts.md: a closed
month is never recomputed, and its files are re-issued the same)."""
_INSERT_PAYOUTS = text(
    "INSERT INTO payouts (seller_id, month, opening, balance, amount, decision, reason, release_date,"
    " shop_name, legal_name, iban_masked) VALUES (:seller_id, :month, :opening, :balance, :amount,"
    " :decision, :reason, :release_date, :shop_name, :legal_name, :iban_masked)")


def balances(session: Session, month: PayoutMonth) -> pd.DataFrame:
    """Per seller: opening and the month's movements, in cents (sellers with something only)."""
    frame = pd.DataFrame(session.execute(_BALANCES, {"month": month.key}).all(),
                         columns=["seller_id", "opening", "movements", "entries"])
    frame = frame.astype("int64")
    return frame[(frame["entries"] > 0) | (frame["opening"] != 0)].drop(columns="entries")


def _sellers(session: Session) -> pd.DataFrame:
    columns = [Seller.seller_id, Seller.status, Seller.bank_account_valid, Seller.payout_hold_until,
               Seller.shop_name, Seller.legal_name, Seller.iban, Seller.bic]
    sellers = pd.DataFrame(session.execute(select(*columns)).all(), columns=[c.key for c in columns])
    # a pending seller may have no IBAN yet: NULL, which pandas 3 reads as NaN, not None
    ibans = [iban if isinstance(iban, str) else "" for iban in sellers.pop("iban")]
    bics = [bic if isinstance(bic, str) else "" for bic in sellers.pop("bic")]
    # the account is checked again as it will be sent: one the registry flag calls valid but
    # the bank would refuse is carried, where it used to fail the SEPA file and the whole close
    sellers["bank_account_valid"] = [
        bool(valid) and bank_account_issue(iban, bic) is None
        for valid, iban, bic in zip(sellers["bank_account_valid"].fillna(False), ibans, bics, strict=True)]
    sellers["iban_masked"] = [mask_iban(iban) for iban in ibans]
    return sellers


def decide(frame: pd.DataFrame, execution_date: date) -> pd.DataFrame:
    """Add balance, amount, decision, reason and release_date to balances joined with sellers."""
    out = frame.copy()
    out["balance"] = out["opening"] + out["movements"]
    hold = out["payout_hold_until"]
    holding = hold.notna() & (hold.where(hold.notna(), date.min) >= execution_date)
    known = out["status"].notna()
    rules = [
        (out["balance"] < 0, "carried", "solde négatif / negative balance"),
        (out["balance"] == 0, "carried", "solde nul / zero balance"),
        (~known, "carried", "vendeur inconnu / unknown seller"),
        (out["status"] == "pending", "carried", "vendeur en attente / pending seller"),
        (holding, "held", None),
        (~out["bank_account_valid"].fillna(False).astype(bool), "carried",
         "compte bancaire invalide / invalid bank account"),
        (~out["legal_name"].map(usable_name).astype(bool), "carried",
         "nom du titulaire illisible pour un virement SEPA / account holder name unusable in a"
         " SEPA transfer"),
    ]
    conditions = [condition.to_numpy(dtype=bool) for condition, _, _ in rules]
    out["decision"] = np.select(conditions, [d for _, d, _ in rules], default="paid")
    held_reason = "retenue jusqu'au / hold until " + hold.astype(str)
    reasons = [pd.Series(r, index=out.index) if r else held_reason for _, _, r in rules]
    out["reason"] = np.select(conditions, [r.to_numpy(dtype=object) for r in reasons], default=None)
    out["release_date"] = hold.where(out["decision"] == "held", None)
    out["amount"] = out["balance"].where(out["decision"] == "paid", 0)
    return out


def decide_and_book(session: Session, month: PayoutMonth, execution_date: date) -> pd.DataFrame:
    """Insert the month's payouts and PAYOUT entries; returns the decisions (cents)."""
    frame = balances(session, month).merge(_sellers(session), on="seller_id", how="left")
    decided = decide(frame, execution_date)
    rows = decided.assign(month=month.key)[
        ["seller_id", "month", "opening", "balance", "amount", "decision", "reason", "release_date",
         *SNAPSHOT]]
    rows = rows.astype(object).where(rows.notna(), None)
    if not rows.empty:
        session.execute(_INSERT_PAYOUTS, rows.to_dict("records"))
    paid = decided[decided["decision"] == "paid"]
    insert_entries(session, [
        {"seller_id": int(seller), "month": month.key, "entry_type": "PAYOUT",
         # dated the transfer's requested execution day: the statement says when it is paid
         "occurred_at": utc_naive(paris_midnight(execution_date)), "order_id": None,
         "reference": month.key,
         "category": None, "amount": -int(amount), "vat": 0,
         "text": f"Virement / payout {month.key}"}
        for seller, amount in zip(paid["seller_id"], paid["amount"], strict=True)
    ])
    return decided
