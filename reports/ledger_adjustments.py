"""ADJUSTMENT entries: ops corrections from `ops/adjustments/<YYYY-MM>.csv` (payouts.md).

The file (columns seller_id, amount, reason; a reason is required; amount signed, with a dot
or a French comma) is read at every draft and at the close of its month, so correcting it
and recomputing the draft is the whole workflow. It lives under `ops/`, not `inbox/`: the
inbox run takes every file of `inbox/` for a seller feed and would refuse this one.
A booking's key is (seller, month:file sha256 prefix:row): the same file booked twice in a
month is booked once, and a corrected file (another sha) replaces the draft's rows since
drafts are rebooked. The month is part of it: a recurring correction sends the same bytes
every month, and without it October's file, September's byte for byte, was skipped silently.
A bad row, or a seller the registry does not know, refuses the whole file (AdjustmentFileError
naming the rows): money corrections are all or nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marketplace.errors import MarketplaceError
from marketplace.layout import safe_key
from marketplace.models import Seller
from marketplace.storage import Storage
from reports.ledger_sql import cents, insert_entries, utc_naive
from reports.payout_calendar import PayoutMonth, parse_month

REQUIRED = ("seller_id", "amount", "reason")


class AdjustmentFileError(MarketplaceError):
    """The adjustment file cannot be booked as a whole."""


def adjustments_key(month: str) -> str:
    return safe_key("ops", "adjustments", f"{month}.csv")


def parse_adjustments(data: bytes, month: PayoutMonth, booked_at: datetime) -> list[dict]:
    """The file's rows as ledger entries (cents); AdjustmentFileError on any bad row."""
    sha = hashlib.sha256(data).hexdigest()[:16]
    text = data.decode("utf-8-sig")
    dialect = ";" if text.partition("\n")[0].count(";") > text.partition("\n")[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise AdjustmentFileError(
            f"ajustements {month.key} : colonnes manquantes {', '.join(missing)} ; rien n'est"
            f" comptabilisé / adjustments {month.key}: missing columns {', '.join(missing)};"
            " nothing was booked")
    entries, problems = [], []
    for line, row in enumerate(reader, start=2):
        seller, amount, reason = (str(row.get(c) or "").strip() for c in REQUIRED)
        try:
            value = Decimal(amount.replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            value = None
        if not seller.isdigit() or int(seller) <= 0 or value is None or not value.is_finite() \
                or value == 0 or value != value.quantize(Decimal("0.01")) or not reason:
            problems.append(line)
            continue
        entries.append({"seller_id": int(seller), "month": month.key, "entry_type": "ADJUSTMENT",
                        "occurred_at": utc_naive(booked_at), "order_id": None,
                        "reference": f"{month.key}:{sha}:{line}", "category": None,
                        "amount": cents(value),
                        "vat": 0, "text": f"Ajustement / adjustment: {reason}"[:300]})
    if problems:
        rows = ", ".join(map(str, problems))
        raise AdjustmentFileError(
            f"ajustements {month.key} : les lignes {rows} doivent avoir un vendeur, un montant non"
            " nul en euros et centimes et un motif ; rien n'est comptabilisé / adjustments"
            f" {month.key}: rows {rows} need a seller id, a non-zero amount in euros and cents,"
            " and a reason; nothing was booked")
    return entries


def book_adjustments(session: Session, storage: Storage, month: PayoutMonth,
                     booked_at: datetime) -> int:
    """Book the month's adjustment file, if there is one; returns the rows booked."""
    key = adjustments_key(month.key)
    if not storage.exists(key):
        return 0
    entries = parse_adjustments(storage.read_bytes(key), month, booked_at)
    _refuse_unknown_sellers(session, month, entries)
    insert_entries(session, entries)
    return len(entries)


def unbooked_after_close(session: Session, storage: Storage) -> list[str]:
    """The adjustment files of closed months the ledger holds nothing of: dropped or changed
    after their month closed, they are never booked (a closed month is final). Every payout run
    says so, for ops to move the rows to an open month's file; a run used to pass them by
    without a word."""
    said = []
    for month in session.execute(text("SELECT month FROM payout_months WHERE status = 'closed'"
                                      " ORDER BY month")).scalars():
        key = adjustments_key(month)
        if not storage.exists(key):
            continue
        data = storage.read_bytes(key)
        try:
            if not parse_adjustments(data, parse_month(month), datetime.now(UTC)):
                continue  # nothing to book in it
        except AdjustmentFileError:
            pass  # refused now: booked then it was not either
        sha = hashlib.sha256(data).hexdigest()[:16]
        booked = session.execute(text(
            "SELECT count(*) FROM ledger_entries WHERE entry_type = 'ADJUSTMENT' AND month = :m"
            " AND (reference LIKE :keyed OR reference LIKE :before)"),
            {"m": month, "keyed": f"{month}:{sha}:%", "before": f"{sha}:%"}).scalar_one()
        if not booked:
            said.append(f"{key} : modifié ou déposé après la clôture de {month}, rien n'en est"
                        " comptabilisé ; reportez ses lignes dans le fichier d'un mois ouvert /"
                        f" changed or dropped after {month} was closed, none of it is booked;"
                        " move its rows to an open month's file")
    return said


def _refuse_unknown_sellers(session: Session, month: PayoutMonth, entries: list[dict]) -> None:
    """A mistyped seller id would park the money on a ledger no payout ever reaches."""
    ids = sorted({entry["seller_id"] for entry in entries})
    if not ids:
        return
    known = set(session.execute(select(Seller.seller_id).where(Seller.seller_id.in_(ids))).scalars())
    unknown = [seller for seller in ids if seller not in known]
    if unknown:
        rows = [entry["reference"].rpartition(":")[2] for entry in entries
                if entry["seller_id"] in unknown]
        sellers = ", ".join(map(str, unknown))
        raise AdjustmentFileError(
            f"ajustements {month.key} : lignes {', '.join(rows)}, vendeur(s) {sellers} absent(s) du"
            f" registre ; rien n'est comptabilisé / adjustments {month.key}: rows"
            f" {', '.join(rows)}, seller(s) {sellers} not in the registry; nothing was booked")
