"""Offer validation on small frames shaped like the reader's: one test per rule, at its edges."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean

from marketplace.config import REFERENCE_DIR
from marketplace.errors import Reason
from schemas.columns import map_headers
from schemas.feed import FeedContext
from schemas.left_out_columns import RULES
from schemas.offers import OFFER_COLUMNS, validate_offers
from schemas.parsing import gtin_check_ok

HEADERS = ["sku", "ean", "titre", "catégorie", "prix", "stock", "état", "description"]
GOOD_EAN = "376012345678" + ean.calc_check_digit("376012345678")


def frame_of(rows: list[list[str]], headers=HEADERS) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype="str")
    frame.index = range(2, 2 + len(rows))
    frame.columns = range(len(headers))
    return frame


def validate(rows, headers=HEADERS, seller_id=7, state=None):
    ctx = FeedContext("offers", seller_id, None, REFERENCE_DIR, datetime.now(UTC))
    if state is not None:
        ctx.state = state
    result = validate_offers(frame_of(rows, headers), map_headers(headers, OFFER_COLUMNS), ctx)
    return result, ctx


def codes(result) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for problem in result.problems:
        found.setdefault(problem.row, set()).add(str(problem.code))
    return found


def book(sku="A1", price="12,50", **overrides) -> list[str]:
    row = {"sku": sku, "ean": GOOD_EAN, "titre": "Un livre", "catégorie": "livres",
           "prix": price, "stock": "3", "état": "new", "description": ""}
    row.update(overrides)
    return [row[h] for h in ["sku", "ean", "titre", "catégorie", "prix", "stock", "état",
                             "description"]]


def test_valid_french_row_is_typed():
    result, ctx = validate([book(price="1 234,50 €"), book("A2", price="12.5")])
    assert result.problems == []
    assert ctx.decimal_separator == ","
    assert result.valid["price_cents"].tolist() == [123450, 1250]
    assert result.valid.index.tolist() == [2, 3]


@pytest.mark.parametrize(
    ("price", "code"),
    [("-3,00", Reason.OUT_OF_RANGE), ("0", Reason.OUT_OF_RANGE), ("-0", Reason.OUT_OF_RANGE),
     ("100000,01", Reason.OUT_OF_RANGE), ("12,5,0", Reason.BAD_NUMBER), ("NaN", Reason.BAD_NUMBER),
     ("1e3", Reason.BAD_NUMBER), ("12,5555", Reason.TOO_MANY_DECIMALS), ("", Reason.REQUIRED)],
)
def test_price_rules(price, code):
    result, _ = validate([book(price=price)])
    assert codes(result) == {2: {str(code)}}
    assert result.valid.empty


def test_price_boundaries_accepted():
    result, _ = validate([book("A", price="0,01"), book("B", price="100 000,00")])
    assert result.problems == []


def test_negative_price_message_quotes_the_value_in_french_first():
    result, _ = validate([book(price="-3,00")])
    problem = result.problems[0]
    assert problem.message_fr.startswith("Le prix doit être supérieur à 0")
    assert "« -3,00 »" in problem.message_fr
    assert (problem.row, problem.column, problem.value) == (2, "prix", "-3,00")


def test_prices_without_cents_anywhere_ask_thousand_or_decimals():
    """An English export's `1,500` (1 500 €) with no amount showing the decimal mark: it was
    stored as 1,50 €. Now refused, asking which, and the plain `20` still loads."""
    result, ctx = validate([book("A", price="1,500"), book("B", price="2.000"),
                            book("C", price="20")])
    assert ctx.decimal_separator == ""
    assert codes(result) == {2: {"bad_number"}, 3: {"bad_number"}}
    assert result.valid["price_cents"].tolist() == [2000]
    problem = result.problems[0]
    assert (problem.row, problem.column, problem.value) == (2, "prix", "1,500")
    assert problem.message_fr.startswith("« 1,500 » : séparateur de milliers ou décimales ?")


@pytest.mark.parametrize("ean", ["3.60029E+12", "3.76E+12"])  # a CSV's; an XLSX cell's, as read
def test_ean_in_scientific_notation_is_an_error_not_a_conversion(ean):
    result, _ = validate([book(ean=ean)])
    assert codes(result) == {2: {"scientific_notation"}}


def test_a_code_in_scientific_notation_with_every_digit_is_not_told_digits_were_lost():
    result, _ = validate([book(ean="3.760999000012e+12"), book("B", ean="3.76E+12")])
    said = {p.row: p.message_fr for p in result.problems}
    assert "perdu" not in said[2] and "écrivez-le en chiffres" in said[2]
    assert "a perdu des chiffres" in said[3]


def test_an_apostrophe_typed_before_a_code_to_keep_its_zeros_is_not_part_of_it():
    """`'0012345678905` was an "invalid check digit" while its 13 digits were right."""
    code = "001234567890" + ean.calc_check_digit("001234567890")
    result, _ = validate([book(ean="'" + code)])
    assert result.problems == [] and result.valid.loc[2, "product_id"] == code


def test_a_bad_code_under_an_isbn_header_is_told_an_isbn():
    headers = ["sku", "isbn", "titre", "catégorie", "prix", "stock", "état", "description"]
    result, _ = validate([book(ean="9782070368229")], headers)
    assert result.problems[0].message_fr.startswith("ISBN invalide « 9782070368229 »")


@pytest.mark.parametrize("sku", ["03-avr", "1-déc.", "3-Apr", "12-mai"])
def test_a_reference_excel_shows_as_a_date_is_refused_in_a_csv_too(sku):
    """French Excel saves `3-4` typed, or read from a CSV it opened, as `03-avr`; a seller's own
    references in capitals are not Excel's months."""
    result, _ = validate([book(sku), book("3-4"), book("AVR-03"), book("2-DEC"), book("12-MAI"),
                          book("12-MAIN"), book("10-DEC-A")])
    assert codes(result) == {2: {"bad_format"}}
    assert "Excel a changé en date la référence" in result.problems[0].message_fr


def test_an_isbn_column_s_books_are_isbns_whatever_their_length():
    """The same book as ISBN-13 and ISBN-10 was stored as an EAN and as an ISBN."""
    headers = ["sku", "isbn", "titre", "catégorie", "prix", "stock", "état", "description"]
    result, _ = validate([book(ean="9782070368228"), book("B", ean="2-07-036822-X"),
                          book("C", ean="3760120000713"), book("D", ean="9790230012348")], headers)
    assert result.problems == []
    assert result.valid[["product_id", "product_id_type"]].values.tolist() == [
        ["9782070368228", "ISBN"], ["9782070368228", "ISBN"], ["3760120000713", "EAN"],
        ["9790230012348", "EAN"]]  # 979-0: sheet music's ISMN, no ISBN


def test_a_price_excel_turned_into_a_date_says_so():
    result, _ = validate([book(price="2026-12-12")])
    [problem] = result.problems
    assert (problem.code, problem.value) == ("bad_number", "2026-12-12")
    assert "est une date : Excel a pris le prix tapé pour une date" in problem.message_fr


def test_a_stock_turned_into_a_date_says_so():
    """LibreOffice or Numbers take "2-3" or "10/1" typed in a stock column for a date: "not a
    whole number" left the seller looking at a date they never typed (a lead time alike)."""
    result, _ = validate([book(stock="2026-03-02")])
    [problem] = result.problems
    assert (problem.code, problem.value) == ("bad_number", "2026-03-02")
    assert "est une date : le tableur a pris le nombre tapé pour une date" in problem.message_fr


def test_a_price_whose_thousands_space_excel_could_not_save_says_so():
    result, _ = validate([book(price="1?299,00 €")])
    [problem] = result.problems
    assert (problem.code, problem.value) == ("bad_number", "1?299,00 €")
    assert "le « ? » remplace l'espace fine" in problem.message_fr


@pytest.mark.parametrize("written", ["3760123450027.0", "3760123450027,0"])  # French: a comma
def test_an_ean_written_as_a_decimal_number_says_so(written):
    result, _ = validate([book(ean=written)])
    [problem] = result.problems
    assert (problem.code, problem.value) == ("bad_format", written)
    assert "écrit comme un nombre décimal" in problem.message_fr


def test_ean_check_digit_and_upc_padding():
    upc = "036000291452"
    result, _ = validate([book("A", ean="3760123456781"), book("B", ean=upc)])
    assert codes(result) == {2: {"bad_check_digit"}}
    assert result.valid.loc[3, "product_id"] == "0" + upc


def test_an_ean_that_lost_its_leading_zeros_in_excel_says_so():
    """0036000291452 in a number cell reads 36000291452: "13 chiffres" left the seller looking
    for a wrong digit; 11 digits that a "00" makes valid are that case, and only those."""
    result, _ = validate([book(ean="36000291452"), book("A2", ean="36000291453"),
                          book("A3", ean="036000291452")])
    first, second = result.problems
    assert (first.row, str(first.code), first.value) == (2, "bad_check_digit", "36000291452")
    assert "il manque les zéros du début" in first.message_fr
    assert (second.row, second.message_fr.startswith("EAN invalide")) == (3, True)
    assert result.valid["product_id"].tolist() == ["0036000291452"]  # the UPC-12 still loads


def test_leading_zeros_of_identifiers_are_kept():
    result, _ = validate([book("000123", ean="0" + "036000291452")])
    assert result.valid.loc[2, "sku"] == "000123"
    assert result.valid.loc[2, "product_id"] == "0036000291452"


@pytest.mark.parametrize(("sku", "detail"), [
    ("SES 02", "l'espace n'est pas autorisé"), ("FORMATION-SÉCU", "le caractère « É » n'est pas"),
    ("SES-03 (mars)", "l'espace n'est pas autorisé"), ("SES#06", "le caractère « # » n'est pas"),
    ("A" * 65, "elle a 65 caractères"), ("SES\n02", "elle contient un retour à la ligne"),
    ("SES\t02", "elle contient un caractère invisible (U+0009)"),
    ("SES\u00a002", "elle contient une espace insécable"),
])
def test_a_refused_reference_says_what_is_wrong_with_it(sku, detail):
    """Every one was told the allowed characters, and the seller hunted for the wrong one."""
    [problem] = validate([book(sku)])[0].problems
    assert (problem.code, problem.value) == ("bad_format", sku)
    assert problem.message_fr.startswith(f"La référence « {sku[:80]} » n'est pas valide : {detail}")
    assert problem.message_fr.endswith("Elle doit faire 1 à 64 caractères parmi A-Z a-z 0-9 . _ / -.")


def test_duplicate_sku_rejects_every_copy():
    result, _ = validate([book("A"), book("B"), book("A")])
    assert codes(result) == {2: {"duplicate_key"}, 4: {"duplicate_key"}}
    assert result.valid.index.tolist() == [3]


def test_duplicate_across_chunks_rejects_the_earlier_copy_too():
    state: dict = {}
    validate([book("A"), book("B")], state=state)
    later, _ = validate([book("C"), book("A")], state=state)
    assert {(p.row, str(p.code)) for p in later.problems} == {(2, "duplicate_key"),
                                                              (3, "duplicate_key")}
    assert state["late_duplicates"] == {2}


def test_unknown_and_prohibited_categories():
    result, _ = validate([book("A", catégorie="armes"), book("B", catégorie="bijoux")])
    assert codes(result) == {2: {"prohibited_category"}, 3: {"unknown_category"}}


def test_a_prohibited_product_is_not_asked_for_its_ean_and_stock():
    """"Armes" was also told its empty EAN and stock were required: a seller filling them in
    was refused again."""
    result, _ = validate([book("A", catégorie="Armes", ean="", stock=""),
                          book("B", catégorie="Médicaments", ean="", stock="")])
    assert codes(result) == {2: {"prohibited_category"}, 3: {"prohibited_category"}}


def test_physical_needs_quantity_and_product_id_digital_does_not():
    headers = ["sku", "titre", "catégorie", "prix", "stock", "mise en situation"]
    result, ctx = validate([["A", "Livre", "livres", "5", "", ""],
                            ["B", "Formation", "formation-langues", "50", "", "oui"],
                            ["C", "Livre 2", "livres", "5", "3", ""]], headers)
    assert codes(result) == {2: {"required"}}
    empty = result.problems[0]  # a column, empty here
    assert empty.column == "stock" and "vide sur cette ligne" in empty.message_fr
    assert pd.isna(result.valid.loc[3, "quantity"])
    # no EAN column: a stored offer keeps its own, so the catalog judges the rows that passed
    # the rest (schemas.left_out_columns); C is set aside, A is rejected already
    (aside,) = ctx.state["left_out_checks"]["product_id"]
    assert aside.to_dict() == {4: "C"}
    assert RULES["product_id"].message_fr.startswith(
        "Colonne « ean » absente du fichier (product_id, ean, gtin, isbn, product-id,"
        " ean13, code ean,")
    assert RULES["practical_component"].message_fr.startswith(
        "Colonne « mise en situation » absente du fichier")


def test_training_needs_a_practical_component():
    headers = ["sku", "titre", "catégorie", "prix", "mise en situation"]
    result, _ = validate([["A", "F1", "formation-securite", "50", "non"],
                          ["B", "F2", "formation-securite", "50", ""],
                          ["C", "F3", "formation-securite", "50", "yes"]], headers)
    assert codes(result) == {2: {"practical_component"}, 3: {"required"}}


def test_a_stock_with_a_thousands_separator_is_asked_about_not_guessed():
    result, _ = validate([book(stock="1.000"), book(sku="B", stock="2,5")])
    grouped, decimal = result.problems
    assert (grouped.row, grouped.value, decimal.row) == (2, "1.000", 3)
    assert grouped.message_fr.startswith("« 1.000 » : un nombre avec un séparateur de milliers")
    assert decimal.message_fr == "« 2,5 » n'est pas un nombre entier (colonne « stock »)."


def test_an_unlimited_stock_written_in_words_is_told_how_to_write_it():
    headers = ["sku", "titre", "catégorie", "prix", "stock", "mise en situation"]
    result, _ = validate([["A", "Formation Excel", "formation-langues", "490", "Illimité", "oui"]],
                         headers)
    [problem] = result.problems
    assert (problem.row, problem.column, problem.value) == (2, "stock", "Illimité")
    assert problem.message_fr.startswith("« Illimité » : pour un stock illimité (offre numérique,"
                                         " formation), laissez la cellule vide")


def test_digital_condition_must_be_new():
    headers = ["sku", "titre", "catégorie", "prix", "état", "mise en situation"]
    result, _ = validate([["A", "F1", "formation-langues", "50", "good", "oui"]], headers)
    assert codes(result) == {2: {"not_allowed"}}


@pytest.mark.parametrize("title", ["Smartphone reconditionné", "Livre d'occasion",
                                   "Refurbished laptop", "Used phone", "Occasion : vélo",
                                   # a negation is a word of its own: Canon is no "non"
                                   "Objectif Canon reconditionné", "Canon refurbished lens",
                                   "Moteur pas à pas reconditionné", "Almost used"])
def test_used_declared_new_is_rejected(title):
    result, _ = validate([book(titre=title)])
    assert codes(result) == {2: {"used_declared_new"}}


def test_used_declared_new_names_the_cell_as_the_seller_left_it():
    """An empty condition cell was reported with the value "new", which the seller never
    typed: the value is the cell's, and the message says the empty cell means new."""
    typed, empty = validate([book(titre="Used laptop", état="Neuf"),
                             book(sku="B", titre="Used laptop", état="")])[0].problems
    assert (typed.row, typed.column, typed.value) == (2, "état", "Neuf")
    assert "alors que l'état est « neuf »" in typed.message_fr
    assert typed.message_fr.startswith("Le titre contient « Used » : un produit d'occasion")
    assert (empty.row, empty.column, empty.value) == (3, "état", "")
    assert "l'état, laissé vide, vaut « neuf » par défaut" in empty.message_fr


def test_used_declared_new_quotes_the_words_and_where_they_are():
    """The seller was told "the title or the description says used" and could not tell a
    false match from a true one."""
    [problem] = validate([book(description="Très bon livre, d'occasion mais propre")])[0].problems
    assert problem.message_fr.startswith("La description contient « d'occasion » : un produit")


@pytest.mark.parametrize(("title", "description"), [
    ("Vendre des véhicules d'occasion", ""), ("Réparer des smartphones reconditionnés", ""),
    ("Anglais commercial", "Jeu de rôle : le client hésite entre neuf et occasion"),
])
def test_a_training_about_used_goods_is_no_used_training(title, description):
    """Refused as "used declared new", and a training told to choose "bon état" was then
    refused as a digital product that is always new: nothing in the row could load."""
    headers = ["sku", "titre", "description", "catégorie", "prix", "mise en situation"]
    result, _ = validate([["F1", title, description, "formation-management", "990", "oui"]],
                         headers)
    assert result.problems == []


@pytest.mark.parametrize(("title", "description"), [
    ("The most used words in French", ""), ("Widely used handbook", ""),
    ("Livre", "Ce livre n'est pas d'occasion : il est neuf"), ("Coque non reconditionnée", ""),
    ("Manuel", "Not refurbished: brand new, never used"),
    ("Lot", "Ces articles ne sont pas reconditionnés"),
    # the work, not its product; a "pas" as titles write it
    ("Kit de reconditionnement", ""), ("Station de reconditionnement de batteries", ""),
    ("Kit reconditionnement étrier de frein", ""), ("Baume reconditionnement cuir 250 ml", ""),
    ("Produit neuf, pas d'occasion", ""), ("Neuf (pas reconditionné)", ""),
    ("Coffret", "Une occasion à saisir, super occasion en or"),
    ("Coffret", "Occasion à ne pas manquer : -20 % sur le coffret neuf"),
])
def test_how_often_a_thing_is_used_or_a_negation_is_not_second_hand(title, description):
    result, _ = validate([book(titre=title, description=description)])
    assert result.problems == []


@pytest.mark.parametrize("description", ["Occasion, très bon état", "used, good condition",
                                         "État : occasion", "Like new, used once",
                                         "Seconde main - très bon état", "Vendu en seconde-main",
                                         "Livre d'occasion, couverture usée",
                                         # a product, then the bargain phrase: a used one
                                         "iPhone 12 occasion à saisir",
                                         "iPhone 12 128 Go - Occasion à saisir",
                                         "Galaxy S21, occasion en or",
                                         "iPhone 11 – occasion en or, très bon état",
                                         "Comme neuf - occasion à saisir",
                                         "Console occasion exceptionnelle, très bon état",
                                         "Moteur pas à pas reconditionné",
                                         "iPhone 12 recondi\u00adtionné",  # a soft hyphen
                                         "Console d'occa\u200bsion",
                                         "Moteur pas-à-pas reconditionné",
                                         # the bargain phrase after another word than occasion
                                         "Reconditionné à ne pas manquer : liseuse"])
def test_used_words_in_the_description_count_too(description):
    result, _ = validate([book(description=description)])
    assert codes(result) == {2: {"used_declared_new"}}


@pytest.mark.parametrize("title", ["Cadeau pour toutes les occasions", "Smartphone reconditionné",
                                   "Coffret occasion spéciale"])
def test_used_words_are_fine_with_the_right_condition_or_meaning(title):
    état = "refurbished" if "recond" in title else "new"
    result, _ = validate([book(titre=title, état=état)])
    assert result.problems == []


@pytest.mark.parametrize("description", ["Idéal pour toutes les occasions",
                                         "Can be used with any charger", "Used for cooking",
                                         "Plein d'occasions de briller", "Tant d'occasions de jouer",
                                         "Une seconde maintenant",
                                         "Cartes pour toutes sortes d'occasions",
                                         "Cartes de vœux - des dizaines d'occasions",
                                         "Une belle occasion de lire", "Occasion rêvée !",
                                         "L'occasion d'apprendre", "Occasion à saisir !",
                                         "Neuf - occasion a saisir", "Une occasion en or",
                                         "Coffret neuf. Occasion à saisir !",
                                         "Jeu neuf : occasion à ne pas manquer",
                                         # a clause that sells, or a text that says new
                                         "Smartphone neuf sous blister, garantie constructeur 2"
                                         " ans, occasion à saisir !",
                                         "Prix de lancement : occasion à saisir",
                                         "Promo Noël : occasion à saisir - Galaxy A55",
                                         "Stock limité, occasion à saisir",
                                         "Nouveauté 2026 : occasion en or pour les fans",
                                         "iPhone 12 (neuf) - occasion à saisir"])
def test_used_words_in_a_description_that_does_not_mean_used(description):
    result, _ = validate([book(description=description)])
    assert result.problems == []


def test_a_number_too_big_to_read_is_told_its_range():
    """An EAN pasted in the stock or price column was "not a whole number", "not a readable
    number": it is one, out of range."""
    result, _ = validate([book("A", stock="3760123456784"), book("B", price="3760123456784"),
                          book("C", stock="2147483648")])
    messages = {p.row: p.message_fr for p in result.problems}
    assert messages[2].startswith("La quantité doit être un nombre entier de 0 à 100 000")
    assert messages[3].startswith("Le prix doit être supérieur à 0 et au plus 100 000,00 €")
    assert messages[4].startswith("La quantité doit être un nombre entier de 0 à 100 000")


def test_row_naming_another_seller_is_rejected():
    headers = [*HEADERS, "seller_id"]
    result, _ = validate([[*book("A"), "7"], [*book("B"), "8"], [*book("C"), ""]], headers)
    assert codes(result) == {3: {"other_seller"}}


def test_an_unknown_action_rejects_its_row_not_the_delete_file():
    result, _ = validate([["A", "delete"], ["B", "del"], ["C", "Supprimer"]], ["sku", "action"])
    assert codes(result) == {3: {"not_allowed"}}
    assert result.valid["action"].tolist() == ["delete", "delete"]


def test_action_words_match_like_headers_whatever_wrote_them():
    # Mac Numbers writes "Mise à jour" decomposed (a + combining grave accent); Excel users
    # type capitals and stray spaces
    decomposed = unicodedata.normalize("NFD", "Mise à jour")
    headers = [*HEADERS, "action"]
    rows = [[*book("A"), decomposed], [*book("B"), "MISE  A JOUR"], [*book("C"), "Suppression"],
            [*book("D"), "D"], [*book("E"), "mise-à-jour"], [*book("F"), "supprime"]]
    result, _ = validate(rows, headers)
    assert codes(result) == {7: {"not_allowed"}}
    assert result.valid["action"].tolist() == ["update", "update", "delete", "delete", "update"]
    assert "update (ou mise à jour) ou delete (ou suppression)" in result.problems[0].message_fr


def test_the_french_words_sellers_write_for_an_action_are_read():
    rows = [[*book(sku), word] for sku, word in zip("ABCDEF", ["Modifier", "MAJ", "Ajout", "Créer",
                                                            "Retirer", "Suppr"], strict=True)]
    result, _ = validate(rows, [*HEADERS, "action"])
    assert result.problems == []
    assert result.valid["action"].tolist() == ["update"] * 4 + ["delete"] * 2


def test_a_seller_cell_that_is_no_number_is_said_so_not_another_seller():
    """`7,000` or full-width `７` in seller 7's own file were "rows of another seller", and a file
    of them was refused whole as another seller's (exit 3)."""
    headers = [*HEADERS, "seller_id"]
    rows = [[*book("A"), "7,000"], [*book("B"), "７"], [*book("C"), "n/a"], [*book("D"), "#N/A"]]
    result, _ = validate(rows, headers)
    said = {(p.row, str(p.code)) for p in result.problems}
    assert said == {(row, "bad_number") for row in (2, 3, 4, 5)}
    assert "n'est pas un numéro de vendeur" in result.problems[0].message_fr


def test_seller_column_compares_numbers_and_a_shop_name_column_is_not_one():
    headers = [*HEADERS, "id vendeur"]
    result, _ = validate([[*book("A"), "007"], [*book("B"), "7.0"], [*book("C"), "8"]], headers)
    assert codes(result) == {4: {"other_seller"}}
    result, _ = validate([[*book("A"), "Ordi Plus"]], [*HEADERS, "Vendeur"])
    assert result.problems == []


def test_delete_rows_need_only_a_sku():
    headers = ["sku", "titre", "catégorie", "prix", "action"]
    result, _ = validate([["A", "", "", "", "delete"], ["", "", "", "", "delete"]], headers)
    assert codes(result) == {3: {"required"}}
    assert result.valid["action"].tolist() == ["delete"]


def test_a_delete_row_is_not_judged_on_the_cells_it_leaves_behind():
    """A seller marks stale rows `delete` without cleaning them: unreadable numbers, a price
    with three decimals, a yes/no typo there must not keep the offer on sale."""
    headers = ["sku", "titre", "catégorie", "prix", "stock", "délai d'expédition",
               "mise en situation", "action"]
    rows = [["A", "", "", "abc", "1,5", "x", "peut-être", "delete"],
            ["B", "", "", "12,505", "", "", "", "delete"],
            ["C", "Livre", "livres", "abc", "1,5", "x", "peut-être", "update"]]
    result, _ = validate(rows, headers)
    assert set(codes(result)) == {4}
    assert result.valid["sku"].tolist() == ["A", "B"]


def test_the_euro_however_written_is_the_euro_and_only_it():
    headers = [*HEADERS, "devise"]
    result, _ = validate([[*book(c), currency] for c, currency in
                          zip("ABCDE", ["€", "Euro", "eur", "", "USD"], strict=True)], headers)
    assert codes(result) == {6: {"not_allowed"}}
    assert set(result.valid["currency"]) == {"EUR"}


def test_long_cells():
    result, _ = validate([book("A", description="x" * 50_000), book("B", titre="t" * 201),
                          book("C" * 65)])
    assert codes(result) == {2: {"too_long"}, 3: {"too_long"}, 4: {"bad_format"}}


def test_a_title_written_with_combining_accents_counts_its_characters():
    decomposed = unicodedata.normalize("NFD", "É" * 200)  # 400 code points, as a Mac writes
    result, _ = validate([book("A", titre=decomposed), book("B", titre="É" * 201)])
    assert codes(result) == {3: {"too_long"}}
    assert result.valid.loc[2, "title"] == "É" * 200  # stored composed


def test_an_excel_error_as_title_or_description_is_refused():
    result, _ = validate([book("A", titre="#N/A"), book("B", description="#VALUE!"),
                          book("C", titre="#1 des ventes")])
    assert codes(result) == {2: {"bad_format"}, 3: {"bad_format"}}
    assert "erreur Excel" in result.problems[0].message_fr


def test_an_excel_error_is_said_as_such_in_every_column():
    """`#N/A` as a price was "not a readable number", as an EAN "wrong check digit", as a
    category "unknown": the seller looked for a typo instead of the formula that failed."""
    result, _ = validate([book("A", price="#N/A"), book("B", ean="#REF!"),
                          book("C", catégorie="#N/A", stock="#VALUE!"), book("#N/A")])
    said = {(p.row, p.column): p.message_fr for p in result.problems}
    assert set(said) == {(2, "prix"), (3, "ean"), (4, "catégorie"), (4, "stock"), (5, "sku")}
    assert all("est une erreur Excel" in message for message in said.values())
    assert result.valid.empty


def test_an_identifier_is_read_without_the_characters_no_cell_shows():
    """A zero-width space pasted before an EAN made it "invalid" while the seller saw a valid
    code; a title keeps its zero-width joiner (part of an emoji)."""
    result, _ = validate([book("\u200bA1", ean="\u200b" + GOOD_EAN + "\u00ad",
                               titre="Coffret \U0001f468\u200d\U0001f469")])
    assert result.problems == []
    row = result.valid.loc[2]
    assert (row["sku"], row["product_id"]) == ("A1", GOOD_EAN)
    assert row["title"] == "Coffret \U0001f468\u200d\U0001f469"


@pytest.mark.parametrize("sku", ["2026-12-01", "2026-12-01 00:00:00"])
def test_a_reference_excel_made_a_date_is_refused_in_a_workbook(sku):
    """An XLSX cell "1-12" Excel made a date loaded as the offer's reference: the seller's next
    file and their orders missed it. A CSV's reference is the seller's text; a delete row, or
    a long number (an ERP's), is never refused for its shape."""
    rows = [book(sku), book("1234567890123450"), book("2026-13-01"), ["2025-01-15", *[""] * 7]]
    headers = [*HEADERS[:-1], "action"]
    rows[-1][-1] = "delete"
    result, _ = validate(rows, headers, state={"format": "xlsx"})
    [problem] = result.problems
    assert (problem.row, problem.column, problem.code, problem.value) == (2, "sku", Reason.BAD_FORMAT, sku)
    assert "est une date" in problem.message_fr and "format Texte" in problem.message_fr
    assert result.valid["sku"].tolist() == ["1234567890123450", "2026-13-01", "2025-01-15"]
    assert validate([book("2026-12-01")], state={"format": "csv"})[0].problems == []


def test_formula_in_a_cell_is_just_text():
    result, _ = validate([book(titre='=HYPERLINK("http://evil","clic")')])
    assert result.problems == []
    assert result.valid.loc[2, "title"].startswith("=HYPERLINK")


@given(st.lists(st.integers(0, 10**12 - 1), min_size=1, max_size=50))
def test_vectorised_gtin_check_agrees_with_stdnum(bases):
    codes13 = [f"{b:012d}" + ean.calc_check_digit(f"{b:012d}") for b in bases]
    wrong = [c[:-1] + str((int(c[-1]) + 1) % 10) for c in codes13]
    series = pd.Series(codes13 + wrong, dtype="str")
    assert gtin_check_ok(series).tolist() == [ean.is_valid(c) for c in codes13 + wrong]


def test_prices_written_with_eur_and_prestashop_s_nouveau_are_read():
    """An ERP's `12.50 EUR` and PrestaShop's condition `Nouveau` were refused row by row."""
    result, _ = validate([book("A", price="12,50 EUR", état="Nouveau"),
                          book("B", price="EUR 9,90", état="nouvelle")])
    assert result.problems == []
    assert result.valid["price_cents"].tolist() == [1250, 990]
    assert result.valid["condition"].tolist() == ["new", "new"]
