"""From pandera's failure cases to the seller's problems, keyed on the check's name.

pandera reports which check failed on which index; the seller needs a French sentence naming
their column and their value. Each named check of a schema has one entry in `CHECK_MESSAGES`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from marketplace.errors import Problem, Reason
from schemas.checks import SKU_PATTERN

# check name -> (reason, raw field the value comes from, French message, English message)
CHECK_MESSAGES: dict[str, tuple[Reason, str, str, str]] = {
    "sku_format": (Reason.BAD_FORMAT, "sku",
                   "La référence « {value} » n'est pas valide : {detail}. Elle doit faire 1 à 64"
                   " caractères parmi A-Z a-z 0-9 . _ / -.",
                   'The reference "{value}" is not valid: {detail}. It must be 1 to 64 characters'
                   " among A-Z a-z 0-9 . _ / -."),
    "title_length": (Reason.TOO_LONG, "title",
                     "Le titre doit faire de 1 à 200 caractères (il en a {length}).",
                     "The title must be 1 to 200 characters long (it has {length})."),
    "description_length": (Reason.TOO_LONG, "description",
                           "La description dépasse 5 000 caractères (elle en a {length}).",
                           "The description is over 5,000 characters (it has {length})."),
    "price_range": (Reason.OUT_OF_RANGE, "price",
                    "Le prix doit être supérieur à 0 et au plus 100 000,00 € : « {value} ».",
                    'The price must be above 0 and at most 100,000.00 €: "{value}".'),
    "currency_eur": (Reason.NOT_ALLOWED, "currency",
                     "Seul l'euro (EUR) est accepté : « {value} ».",
                     'Only euros (EUR) are accepted: "{value}".'),
    "quantity_range": (Reason.OUT_OF_RANGE, "quantity",
                       "La quantité doit être un nombre entier de 0 à 100 000 : « {value} ».",
                       'The quantity must be a whole number from 0 to 100,000: "{value}".'),
    "condition_known": (Reason.NOT_ALLOWED, "condition",
                        "État inconnu « {value} » : neuf, comme neuf, très bon état, bon état, état"
                        " correct ou reconditionné (ou new, like_new, very_good, good, acceptable,"
                        " refurbished).",
                        'Unknown condition "{value}": new, like_new, very_good, good, acceptable'
                        " or refurbished (or neuf, comme neuf, très bon état, bon état, état"
                        " correct, reconditionné)."),
    "leadtime_range": (Reason.OUT_OF_RANGE, "leadtime_to_ship",
                       "Le délai d'expédition doit être de 0 à 30 jours : « {value} ».",
                       'The lead time to ship must be 0 to 30 days: "{value}".'),
}


def _sku_fault(value: str) -> tuple[str, str]:
    """What is wrong with a reference, in French and English: "SES 02", "FORMATION-SÉCU" or
    "SES-03 (mars)" were all told the allowed characters, and the seller hunted for the one
    that was not."""
    if not value:
        return "elle est vide", "it is empty"
    wrong = next((char for char in value if not re.fullmatch(SKU_PATTERN, char)), None)
    if wrong is None:
        return (f"elle a {len(value)} caractères", f"it has {len(value)} characters")
    if wrong == " ":
        return "l'espace n'est pas autorisé", "spaces are not allowed"
    if wrong in "\u00a0\u202f":  # shown as a space: typed by Excel's autocorrect or a Mac
        return ("elle contient une espace insécable, non autorisée",
                "it holds a no-break space, not allowed")
    if wrong in "\r\n":
        return ("elle contient un retour à la ligne (Alt+Entrée), non autorisé",
                "it holds a line break (Alt+Enter), not allowed")
    if wrong.isspace() or not wrong.isprintable():
        return (f"elle contient un caractère invisible (U+{ord(wrong):04X}), non autorisé",
                f"it holds an invisible character (U+{ord(wrong):04X}), not allowed")
    return f"le caractère « {wrong} » n'est pas autorisé", f'the character "{wrong}" is not allowed'


CHECK_DETAILS: dict[str, Callable[[str], tuple[str, str]]] = {"sku_format": _sku_fault}
"""Checks whose message says what is wrong with the value (`{detail}`, French and English)."""


def problems_from_schema_errors(
    schema: pa.DataFrameSchema,
    typed: pd.DataFrame,
    raw: dict[str, pd.Series],
    header_of: Callable[[str], str],
    messages: dict[str, tuple[Reason, str, str, str]] = CHECK_MESSAGES,
) -> list[Problem]:
    """Validate `typed` lazily and describe each failure with the seller's own text.

    `messages` maps each named check of `schema` as `CHECK_MESSAGES` does (the offers' by
    default; another feed passes its own).
    """
    try:
        schema.validate(typed, lazy=True)
    except SchemaErrors as errors:
        return _describe(errors.failure_cases, raw, header_of, messages)
    return []


def _describe(cases: pd.DataFrame, raw: dict[str, pd.Series], header_of, messages) -> list[Problem]:
    unexplained = ~cases["check"].isin(list(messages)) | cases["index"].isna()
    if unexplained.any():
        case = cases[unexplained].iloc[0]
        raise AssertionError(f"no message for pandera failure {case.check!r} on {case.column!r}")
    fields = cases["check"].map(lambda check: messages[check][1])
    texts = pd.Series("", index=cases.index, dtype=object)
    for field in fields.unique():  # one lookup per field, not one per failing cell
        here = fields == field
        texts[here] = raw[field].reindex(cases.loc[here, "index"].astype("int64")).fillna("").to_numpy()
    problems = []
    for case, text in zip(cases.itertuples(index=False), texts, strict=True):
        code, field, message_fr, message_en = messages[case.check]
        row = int(case.index)
        value = str(text)
        shown = value if len(value) <= 80 else value[:80] + "…"
        params = {"value": shown, "length": len(value)}
        detail_fr, detail_en = CHECK_DETAILS[case.check](value) if case.check in CHECK_DETAILS \
            else ("", "")
        problems.append(Problem(code, message_fr.format(**params, detail=detail_fr),
                                message_en.format(**params, detail=detail_en),
                                row=row, column=header_of(field), value=value))
    return problems
