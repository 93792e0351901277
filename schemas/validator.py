"""The common part of a seller file's chunk validator: raw text by field, and flagging.

Offer and promotion validators differ in their rules, not in how they read a field's text,
name the seller's header or turn a mask into problems; that part lives here once.
"""

from __future__ import annotations

import pandas as pd

from marketplace.errors import Reason, Severity
from schemas.columns import ColumnSpec, HeaderMap
from schemas.feed import FeedContext
from schemas.parsing import (
    UNDECIDED,
    ambiguous_groups,
    among,
    strip,
    without_excel_text_formula,
    without_inner_report_apostrophes,
    without_invisible,
    without_report_apostrophe,
)
from schemas.problems import ProblemCollector

EXCEL_ERROR = r"#(?:N/A|VALUE!|REF!|DIV/0!|NUM!|NAME\?|NULL!|SPILL!|CALC!|GETTING_DATA)"
"""What Excel shows (and writes in a CSV) for a formula that failed: a VLOOKUP without match."""


IDENTIFIER_FIELDS = frozenset({"sku", "product_id"})
"""Fields read without the characters no cell shows (`without_invisible`)."""
FREE_TEXT_FIELDS = frozenset({"title", "description"})
"""Fields whose text may hold a `;` our comma CSVs mark (`without_inner_report_apostrophes`)."""


def field_text(frame: pd.DataFrame, headers: HeaderMap, name: str) -> pd.Series:
    """A field's stripped text, "" everywhere when the file has no such column; an identifier
    without invisible characters; without the apostrophe a rejected-rows file we sent puts
    before formula-like text, and `="000123"` (Excel's way to keep leading zeros) read as
    `000123`."""
    if name not in headers.positions:
        return pd.Series("", index=frame.index, dtype="str")
    text = frame[headers.positions[name]].astype("str")
    if name in IDENTIFIER_FIELDS:
        text = without_invisible(text)
    if name in FREE_TEXT_FIELDS:
        text = without_inner_report_apostrophes(text)
    return without_report_apostrophe(without_excel_text_formula(strip(text)))


class ChunkValidator:
    """One chunk of a seller file: `raw` holds every field's text, `collector` the problems."""

    def __init__(self, frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext,
                 columns: tuple[ColumnSpec, ...]):
        self.headers = headers
        self.ctx = ctx
        self.raw = {spec.name: field_text(frame, headers, spec.name) for spec in columns}
        self.specs = {spec.name: spec for spec in columns}
        self.index = frame.index
        self.collector = ProblemCollector()
        # the seller's names of the columns, for the problems the loader finds at apply time
        ctx.state.setdefault("headers", {spec.name: self.header(spec.name) for spec in columns})
        # the fields the file has a column for: the loader keeps stored values of the others
        ctx.state.setdefault("fields", frozenset(headers.positions))

    def header(self, name: str) -> str:
        """The seller's own header for a field (as a seller would write it when the column is
        absent)."""
        if name in self.headers.positions:
            return self.headers.header_of(name)
        return self.specs[name].shown_name

    def flag(self, mask, code, name, message_fr, message_en, values=None,
             severity: Severity = Severity.ERROR) -> None:
        if not mask.any():  # the usual case: skip building an empty selection
            return
        values = self.raw[name] if values is None else values
        self.collector.flag(mask, code, self.header(name), values, message_fr, message_en, severity)

    def flag_excel_errors(self, applies: pd.Series, everywhere: frozenset[str] = frozenset()) -> None:
        """A cell holding an Excel error (`#N/A`: a VLOOKUP without match) is said as such in
        every column, before the column's own rule reads it as an unknown category, an
        unreadable price or a wrong check digit. `applies`: the rows each column is judged on;
        fields in `everywhere` are judged on every row."""
        for name in self.headers.positions:
            text = self.raw[name]
            hashed = text.str.startswith("#")  # one cheap pass; the pattern reads only those
            rows = hashed if name in everywhere else applies & hashed
            self.flag(among(rows, text, EXCEL_ERROR), Reason.BAD_FORMAT, name,
                      "« {value} » est une erreur Excel (une formule qui n'a pas abouti) : corrigez"
                      " la cellule de la colonne « {column} ».",
                      '"{value}" is an Excel error (a formula that failed): fix the cell in column'
                      ' "{column}".')

    def flag_unreadable(self, unreadable: pd.Series, code: Reason, name: str,
                        hint: tuple[str, str, str], message_fr: str, message_en: str) -> None:
        """Flag the unreadable cells of `name`: those whose text matches `hint`'s pattern with
        its message (what Excel did to the cell: "1.000", a serial number, a date), the others
        with the general one."""
        pattern, hint_fr, hint_en = hint
        hinted = among(unreadable, self.raw[name], pattern)
        self.flag(hinted, code, name, hint_fr, hint_en)
        self.flag(unreadable & ~hinted, code, name, message_fr, message_en)

    def flag_ambiguous_amounts(self, unreadable: pd.Series, name: str,
                               values: pd.Series | None = None) -> pd.Series:
        """Flag the unreadable amounts that are a thousand or a decimal (`1,200`), asking
        which; returns the other unreadable cells, for the caller's own message."""
        if not unreadable.any():
            return unreadable
        values = self.raw[name] if values is None else values
        ambiguous = unreadable.copy()
        ambiguous[unreadable] = ambiguous_groups(values[unreadable],
                                              self.ctx.decimal_separator or UNDECIDED)
        self.flag(ambiguous, Reason.BAD_NUMBER, name,
                  "« {value} » : séparateur de milliers ou décimales ? Écrivez le montant sans"
                  " séparateur de milliers (1200) ou avec ses deux décimales (1,20).",
                  '"{value}": a thousands separator or decimals? Write the amount without a'
                  " thousands separator (1200) or with its two decimals (1.20).", values=values)
        # Excel's "CSV (séparateur : point-virgule)" writes "?" for the narrow no-break space
        # a copied price groups its thousands with ("1 299,00 €" saved as "1?299,00 €")
        lost_space = among(unreadable & ~ambiguous, values, r".*\d\?\d{3}(?:\D.*)?")
        self.flag(lost_space, Reason.BAD_NUMBER, name,
                  "« {value} » : le « ? » remplace l'espace fine qu'Excel n'a pas pu enregistrer"
                  " dans ce CSV. Écrivez le montant sans séparateur de milliers (1299,00).",
                  '"{value}": the "?" stands for the narrow space Excel could not save in this'
                  " CSV. Write the amount without a thousands separator (1299.00).", values=values)
        return unreadable & ~ambiguous & ~lost_space

    def check_required(self, name: str, applies: pd.Series) -> None:
        if name in self.headers.positions:
            self.flag(applies & (self.raw[name] == ""), Reason.REQUIRED, name,
                      "La colonne « {column} » est obligatoire et vide sur cette ligne.",
                      'Column "{column}" is required and empty on this row.')
            return
        # the file has no such column: say so, with the names it may have, not "empty"
        names = ", ".join(self.specs[name].names)
        self.flag(applies, Reason.REQUIRED, name,
                  f"Colonne « {name} » absente du fichier ({names}) : elle est obligatoire pour"
                  " cette ligne.",
                  f'Column "{name}" is missing from the file ({names}): this row requires it.')
