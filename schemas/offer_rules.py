"""Offer rules across columns and rows: categories, product ids, used-declared-new, duplicates.

These need more than one cell of a row (a digital category changes what quantity means) or
more than one row (a duplicated sku), so they live beside the pandera schema, not in it.
All are vectorised over the chunk and report through the validator's collector.
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from stdnum import isbn

from loaders.headers import header_key
from marketplace.errors import Reason
from marketplace.reference import load_categories
from schemas.amazon_codes import ID_TYPES as AMAZON_ID_TYPES
from schemas.amazon_codes import amazon_codes
from schemas.parsing import (
    among,
    ascii_digits,
    gtin_check_ok,
    is_scientific,
    matches,
    parse_whole,
    translate_distinct,
    word_key,
)
from schemas.repeated_keys import reject_repeated_keys

if TYPE_CHECKING:
    from schemas.offers import OfferValidator

log = logging.getLogger(__name__)

# "used", "occasion" alone are common words ("can be used", "pour toutes les occasions"):
# they count only in the title and not after an article; the unambiguous forms count anywhere.
_END = r"(?:$|[^a-z])"
USED_ANYWHERE = (  # no \b and no flags object: RE2 syntax (schemas.parsing.matches)
    rf"(?i)(?:^|[^a-z])(?:reconditionn|d['’]occasion{_END}|refurbished{_END}"
    rf"|second[- ]hand{_END}|seconde?[- ]main{_END}|pre-?owned{_END})"
)
USED_WORD = re.compile(
    # "occasion" and "used" say the item is used, except after an article ("pour toutes les
    # occasions"), in a passive ("can be used with") or before what the word is for ("used
    # for", "occasion spéciale", "une belle occasion de lire", "occasion rêvée"; "occasion à
    # saisir" opening a phrase, see BARGAIN). The plural
    # "d'occasions" is left out: "toutes sortes d'occasions", "des dizaines d'occasions" are
    # chances far more often than second-hand goods.
    r"(?<!l['’])(?<!une )(?<!les )(?<!des )(?<!toute )(?<!toutes )(?<!cette )(?<!chaque )"
    r"(?<!be )(?<!is )(?<!are )(?<!was )(?<!were )(?<!been )(?<!being )"
    # "the most used words", "widely used": how often, not second-hand ("Almost used" is)
    r"(?<!\bmost )(?<!\bleast )(?<!\bwidely )(?<!\bcommonly )(?<!\boften )(?<!\bfrequently )"
    r"\b(?:occasion|used)\b"
    r"(?!\s+(?:to|for|with|by|in|as|on|at|when|during|spéciale|special|unique|idéale?|parfaite?"
    r"|rêvée|de)\b)(?!\s+d['’])",
    re.IGNORECASE,
)
HIDDEN_IN_WORDS = "\u00ad\u200b\u200c\u200d\u2060"
"""What a copy from a web page leaves inside words unseen: soft hyphens, zero-width characters
("recondi\u00adtionné" shows as reconditionné, and a used phone loaded as new)."""
USED_HINT = rf"(?i)reconditionn|occasion|refurbished|second|owned|used|[{HIDDEN_IN_WORDS}]"
"""A part of every word USED_ANYWHERE and USED_WORD look for, or a character hiding one (RE2
syntax)."""
_UNHIDDEN = str.maketrans(dict.fromkeys(HIDDEN_IN_WORDS))
USED_ANYWHERE_WORD = re.compile(  # USED_ANYWHERE in Python's syntax: the words alone
    # "reconditionnement" is the work, most often what a kit or a balm is for: not its product
    r"(?<![a-z])(?:reconditionn(?!ements?(?![a-z]))[a-zé]*|d['’]occasion|refurbished|second[- ]hand"
    r"|seconde?[- ]main|pre-?owned)(?![a-z])", re.IGNORECASE)
NEGATION = re.compile(
    # just before the words: "n'est pas (d')", "ne sont pas", "pas (d')" as titles write it
    # ("Neuf (pas reconditionné)"), "non", "not", "jamais", "never"; the "pas" of "pas à pas"
    # is no negation ("moteur pas à pas reconditionné")
    r"(?:\bn['’]\s*\w+\s+pas|\bne\s+\w+\s+pas|(?<![àa]\s)(?<![àa]-)\bpas|\bnon|\bnot|\bjamais"
    r"|\bnever)"
    r"[\s-]+(?:d['’])?$",
    re.IGNORECASE)
BARGAIN = re.compile(r"\s+(?:en\s+or|exceptionnelle|inespérée|incroyable|[àa]\s+saisir"
                     r"|[àa]\s+ne\s+pas\s+(?:manquer|rater|louper))\b",
                     re.IGNORECASE)
"""After "occasion", the sales phrase for a bargain: on new items as much as used ones when it
opens the text or a clause ("Occasion à saisir : ...", "Prix de lancement : occasion à saisir")
or follows an adjective ("belle occasion en or"); after a comma or a dash, only in a text that
says new or sells ("Smartphone neuf sous blister, ..., occasion à saisir", "Stock limité,
occasion à saisir"); a used item's after a product ("iPhone 12 occasion à saisir", "iPhone 12 -
Occasion à saisir", "Galaxy S21, occasion en or")."""
PHRASE_OPENING = re.compile(r"(?:^|[!?.:;]|\b(?:belle|bonne|super|superbe|vraie|rare))\s*$",
                            re.IGNORECASE)
CLAUSE_OPENING = re.compile(r"[,(—–-]\s*$")
NEW_OR_SELLING = re.compile(
    r"(?<!comme )(?<!état )\b(?:neuf|neufs|neuve|neuves|new)\b"
    r"|\b(?:limitée?s?|promo|promotion|prix|stock|soldes|déstockage|offre|dernières?)\b", re.IGNORECASE)


def rows_among(frame: pd.DataFrame, rows) -> pd.Series:
    """A mask of `frame`'s rows: those numbered in `rows`."""
    return pd.Series(frame.index.isin(list(rows)), index=frame.index)


def used_wording(text: str) -> str | None:
    """The words of `text` that say the item is used or refurbished, if any: quoted to the
    seller, who could not tell a false match ("The most used words") from a true one."""
    for pattern in (USED_ANYWHERE_WORD, USED_WORD):
        for found in pattern.finditer(text):
            before = text[max(0, found.start() - 40):found.start()]
            if NEGATION.search(before) or (found.group(0).lower() == "occasion"
                                           and _a_bargain(text, found)):
                continue
            return found.group(0)
    return None


def _a_bargain(text: str, found: re.Match) -> bool:
    """Whether the "occasion" found opens the sales phrase of a bargain (see BARGAIN)."""
    if not BARGAIN.match(text, found.end()):
        return False
    before = text[:found.start()]
    return bool(PHRASE_OPENING.search(before)
                or (CLAUSE_OPENING.search(before) and NEW_OR_SELLING.search(before)))


def check_other_seller(v: OfferValidator) -> None:
    """A row naming another seller is rejected, and the attempt is logged for ops."""
    if v.ctx.seller_id is None:  # check-only run without --seller: nobody to compare with
        return
    named = v.raw["seller_id"]
    filled = named[named != ""]  # usually no such column: nothing to parse
    number, unreadable = parse_whole(filled)  # "0103" and "103,0" name seller 103 too
    other = (number.notna() & (number != v.ctx.seller_id)).reindex(named.index, fill_value=False)
    if other.any():
        log.warning("possible cross-seller attempt: file of seller %s names seller(s) %s",
                    v.ctx.seller_id, sorted(set(named[other]))[:5])
    v.flag(other, Reason.OTHER_SELLER, "seller_id",
           f"Cette ligne désigne le vendeur « {{value}} » : ce fichier est celui du vendeur"
           f" {v.ctx.seller_id}, il ne peut modifier que ses propres offres.",
           f'This row names seller "{{value}}": this file belongs to seller {v.ctx.seller_id}'
           " and can only change its own offers.")
    # `102,000`, `１０２`, `n/a`: no seller's number, not another seller (their rows counted as
    # another seller's, a whole file of the sender's own `102,000` was refused as not his)
    v.flag(unreadable.reindex(named.index, fill_value=False), Reason.BAD_NUMBER, "seller_id",
           f"« {{value}} » n'est pas un numéro de vendeur (colonne « {{column}} ») : ce fichier est"
           f" celui du vendeur {v.ctx.seller_id} ; écrivez {v.ctx.seller_id} ou laissez la cellule vide.",
           f'"{{value}}" is no seller number (column "{{column}}"): this file belongs to seller'
           f" {v.ctx.seller_id}; write {v.ctx.seller_id} or leave the cell empty.")


CATEGORY_SYNONYMS = "category_synonyms.csv"
SUGGESTED_FOR_AT_MOST = 100
"""Distinct unknown categories of a chunk beyond which none gets a suggestion: so many mean
the column holds something else (shifted columns: titles), and difflib costs 25 µs a value."""


def name_key(text: str) -> str:
    """What a category or an identifier type matches on: its words without accents, case or
    spacing, so that `Jeux vidéo`, `jeux video` and `jeux-video` are one, `GTIN-13` and
    `gtin13` too."""
    return word_key(text).replace(" ", "")


@lru_cache
def category_names(reference_dir: Path) -> dict[str, str]:
    """Category code by the key of its code, its label and its synonyms (`category_synonyms.csv`
    of the reference data: what sellers write that is neither, "Livre" for `livres`).

    A name that would mean two categories is an error of the reference data, said at once."""
    names: dict[str, str] = {}

    def add(name: str, code: str) -> None:
        if names.setdefault(name_key(name), code) != code:
            raise ValueError(f"category name {name!r} means both {names[name_key(name)]!r}"
                             f" and {code!r} ({reference_dir})")

    categories = load_categories(reference_dir)
    for code, category in categories.items():
        add(code, code)
        add(category.label, code)
    path = reference_dir / CATEGORY_SYNONYMS
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["code"] not in categories:
                    raise ValueError(f"{path}: synonym {row['synonym']!r} of unknown category"
                                     f" {row['code']!r}")
                add(row["synonym"], row["code"])
    return names


def category_code(reference_dir: Path, value: str) -> str:
    """The code a seller's category names, else the text itself (lower case: unknown)."""
    return category_names(reference_dir).get(name_key(value), value.lower())


def check_category_rules(v: OfferValidator, typed: pd.DataFrame, updates: pd.Series) -> None:
    """Known and allowed category; what digital, physical and training categories require."""
    cats = v.categories
    code = typed["category"]
    known = code.isin(list(cats))
    _flag_unknown_categories(v, updates & (code != "") & ~known)
    prohibited = code.isin([c for c, cat in cats.items() if cat.prohibited])
    v.flag(updates & prohibited, Reason.PROHIBITED_CATEGORY, "category",
           "La catégorie « {value} » est interdite à la vente sur la place de marché.",
           'Category "{value}" may not be sold on the marketplace.')
    digital = code.isin([c for c, cat in cats.items() if cat.digital])
    # a prohibited product is refused whatever else the row holds: asking for its EAN and
    # stock sent the seller filling cells for an offer that can never load
    physical = updates & known & ~digital & ~prohibited
    training = updates & code.isin([c for c, cat in cats.items() if cat.training])
    typed["digital"] = digital
    v.check_required("quantity", physical)
    v.check_required("product_id", physical)
    not_new = updates & digital & (typed["condition"] != "new")
    v.flag(not_new, Reason.NOT_ALLOWED, "condition",
           "Un produit numérique est toujours neuf (new) : « {value} ».",
           'A digital product is always new: "{value}".')
    _check_delivery(v, typed, updates, digital)
    _check_practical(v, typed, training)


def _flag_unknown_categories(v: OfferValidator, unknown: pd.Series) -> None:
    """Unknown categories, each with the closest codes when some are close: one flag per
    suggestion (a handful), the suggestions looked for once per distinct value."""
    if not unknown.any():
        return
    raw = v.raw["category"][unknown]
    closest = pd.Series("", index=raw.index, dtype="str")
    if raw.nunique() <= SUGGESTED_FOR_AT_MOST:
        closest = translate_distinct(raw, lambda value: _closest_codes(v.ctx.reference_dir, value))
    for codes in closest.unique():
        hint_fr = hint_en = ""
        if codes:
            hint_fr = " (vouliez-vous dire " + " ou ".join(f"« {c} »" for c in codes.split()) + " ?)"
            hint_en = " (did you mean " + " or ".join(f'"{c}"' for c in codes.split()) + "?)"
        v.flag((closest == codes).reindex(unknown.index, fill_value=False),
               Reason.UNKNOWN_CATEGORY, "category",
               f"Catégorie inconnue « {{value}} » : utilisez un code de la liste des"
               f" catégories{hint_fr}.",
               f'Unknown category "{{value}}": use a code from the category list{hint_en}.')


def _closest_codes(reference_dir: Path, value: str) -> str:
    """The one or two codes (space-separated) whose code, label or synonym is closest to
    `value`, closest first; "" when none is close (difflib's ratio of at least 0.6). Never a
    prohibited one: "Vêtements" was answered "vouliez-vous dire « medicaments » ?"."""
    prohibited = {code for code, category in load_categories(reference_dir).items()
                  if category.prohibited}
    names = {name: code for name, code in category_names(reference_dir).items()
             if code not in prohibited}
    close = difflib.get_close_matches(name_key(value), list(names), n=4)
    return " ".join(list(dict.fromkeys(names[name] for name in close))[:2])


DELIVERY_WORDS = {  # keys in word_key's form
    "standard": "standard", "normal": "standard", "normale": "standard",
    "livraison standard": "standard", "livraison normale": "standard",
    "expedition standard": "standard", "expedition normale": "standard",
    "envoi standard": "standard", "envoi normal": "standard", "sans suivi": "standard",
    "tracked": "tracked", "suivi": "tracked", "suivie": "tracked", "avec suivi": "tracked",
    "colis suivi": "tracked", "suivi colis": "tracked", "envoi suivi": "tracked",
    "livraison suivie": "tracked", "expedition suivie": "tracked", "lettre suivie": "tracked",
    "digital": "digital", "numerique": "digital", "livraison numerique": "digital",
    "telechargement": "digital", "en ligne": "digital", "acces en ligne": "digital",
    "dematerialise": "digital", "dematerialisee": "digital",
    # a training followed online: its organisers' words (the guide's "formations digitaux")
    "digitale": "digital", "digitaux": "digital", "digitales": "digital", "numeriques": "digital",
    "e learning": "digital", "elearning": "digital", "formation en ligne": "digital",
    "100 en ligne": "digital", "distanciel": "digital", "a distance": "digital",
    "formation a distance": "digital", "foad": "digital", "classe virtuelle": "digital",
    "visio": "digital", "visioconference": "digital", "webinaire": "digital", "webinar": "digital",
}
"""The delivery modes in the words of the seller guides ("expédition normale", "suivi colis")
and of training programmes (a download, online access, a remote class); carriers' names are no
mode, and an in-person ("présentiel") or blended training is no digital delivery."""


def _check_delivery(v: OfferValidator, typed, updates, digital) -> None:
    text = translate_distinct(v.raw["delivery"],
                              lambda value: DELIVERY_WORDS.get(word_key(value), value.lower()))
    delivery = text.mask(text == "", pd.Series("standard", index=text.index).where(~digital, "digital"))
    wrong_digital = updates & digital & (delivery != "digital")
    wrong_physical = updates & ~digital & ~delivery.isin(["standard", "tracked"])
    v.flag(wrong_digital, Reason.NOT_ALLOWED, "delivery",
           "Un produit numérique se livre en téléchargement ou en ligne (digital) : « {value} »."
           " Laissez la cellule vide ou écrivez digital.",
           'A digital product is delivered as "digital" (téléchargement, en ligne): "{value}".'
           " Leave the cell empty or write digital.")
    v.flag(wrong_physical, Reason.NOT_ALLOWED, "delivery",
           "Mode de livraison « {value} » : normale (standard) ou suivi (tracked) pour un produit"
           " physique.",
           'Delivery "{value}": standard (normale) or tracked (suivi) for a physical product.')
    typed["delivery"] = delivery


def _check_practical(v: OfferValidator, typed, training) -> None:
    answer = typed["practical_component"]
    v.check_required("practical_component", training)
    refused = training & (answer == False)  # noqa: E712 (nullable boolean)
    v.flag(refused, Reason.PRACTICAL_COMPONENT, "practical_component",
           "Une formation doit comporter une mise en situation (partie pratique) : « {value} ».",
           'A training programme must include a practical component: "{value}".')


def check_product_ids(v: OfferValidator, typed: pd.DataFrame, updates: pd.Series) -> None:
    """EAN (GTIN-13, UPC-12 padded) or ISBN, with check digits; Excel's 3.6E+12 is refused."""
    raw = v.raw["product_id"]
    present = updates & (raw != "")
    digits = (raw == "") | ascii_digits(raw)  # nearly every cell: no notation, no separators
    scientific = present & ~digits
    if scientific.any():
        scientific[scientific] = is_scientific(raw[scientific])
    whole = scientific.copy()  # read cell by cell: only the few in scientific notation
    if scientific.any():
        whole[scientific] = raw[scientific].map(_all_digits_kept).astype(bool)
    v.flag(scientific & ~whole, Reason.SCIENTIFIC_NOTATION, "product_id",
           "« {value} » : Excel a converti ce code en notation scientifique et a perdu des"
           " chiffres. Formatez la colonne en texte et ressaisissez le code complet.",
           '"{value}": Excel turned this code into scientific notation and lost digits. Format'
           " the column as text and type the full code again.")
    v.flag(whole, Reason.SCIENTIFIC_NOTATION, "product_id",  # 3.760999000012e+12: all there
           "« {value} » : le code est écrit en notation scientifique ; écrivez-le en chiffres,"
           " dans une colonne au format texte.",
           '"{value}": the code is written in scientific notation; write it in digits, in a'
           " column formatted as text.")
    compact = raw
    if not digits.all():  # "978-2-07-036822-8": separators removed only where there are some
        compact = raw.copy()
        # and the apostrophe typed before a code to keep its zeros ("'0012345678905")
        compact[~digits] = raw[~digits].str.replace(r"^'|[\s-]", "", regex=True)
    kind = _product_id_types(v, compact)
    asin = present & (kind == "ASIN")
    v.flag(asin, Reason.NOT_ALLOWED, "product_id_type",
           "Type d'identifiant « {value} » : un ASIN (code d'Amazon) n'identifie pas le produit"
           " ici ; donnez son EAN ou son ISBN (type 4 ou 2).",
           'Identifier type "{value}": an ASIN (Amazon\'s code) does not identify the product'
           " here; give its EAN or ISBN (type 4 or 2).",
           values=v.raw["product_id_type"])
    v.flag(present & ~asin & ~kind.isin(["EAN", "ISBN"]), Reason.NOT_ALLOWED, "product_id_type",
           "Type d'identifiant « {value} » : EAN (ou GTIN-13, UPC) ou ISBN.",
           'Identifier type "{value}": EAN (or GTIN-13, UPC) or ISBN.',
           values=v.raw["product_id_type"])
    ean = present & ~scientific & (kind == "EAN")
    upc = compact.str.len() == 12
    padded = compact
    if upc.any():  # a UPC-12 is the EAN-13 with a leading 0
        padded = compact.copy()
        padded[upc] = "0" + compact[upc]
    bad_ean = ean & ~(ascii_digits(padded, lengths=(13,)) & gtin_check_ok(padded))
    lost_zeros = bad_ean & _zeros_lost(compact)
    v.flag(lost_zeros, Reason.BAD_CHECK_DIGIT, "product_id",
           "EAN « {value} » : il manque les zéros du début (Excel les retire d'une cellule au"
           " format nombre). Mettez la colonne au format texte et écrivez le code complet, ici"
           " précédé de 00.",
           'EAN "{value}": its leading zeros are missing (Excel drops them from a number cell).'
           " Format the column as text and type the full code, here with 00 in front.")
    bad_ean &= ~lost_zeros
    # "3760123450027.0", "3760123450027,0" in French: a program wrote the code as a decimal number
    as_decimal = bad_ean & compact.str.fullmatch(r"\d{8,14}[.,]0+").fillna(False).astype(bool)
    v.flag(as_decimal, Reason.BAD_FORMAT, "product_id",
           "EAN « {value} » : le code a été écrit comme un nombre décimal (« ,0 » ou « .0 » à la"
           " fin) ; mettez la colonne au format texte et écrivez le code seul.",
           'EAN "{value}": the code was written as a decimal number (",0" or ".0" at the end);'
           " format the column as text and write the code alone.")
    bad_ean &= ~as_decimal
    # in the seller's word: an ISBN column's 978 code was told an "EAN invalide"
    word = "ISBN" if "isbn" in header_key(v.header("product_id")) else "EAN"
    v.flag(bad_ean, Reason.BAD_CHECK_DIGIT, "product_id",
           f"{word} invalide « {{value}} » : 13 chiffres (ou 12 pour un UPC) avec une clé de"
           " contrôle correcte.",
           f'Invalid {word} "{{value}}": 13 digits (or 12 for a UPC) with a correct check digit.')
    isbns = kind == "ISBN"
    product_id = padded
    if isbns.any():  # python-stdnum checks each ISBN: only where there are some
        _check_isbns(v, compact, present & ~scientific & isbns)
        product_id = padded.where(~isbns, compact[present & ~scientific & isbns].map(_isbn13))
    typed["product_id"] = product_id.where(present, None)
    typed["product_id_type"] = kind.where(present, None)


def _all_digits_kept(text: str) -> bool:
    """Whether a code in scientific notation still holds every digit (`3.760999000012e+12`, a
    program's float), unlike Excel's `3,76E+12`."""
    mantissa, _, exponent = text.replace(",", ".").lower().partition("e")
    whole, _, decimals = mantissa.lstrip("+").partition(".")
    exponent = exponent.lstrip("+")
    return len(whole) == 1 and exponent.isdigit() and len(decimals) == int(exponent) >= 7


def _zeros_lost(compact: pd.Series) -> pd.Series:
    """11 digits that are a valid EAN-13 once two zeros are put back: a code starting 00 (a
    UPC's EAN) kept in a number cell. Only 11: 8 digits are an EAN-8, 10 may be an ISBN-10."""
    eleven = ascii_digits(compact, lengths=(11,))
    if not eleven.any():
        return eleven
    restored = "00" + compact[eleven]
    return gtin_check_ok(restored).reindex(compact.index, fill_value=False) & eleven


ID_TYPE_WORDS = {  # keys in name_key's form
    "ean": "EAN", "ean13": "EAN", "gtin": "EAN", "gtin13": "EAN", "gtin12": "EAN", "upc": "EAN",
    "upc12": "EAN", "upca": "EAN",
    "isbn": "ISBN", "isbn10": "ISBN", "isbn13": "ISBN",
}
"""The types of offers.md as sellers name them: an EAN-13 is a GTIN-13, a UPC-12 an EAN."""


def _product_id_types(v: OfferValidator, compact: pd.Series) -> pd.Series:
    """EAN or ISBN as the type column says (else the seller's text, upper case: refused). An
    empty type is EAN, but in a column headed ISBN a 10-character code, or 13 digits from 978
    or 979-1 to 979-9 (the book prefixes; 979-0 is sheet music's ISMN), is an ISBN: the header
    says what it is, and one book sent as ISBN-10 and as ISBN-13 was stored under two types."""
    amazon = amazon_codes("product_id_type", v.header("product_id_type"), AMAZON_ID_TYPES)
    kind = translate_distinct(v.raw["product_id_type"], lambda value: amazon.get(value.strip())
                              or ID_TYPE_WORDS.get(name_key(value), value.upper()))
    untyped = kind == ""
    if "isbn" in header_key(v.header("product_id")) and untyped.any():
        books = (compact.str.len() == 10) | compact.str.fullmatch(r"97(?:8\d|9[1-9])\d{9}")
        kind = kind.mask(untyped & books, "ISBN")
    return kind.mask(kind == "", "EAN")


def _check_isbns(v: OfferValidator, compact: pd.Series, isbn_rows: pd.Series) -> None:
    isbn_ok = compact[isbn_rows].map(isbn.is_valid).astype(bool)
    bad_isbn = pd.Series(False, index=compact.index)
    bad_isbn[isbn_ok.index] = ~isbn_ok
    v.flag(bad_isbn, Reason.BAD_CHECK_DIGIT, "product_id",
           "ISBN invalide « {value} » : vérifiez les chiffres et la clé.",
           'Invalid ISBN "{value}": check the digits and the check character.')


def _isbn13(value: str) -> str:
    return isbn.to_isbn13(value) if isbn.is_valid(value) else value


SKU_AS_EXCEL_NUMBER = r"\d(?:[.,]\d+)?E[+-]\d{2,3}"
"""A reference as Excel shows a number past 15 digits (3,76013E+12, read 1.23456789012345E+17):
its exponent signed, on two digits or more. A text "1E5" or "2E10" is a reference typed so."""
SKU_AS_DATE = r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?: \d\d:\d\d:\d\d)?"
"""A reference as an XLSX date cell reads: Excel kept `1-12` typed as 1 December."""


SKU_SHOWN_AS_DATE = (r"\d{1,2}-(?:(?:janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.?"
                     r"|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")
"""A reference as Excel shows, and saves in a CSV, the date it made of it: `3-4` typed is
`03-avr` in French Excel (`3-Apr` in English); in a CSV or a workbook alike. Written as Excel
writes the months only: `2-DEC` or `12-MAI` in capitals are a seller's own references."""


def check_sku_from_excel(v: OfferValidator, updates: pd.Series) -> None:
    """An XLSX number cell past 15 digits (Excel kept 15, the rest zeros: two references could
    become one) or date cell (`1-12` typed, the 1st of December kept) in the sku column is a
    reference Excel changed: loaded, the seller's next file and their orders would not find
    the offer. Identifiers are text (offers.md); the cell must be typed again. A date as Excel
    shows it (`03-avr`) is refused in a CSV too (a rejected-rows file saved again by Excel
    made `3-4` a new offer `03-avr`), an ISO date in a workbook only (a CSV's `2026-12-01` is
    the seller's); and on update rows only, an offer loaded under one can still be deleted."""
    date_message = (
        "La référence « {value} » est une date : Excel a changé en date la référence tapée (1-12"
        " devient le 1er décembre). Mettez la colonne « {column} » au format Texte et retapez"
        " la référence.",
        'The reference "{value}" is a date: Excel turned the reference typed into a date (1-12'
        ' becomes 1 December). Format column "{column}" as Text and type the reference again.')
    v.flag(among(updates, v.raw["sku"], SKU_SHOWN_AS_DATE), Reason.BAD_FORMAT, "sku", *date_message)
    if v.ctx.state.get("format") != "xlsx":
        return
    cut = matches(v.raw["sku"], SKU_AS_EXCEL_NUMBER, whole=True)  # loaders.xlsx_reader's form
    v.flag(cut, Reason.BAD_FORMAT, "sku",
           "La référence « {value} » a perdu ses derniers chiffres : Excel ne garde que 15 chiffres"
           " d'un nombre. Mettez la colonne « {column} » au format Texte et retapez la référence.",
           'The reference "{value}" lost its last digits: Excel keeps only 15 digits of a number.'
           ' Format column "{column}" as Text and type the reference again.')
    v.flag(among(updates, v.raw["sku"], SKU_AS_DATE), Reason.BAD_FORMAT, "sku", *date_message)


USED_WORDS_KEY = "used_words"
"""`ctx.state` key: row → (field, the used words found, the cell) of the rows set aside."""


def check_used_declared_new(v: OfferValidator, typed: pd.DataFrame, updates: pd.Series) -> None:
    """Refurbished or used items declared new are strictly forbidden (seller charter).

    Only the text of rows declared new can break the rule, and one scan for what every used
    word contains (`USED_HINT`) leaves the few cells the precise patterns must read: four
    scans of every title and description took a fifth of the validation of a big file. The
    message quotes the words found and says where."""
    # physical items only: a digital product is always new (`check_category_rules`), and a
    # training on selling used cars is no used training
    declared_new = updates & (typed["condition"] == "new") & ~typed["digital"]
    found: dict[int, tuple[str, str]] = {}  # row -> (field, words)
    for name in ("title", "description"):
        text = typed[name][declared_new]
        text = text[matches(text, USED_HINT)].str.translate(_UNHIDDEN)
        if text.empty:
            continue
        # the look-arounds of USED_WORD need Python's regex engine; vectorised, then the few
        # rows it finds read one by one for the words and their negation
        text = text[matches(text, USED_ANYWHERE) | text.str.contains(USED_WORD)]
        for row, value in text.items():
            if row not in found and (words := used_wording(value)):
                found[row] = (name, words)
    if "condition" not in v.headers.positions:  # new by default, or as stored: the catalog says
        v.left_out.leave_to_catalog("used_declared_new", rows_among(typed, found))
        # what the loader's message quotes, and the cell it points at (the file has no état)
        v.ctx.state.setdefault(USED_WORDS_KEY, {}).update(
            {row: (name, words, typed.at[row, name]) for row, (name, words) in found.items()})
        return
    # the cell as the seller left it: "neuf" typed, or empty (new by default), said as such
    condition = v.raw["condition"]
    groups: dict[tuple[str, str, bool], list[int]] = {}
    for row, (name, words) in found.items():
        groups.setdefault((name, words, condition[row] == ""), []).append(row)
    for (name, words, empty), rows in groups.items():
        where_fr, where_en = ("Le titre", "The title") if name == "title" else (
            "La description", "The description")
        state_fr, state_en = (("l'état, laissé vide, vaut « neuf » par défaut",
                               "its condition, left empty, is new by default") if empty
                              else ("l'état est « neuf »", "its condition is new"))
        quoted = words.replace("{", "{{").replace("}", "}}")
        v.flag(rows_among(typed, rows), Reason.USED_DECLARED_NEW, "condition",
               f"{where_fr} contient « {quoted} » : un produit d'occasion ou reconditionné, alors"
               f" que {state_fr}. Choisissez l'état réel (reconditionné, bon état...).",
               f'{where_en} says "{quoted}": a used or refurbished item, while {state_en}.'
               " Choose its real condition (refurbished, good...).")


def check_duplicates(v: OfferValidator, typed: pd.DataFrame) -> None:
    """Every copy of a sku repeated in the file is rejected: no guessing which one wins; the
    loader also drops the staged earlier copies (`late_duplicate_skus`)."""
    sku = typed["sku"]
    earlier = reject_repeated_keys(
        v, sku, sku != "", "sku",
        "La référence « {value} » apparaît plusieurs fois dans le fichier : toutes les"
        " lignes de cette référence sont refusées.",
        'Reference "{value}" appears more than once in the file: every row with it is'
        " rejected.")
    v.ctx.state.setdefault("late_duplicate_skus", set()).update(earlier.unique())
