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

import codecs
import csv
import hashlib
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marketplace.errors import MarketplaceError
from marketplace.layout import MAX_SELLER_ID, safe_key
from marketplace.models import Seller
from marketplace.storage import Storage
from reports.ledger_sql import cents, insert_entries, utc_naive
from reports.payout_calendar import PayoutMonth, parse_month
from schemas.orders import MAX_AMOUNT_CENTS

REQUIRED = ("seller_id", "amount", "reason")
MAX_ADJUSTMENT = Decimal(MAX_AMOUNT_CENTS) / 100  # as an order's amount
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_AMOUNT = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]{1,2})?")


class AdjustmentFileError(MarketplaceError):
    """The adjustment file cannot be booked as a whole."""


def adjustments_key(month: str) -> str:
    return safe_key("ops", "adjustments", f"{month}.csv")


def parse_adjustments(data: bytes, month: PayoutMonth, booked_at: datetime) -> list[dict]:
    """The file's rows as ledger entries (cents); AdjustmentFileError on any bad row."""
    entries, bad_rows = _parsed(data, month, booked_at)
    if bad_rows:
        raise _refused(month, bad_rows, [], [])
    return entries


def _parsed(data: bytes, month: PayoutMonth, booked_at: datetime) -> tuple[list[dict], list[int]]:
    """The file's good rows as ledger entries (cents), and the numbers of its bad rows."""
    sha = hashlib.sha256(data).hexdigest()[:16]
    text = _decoded(data)
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
        reason = _CONTROL.sub(" ", reason)  # a NUL failed the run on PostgreSQL
        value = _amount(amount)
        if not (seller.isascii() and seller.isdigit() and 0 < int(seller) <= MAX_SELLER_ID) \
                or value is None or not reason:
            problems.append(line)
            continue
        entries.append({"seller_id": int(seller), "month": month.key, "entry_type": "ADJUSTMENT",
                        "occurred_at": utc_naive(booked_at), "order_id": None,
                        "reference": f"{month.key}:{sha}:{line}", "category": None,
                        "amount": cents(value),
                        "vat": 0, "text": f"Ajustement / adjustment: {reason}"[:300]})
    return entries, problems


def _refused(month: PayoutMonth, bad_rows: list[int], unknown_rows: list[str],
             unknown_sellers: list[int]) -> AdjustmentFileError:
    """One refusal naming every row to fix: a bad row and an unknown seller were said one run
    after the other."""
    french, english = [], []
    if bad_rows:
        rows = ", ".join(map(str, bad_rows))
        french.append(f"les lignes {rows} doivent avoir un vendeur, un montant non nul en euros et"
                      " centimes et un motif")
        english.append(f"rows {rows} need a seller id, a non-zero amount in euros and cents, and"
                       " a reason")
    if unknown_rows:
        rows, sellers = ", ".join(unknown_rows), ", ".join(map(str, unknown_sellers))
        french.append(f"lignes {rows}, vendeur(s) {sellers} absent(s) du registre")
        english.append(f"rows {rows}, seller(s) {sellers} not in the registry")
    return AdjustmentFileError(
        f"ajustements {month.key} : {' ; '.join(french)} ; rien n'est comptabilisé / adjustments"
        f" {month.key}: {'; '.join(english)}; nothing was booked")


def _decoded(data: bytes) -> str:
    """The file's text as ops save it: UTF-8 (a BOM or not), UTF-16 with its BOM (Excel's
    "Unicode text"), else Windows-1252 (French Excel's CSV), which failed the run (exit 4)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _amount(text: str) -> Decimal | None:
    """A non-zero amount in euros and cents written with ASCII digits (`-12,50`, `1 200.00`),
    at most MAX_ADJUSTMENT; None otherwise. Decimal alone took `1e30` (then raised at the
    rounding check), `1_000`, `1E2` and full-width or Arabic-Indic digits."""
    written = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if not _AMOUNT.fullmatch(written):
        return None
    value = Decimal(written.replace(",", "."))
    return value if value != 0 and abs(value) <= MAX_ADJUSTMENT else None


def book_adjustments(session: Session, storage: Storage, month: PayoutMonth,
                     booked_at: datetime) -> int:
    """Book the month's adjustment file, if there is one; returns the rows booked."""
    key = adjustments_key(month.key)
    if not storage.exists(key):
        return 0
    entries, bad_rows = _parsed(storage.read_bytes(key), month, booked_at)
    unknown_rows, unknown_sellers = _unknown_sellers(session, entries)
    if bad_rows or unknown_rows:
        raise _refused(month, bad_rows, unknown_rows, unknown_sellers)
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


def _unknown_sellers(session: Session, entries: list[dict]) -> tuple[list[str], list[int]]:
    """The rows naming a seller the registry does not know, and those sellers: a mistyped
    seller id would park the money on a ledger no payout ever reaches."""
    ids = sorted({entry["seller_id"] for entry in entries})
    if not ids:
        return [], []
    known = set(session.execute(select(Seller.seller_id).where(Seller.seller_id.in_(ids))).scalars())
    unknown = [seller for seller in ids if seller not in known]
    rows = [entry["reference"].rpartition(":")[2] for entry in entries
            if entry["seller_id"] in unknown]
    return rows, unknown
