"""Loading a promotion file: staging, the catalog checks in SQL, then one upsert per file.

Valid rows of every chunk are staged (COPY / executemany) inside the file's transaction. At
the end, the rules that need the catalog run set-based on the staging table, never a query per
row: one outer join with the seller's offers (the offer must exist, active or not, and the
discount be below its price) and one join with their promotions (no overlap with one already
loaded). Rows they reject become row problems (the file loads partially). The rest is
upserted on the promotion's key (seller, sku, type, start, end), so a re-sent promotion
replaces the stored one instead of overlapping it. In replace mode the file is the seller's
complete list of promotions not yet over: before the upsert, the stored ones missing from it
are withdrawn (deleted if not started, ended now if running), except those of a rejected row's
sku, behind the same "more than half" guard as offers. One transaction: a crash leaves the
catalog as it was.

Timestamps are staged as text in SQLAlchemy's own SQLite format (`YYYY-MM-DD HH:MM:SS.ffffff`,
naive UTC): SQLite compares them as text, so every value it holds must share one format.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import BigInteger, TextClause, bindparam, text

from loaders.bulk import copy_frame, utc_timestamp_text
from loaders.staging import (
    check_replace_guard,
    create_staging,
    kept_skus,
    lock_seller,
    unreadable_rows_stop_replace,
)
from marketplace.errors import Problem, Reason
from marketplace.models import UTCDateTime
from reports.effective_price import promotion_price_sql
from schemas.feed import Applied, FeedContext
from schemas.promotion_periods import TIMEZONE, shown_instant
from schemas.promotion_rules import FREE_DELIVERY

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PREREQUISITE_FR = "le registre des vendeurs et ses offres doivent être chargés avant ses promotions."
PREREQUISITE_EN = "the seller registry and its offers must be loaded before its promotions."
STAGING = "promotion_staging"
STAGED = ["row_number", "sku", "promotion_type", "discount_price", "discount_percent",
          "start_at", "end_at", "period"]
STAGING_DDL = """
CREATE TEMP TABLE {table} (
    row_number INTEGER NOT NULL, sku VARCHAR(64) NOT NULL, promotion_type INTEGER NOT NULL,
    discount_price BIGINT, discount_percent INTEGER, start_at TIMESTAMP NOT NULL,
    end_at TIMESTAMP NOT NULL, period VARCHAR(40)
){suffix}
"""
STORED = STAGED[1:]
KEPT = "promotion_kept_skus"
KEPT_DDL = "CREATE TEMP TABLE {table} (sku VARCHAR(64) PRIMARY KEY){suffix}"


def stage(session: Session, valid: pd.DataFrame, ctx: FeedContext) -> None:
    _begin(session, ctx)
    frame = valid.assign(
        row_number=valid.index.astype("int64"),
        start_at=utc_timestamp_text(valid["start_at"]),
        end_at=utc_timestamp_text(valid["end_at"]),
        period=valid["period"].astype(object).where(valid["period"].notna(), None),
    )
    copy_frame(session, STAGING, frame, STAGED)


def apply(session: Session, ctx: FeedContext) -> Applied:
    _begin(session, ctx)
    # indexed and analysed once full: the late deletions and the planner need it
    session.execute(text(f"CREATE INDEX ix_{STAGING}_row ON {STAGING} (row_number)"))
    session.execute(text(f"ANALYZE {STAGING}"))
    late = sorted(ctx.state.get("late_overlaps", ()))
    if late:
        session.execute(text(f"DELETE FROM {STAGING} WHERE row_number = :r"),
                        [{"r": r} for r in late])
    headers = ctx.state.get("headers", {})
    problems = _offer_problems(session, ctx, headers)
    problems += _overlapping_loaded(session, ctx, headers)
    rejected_rows = set(late) | {p.row for p in problems}
    stopped = unreadable_rows_stop_replace(
        ctx, "aucune promotion absente n'a été retirée", "no absent promotion was withdrawn")
    withdrawn = _withdraw_absent(session, ctx) if ctx.mode == "replace" and stopped is None else []
    _upsert(session, ctx)
    loaded = session.execute(text(f"SELECT count(*) FROM {STAGING}")).scalar_one()
    return Applied(loaded=loaded, problems=problems + ([stopped] if stopped else []) + withdrawn,
                   rejected_rows=rejected_rows)


def _begin(session: Session, ctx: FeedContext) -> None:
    """Once per file: the seller checked and locked, the staging table created."""
    if "staging" not in ctx.state:
        lock_seller(session, ctx.seller_id, PREREQUISITE_FR, PREREQUISITE_EN)
        create_staging(session, STAGING, STAGING_DDL)
        ctx.state["staging"] = True


def _reject(session: Session, ctx: FeedContext, select: str, where: str,
            now: datetime | None = None) -> list:
    """The staged rows matching `where` (their details per `select`, which names `s.sku`),
    removed from staging; their skus join the rejected ones, which replace mode keeps.
    `now`, when given, is bound to `:now` (the load time)."""
    params = {"seller": ctx.seller_id} | ({"now": now} if now is not None else {})
    bound = text if now is None else _at_now
    rows = session.execute(
        bound(f"SELECT s.row_number, {select} {where} ORDER BY s.row_number"), params).all()
    if rows:
        session.execute(bound(f"DELETE FROM {STAGING} WHERE row_number IN"
                              f" (SELECT s.row_number {where})"), params)
        ctx.state.setdefault("rejected_skus", set()).update(row.sku for row in rows)
    return rows


def _offer_problems(session: Session, ctx: FeedContext, headers: dict) -> list[Problem]:
    """One pass over the seller's offers: the offer must exist, the discount be below its
    price, and free delivery go to an offer that is delivered."""
    promo = promotion_price_sql("o", "s")
    undelivered = f"(s.promotion_type = {FREE_DELIVERY} AND o.delivery = 'digital')"
    rows = _reject(session, ctx, f"s.sku, o.price, s.discount_percent, {promo}, {undelivered}",
                   f"FROM {STAGING} s LEFT JOIN offers o ON o.seller_id = :seller AND o.sku = s.sku"
                   f" WHERE o.sku IS NULL OR {promo} >= o.price OR {promo} <= 0 OR {undelivered}")
    return [_unknown_offer(row, sku, headers) if price_cents is None
            else _nothing_to_deliver(row, sku, headers) if digital
            else _not_below_price(row, percent, promo_cents, price_cents, headers)
            for row, sku, price_cents, percent, promo_cents, digital in rows]


def _nothing_to_deliver(row: int, sku: str, headers: dict) -> Problem:
    """A free-delivery badge on a download or an online training promises the customer a
    saving that does not exist (promotions.md is silent: docs/decisions.md)."""
    return Problem(Reason.NOT_ALLOWED,
                   f"Livraison offerte (type 10) sur l'offre « {sku} », livrée en ligne ou en"
                   " téléchargement : elle n'a pas de frais de livraison à offrir.",
                   f'Free delivery (type 10) on offer "{sku}", delivered online or by download:'
                   " it has no delivery cost to waive.",
                   row=row, column=headers.get("promotion_type", "promotion_type"),
                   value=str(FREE_DELIVERY))


def _unknown_offer(row: int, sku: str, headers: dict) -> Problem:
    return Problem(Reason.UNKNOWN_SKU,
                   f"Aucune offre « {sku} » dans votre catalogue : chargez l'offre avant sa"
                   " promotion.",
                   f'No offer "{sku}" in your catalogue: load the offer before its promotion.',
                   row=row, column=headers.get("sku", "sku"), value=sku)


def _not_below_price(row: int, percent: int | None, promo_cents: int, price_cents: int,
                     headers: dict) -> Problem:
    field = "discount_price" if percent is None else "discount_percent"
    promo, price = _euros(promo_cents), _euros(price_cents)
    french = {name: f"{amount:.2f}".replace(".", ",") for name, amount in
              (("promo", promo), ("price", price))}
    return Problem(
        Reason.OUT_OF_RANGE,
        f"Le prix promo ({french['promo']} €) doit être supérieur à 0 et inférieur au prix"
        f" de l'offre ({french['price']} €).",
        f"The promotion price ({promo:.2f} €) must be above 0 and below the offer's price"
        f" ({price:.2f} €).",
        row=row, column=headers.get(field, field),
        value=french["promo"] if percent is None else str(percent))


def _overlapping_loaded(session: Session, ctx: FeedContext, headers: dict) -> list[Problem]:
    """Overlaps with stored promotions. The one with the same key is replaced if it has not
    started (promotions.md: "future promotions ... when the dates are identical"), kept if
    re-sent with the same terms, and overlapped if running with other terms: rewriting it
    would date the new price from its start, and the prices of the past must stay true."""
    same = "IS NOT DISTINCT FROM" if session.get_bind().dialect.name == "postgresql" else "IS"
    same_key = ("p.promotion_type = s.promotion_type AND p.start_at = s.start_at"
                " AND p.end_at = s.end_at")
    # an empty period is no other term: a master file without the (informational) column
    same_terms = " AND ".join([*(f"p.{column} {same} s.{column}"
                                 for column in ("discount_price", "discount_percent")),
                               f"(s.period IS NULL OR p.period {same} s.period)"])
    rows = _reject(
        session, ctx, f"s.sku, p.promotion_type, p.start_at, p.end_at, s.start_at, {same_key}",
        f"FROM {STAGING} s JOIN promotions p ON p.seller_id = :seller AND p.sku = s.sku"
        f" WHERE p.start_at < s.end_at AND s.start_at < p.end_at AND NOT ({same_key}"
        f" AND (p.start_at >= :now OR ({same_terms})))", now=ctx.now)
    problems, seen = [], set()
    redate = [change.format(how) for change, how in zip(
        _CHANGE, _REDATE["replace" if ctx.mode == "replace" else "update"], strict=True)]
    for row, sku, kind, stored_start, stored_end, start, running in rows:
        if row in seen:  # one problem per row, even if it overlaps several stored promotions
            continue
        seen.add(row)
        since = _paris(stored_start)
        until_fr, until_en = _shown_end(_paris(stored_end))
        if running:
            problems.append(_running_changed(row, sku, since, headers, start))
            continue
        over = _paris(stored_end) <= pd.Timestamp(ctx.now)
        change_fr, change_en = _OVER if over else redate
        problems.append(Problem(
            Reason.OVERLAP,
            f"L'offre « {sku} » a déjà une promotion (type {kind}, du {shown_instant(since)}"
            f" {until_fr}) à ces dates : deux promotions d'une offre ne peuvent pas avoir lieu"
            f" en même temps. {change_fr}",
            f'Offer "{sku}" already has a promotion (type {kind}, from {since:%Y-%m-%d %H:%M}'
            f" {until_en}) at these dates: two promotions of an offer cannot run at the same"
            f" time. {change_en}",
            row=row, column=headers.get("start_at", "start_at"),
            value=shown_instant(_paris(start))))
    return problems


_OVER = ("Elle est terminée : faites commencer la nouvelle à sa fin ou après.",
         "It is over: start the new one at its end or later.")
"""A promotion over (a replace ended it at its load time) is never withdrawn: no advice to."""
_CHANGE = ("Pour en changer la remise, envoyez-la avec les mêmes type et dates ; pour en changer"
           " les dates, {}",
           "To change its discount, send it with the same type and dates; to change its dates, {}")
_REDATE = {
    # a row over a promotion the file leaves out is rejected and keeps it: two files
    "replace": ("chargez d'abord ce fichier sans cette ligne (l'ancienne promotion est retirée),"
                " puis la nouvelle.",
                "load this file first without this row (the old promotion is withdrawn), then"
                " the new one."),
    "update": ("elle doit d'abord être retirée : demandez au support de charger votre fichier"
               " complet de promotions sans elle en mode remplacement, puis envoyez la nouvelle.",
               "it must be withdrawn first: ask support to load your whole promotion file"
               " without it in replace mode, then send the new one."),
}


def _running_changed(row: int, sku: str, since: pd.Timestamp, headers: dict, start) -> Problem:
    return Problem(
        Reason.OVERLAP,
        f"La promotion de l'offre « {sku} » à ces dates est déjà en cours depuis le"
        f" {shown_instant(since)} : ses conditions ne peuvent plus changer (les prix passés"
        " restent ceux affichés). Renvoyez-la telle quelle, ou faites-la suivre d'une nouvelle"
        " promotion qui commence à sa fin.",
        f'The promotion of offer "{sku}" at these dates has been running since'
        f" {since:%Y-%m-%d %H:%M}: its terms can no longer change (past prices stay as shown)."
        " Send it unchanged, or follow it with a new promotion starting at its end.",
        row=row, column=headers.get("start_at", "start_at"), value=shown_instant(_paris(start)))


def _paris(naive_utc) -> pd.Timestamp:
    """A stored instant (naive UTC: a datetime, or SQLite's text) in Paris time."""
    return pd.Timestamp(naive_utc).tz_localize("UTC").tz_convert(TIMEZONE)


def _shown_end(end: pd.Timestamp) -> tuple[str, str]:
    """A stored end (exclusive, Paris time) as a seller wrote it: an end at midnight is the
    whole day before ("au 20/12/2026 inclus"), any other the instant itself. Without it a
    seller whose "20/12 to 22/12" overlaps a promotion sent "10/12 to 20/12" cannot see why."""
    end = end.ceil("min")  # ended at a replace's load time, 21:27:35: a start at 21:27 overlaps it
    if end == end.normalize():
        day = end.date() - timedelta(days=1)  # the calendar day: DST days last 23 or 25 h
        return f"au {day:%d/%m/%Y} inclus", f"through {day:%Y-%m-%d}"
    return f"au {end:%d/%m/%Y %H:%M}", f"until {end:%Y-%m-%d %H:%M}"


ABSENT = f"""promotions.seller_id = :seller AND promotions.end_at > :now
    AND NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.sku = promotions.sku
        AND s.promotion_type = promotions.promotion_type AND s.start_at = promotions.start_at
        AND s.end_at = promotions.end_at)
    AND NOT EXISTS (SELECT 1 FROM {KEPT} k WHERE k.sku = promotions.sku)"""
"""The seller's stored promotions not over yet that the file leaves out (by key), bar the skus
of its rejected rows."""


def _withdraw_absent(session: Session, ctx: FeedContext) -> list[Problem]:
    """Replace mode: withdraw what the file leaves out, before the upsert (so the file's new
    promotions do not dilute the guard's half). A promotion not started yet is deleted; one
    running is ended now, so that the prices of the past stay what they were."""
    _stage_kept_skus(session, ctx)
    # the key lookups of ABSENT (SQLite probes an index; PostgreSQL hashes the staging table)
    session.execute(text(f"CREATE INDEX ix_{STAGING}_key ON {STAGING} (sku, start_at)"))
    params = {"seller": ctx.seller_id, "now": ctx.now, "import_id": ctx.import_id}
    current = session.execute(_at_now(
        "SELECT count(*) FROM promotions WHERE seller_id = :seller AND end_at > :now"),
        params).scalar_one()
    absent = session.execute(_at_now(f"SELECT count(*) FROM promotions WHERE {ABSENT}"),
                             params).scalar_one()
    said = check_replace_guard(
        absent, current, ctx.force,
        would_fr=f"retirerait {absent} de vos {current} promotions en cours ou à venir",
        would_en=f"withdraw {absent} of your {current} current or upcoming promotions",
        did_fr=f"promotions retirées (absentes du fichier) : {absent} sur vos {current}"
               " promotions en cours ou à venir",
        did_en=f"promotions withdrawn (absent from the file): {absent} of your {current} current"
               " or upcoming promotions")
    if absent:
        session.execute(_at_now(f"DELETE FROM promotions WHERE {ABSENT}"
                                " AND promotions.start_at >= :now"), params)
        session.execute(_at_now(
            "UPDATE promotions SET end_at = :now, updated_at = :now, last_import_id = :import_id"
            f" WHERE {ABSENT} AND promotions.start_at < :now"), params)
    return said


def _stage_kept_skus(session: Session, ctx: FeedContext) -> None:
    """The skus of rejected rows, whose stored promotions stay exactly as they were.

    Validation recorded its rejected rows' skus, `_reject` those found here. A row dropped
    late for overlapping a row of a later chunk needs nothing more: that row has its sku and
    was rejected by validation.
    """
    create_staging(session, KEPT, KEPT_DDL)
    copy_frame(session, KEPT, pd.DataFrame({"sku": kept_skus(ctx)}, dtype=object), ["sku"])


def _at_now(sql: str) -> TextClause:
    """`sql` with :now bound as the aware load time, written as the stored naive UTC."""
    return text(sql).bindparams(bindparam("now", type_=UTCDateTime()))


def _upsert(session: Session, ctx: FeedContext) -> None:
    columns = ", ".join(STORED)
    session.execute(
        _at_now(
            f"INSERT INTO promotions (seller_id, {columns}, created_at, updated_at,"
            f" last_import_id) SELECT :seller, {columns}, :now, :now, :import_id"
            f" FROM {STAGING} WHERE true ORDER BY sku, start_at"  # index pages in order
            " ON CONFLICT (seller_id, sku, promotion_type, start_at, end_at) DO UPDATE SET"
            " discount_price = excluded.discount_price,"
            " discount_percent = excluded.discount_percent,"
            # a running promotion re-sent without its period keeps it (`_overlapping_loaded`)
            " period = CASE WHEN excluded.period IS NULL AND promotions.start_at < :now"
            " THEN promotions.period ELSE excluded.period END,"
            " updated_at = excluded.updated_at, last_import_id = excluded.last_import_id"
        ).bindparams(bindparam("import_id", type_=BigInteger())),
        {"seller": ctx.seller_id, "now": ctx.now, "import_id": ctx.import_id},
    )


def _euros(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)
