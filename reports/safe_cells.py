"""Seller text made safe to put in a spreadsheet, and kept the seller's own where it must be.

Why: sellers and ops open our reports in Excel or LibreOffice. A cell that starts with `=`,
`+`, `-`, `@`, tab or CR can be run as a formula there (a `HYPERLINK` that leaks data, a DDE
payload such as `-2+3+cmd|' /C calc'!A0`), so reliability.md requires every text cell copied
from an input to be stored as text, and control characters that openpyxl and Excel refuse to
be removed rather than make the whole report fail.

Decisions, by output:

- Error report (XLSX and its CSV twin): the rows sheet shows the seller's values as sent, in
  text cells with the Text number format (`@`), like the rejected rows' XLSX below: Excel and
  LibreOffice never evaluate them, not even after an edit. Every other text copied from an
  input (headers, the summary's lines) and the CSV twin go through `seller_text`, as the
  rejected rows' CSV does (below): `'=HYPERLINK(...)` gets the apostrophe, a price `-3,00` is
  shown as the seller sent it.
- Rejected rows, ready to resend: the seller fixes this file and sends it again, so their
  values must round-trip.
  * XLSX: text cells with the Text number format (`@`) and no apostrophe: never evaluated,
    not even after an edit, and `000123` or `-3,00` come back unchanged.
  * CSV has no cell types, so `seller_text` adds the apostrophe only where a spreadsheet
    could run something: a value starting with one of the same characters that is not a plain
    number. `-3,00`, `+5`, `1 234,50 €`, `+33 6 12 34 56 78` and a lone `-` stay as they are
    (as formulas they could only compute a number or an error); `=HYPERLINK(...)`, `@SUM(A1)`
    and `-2+3+cmd|...` get it. Unlike the brief's list (`=`, `@`, `+`, tab, CR), a leading
    `-` is covered too, with the same plain-number exemption: negative prices round-trip and
    the `-...cmd|` DDE form is still neutralised.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""The full-width forms last (＝ ＋ － ＠), which East Asian input methods type: whether a
spreadsheet ever runs them was not verified, and the apostrophe costs a seller nothing."""

# What openpyxl refuses (its ILLEGAL_CHARACTERS_RE), plus lone surrogates, which a reader
# decoding with "surrogateescape" can leave and which no XML writer can encode.
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

# A sign, digits with grouping or decimal separators, an optional unit: as a formula this can
# only compute a number or an error, never reference a cell or call a function.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d .,'\u00a0\u202f]*)?[%€$£]?")


def inert_text(value: str) -> str:
    """`value` with a leading apostrophe if a spreadsheet could run it as a formula (OWASP)."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def clean_for_xlsx(value: str) -> str:
    """`value` without the characters an XLSX cell cannot hold (removed, never an error)."""
    return _XLSX_ILLEGAL.sub("", value)


def seller_text(value: str) -> str:
    """A seller's `value` for a spreadsheet: inert, but plain numbers left as sent (as a
    formula `-3,00` can only compute a number: no apostrophe the seller never typed)."""
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return inert_text(value)
