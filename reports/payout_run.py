"""`report payouts --month M [--close]`: draft, close, or re-issue a month (payouts.md, "Runs").

- Draft: every entry and decision of the months not closed is deleted and M is booked and
  decided again (drafts are recomputable as data is corrected), then `payouts-DRAFT.csv|xlsx`
  are written. No SEPA file, no invoice: numbers are only consumed at the close.
- Close: the same booking and decisions, then the SEPA file is built and validated, the
  invoices are issued (their numbers consumed in this transaction), the invariants are
  checked, and all of it commits at once; only then are the files written, and the month
  marked as published. A failed invariant rolls everything back and writes nothing.
- A closed month is never recomputed: asking again (with or without --close) re-issues the
  same files from what is stored. A run killed after the commit and before the files leaves
  the month closed and unpublished; the next run publishes it, once: the keys are fixed, so a
  rerun replaces, never duplicates, and the database forbids a second payout.
- Months close in order: a month before the last closed one cannot be drafted or closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from marketplace.calendar import PARIS, paris_today
from marketplace.config import Settings
from marketplace.db import in_transaction
from marketplace.errors import MarketplaceError
from marketplace.models import PayoutMonth as PayoutMonthRow
from marketplace.reference import load_billing, load_categories
from marketplace.storage import Storage, StorageError
from reports.ledger_adjustments import book_adjustments, unbooked_after_close
from reports.ledger_fees import book_fees
from reports.ledger_orders import book_order_events
from reports.ledger_sql import refresh_statistics
from reports.payout_calendar import PayoutMonth, next_working_day, parse_month
from reports.payout_decision import decide_and_book
from reports.payout_files import payouts_csv, payouts_xlsx
from reports.payout_invariants import check_invariants
from reports.payout_lines import month_charges, month_entries, month_lines, revenue_by_category
from reports.payout_publish import month_key, publish_month
from reports.sepa_transfer import build_transfer, control_sum

DRAFT_FILES = ("payouts-DRAFT.csv", "payouts-DRAFT.xlsx")


class PayoutRunError(MarketplaceError):
    """The month cannot be run as asked (order of months)."""


class ClosedMonthFilesNotWritten(StorageError):
    """The close is committed (payouts, invoice numbers, the transfer), its files are not:
    "storage write failed" alone left finance believing nothing had happened."""

    def __init__(self, month: str, error: StorageError):
        MarketplaceError.__init__(
            self, f"le mois {month} est clôturé (paiements, factures et virement enregistrés) mais"
            f" ses fichiers n'ont pas pu être écrits ; relancez la même commande une fois le"
            f" stockage rétabli : elle les écrit sans rien recalculer / month {month} is closed"
            f" (payouts, invoices and transfer recorded) but its files could not be written; run"
            f" the same command again once the storage works: it writes them, recomputing"
            f" nothing. {error}")
        self.operation, self.location = error.operation, error.location


@dataclass
class PayoutRunResult:
    month: str
    status: str  # draft, closed, reissued
    sellers: int = 0
    paid: int = 0
    carried: int = 0
    held: int = 0
    total_paid: Decimal = Decimal("0.00")
    sepa_control_sum: Decimal | None = None
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # for ops: e.g. an unbooked adjustment file

    def as_json(self) -> dict:
        return {"month": self.month, "status": self.status, "sellers": self.sellers,
                "paid": self.paid, "carried": self.carried, "held": self.held,
                "total_paid": str(self.total_paid),
                "sepa_control_sum": None if self.sepa_control_sum is None else str(self.sepa_control_sum),
                "files": self.files, "warnings": self.warnings}


@dataclass
class _Computed:
    """What a run read back from the database, for the files."""

    lines: pd.DataFrame
    revenue: pd.DataFrame
    entries: pd.DataFrame | None
    sepa_xml: bytes | None
    invoices: list
    created: datetime


def run_payouts(engine: Engine, storage: Storage, settings: Settings, month_text: str, *,
                close: bool, now: datetime | None = None) -> PayoutRunResult:
    """Draft, close or re-issue `month_text`; see the module's rules."""
    month = parse_month(month_text, settings.timezone)
    if close:  # the invoices and the SEPA file need it: a missing or bad identity file fails
        from marketplace.identity import load_identity  # before anything is closed or numbered

        load_identity(settings)
    now = now or datetime.now(UTC)
    today = paris_today(now, settings.timezone)
    if close and today <= month.last_day:
        raise PayoutRunError(
            f"le mois {month.key} n'est pas terminé (nous sommes le {today:%d/%m/%Y} à Paris) : il"
            f" se clôture à partir du {month.last_day + timedelta(days=1):%d/%m/%Y} ; sans --close,"
            f" le brouillon se calcule à tout moment / month {month.key} is not over yet: it can be"
            " closed from the 1st of the next month; a draft (without --close) works any day")

    def work(session: Session) -> tuple[str, _Computed, list[str]]:
        state = _lock_month(session, month.key)
        unbooked = unbooked_after_close(session, storage)
        if state == "closed":
            return "reissued", _read_back(session, month.key, with_entries=True), unbooked
        _refuse_out_of_order(session, month, close)
        left_out = [] if close else _first_draft_leaves_out(session, month)
        return ("closed" if close else "draft"), _book_and_decide(
            session, storage, settings, month, now, today, close), unbooked + left_out

    status, computed, unbooked = in_transaction(engine, work, retries=settings.db_retries)
    result = _summary(month.key, status, computed)
    result.warnings = unbooked
    drafts = [month_key(month.key, name) for name in DRAFT_FILES]
    if status == "draft":
        result.files = [
            storage.write_bytes(drafts[0], payouts_csv(computed.lines)),
            storage.write_bytes(drafts[1], payouts_xlsx(computed.lines, computed.revenue,
                                                        month.key, True, computed.created)),
        ]
        return result
    try:
        result.files = write_month_files(storage, settings, month.key, computed)
    except StorageError as error:
        raise ClosedMonthFilesNotWritten(month.key, error) from error
    for draft in drafts + _stale_drafts(engine, month.key):
        storage.delete(draft)  # finance finds the closed files alone, never a stale draft
    in_transaction(engine, lambda s: s.execute(
        text("UPDATE payout_months SET files_written_at = :now WHERE month = :month"),
        {"now": now.astimezone(UTC).replace(tzinfo=None), "month": month.key}))
    return result


def _stale_drafts(engine: Engine, month: str) -> list[str]:
    """The DRAFT files of months before `month` never closed: none of them can be now (months
    close in order), and a September draft left beside October's close said "paid 34.01" of
    money October paid. The first close of a catalog is where it happens."""
    months = in_transaction(engine, lambda session: session.execute(text(
        "SELECT month FROM payout_months WHERE status <> 'closed' AND month < :month"),
        {"month": month}).scalars().all())
    return [month_key(earlier, name) for earlier in months for name in DRAFT_FILES]


def _lock_month(session: Session, month: str) -> str:
    """The month's status, its row locked for this transaction (two closes queue)."""
    session.execute(text("INSERT INTO payout_months (month, status, computed_at) VALUES"
                         " (:month, 'draft', CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING"),
                    {"month": month})
    lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
    return session.execute(text("SELECT status FROM payout_months WHERE month = :month" + lock),
                           {"month": month}).scalar_one()


def _refuse_out_of_order(session: Session, month: PayoutMonth, close: bool) -> None:
    last = session.execute(text("SELECT MAX(month) FROM payout_months WHERE status = 'closed'")).scalar()
    if last is not None and last > month.key:
        raise PayoutRunError(f"le mois {month.key} précède {last}, déjà clôturé, et n'a jamais été"
                             " clôturé : il ne peut plus être calculé (les événements arrivés en"
                             " retard sont comptabilisés dans le prochain mois ouvert) / month"
                             f" {month.key} comes before {last}, already closed, and was never"
                             " closed itself: it can no longer be computed (events that arrive"
                             " late are booked in the next open month)")
    previous = month.previous_key
    if close and last is not None and last < previous:
        # Closing M over an open M−1 would lock M−1 for good: its subscriptions, payouts and
        # invoice would never be booked (fees are booked for the month run only).
        following = parse_month(last).next_key
        raise PayoutRunError(f"le mois {month.key} ne peut pas être clôturé avant {previous} (dernier mois"
                             f" clôturé : {last}, le prochain à clôturer est {following}) / month"
                             f" {month.key} cannot be closed before {previous}: months close in"
                             f" order, the last closed one is {last}, the next to close {following}")
    if close and last is None:
        _refuse_first_close_before_activity(session, month)
        _refuse_first_close_after_deliveries(session, month)


def _refuse_first_close_before_activity(session: Session, month: PayoutMonth) -> None:
    """The first close sets where the months start: `2020-01` typed for `2026-01` on a new
    catalog was closed, and every month from 2020-02 on had then to be closed in order before
    the real one. A first month that ends before any seller was activated and any order placed
    is refused, naming the first month with activity."""
    activated, ordered = session.execute(text(
        "SELECT (SELECT MIN(activated_at) FROM sellers), (SELECT MIN(ordered_at) FROM orders)"
    )).one()
    days = [pd.Timestamp(activated).date() if activated is not None else None,
            pd.Timestamp(ordered).tz_localize("UTC").tz_convert(PARIS).date()
            if ordered is not None else None]
    known = [day for day in days if day is not None]
    if not known or min(known) <= month.last_day:
        return
    first = f"{min(known):%Y-%m}"
    raise PayoutRunError(f"le mois {month.key} précède toute activité (premier mois avec un vendeur"
                         f" activé ou une commande : {first}) : la première clôture ne peut pas être"
                         f" antérieure / month {month.key} comes before any activity (first month"
                         f" with an activated seller or an order: {first}): the first close"
                         " cannot be earlier")


def _refuse_first_close_after_deliveries(session: Session, month: PayoutMonth) -> None:
    """A first close of November over October's deliveries paid October's sales in November
    but never booked nor invoiced October's subscription and premium fees, silently. The
    registry's activation dates alone do not count: a marketplace's sellers may have been
    activated years before this catalog's first month. Nor does an order delivered before the
    month before (an order of 2025 re-exported for a late refund): the months the previous
    back office closed are not this catalog's to close again, and one such order asked ops to
    close seventeen months in order."""
    if (first := _delivered_the_month_before(session, month)) is None:
        return
    raise PayoutRunError(f"le mois {month.key} ne peut pas être la première clôture : des commandes ont"
                         f" été livrées en {first}, mois à clôturer d'abord (ses abonnements et sa"
                         f" facture seraient perdus) / month {month.key} cannot be the first close:"
                         f" orders were delivered in {first}, close that month first (its fees and"
                         " invoice would be lost)")


def _delivered_the_month_before(session: Session, month: PayoutMonth) -> str | None:
    """The month before `month` if orders were delivered in it, else None."""
    previous = parse_month(month.previous_key)
    delivered = session.execute(
        text("SELECT 1 FROM orders WHERE delivered_at >= :previous AND delivered_at < :start LIMIT 1"),
        {"previous": previous.start.astimezone(UTC).replace(tzinfo=None),
         "start": month.start.astimezone(UTC).replace(tzinfo=None)}).first()
    return None if delivered is None else previous.key


def _first_draft_leaves_out(session: Session, month: PayoutMonth) -> list[str]:
    """A draft before any close leaves out the deliveries of the month before, which its close
    would refuse to skip: said, rather than a draft paying less than the month will."""
    closed = session.execute(text("SELECT 1 FROM payout_months WHERE status = 'closed' LIMIT 1")).first()
    if closed is not None or (before := _delivered_the_month_before(session, month)) is None:
        return []
    return [f"brouillon de {month.key} sans les commandes livrées en {before} : clôturez {before}"
            f" d'abord / draft of {month.key} without the orders delivered in {before}: close"
            f" {before} first"]


def _book_and_decide(session: Session, storage: Storage, settings: Settings, month: PayoutMonth,
                     now: datetime, today: date, close: bool) -> _Computed:
    open_months = "(SELECT month FROM payout_months WHERE status = 'closed')"
    session.execute(text(f"DELETE FROM ledger_entries WHERE month NOT IN {open_months}"))
    session.execute(text(f"DELETE FROM payouts WHERE month NOT IN {open_months}"))
    refresh_statistics(session)
    billing = load_billing(settings.reference_dir)
    book_order_events(session, month, load_categories(settings.reference_dir), billing)
    book_fees(session, month, billing)
    # dated within the month its statement covers: the close of November ran on 1 December
    book_adjustments(session, storage, month, min(now, month.end - timedelta(seconds=1)))
    execution_date = next_working_day(today)
    decide_and_book(session, month, execution_date)
    if not close:
        session.execute(text("UPDATE payout_months SET status = 'draft', computed_at = :now,"
                             " execution_date = :day WHERE month = :month"),
                        {"now": now.astimezone(UTC).replace(tzinfo=None), "day": execution_date,
                         "month": month.key})
        return _read_back(session, month.key, with_entries=False)
    lines = month_lines(session, month.key)
    paid = lines[lines["decision"] == "paid"]
    sepa_xml = None
    if not paid.empty:
        from marketplace.identity import load_identity

        sepa_xml = build_transfer(load_identity(settings), paid, month.key, execution_date,
                                  settings.sepa_schema)
    from reports.invoices import issue_month_invoices

    invoices = issue_month_invoices(session.connection(), month.key, today,
                                    month_charges(lines[lines["legal_name"].notna()], execution_date))
    check_invariants(session, month.key, lines, sepa_xml, invoices)
    session.execute(text("UPDATE payout_months SET status = 'closed', closed_at = :now, computed_at = :now,"
                         " execution_date = :day, sepa_xml = :xml WHERE month = :month"),
                    {"now": now.astimezone(UTC).replace(tzinfo=None), "day": execution_date,
                     "xml": sepa_xml, "month": month.key})
    return _read_back(session, month.key, with_entries=True)


def _read_back(session: Session, month: str, *, with_entries: bool) -> _Computed:
    row = session.get(PayoutMonthRow, month)
    invoices = []
    if row.status == "closed":
        from reports.invoices import stored_month_invoices

        invoices = stored_month_invoices(session.connection(), month)
    created = (row.closed_at or row.computed_at).replace(tzinfo=None)
    return _Computed(lines=month_lines(session, month), revenue=revenue_by_category(session, month),
                     entries=month_entries(session, month) if with_entries else None,
                     sepa_xml=row.sepa_xml, invoices=invoices, created=created)


def write_month_files(storage: Storage, settings: Settings, month: str, computed: _Computed) -> list[str]:
    """Publish a closed month's files from what was read back (see payout_publish)."""
    return publish_month(storage, settings, month, computed.lines, computed.revenue, computed.entries,
                         computed.sepa_xml, computed.invoices, computed.created)


def _summary(month: str, status: str, computed: _Computed) -> PayoutRunResult:
    lines = computed.lines
    counts = lines["decision"].value_counts()
    total = int(lines.loc[lines["decision"] == "paid", "paid"].sum())
    return PayoutRunResult(
        month=month, status=status, sellers=len(lines), paid=int(counts.get("paid", 0)),
        carried=int(counts.get("carried", 0)), held=int(counts.get("held", 0)),
        total_paid=Decimal(total).scaleb(-2),
        sepa_control_sum=control_sum(computed.sepa_xml) if computed.sepa_xml else None)


def payout_summary(result: PayoutRunResult) -> list[str]:
    """The run in a few lines for a human (the CLI and the demo print them)."""
    lines = [f"payouts {result.month}: {result.status} — {result.sellers} sellers, {result.paid} paid"
             f" ({result.total_paid} €), {result.carried} carried, {result.held} held"]
    if result.sepa_control_sum is not None:
        lines.append(f"  SEPA control sum: {result.sepa_control_sum} €")
    lines.append(f"  {len(result.files)} files under outbox/payouts/{result.month}/")
    lines += [f"  attention / warning: {warning}" for warning in result.warnings]
    return lines
