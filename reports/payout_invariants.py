"""The close's invariants (payouts.md, "Runs"), checked before anything is committed or written.

1. Per seller: closing = opening + entries − payout, where closing and opening are sums of
   ledger entries read again from the database, the payout is the stored decision, and the
   PAYOUT entry must debit exactly that amount.
2. Total of the payouts (stored decisions) = the SEPA file's control sum (read back from the
   XML) = the sum of the paid lines of payouts.csv.
3. Invoiced commission = booked commission, per seller, from the invoices as issued (and
   every seller with booked charges has one).
A failure raises InvariantError naming the seller and the sums: the transaction rolls back,
so nothing is booked, numbered or written.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.errors import MarketplaceError
from reports.payout_files import money
from reports.sepa_transfer import control_sum

_LEDGER = text("""
SELECT p.seller_id, p.opening, p.balance, p.amount, p.decision,
       CAST(COALESCE(SUM(CASE WHEN l.month < :month THEN l.amount END), 0) AS BIGINT) AS opening_db,
       CAST(COALESCE(SUM(CASE WHEN l.month = :month AND l.entry_type <> 'PAYOUT' THEN l.amount END),
                     0) AS BIGINT) AS movements_db,
       CAST(COALESCE(SUM(CASE WHEN l.month = :month AND l.entry_type = 'PAYOUT' THEN -l.amount END),
                     0) AS BIGINT) AS payout_db,
       CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) AS closing_db
FROM payouts p LEFT JOIN ledger_entries l ON l.seller_id = p.seller_id AND l.month <= :month
WHERE p.month = :month
GROUP BY p.seller_id, p.opening, p.balance, p.amount, p.decision""")


class InvariantError(MarketplaceError):
    """An invariant of the close failed: nothing was committed or written."""


def check_invariants(session: Session, month: str, lines: pd.DataFrame, sepa_xml: bytes | None,
                     invoices: list) -> None:
    """Raise InvariantError at the first failed invariant."""
    _check_ledger(session, month)
    _check_totals(session, month, lines, sepa_xml)
    _check_invoices(lines, invoices)


def _check_ledger(session: Session, month: str) -> None:
    for row in session.execute(_LEDGER, {"month": month}).mappings():  # one per decided seller
        expected = row["opening"] + row["movements_db"] - row["amount"]
        if row["opening"] != row["opening_db"] or row["balance"] != row["opening"] + row["movements_db"]:
            raise InvariantError(
                f"seller {row['seller_id']}: opening {money(row['opening'])} + entries"
                f" {money(row['movements_db'])} ≠ balance {money(row['balance'])}"
                f" (ledger opening {money(row['opening_db'])})")
        if row["payout_db"] != row["amount"] or row["closing_db"] != expected:
            raise InvariantError(
                f"seller {row['seller_id']}: closing {money(row['closing_db'])} ≠ opening"
                f" {money(row['opening'])} + entries {money(row['movements_db'])} − payout"
                f" {money(row['amount'])} (PAYOUT entries {money(row['payout_db'])})")
        if (row["decision"] == "paid") != (row["amount"] > 0) or row["amount"] not in (0, row["balance"]):
            raise InvariantError(f"seller {row['seller_id']}: decision {row['decision']} with payout"
                                 f" {money(row['amount'])} of balance {money(row['balance'])}")


def _check_totals(session: Session, month: str, lines: pd.DataFrame, sepa_xml: bytes | None) -> None:
    stored = session.execute(text(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payouts"
        " WHERE month = :month AND decision = 'paid'"), {"month": month}).scalar_one()
    paid_lines = -int(lines.loc[lines["decision"] == "paid", "payout"].sum())
    sepa = control_sum(sepa_xml) if sepa_xml else Decimal("0.00")
    if not (Decimal(int(stored)).scaleb(-2) == Decimal(paid_lines).scaleb(-2) == sepa):
        raise InvariantError(f"month {month}: total of payouts {money(stored)}, SEPA control sum {sepa},"
                             f" paid lines {money(paid_lines)} differ")


def _check_invoices(lines: pd.DataFrame, invoices: list) -> None:
    from reports.payout_lines import month_charges

    booked = {c.seller_id: c for c in month_charges(lines, pd.Timestamp(0).date())}
    invoiced = {invoice.seller_id: invoice.charges() for invoice in invoices}
    for seller, charges in booked.items():
        amounts = (charges.commission_excl_vat, charges.subscription_excl_vat, charges.premium_excl_vat)
        issued = invoiced.get(seller)
        if issued is None and any(amounts):
            raise InvariantError(f"seller {seller}: booked charges {charges.total_excl_vat} excl. VAT"
                                 " but no invoice issued")
        if issued is not None and (issued.commission_excl_vat, issued.commission_vat) != (
                charges.commission_excl_vat, charges.commission_vat):
            raise InvariantError(
                f"seller {seller}: invoiced commission {issued.commission_excl_vat} (VAT"
                f" {issued.commission_vat}) ≠ booked commission {charges.commission_excl_vat}"
                f" (VAT {charges.commission_vat})")
