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

import csv
import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20",
                    "\ufe66", "\ufe62", "\ufe63", "\ufe6b")
"""The full-width forms (＝ ＋ － ＠), which East Asian input methods type, and the small forms
last (﹦ ﹢ ﹣ ﹫): whether a spreadsheet ever runs them was not verified, and the apostrophe
costs a seller nothing."""

BLANKS = "\\s\x00-\x1f\x7f\ufeff\u200b-\u200d\u2060"
"""What may stand before a formula start and vanish (a character class's content): LibreOffice's
"trim spaces" import and Google Sheets drop spaces, and a BOM or control character shows
nothing (` =1+1`, `\u3000=1+1`, `\x01=1+1` were written bare)."""
_FORMULA_AFTER_A_SEMICOLON = re.compile(
    f";([{BLANKS}]*)(?=[" + re.escape("".join(FORMULA_TRIGGERS)) + "])")
"""A formula start after a `;` inside a value: Excel set up for France splits a `.csv` on `;`
whatever its delimiter, and quotes do not help there (a `;` cell starts inside them)."""

# What openpyxl refuses (its ILLEGAL_CHARACTERS_RE), plus lone surrogates, which a reader
# decoding with "surrogateescape" can leave and which no XML writer can encode.
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


BLANK_LEAD = f"^[{BLANKS}]+"
_BLANK_LEAD = re.compile(BLANK_LEAD)


def inert_text(value: str) -> str:
    """`value` with a leading apostrophe if a spreadsheet could run it as a formula (OWASP),
    also behind blanks or invisible characters."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    if value[:1] and not value[0].isalnum():  # the usual cell starts with a letter or digit
        lead = _BLANK_LEAD.match(value)
        if lead and value[lead.end():].startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value


def clean_for_xlsx(value: str) -> str:
    """`value` without the characters an XLSX cell cannot hold (removed, never an error)."""
    return _XLSX_ILLEGAL.sub("", value)


class SpreadsheetCsvWriter:
    """`csv.writer`, with the apostrophe also after a `;` that a formula start follows (behind
    blanks too), in a file delimited otherwise (comma, tab, pipe).

    Why: a comma file wrote a title `Titre;=1+2;fin` as is, and Excel set up for France, which
    splits a `.csv` on `;`, made `=1+2` a cell of its own and ran it (the apostrophe of
    `inert_text` guards the start of a value only): it is written `Titre;'=1+2;fin`. A `;`
    file is left as the seller wrote it (`Promo, -20 %` would be split only by an English
    Excel, on a French seller's own file). A tab or pipe file named `.csv` is split on `;` by
    the same Excel.
    """

    def __init__(self, out, delimiter: str = ",", lineterminator: str = "\r\n"):
        self.writer = csv.writer(out, delimiter=delimiter, lineterminator=lineterminator)
        # csv quotes a field on the line terminator's characters only: with "\n" lines, a
        # title holding a bare CR was written bare and read back as two rows
        self.quoting_all = csv.writer(out, delimiter=delimiter, lineterminator=lineterminator,
                                      quoting=csv.QUOTE_ALL)
        self.guarded = delimiter != ";"

    def writerow(self, row) -> None:
        row = [_inert_after_semicolons(value) for value in row] if self.guarded else list(row)
        bare_cr = any(isinstance(value, str) and "\r" in value for value in row)
        (self.quoting_all if bare_cr else self.writer).writerow(row)

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def _inert_after_semicolons(value: object) -> object:
    if isinstance(value, str) and ";" in value:
        return _FORMULA_AFTER_A_SEMICOLON.sub(r";\1'", value)
    return value
