"""The columns of the two files sellers send, offers and promotions, and where each belongs.

Kept apart from the schemas (pandera, parsers) so that either feed can tell a seller who put
the other file's columns in it where they go, without importing the other feed's rules.
"""

from __future__ import annotations

from schemas.columns import ColumnSpec, OtherFeedColumns

ACTION_WORDS = {  # the update_delete column's words, keys in normalize_header's form
    "": "update", "update": "update", "u": "update", "mise_a_jour": "update", "maj": "update",
    "modifier": "update", "modification": "update", "ajout": "update", "ajouter": "update",
    "creer": "update", "creation": "update",
    "delete": "delete", "d": "delete", "suppression": "delete", "supprimer": "delete",
    "suppr": "delete", "retirer": "delete", "effacer": "delete",
    "a": "update",  # Amazon's add-delete: a(dd), d(elete); not its "x": a cross marks anything
}
AMOUNT_FIELDS = frozenset({"price", "discount_price"})
"""The amounts of seller files, read with the file's decimal separator (`12,500` is 12,50 in a
file whose other prices show the comma), which a file holding fewer rows may not show."""

SKU_COLUMN = ColumnSpec("sku", ("offer_sku", "offer-sku", "reference", "référence", "ref vendeur",
                                "réf", "réf.", "référence vendeur",
                                "référence produit", "code article", "sku vendeur",
                                "ugs"),  # WooCommerce's French for SKU
                        True, fallback_aliases=("variant sku",  # Shopify's product export
                                                "référence #", "reference #",  # PrestaShop's
                                                "référence n°", "n° de référence",
                                                "seller-sku",  # Amazon's listings report
                                                "offer-seller-id",  # Fnac's offer reference
                                                "réf produit", "référence interne", "réf interne"))
# not "vendeur": a column headed just "Vendeur" holds the shop's name
SELLER_ID_COLUMN = ColumnSpec("seller_id", ("seller-id", "id vendeur"))
UPDATE_DELETE_COLUMN = ColumnSpec("update_delete", ("update-delete", "action"),
                                  fallback_aliases=("add-delete",))

OFFER_COLUMNS = (
    SKU_COLUMN,
    ColumnSpec("product_id", ("ean", "gtin", "isbn", "product-id", "ean13", "code ean",
                              "gtin13", "code-barres", "code barre", "code barres", "code ean13",
                              "n° ean", "nº ean", "numéro ean", "code isbn", "isbn 10",
                              "isbn 13", "gtin, upc, ean ou isbn"), label="ean",
               # "(13 chiffres)" stays in the name: "ISBN (10 chiffres)" beside it is another column
               fallback_aliases=("variant barcode", "gencod", "code gencod", "ean/isbn",
                                 "gtin, upc, ean, or isbn",  # WooCommerce in English
                                 "code ean/isbn", "ean (13 chiffres)", "code ean (13 chiffres)",
                                 "gtin (13 chiffres)", "ean13 (13 chiffres)", "ean code",
                                 "code ean-13"),
               # read alone only: Shopify's export has "Barcode" beside "Variant Barcode"
               weak_aliases=("barcode", "bar code")),
    ColumnSpec("product_id_type", ("product-id-type", "type identifiant", "type d'identifiant")),
    ColumnSpec("title", ("titre", "libellé", "name", "désignation", "nom", "nom du produit",
                         "nom produit", "intitulé", "libellé produit", "titre du produit"),
               required_for_updates=True,
               fallback_aliases=("désignation article", "désignation produit", "nom de l'article",
                                 "product name", "product title",
                                 "nom article", "libellé article", "item-name",
                                 # a training organisation's catalogue
                                 "titre de la formation", "intitulé de la formation",
                                 "nom de la formation", "intitulé formation", "titre formation")),
    ColumnSpec("description", (), fallback_aliases=("item-description",)),
    ColumnSpec("category", ("catégorie", "category_code", "code catégorie"),
               required_for_updates=True,
               fallback_aliases=("catégorie produit", "code catégorie produit"),
               # WooCommerce's and Magento's "Catégories", shop paths most often, which a seller
               # completes with a category column of ours or their own
               weak_aliases=("catégories",)),
    ColumnSpec("price", ("prix", "prix ttc", "prix de vente", "prix de vente ttc", "prix public",
                         "prix public ttc", "prix unitaire ttc",
                         "tarif régulier", "prix régulier"),  # WooCommerce: not "Tarif promo"
               required_for_updates=True, numeric=True,
               fallback_aliases=("regular price", "variant price",  # not "Compare At Price"
                                 "prix vente ttc", "tarif ttc", "pv ttc", "price ttc",
                                 "price incl. vat", "price incl vat", "price including vat",
                                 "price (incl. vat)"),
               weak_aliases=("selling price",)),  # beside "Regular price" (WooCommerce)
    ColumnSpec("currency", ("devise",)),
    ColumnSpec("quantity", ("stock", "quantité", "quantité en stock", "qté",
                            "stock disponible", "quantité disponible"), numeric=True, label="stock",
               fallback_aliases=("variant inventory qty", "qty", "qté dispo", "stock dispo",
                                 "quantité dispo")),
    # the condition under a seller's own name: ignored, a used book went on sale as new
    ColumnSpec("condition", ("state", "état", "product-state", "état du produit"), label="état",
               fallback_aliases=("état produit", "état de l'article", "état article",
                                 "état (neuf/occasion)", "condition du produit", "condition produit",
                                 "état du livre", "état de l'offre", "état de conservation",
                                 "condition de l'article", "item-condition")),
    # not "délai de livraison": the whole time to the customer, often "2 à 3 jours", and
    # exports carry it beside the time to ship
    ColumnSpec("leadtime_to_ship", ("délai d'expédition", "leadtime", "délai de préparation",
                                    "délai d'envoi", "délai expédition", "délai d expédition"),
               numeric=True, fallback_aliases=("délai de traitement", "temps de préparation")),
    ColumnSpec("delivery", ("mode de livraison", "shipping", "mode d'expédition", "mode d'envoi",
                            "type de livraison")),
    # not "Partie pratique" or "Mise en pratique", which often describe it ("3 jeux de rôle")
    ColumnSpec("practical_component", ("mise en situation",), yes_no=True, label="mise en situation",
               fallback_aliases=("mises en situation",)),  # seed 000's plural
    UPDATE_DELETE_COLUMN,
    SELLER_ID_COLUMN,
)

PROMOTION_COLUMNS = (
    SKU_COLUMN,
    ColumnSpec("promotion_type", ("promotion-type", "type", "type de promotion", "type de promo",
                                  "type promo"), True),
    # never "prix barré": that is the price before the discount
    ColumnSpec("discount_price", ("prix promo", "prix remisé", "discount-price",
                                  "prix promotionnel", "prix soldé", "prix promo ttc"),
               label="prix promo", numeric=True),
    ColumnSpec("discount_percent", ("remise %", "remise (%)", "remise en %", "remise",
                                    "% de remise", "discount-percent", "taux de remise",
                                    "pourcentage de remise"),
               other_units=frozenset({"€", "eur", "euro", "euros"}), label="remise %", numeric=True),
    # "Date début" and "Date fin" too: the names sellers write most, which the missing-column
    # message suggested ("Vouliez-vous dire « Date début » ?") while rejecting the whole file
    ColumnSpec("start_at", ("début", "date de début", "date début", "start", "start-date",
                            "début promo", "date de début de la promotion", "du"), True,
               label="début"),
    ColumnSpec("end_at", ("fin", "date de fin", "date fin", "end", "end-date", "fin promo",
                          "date de fin de la promotion", "au"), True, label="fin"),
    # the hour in a column of its own, as many shop exports write it: joined to its date
    ColumnSpec("start_time", ("heure début", "heure de début", "heure début promo", "start-time",
                              "heure de départ"), label="heure début"),
    ColumnSpec("end_time", ("heure fin", "heure de fin", "heure fin promo", "end-time"),
               label="heure fin"),
    ColumnSpec("period", ("période", "code période", "period-code"), label="période"),
    UPDATE_DELETE_COLUMN,  # read to refuse delete rows: a promotion is withdrawn by replace mode
    SELLER_ID_COLUMN,
)


def _only_in(specs: tuple[ColumnSpec, ...], other: tuple[ColumnSpec, ...]) -> tuple[ColumnSpec, ...]:
    shared = {key for spec in other for key in spec.header_keys()}
    return tuple(spec for spec in specs if not spec.header_keys() & shared)


PROMOTION_COLUMNS_IN_OFFER_FILES = OtherFeedColumns(
    _only_in(PROMOTION_COLUMNS, OFFER_COLUMNS),
    "sont des colonnes de promotion : les promotions se déposent dans un fichier à part"
    " (dossier inbox/promotions/<n° vendeur>/, ou marketplace ingest promotions) ; elles sont"
    " ignorées dans un fichier d'offres.",
    "are promotion columns: promotions go in a file of their own (folder"
    " inbox/promotions/<seller id>/, or marketplace ingest promotions); an offer file ignores"
    " them.",
)
OFFER_COLUMNS_IN_PROMOTION_FILES = OtherFeedColumns(
    _only_in(OFFER_COLUMNS, PROMOTION_COLUMNS),
    "sont des colonnes d'offre : prix, titre ou stock se changent par un fichier d'offres"
    " (dossier inbox/offers/<n° vendeur>/, ou marketplace ingest offers) ; elles sont ignorées"
    " dans un fichier de promotions.",
    "are offer columns: price, title or stock change through an offer file (folder"
    " inbox/offers/<seller id>/, or marketplace ingest offers); a promotion file ignores them.",
)
