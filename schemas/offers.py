"""Offer files: the columns sellers send and how one chunk of their rows is typed and checked.

One row of an offer file is one offer of the file's seller, keyed by the seller's `sku`.
Validation happens in two stages (pandera's advice): the seller's text is parsed into typed
columns here (so that "12,50" and "1 234,50 €" are read as French Excel writes them), then
the typed frame goes through `OFFER_SCHEMA` (pandera) and the cross-column rules of
`schemas.offer_rules`. Every problem names the row as the seller sees it in Excel, their
column header and their value.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from loaders.headers import normalize_header
from marketplace.errors import Reason
from marketplace.reference import load_categories
from schemas import offer_rules
from schemas.amazon_codes import CONDITIONS as AMAZON_CONDITIONS
from schemas.amazon_codes import amazon_codes
from schemas.checks import named, sku_format
from schemas.columns import HeaderMap
from schemas.feed import FeedContext, Validated
from schemas.left_out_columns import RULES as LEFT_OUT_RULES
from schemas.left_out_columns import LeftOutRows
from schemas.pandera_problems import CHECK_MESSAGES, problems_from_schema_errors
from schemas.parsing import (
    among,
    ascii_digits,
    composed_when_over,
    detect_decimal_separator,
    parse_bool,
    parse_cents,
    parse_whole,
    translate_distinct,
    word_key,
)
from schemas.seller_file_columns import ACTION_WORDS, OFFER_COLUMNS
from schemas.validator import ChunkValidator

DATE_CELL = r"\d{4}-\d{2}-\d{2}(?: 00:00:00)?"
"""How the reader gives a date cell: a number typed in a column the spreadsheet formats as dates."""

CONDITIONS = ("new", "like_new", "very_good", "good", "acceptable", "refurbished")
CONDITION_WORDS = {  # keys in word_key's form, agreement undone (CONDITION_AGREEMENT)
    **{code.replace("_", " "): code for code in CONDITIONS},
    "neuf": "new", "comme neuf": "like_new", "tres bon etat": "very_good", "bon etat": "good",
    "etat correct": "acceptable", "reconditionne": "refurbished",
    "nouveau": "new",  # PrestaShop's French back office
}
CONDITION_AGREEMENT = {  # "Neuve", "reconditionnées": the word agrees with the seller's noun
    "neuve": "neuf", "neufs": "neuf", "neuves": "neuf", "reconditionnee": "reconditionne",
    "reconditionnes": "reconditionne", "reconditionnees": "reconditionne",
    "nouvelle": "nouveau", "nouveaux": "nouveau", "nouvelles": "nouveau",
}
USED_GRADE = ("occasion ", "d'occasion ", "seconde main ", "used ")
"""What marketplaces put before the grade of a used item ("Occasion - Très bon état", Fnac's
labels; "Used - Like New"): the grade is the condition, and a used item is never new."""
QUALIFIED_STATES = {"neuf ": "new", "nouveau ": "new", "reconditionne ": "refurbished"}
"""A state followed by a detail ("Neuf - sous blister", "Reconditionné - Comme neuf"): the
detail says how it looks, the state what it is; but "new" only with a detail that keeps it new
(`NEW_DETAILS`): "neuf, rayé", "Neuf - boîte abîmée", "neuf-ish" loaded as new, which the
charter forbids for a used or damaged item (refused: the seller chooses the grade)."""
NEW_DETAILS = frozenset({
    "sous blister", "sous film", "sous cellophane", "sous emballage", "scelle", "emballage scelle",
    "emballage d'origine", "dans son emballage", "dans son emballage d'origine", "dans sa boite",
    "dans sa boite d'origine", "en boite", "jamais ouvert", "non ouvert", "jamais utilise",
    "jamais porte", "jamais servi", "avec etiquette", "avec etiquettes", "etiquete",
    "sans etiquette", "avec facture", "garanti", "garantie", "garantie constructeur",
    "garantie fabricant", "garantie 1 an", "garantie 2 ans", "garantie 3 ans", "en stock",
    "fin de serie", "destockage", "jamais ouverte", "non ouverte", "neuf", "etat neuf",
    "emballage d origine", "d origine", "d'origine", "de destockage", "et"})
"""Details after "neuf" that say nothing against it, in `word_key`'s form, masculine singular
("Neuve - jamais utilisée", "neufs scellés" too), one after the other ("sous blister, garantie 2
ans": `word_key` drops the comma). Whole details only: "garantie 1 an, écran rayé" is no new
item."""
_WARRANTY = re.compile(r"garantie(?: constructeur| fabricant)?(?: \d{1,2} (?:an|ans|mois))?")
_DETAIL_WORDS = frozenset(word for detail in NEW_DETAILS for word in detail.split())
EURO_WORDS = {"": "EUR", "€": "EUR", "EURO": "EUR", "EUROS": "EUR"}
UNLIMITED_WORDS = frozenset({"illimite", "illimitee", "unlimited", "infini", "∞", "sans_limite",
                             "no_limit"})  # in normalize_header's form
MAX_PRICE_CENTS = 100_000_00
MAX_QUANTITY = 100_000
MAX_TITLE = 200
MAX_DESCRIPTION = 5000


OFFER_SCHEMA = pa.DataFrameSchema(
    {
        "sku": pa.Column(str, sku_format()),
        "title": pa.Column(str, named(pa.Check.str_length, 1, MAX_TITLE, name="title_length")),
        "description": pa.Column(str, named(pa.Check.str_length, 0, MAX_DESCRIPTION,
                                            name="description_length")),
        "price_cents": pa.Column(
            "Int64", named(pa.Check.in_range, 1, MAX_PRICE_CENTS, name="price_range"), nullable=True
        ),
        "currency": pa.Column(str, named(pa.Check.isin, ["EUR"], name="currency_eur")),
        "quantity": pa.Column(
            "Int64", named(pa.Check.in_range, 0, MAX_QUANTITY, name="quantity_range"), nullable=True
        ),
        "condition": pa.Column(str, named(pa.Check.isin, CONDITIONS, name="condition_known")),
        "leadtime_to_ship": pa.Column("Int64", named(pa.Check.in_range, 0, 30, name="leadtime_range")),
    },
    strict=False,
    coerce=False,
)
"""The typed offer rows: one row per update row of the file (delete rows only need a sku)."""


_RANGE_CHECKS = {"quantity": "quantity_range", "leadtime_to_ship": "leadtime_range"}
"""The schema's range check of each whole-number column, whose message a number too big to
read gets."""


class OfferValidator(ChunkValidator):
    """Turns one chunk of an offer file into typed valid rows and problems."""

    def __init__(self, frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext):
        super().__init__(frame, headers, ctx, OFFER_COLUMNS)
        self.categories = load_categories(ctx.reference_dir)
        self.left_out = LeftOutRows()

    def check_required(self, name: str, applies: pd.Series) -> None:
        """A column the file leaves out keeps the stored offers' values: whether the row has
        one is the catalog's to say (`schemas.left_out_columns`)."""
        if name in self.headers.positions or name not in LEFT_OUT_RULES:
            super().check_required(name, applies)
        else:
            self.left_out.leave_to_catalog(name, applies)

    def run(self) -> Validated:
        action = self.parse_action()
        typed = pd.DataFrame(index=self.index)
        typed["action"] = action
        typed["sku"] = self.raw["sku"]
        self.check_required("sku", pd.Series(True, index=self.index))
        offer_rules.check_other_seller(self)
        updates = action == "update"
        if updates.any():
            self.headers.require_update_columns()
        self.check_required("title", updates)
        self.check_required("category", updates)
        self.check_required("price", updates)
        self.flag_excel_errors(updates, everywhere=frozenset({"sku"}))
        offer_rules.check_sku_from_excel(self, updates)
        typed["title"] = composed_when_over(self.raw["title"], MAX_TITLE)
        typed["description"] = composed_when_over(self.raw["description"], MAX_DESCRIPTION)
        typed["category"] = translate_distinct(  # a code, or a label ("Jeux vidéo") as its code
            self.raw["category"], lambda value: offer_rules.category_code(self.ctx.reference_dir, value))
        typed["currency"] = translate_distinct(  # the euro, however written
            self.raw["currency"], lambda value: EURO_WORDS.get(value.upper(), value.upper()))
        typed["price_cents"] = self.parse_price(updates)
        typed["quantity"] = self.parse_quantity(updates)
        typed["leadtime_to_ship"] = self.parse_whole_column("leadtime_to_ship", updates).fillna(2)
        typed["condition"] = self.parse_condition()
        typed["practical_component"] = self.parse_practical(updates)
        offer_rules.check_category_rules(self, typed, updates)
        offer_rules.check_product_ids(self, typed, updates)
        offer_rules.check_used_declared_new(self, typed, updates)
        offer_rules.check_duplicates(self, typed)
        self.collector.problems.extend(
            problems_from_schema_errors(OFFER_SCHEMA, typed[updates], self.raw, self.header)
        )
        problems = self.collector.first_per_cell(also_distinct=frozenset({Reason.DUPLICATE_KEY}))
        rejected = self.collector.rejected_rows()
        rejected_mask = typed.index.isin(list(rejected))
        self.left_out.record(self.ctx, typed["sku"], pd.Series(rejected_mask, index=typed.index))
        self.ctx.state.setdefault("rejected_skus", set()).update(typed["sku"][rejected_mask])
        valid = typed[~rejected_mask] if rejected_mask.any() else typed  # no copy when all pass
        return Validated(valid.drop(columns="digital"), problems)

    def parse_action(self) -> pd.Series:
        """update or delete, in any of their spellings; matched like the condition words
        (case, accents and spaces ignored: a Mac writes "Mise à jour" with a combining accent)."""
        action = translate_distinct(self.raw["update_delete"],
                                    lambda value: ACTION_WORDS.get(normalize_header(value), "unknown"))
        unknown = action == "unknown"
        self.flag(unknown, Reason.NOT_ALLOWED, "update_delete",
                  "Action inconnue « {value} » : utilisez update (ou mise à jour) ou delete (ou"
                  " suppression).",
                  'Unknown action "{value}": use update or delete.')
        # neither an update nor a delete: the row is rejected, and it must not make the file
        # need the update columns (a delete-only file with one typo stays a delete file)
        return action.where(~unknown, "unknown")

    def parse_price(self, updates: pd.Series) -> pd.Series:
        """Cents; a cell is judged on update rows only (`delete` rows need only a sku, offers.md:
        a stale price left on a delete row must not keep the offer on sale)."""
        raw = self.raw["price"]
        if self.ctx.decimal_separator is None:
            self.ctx.decimal_separator = detect_decimal_separator(raw[raw != ""], self.ctx.typed_numbers)
        cents, unreadable, too_precise = parse_cents(raw, self.ctx.decimal_separator,
                                                      self.ctx.typed_numbers)
        huge = among(unreadable & updates, raw, r"[+-]?\d{13,}(?:[.,]\d+)?")
        code, _, message_fr, message_en = CHECK_MESSAGES["price_range"]
        self.flag(huge, code, "price", message_fr, message_en)
        unreadable = self.flag_ambiguous_amounts(unreadable & updates & ~huge, "price")
        # a date cell (read "2026-12-12"): Excel took a price typed "12.12" for the 12th of December
        self.flag_unreadable(unreadable, Reason.BAD_NUMBER, "price", (
            DATE_CELL,
            "Le prix « {value} » est une date : Excel a pris le prix tapé pour une date. Mettez la"
            " colonne au format nombre et ressaisissez le prix (12,50).",
            'The price "{value}" is a date: Excel took the price typed for a date. Format the'
            " column as a number and type the price again (12.50)."),
            "Le prix n'est pas un nombre lisible : « {value} » (exemple : 12,50).",
            'The price is not a readable number: "{value}" (example: 12.50).')
        self.flag(too_precise & updates, Reason.TOO_MANY_DECIMALS, "price",
                  "Le prix a plus de 2 décimales : « {value} ».",
                  'The price has more than 2 decimals: "{value}".')
        return cents

    def parse_quantity(self, updates: pd.Series) -> pd.Series:
        """A whole number; "illimité", which a training's seller writes, gets told how an
        unlimited stock is written (an empty cell) rather than "not a whole number"."""
        raw = self.raw["quantity"]
        worded = (raw != "") & ~ascii_digits(raw)  # not the numbers: nearly every cell
        words = [value for value in raw[worded].unique() if normalize_header(value) in UNLIMITED_WORDS]
        unlimited = updates & raw.isin(words)
        self.flag(unlimited, Reason.BAD_NUMBER, "quantity",
                  "« {value} » : pour un stock illimité (offre numérique, formation), laissez la"
                  " cellule vide ; pour un produit physique, indiquez la quantité (0 à 100 000).",
                  '"{value}": for an unlimited stock (a digital offer, a training), leave the cell'
                  " empty; for a physical product, give the quantity (0 to 100,000).")
        return self.parse_whole_column("quantity", updates & ~unlimited)

    def parse_whole_column(self, name: str, updates: pd.Series) -> pd.Series:
        values, unreadable = parse_whole(self.raw[name])
        # a whole number too big to read (an EAN pasted in the stock column) is out of range,
        # not "no whole number"
        huge = among(unreadable & updates, self.raw[name], r"[+-]?\d{10,}")  # past 10^9
        code, _, message_fr, message_en = CHECK_MESSAGES[_RANGE_CHECKS[name]]
        self.flag(huge, code, name, message_fr, message_en)
        unreadable &= ~huge
        # a date cell: the spreadsheet took "2-3" or "10/1" for a day, as it takes a price
        dated = among(unreadable & updates, self.raw[name], DATE_CELL)
        self.flag(dated, Reason.BAD_NUMBER, name,
                  "« {value} » est une date : le tableur a pris le nombre tapé pour une date. Mettez"
                  " la colonne au format nombre et ressaisissez un nombre entier (colonne"
                  " « {column} »).",
                  '"{value}" is a date: the spreadsheet took the number typed for a date. Format'
                  ' the column as a number and type a whole number again (column "{column}").')
        # "1.000" or "1,000": one, or a thousand with a separator? asked, not guessed
        self.flag_unreadable(unreadable & updates & ~dated, Reason.BAD_NUMBER, name, (
            r"\d{1,3}(?:[.,]\d{3})+",
            "« {value} » : un nombre avec un séparateur de milliers, ou des décimales ? Écrivez"
            " un nombre entier sans séparateur (1000) (colonne « {column} »).",
            '"{value}": a number with a thousands separator, or decimals? Write a whole number'
            ' without separator (1000) (column "{column}").'),
            "« {value} » n'est pas un nombre entier (colonne « {column} »).",
            '"{value}" is not a whole number (column "{column}").')
        return values

    def parse_condition(self) -> pd.Series:
        """The six codes, or the French words for them (`condition_code`); a file has few
        distinct values, so map those."""
        amazon = amazon_codes("condition", self.header("condition"), AMAZON_CONDITIONS)
        return translate_distinct(self.raw["condition"],
                                  lambda value: amazon.get(value.strip()) or condition_code(value))

    def parse_practical(self, updates: pd.Series) -> pd.Series:
        values, unreadable = parse_bool(self.raw["practical_component"])
        self.flag(unreadable & updates, Reason.BAD_FORMAT, "practical_component",
                  "« {value} » : répondez oui ou non (colonne « {column} »).",
                  '"{value}": answer yes or no (column "{column}").')
        return values


def _masculine(word: str) -> str:
    """`servie` → `servi`, `scellées` → `scelle`: the word of `NEW_DETAILS` it agrees from."""
    if word in _DETAIL_WORDS or len(word) <= 4:
        return word
    for ending in ("es", "e", "s"):
        if word.endswith(ending) and word[:-len(ending)] in _DETAIL_WORDS:
            return word[:-len(ending)]
    return word


def _keeps_new(detail: str) -> bool:
    """Whether the details after "neuf" say nothing against it: the words are wholly covered by
    `NEW_DETAILS` entries and warranties, one after the other ("sous blister garantie 2 ans",
    agreement undone); a single word outside them ("raye", "abime", "ish") and it is not new."""
    words = [_masculine(word) for word in detail.split()]
    covered = [True] + [False] * len(words)  # covered[i]: the first i words are details
    for end in range(1, len(words) + 1):
        covered[end] = any(covered[start] and (" ".join(words[start:end]) in NEW_DETAILS
                                               or _WARRANTY.fullmatch(" ".join(words[start:end])))
                           for start in range(max(0, end - 5), end))
    return bool(words) and covered[-1]


def condition_code(value: str) -> str:
    """The condition a seller's word means, or the word itself (lower case: refused by
    `OFFER_SCHEMA`). Empty is new."""
    if not value:
        return "new"
    words = " ".join(CONDITION_AGREEMENT.get(word, word) for word in word_key(value).split())
    for used in USED_GRADE:
        if words.startswith(used):
            grade = CONDITION_WORDS.get(words.removeprefix(used))
            # "Occasion - Neuf" says two things: refused, the seller chooses
            return value.lower() if grade in (None, "new") else grade
    for state, code in QUALIFIED_STATES.items():  # "Neuf - sous blister", "Reconditionné - Comme neuf"
        if words.startswith(state) and (code != "new" or _keeps_new(words.removeprefix(state))):
            return code
    return CONDITION_WORDS.get(words, value.lower())


def validate_offers(frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext) -> Validated:
    """Type and check one chunk of an offer file (no database access)."""
    return OfferValidator(frame, headers, ctx).run()
