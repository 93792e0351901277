"""Typed errors with reason codes.

Every rejection a seller or ops reads is keyed on a `Reason`: the error report, the tests and
the French/English messages all use the same code, so a message can be reworded without
breaking anything that counts errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

INTERNAL_FAILURE = 4
"""The exit code of a failure that is not the input's fault (architecture.md: "any other")."""


class Reason(StrEnum):
    """Why a file, a row or a cell was rejected (or warned about)."""

    # file level
    UNREADABLE = "unreadable"
    UNKNOWN_FORMAT = "unknown_format"
    ENCRYPTED = "encrypted"
    EMPTY_FILE = "empty_file"
    NO_HEADER = "no_header"
    NO_ROWS = "no_rows"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_HEADER = "duplicate_header"
    SPLIT_HEADER = "split_header"  # one header over two columns, told apart by the row below
    TOO_LARGE = "too_large"
    ZIP_BOMB = "zip_bomb"
    MIXED_ENCODING = "mixed_encoding"
    UNSAFE_NAME = "unsafe_name"
    WRONG_SELLER = "wrong_seller"
    REPLACE_GUARD = "replace_guard"
    # row level (shape)
    FIELD_COUNT = "field_count"
    UNBALANCED_QUOTE = "unbalanced_quote"
    FIELD_TOO_LONG = "field_too_long"
    # cell level
    REQUIRED = "required"
    TOO_LONG = "too_long"
    BAD_FORMAT = "bad_format"
    BAD_NUMBER = "bad_number"
    OUT_OF_RANGE = "out_of_range"
    TOO_MANY_DECIMALS = "too_many_decimals"
    SCIENTIFIC_NOTATION = "scientific_notation"
    BAD_CHECK_DIGIT = "bad_check_digit"
    NOT_ALLOWED = "not_allowed"
    UNKNOWN_CATEGORY = "unknown_category"
    PROHIBITED_CATEGORY = "prohibited_category"
    DUPLICATE_KEY = "duplicate_key"
    OTHER_SELLER = "other_seller"
    USED_DECLARED_NEW = "used_declared_new"
    PRACTICAL_COMPONENT = "practical_component"
    BAD_DATE = "bad_date"
    PAST_END = "past_end"  # a promotion already over
    SALES_PERIOD = "sales_period"  # the regulated sales rules of promotions
    OVERLAP = "overlap"  # two promotions of one offer at the same time
    UNKNOWN_SELLER = "unknown_seller"  # a file or an order of a seller the registry does not have
    EVENT_ORDER = "event_order"  # an order's events out of sequence (shipped before accepted...)
    ORDER_STATE = "order_state"  # an impossible order state (accepted and refused, ...)
    # warnings
    UNKNOWN_COLUMN = "unknown_column"
    UNKNOWN_SKU = "unknown_sku"
    INVALID_BANK_ACCOUNT = "invalid_bank_account"
    OLDER_EXPORT = "older_export"  # orders already stored from a newer export: left as they are
    PAID_AMOUNT_CHANGED = "paid_amount_changed"  # an order's amount changed after its sale was paid
    FORMULA_NOT_CALCULATED = "formula_not_calculated"  # an XLSX formula saved without its value
    MERGED_CELLS = "merged_cells"  # an XLSX range merged over data rows: read in its first row only
    ROWS_NOT_READ = "rows_not_read"  # values after the long run of empty rows the reader stops at
    REPLACED = "replaced"  # what a replace-mode file took away: offers deactivated, promotions withdrawn
    NOT_DETAILED = "not_detailed"  # problems past the detailed ones (`loaders.checking.MAX_DETAILED`)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, a row or a cell, as the seller will read it.

    `row` is the row number the seller sees in Excel (header row included), None for a
    file-level problem; `column` is the seller's own header text; `value` what the cell held.
    """

    code: Reason
    message_fr: str
    message_en: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: Severity = Severity.ERROR


class MarketplaceError(Exception):
    """Base of the errors this project raises on purpose."""


class FileRejected(MarketplaceError):
    """The file as a whole cannot be used: nothing from it is loaded (exit code 3)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message_en)
        self.problem = problem
        # what the reader had made out of the file when it gave up (a `loaders.table.ReadInfo`
        # without header row), for the report: a seller whose export went wrong sees why
        self.detected: object | None = None


def reject_file(
    code: Reason, message_fr: str, message_en: str, *, row: int | None = None,
    column: str | None = None, value: str | None = None,
) -> FileRejected:
    """Build the exception for a file-level rejection (callers `raise reject_file(...)`)."""
    return FileRejected(Problem(code, message_fr, message_en, row=row, column=column, value=value))
