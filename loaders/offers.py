"""Loading an offer file into the catalog: staging, then one set-based merge per file.

Valid rows of every chunk are staged (COPY / executemany) inside the file's transaction; at
the end the merge runs in SQL: late duplicates dropped, the replace guard counted, superseded
versions copied to `offer_history`, new and changed offers upserted (unchanged rows are not
rewritten: `IS DISTINCT FROM`), deletions and replace-mode absences deactivated. Everything
is one transaction: a crash at any point leaves the catalog as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from loaders.bulk import copy_frame
from loaders.offer_fingerprints import active_fingerprints, already_stored, fingerprints
from loaders.staging import create_staging, lock_seller
from marketplace.errors import Problem, Reason, Severity, reject_file
from marketplace.models import OfferValues
from schemas.feed import Applied, FeedContext, Validated
from schemas.offers import OFFER_COLUMNS, validate_offers

PREREQUISITE_FR = "le registre des vendeurs doit être chargé avant ses offres."
PREREQUISITE_EN = "the seller registry must be loaded before its offers."
STAGING = "offer_staging"
STAGED = [
    "row_number", "action", "sku", "product_id", "product_id_type", "title", "description",
    "category", "price", "currency", "quantity", "condition", "leadtime_to_ship", "delivery",
    "practical_component", "fingerprint",
]
STAGING_DDL = """
CREATE TEMP TABLE {table} (
    row_number INTEGER NOT NULL, action VARCHAR(10) NOT NULL, sku VARCHAR(64) NOT NULL,
    product_id VARCHAR(20), product_id_type VARCHAR(4), title VARCHAR(200),
    description TEXT, category VARCHAR(64), price BIGINT, currency VARCHAR(3),
    quantity INTEGER, condition VARCHAR(20), leadtime_to_ship INTEGER, delivery VARCHAR(20),
    practical_component BOOLEAN, fingerprint BIGINT
){suffix}
"""
CHANGEABLE = list(OfferValues.__annotations__)
"""The offer columns a file sets; a stored offer is rewritten only when one of them differs."""
HISTORY_COLUMNS = [
    "seller_id", "sku", *CHANGEABLE, "active", "valid_from", "valid_to",
    "import_id", "replaced_by_import_id",
]


class OffersFeed:
    """The offer feed: seller-scoped, staged through a temporary table.

    A seller's first file (no offer stored yet) goes straight into `offers`: there is
    nothing to compare, deactivate or keep history of, so the staging round trip is skipped.
    Later files stage only the rows whose fingerprint is not among the seller's active offers
    (`loaders.offer_fingerprints`); in replace mode the others are staged by sku alone, so
    that they are not taken for absent.
    """

    kind = "offers"
    columns = OFFER_COLUMNS
    preferred_sheets = ("offers", "offres")
    seller_scoped = True
    report_masks: dict = {}

    def validate(self, frame, headers, ctx: FeedContext) -> Validated:
        return validate_offers(frame, headers, ctx)

    def prepare(self, valid: pd.DataFrame, ctx: FeedContext) -> pd.DataFrame:
        """Staging names, the seller's row numbers and the fingerprints of update rows."""
        frame = valid.rename(columns={"price_cents": "price"})
        frame.insert(0, "row_number", frame.index.astype("int64"))
        updates = frame["action"] == "update"
        frame["fingerprint"] = fingerprints(frame) if updates.any() else None
        return frame

    def stage(self, session: Session, frame: pd.DataFrame, ctx: FeedContext) -> None:
        if "staging" not in ctx.state:
            lock_seller(session, ctx.seller_id, PREREQUISITE_FR, PREREQUISITE_EN)
            create_staging(session, STAGING, STAGING_DDL)
            ctx.state["staging"] = True
            ctx.state["direct"] = not _has_offers(session, ctx.seller_id)
            ctx.state["direct_rows"] = 0
            ctx.state["unchanged_rows"] = []
            if not ctx.state["direct"]:
                ctx.state["stored"] = active_fingerprints(session, ctx.seller_id)
        updates = (frame["action"] == "update").to_numpy()
        if ctx.state["direct"]:
            _copy_new_offers(session, frame[updates], ctx)
            ctx.state["direct_rows"] += int(updates.sum())
            frame = frame[~updates]
        else:
            frame = _skip_unchanged(session, frame, updates, ctx)
        ctx.state["deletes"] = ctx.state.get("deletes", 0) + int((frame["action"] == "delete").sum())
        copy_frame(session, STAGING, frame, STAGED)

    def apply(self, session: Session, ctx: FeedContext) -> Applied:
        if "staging" not in ctx.state:
            self.stage(session, pd.DataFrame(columns=STAGED), ctx)
        late = sorted(ctx.state.get("late_duplicates", ()))
        params = {"seller": ctx.seller_id, "now": ctx.now.replace(tzinfo=None),
                  "import_id": ctx.import_id}
        if late:
            # one statement, one scan: the staging table has no index on row_number
            drop = text(f"DELETE FROM {STAGING} WHERE row_number IN :rows")
            session.execute(drop.bindparams(bindparam("rows", expanding=True)), {"rows": late})
        if ctx.state["direct"]:
            return _apply_first_file(session, ctx, params, late)
        _stage_rejected_skus(session, ctx)
        _index_staging(session)
        notes = _replace_guard(session, ctx, params) if ctx.mode == "replace" else []
        problems = _unknown_deletes(session, params) if ctx.state["deletes"] else []
        _record_history(session, ctx, params)
        _upsert(session, params)
        _deactivate(session, ctx, params)
        staged = session.execute(
            text(f"SELECT count(*) FROM {STAGING} WHERE action IN ('update', 'delete', 'same')")
        ).scalar_one()
        loaded = staged + _unstaged_unchanged(ctx, late)
        return Applied(loaded=loaded, problems=problems, rejected_rows=set(late), notes=notes)


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
        copy_frame(session, STAGING, same, ["row_number", "action", "sku"])
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


NEW_OFFER_COLUMNS = ["seller_id", "sku", *CHANGEABLE, "active", "last_import_id", "fingerprint"]
"""What a first file sends per offer; created_at and updated_at come from the server default."""


def _copy_new_offers(session: Session, frame: pd.DataFrame, ctx: FeedContext) -> None:
    rows = frame.assign(seller_id=ctx.seller_id, active=True, last_import_id=ctx.import_id)
    copy_frame(session, "offers", rows, NEW_OFFER_COLUMNS)


def _apply_first_file(session: Session, ctx: FeedContext, params: dict, late: list[int]) -> Applied:
    """Finish a first file: drop the earlier copies of late duplicates; deletions are no-ops."""
    duplicated = sorted(ctx.state.get("late_duplicate_skus", ()))
    if duplicated:
        session.execute(text("DELETE FROM offers WHERE seller_id = :seller AND sku = :sku"),
                        [{**params, "sku": sku} for sku in duplicated])
    problems = _unknown_deletes(session, params)
    deletes = session.execute(
        text(f"SELECT count(*) FROM {STAGING} WHERE action = 'delete'")).scalar_one()
    loaded = ctx.state["direct_rows"] - len(late) + deletes
    return Applied(loaded=loaded, problems=problems, rejected_rows=set(late))


OFFERS_FEED = OffersFeed()


def _index_staging(session: Session) -> None:
    """Index and analyse the staging table once it is full: cheaper than indexing row by row,
    and the planner needs statistics to join a million staged rows sensibly."""
    session.execute(text(f"CREATE INDEX ix_{STAGING}_sku ON {STAGING} (sku)"))
    session.execute(text(f"ANALYZE {STAGING}"))


def _stage_rejected_skus(session: Session, ctx: FeedContext) -> None:
    """Rejected rows keep their offers exactly as they were, in replace mode too."""
    skus = sorted(s for s in ctx.state.get("rejected_skus", ()) if s)
    if skus:
        session.execute(
            text(f"INSERT INTO {STAGING} (row_number, action, sku) VALUES (0, 'keep', :sku)"),
            [{"sku": s} for s in skus],
        )


ABSENT = f"""
    FROM offers o WHERE o.seller_id = :seller AND o.active = :true
    AND NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.sku = o.sku)
"""


def _replace_guard(session: Session, ctx: FeedContext, params: dict) -> list[str]:
    active = session.execute(
        text("SELECT count(*) FROM offers WHERE seller_id = :seller AND active = :true"),
        {**params, "true": True},
    ).scalar_one()
    absent = session.execute(text(f"SELECT count(*) {ABSENT}"), {**params, "true": True}).scalar_one()
    if absent * 2 > active and not ctx.force:
        raise reject_file(
            Reason.REPLACE_GUARD,
            f"Mode remplacement refusé : il désactiverait {absent} de vos {active} offres actives"
            " (plus de la moitié). Si c'est voulu, renvoyez le fichier avec --force ; sinon"
            " vérifiez que l'export est complet.",
            f"Replace refused: it would deactivate {absent} of your {active} active offers (more"
            " than half). If intended, send it again with --force; otherwise check the export is"
            " complete.",
        )
    return [f"replace: {absent} of {active} active offers deactivated"] if absent else []


def _unknown_deletes(session: Session, params: dict) -> list[Problem]:
    rows = session.execute(
        text(
            f"SELECT s.row_number, s.sku FROM {STAGING} s WHERE s.action = 'delete' AND NOT EXISTS"
            " (SELECT 1 FROM offers o WHERE o.seller_id = :seller AND o.sku = s.sku)"
            " ORDER BY s.row_number"
        ),
        params,
    ).all()
    return [
        Problem(Reason.UNKNOWN_SKU,
                f"Suppression ignorée : aucune offre « {sku} » dans votre catalogue.",
                f'Deletion ignored: no offer "{sku}" in your catalogue.',
                row=row, column="sku", value=sku, severity=Severity.WARNING)
        for row, sku in rows
    ]


def _distinct(left: str, right: str, dialect: str) -> str:
    op = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return f"{left} {op} {right}"


def _changed(dialect: str, alias: str, other: str) -> str:
    parts = [_distinct(f"{alias}.{c}", f"{other}.{c}", dialect) for c in CHANGEABLE]
    parts.append(f"{alias}.active = :false")
    return "(" + " OR ".join(parts) + ")"


def _record_history(session: Session, ctx: FeedContext, params: dict) -> None:
    """Copy each offer this file will change or deactivate, as it was, into offer_history."""
    dialect = session.get_bind().dialect.name
    history = ", ".join(HISTORY_COLUMNS)
    old = ", ".join(f"o.{c}" for c in CHANGEABLE)
    select = (f"SELECT o.seller_id, o.sku, {old}, o.active, o.updated_at, :now,"
              " o.last_import_id, :import_id FROM offers o")
    changed = (f"{select} JOIN {STAGING} s ON s.sku = o.sku AND s.action = 'update'"
               f" WHERE o.seller_id = :seller AND {_changed(dialect, 'o', 's')}")
    deleted = (f"{select} JOIN {STAGING} s ON s.sku = o.sku AND s.action = 'delete'"
               " WHERE o.seller_id = :seller AND o.active = :true")
    flags = {**params, "true": True, "false": False}
    for query in (changed, deleted) if ctx.state["deletes"] else (changed,):
        session.execute(text(f"INSERT INTO offer_history ({history}) {query}"), flags)
    if ctx.mode == "replace":
        session.execute(
            text(f"INSERT INTO offer_history ({history}) SELECT o.seller_id, o.sku, {old},"
                 f" o.active, o.updated_at, :now, o.last_import_id, :import_id {ABSENT}"),
            flags,
        )


def _upsert(session: Session, params: dict) -> None:
    """New offers inserted, changed ones rewritten; an unchanged staged offer (no fingerprint
    yet, or an outdated one) only gets the file's fingerprint, so that the next file skips it,
    and keeps its `updated_at`. The right-hand sides all read the row as it was."""
    dialect = session.get_bind().dialect.name
    columns = ", ".join(CHANGEABLE)
    updates = ", ".join(f"{c} = excluded.{c}" for c in CHANGEABLE)
    changed = _changed(dialect, "offers", "excluded")
    stale = _distinct("offers.fingerprint", "excluded.fingerprint", dialect)
    session.execute(
        text(
            f"INSERT INTO offers (seller_id, sku, {columns}, active, created_at, updated_at,"
            f" last_import_id, fingerprint) SELECT :seller, sku, {columns}, :true, :now, :now,"
            f" :import_id, fingerprint FROM {STAGING} WHERE action = 'update'"
            f" ON CONFLICT (seller_id, sku) DO UPDATE SET {updates}, active = :true,"
            f" updated_at = CASE WHEN {changed} THEN excluded.updated_at ELSE offers.updated_at END,"
            f" last_import_id = CASE WHEN {changed} THEN excluded.last_import_id"
            " ELSE offers.last_import_id END, fingerprint = excluded.fingerprint"
            f" WHERE {changed} OR {stale}"
        ),
        {**params, "true": True, "false": False},
    )


def _deactivate(session: Session, ctx: FeedContext, params: dict) -> None:
    flags = {**params, "true": True, "false": False}
    if ctx.state["deletes"]:
        session.execute(
            text(
                "UPDATE offers SET active = :false, updated_at = :now, last_import_id = :import_id"
                " WHERE seller_id = :seller AND active = :true AND sku IN"
                f" (SELECT sku FROM {STAGING} WHERE action = 'delete')"
            ),
            flags,
        )
    if ctx.mode == "replace":
        session.execute(
            text("UPDATE offers SET active = :false, updated_at = :now,"
                 " last_import_id = :import_id WHERE seller_id = :seller AND active = :true"
                 f" AND NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.sku = offers.sku)"),
            flags,
        )
