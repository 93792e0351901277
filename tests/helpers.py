"""Small builders shared by the tests: a seller in the catalog, an offer file on disk."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.orm import Session
from stdnum import ean

from marketplace.models import Seller


def add_seller(engine, seller_id: int, status: str = "active") -> None:
    with Session(engine) as session, session.begin():
        session.add(Seller(seller_id=seller_id, shop_name=f"Shop {seller_id}",
                           legal_name=f"Legal {seller_id}", status=status))


def an_ean(n: int) -> str:
    base = f"376{n:09d}"
    return base + ean.calc_check_digit(base)


def offer_rows(count: int, start: int = 0, price: str = "10,00") -> list[list[str]]:
    return [[f"SKU-{i:05d}", an_ean(i), f"Produit {i}", "informatique", price, "5", "new"]
            for i in range(start, start + count)]


OFFER_HEADER = ["sku", "ean", "titre", "catégorie", "prix", "stock", "état"]


def write_offer_csv(path: Path, rows: list[list[str]], header=OFFER_HEADER, encoding="utf-8",
                    delimiter=";") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path
