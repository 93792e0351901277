"""Which of the seller's columns is which field: aliases, required columns, unknown columns.

Headers match case-, accent- and space-insensitively (`loaders.headers.header_key`), through
each field's aliases, a template's hint or unit after the name left out. Required
columns that are missing reject the file, all named in one message, each with the closest
header the seller did write, so a typo ("prixx") or a variant ("Prix de vente") is obvious.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from loaders.headers import header_key, header_units, normalize_header, without_answer_hints
from marketplace.errors import FileRejected, Problem, Reason, Severity, reject_file

# How alike a header must be to a column's name or alias to be suggested for it: difflib's
# usual cutoff ("prixx" for "prix", "Réf. vendeur" for "ref vendeur" are well above it).
_CLOSE_ENOUGH = 0.6
# A header holding a name as whole words is, from nearest to farthest: one whose other words
# only say whose it is (`_WHOSE_IT_IS` or the field's own words: "Intitulé de la session",
# "Prix du produit", "Titre du volume"; the more of it the name covers, the nearer); one with
# other words ("Prix Amazon", "Titre original"); one with a word naming another thing
# (`_ANOTHER_THING`: "Prix d'achat", "Prix livraison", "Titre de la série", "Nom du vendeur"),
# only close enough. The first beats a header that merely looks alike ("Nombre de places",
# 0.64 from "nom du produit": renamed as suggested, it loaded "12" as every title). A name of
# three letters or less ("du", "réf", "nom") counts at either end of the header only: "Prix
# du produit" is no start date.
_HOLDS_THE_NAME = 0.75
_HOLDS_IT_AMONG_OTHERS = 0.65
_WHOSE_IT_IS = frozenset({
    "", "de", "du", "des", "d", "la", "le", "les", "l", "a", "au", "aux", "en", "pour", "of",
    "the", "produit", "article", "formation", "session", "ouvrage", "livre", "volume",
    "vente", "catalogue", "principal", "principale", "site", "ttc", "unitaire"})
_ANOTHER_THING = frozenset({
    "achat", "fournisseur", "fabricant", "constructeur", "livraison", "port", "conseille",
    "barre", "ht", "minimum", "maximum", "plancher", "concurrent", "net", "parent", "vendeur",
    "auteur", "editeur", "marque", "serie", "collection", "interne", "expedition", "promo",
    "promotion", "offre", "date", "(date)", "heure", "operation", "pri"})  # "pri": prix
"""Words that make a header another thing's, unless the field's own names use them (a
promotion's "Date début promo", the sku's "Réf interne"). Compared without a final s or x.
"date" among them, not among the words saying whose it is: "Date prix" was the price's first
suggestion beside "Prix de vente (nouveau)"."""
_SAME_AS = {"operation": "promotion", "(date)": "date", "promo": "promotion"}
"""Words that are a field's own when it has the other (a promotion's "Type d'opération",
"Du (date)"), and another thing's otherwise (the price's "Prix de l'opération")."""


@dataclass(frozen=True)
class ColumnSpec:
    """A field of a feed and the header texts that name it."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    required_for_updates: bool = False  # needed unless every row of the file is a deletion
    other_units: frozenset[str] = frozenset()
    """Units that make a header another quantity: "Remise (€)" is an amount, not a percentage."""
    label: str = ""
    numeric: bool = False
    """Its values are amounts or counts (they hold digits): words under its header are a second
    header line (`loaders.split_headers`)."""
    yes_no: bool = False
    """Its answers are yes or no, which its header may say: `Mise en situation (oui/non)`,
    `Mise en situation ?` (`loaders.headers.without_answer_hints`). Only such a field: as
    general hints, `Stock (oui/non)` was a second stock column and `Prix (non TTC)` the price."""
    fallback_aliases: tuple[str, ...] = ()
    """Names that stand for the field only where no other column of the file names it: another
    platform's export names (Shopify's `Variant SKU`) and sellers' own wordings (`Etat
    produit`, `Gencod`, `Qté dispo`). A file with both such a column and ours (`Regular price`
    beside `prix`, as sellers completed it; `Qté` beside `Qté dispo`) reads ours and keeps the
    other as a column ignored, never refused for naming the field twice."""

    weak_aliases: tuple[str, ...] = ()
    """Fallback names so common that another fallback beside them is the field (`Barcode` beside
    Shopify's `Variant Barcode`, `Selling price` beside `Regular price`): read alone only."""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.fallback_aliases, *self.weak_aliases)

    def header_keys(self) -> set[str]:
        return {header_key(name) for name in self.names}

    @property
    def shown_name(self) -> str:
        """The column as a message names it when the file lacks it: its `label` ("prix promo",
        the header of the seller's template) where the field's name is no word a seller has
        seen (`discount_price`), else the name."""
        return self.label or self.name


@dataclass(frozen=True)
class OtherFeedColumns:
    """Columns of another feed that sellers put in this one's file, and where they belong.

    Said only when two or more of a file's unknown headers are such columns: one header
    ("Type", "Fin") may be anything, two are the other file's layout."""

    specs: tuple[ColumnSpec, ...]
    where_fr: str
    where_en: str

    def among(self, headers: list[str]) -> list[str]:
        keys = {key for spec in self.specs for key in spec.header_keys()}
        found = [header for header in headers if header_key(header) in keys]
        return found if len(found) >= 2 else []


@dataclass
class HeaderMap:
    """Field name → position of its column in the file, and the seller's text for each."""

    positions: dict[str, int]
    headers: list[str]
    unknown: list[str] = field(default_factory=list)
    specs: tuple[ColumnSpec, ...] = ()
    yielded: list[str] = field(default_factory=list)
    """Fallback columns left for ours naming the same field (`Variant Price` beside `prix`):
    known, not read."""

    def require_update_columns(self) -> None:
        """Reject the file if columns that update rows need are missing, naming them all."""
        missing = [s for s in self.specs if s.required_for_updates and s.name not in self.positions]
        if missing:
            raise _missing_columns(missing, self.unknown)

    def header_of(self, name: str) -> str:
        return self.headers[self.positions[name]]

    def unknown_columns_warnings(self, other: OtherFeedColumns | None = None) -> list[Problem]:
        """The headers no field has, as warnings: those of the other seller file named as such,
        with where they go, the rest as unknown."""
        misplaced = other.among(self.unknown) if other else []
        unknown = [h for h in self.unknown if h not in misplaced]
        warnings = []
        if misplaced:
            warnings.append(Problem(
                Reason.UNKNOWN_COLUMN, f"{_names_fr(misplaced)} {other.where_fr}",
                f"{_names_en(misplaced)} {other.where_en}", severity=Severity.WARNING))
        if unknown:
            warnings.append(Problem(
                Reason.UNKNOWN_COLUMN, f"Colonnes inconnues ignorées : {_names_fr(unknown)}.",
                f"Unknown columns ignored: {_names_en(unknown)}.", severity=Severity.WARNING))
        if self.yielded:
            warnings.append(Problem(
                Reason.UNKNOWN_COLUMN,
                f"Colonnes ignorées : {_names_fr(self.yielded)} ; les colonnes de même sens à nos"
                " noms sont lues (vérifiez que ce sont les bonnes valeurs).",
                f"Columns ignored: {_names_en(self.yielded)}; the columns of the same meaning under"
                " our names are read (check they hold the right values).",
                severity=Severity.WARNING))
        return warnings


def _names_fr(headers: list[str]) -> str:
    return ", ".join(f"« {h} »" for h in headers)


def _names_en(headers: list[str]) -> str:
    return ", ".join(f'"{h}"' for h in headers)


def known_header_names(specs: tuple[ColumnSpec, ...]) -> tuple[str, ...]:
    """Every header text that names some field, as the spec writes it, for finding the header
    row: `open_table` matches them space-insensitively, and lists the first ones as they are
    when no row holds them (a seller reads "délai d'expédition", not a normalized key). The
    order is the message's: each field's name and first alias, the required fields first
    ("sku, offer_sku, title, titre, category, catégorie, price, prix..."), then the rest (an
    alphabetical list showed "action, category, category_code..." and never "prix")."""
    needed = sorted(specs, key=lambda spec: not (spec.required or spec.required_for_updates))
    first = [name for spec in needed for name in spec.names[:2]]
    return tuple(dict.fromkeys([*first, *(name for spec in specs for name in spec.names)]))


def map_headers(headers: list[str], specs: tuple[ColumnSpec, ...]) -> HeaderMap:
    """Match the seller's headers to fields; reject the file if a required one is missing."""
    by_key = {key: spec for spec in specs for key in spec.header_keys()}
    fallback = {header_key(alias) for spec in specs for alias in spec.fallback_aliases}
    weak = {header_key(alias) for spec in specs for alias in spec.weak_aliases}
    positions: dict[str, int] = {}
    unknown: list[str] = []
    deferred: list[tuple[int, str, ColumnSpec]] = []
    for position, header in enumerate(headers):
        key = header_key(header)
        spec = by_key.get(key)
        hinted = False
        if spec is None:  # "Mise en situation (oui/non)": the yes-or-no fields only
            spec = by_key.get(without_answer_hints(key))
            spec, hinted = (spec, True) if spec and spec.yes_no else (None, False)
        if spec is not None and spec.other_units & header_units(header):
            spec = None
        if spec is None:
            if header.strip():
                unknown.append(header)
            continue
        if hinted or key in fallback or key in weak:  # beside the plain name, it is read
            deferred.append((position, header, spec, 0 if hinted else 2 if key in weak else 1))
            continue
        if spec.name in positions:
            raise _duplicate_header(spec, headers, positions[spec.name], position)
        positions[spec.name] = position
    ours = set(positions)
    yielded: list[str] = []
    # only where none of our names is there; a hinted name ("Mise en situation ?") before a
    # fallback one ("Mises en situation", which may describe the exercises)
    # fallback one ("Mises en situation", which may describe the exercises), a weak one last
    ranked = sorted(deferred, key=lambda entry: entry[3])
    taken_at: dict[str, int] = {}  # the rank that took a field
    for position, header, spec, rank in ranked:
        if spec.name in ours or (rank and taken_at.get(spec.name) == 0) or (
                rank == 2 and taken_at.get(spec.name) == 1):
            yielded.append(header)
        elif spec.name in positions:  # two fallback (or two weak) columns: which one?
            raise _duplicate_header(spec, headers, positions[spec.name], position)
        else:
            positions[spec.name] = position
            taken_at[spec.name] = rank
    missing = [s for s in specs if (s.required or s.required_for_updates) and s.name not in positions]
    if any(spec.required for spec in missing):  # rejected anyway: name what update rows lack too
        raise _missing_columns(missing, unknown)
    return HeaderMap(positions, list(headers), unknown, specs, yielded)


def _duplicate_header(spec: ColumnSpec, headers: list[str], first: int, second: int) -> FileRejected:
    """Named with the columns' letters as Excel shows them: "« prix » and « prix »" alone did
    not say where the second one was (a hidden column, far to the right)."""
    from xlsxwriter.utility import xl_col_to_name  # only here: the error is rare

    one, other = (f"« {headers[at]} » (colonne {xl_col_to_name(at)})" for at in (first, second))
    one_en, other_en = (f'"{headers[at]}" (column {xl_col_to_name(at)})' for at in (first, second))
    return reject_file(
        Reason.DUPLICATE_HEADER,
        f"Les colonnes {one} et {other} désignent toutes deux « {spec.name} » : gardez-en une"
        " seule (une colonne masquée compte aussi).",
        f'Columns {one_en} and {other_en} both mean "{spec.name}": keep only one (a hidden'
        " column counts too).",
        column=headers[second],
    )


_EXCLUDING_VAT = re.compile(r"(?:^|[^a-z])(?:ht|hors_taxes?|excl\.?_?vat|excluding_vat)(?:$|[^a-z])")


def _missing_columns(specs: list[ColumnSpec], unknown: list[str]) -> FileRejected:
    """One rejection naming every missing column, each in a sentence of its own (the message
    for a single column is that sentence), with the closest header of the file if any."""
    suggested = _suggestions(specs, unknown)
    sentences = [_missing_sentence(spec, suggested.get(spec.name)) for spec in specs]
    return reject_file(
        Reason.MISSING_COLUMN,
        " ".join(fr for fr, _ in sentences),
        " ".join(en for _, en in sentences),
        column=", ".join(spec.name for spec in specs),
    )


def _missing_sentence(spec: ColumnSpec, suggestion: str | None) -> tuple[str, str]:
    hint_fr = f" Vouliez-vous dire « {suggestion} » ?" if suggestion else ""
    hint_en = f' Did you mean "{suggestion}"?' if suggestion else ""
    if suggestion and _EXCLUDING_VAT.search(normalize_header(suggestion)):
        # renamed as asked, "Prix HT" would load prices a fifth too low
        hint_fr = (f" « {suggestion} » est un prix hors taxes : la colonne attendue est le prix"
                   " TTC, payé par le client (« Prix TTC »).")
        hint_en = (f' "{suggestion}" is a price excluding VAT: the column expected is the price'
                   ' including VAT the customer pays ("Prix TTC").')
    aliases = ", ".join(spec.aliases)
    # French first: « fin » (ou : end_at, ...), not the field's code before the seller's word
    others_fr = ", ".join(name for name in (spec.name, *spec.aliases) if name != spec.shown_name)
    also_fr = f" (ou : {others_fr})" if others_fr else ""
    also_en = f" (or: {aliases})" if aliases else ""
    return (
        f"Colonne obligatoire absente : « {spec.shown_name} »{also_fr}.{hint_fr}",
        f'Required column missing: "{spec.name}"{also_en}.{hint_en}',
    )


def _suggestions(specs: list[ColumnSpec], headers: list[str]) -> dict[str, str]:
    """Column name → the unknown header closest to it, if close enough. Closest pairs are
    matched first and a header is suggested once: "Réf. vendeur" is the sku's, not also the
    seller's (whose alias "vendeur" it holds)."""
    pairs = sorted(
        ((_closeness(header, spec), spec.name, header) for spec in specs for header in headers),
        key=lambda pair: pair[0],
        reverse=True,  # stable: on a tie, the column, then the header, that comes first
    )
    suggested: dict[str, str] = {}
    for closeness, name, header in pairs:
        if closeness >= _CLOSE_ENOUGH and name not in suggested and header not in suggested.values():
            suggested[name] = header
    return suggested


_PROMOTIONAL = re.compile(r"_(?:sale|promo|promotion|promotionnel|soldes?|remise|reduction"
                          r"|discount|discounted|barre)_")


def _closeness(header: str, spec: ColumnSpec) -> float:
    """How near a header is to the column's closest name or alias: for a name it holds as
    whole words, as sellers lengthen names ("Prix de vente", "SKU vendeur"), what its other
    words say (`_held`); for the others, the similarity of their keys (difflib's ratio)."""
    key, words = header_key(header), f"_{normalize_header(header)}_"
    if spec.name == "price" and _PROMOTIONAL.search(words) and "_avant_" not in words:
        # renamed as asked, "Sale price" would load the promotion as the price ("Prix avant
        # remise" is the price before it)
        return 0.0
    own = frozenset(word for name in spec.names for word in re.split(r"[_']", normalize_header(name)))
    # a name the header holds is judged by what the rest says, not by how alike the two look
    # ("Référence mère" is 0.82 alike "référence")
    # ... and only so: "Titre de la collection" held the title with another thing's word, yet
    # came first through its likeness to "titre de la formation"
    held = [_held(name, header, own) for name in spec.names if _holds(header, name)]
    closeness = max(held) if held else max(
        difflib.SequenceMatcher(None, key, header_key(name)).ratio() for name in spec.names)
    if spec.name == "price" and _EXCLUDING_VAT.search(normalize_header(header)):
        return min(closeness, _CLOSE_ENOUGH)  # any other candidate first; alone, it is explained
    return closeness


def _holds(header: str, name: str) -> bool:
    """Whether the header holds the name as whole words (a name of three letters or less, at
    either end)."""
    name_words, words = f"_{normalize_header(name)}_", f"_{normalize_header(header)}_"
    if len(header_key(name)) <= 3:
        return words.startswith(name_words) or words.endswith(name_words)
    return name_words in words


def _held(name: str, header: str, own: frozenset[str]) -> float:
    """The closeness of a header holding `name` as whole words: the more of the header the
    name covers, the nearer ("Réf vendeur interne" is the sku's "ref vendeur" before the
    seller's "vendeur")."""
    name_words, words = f"_{normalize_header(name)}_", f"_{normalize_header(header)}_"
    others = {re.sub(r"[sx]$", "", word)  # plurals too
              for word in re.split(r"[_']", words.replace(name_words, "_", 1))} - own
    others = {word for word in others if _SAME_AS.get(word) not in own}
    covered = len(header_key(name)) / len(header_key(header))
    if others & _ANOTHER_THING:
        return _CLOSE_ENOUGH + 0.04 * covered
    if not others <= _WHOSE_IT_IS:
        return _HOLDS_IT_AMONG_OTHERS + 0.04 * covered
    return _HOLDS_THE_NAME + 0.2 * covered
