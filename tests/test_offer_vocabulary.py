"""The words French sellers write in an offer file: delivery modes, conditions, category labels,
identifier types; read as their codes, and when refused, told in those words first."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from loaders.ingest import Ingestor, IngestRequest
from loaders.offers import OFFERS_FEED
from marketplace.models import Offer
from marketplace.storage import open_storage
from schemas.offer_rules import SUGGESTED_FOR_AT_MOST, category_names
from tests.helpers import add_seller, an_ean, write_offer_csv
from tests.test_offers_schema import GOOD_EAN, HEADERS, book, codes, validate

TRAINING = ["sku", "titre", "catégorie", "prix", "mise en situation", "mode de livraison"]

# --------------------------------------------------------------------------- delivery


@pytest.mark.parametrize(
    ("written", "code"),
    [("Suivi", "tracked"), ("Colis suivi", "tracked"), ("colis-suivi", "tracked"),
     ("Suivi colis", "tracked"),
     ("Livraison suivie", "tracked"), ("Normale", "standard"), ("Expédition normale", "standard"),
     ("EXPEDITION NORMALE", "standard"), ("Livraison standard", "standard"),
     ("Sans suivi", "standard"), ("Standard", "standard"), ("tracked", "tracked")],
)
def test_the_delivery_words_of_the_seller_guide_are_read(written: str, code: str) -> None:
    result, _ = validate([[*book(), written]], [*HEADERS, "mode de livraison"])
    assert result.problems == []
    assert result.valid.loc[2, "delivery"] == code


@pytest.mark.parametrize("written", ["Téléchargement", "En ligne", "telechargement", "digital"])
def test_a_training_programme_delivered_by_download_or_online_is_digital(written: str) -> None:
    result, _ = validate([["A", "Anglais B2", "formation-langues", "50", "oui", written]], TRAINING)
    assert result.problems == []
    assert result.valid.loc[2, "delivery"] == "digital"


def test_a_refused_delivery_names_the_french_words_first() -> None:
    result, _ = validate([[*book("A"), "Colissimo"]], [*HEADERS, "mode de livraison"])
    [problem] = result.problems
    assert problem.message_fr == ("Mode de livraison « Colissimo » : normale (standard) ou suivi"
                                  " (tracked) pour un produit physique.")
    assert problem.message_en.startswith('Delivery "Colissimo": standard (normale) or tracked')
    training, _ = validate([["A", "Anglais B2", "formation-langues", "50", "oui", "Suivi"]],
                           TRAINING)
    assert [p.message_fr for p in training.problems] == [
        "Un produit numérique se livre en téléchargement ou en ligne (digital) : « Suivi »."
        " Laissez la cellule vide ou écrivez digital."]


@pytest.mark.parametrize("written", ["Digitale", "E-learning", "elearning", "Distanciel",
                                     "À distance", "Classe virtuelle", "Visio", "FOAD",
                                     "100 % en ligne", "Webinaire"])
def test_an_online_training_in_its_organisers_words_is_digital(written: str) -> None:
    """The guide's "formations digitaux": `Digitale` was refused while `digital` loaded, and
    `e-learning` was told to be delivered "en ligne"."""
    result, _ = validate([["A", "Anglais B2", "formation-langues", "50", "oui", written]], TRAINING)
    assert result.problems == []
    assert result.valid.loc[2, "delivery"] == "digital"


@pytest.mark.parametrize("written", ["Présentiel", "Blended", "En salle"])
def test_an_in_person_training_is_no_digital_delivery(written: str) -> None:
    result, _ = validate([["A", "Anglais B2", "formation-langues", "50", "oui", written]], TRAINING)
    assert [(p.column, p.value) for p in result.problems] == [("mode de livraison", written)]


# --------------------------------------------------------------------------- condition


@pytest.mark.parametrize(
    ("written", "code"),
    [("Neuf", "new"), ("Neuve", "new"), ("neufs", "new"), ("Comme neuve", "like_new"),
     ("Occasion - Comme neuf", "like_new"), ("Occasion - Très bon état", "very_good"),
     ("Occasion - Bon état", "good"), ("Occasion : état correct", "acceptable"),
     ("Seconde main - bon état", "good"), ("Used - Like New", "like_new"),
     ("reconditionnée", "refurbished"), ("Reconditionnés", "refurbished"),
     ("très bon état", "very_good"), ("like_new", "like_new"), ("Very good", "very_good"),
     ("Neuf - sous blister", "new"), ("Reconditionné - Comme neuf", "refurbished"),
     ("neuf (emballage d'origine)", "new"), ("Reconditionné - rayé", "refurbished"),
     ("Neuve - jamais utilisée", "new"), ("Neuf sans étiquette", "new"),
     ("Neuf - garantie 2 ans", "new"), ("neufs scellés", "new"), ("Neuve non ouverte", "new"),
     # details one after the other, feminine, repeated, and "Nouveau" (all refused for a while)
     ("Neuf - sous blister, garantie 2 ans", "new"), ("Neuve - jamais servie", "new"),
     ("Neuf - état neuf", "new"), ("Neuf - garantie 24 mois", "new"), ("Neuf - Neuf", "new"),
     ("Nouveau - sous blister", "new"), ("Neuf - scellé sous blister", "new")],
)
def test_the_condition_words_sellers_write_are_read(written: str, code: str) -> None:
    result, _ = validate([book(état=written)])
    assert result.problems == []
    assert result.valid.loc[2, "condition"] == code


@pytest.mark.parametrize("written", ["Occasion", "Occasion - Neuf", "Used - New", "abîmé",
                                     "neuf, rayé", "neuf-ish", "Neuf - boîte abîmée",
                                     "neuf (emballage ouvert)",
                                     "Neuf - garantie 1 an, écran rayé"])
def test_a_condition_without_a_grade_is_refused_in_french_words_first(written: str) -> None:
    """"Occasion" alone says which grade? "Occasion - Neuf" says two things: the seller
    chooses, rather than an item declared used loading as new."""
    result, _ = validate([book(état=written)])
    [problem] = result.problems
    assert (problem.code, problem.column, problem.value) == ("not_allowed", "état", written)
    assert problem.message_fr == (
        f"État inconnu « {written} » : neuf, comme neuf, très bon état, bon état, état correct ou"
        " reconditionné (ou new, like_new, very_good, good, acceptable, refurbished).")
    assert problem.message_en.startswith(f'Unknown condition "{written}": new, like_new')


AMAZON = ["seller-sku", "item-name", "price", "quantity", "product-id", "product-id-type",
          "item-condition", "add-delete", "catégorie"]


@pytest.mark.parametrize("written", ["Supprimer ?", "?", "x"])
def test_an_action_in_doubt_is_refused_not_applied(written: str) -> None:
    """"Supprimer ?" deleted the offer once a header's `?` was dropped from cells too."""
    result, _ = validate([[*book(), written]], [*HEADERS, "action"])
    assert [(p.code, p.value) for p in result.problems] == [("not_allowed", written)]


def test_an_amazon_listings_report_reads_its_numeric_codes() -> None:
    """Its `item-condition` 2 (used, very good) was refused as an unknown condition « 2 », and
    the report's `seller-sku` and `item-name` refused the whole file."""
    isbn13 = "9782070612758"
    result, _ = validate([["B1", "Le Petit Prince", "7.50", "3", isbn13, "2", "2", "a", "livres"],
                          ["K1", "Clavier", "19.90", "1", GOOD_EAN, "4", "11", "", "informatique"],
                          ["R1", "Clavier", "9.90", "1", GOOD_EAN, "3", "10", "", "informatique"],
                          ["O1", "", "", "", "", "", "", "d", ""]], AMAZON)
    assert result.problems == []
    assert result.valid["condition"].to_dict() == {2: "very_good", 3: "new", 4: "refurbished",
                                                   5: "new"}
    assert result.valid["product_id_type"].iloc[:3].to_list() == ["ISBN", "EAN", "EAN"]
    assert result.valid["action"].to_dict() == {2: "update", 3: "update", 4: "update",
                                                       5: "delete"}


def test_an_asin_is_refused_for_what_it_is() -> None:
    result, _ = validate([["A1", "Clavier", "9.90", "1", "B00TEST123", "1", "11", "", "informatique"]],
                         AMAZON)
    [problem] = result.problems
    assert (problem.column, problem.value) == ("product-id-type", "1")
    assert "un ASIN (code d'Amazon)" in problem.message_fr


def test_amazon_codes_are_read_only_under_amazons_headers() -> None:
    """A seller's own `3` under `état` or `type identifiant` is not Amazon's "good" or UPC."""
    headers = ["sku", "titre", "catégorie", "prix", "état", "ean", "type identifiant"]
    result, _ = validate([["A1", "Livre", "livres", "5", "3", GOOD_EAN, "3"]], headers)
    assert {(p.column, p.value) for p in result.problems} == {("état", "3"),
                                                               ("type identifiant", "3")}


# --------------------------------------------------------------------------- categories


@pytest.mark.parametrize(
    ("written", "code"),
    [("Jeux vidéo", "jeux-video"), ("jeux video", "jeux-video"), ("JEUX-VIDÉO", "jeux-video"),
     ("Électroménager", "electromenager"), ("Electromenager", "electromenager"),
     ("Téléphonie", "telephonie"), ("Livres", "livres"), ("Livre", "livres"),
     ("Jeu vidéo", "jeux-video"), ("  Informatique ", "informatique")],
)
def test_a_category_label_of_the_reference_data_is_its_code(written: str, code: str) -> None:
    result, _ = validate([book(catégorie=written)])
    assert result.problems == []
    assert result.valid.loc[2, "category"] == code


def test_training_labels_are_their_codes_and_keep_their_rules() -> None:
    headers = ["sku", "titre", "catégorie", "prix", "mise en situation"]
    result, _ = validate([["A", "F1", "Formations management", "50", "oui"],
                          ["B", "F2", "formation sécurité", "50", "non"]], headers)
    assert codes(result) == {3: {"practical_component"}}
    assert result.valid.loc[2, "category"] == "formation-management"


@pytest.mark.parametrize("written", ["Médicaments", "medicament", "Armes", "Arme"])
def test_a_prohibited_category_written_as_its_label_is_prohibited(written: str) -> None:
    result, _ = validate([book(catégorie=written)])
    [problem] = result.problems
    assert problem.code == "prohibited_category"
    assert problem.message_fr == (f"La catégorie « {written} » est interdite à la vente sur la"
                                  " place de marché.")


def test_an_unknown_category_suggests_the_closest_codes() -> None:
    result, _ = validate([book("A", catégorie="Jeux vidéos 2"), book("B", catégorie="bijoux"),
                          book("C", catégorie="Formation"), book("D", catégorie="Jeux vidéos 2")])
    messages = {p.row: (p.message_fr, p.message_en) for p in result.problems}
    assert codes(result) == {row: {"unknown_category"} for row in (2, 3, 4, 5)}
    assert messages[2] == (
        "Catégorie inconnue « Jeux vidéos 2 » : utilisez un code de la liste des catégories"
        " (vouliez-vous dire « jeux-video » ?).",
        'Unknown category "Jeux vidéos 2": use a code from the category list (did you mean'
        ' "jeux-video"?).')
    assert messages[5] == messages[2]
    assert messages[3][0] == ("Catégorie inconnue « bijoux » : utilisez un code de la liste des"
                              " catégories.")
    assert "« formation-langues » ou « formation-securite »" in messages[4][0]


def test_a_prohibited_category_is_never_suggested() -> None:
    """"Vêtements" (close to "Médicaments") was answered "vouliez-vous dire « medicaments » ?"."""
    result, _ = validate([book(catégorie="Vêtements")])
    [problem] = result.problems
    assert problem.message_fr == ("Catégorie inconnue « Vêtements » : utilisez un code de la"
                                  " liste des catégories.")


def test_a_column_of_anything_but_categories_gets_no_suggestions() -> None:
    """Titles in the category column (shifted columns): a suggestion for each would be noise,
    and difflib on a million distinct values minutes."""
    rows = [book(f"A{i}", catégorie=f"Livre {i}") for i in range(SUGGESTED_FOR_AT_MOST + 1)]
    result, _ = validate(rows)
    assert len(result.problems) == SUGGESTED_FOR_AT_MOST + 1
    assert not any("vouliez-vous dire" in p.message_fr for p in result.problems)


def _reference(tmp_path: Path, synonyms: str) -> Path:
    (tmp_path / "categories.csv").write_text(
        "code,label,kind,training,prohibited,commission_rate\n"
        "livres,Livres,physical,no,no,0.12\njeux-video,Jeux vidéo,physical,no,no,0.10\n",
        encoding="utf-8")
    (tmp_path / "category_synonyms.csv").write_text(f"synonym,code\n{synonyms}", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("synonyms", ["Bouquins,bouquins\n", "Jeux vidéo,livres\n"],
                         ids=["unknown-code", "two-categories"])
def test_a_synonym_of_no_category_or_of_two_is_an_error_of_the_reference_data(
    tmp_path: Path, synonyms: str
) -> None:
    with pytest.raises(ValueError, match="categor"):
        category_names(_reference(tmp_path, synonyms))


# --------------------------------------------------------------------------- identifier types


@pytest.mark.parametrize(("written", "isbn13"), [("207036822X", "9782070368228"),
                                                 ("2-07-036822-X", "9782070368228"),
                                                 ("2253067539", "9782253067535")])
def test_an_isbn_column_without_a_type_reads_isbn_10s(written: str, isbn13: str) -> None:
    headers = ["sku", "ISBN", "titre", "catégorie", "prix", "stock"]
    result, _ = validate([["A", written, "L'Étranger", "livres", "8,70", "3"],
                          ["B", "9782070368228", "L'Étranger", "livres", "8,70", "3"]], headers)
    assert result.problems == []
    assert result.valid["product_id"].tolist() == [isbn13, "9782070368228"]
    assert result.valid.loc[2, "product_id_type"] == "ISBN"


def test_an_isbn_10_in_an_isbn_column_is_still_checked() -> None:
    headers = ["sku", "ISBN", "titre", "catégorie", "prix", "stock"]
    result, _ = validate([["A", "2070368221", "L'Étranger", "livres", "8,70", "3"]], headers)
    [problem] = result.problems
    assert problem.message_fr == "ISBN invalide « 2070368221 » : vérifiez les chiffres et la clé."


def test_an_isbn_10_in_an_ean_column_is_still_no_ean() -> None:
    headers = ["sku", "EAN", "titre", "catégorie", "prix", "stock"]
    result, _ = validate([["A", "207036822X", "L'Étranger", "livres", "8,70", "3"]], headers)
    assert codes(result) == {2: {"bad_check_digit"}}


@pytest.mark.parametrize("written", ["GTIN", "gtin-13", "EAN-13", "UPC", "ean", "UPC-A", "GTIN-12"])
def test_gtin_and_upc_as_a_type_are_eans(written: str) -> None:
    headers = [*HEADERS, "type identifiant"]
    result, _ = validate([[*book(), written]], headers)
    assert result.problems == []
    assert result.valid.loc[2, "product_id_type"] == "EAN"


def test_an_unknown_identifier_type_names_the_accepted_ones() -> None:
    result, _ = validate([[*book(), "SKU"]], [*HEADERS, "type identifiant"])
    [problem] = result.problems
    assert problem.message_fr == "Type d'identifiant « SKU » : EAN (ou GTIN-13, UPC) ou ISBN."


# --------------------------------------------------------------------------- end to end


def test_a_french_template_updates_the_catalogue_in_its_own_words(engine, settings, tmp_path):
    """A weekly stock update headed "Quantité disponible" left every stock as it was (the
    column was only "unknown"); the words of the file are stored as their codes."""
    add_seller(engine, 7)
    ingestor = Ingestor(engine, open_storage(settings), settings)

    def ingest(path):
        return ingestor.ingest(IngestRequest(path=path, name=path.name, feed=OFFERS_FEED,
                                             seller_id=7, mode="update", force=False))

    headers = ["Référence", "Code EAN13", "Titre", "Catégorie\n(code)", "Prix TTC en €",
               "Quantité disponible", "État", "Mode d'expédition", "Délai d'envoi"]
    first = [["JV-1", an_ean(1), "Console", "Jeux vidéo", "299,00", "5", "Occasion - Très bon état",
              "Colis suivi", "3"],
             ["EM-1", an_ean(2), "Bouilloire", "Électroménager", "39,90", "12", "Neuve",
              "Normale", "1"]]
    result = ingest(write_offer_csv(tmp_path / "offres.csv", first, header=headers))
    assert (result.status, result.loaded, result.warnings) == ("loaded", 2, 0)
    stock = [row[:5] + [quantity] + row[6:] for row, quantity in zip(first, ["0", "7"], strict=True)]
    result = ingest(write_offer_csv(tmp_path / "stock.csv", stock, header=headers))
    assert (result.status, result.loaded) == ("loaded", 2)
    with Session(engine) as session:
        stored = {o.sku: o for o in session.scalars(select(Offer))}
    assert [(o.category, o.quantity, o.condition, o.delivery, o.leadtime_to_ship)
            for o in (stored["JV-1"], stored["EM-1"])] == [
        ("jeux-video", 0, "very_good", "tracked", 3), ("electromenager", 7, "new", "standard", 1)]
