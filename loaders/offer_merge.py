"""Merging the new and changed offers of one chunk while the next chunk is validated.

What is left of a chunk after the fingerprint shortcut (`loaders.offer_fingerprints`) is new
or changed offers. Merging them chunk by chunk (the superseded version copied to
`offer_history`, then one upsert) keeps the database busy while the read-ahead thread
validates the next chunk, instead of leaving all the SQL for the end of the file. Each
statement is driven by the chunk's rows through the primary key, so its cost follows the
rows the file changes, not the size of the shop.

A sku repeated later in the file rejects every copy (offers.md). If its first copy was
merged already, `undo_merged` puts the offer back as it was, from the history row just
written, or removes it when this file created it. All of it happens in the file's
transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import bindparam, text

from loaders.bulk import copy_frame
from marketplace.reference import load_categories
from schemas.feed import FeedContext

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CHUNK = "offer_chunk"
CHANGEABLE = [
    "product_id", "product_id_type", "title", "description", "category", "price", "currency",
    "quantity", "condition", "leadtime_to_ship", "delivery", "practical_component",
]
"""The offer columns a file sets (`OfferValues`, written out so that checking a file needs
no ORM); a stored offer is rewritten only when one of them differs."""
CHUNK_COLUMNS = ["sku", *CHANGEABLE, "fingerprint"]
CHUNK_DDL = """
CREATE TEMP TABLE {table} (
    sku VARCHAR(64) NOT NULL, product_id VARCHAR(20), product_id_type VARCHAR(4),
    title VARCHAR(200), description TEXT, category VARCHAR(64), price BIGINT,
    currency VARCHAR(3), quantity INTEGER, condition VARCHAR(20), leadtime_to_ship INTEGER,
    delivery VARCHAR(20), practical_component BOOLEAN, fingerprint BIGINT
){suffix}
"""
HISTORY_COLUMNS = [
    "seller_id", "sku", *CHANGEABLE, "active", "valid_from", "valid_to",
    "import_id", "replaced_by_import_id",
]
SUPERSEDED = (
    f"INSERT INTO offer_history ({', '.join(HISTORY_COLUMNS)}) SELECT o.seller_id, o.sku,"
    f" {', '.join(f'o.{c}' for c in CHANGEABLE)}, o.active, o.updated_at, :now,"
    " o.last_import_id, :import_id"
)
"""The start of every statement that keeps the version of an offer `o` this file replaces."""


def merge_params(ctx: FeedContext) -> dict:
    return {"seller": ctx.seller_id, "now": ctx.now.replace(tzinfo=None),
            "import_id": ctx.import_id, "true": True, "false": False}


def file_columns(ctx: FeedContext) -> list[str]:
    """The offer columns this file sets: those it has a column for. A stored offer keeps its
    value of the others (a weekly export without `état` must not turn a used item new, nor one
    without `description` wipe the descriptions); a new offer gets their defaults."""
    fields = ctx.state["fields"]
    if "product_id" in fields:  # its type comes with it, written or derived
        fields = fields | {"product_id_type"}
    return [c for c in CHANGEABLE if c in fields]


def distinct(left: str, right: str, dialect: str) -> str:
    op = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return f"{left} {op} {right}"


def changed(dialect: str, alias: str, other: str, columns: list[str]) -> str:
    """The stored offer `alias` differs from `other` in a value of `columns`, or is inactive."""
    parts = [distinct(f"{alias}.{c}", f"{other}.{c}", dialect) for c in columns]
    parts.append(f"{alias}.active = :false")
    return "(" + " OR ".join(parts) + ")"


def merge_chunk(session: Session, frame: pd.DataFrame, params: dict, columns: list[str]) -> None:
    """History, then upsert, of a chunk's new and changed offers (`frame`: update rows);
    `columns`: those the file sets (`file_columns`)."""
    dialect = session.get_bind().dialect.name
    copy_frame(session, CHUNK, frame, CHUNK_COLUMNS)
    session.execute(text(f"{SUPERSEDED} {_stored_offers(dialect)}"
                         f" WHERE {changed(dialect, 'o', 's', columns)}"), params)
    _upsert(session, dialect, params, columns)
    session.execute(text(f"TRUNCATE {CHUNK}" if dialect == "postgresql" else f"DELETE FROM {CHUNK}"))


def _stored_offers(dialect: str) -> str:
    """The chunk's rows `s` with the stored offer `o` of each, looked up by primary key.

    On PostgreSQL the lookup sits in a LATERAL subquery with OFFSET 0, which the planner
    cannot flatten: a catalog loaded a moment ago has no statistics yet, and the planner
    would otherwise hash the whole shop for a few thousand rows.
    """
    if dialect == "postgresql":
        return (f"FROM {CHUNK} s CROSS JOIN LATERAL (SELECT * FROM offers"
                " WHERE offers.seller_id = :seller AND offers.sku = s.sku OFFSET 0) o")
    return f"FROM {CHUNK} s JOIN offers o ON o.seller_id = :seller AND o.sku = s.sku"


def _upsert(session: Session, dialect: str, params: dict, set_columns: list[str]) -> None:
    """New offers inserted whole, changed ones rewritten in `set_columns`; an unchanged staged
    offer (no fingerprint yet, or an outdated one) only gets the file's fingerprint, so that
    the next file skips it, and keeps its `updated_at`. The right-hand sides all read the row
    as it was."""
    columns = ", ".join(CHANGEABLE)
    updates = ", ".join(f"{c} = excluded.{c}" for c in set_columns)
    differs = changed(dialect, "offers", "excluded", set_columns)
    fingerprint = _fingerprint_kept(dialect, [c for c in CHANGEABLE if c not in set_columns])
    stale = distinct("offers.fingerprint", fingerprint, dialect)
    session.execute(
        text(
            f"INSERT INTO offers (seller_id, sku, {columns}, active, created_at, updated_at,"
            f" last_import_id, fingerprint) SELECT :seller, sku, {columns}, :true, :now, :now,"
            f" :import_id, fingerprint FROM {CHUNK} WHERE true"  # WHERE: SQLite's upsert syntax
            f" ON CONFLICT (seller_id, sku) DO UPDATE SET {updates}, active = :true,"
            f" updated_at = CASE WHEN {differs} THEN excluded.updated_at ELSE offers.updated_at END,"
            f" last_import_id = CASE WHEN {differs} THEN excluded.last_import_id"
            f" ELSE offers.last_import_id END, fingerprint = {fingerprint}"
            f" WHERE {differs} OR {stale}"
        ),
        params,
    )


def _fingerprint_kept(dialect: str, kept: list[str]) -> str:
    """The fingerprint an upserted offer keeps. The file's is computed with the defaults of the
    columns it leaves out (`kept`): it describes the offer only where the stored values of those
    columns are the defaults too (the usual case: EUR, no training); elsewhere none (NULL: the
    next file compares that offer column by column)."""
    if not kept:
        return "excluded.fingerprint"
    differs = " OR ".join(distinct(f"offers.{c}", f"excluded.{c}", dialect) for c in kept)
    return f"CASE WHEN {differs} THEN NULL ELSE excluded.fingerprint END"


_FITTED = (
    ("condition", "condition = 'new'", "category IN :digital AND condition <> 'new'"),
    ("delivery", "delivery = 'digital'",
     "category IN :digital AND (delivery IS NULL OR delivery <> 'digital')"),
    ("delivery", "delivery = 'standard'", "category NOT IN :digital AND delivery = 'digital'"),
)
"""A left-out column, the value an offer this file changed takes, and the offers that need it."""


def fit_left_out_to_category(session: Session, ctx: FeedContext, params: dict) -> None:
    """An offer a file moves between a physical and a digital category, the file having no
    `état` or `mode de livraison` column, takes the only grade and delivery a digital product
    has (new, digital), or a physical one's default delivery (standard): the stored ones made a
    training go on sale "good" and "standard", a book "digital". Only the offers this file
    changed (a category move is a change); their fingerprint is dropped (NULL: compared in full
    next time)."""
    fields = ctx.state["fields"]
    digital = [code for code, category in load_categories(ctx.reference_dir).items()
               if category.digital]
    for column, value, needing in _FITTED:
        if column in fields:
            continue
        session.execute(text(
            f"UPDATE offers SET {value}, fingerprint = NULL WHERE seller_id = :seller"
            f" AND last_import_id = :import_id AND {needing}"
        ).bindparams(bindparam("digital", expanding=True)), {**params, "digital": digital})


def undo_merged(session: Session, skus: list[str], params: dict) -> None:
    """Put back the offers of `skus` as they were before this file (see the module's note)."""
    restore = ", ".join(f"{c} = h.{c}" for c in CHANGEABLE)
    in_skus = {**params, "skus": skus}
    statements = (
        f"UPDATE offers SET {restore}, active = h.active, updated_at = h.valid_from,"
        " last_import_id = h.import_id, fingerprint = NULL FROM offer_history h"
        " WHERE h.replaced_by_import_id = :import_id AND h.seller_id = :seller"
        " AND h.sku = offers.sku AND offers.seller_id = :seller AND offers.sku IN :skus",
        "DELETE FROM offer_history WHERE replaced_by_import_id = :import_id"
        " AND seller_id = :seller AND sku IN :skus",
        "DELETE FROM offers WHERE seller_id = :seller AND sku IN :skus"
        " AND last_import_id = :import_id",  # created by this file: restored ones point earlier
    )
    for statement in statements:
        session.execute(text(statement).bindparams(bindparam("skus", expanding=True)), in_skus)
