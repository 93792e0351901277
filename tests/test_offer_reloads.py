"""Later files of a seller: rows the catalog already holds are skipped by fingerprint, the
others merged chunk by chunk, and the outcome is exactly what one comparison of the whole
file would give, late duplicates included (both databases)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loaders.bulk import copy_frame
from loaders.ingest import Ingestor, IngestRequest
from loaders.offer_fingerprints import already_stored, fingerprints
from loaders.offers import OFFERS_FEED
from marketplace.models import Offer, OfferHistory
from marketplace.storage import open_storage
from tests.helpers import add_seller, offer_rows, write_offer_csv
from tests.test_ingest_offers import ingest, offers


def state(engine) -> dict[str, tuple]:
    return {sku: (o.price, o.active, o.updated_at, o.last_import_id, o.fingerprint)
            for sku, o in offers(engine).items()}


def history(engine) -> list[tuple[str, Decimal, bool]]:
    with Session(engine) as session:
        rows = session.scalars(select(OfferHistory).order_by(OfferHistory.sku)).all()
        return [(h.sku, h.price, h.active) for h in rows]


def small_chunks(engine, settings) -> Ingestor:
    add_seller(engine, 7)
    return Ingestor(engine, open_storage(settings), settings.model_copy(update={"chunk_rows": 2}))


def test_fingerprint_covers_the_sku_and_every_value():
    frame = pd.DataFrame({
        "sku": ["A", "B", "A"], "product_id": ["1", "1", "1"], "product_id_type": "EAN",
        "title": ["t", "t", "t"], "description": "", "category": "livres",
        "price": pd.array([100, 100, 101], dtype="Int64"), "currency": "EUR",
        "quantity": pd.array([1, 1, 1], dtype="Int64"), "condition": "new",
        "leadtime_to_ship": pd.array([2, 2, 2], dtype="Int64"), "delivery": "standard",
        "practical_component": pd.array([None, None, None], dtype="boolean"),
    })
    prints = fingerprints(frame)
    assert prints.dtype == np.int64
    assert len(set(prints.tolist())) == 3  # another sku, another price: other fingerprints
    assert (fingerprints(frame) == prints).all()
    # an empty cell is not an absent one, and a value moved to the next column is a change
    row = frame.iloc[:1]
    variants = [row.assign(product_id=None), row.assign(title="tx"), row.assign(description="x")]
    seen = {int(fingerprints(v)[0]) for v in variants}
    assert len(seen) == 3 and int(prints[0]) not in seen
    # a chunk whose column is all empty hashes its rows like a chunk where it is not
    mixed = frame.assign(product_id=[None, "1", "1"])
    assert fingerprints(mixed)[0] == fingerprints(row.assign(product_id=None))[0]
    stored = np.sort(prints[:1])
    assert already_stored(prints, stored).tolist() == [True, False, False]
    assert already_stored(prints, np.empty(0, dtype=np.int64)).tolist() == [False] * 3


def test_resent_catalogue_stages_and_rewrites_only_the_changed_row(engine, settings, tmp_path,
                                                                    monkeypatch):
    ingestor = small_chunks(engine, settings)
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(5)))
    before = state(engine)
    staged = []

    def spy(session, table, frame, columns):
        staged.extend(frame["sku"])
        copy_frame(session, table, frame, columns)

    monkeypatch.setattr("loaders.offer_loading.copy_frame", spy)
    rows = offer_rows(5)
    rows[3][4] = "12,00"
    result = ingest(ingestor, write_offer_csv(tmp_path / "b.csv", rows))
    assert (result.status, result.loaded, result.rejected) == ("loaded", 5, 0)
    assert staged == ["SKU-00003"]
    after = state(engine)
    assert {sku for sku in after if after[sku] != before[sku]} == {"SKU-00003"}
    assert after["SKU-00003"][0] == Decimal("12.00")
    assert history(engine) == [("SKU-00003", Decimal("10.00"), True)]


def test_offer_without_fingerprint_is_compared_in_full_then_fingerprinted(engine, settings,
                                                                          tmp_path):
    ingestor = small_chunks(engine, settings)
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(3)))
    with Session(engine) as session, session.begin():  # as if written by something else
        session.execute(update(Offer).values(fingerprint=None))
    before = state(engine)
    result = ingest(ingestor, write_offer_csv(tmp_path / "b.csv", offer_rows(3)[::-1]))
    assert (result.status, result.loaded) == ("loaded", 3)
    after = state(engine)
    assert all(after[sku][:4] == before[sku][:4] for sku in after)  # nothing rewritten
    assert all(after[sku][4] is not None for sku in after)
    assert history(engine) == []


def test_unchanged_row_of_an_inactive_offer_reactivates_it(engine, settings, tmp_path):
    ingestor = small_chunks(engine, settings)
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(3)))
    ingest(ingestor, write_offer_csv(tmp_path / "d.csv", [["SKU-00001", "delete"]],
                                     header=["sku", "update_delete"]))
    assert offers(engine)["SKU-00001"].active is False
    result = ingest(ingestor, write_offer_csv(tmp_path / "b.csv", offer_rows(3)[::-1]))
    assert (result.status, result.loaded) == ("loaded", 3)
    assert all(o.active for o in offers(engine).values())


def test_replace_keeps_unchanged_offers_and_deactivates_absent_ones(engine, settings, tmp_path):
    ingestor = small_chunks(engine, settings)
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(5)))
    rows = offer_rows(5)[:4]
    rows[0][4] = "9,00"
    result = ingest(ingestor, write_offer_csv(tmp_path / "r.csv", rows), mode="replace")
    assert (result.status, result.loaded) == ("loaded", 4)
    stored = offers(engine)
    assert [sku for sku, o in sorted(stored.items()) if not o.active] == ["SKU-00004"]
    assert stored["SKU-00000"].price == Decimal("9.00")
    assert history(engine) == [("SKU-00000", Decimal("10.00"), True),
                               ("SKU-00004", Decimal("10.00"), True)]


def test_unchanged_row_repeated_later_in_the_file_is_rejected_and_not_counted(
        engine, settings, tmp_path):
    ingestor = small_chunks(engine, settings)
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    rows = offer_rows(4)
    rows.append(list(rows[0]))  # SKU-00000 unchanged in chunk 1, again in chunk 3
    for mode in ("update", "replace"):
        rows[1][2] = f"Produit 1 ({mode})"  # new content each time, else a duplicate file
        result = ingest(ingestor, write_offer_csv(tmp_path / f"{mode}.csv", rows), mode=mode)
        assert (result.status, result.loaded, result.rejected) == ("partial", 3, 2), mode
        assert sorted(p.row for p in result.problems) == [2, 6]
    stored = offers(engine)
    assert stored["SKU-00000"].active is True and stored["SKU-00000"].price == Decimal("10.00")


def test_changed_offer_repeated_later_is_put_back_exactly_as_it_was(engine, settings, tmp_path):
    ingestor = small_chunks(engine, settings)
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    ingest(ingestor, write_offer_csv(tmp_path / "d.csv", [["SKU-00002", "delete"]],
                                     header=["sku", "update_delete"]))
    before = state(engine)
    history_before = history(engine)
    rows = offer_rows(4)
    rows[0][4] = "15,00"  # SKU-00000 changed in chunk 1 (merged at once) ...
    rows[2][4] = "16,00"  # SKU-00002 reactivated and changed in chunk 2 ...
    rows.append(["SKU-99999", *rows[1][1:]])  # a new offer in chunk 3 ...
    rows += [list(rows[0]), list(rows[2]), list(rows[4])]  # ... each repeated in chunks 3-4
    result = ingest(ingestor, write_offer_csv(tmp_path / "b.csv", rows))
    assert (result.status, result.loaded, result.rejected) == ("partial", 2, 6)
    after = state(engine)
    assert "SKU-99999" not in after
    for sku in ("SKU-00000", "SKU-00002"):
        assert after[sku][:4] == before[sku][:4], sku  # price, active, updated_at, import
    assert after["SKU-00002"][1] is False
    assert history(engine) == history_before


def test_the_merged_columns_are_the_model_offer_values():
    from loaders.offer_merge import CHANGEABLE
    from marketplace.models import OfferValues

    assert list(OfferValues.__annotations__) == CHANGEABLE


def test_replace_guard_counts_the_shop_as_it_was_before_the_file(engine, settings, tmp_path):
    """New offers in a replace file are merged chunk by chunk before the guard runs: they must
    not make 6 of 10 old offers look like less than half of the shop."""
    ingestor = small_chunks(engine, settings)
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(10)))
    rows = offer_rows(4) + offer_rows(20, start=100)
    refused = ingest(ingestor, write_offer_csv(tmp_path / "r.csv", rows), mode="replace")
    assert (refused.status, refused.exit_code) == ("rejected", 3)
    assert "6" in refused.message and "10" in refused.message
    stored = offers(engine)
    assert len(stored) == 10 and all(o.active for o in stored.values())
    forced = ingest(ingestor, write_offer_csv(tmp_path / "r.csv", rows), mode="replace", force=True)
    assert (forced.status, forced.loaded) == ("loaded", 24)
    assert sum(o.active for o in offers(engine).values()) == 24


def test_a_column_the_file_leaves_out_keeps_the_stored_values(engine, settings, tmp_path):
    """A weekly export without `état` or `description` updates prices and stocks only: a used
    item must not turn new, nor descriptions vanish; a new offer gets the defaults."""
    ingestor = small_chunks(engine, settings)
    header = ["sku", "ean", "titre", "description", "catégorie", "prix", "stock", "état"]
    full = [[*row[:3], f"Notice {row[0]}", *row[3:6], "bon état"] for row in offer_rows(3)]
    ingest(ingestor, write_offer_csv(tmp_path / "full.csv", full, header=header))
    weekly = offer_rows(4, price="12,00")  # no description, no état column; SKU-00003 is new
    assert ingest(ingestor, write_offer_csv(tmp_path / "weekly.csv",
                                            [row[:6] for row in weekly],
                                            header=header[:3] + header[4:7])).loaded == 4
    stored = offers(engine)
    assert [(o.price, o.condition, o.description) for o in stored.values()] == [
        (Decimal("12.00"), "good", "Notice SKU-00000"), (Decimal("12.00"), "good", "Notice SKU-00001"),
        (Decimal("12.00"), "good", "Notice SKU-00002"), (Decimal("12.00"), "new", "")]
    assert [(sku, price) for sku, price, _ in history(engine)] == [
        ("SKU-00000", Decimal("10.00")), ("SKU-00001", Decimal("10.00")),
        ("SKU-00002", Decimal("10.00"))]
    # the file's fingerprint holds the defaults of the columns it left out, not the stored
    # `bon état`: it would not describe the row; the new offer's does
    assert stored["SKU-00000"].fingerprint is None and stored["SKU-00003"].fingerprint is not None
    # the next full file says `neuf`: it is applied, not skipped as already stored
    again = [[*row[:3], f"Notice {row[0]}", row[3], "12,00", row[5], "neuf"]
             for row in offer_rows(3)]
    ingest(ingestor, write_offer_csv(tmp_path / "again.csv", again, header=header))
    assert {o.condition for o in offers(engine).values()} == {"new"}


def test_rules_on_a_column_the_file_leaves_out_judge_the_offer_it_makes(engine, settings,
                                                                       tmp_path):
    """No `état` column: a refurbished phone stays refurbished, so its title may say so; a new
    offer is new by default, so it may not. No `ean` nor `stock` column: a stored offer keeps
    its own, a new physical one has none and is rejected. Rejected rows leave their offers as
    they were (chunks of two: merged before the end of the file, then undone)."""
    ingestor = small_chunks(engine, settings)
    rows = offer_rows(3)
    rows[0][2], rows[0][6] = "iPhone 12 reconditionné", "reconditionné"
    ingest(ingestor, write_offer_csv(tmp_path / "first.csv", rows))
    header = ["sku", "titre", "catégorie", "prix"]  # no ean, stock nor état
    weekly = [["SKU-00000", "iPhone 12 reconditionné grade A", "informatique", "12,00"],
              ["SKU-00001", "Produit 1 d'occasion", "informatique", "12,00"],
              ["SKU-00002", "Produit 2", "informatique", "12,00"],
              ["SKU-00009", "Produit 9", "informatique", "12,00"]]
    result = ingest(ingestor, write_offer_csv(tmp_path / "weekly.csv", weekly, header=header))
    assert (result.status, result.loaded, result.rejected) == ("partial", 2, 2)
    assert sorted((p.row, p.code, p.column) for p in result.problems) == [
        (3, "used_declared_new", "titre"), (5, "required", "ean"),
        (5, "required", "stock")]
    used = next(p for p in result.problems if p.code == "used_declared_new")
    assert used.value == "Produit 1 d'occasion"  # the cell holding the words, highlighted
    assert used.message_fr.startswith("Le titre contient « d'occasion » : un produit d'occasion")
    stored = offers(engine)
    assert sorted(stored) == ["SKU-00000", "SKU-00001", "SKU-00002"]  # SKU-00009 not created
    assert (stored["SKU-00000"].condition, stored["SKU-00000"].price,
            stored["SKU-00000"].product_id) == ("refurbished", Decimal("12.00"), offer_rows(1)[0][1])
    assert (stored["SKU-00001"].title, stored["SKU-00001"].price) == ("Produit 1", Decimal("10.00"))
    assert stored["SKU-00002"].price == Decimal("12.00")
    # in replace mode a row so rejected keeps its offer active, as any rejected row does
    weekly[1][3] = "11,00"  # another file: not the duplicate of the last one
    result = ingest(ingestor, write_offer_csv(tmp_path / "replace.csv", weekly, header=header),
                    mode="replace")
    assert (result.loaded, result.rejected) == (2, 2)
    assert all(o.active for o in offers(engine).values())
    # a first file gets the same answer: nothing is stored, so every row is a new offer
    add_seller(engine, 8)
    first = ingestor.ingest(IngestRequest(path=tmp_path / "weekly.csv", name="weekly.csv",
                                          feed=OFFERS_FEED, seller_id=8))
    assert (first.loaded, first.rejected, offers(engine, seller=8)) == (0, 4, {})


def test_first_file_chunks_encoded_ahead_load_like_the_others(engine, settings, tmp_path,
                                                              monkeypatch):
    """On PostgreSQL the read-ahead thread encodes a first file's COPY from the second chunk
    staged on (the first tells it the seller has no offer yet); the offers are the same."""
    from loaders import offer_loading

    ingestor = small_chunks(engine, settings)
    encoded = []
    original = offer_loading.copy_encoded

    def spy(session, table, columns, body):
        encoded.append(table)
        original(session, table, columns, body)

    monkeypatch.setattr(offer_loading, "copy_encoded", spy)
    result = ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(9)))
    assert (result.status, result.loaded) == ("loaded", 9)
    stored = state(engine)
    assert sorted(stored) == [f"SKU-{n:05d}" for n in range(9)]
    assert {values[0] for values in stored.values()} == {Decimal("10.00")}
    assert all(values[1] and values[4] is not None for values in stored.values())
    if engine.dialect.name == "postgresql":  # 5 chunks of 2 rows: at most 2 encoded on stage
        assert len(encoded) >= 3 and set(encoded) == {"offers"}
    else:
        assert encoded == []


def test_an_offer_moved_between_physical_and_digital_by_a_file_without_those_columns(
        engine, settings, tmp_path):
    """A file without `état` nor `mode de livraison` moved a used game to a training category:
    the training went on sale "good" and "standard"; a training moved to books kept "digital".
    The moved offers take what their new category allows (new and digital; the physical
    default, standard); the others keep their stored values."""
    ingestor = small_chunks(engine, settings)
    header = ["sku", "ean", "titre", "catégorie", "prix", "stock", "état", "mode de livraison",
              "mise en situation"]
    ean = offer_rows(1)[0][1]
    ingest(ingestor, write_offer_csv(tmp_path / "first.csv", [
        ["G", ean, "Jeu", "jeux-video", "10,00", "5", "bon état", "suivi", ""],
        ["T", "", "Anglais", "formation-langues", "90,00", "", "", "", "oui"],
        ["K", ean, "Livre", "livres", "10,00", "5", "bon état", "suivi", ""]], header=header))
    moved = ingest(ingestor, write_offer_csv(tmp_path / "moved.csv", [
        ["G", ean, "Jeu", "formation-langues", "10,00", "", "oui"],
        ["T", ean, "Anglais", "livres", "90,00", "3", ""],
        ["K", ean, "Livre", "livres", "11,00", "5", ""]],
        header=["sku", "ean", "titre", "catégorie", "prix", "stock", "mise en situation"]))
    assert (moved.status, moved.loaded, moved.rejected) == ("loaded", 3, 0)
    stored = offers(engine)
    assert [(stored[sku].category, stored[sku].condition, stored[sku].delivery) for sku in "GTK"] == [
        ("formation-langues", "new", "digital"), ("livres", "new", "standard"),
        ("livres", "good", "tracked")]
    assert stored["K"].price == Decimal("11.00")
    again = ingest(ingestor, write_offer_csv(tmp_path / "again.csv", [
        ["G", ean, "Jeu", "formation-langues", "10,00", "", "oui"]],
        header=["sku", "ean", "titre", "catégorie", "prix", "stock", "mise en situation"]))
    assert again.loaded == 1 and offers(engine)["G"].delivery == "digital"
