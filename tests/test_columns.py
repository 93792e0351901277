"""Which of the seller's columns is which field: header keys, aliases, missing columns."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loaders.headers import header_key
from loaders.reader import open_table
from marketplace.cli import app
from marketplace.errors import FileRejected, Problem, Reason
from schemas.columns import ColumnSpec, known_header_names, map_headers
from schemas.offers import OFFER_COLUMNS
from schemas.orders import ORDER_COLUMNS
from schemas.promotions import PROMOTION_COLUMNS
from schemas.seller_file_columns import (
    OFFER_COLUMNS_IN_PROMOTION_FILES,
    PROMOTION_COLUMNS_IN_OFFER_FILES,
)
from schemas.sellers import SELLER_COLUMNS

FEEDS = {
    "offers": OFFER_COLUMNS,
    "promotions": PROMOTION_COLUMNS,
    "sellers": SELLER_COLUMNS,
    "orders": ORDER_COLUMNS,
}


def missing(headers: list[str], specs: tuple[ColumnSpec, ...] = OFFER_COLUMNS) -> Problem:
    """The problem these headers are rejected with, by `map_headers` or for update rows."""
    with pytest.raises(FileRejected) as caught:
        map_headers(headers, specs).require_update_columns()
    return caught.value.problem


# --------------------------------------------------------------------------- header keys


@pytest.mark.parametrize("columns", FEEDS.values(), ids=FEEDS)
def test_no_header_key_names_two_columns_of_a_feed(columns: tuple[ColumnSpec, ...]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for spec in columns:
        for key in spec.header_keys():
            owners[key].add(spec.name)
    assert {key: names for key, names in owners.items() if len(names) > 1} == {}


@pytest.mark.parametrize(
    ("written", "alias"),
    [
        ("PrixTTC", "Prix TTC"),
        ("Prix\u00a0TTC", "Prix TTC"),
        ("Prix\u202f\u202fTTC", "Prix TTC"),
        ("RefVendeur", "Ref vendeur"),
        ("Remise%", "Remise %"),
        ("Prixpromo", "prix promo"),
        ("DélaiD'expédition", "délai d'expédition"),
        ("offersku", "offer-sku"),
    ],
)
def test_header_keys_ignore_every_space(written: str, alias: str) -> None:
    assert header_key(written) == header_key(alias)


@pytest.mark.parametrize(
    ("headers", "specs", "expected"),
    [
        (["RefVendeur", "Titre", "Catégorie", "PrixTTC"], OFFER_COLUMNS,
         {"sku": 0, "title": 1, "category": 2, "price": 3}),
        (["RefVendeur", "Type", "Prixpromo", "Remise%", "Début", "Fin"], PROMOTION_COLUMNS,
         {"sku": 0, "promotion_type": 1, "discount_price": 2, "discount_percent": 3, "start_at": 4,
          "end_at": 5}),
    ],
)
def test_headers_without_their_spaces_match(
    headers: list[str], specs: tuple[ColumnSpec, ...], expected: dict[str, int]
) -> None:
    mapping = map_headers(headers, specs)
    assert (mapping.positions, mapping.unknown) == (expected, [])


def test_the_header_row_is_found_without_spaces_in_its_names(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("Catalogue\r\nRefVendeur;PrixTTC;Libellé\r\nA1;12,50;Chaise\r\n", encoding="utf-8")
    with open_table(path, known_headers=known_header_names(OFFER_COLUMNS)) as table:
        assert (table.info.header_row, len(list(table))) == (2, 1)


def test_no_header_row_lists_the_names_as_a_seller_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("note\r\n" * 11 + "x;y\r\n", encoding="utf-8")
    with pytest.raises(FileRejected) as rejected, open_table(
            path, known_headers=known_header_names(OFFER_COLUMNS)):
        pass
    message = rejected.value.problem.message_fr
    # the required fields first, each with its first alias, as written ("catégorie", not its
    # key): an alphabetical list began "action, category, category_code" and never said "prix"
    assert "(sku, offer_sku, title, titre, category, catégorie, price, prix, product_id," in message


# --------------------------------------------------------------------------- missing columns


def test_every_missing_required_column_is_named_with_its_closest_header() -> None:
    problem = missing(["Réf vendeur interne", "Titre", "Catégorie", "Prix HT"])
    assert (problem.code, problem.column) == (Reason.MISSING_COLUMN, "sku, price")
    sku_fr = ("« sku » (ou : offer_sku, offer-sku, reference, référence, ref vendeur, réf, réf.,"
              " référence vendeur, référence produit, code article, sku vendeur, ugs)")
    price_fr = ("« price » (ou : prix, prix ttc, prix de vente, prix de vente ttc, prix public,"
                " prix public ttc, prix unitaire ttc, tarif régulier, prix régulier)")
    assert problem.message_fr == (
        f"Colonne obligatoire absente : {sku_fr}. Vouliez-vous dire « Réf vendeur interne » ? "
        f"Colonne obligatoire absente : {price_fr}. « Prix HT » est un prix hors taxes : la"
        " colonne attendue est le prix TTC, payé par le client (« Prix TTC »)."
    )
    assert problem.message_en.endswith('"Prix HT" is a price excluding VAT: the column expected'
                                       ' is the price including VAT the customer pays ("Prix TTC").')


def test_common_french_header_names_and_units_in_brackets_are_read() -> None:
    """Whole files were refused for "Désignation" or "Prix de vente TTC (€)"; a price excluding
    VAT is never taken for the customer price."""
    headers = ["Réf.", "Désignation", "Code EAN", "Catégorie", "Prix de vente TTC (€)", "Qté",
               "État du produit", "Délai d'expédition (jours)"]
    mapped = map_headers(headers, OFFER_COLUMNS)
    assert mapped.unknown == []
    assert [mapped.header_of(name) for name in ("sku", "title", "product_id", "price", "quantity",
                                                "condition", "leadtime_to_ship")] == [
        "Réf.", "Désignation", "Code EAN", "Prix de vente TTC (€)", "Qté", "État du produit",
        "Délai d'expédition (jours)"]
    for excluding_vat in ("Prix (HT)", "Prix HT", "Prix de vente HT (€)"):
        assert "price" not in map_headers(["sku", excluding_vat], OFFER_COLUMNS).positions


@pytest.mark.parametrize(
    ("written", "column"),
    [
        ("Quantité disponible", "quantity"),
        ("Code EAN13", "product_id"),
        ("N° EAN", "product_id"),
        ("Prix unitaire TTC", "price"),
        ("Prix TTC en €", "price"),
        ("Prix de vente TTC en euros", "price"),
        ("Catégorie (code)", "category"),
        ("Catégorie\n(code)", "category"),  # Alt+Enter in a template's title
        ("Catégorie\r\n(code)", "category"),
        ("Titre  (obligatoire)", "title"),
        ("Prix TTC (€) (obligatoire)", "price"),
        ("Délai d'envoi (jours)", "leadtime_to_ship"),
        ("Mode d'expédition", "delivery"),
        ("Mode d\u2019expédition", "delivery"),
        ("Prix T.T.C.", "price"),  # abbreviation dots: one whole-file rejection each
        ("Prix TTC €", "price"),
        ("Qté.", "quantity"),
        ("GTIN, UPC, EAN, or ISBN", "product_id"),  # WooCommerce's export in English
    ],
)
def test_the_headers_french_templates_write_are_read(written: str, column: str) -> None:
    """Each was only an unknown column: a stock update headed "Quantité disponible" left every
    stored stock as it was, without a word but a warning."""
    mapped = map_headers(["sku", written], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0, column: 1}, [])


def test_fnac_s_offer_reference_is_the_sku() -> None:
    mapped = map_headers(["offer-seller-id", "product-id", "price", "quantity"], OFFER_COLUMNS)
    assert (mapped.positions["sku"], mapped.unknown) == (0, [])


def test_a_shop_s_categories_column_gives_way_to_ours() -> None:
    """Magento's export completed with the `category` column the refusal asked for was refused
    for naming the category twice."""
    mapped = map_headers(["sku", "name", "categories", "price", "category"], OFFER_COLUMNS)
    assert mapped.positions["category"] == 4
    assert map_headers(["UGS", "Catégories"], OFFER_COLUMNS).positions["category"] == 1
    assert map_headers(["sku", "Catégories", "Catégorie produit"], OFFER_COLUMNS).positions[
        "category"] == 2


@pytest.mark.parametrize("written", ["Référence #", "Reference #", "Référence n°", "N° de référence",
                                     "Référence nº", "Nº de référence"])
def test_prestashop_s_reference_is_the_sku(written: str) -> None:
    """PrestaShop's "Référence #": the file was refused for a missing sku, with "Profondeur"
    (the depth) suggested. A number mark elsewhere names another column."""
    mapped = map_headers([written, "titre"], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0, "title": 1}, [])
    mapped = map_headers(["sku", "catégorie n°", "catégorie", "EAN #", "ean"], OFFER_COLUMNS)
    assert mapped.unknown == ["catégorie n°", "EAN #"]


@pytest.mark.parametrize("written", ["Prix (HT)", "Prix HT en €", "Prix HT €", "Catégorie (libellé)",
                                     "Prix (promo)", "Stock (réservé)", "Prix en $"])
def test_a_hint_that_changes_what_the_column_holds_is_not_dropped(written: str) -> None:
    mapped = map_headers(["sku", written], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0}, [written])


@pytest.mark.parametrize(("written", "column"), [
    ("Etat produit", "condition"), ("État de l'article", "condition"), ("Condition du produit", "condition"),
    ("Etat (neuf/occasion)", "condition"), ("item-condition", "condition"), ("Etat\nproduit", "condition"),
    ("Gencod", "product_id"), ("EAN/ISBN", "product_id"), ("Code EAN / ISBN", "product_id"),
    ("EAN (13 chiffres)", "product_id"), ("Code EAN (13 chiffres)", "product_id"),
    ("GTIN (13 chiffres)", "product_id"), ("État du livre", "condition"), ("Etat de l'offre", "condition"),
    ("Qté dispo", "quantity"), ("qty", "quantity"),
    ("Désignation article", "title"), ("Catégorie produit", "category"), ("PV TTC", "price"),
    ("Réf produit", "sku"), ("Délai de traitement", "leadtime_to_ship"),
    ("Délai expédition (jours ouvrés)", "leadtime_to_ship"), ("Caté\u00adgorie", "category"),
])
def test_a_sellers_own_wording_of_a_column_is_read(written: str, column: str) -> None:
    """A condition column headed "Etat produit" was ignored with a warning: the used books of
    the file went on sale as new, exit 0. An EAN headed "Gencod" refused every new row."""
    others = ["Description"] if column == "sku" else ["Description", "sku"]
    mapped = map_headers([written, *others], OFFER_COLUMNS)
    assert mapped.positions[column] == 0 and mapped.unknown == []


@pytest.mark.parametrize("written", ["Quantité vendue", "Stock en commande", "Qté par carton",
                                     "EAN du pack", "EAN carton", "Condition de vente",
                                     "Etat de la fiche", "Stock réservé", "Délai", "ISBN (10)",
                                     "EAN (13)"])
def test_a_column_holding_something_else_stays_unknown(written: str) -> None:
    """Words alone said too much: "Quantité vendue" became the stock, "EAN du pack" the
    product's EAN, "Condition de vente" refused every row as an unknown condition."""
    mapped = map_headers(["sku", written], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0}, [written])


def test_a_sellers_wording_beside_our_name_is_ignored_not_refused() -> None:
    """`Qté` beside `Qté dispo`, `Référence` beside `Réf produit`: the file loaded before these
    names were known, and must not be refused now for naming a field twice."""
    headers = ["Référence", "Réf produit", "Qté", "Qté dispo", "Etat", "item-condition", "prix",
               "PV TTC", "Titre", "Catégorie", "EAN", "EAN (13 chiffres)", "ISBN (10 chiffres)"]
    mapped = map_headers(headers, OFFER_COLUMNS)
    assert mapped.positions == {"sku": 0, "quantity": 2, "condition": 4, "price": 6, "title": 8,
                                "category": 9, "product_id": 10}
    assert mapped.yielded == ["Réf produit", "Qté dispo", "item-condition", "PV TTC", "EAN (13 chiffres)"]
    assert mapped.unknown == ["ISBN (10 chiffres)"]


def test_a_woocommerce_french_export_is_read() -> None:
    """Its price is "Tarif régulier" ("Tarif promo" is the sale price): the file was refused,
    suggesting the 0/1 column "Publié" for the price, which loaded every offer at 1,00 €."""
    headers = ["ID", "Type", "UGS", "Nom", "Publié", "Description", "Stock", "Tarif promo",
               "Tarif régulier", "Catégories", "GTIN, UPC, EAN ou ISBN"]
    mapped = map_headers(headers, OFFER_COLUMNS)
    mapped.require_update_columns()
    assert mapped.positions == {"sku": 2, "title": 3, "description": 5, "quantity": 6,
                                "price": 8, "category": 9, "product_id": 10}
    assert mapped.unknown == ["ID", "Type", "Publié", "Tarif promo"]


def test_a_dotted_abbreviation_of_the_sku_is_the_sku() -> None:
    """"Réf. vendeur" refused the file, suggesting "Réf. vendeur" for the missing sku."""
    mapped = map_headers(["Réf. vendeur", "Prix"], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0, "price": 1}, [])


@pytest.mark.parametrize("written", ["Remise (€)", "Remise en €", "Remise en euros", "Remise €"])
def test_a_discount_in_euros_is_never_taken_for_a_percentage(written: str) -> None:
    """"Remise" is a percentage; with a currency it is an amount off: 3 under "Remise en €"
    was applied as 3 %, and nothing said so."""
    mapped = map_headers(["sku", "type", written, "début", "fin"], PROMOTION_COLUMNS)
    assert "discount_percent" not in mapped.positions and mapped.unknown == [written]
    percent = map_headers(["sku", "type", "Remise (%)", "début", "fin"], PROMOTION_COLUMNS)
    assert "discount_percent" in percent.positions


def test_a_delivery_time_beside_the_time_to_ship_is_no_second_lead_time() -> None:
    """Exports carry both; "Délai de livraison" is the whole time to the customer, often
    "2 à 3 jours": taken for the lead time, it refused the whole file as a duplicate column."""
    mapped = map_headers(["sku", "Délai d'expédition", "Délai de livraison"], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0, "leadtime_to_ship": 1},
                                                  ["Délai de livraison"])


def test_a_header_broken_over_two_lines_in_an_xlsx_is_read(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Référence", "Titre", "Catégorie\n(code)", "Prix TTC\nen €"])
    workbook.active.append(["A1", "Chaise", "livres", "12,50"])
    workbook.save(tmp_path / "o.xlsx")
    with open_table(tmp_path / "o.xlsx", known_headers=known_header_names(OFFER_COLUMNS)) as table:
        mapped = map_headers(list(table.info.headers), OFFER_COLUMNS)
    mapped.require_update_columns()
    assert (mapped.positions, mapped.unknown) == ({"sku": 0, "title": 1, "category": 2, "price": 3}, [])


@pytest.mark.parametrize(
    ("written", "column"),
    [
        ("Réf vendeur interne", "sku"),
        ("SKU fournisseur", "sku"),
        ("refvendeurr", "sku"),
        ("Prix d'achat", "price"),
        ("prixx", "price"),
    ],
)
def test_the_suggestion_is_measured_against_every_alias(written: str, column: str) -> None:
    others = {"sku": ["titre", "catégorie", "prix"], "price": ["sku", "titre", "catégorie"]}[column]
    problem = missing([*others, written])
    assert f"« {column} »" in problem.message_fr
    assert f"Vouliez-vous dire « {written} » ?" in problem.message_fr
    assert f'Did you mean "{written}"?' in problem.message_en


def test_a_header_is_suggested_for_one_column_only() -> None:
    problem = missing(["order_id", "ordered_at", "amount", "Réf vendeur interne"], ORDER_COLUMNS)
    # the header holds the seller's alias "vendeur", but is closest to the sku's "ref vendeur"
    assert problem.column == "seller_id, sku"
    assert problem.message_fr.count("Vouliez-vous dire « Réf vendeur interne » ?") == 1
    sku = "« sku » (ou : offer_sku, offer-sku, référence, reference, ref vendeur). Vouliez-vous dire"
    assert sku in problem.message_fr


@pytest.mark.parametrize(("headers", "suggested"), [
    # "Nombre de places" looked like "nom du produit": renamed as told, "12" was every title
    (["Référence", "Intitulé de la session", "Catégorie", "Prix TTC", "Nombre de places"],
     "Intitulé de la session"),
    # a short name in a long header says little: the purchase cost, the maker's reference
    (["sku", "titre", "catégorie", "Tarif", "Prix d'achat"], "Tarif"),
    (["sku", "titre", "catégorie", "Tarif", "Prix conseillé"], "Tarif"),
    (["Code produit", "Réf fabricant", "titre", "catégorie", "prix"], "Code produit"),
    (["sku", "titre", "catégorie", "Prx", "Prix HT"], "Prx"),  # excluding VAT: last resort
    (["sku", "Titre de l'ouvrage", "Nom de l'auteur", "catégorie", "prix"], "Titre de l'ouvrage"),
    (["sku", "titre", "catégorie", "Tarif", "Prix fournisseur"], "Tarif"),
    # other words making it another thing's: the shipping cost loaded as every price
    (["sku", "titre", "catégorie", "Tarif", "Prix livraison"], "Tarif"),
    (["sku", "titre", "catégorie", "Tarif", "Prix fournisseurs"], "Tarif"),
    (["sku", "titre", "catégorie", "Tarif", "Prix minimum"], "Tarif"),
    (["Réf. article", "SKU parent", "titre", "catégorie", "prix"], "Réf. article"),
    (["sku", "Nom commercial", "Nom du vendeur", "catégorie", "prix"], "Nom commercial"),
    (["sku", "Titre de la série", "Titre du volume", "catégorie", "prix"], "Titre du volume"),
    (["Référence de la promotion", "Réf produit vendeur", "titre", "catégorie", "prix"],
     "Réf produit vendeur"),
    (["sku", "titre", "Catégorie interne", "Catégorie du site", "prix"], "Catégorie du site"),
    # a name held among other words ranks below one whose other words say whose it is
    (["sku", "titre", "catégorie", "Prix Amazon", "Prix du produit"], "Prix du produit"),
    (["sku", "Titre original", "Titre de l'ouvrage", "catégorie", "prix"], "Titre de l'ouvrage"),
    (["Référence mère", "Référence de l'article", "titre", "catégorie", "prix"],
     "Référence de l'article"),
    (["Référence EAN", "Référence produit interne", "titre", "catégorie", "prix"],
     "Référence produit interne"),
])
def test_the_suggestion_is_the_header_most_likely_meant(headers, suggested) -> None:
    assert f"Vouliez-vous dire « {suggested} » ?" in missing(headers).message_fr


@pytest.mark.parametrize(("headers", "suggested"), [
    (["sku", "Type de l'offre", "Type remise", "prix promo", "début", "fin"], "Type remise"),
    (["sku", "Type client", "Type d'opération", "prix promo", "début", "fin"], "Type d'opération"),
    (["sku", "type", "prix promo", "Date de début d'affichage", "Date de début de l'opération",
      "fin"], "Date de début de l'opération"),
    # an hour is another thing than the start's day, however like the start's long name
    (["sku", "type", "prix promo", "Heure de début de la promotion", "Jour de début", "fin"],
     "Jour de début"),
])
def test_a_promotion_column_is_suggested_by_whose_it_is(headers, suggested) -> None:
    assert f"Vouliez-vous dire « {suggested} » ?" in missing(headers, PROMOTION_COLUMNS).message_fr


@pytest.mark.parametrize(("headers", "suggested"), [
    # "date" said whose it is for every field; "Titre de la collection" and "Catégorie de prix"
    # came first through their likeness to another of the field's names
    (["sku", "titre", "catégorie", "Date prix", "Prix de vente (nouveau)"], "Prix de vente (nouveau)"),
    (["sku", "Titre de la collection", "Libellé complet", "catégorie", "prix"], "Libellé complet"),
    (["sku", "titre", "Catégorie de prix", "Catégorie Amazon", "prix"], "Catégorie Amazon"),
])
def test_a_header_holding_a_name_with_another_things_word_comes_after_the_others(
        headers, suggested) -> None:
    assert f"Vouliez-vous dire « {suggested} » ?" in missing(headers).message_fr


def test_a_thing_other_than_the_end_date_is_not_suggested_for_it() -> None:
    problem = missing(["sku", "type", "prix promo", "début", "Date d'expiration", "Fin de série"],
                      PROMOTION_COLUMNS)
    assert "Vouliez-vous dire « Date d'expiration » ?" in problem.message_fr


def test_beside_its_plain_name_a_hinted_practical_component_is_ignored_not_refused() -> None:
    """Both read as the field, the file was refused for naming it twice."""
    mapped = map_headers(["sku", "Mise en situation", "Mise en situation (oui/non)"], OFFER_COLUMNS)
    assert (mapped.positions, mapped.yielded) == ({"sku": 0, "practical_component": 1},
                                                  ["Mise en situation (oui/non)"])
    mapped = map_headers(["sku", "Mises en situation", "Mise en situation pratique"], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0, "practical_component": 1},
                                                  ["Mise en situation pratique"])
    # the hinted column is the yes or no; the plural beside it may describe the exercises
    mapped = map_headers(["sku", "Mises en situation", "Mise en situation ?"], OFFER_COLUMNS)
    assert (mapped.positions, mapped.yielded) == ({"sku": 0, "practical_component": 2},
                                                  ["Mises en situation"])


def test_a_short_name_in_a_promotion_header_is_not_its_start() -> None:
    """"Prix du produit" holds the start date's alias "du"."""
    problem = missing(["sku", "type", "prix promo", "Date départ", "fin", "Prix du produit"],
                      PROMOTION_COLUMNS)
    assert "Vouliez-vous dire « Date départ » ?" in problem.message_fr


@pytest.mark.parametrize(("start", "end"), [("Du (date)", "Au (date)"), ("Promo du", "Promo au")])
def test_a_short_name_at_either_end_of_a_header_is_suggested(start, end) -> None:
    """The end date was told « Du (date) »: renamed as suggested, each promotion ended on its
    start."""
    problem = missing(["sku", "type", "prix promo", start, end], PROMOTION_COLUMNS)
    starts, ends = problem.message_fr.split("Colonne obligatoire absente")[1:]
    assert f"Vouliez-vous dire « {start} » ?" in starts
    assert f"Vouliez-vous dire « {end} » ?" in ends


@pytest.mark.parametrize("headers", [["sku", "Stock", "Stock (oui/non)"], ["sku", "Stock", "Stock ?"],
                                     ["sku", "Prix (non TTC)"], ["sku", "Partie pratique"]])
def test_yes_no_hints_belong_to_the_practical_component_alone(headers) -> None:
    """`Stock (oui/non)` beside `Stock` refused the file as naming the stock twice, `Prix (non
    TTC)` loaded prices excluding VAT, and a `Partie pratique` describing the exercises
    refused every row as no yes or no."""
    mapped = map_headers(headers, OFFER_COLUMNS)
    assert mapped.unknown == headers[len(mapped.positions):]
    assert "price" not in mapped.positions and "practical_component" not in mapped.positions


@pytest.mark.parametrize(("written", "column"), [
    ("Mise en situation (Oui/Non)", "practical_component"),
    ("Mise en situation (O/N)", "practical_component"),
    ("Mise en situation ?", "practical_component"), ("Mises en situation", "practical_component"),
    ("Mise en situation (oui / non)", "practical_component"),
    ("Mises en situation (oui/non)", "practical_component"),
    ("Mises en situation ?", "practical_component"),
    ("Mise en situation (Y/N)", "practical_component"),
    ("Mise en situation (vrai/faux)", "practical_component"),
    ("Mise en situation (oui/non) ?", "practical_component"),
    ("Mise en situation* (oui/non)", "practical_component"),  # star, then hint: was unknown
    ("Mise en situation : oui/non", "practical_component"),
    ("Mise en situation (1=oui / 0=non)", "practical_component"),
    ("Titre de la formation *", "title"),
    ("Intitulé de la formation", "title"), ("Nom de la formation", "title"),
])
def test_a_training_catalogues_wording_is_read(written: str, column: str) -> None:
    """Ignored, every new training was refused for a missing "practical_component" beside the
    seller's own column of « Oui »; a title so headed refused the whole file."""
    mapped = map_headers(["sku", written], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0, column: 1}, [])


@pytest.mark.parametrize("header", ["Prix HT", "Prix (€ HT)", "Prix de vente HT", "Prix hors taxes"])
def test_a_price_excluding_vat_is_not_suggested_as_the_price(header: str) -> None:
    """"Vouliez-vous dire « Prix HT » ?" invited the seller to load prices a fifth too low."""
    message = missing(["sku", "titre", "catégorie", header]).message_fr
    assert f"« {header} » est un prix hors taxes : la colonne attendue est le prix TTC" in message
    assert "Vouliez-vous dire" not in message


def test_no_suggestion_without_a_close_header() -> None:
    problem = missing(["titre", "catégorie", "prix", "Couleur", "Finition"])
    assert problem.column == "sku"
    assert "Vouliez-vous dire" not in problem.message_fr and "Did you mean" not in problem.message_en


def test_columns_needed_by_update_rows_are_all_named_together() -> None:
    map_headers(["sku", "Libellé long", "Prix HT"], OFFER_COLUMNS)  # enough for deletions
    problem = missing(["sku", "Libellé long", "Prix HT"])
    assert (problem.code, problem.column) == (Reason.MISSING_COLUMN, "title, category, price")
    assert "Vouliez-vous dire « Libellé long » ? Colonne obligatoire absente : « category »" \
        in problem.message_fr
    assert problem.message_fr.endswith("« Prix HT » est un prix hors taxes : la colonne attendue"
                                       " est le prix TTC, payé par le client (« Prix TTC »).")


def test_a_file_missing_columns_exits_3_naming_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace.config import get_settings

    monkeypatch.setenv("MARKETPLACE_STORAGE", str(tmp_path / "store"))
    get_settings.cache_clear()
    path = tmp_path / "o.csv"
    content = "SKU fournisseur;titre;catégorie;Prix HT\r\nA1;Chaise;livres;12,50\r\n"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "offers", str(path), "--json"])
    get_settings.cache_clear()
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert (result.exit_code, answer["status"]) == (3, "rejected")
    [problem] = answer["problems"]
    assert (problem["code"], problem["column"]) == ("missing_column", "sku, price")


def test_a_promotion_file_with_the_usual_french_headers_is_read() -> None:
    """"Date début", "Date fin" and "Remise (%)" were refused (the dates as missing columns,
    the whole file rejected) or ignored (the percentage, every row then lacking a discount)."""
    headers = ["Référence", "Type", "Remise (%)", "Date début", "Date fin"]
    mapped = map_headers(headers, PROMOTION_COLUMNS)
    assert mapped.unknown == []
    assert {name: mapped.header_of(name) for name in ("discount_percent", "start_at", "end_at")} \
        == {"discount_percent": "Remise (%)", "start_at": "Date début", "end_at": "Date fin"}
    assert map_headers(["sku", "type", "Remise en %", "début", "fin"],
                       PROMOTION_COLUMNS).header_of("discount_percent") == "Remise en %"
    shop_sheet = map_headers(["Réf.", "Type de promo", "Prix promotionnel (€)", "Du", "Au"],
                             PROMOTION_COLUMNS)
    assert shop_sheet.unknown == []
    assert [shop_sheet.header_of(name) for name in ("discount_price", "start_at", "end_at")] == [
        "Prix promotionnel (€)", "Du", "Au"]


# --------------------------------------------------------------------------- the other file's columns


def test_promotion_columns_in_an_offer_file_are_said_to_belong_in_a_promotion_file() -> None:
    headers = ["sku", "titre", "catégorie", "prix", "Prix promo", "Début", "Couleur"]
    warnings = map_headers(headers, OFFER_COLUMNS).unknown_columns_warnings(
        PROMOTION_COLUMNS_IN_OFFER_FILES)
    assert [(w.code, w.message_fr.split(" : ")[0]) for w in warnings] == [
        (Reason.UNKNOWN_COLUMN, "« Prix promo », « Début » sont des colonnes de promotion"),
        (Reason.UNKNOWN_COLUMN, "Colonnes inconnues ignorées")]
    assert "inbox/promotions/" in warnings[0].message_fr and "« Couleur »" in warnings[1].message_fr


def test_one_header_that_a_promotion_file_also_has_is_only_unknown() -> None:
    headers = ["sku", "titre", "catégorie", "prix", "Type"]  # a product type, most likely
    warnings = map_headers(headers, OFFER_COLUMNS).unknown_columns_warnings(
        PROMOTION_COLUMNS_IN_OFFER_FILES)
    assert [w.message_fr for w in warnings] == ["Colonnes inconnues ignorées : « Type »."]


def test_offer_columns_in_a_promotion_file_are_said_to_belong_in_an_offer_file() -> None:
    headers = ["sku", "type", "remise %", "début", "fin", "Titre", "Prix TTC"]
    warnings = map_headers(headers, PROMOTION_COLUMNS).unknown_columns_warnings(
        OFFER_COLUMNS_IN_PROMOTION_FILES)
    assert len(warnings) == 1
    assert warnings[0].message_fr.startswith("« Titre », « Prix TTC » sont des colonnes d'offre")
    assert warnings[0].message_en.startswith('"Titre", "Prix TTC" are offer columns')
    assert {"sku", "seller_id"}.isdisjoint(
        spec.name for spec in OFFER_COLUMNS_IN_PROMOTION_FILES.specs)


@pytest.mark.parametrize("header", ["Sale price", "Tarif promo", "Prix soldé", "Prix barré"])
def test_a_promotion_column_is_never_suggested_for_the_price(header) -> None:
    """WooCommerce's English export was told « Vouliez-vous dire « Sale price » ? »: renamed as
    asked, the promotion would have loaded as the price."""
    problem = missing(["sku", "titre", "catégorie", header])
    assert problem.column == "price"
    assert "Vouliez-vous dire" not in problem.message_fr and header not in problem.message_fr


def test_woocommerce_s_english_regular_price_is_the_price() -> None:
    headers = map_headers(["SKU", "Name", "Categories", "Sale price", "Regular price"], OFFER_COLUMNS)
    assert headers.positions["price"] == 4


def test_shopify_s_variant_columns_and_a_lead_time_written_without_its_apostrophe() -> None:
    headers = map_headers(["Handle", "Title", "Variant SKU", "Variant Price", "Variant Compare At"
                           " Price", "Variant Inventory Qty", "Variant Barcode", "Catégorie",
                           "delai_d_expedition"], OFFER_COLUMNS)
    assert {name: headers.positions[name] for name in ("sku", "price", "quantity", "product_id",
                                                       "leadtime_to_ship")} == {
        "sku": 2, "price": 3, "quantity": 5, "product_id": 6, "leadtime_to_ship": 8}
    assert map_headers(["sku", "titre", "Délai expédition"], OFFER_COLUMNS).positions[
        "leadtime_to_ship"] == 2


def test_a_platform_s_column_beside_ours_is_left_unknown_not_a_duplicate() -> None:
    """A WooCommerce or Shopify export completed with our `prix` and `sku` columns, as their
    sellers were told to, loaded before those platforms' names were read: still so."""
    headers = map_headers(["SKU", "Name", "Regular price", "Sale price", "prix", "catégorie"],
                          OFFER_COLUMNS)
    assert headers.positions["price"] == 4
    assert (headers.yielded, "Regular price" in headers.unknown) == (["Regular price"], False)
    [said] = [w for w in headers.unknown_columns_warnings() if "Regular price" in w.message_fr]
    assert said.message_fr.startswith("Colonnes ignorées : « Regular price » ; les colonnes de")
    shopify = map_headers(["Handle", "Title", "Variant SKU", "Variant Price", "sku", "prix",
                           "catégorie"], OFFER_COLUMNS)
    assert (shopify.positions["sku"], shopify.positions["price"]) == (4, 5)


def test_the_price_before_the_discount_is_still_suggested() -> None:
    problem = missing(["sku", "titre", "catégorie", "Prix avant remise"])
    assert "Vouliez-vous dire « Prix avant remise » ?" in problem.message_fr


def test_two_platform_columns_for_one_field_are_still_refused() -> None:
    """`Variant Price` and `Regular price` side by side: the left one was taken silently."""
    with pytest.raises(FileRejected) as caught:
        map_headers(["Variant SKU", "Title", "Variant Price", "Regular price"], OFFER_COLUMNS)
    assert caught.value.problem.code is Reason.DUPLICATE_HEADER


def test_a_missing_promotion_column_is_named_by_its_french_word_first():
    """« end_at » (ou : fin, ...) named the field's code before the seller's word."""
    with pytest.raises(FileRejected) as caught:
        map_headers(["sku", "type", "début", "date fin promo"], list(PROMOTION_COLUMNS))
    message = caught.value.problem.message_fr
    assert message.startswith("Colonne obligatoire absente : « fin » (ou : end_at, date de fin,")
    assert 'Required column missing: "end_at" (or: fin,' in caught.value.problem.message_en


@pytest.mark.parametrize(("written", "column"), [
    ("EAN Code", "product_id"), ("Barcode", "product_id"), ("Bar code", "product_id"),
    ("Selling price", "price"), ("price_ttc", "price"),
    ("Price incl. VAT", "price"), ("Product name", "title"),
])
def test_english_exports_common_headers_are_read(written: str, column: str) -> None:
    """`EAN Code` lost its column (every physical row then refused for a missing EAN) while
    `Code EAN` was read."""
    mapped = map_headers(["sku", written], OFFER_COLUMNS)
    assert (mapped.positions, mapped.unknown) == ({"sku": 0, column: 1}, [])


@pytest.mark.parametrize("headers", [["sku", "title", "Variant Barcode", "Barcode"],
                                     ["sku", "title", "Regular price", "Selling price"],
                                     ["sku", "title", "gencod", "Barcode"]])
def test_a_shop_exports_second_code_or_price_column_is_no_second_naming(headers) -> None:
    """`Barcode` and `Selling price` as names refused these exports for naming the field twice:
    beside another fallback name, they are yielded."""
    mapped = map_headers(headers, OFFER_COLUMNS)
    assert mapped.positions[{"Variant Barcode": "product_id", "Regular price": "price",
                             "gencod": "product_id"}[headers[2]]] == 2


def test_two_weak_name_columns_for_one_field_refuse_the_file() -> None:
    """`Selling price` beside `Selling Price` read the first at 999,00, the other ignored."""
    with pytest.raises(FileRejected) as caught:
        map_headers(["sku", "title", "Selling price", "Selling Price"], OFFER_COLUMNS)
    assert caught.value.problem.code is Reason.DUPLICATE_HEADER
