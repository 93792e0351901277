"""Loading an offer file into the catalog, chunk by chunk, in one transaction.

Each chunk's new and changed offers are merged as it arrives (`loaders.offer_merge`); rows
the catalog already holds are skipped by fingerprint (`loaders.offer_fingerprints`). Every
row's sku and action go to a narrow staging table, and at the end of the file the set-based
steps run in SQL: late duplicates undone, the replace guard counted, deletions and
replace-mode absences kept in `offer_history` and deactivated. Everything is one
transaction: a crash at any point leaves the catalog as it was.

A seller's first file (no offer stored yet) goes straight into `offers`: there is nothing to
compare, deactivate or keep history of, so the staging round trip is skipped. Later files
merge, chunk by chunk, only the rows whose fingerprint is not among the seller's active
offers; in replace mode the others are staged by sku, so that they are not taken for absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, text

from loaders import pg_binary
from loaders.bulk import column_types, copy_encoded, copy_frame
from loaders.offer_fingerprints import active_fingerprints, already_stored, fingerprints
from loaders.offer_left_out import rejected_by_left_out_rules
from loaders.offer_merge import (
    CHUNK,
    CHUNK_DDL,
    SUPERSEDED,
    file_columns,
    fit_left_out_to_category,
    merge_chunk,
    merge_params,
    undo_merged,
)
from loaders.staging import (
    check_replace_guard,
    create_staging,
    kept_skus,
    lock_seller,
    unreadable_rows_stop_replace,
)
from marketplace.errors import Problem, Reason, Severity
from schemas.feed import Applied, FeedContext

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PREREQUISITE_FR = "le registre des vendeurs doit être chargé avant ses offres."
PREREQUISITE_EN = "the seller registry must be loaded before its offers."
STAGING = "offer_staging"
STAGED = ["row_number", "action", "sku"]
STAGING_DDL = """
CREATE TEMP TABLE {table} (
    row_number INTEGER NOT NULL, action VARCHAR(10) NOT NULL, sku VARCHAR(64) NOT NULL
){suffix}
"""


@dataclass
class PreparedChunk:
    """A chunk shaped for `stage`: its rows, and the COPY body of its new offers when the
    read-ahead thread could encode it (a first file into PostgreSQL, from the second chunk
    staged on: `stage` learns at the first one that the seller has no offer yet)."""

    frame: pd.DataFrame
    new_offers: bytes | None = None


def prepare(valid: pd.DataFrame, ctx: FeedContext) -> PreparedChunk:
    """Staging names, the seller's row numbers and the fingerprints of update rows; on a first
    file into PostgreSQL, the binary COPY of the new offers too: encoding it here leaves the
    main thread nothing but the COPY, so the server is kept busy."""
    frame = valid.rename(columns={"price_cents": "price"})
    frame.insert(0, "row_number", frame.index.astype("int64"))
    updates = frame["action"] == "update"
    frame["fingerprint"] = fingerprints(frame) if updates.any() else None
    types = ctx.state.get("new_offer_types")  # set by the main thread: read once
    if types is None or not updates.any():
        return PreparedChunk(frame)
    return PreparedChunk(frame, pg_binary.encode(_new_offers(frame, updates.to_numpy(), ctx),
                                                 NEW_OFFER_COLUMNS, types))


def stage(session: Session, prepared: PreparedChunk, ctx: FeedContext) -> None:
    frame = prepared.frame
    if "staging" not in ctx.state:
        lock_seller(session, ctx.seller_id, PREREQUISITE_FR, PREREQUISITE_EN)
        create_staging(session, STAGING, STAGING_DDL)
        ctx.state["staging"] = True
        ctx.state["direct"] = not _has_offers(session, ctx.seller_id)
        ctx.state["direct_rows"] = 0
        ctx.state["unchanged_rows"] = []
        if ctx.state["direct"] and session.get_bind().dialect.name == "postgresql":
            ctx.state["new_offer_types"] = column_types(session, "offers")
        if not ctx.state["direct"]:
            create_staging(session, CHUNK, CHUNK_DDL)
            ctx.state["stored"] = active_fingerprints(session, ctx.seller_id)
            if ctx.mode == "replace":  # the guard's "half of the shop", before any merge
                ctx.state["active_before"] = _active_offers(session, ctx.seller_id)
    updates = (frame["action"] == "update").to_numpy()
    if ctx.state["direct"]:
        if prepared.new_offers is not None:
            copy_encoded(session, "offers", NEW_OFFER_COLUMNS, prepared.new_offers)
        elif updates.any():
            copy_frame(session, "offers", _new_offers(frame, updates, ctx), NEW_OFFER_COLUMNS)
        ctx.state["direct_rows"] += int(updates.sum())
        frame = frame[~updates]
    else:
        frame = _skip_unchanged(session, frame, updates, ctx)
        merging = frame["action"] == "update"
        if merging.any():
            merge_chunk(session, frame[merging], merge_params(ctx), file_columns(ctx))
    ctx.state["deletes"] = ctx.state.get("deletes", 0) + int((frame["action"] == "delete").sum())
    copy_frame(session, STAGING, frame, STAGED)


def apply(session: Session, ctx: FeedContext) -> Applied:
    if "staging" not in ctx.state:
        stage(session, pd.DataFrame(columns=STAGED), ctx)
    params = merge_params(ctx)
    # rows rejected once every chunk is in: a copy of a later duplicate, an offer breaking a
    # rule on a column the file leaves out; their offers go back to what they were
    refused, refused_skus = rejected_by_left_out_rules(session, ctx, params)
    late = sorted(set(ctx.state.get("late_duplicates", ())) | {p.row for p in refused})
    undone = sorted(set(ctx.state.get("late_duplicate_skus", ())) | refused_skus)
    ctx.state.setdefault("rejected_skus", set()).update(refused_skus)
    if late:
        # one statement, one scan: the staging table has no index on row_number
        drop = text(f"DELETE FROM {STAGING} WHERE row_number IN :rows")
        session.execute(drop.bindparams(bindparam("rows", expanding=True)), {"rows": late})
    if ctx.state["direct"]:
        return _apply_first_file(session, ctx, params, late, undone, refused)
    if undone:
        undo_merged(session, undone, params)
    fit_left_out_to_category(session, ctx, params)
    _stage_rejected_skus(session, ctx)
    if ctx.mode == "replace" or ctx.state["deletes"]:
        _index_staging(session)
    stopped = unreadable_rows_stop_replace(
        ctx, "aucune offre absente n'a été désactivée", "no absent offer was deactivated")
    replacing = ctx.mode == "replace" and stopped is None
    problems = refused + (_replace_guard(session, ctx, params) if replacing else [])
    ignored = _deletes_changing_nothing(session, ctx, params) if ctx.state["deletes"] else []
    problems += ignored + ([stopped] if stopped else [])
    _record_deactivated(session, ctx, params, replacing)
    _deactivate(session, ctx, params, replacing)
    staged = session.execute(
        text(f"SELECT count(*) FROM {STAGING} WHERE action IN ('update', 'delete', 'same')")
    ).scalar_one()
    # a deletion of no offer, or of one already off, changed nothing: not loaded, so a file of
    # them alone is taken again once the offer is on sale (it was taken for applied, and its
    # resending for a duplicate: the offer stayed on sale)
    loaded = staged + _unstaged_unchanged(ctx, late) - len(ignored)
    return Applied(loaded=loaded, problems=problems, rejected_rows=set(late))


def _skip_unchanged(session: Session, frame: pd.DataFrame, updates, ctx: FeedContext) -> pd.DataFrame:
    """The rows left to stage once those the catalog already holds are set aside.

    Update mode forgets them (their row numbers are kept for the count); replace mode stages
    them as `same` by sku, which the absent-offer queries see and the merge ignores.
    """
    if not updates.any():
        return frame
    unchanged = updates & already_stored(frame["fingerprint"].to_numpy(), ctx.state["stored"])
    if not unchanged.any():
        return frame
    if ctx.mode == "replace":
        same = frame.loc[unchanged, ["row_number", "sku"]].assign(action="same")
        copy_frame(session, STAGING, same, STAGED)
    else:
        ctx.state["unchanged_rows"].append(frame["row_number"].to_numpy()[unchanged])
    return frame[~unchanged]


def _unstaged_unchanged(ctx: FeedContext, late: list[int]) -> int:
    """Unchanged rows that were not staged, less those a later duplicate rejected."""
    rows = np.concatenate(ctx.state["unchanged_rows"] or [np.empty(0, dtype=np.int64)])
    return int(rows.size - np.isin(rows, late).sum()) if late else int(rows.size)


def _has_offers(session: Session, seller_id: int | None) -> bool:
    query = text("SELECT 1 FROM offers WHERE seller_id = :s LIMIT 1")
    return session.execute(query, {"s": seller_id}).first() is not None


NEW_OFFER_COLUMNS = [
    "seller_id", "price", "quantity", "leadtime_to_ship", "practical_component", "active",
    "last_import_id", "fingerprint", "sku", "product_id", "product_id_type", "title",
    "description", "category", "currency", "condition", "delivery",
]
"""What a first file sends per offer (`sku`, every CHANGEABLE column, the offer's state), numbers
and booleans first: `pg_binary` joins them as one piece. created_at and updated_at come from
the server default."""


def _new_offers(frame: pd.DataFrame, updates: np.ndarray, ctx: FeedContext) -> pd.DataFrame:
    """The update rows as offers of this seller and import (the chunk itself, not a copy, when
    every row is an update)."""
    rows = frame if updates.all() else frame[updates]
    return rows.assign(seller_id=ctx.seller_id, active=True, last_import_id=ctx.import_id)


def _apply_first_file(session: Session, ctx: FeedContext, params: dict, late: list[int],
                      undone: list[str], refused: list[Problem]) -> Applied:
    """Finish a first file: drop the offers of rows rejected at the end (`undone`: late
    duplicates, rules on left-out columns); deletions are no-ops."""
    if undone:
        session.execute(text("DELETE FROM offers WHERE seller_id = :seller AND sku = :sku"),
                        [{**params, "sku": sku} for sku in undone])
    ignored = _deletes_changing_nothing(session, ctx, params)  # every one: no offer yet
    loaded = ctx.state["direct_rows"] - len(late)
    return Applied(loaded=loaded, problems=refused + ignored, rejected_rows=set(late))



def _index_staging(session: Session) -> None:
    """Index and analyse the staging table once it is full: cheaper than indexing row by row,
    and the planner needs statistics to join a million staged rows sensibly."""
    session.execute(text(f"CREATE INDEX ix_{STAGING}_sku ON {STAGING} (sku)"))
    session.execute(text(f"ANALYZE {STAGING}"))


def _stage_rejected_skus(session: Session, ctx: FeedContext) -> None:
    """Rejected rows keep their offers exactly as they were, in replace mode too."""
    skus = kept_skus(ctx)
    if skus:
        session.execute(
            text(f"INSERT INTO {STAGING} (row_number, action, sku) VALUES (0, 'keep', :sku)"),
            [{"sku": s} for s in skus],
        )


ABSENT = f"""
    FROM offers o WHERE o.seller_id = :seller AND o.active = :true
    AND NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.sku = o.sku)
"""


def _active_offers(session: Session, seller_id: int | None) -> int:
    query = text("SELECT count(*) FROM offers WHERE seller_id = :seller AND active = :true")
    return session.execute(query, {"seller": seller_id, "true": True}).scalar_one()


def _replace_guard(session: Session, ctx: FeedContext, params: dict) -> list[Problem]:
    """More than half of the shop as it was before this file deactivated needs --force (offers
    the file created or reactivated are merged by now: they do not dilute the half). Offers
    the file deletes count too: offers.md counts what a replace would deactivate."""
    active = ctx.state["active_before"]
    absent = session.execute(text(f"SELECT count(*) {ABSENT}"), params).scalar_one()
    if ctx.state["deletes"]:
        absent += session.execute(text(
            f"SELECT count(*) FROM offers o WHERE o.seller_id = :seller AND o.active = :true AND"
            f" o.sku IN (SELECT sku FROM {STAGING} WHERE action = 'delete')"), params).scalar_one()
    return check_replace_guard(
        absent, active, ctx.force,
        would_fr=f"désactiverait {absent} de vos {active} offres actives",
        would_en=f"deactivate {absent} of your {active} active offers",
        did_fr=f"offres désactivées (absentes du fichier ou supprimées par lui) : {absent} sur"
               f" vos {active} offres actives",
        did_en=f"offers deactivated (absent from the file or deleted by it): {absent} of your"
               f" {active} active offers")


def _deletes_changing_nothing(session: Session, ctx: FeedContext, params: dict) -> list[Problem]:
    """A warning for each delete row of no offer, or of an offer already off sale: neither is
    a loaded row (the caller's count leaves them out)."""
    rows = session.execute(text(
        f"SELECT s.row_number, s.sku, o.sku IS NULL FROM {STAGING} s LEFT JOIN offers o"
        " ON o.seller_id = :seller AND o.sku = s.sku"
        " WHERE s.action = 'delete' AND (o.sku IS NULL OR o.active = :false) ORDER BY s.row_number"),
        params).all()
    column = ctx.state.get("headers", {}).get("sku", "sku")
    said = {True: ("Suppression ignorée : aucune offre « {sku} » dans votre catalogue.",
                   'Deletion ignored: no offer "{sku}" in your catalogue.'),
            False: ("Suppression sans effet : l'offre « {sku} » est déjà retirée de la vente.",
                    'Deletion without effect: offer "{sku}" is already off sale.')}
    return [
        Problem(Reason.UNKNOWN_SKU, said[bool(unknown)][0].format(sku=sku),
                said[bool(unknown)][1].format(sku=sku), row=row, column=column, value=sku,
                severity=Severity.WARNING)
        for row, sku, unknown in rows
    ]


def _record_deactivated(session: Session, ctx: FeedContext, params: dict, replacing: bool) -> None:
    """Keep, in offer_history, each offer this file deletes or (`replacing`) leaves out."""
    if ctx.state["deletes"]:
        session.execute(
            text(f"{SUPERSEDED} FROM offers o JOIN {STAGING} s ON s.sku = o.sku"
                 " AND s.action = 'delete' WHERE o.seller_id = :seller AND o.active = :true"),
            params,
        )
    if replacing:
        session.execute(text(f"{SUPERSEDED} {ABSENT}"), params)


def _deactivate(session: Session, ctx: FeedContext, params: dict, replacing: bool) -> None:
    if ctx.state["deletes"]:
        session.execute(
            text(
                "UPDATE offers SET active = :false, updated_at = :now, last_import_id = :import_id"
                " WHERE seller_id = :seller AND active = :true AND sku IN"
                f" (SELECT sku FROM {STAGING} WHERE action = 'delete')"
            ),
            params,
        )
    if replacing:
        session.execute(
            text("UPDATE offers SET active = :false, updated_at = :now,"
                 " last_import_id = :import_id WHERE seller_id = :seller AND active = :true"
                 f" AND NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.sku = offers.sku)"),
            params,
        )
