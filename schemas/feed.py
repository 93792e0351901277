"""The contract every feed (offers, promotions, sellers, orders) fulfils for the ingest pipeline.

The pipeline (`loaders.ingest`) reads a file in chunks, asks the feed to validate each chunk
into typed rows and problems, hands the valid rows to the feed's loader inside one database
transaction, and finally lets the loader apply what it staged. A feed never opens files,
commits, archives or writes reports: the pipeline does, once, for all feeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from marketplace.errors import Problem
from schemas.columns import ColumnSpec, HeaderMap, OtherFeedColumns

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class FeedContext:
    """What a feed knows about the file it is working on.

    `seller_id` is the seller of the inbox folder (None for ops feeds: sellers, orders);
    `decimal_separator` is decided on the first chunk and kept for the whole file;
    `state` is the feed's own scratch space across chunks (e.g. keys seen so far);
    `file_name` is the name the file arrived under (the order feed reads its export date there).
    """

    kind: str
    seller_id: int | None
    import_id: int | None
    reference_dir: Path
    now: datetime
    mode: str = "update"
    force: bool = False
    decimal_separator: str | None = None
    state: dict = field(default_factory=dict)
    file_name: str = ""

    @property
    def typed_numbers(self) -> bool:
        """Whether the file's numbers come as typed cells (a workbook), not as typed text."""
        return self.state.get("format") == "xlsx"


@dataclass
class Validated:
    """One chunk after validation: typed valid rows and every problem found.

    `valid` has one row per accepted data row, the feed's field names as columns and the
    seller's Excel row numbers as index. Rows with an error-severity problem are not in it.
    """

    valid: pd.DataFrame
    problems: list[Problem]


@dataclass
class Applied:
    """What a loader applied when the file was finished."""

    loaded: int
    problems: list[Problem] = field(default_factory=list)  # found only at apply time (e.g. duplicates)
    rejected_rows: set[int] = field(default_factory=set)  # rows rejected at apply time


class Feed(Protocol):
    kind: str
    columns: tuple[ColumnSpec, ...]
    preferred_sheets: tuple[str, ...]
    seller_scoped: bool  # True: the file belongs to the seller of its inbox folder
    report_masks: dict[str, Callable[[str], str]]  # field -> how its cells show in reports
    # how every cell and problem value of the file shows in reports, whatever its column (None:
    # as sent); the registry's hides IBANs that stand outside its IBAN column
    report_text_mask: Callable[[str], str] | None
    # True: some rules need the catalog (a promotion's offer), so `validate` rehearses the load
    # in a rolled-back transaction when a catalog exists, instead of checking the file alone
    validated_against_catalog: bool
    # another feed's columns sellers mix into this one's files, told where they go (or None)
    other_feed_columns: OtherFeedColumns | None
    # True: a file with its header and no row is "nothing changed" (a machine's daily export),
    # loaded empty; False: refused, as a seller's empty sheet is a mistake to report
    header_only_is_empty_load: bool
    # True: the day in the file's name is part of what it says (an order export of the 22nd
    # holding the 20th's rows is the 22nd's state, applied, and its rejected rows come back
    # dated so that, fixed and sent again, they are that day's)
    export_dated_by_name: bool

    def validate(self, frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext) -> Validated:
        """Type and check one chunk of raw text rows (no database access)."""

    def prepare(self, valid: pd.DataFrame, ctx: FeedContext) -> Any:
        """Shape a chunk of valid rows for `stage` (no database access): runs in the read-ahead
        thread with validation, while the database takes the previous chunk. What it returns
        only the feed's `stage` reads (the frame, or the frame and its COPY body)."""

    def stage(self, session: Session, valid: Any, ctx: FeedContext) -> None:
        """Take a chunk `prepare` shaped into the open transaction (staging table or buffer)."""

    def apply(self, session: Session, ctx: FeedContext) -> Applied:
        """Apply everything staged, in the same transaction; raise FileRejected to refuse it all."""


class StagedAsValidated:
    """For feeds that stage the valid rows exactly as validation typed them."""

    def prepare(self, valid: pd.DataFrame, ctx: FeedContext) -> pd.DataFrame:
        return valid


class LoadedByModule:
    """For feeds whose SQL half (module functions `prepare`, `stage`, `apply`) lives in the
    module named by `loading`, imported at the first load. Checking a file then never imports
    SQLAlchemy: a fifth of the second in which `marketplace validate` answers a seller's script.
    """

    loading: str

    def prepare(self, valid: pd.DataFrame, ctx: FeedContext) -> Any:
        return import_module(self.loading).prepare(valid, ctx)

    def stage(self, session: Session, valid: Any, ctx: FeedContext) -> None:
        import_module(self.loading).stage(session, valid, ctx)

    def apply(self, session: Session, ctx: FeedContext) -> Applied:
        return import_module(self.loading).apply(session, ctx)
