"""Amazon's numeric codes in the columns of its listings reports.

A seller moving from Amazon sends its listings report with our category added: there,
`item-condition` 11 is new, 1 to 4 the used grades (5 to 8 the same grades of a collectible,
a used item too), 10 refurbished; `product-id-type` 1 is an ASIN, 2 an ISBN, 3 a UPC, 4 an
EAN. The digits mean this only under Amazon's own header: in a column the seller headed
`état`, a `3` is the seller's own code and is refused as an unknown condition.
"""

from __future__ import annotations

from schemas.columns import header_key

CONDITIONS = {"11": "new", "1": "like_new", "2": "very_good", "3": "good", "4": "acceptable",
              "5": "like_new", "6": "very_good", "7": "good", "8": "acceptable",
              "10": "refurbished"}
ID_TYPES = {"1": "ASIN", "2": "ISBN", "3": "EAN", "4": "EAN"}  # a UPC-12 is an EAN (offers.md)
HEADERS = {"condition": "item-condition", "product_id_type": "product-id-type"}


def amazon_codes(field: str, header: str, codes: dict[str, str]) -> dict[str, str]:
    """`codes` when the column of `field` carries Amazon's header, else nothing to translate."""
    return codes if header_key(header) == header_key(HEADERS[field]) else {}
