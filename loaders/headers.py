"""One key per header text, so that "Prix TTC ", "PRIX_TTC" and "PrixTTC" name one column.

Sellers type headers by hand, copy them from templates that mark required columns with `*` or
`:`, and save them from Excel, which adds no-break spaces and curly apostrophes. Matching on
`header_key` (never on the raw text) keeps the file's own spelling for the report while making
the match case-, accent- and space-insensitive. `normalize_header` is the readable form of
that key, with its words still apart, which the schemas also use for cell values ("comme
neuf") and the messages for the names they list.
"""

from __future__ import annotations

import re
import unicodedata

# Runs of separators: any Unicode whitespace (no-break and narrow no-break spaces included),
# underscores and hyphens (ASCII and the Unicode dashes Word and Excel substitute).
_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015\u2212]+")
# Apostrophe look-alikes typed by autocorrect: the key keeps one plain apostrophe.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})
_ORDINAL_O = str.maketrans({"\u00ba": "\u00b0"})
"""The ordinal º (a Mac's ⌥0, autocorrect's "nº") is the degree sign of "n°" in a header: NFKD
would make it an "o" ("Référence nº" unknown, the file refused for a missing sku)."""
# Invisible characters that survive a copy-paste or a doubled byte order mark, and the soft
# hyphen and word joiner Word leaves in a title ("Caté\u00adgorie" shows as "Catégorie").
_INVISIBLE = str.maketrans({"\ufeff": None, "\u200b": None, "\u200c": None, "\u200d": None,
                            "\u00ad": None, "\u2060": None})
_REQUIRED_MARKS = "*:"


def normalize_header(text: str) -> str:
    """The matching key of a header text.

    Stripped, casefolded, accents removed (NFKD, combining marks dropped), curly apostrophes
    turned into `'` (the apostrophe itself is kept: "Délai d'expédition" →
    "delai_d'expedition"), any run of spaces, `_` or `-` turned into one `_` (none at either
    end), trailing `*` and `:` (template marks for required columns) dropped.

    >>> normalize_header("Référence ")
    'reference'
    >>> normalize_header("Prix TTC *")
    'prix_ttc'
    >>> normalize_header("offer-sku")
    'offer_sku'
    """
    key = text.translate(_INVISIBLE).translate(_ORDINAL_O).strip().casefold()
    key = unicodedata.normalize("NFKD", key)
    key = "".join(char for char in key if not unicodedata.combining(char))
    key = key.translate(_APOSTROPHES).rstrip().rstrip(_REQUIRED_MARKS + " \t")
    return _SEPARATORS.sub("_", key).strip("_")


_UNIT_WORDS = frozenset({"€", "eur", "euro", "euros", "ttc", "en", "%", "j", "jour", "jours",
                         "days", "u", "unite", "unites", "pcs", "ouvres", "ouvrables"})
"""What a template puts in brackets after a header to say its unit: "Prix TTC (€)",
"Délai d'expédition (jours)". Never "HT": a price excluding VAT is not the customer price."""
_HINT_WORDS = frozenset({"code", "obligatoire", "facultatif", "optionnel", "requis", "required",
                         "optional", "mandatory"})
"""What a template puts in brackets after a name to say how to fill it: "Catégorie (code)",
"Titre (obligatoire)". Words that change what the column holds ("Prix (HT)", "Catégorie
(libellé)") are none of these: such a header stays unknown."""
_TRAILING_BRACKETS = re.compile(r"_?[(\[]([^()\[\]]*)[)\]]$")
_TRAILING_UNIT = re.compile(r"_en_(?:€|eur|euros?|jours?)$|_€$")  # "Prix TTC en €", "Prix €"
_ABBREVIATION_DOTS = re.compile(r"(?<=[^\W\d])\.")
"""A dot after a letter ends an abbreviation ("Réf. vendeur", "Prix T.T.C.", "Qté."): it
separates words like a space. Not between digits, where no header has one to drop."""


def header_key(text: str) -> str:
    """The key headers match on: `normalize_header` without its separators, so that any kind
    of space, or none, between the words makes no difference ("PrixTTC", "Prix TTC",
    "prix_ttc"): sellers drop or double the spaces of a template's titles. A unit or a filling
    hint at the end is dropped ("Prix TTC (€)", "Prix TTC en €", "Prix TTC €" and "Catégorie
    (code)" are "Prix TTC" and "Catégorie"), also after an Alt+Enter line break, and the dots
    of abbreviations count as spaces.

    >>> header_key("Remise %")
    'remise%'
    >>> header_key("Délai d'expédition (jours)")
    "delaid'expedition"
    >>> header_key("Prix (HT)")
    'prix(ht)'
    >>> header_key("Catégorie\\n(code)")
    'categorie'
    >>> header_key("Réf. vendeur"), header_key("Prix T.T.C. €")
    ('refvendeur', 'prixttc')
    """
    key = normalize_header(_ABBREVIATION_DOTS.sub(" ", text))
    while shorter := _without_trailing_note(key):  # "Catégorie (code) (obligatoire)"
        key = shorter
    return key.replace("_", "")


def header_units(text: str) -> frozenset[str]:
    """The words of the units and hints `header_key` leaves out: {"€"} for "Remise (€)" and
    "Remise en €", which a column of percentages must not be taken for."""
    key, words = normalize_header(text), set()
    while shorter := _without_trailing_note(key):
        words.update(re.split(r"[_()\[\]]+", key[len(shorter):]))
        key = shorter
    return frozenset(words - {"", "en"})


def _without_trailing_note(key: str) -> str:
    """`key` less a unit or a filling hint at its end, in brackets or after "en"; "" when
    there is none (or nothing would be left)."""
    note = _TRAILING_BRACKETS.search(key)
    if note:
        said = set(note.group(1).split("_"))
        return key[:note.start()] if said <= _UNIT_WORDS | _HINT_WORDS else ""
    unit = _TRAILING_UNIT.search(key)
    return key[:unit.start()] if unit else ""


_ANSWER_HINT = re.compile(r"(?:\?|\*|:|[(\[]?(?:oui/?(?:ou)?non(?:/nc)?|o/n|yes/no|y/n|vrai/faux|true/false"
                          r"|1/0|0/1|1=oui/0=non|oui=1/non=0)[)\]]?)$")
"""Also after the star of a required column and behind a colon, with or without brackets
(`Mise en situation* (oui/non)`, `Mise en situation : oui/non` were unknown columns)."""


def without_answer_hints(key: str) -> str:
    """A `header_key` without what says its answers are yes or no, at its end: `?`, `(oui/non)`,
    `(O/N)`, `(oui ou non)`, `(vrai/faux)`, `(1/0)`... ("miseensituation(oui/non)?" →
    "miseensituation"). For the yes-or-no fields only (`ColumnSpec.yes_no`).

    >>> without_answer_hints(header_key("Mises en situation (oui / non) ?"))
    'misesensituation'
    """
    while shorter := _ANSWER_HINT.sub("", key):
        if shorter == key:
            break
        key = shorter
    return key
