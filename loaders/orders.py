"""Loading an order export: staging, the catalog checks in SQL, then one upsert by order_id.

Valid rows of every chunk are staged (COPY / executemany) inside the file's transaction. At
the end, set-based: copies of an order_id repeated across chunks are dropped, orders of a
seller the registry does not have are rejected, the rest is upserted in one INSERT ... SELECT
... ON CONFLICT, then the rows naming another seller than the stored order's are rejected and
orders of an unknown offer (seller, sku) get a warning.

An order belongs to one seller (feeds.md): the upsert never changes a stored order's seller,
whatever the export's date. That condition sits in the upsert itself, and the rows it left out
for it are found after it, so an order a concurrent file stored meanwhile for another seller is
neither moved nor counted as an older export.

Freshness: a stored order is replaced only by an export of the same day or a later one
(`export_date`, then `last_import_id`), so an old export that arrives late never undoes a
newer state; the orders it could not update are counted in one file-level warning, and not
in `loaded`, which counts the orders written. The row is replaced whole: a column absent from
the export means "no such event" (feeds.md).

The export date is the `YYYY-MM-DD` of the file name (inbox/orders/2026-11-22.csv); a file
named without a date gets the Paris date of its latest event (docs/decisions.md).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import BigInteger, Date, bindparam, text

from loaders.bulk import copy_frame, utc_timestamp_text
from loaders.staging import create_staging
from marketplace.errors import Problem, Reason, Severity, reject_file
from marketplace.layout import export_date_of
from marketplace.models import UTCDateTime
from reports.payout_files import money
from schemas.feed import Applied, FeedContext, StagedAsValidated, Validated
from schemas.orders import EVENT_FIELDS, FIELDS, ORDER_COLUMNS, validate_orders
from schemas.promotion_periods import TIMEZONE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

STAGING = "order_staging"
STAGED = ["row_number", *FIELDS]
STAGING_DDL = """
CREATE TEMP TABLE {table} (
    row_number INTEGER NOT NULL, order_id VARCHAR(64) NOT NULL, seller_id BIGINT NOT NULL,
    sku VARCHAR(64) NOT NULL, customer_type VARCHAR(12), ordered_at TIMESTAMP NOT NULL,
    amount BIGINT NOT NULL, shipping_amount BIGINT, accepted_at TIMESTAMP, refused_at TIMESTAMP,
    shipped_at TIMESTAMP, delivery VARCHAR(10), tracking_number VARCHAR(64), carrier VARCHAR(64),
    estimated_delivery_at TIMESTAMP, delivered_at TIMESTAMP, refunded_at TIMESTAMP,
    refund_amount BIGINT, refund_reason VARCHAR(12), claim_opened_at TIMESTAMP, claim_reason TEXT,
    question_at TIMESTAMP, answered_at TIMESTAMP, rated_at TIMESTAMP,
    rating_delivery_place SMALLINT, rating_on_time SMALLINT, rating_care SMALLINT,
    rating_conformity SMALLINT, rating_packaging SMALLINT, goodwill_amount BIGINT,
    goodwill_at TIMESTAMP
){suffix}
"""
UPDATED = [name for name in FIELDS if name != "order_id"]
EXAMPLES = 5  # order ids quoted in the "older export" warning


class OrdersFeed(StagedAsValidated):
    """The order activity feed: an ops feed (no seller folder), upserted by order_id."""

    kind = "orders"
    columns = ORDER_COLUMNS
    preferred_sheets = ("orders", "commandes")
    seller_scoped = False
    report_masks: dict = {}
    report_text_mask = None
    validated_against_catalog = False
    header_only_is_empty_load = True
    export_dated_by_name = True
    other_feed_columns = None

    def validate(self, frame: pd.DataFrame, headers, ctx: FeedContext) -> Validated:
        return validate_orders(frame, headers, ctx)

    def stage(self, session: Session, valid: pd.DataFrame, ctx: FeedContext) -> None:
        _begin(session, ctx)
        if valid.empty:
            return
        postgres = session.get_bind().dialect.name == "postgresql"
        frame = valid.assign(row_number=valid.index.astype("int64"),
                             **{name: _staged_instants(valid[name], postgres) for name in EVENT_FIELDS})
        copy_frame(session, STAGING, frame, STAGED)
        # every valid row has its ordered_at, so a staged chunk always has a latest event; the
        # estimated delivery is a forecast, not an event of the export's day
        latest = max(valid[name].max() for name in EVENT_FIELDS
                     if name != "estimated_delivery_at" and valid[name].notna().any())
        known = ctx.state.get("latest_event")
        ctx.state["latest_event"] = latest if known is None else max(known, latest)

    def apply(self, session: Session, ctx: FeedContext) -> Applied:
        _begin(session, ctx)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"ANALYZE {STAGING}"))  # a million staged rows: the planner needs it
        late = sorted(ctx.state.get("late_duplicates", ()))
        if late:
            drop = text(f"DELETE FROM {STAGING} WHERE row_number IN :rows")
            session.execute(drop.bindparams(bindparam("rows", expanding=True)), {"rows": late})
        headers = ctx.state.get("headers", {})
        problems = _unknown_sellers(session, headers)
        export_date = ctx.state["export_date"] = _export_date(ctx)  # the rejected rows' day too
        paid_changed = _paid_amount_changed(session, export_date)  # against the stored state
        written = _upsert(session, ctx, export_date)
        problems += _other_sellers(session, headers)
        warnings = _unknown_offers(session, headers)
        if export_date_of(ctx.file_name) is None:
            warnings.append(_dated_by_events(ctx, export_date))
        warnings += paid_changed
        staged = session.execute(text(f"SELECT count(*) FROM {STAGING}")).scalar_one()
        if written < staged:
            warnings.append(_older_export(session, staged - written, export_date))
        # the orders written: a row an order's newer stored state kept out is not loaded (its
        # warning says so), nor rejected (nothing in it to fix)
        return Applied(loaded=written, problems=problems + warnings,
                       rejected_rows=set(late) | {p.row for p in problems})


ORDERS_FEED = OrdersFeed()


def _begin(session: Session, ctx: FeedContext) -> None:
    """Once per file: the staging table created (it disappears with the transaction)."""
    if "staging" not in ctx.state:
        create_staging(session, STAGING, STAGING_DDL)
        ctx.state["staging"] = True


def _staged_instants(values: pd.Series, postgres: bool) -> pd.Series:
    """UTC instants as the staging table takes them: naive timestamps for PostgreSQL's COPY
    (Arrow writes them as text itself, about 8 s per million rows faster than strftime), and
    SQLAlchemy's text format for SQLite, which compares timestamps as text."""
    if postgres:
        return values.dt.tz_localize(None)
    return utc_timestamp_text(values)


def _export_date(ctx: FeedContext) -> date:
    """The file name's date; else the Paris date of the latest event; else today in Paris.

    A name dated after today in Paris (a mistyped year) refuses the file: stored as the orders'
    freshness, that date would make every later real export "older", and leave them frozen.
    """
    named = export_date_of(ctx.file_name)
    today = pd.Timestamp(ctx.now).tz_convert(TIMEZONE).date()
    if named is not None and named > today:
        raise reject_file(
            Reason.BAD_DATE,
            f"La date du nom de fichier ({named:%d/%m/%Y}) est postérieure à aujourd'hui : un"
            " export ne peut pas dater du futur. Renommez-le avec sa date réelle (AAAA-MM-JJ)"
            " et renvoyez-le.",
            f"The date in the file name ({named:%d/%m/%Y}) is after today: an export cannot"
            " come from the future. Rename it with its real date (YYYY-MM-DD) and send it again.",
            value=ctx.file_name)
    if named is not None:
        return named
    latest = ctx.state.get("latest_event")
    instant = pd.Timestamp(ctx.now) if latest is None else latest
    return min(instant.tz_convert(TIMEZONE).date(), today)  # never a freshness from the future


def _dated_by_events(ctx: FeedContext, export_date: date) -> Problem:
    """Said: a file whose name gives no date is dated by its latest event, and a nightly export
    of an earlier day is then "older" (a name `commandes_20261203` was read as undated)."""
    return Problem(
        Reason.BAD_DATE,
        f"Le nom du fichier « {ctx.file_name} » ne donne pas la date de l'export (AAAA-MM-JJ) : il"
        f" est daté du {export_date:%d/%m/%Y}, jour de son dernier événement ; un export"
        " antérieur à cette date ne modifiera plus ses commandes.",
        f'The file name "{ctx.file_name}" gives no export date (YYYY-MM-DD): it is dated'
        f" {export_date:%Y-%m-%d}, the day of its latest event; an export of an earlier day will"
        " not change its orders.",
        value=ctx.file_name, severity=Severity.WARNING)


def _unknown_sellers(session: Session, headers: dict) -> list[Problem]:
    """Orders of a seller missing from the registry: rejected and removed from staging."""
    where = (f"FROM {STAGING} s WHERE NOT EXISTS"
             " (SELECT 1 FROM sellers r WHERE r.seller_id = s.seller_id)")
    rows = session.execute(text(f"SELECT s.row_number, s.seller_id {where} ORDER BY s.row_number")).all()
    if rows:
        session.execute(text(f"DELETE FROM {STAGING} WHERE row_number IN (SELECT s.row_number {where})"))
    column = headers.get("seller_id", "seller_id")
    return [Problem(Reason.UNKNOWN_SELLER,
                    f"Vendeur « {seller_id} » inconnu du registre : chargez le registre des"
                    " vendeurs avant ses commandes (la commande n'est pas chargée).",
                    f'Seller "{seller_id}" is not in the registry: load the seller registry'
                    " before its orders (the order is not loaded).",
                    row=row, column=column, value=str(seller_id))
            for row, seller_id in rows]


def _other_sellers(session: Session, headers: dict) -> list[Problem]:
    """Rows naming another seller than their stored order's: rejected, removed from staging.

    Run after the upsert, which left those orders as they were: a stored order a concurrent
    file committed meanwhile is seen too (PostgreSQL's upsert waited for it). The report goes
    to ops, who may read which seller the order belongs to.
    """
    where = (f"FROM {STAGING} s JOIN orders o ON o.order_id = s.order_id"
             " WHERE o.seller_id <> s.seller_id")
    rows = session.execute(text(
        f"SELECT s.row_number, s.order_id, s.seller_id, o.seller_id {where} ORDER BY s.row_number"
    )).all()
    if rows:
        session.execute(text(f"DELETE FROM {STAGING} WHERE row_number IN (SELECT s.row_number {where})"))
    column = headers.get("seller_id", "seller_id")
    return [Problem(Reason.OTHER_SELLER,
                    f"La commande « {order_id} » appartient au vendeur {owner}, pas au vendeur"
                    f" {seller_id} : une commande ne change pas de vendeur. La ligne n'est pas"
                    " chargée et la commande reste telle quelle ; faites vérifier l'export par"
                    " le système de commandes.",
                    f'Order "{order_id}" belongs to seller {owner}, not to seller {seller_id}:'
                    " an order never changes seller. The row is not loaded and the order is left"
                    " as it is; have the order system check its export.",
                    row=row, column=column, value=str(seller_id))
            for row, order_id, seller_id, owner in rows]


def _unknown_offers(session: Session, headers: dict) -> list[Problem]:
    """Orders whose (seller, sku) is no offer of the catalog: loaded, with a warning."""
    rows = session.execute(text(
        f"SELECT s.row_number, s.seller_id, s.sku FROM {STAGING} s WHERE NOT EXISTS"
        " (SELECT 1 FROM offers o WHERE o.seller_id = s.seller_id AND o.sku = s.sku)"
        " ORDER BY s.row_number")).all()
    column = headers.get("sku", "sku")
    return [Problem(Reason.UNKNOWN_SKU,
                    f"Le vendeur {seller_id} n'a pas d'offre « {sku} » dans le catalogue"
                    " (un avertissement : la ligne n'est pas refusée pour cela).",
                    f'Seller {seller_id} has no offer "{sku}" in the catalogue (a warning: the'
                    " row is not refused for it).",
                    row=row, column=column, value=sku, severity=Severity.WARNING)
            for row, seller_id, sku in rows]


def _upsert(session: Session, ctx: FeedContext, export_date: date) -> int:
    """One statement for the file; returns how many orders it inserted or updated. A stored
    order is updated only by a row of its own seller and an export not older than its state."""
    columns = ", ".join(FIELDS)
    selected = columns.replace("shipping_amount", "COALESCE(shipping_amount, 0)")
    updates = ", ".join(f"{name} = excluded.{name}" for name in UPDATED)
    result = session.execute(
        text(
            f"INSERT INTO orders ({columns}, export_date, last_import_id, created_at, updated_at)"
            f" SELECT {selected}, :export_date, :import_id, :now, :now FROM {STAGING}"
            " WHERE true ORDER BY order_id"  # two files racing lock their orders in one order
            f" ON CONFLICT (order_id) DO UPDATE SET {updates}, export_date = excluded.export_date,"
            " last_import_id = excluded.last_import_id, updated_at = excluded.updated_at"
            " WHERE orders.seller_id = excluded.seller_id"
            " AND (orders.export_date, COALESCE(orders.last_import_id, 0))"
            " <= (excluded.export_date, excluded.last_import_id)"
        ).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("export_date", type_=Date()),
                     bindparam("import_id", type_=BigInteger())),
        {"now": ctx.now, "export_date": export_date, "import_id": ctx.import_id or 0},
    )
    return result.rowcount


def _paid_amount_changed(session: Session, export_date: date) -> list[Problem]:
    """One warning for the orders this export changes the amount of (its rows that will be
    written: not older than the stored state) whose sale a closed month paid at another amount:
    a closed month is final and a sale booked once, so the change is booked nowhere and ops
    must book the difference as an adjustment. Said by the import that makes the change, once,
    in its transaction (amounts in cents in both tables)."""
    total = "s.amount + COALESCE(s.shipping_amount, 0)"
    changed = (f" FROM {STAGING} s JOIN orders o ON o.order_id = s.order_id AND o.seller_id = s.seller_id"
               " JOIN ledger_entries l ON l.order_id = s.order_id AND l.entry_type = 'SALE'"
               " JOIN payout_months m ON m.month = l.month AND m.status = 'closed'"
               f" WHERE o.export_date <= :export_date AND {total} <> l.amount"
               f" AND {total} <> o.amount + COALESCE(o.shipping_amount, 0)")
    dated = {"export_date": export_date}
    count = session.execute(text("SELECT count(*)" + changed).bindparams(
        bindparam("export_date", type_=Date())), dated).scalar_one()
    if not count:
        return []
    examples = session.execute(text(  # a few, not every row of a mass change
        f"SELECT s.order_id, l.month, l.amount, {total}{changed} ORDER BY s.order_id LIMIT :n"
    ).bindparams(bindparam("export_date", type_=Date())), {**dated, "n": EXAMPLES}).all()
    shown = ", ".join(f"{order_id} ({month} : {money(paid)} € → {money(now)} €)"
                      for order_id, month, paid, now in examples)
    return [Problem(
        Reason.PAID_AMOUNT_CHANGED,
        f"{count} commande(s) dont la vente a été payée dans un mois clos changent de montant :"
        f" {shown}. Rien n'est recomptabilisé (un mois clos est définitif) : passez la différence"
        " en ajustement.",
        f"{count} order(s) whose sale a closed month paid change amount: {shown}. Nothing is"
        " booked again (a closed month is final): book the difference as an adjustment.",
        severity=Severity.WARNING)]


def _older_export(session: Session, count: int, export_date: date) -> Problem:
    """One warning for the orders already stored from a newer export (left as they are)."""
    newer = session.execute(text(
        f"SELECT s.order_id FROM {STAGING} s JOIN orders o ON o.order_id = s.order_id"
        " WHERE o.export_date > :export_date ORDER BY s.order_id LIMIT :n"
    ).bindparams(bindparam("export_date", type_=Date())),
        {"export_date": export_date, "n": EXAMPLES}).scalars().all()
    examples = ", ".join(newer)
    return Problem(
        Reason.OLDER_EXPORT,
        f"{count} commande(s) déjà connue(s) par un export plus récent que celui du"
        f" {export_date:%d/%m/%Y} n'ont pas été modifiées (par exemple : {examples}).",
        f"{count} order(s) already known from an export newer than {export_date:%Y-%m-%d} were"
        f" left unchanged (e.g. {examples}).",
        severity=Severity.WARNING)
