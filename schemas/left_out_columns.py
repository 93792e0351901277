"""Offer rules on a column the file leaves out: judged on the offer the load makes, not the file.

A column a file does not have keeps each stored offer's value (docs/decisions.md): a weekly
export of titles, prices and stocks without `état` must not turn a refurbished phone new, nor
one without `ean` lose the phone's EAN. The rules that read such a column (a physical product
needs a product id and a stock, a training programme a practical component, a used item may
not be declared new) therefore cannot be decided from the file: the row's value is the stored
one, or the default for an offer the file creates. The validator, which never reads the
catalog, sets these rows aside (`leave_to_catalog`); the offer loader checks the offers the
file produced and rejects the rows whose offer breaks the rule (`loaders.offer_left_out`),
undoing them like late duplicates. `validate` without a catalog cannot tell, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from marketplace.errors import Reason
from schemas.feed import FeedContext
from schemas.seller_file_columns import OFFER_COLUMNS

STATE_KEY = "left_out_checks"


@dataclass(frozen=True)
class LeftOutRule:
    """What a stored offer fails (`column`: the field the file left out), and how to say it."""

    column: str
    reason: Reason
    message_fr: str
    message_en: str


_SHOWN = {spec.name: spec.shown_name for spec in OFFER_COLUMNS}
"""Each column as a French seller's template heads it (the field's name is our code)."""


def _required(column: str) -> LeftOutRule:
    names = ", ".join(next(spec.names for spec in OFFER_COLUMNS if spec.name == column))
    return LeftOutRule(
        column, Reason.REQUIRED,
        f"Colonne « {_SHOWN[column]} » absente du fichier ({names}) et cette offre n'en a pas"
        " dans votre catalogue : elle est obligatoire pour cette ligne.",
        f'Column "{_SHOWN[column]}" is missing from the file ({names}) and your catalogue holds none for'
        " this offer: this row requires it.")


RULES = {
    "product_id": _required("product_id"),
    "quantity": _required("quantity"),
    "practical_component": _required("practical_component"),
    "used_declared_new": LeftOutRule(  # {where} the title or the description, {words} found
        "condition", Reason.USED_DECLARED_NEW,
        "{where} contient « {words} » : un produit d'occasion ou reconditionné, alors que l'offre"
        " est « neuf » (le fichier n'a pas de colonne état). Ajoutez une colonne « état » avec"
        " l'état réel (reconditionné, bon état...).",
        '{where} says "{words}": a used or refurbished item, while the offer is new (the file'
        " has no condition column). Add a condition column with its real condition (refurbished,"
        " good...)."),
}


class LeftOutRows:
    """The rows of one chunk set aside per rule, handed to the loader once the chunk's own
    rejections are known (a rejected row loads nothing: there is no offer to judge)."""

    def __init__(self) -> None:
        self.masks: dict[str, pd.Series] = {}

    def leave_to_catalog(self, rule: str, rows: pd.Series) -> None:
        if rows.any():
            earlier = self.masks.get(rule)
            self.masks[rule] = rows if earlier is None else earlier | rows

    def record(self, ctx: FeedContext, skus: pd.Series, rejected: pd.Series) -> None:
        """Into `ctx.state`: rule → the skus (indexed by row) of the rows that passed everything
        else, a Series per chunk (a whole file may be set aside: a price list without stock)."""
        checks = ctx.state.setdefault(STATE_KEY, {})
        for rule, rows in self.masks.items():
            kept = rows & ~rejected
            if kept.any():
                checks.setdefault(rule, []).append(skus[kept])


def checked_alone_note(ctx: FeedContext) -> str | None:
    """What `validate` without a catalog must say of the rows it set aside: it passed them, and
    the import may still refuse them (docs/decisions.md)."""
    checks = ctx.state.get(STATE_KEY)
    if not checks:
        return None
    rows = len(set().union(*(set(part.index) for parts in checks.values() for part in parts)))
    columns = ", ".join(sorted({_SHOWN[RULES[rule].column] for rule in checks}))
    return (f"fichier seul vérifié : {rows} ligne(s) dépendent de votre catalogue pour les"
            f" colonnes absentes du fichier ({columns}) et seront vérifiées à l'import / file"
            f" checked alone: {rows} row(s) depend on your catalogue for the columns the file"
            f" leaves out ({columns}) and are checked at import")
