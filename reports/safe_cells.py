"""Seller text made safe to put in a spreadsheet.

Why: sellers and ops open our reports in Excel or LibreOffice. A cell that starts with `=`,
`+`, `-`, `@`, tab or CR can be run as a formula there (a `HYPERLINK` that leaks data, a DDE
payload such as `-2+3+cmd|' /C calc'!A0`), so reliability.md requires every text cell copied
from an input to be stored as text, and control characters that openpyxl and Excel refuse to
be removed rather than make the whole report fail.

Decisions, by output: every value copied from an input into a CSV or an XLSX gets the
apostrophe when it starts with one of `FORMULA_TRIGGERS`, as reliability.md words it, plain
numbers included (`-3,00` comes back `'-3,00`): one rule a seller, ops or an auditor can check
in any file. XLSX cells are also text cells, in the Text number format (`@`) where the seller
edits them. The rejected rows still round-trip: the readers take off an apostrophe followed by
one of those characters (`schemas.parsing.without_report_apostrophe`), so a fixed file sent
back loads `-3,00`, never `'-3,00`.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""The full-width forms last (＝ ＋ － ＠), which East Asian input methods type: whether a
spreadsheet ever runs them was not verified, and the apostrophe costs a seller nothing."""

# What openpyxl refuses (its ILLEGAL_CHARACTERS_RE), plus lone surrogates, which a reader
# decoding with "surrogateescape" can leave and which no XML writer can encode.
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def inert_text(value: str) -> str:
    """`value` with a leading apostrophe if a spreadsheet could run it as a formula (OWASP)."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def clean_for_xlsx(value: str) -> str:
    """`value` without the characters an XLSX cell cannot hold (removed, never an error)."""
    return _XLSX_ILLEGAL.sub("", value)

