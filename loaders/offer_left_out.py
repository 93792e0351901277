"""The rules on columns a file leaves out, checked on the offers the file produced.

The validator set those rows aside (`schemas.left_out_columns`); once every chunk is merged,
each offer holds what the row means: the file's values over the stored ones, or the defaults
for an offer the file created. One query per rule finds the offers that break it; their rows
are rejected and the offers put back as they were, like late duplicates, in the same
transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam, text

from marketplace.errors import Problem
from schemas.feed import FeedContext
from schemas.left_out_columns import RULES, STATE_KEY, LeftOutRule
from schemas.offer_rules import USED_WORDS_KEY

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

BROKEN = {
    "product_id": "product_id IS NULL",
    "quantity": "quantity IS NULL",
    "practical_component": "(practical_component IS NULL OR practical_component = :false)",
    "used_declared_new": "condition = 'new'",
}
"""Each rule's test of a stored offer (a bound `:false`: booleans differ by database)."""


SKUS_PER_QUERY = 10_000
"""Well under the bound parameters a statement may take (SQLite 32,766; PostgreSQL 65,535)."""


def rejected_by_left_out_rules(session: Session, ctx: FeedContext,
                               params: dict) -> tuple[list[Problem], set[str]]:
    """The problems of the rows whose offer breaks a rule on a column the file leaves out,
    and the skus of those offers."""
    problems, skus_broken = [], set()
    for name, chunks in ctx.state.get(STATE_KEY, {}).items():
        query = text(f"SELECT sku FROM offers WHERE seller_id = :seller AND sku IN :skus"
                     f" AND {BROKEN[name]}").bindparams(bindparam("skus", expanding=True))
        rule = RULES[name]
        column = ctx.state.get("headers", {}).get(rule.column, rule.column)
        for skus in chunks:
            broken = skus[skus.isin(_broken(session, query, params, skus.unique().tolist()))]
            skus_broken.update(broken)
            if name == "used_declared_new":
                problems += [_used_declared_new(ctx, rule, int(row)) for row in broken.index]
                continue
            problems += [Problem(rule.reason, rule.message_fr, rule.message_en, row=int(row),
                                 column=column, value="") for row in broken.index]
    return problems, skus_broken


def _used_declared_new(ctx: FeedContext, rule: LeftOutRule, row: int) -> Problem:
    """The words found and the cell holding them: in a file of long descriptions, "the title
    or the description says used" left the seller searching every cell of the row."""
    field, words, cell = ctx.state[USED_WORDS_KEY][row]
    where_fr, where_en = ("Le titre", "The title") if field == "title" else (
        "La description", "The description")
    return Problem(rule.reason, rule.message_fr.format(where=where_fr, words=words),
                   rule.message_en.format(where=where_en, words=words), row=row,
                   column=ctx.state.get("headers", {}).get(field, field), value=cell)


def _broken(session: Session, query, params: dict, skus: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(skus), SKUS_PER_QUERY):
        found.update(session.scalars(query, {**params, "skus": skus[start:start + SKUS_PER_QUERY]}))
    return found
