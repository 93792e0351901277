"""Loading a seller registry file: one upsert by seller_id of the fields the file has.

The registry is another system and its file is its current state, so a row overwrites the
seller's fields (an empty cell clears one) but only for the columns the file has: an export
without bank columns never wipes bank accounts, and a seller missing from the file is left as
it is (sellers are never deleted here). Registry files are small (thousands of rows): the valid
rows are buffered in `ctx.state` and applied at the end of the file, inside its transaction, as
one executemany INSERT ... ON CONFLICT DO UPDATE with bound parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.errors import Problem, Reason
from marketplace.models import Seller
from schemas.bank_accounts import mask_iban, mask_ibans_in
from schemas.columns import HeaderMap
from schemas.feed import Applied, FeedContext, StagedAsValidated, Validated
from schemas.sellers import (
    DUPLICATE_EN,
    DUPLICATE_FR,
    KEEPS_BANK_ACCOUNT,
    SELLER_COLUMNS,
    validate_sellers,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

STAGED = "staged_sellers"
DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SellersFeed(StagedAsValidated):
    """The seller registry feed: an ops feed (no seller folder), upserted by seller_id."""

    kind = "sellers"
    columns = SELLER_COLUMNS
    preferred_sheets = ("sellers", "vendeurs")
    seller_scoped = False
    report_masks = {"iban": mask_iban}  # full IBANs never leave the database
    report_text_mask = staticmethod(mask_ibans_in)  # nor those in other columns
    validated_against_catalog = False
    header_only_is_empty_load = False
    export_dated_by_name = False
    other_feed_columns = None

    def validate(self, frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext) -> Validated:
        return validate_sellers(frame, headers, ctx)

    def stage(self, session: Session, valid: pd.DataFrame, ctx: FeedContext) -> None:
        ctx.state.setdefault(STAGED, []).append(valid)

    def apply(self, session: Session, ctx: FeedContext) -> Applied:
        staged = [frame for frame in ctx.state.get(STAGED, []) if not frame.empty]
        if not staged:
            return Applied(loaded=0)
        sellers, problems = drop_late_duplicates(pd.concat(staged), ctx)
        kept = sellers.pop(KEEPS_BANK_ACCOUNT) if KEEPS_BANK_ACCOUNT in sellers else None
        if kept is None or not kept.any():
            loaded = upsert_sellers(session, sellers, ctx.import_id)
        else:  # the rows whose IBAN cell is our mask update everything but the bank account
            loaded = upsert_sellers(session, sellers[~kept], ctx.import_id) + upsert_sellers(
                session, sellers[kept].drop(columns=list(BANK_ACCOUNT_COLUMNS), errors="ignore"),
                ctx.import_id)
        return Applied(loaded=loaded, problems=problems, rejected_rows={p.row for p in problems})


def drop_late_duplicates(
    sellers: pd.DataFrame, ctx: FeedContext
) -> tuple[pd.DataFrame, list[Problem]]:
    """Drop the first copies of seller ids that a later chunk repeated (see schemas.sellers)."""
    late = sellers["seller_id"].isin(list(ctx.state.get("late_duplicate_ids", ()))).astype(bool)
    header = ctx.state.get("seller_id_header", "seller_id")
    problems = [
        Problem(Reason.DUPLICATE_KEY, DUPLICATE_FR.format(value=seller_id),
                DUPLICATE_EN.format(value=seller_id), row=int(row), column=header,
                value=str(seller_id))
        for row, seller_id in sellers.loc[late, "seller_id"].items()
    ]
    return sellers[~late], problems


BANK_ACCOUNT_COLUMNS = ("iban", "bic", "bank_account_valid", "bank_account_problem")


def upsert_sellers(session: Session, sellers: pd.DataFrame, import_id: int | None) -> int:
    """Insert new sellers and update existing ones, only in the columns `sellers` has."""
    if sellers.empty:
        return 0
    rows = sellers.astype(object).where(sellers.notna(), None).to_dict("records")
    for row in rows:
        row["last_import_id"] = import_id
    insert = DIALECT_INSERTS[session.get_bind().dialect.name](Seller.__table__)
    updated = [name for name in rows[0] if name != "seller_id"]
    statement = insert.on_conflict_do_update(
        index_elements=[Seller.__table__.c.seller_id],
        set_={**{name: insert.excluded[name] for name in updated},
              "updated_at": insert.excluded.updated_at},
    )
    session.execute(statement, rows)
    return len(rows)


SELLERS_FEED = SellersFeed()
