"""Read a month back from the ledger and the payouts: one line per seller, the charges to
invoice, the revenue by category, the statements' entries.

Why one reader for draft, close and re-issue: every file of the month is written from what
is stored (entries and decisions), never from the computation that produced them, so a
closed month re-issued gives the same files, and the invariants compare stored sums.
Amounts stay in cents here; the writers format them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.db import byte_order
from reports.invoice_charges import InvoiceCharges
from reports.ledger_orders import reverse_charge_mask
from schemas.bank_accounts import mask_iban

CSV_COLUMNS = ("seller_id", "shop_name", "legal_name", "carried_in", "sales", "commissions_excl_vat",
               "commissions_vat", "refunds", "commission_refunds", "goodwill", "subscription",
               "premium", "adjustments", "balance", "payout", "decision", "reason", "iban_masked")
AMOUNT_COLUMNS = CSV_COLUMNS[3:15]

_SUMS = text("""
SELECT seller_id, entry_type, CAST(SUM(amount) AS BIGINT) AS amount, CAST(SUM(vat) AS BIGINT) AS vat
FROM ledger_entries WHERE month = :month GROUP BY seller_id, entry_type""")

_PAYOUTS = text("""
SELECT p.id AS payout_id, p.seller_id, p.opening, p.balance, p.amount AS paid, p.decision,
       p.reason, p.release_date, COALESCE(p.shop_name, s.shop_name) AS shop_name,
       COALESCE(p.legal_name, s.legal_name) AS legal_name, p.iban_masked, s.iban, s.bic,
       s.country, s.vat_number
FROM payouts p LEFT JOIN sellers s ON s.seller_id = p.seller_id
WHERE p.month = :month ORDER BY p.seller_id""")

_BY_CATEGORY = text("""
SELECT COALESCE(category, '') AS category, CAST(SUM(vat - amount) AS BIGINT) AS commission_excl_vat
FROM ledger_entries
WHERE month = :month AND entry_type IN ('COMMISSION', 'COMMISSION_REFUND')
GROUP BY COALESCE(category, '') ORDER BY 1""")

_ENTRIES = """
SELECT seller_id, id, entry_type, occurred_at, order_id, reference, amount, vat, text
FROM ledger_entries WHERE month = :month
ORDER BY seller_id, occurred_at, COALESCE(order_id, ''){bytes},
         CASE entry_type WHEN 'SALE' THEN 0 WHEN 'COMMISSION' THEN 1 WHEN 'REFUND' THEN 2
                         WHEN 'COMMISSION_REFUND' THEN 3 WHEN 'GOODWILL' THEN 4 ELSE 5 END,
         reference{bytes}, id"""
"""Entries of one instant in one order on both databases: by order, a sale before its
commission. By id alone, two orders delivered the same minute had their lines (and the running
balance between them) in another order on PostgreSQL, whose INSERT ... SELECT numbers rows as
it pleases."""


def entry_sums(session: Session, month: str) -> pd.DataFrame:
    """Per seller, amount and VAT summed by entry type: columns (TYPE, amount|vat)."""
    sums = pd.DataFrame(session.execute(_SUMS, {"month": month}).all(),
                        columns=["seller_id", "entry_type", "amount", "vat"])
    wide = sums.pivot_table(index="seller_id", columns="entry_type", values=["amount", "vat"],
                            aggfunc="sum", fill_value=0)
    return wide.swaplevel(axis=1).astype("int64") if not wide.empty else wide


def month_lines(session: Session, month: str) -> pd.DataFrame:
    """The finance file's lines (payouts.md): one per decided seller, amounts in signed cents."""
    result = session.execute(_PAYOUTS, {"month": month})
    lines = pd.DataFrame(result.all(), columns=list(result.keys()))  # columns even when empty
    lines["bic"] = lines["bic"].astype(object).where(lines["bic"].notna(), None)
    sums = entry_sums(session, month)

    def part(entry_type: str, kind: str = "amount") -> pd.Series:
        if (entry_type, kind) not in sums.columns:
            return pd.Series(0, index=lines.index, dtype="int64")
        return lines["seller_id"].map(sums[(entry_type, kind)]).fillna(0).astype("int64")

    lines["carried_in"] = lines["opening"]
    lines["sales"] = part("SALE")
    lines["commissions_excl_vat"] = part("COMMISSION") - part("COMMISSION", "vat")
    lines["commissions_vat"] = part("COMMISSION", "vat")
    lines["refunds"] = part("REFUND")
    lines["commission_refunds"] = part("COMMISSION_REFUND")
    lines["commission_refunds_vat"] = part("COMMISSION_REFUND", "vat")
    lines["goodwill"] = part("GOODWILL")
    lines["subscription"] = part("SUBSCRIPTION")
    lines["subscription_vat"] = part("SUBSCRIPTION", "vat")
    lines["premium"] = part("PREMIUM")
    lines["premium_vat"] = part("PREMIUM", "vat")
    lines["adjustments"] = part("ADJUSTMENT")
    lines["payout_booked"] = -part("PAYOUT")  # what the PAYOUT entry debited (invariant)
    lines["payout"] = -lines["paid"]  # signed as in the ledger: a payout debits the balance
    stored = lines["iban_masked"].notna()  # decided before 0009: masked from the registry
    lines["iban_masked"] = lines["iban_masked"].where(stored, lines["iban"].fillna("").map(_mask))
    lines["reverse_charge"] = reverse_charge_mask(lines["country"], lines["vat_number"])
    return lines


def _mask(iban: str) -> str:
    return mask_iban(iban) if iban else ""


def _euros(cents: pd.Series) -> pd.Series:
    return cents.astype("int64").map(lambda c: Decimal(int(c)).scaleb(-2))


def month_charges(lines: pd.DataFrame, payment_date: date) -> list[InvoiceCharges]:
    """What each seller is invoiced for: the booked charges, as positive euros."""
    euros = _euros
    com_vat = -(lines["commissions_vat"] + lines["commission_refunds_vat"])
    com_excl = -(lines["commissions_excl_vat"] + lines["commission_refunds"]
                 - lines["commission_refunds_vat"])
    sub_vat, prem_vat = -lines["subscription_vat"], -lines["premium_vat"]
    frame = pd.DataFrame({
        "seller_id": lines["seller_id"].astype(int),
        "commission_excl_vat": euros(com_excl), "commission_vat": euros(com_vat),
        "subscription_excl_vat": euros(-lines["subscription"] - sub_vat),
        "subscription_vat": euros(sub_vat),
        "premium_excl_vat": euros(-lines["premium"] - prem_vat), "premium_vat": euros(prem_vat),
        "reverse_charge": lines["reverse_charge"].astype(bool),
    })
    return [InvoiceCharges(payment_date=payment_date, **row) for row in frame.to_dict("records")]


def revenue_by_category(session: Session, month: str) -> pd.DataFrame:
    """Commission excl. VAT net of commission refunds, per category ('' = default rate)."""
    return pd.DataFrame(session.execute(_BY_CATEGORY, {"month": month}).all(),
                        columns=["category", "commission_excl_vat"])


def month_entries(session: Session, month: str) -> pd.DataFrame:
    """Every entry of the month, per seller in the order they happened."""
    query = text(_ENTRIES.format(bytes=byte_order(session.get_bind().dialect.name)))
    return pd.DataFrame(session.execute(query, {"month": month}).all(),
                        columns=["seller_id", "id", "entry_type", "occurred_at", "order_id",
                                 "reference", "amount", "vat", "text"])
