"""What every seller-scoped loader does first: lock its seller and create its staging table.

Both live in the file's transaction: the seller row lock (PostgreSQL) queues one seller's
files, and the temporary table disappears with the transaction, whatever happens to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

from marketplace.errors import Problem, Reason, Severity, reject_file
from marketplace.models import Offer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from schemas.feed import FeedContext


def lock_seller(session: Session, seller_id: int | None, prerequisite_fr: str,
                prerequisite_en: str) -> None:
    """The seller must exist; on PostgreSQL its row lock makes one seller's files load in turn.

    `prerequisite_*` tells the seller what must be loaded first (French, English).
    """
    lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
    found = session.execute(
        text(f"SELECT seller_id FROM sellers WHERE seller_id = :s{lock}"), {"s": seller_id}
    ).first()
    if found is None:
        raise reject_file(
            Reason.UNKNOWN_SELLER,
            f"Vendeur {seller_id} inconnu : {prerequisite_fr}",
            f"Unknown seller {seller_id}: {prerequisite_en}",
        )


def create_staging(session: Session, table: str, ddl: str) -> None:
    """A temporary table for this transaction; `ddl` has `{table}` and `{suffix}` placeholders."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        session.execute(text(f"DROP TABLE IF EXISTS temp.{table}"))
    suffix = " ON COMMIT DROP" if postgres else ""
    session.execute(text(ddl.format(table=table, suffix=suffix)))


def kept_skus(ctx: FeedContext) -> list[str]:
    """The rejected rows' skus, whose offers or promotions the file leaves as they were. A sku
    longer than the catalog's names none (an unquoted `;` in a title shifts a long text into
    the sku column) and would not fit the staging table: PostgreSQL failed the whole file."""
    longest = Offer.__table__.c.sku.type.length
    return sorted(s for s in ctx.state.get("rejected_skus", ()) if s and len(s) <= longest)


def check_replace_guard(absent: int, total: int, force: bool, *, would_fr: str, would_en: str,
                        did_fr: str, did_en: str) -> list[Problem]:
    """A replace-mode file that would take away more than half of what the seller had (a
    truncated export, most often) is refused whole unless `--force`; exactly half passes.
    `would_fr`/`would_en` say what it would do, e.g. "désactiverait 6 de vos 10 offres actives";
    `did_*` what it did, in the warning returned when it takes anything away: a replace that
    deactivated offers answered "loaded" and nothing else, to the seller and to ops."""
    if absent * 2 > total and not force:
        raise reject_file(
            Reason.REPLACE_GUARD,
            f"Mode remplacement refusé : il {would_fr} (plus de la moitié). Si c'est voulu,"
            " renvoyez le fichier avec --force ; sinon vérifiez que l'export est complet.",
            f"Replace refused: it would {would_en} (more than half). If intended, send it again"
            " with --force; otherwise check the export is complete.",
        )
    if not absent:
        return []
    return [Problem(Reason.REPLACED, f"Mode remplacement : {did_fr}.", f"Replace mode: {did_en}.",
                    severity=Severity.WARNING)]


def unreadable_rows_stop_replace(ctx: FeedContext, left_fr: str, left_en: str) -> Problem | None:
    """Replace mode, with rows whose sku is unknown (an unclosed quote, an over-long cell, rows
    an XLSX left unread, an empty or invalid sku cell): nothing is taken for absent this time (offers.md:
    never deactivated because of a typo). The warning says so; None when replace goes ahead.
    `left_fr`/`left_en` say what was left, e.g. "aucune offre absente n'a été désactivée"."""
    rows = ctx.state.get("unkeyed_rows", 0)
    if ctx.mode != "replace" or not rows:
        return None
    return Problem(
        Reason.REPLACE_GUARD,
        f"Mode remplacement : {left_fr}, car des lignes du fichier n'ont pas pu être lues ou"
        " n'ont pas de sku valable (voir les erreurs) : on ne sait pas quelles offres elles"
        " désignent."
        " Corrigez-les et renvoyez le fichier.",
        f"Replace mode: {left_en}, as rows of the file could not be read or have no valid sku"
        " (see the errors): which offers they stand for is unknown. Fix them and send the file"
        " again.",
        severity=Severity.WARNING,
    )
