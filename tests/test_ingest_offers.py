"""The offer pipeline end to end on both databases: modes, atomicity, once, reports, archive."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loaders.ingest import Ingestor, IngestRequest
from loaders.offers import OFFERS_FEED
from marketplace.models import AppliedFile, Import, ImportProblem, Offer, OfferHistory
from marketplace.storage import open_storage
from tests.helpers import OFFER_HEADER, add_seller, offer_rows, write_offer_csv


@pytest.fixture
def ingestor(engine, settings):
    add_seller(engine, 7)
    add_seller(engine, 8)
    return Ingestor(engine, open_storage(settings), settings)


def ingest(ingestor, path, seller=7, mode="update", force=False):
    return ingestor.ingest(IngestRequest(path=path, name=path.name, feed=OFFERS_FEED,
                                         seller_id=seller, mode=mode, force=force))


def offers(engine, seller=7) -> dict[str, Offer]:
    with Session(engine) as session:
        rows = session.scalars(select(Offer).where(Offer.seller_id == seller)).all()
        return {o.sku: o for o in rows}


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_clean_file_loads_with_exact_prices(ingestor, engine, tmp_path):
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(3, price="1 234,56"))
    result = ingest(ingestor, path)
    assert (result.status, result.rows, result.loaded, result.rejected) == ("loaded", 3, 3, 0)
    assert result.exit_code == 0
    assert result.errors_report is None
    stored = offers(engine)
    assert stored["SKU-00000"].price == Decimal("1234.56")
    assert stored["SKU-00000"].active is True
    assert result.archive and result.archive.endswith(f"{result.import_id}-o.csv")


def test_a_file_whose_every_row_names_another_seller_is_refused_whole(ingestor, engine, tmp_path):
    """Seller 8's catalogue dropped in seller 7's folder was "partial, exit 1", every row
    rejected: it is a wrong-seller file (architecture.md, exit 3), and nothing is applied."""
    header = [*OFFER_HEADER, "seller_id"]
    rows = [[*row, "8"] for row in offer_rows(3)]
    result = ingest(ingestor, write_offer_csv(tmp_path / "o.csv", rows, header=header))
    assert (result.status, result.loaded, result.exit_code) == ("rejected", 0, 3)
    assert result.problems[0].code == "wrong_seller"
    assert result.problems[0].message_fr.startswith(
        "Toutes les lignes de ce fichier désignent un autre vendeur (« 8 »)")
    assert offers(engine) == {} and offers(engine, seller=8) == {}
    own = [[*row, seller] for row, seller in zip(offer_rows(3), ("7,000", "７", "7.000"), strict=True)]
    result = ingest(ingestor, write_offer_csv(tmp_path / "own.csv", own, header=header))
    assert (result.status, result.loaded, result.exit_code) == ("partial", 0, 1)  # said, not refused
    rows[0][-1] = "7"  # one of its rows is the sender's: the others are rejected one by one
    result = ingest(ingestor, write_offer_csv(tmp_path / "o2.csv", rows, header=header))
    assert (result.status, result.loaded, result.rejected, result.exit_code) == ("partial", 1, 2, 1)


def test_a_file_is_only_another_sellers_when_every_row_names_one_and_every_row_was_read(
        ingestor, tmp_path):
    """`n/a` in the seller column names nobody, and a second sheet not read may hold the
    sender's rows: both files were refused as another seller's, the warning beside saying
    that rows holding values were not read."""
    import openpyxl

    header = [*OFFER_HEADER, "seller_id"]
    unnamed = [[*row, "n/a"] for row in offer_rows(2)]
    result = ingest(ingestor, write_offer_csv(tmp_path / "na.csv", unnamed, header=header))
    assert (result.status, result.exit_code) == ("partial", 1)
    book = openpyxl.Workbook()
    for sheet, seller in ((book.active, "8"), (book.create_sheet("Feuil2"), "7")):
        sheet.append(header)
        for row in offer_rows(2):
            sheet.append([*row, seller])
    book.save(tmp_path / "two.xlsx")
    result = ingest(ingestor, tmp_path / "two.xlsx")
    assert (result.status, result.exit_code) == ("partial", 1)
    assert {str(p.code) for p in result.problems} == {"rows_not_read", "other_seller"}


def test_partial_file_loads_valid_rows_and_reports_the_rest(ingestor, engine, tmp_path):
    rows = offer_rows(3)
    rows[1][4] = "-3,00"
    result = ingest(ingestor, write_offer_csv(tmp_path / "o.csv", rows))
    assert (result.status, result.loaded, result.rejected, result.exit_code) == ("partial", 2, 1, 1)
    assert set(offers(engine)) == {"SKU-00000", "SKU-00002"}
    assert result.errors_report.endswith(f"{result.import_id}-errors.xlsx")
    sheet = load_workbook(result.errors_report).worksheets[1]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    flagged = [row for row in cells[1:] if row[0]]
    assert len(flagged) == 1 and flagged[0][1] == 3  # the seller's Excel row
    with Session(engine) as session:
        problem = session.scalars(select(ImportProblem)).one()
        assert (problem.row, problem.column, problem.value) == (3, "prix", "-3,00")


def test_problems_past_the_detailed_ones_are_counted_and_their_rows_still_sent_back(
        ingestor, engine, tmp_path, monkeypatch):
    """A 4 MB file of 300,000 rows holding only a reference kept 900,000 problems: 2.2 GB and
    two minutes. Past `MAX_DETAILED` they are counted, said in one note, and their rows are
    rejected and sent back all the same."""
    import loaders.checking

    monkeypatch.setattr(loaders.checking, "MAX_DETAILED", 5)
    rows = offer_rows(8, price="-1,00")
    for row in rows:
        row[3] = "inconnue"  # two errors a row: 16 problems
    rows.append(offer_rows(1, start=8)[0])  # and a valid row
    result = ingest(ingestor, write_offer_csv(tmp_path / "o.csv", rows))
    assert (result.status, result.loaded, result.rejected) == ("partial", 1, 8)
    assert [p.code for p in result.problems].count("not_detailed") == 1
    assert len(result.problems) == 5 and result.as_json()["problems_total"] == 16  # not the note
    # whole rows, in row order: the cut took the first rows' prices, and no row was told its
    # category, the check after
    assert sorted((p.row, p.column) for p in result.problems if p.row) == [
        (2, "catégorie"), (2, "prix"), (3, "catégorie"), (3, "prix")]
    with Session(engine) as session:  # stored with the import, as its report says it
        stored_codes = session.scalars(select(ImportProblem.code)).all()
    assert stored_codes.count("not_detailed") == 1 and len(stored_codes) == 5
    assert "12 erreurs et 0 avertissements de plus" in result.problems[0].message_fr
    rejected = Path(result.errors_report.replace("-errors.xlsx", "-rejected.csv"))
    assert len(rejected.read_text(encoding="cp1252").splitlines()) == 1 + 8
    sheet = load_workbook(result.errors_report).worksheets[1]
    # the rows with a detailed problem and the valid one; rows 4-9 are in the rejected-rows
    # file only
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [2, 3, 10]
    assert set(offers(engine)) == {"SKU-00008"}


def test_the_problems_detailed_are_those_of_the_first_rows_across_chunks(
        engine, settings, tmp_path, monkeypatch):
    """The cut at a whole row left room that the next chunk's rows filled: rows 2-3 then row
    9 detailed, rows 4-8 not, while the note said the others came after."""
    import loaders.checking

    monkeypatch.setattr(loaders.checking, "MAX_DETAILED", 5)
    add_seller(engine, 7)
    rows = offer_rows(8, price="-1,00")
    for row in rows[:5]:
        row[3] = "inconnue"  # two errors a row in the first chunk, one in the second
    chunked = settings.model_copy(update={"chunk_rows": 5})
    result = ingest(Ingestor(engine, open_storage(chunked), chunked),
                    write_offer_csv(tmp_path / "o.csv", rows))
    assert sorted({p.row for p in result.problems if p.row}) == [2, 3]
    assert result.as_json()["problems_total"] == 13


def test_a_large_files_rejected_rows_past_the_detailed_problems_are_all_sent_back(
        engine, settings, tmp_path, monkeypatch):
    """Past the rows a report shows whole, the rows kept were narrowed to those with a detailed
    problem: 25 of 40 rejected rows came back, the summary calling the others unsplittable."""
    import loaders.checking

    monkeypatch.setattr(loaders.checking, "MAX_DETAILED", 5)
    monkeypatch.setattr(loaders.checking, "REPORT_ALL_ROWS_UP_TO", 20)
    add_seller(engine, 7)
    chunked = settings.model_copy(update={"chunk_rows": 10})
    result = ingest(Ingestor(engine, open_storage(chunked), chunked),
                    write_offer_csv(tmp_path / "o.csv", offer_rows(40, price="-1")))
    assert (result.rows, result.rejected) == (40, 40)
    rejected = Path(result.errors_report.replace("-errors.xlsx", "-rejected.csv"))
    assert len(rejected.read_text(encoding="cp1252").splitlines()) == 1 + 40


def test_a_files_own_problem_found_past_the_detailed_ones_is_still_said(ingestor, tmp_path, monkeypatch):
    """A file-level warning the load found (an order export's name without its date) went into
    the count of rows' problems, "1 more warning on the rows after", and was said nowhere."""
    import loaders.checking
    from loaders.checking import FileRun
    from marketplace.errors import Problem, Reason, Severity

    monkeypatch.setattr(loaders.checking, "MAX_DETAILED", 1)
    request = IngestRequest(path=tmp_path / "o.csv", name="o.csv", feed=OFFERS_FEED, seller_id=7)
    run = FileRun(request, ingestor.context(request, None), ingestor.limits)
    run.add_problems([Problem(Reason.BAD_NUMBER, "fr", "en", row=n) for n in (2, 3)])
    run.add_problems([Problem(Reason.BAD_DATE, "fr", "en", severity=Severity.WARNING),
                      *(Problem(Reason.BAD_NUMBER, "fr", "en", row=n) for n in (3, 4))])
    assert [p.row for p in run.problems] == [2, None]
    assert run.not_detailed == {Severity.ERROR: 3, Severity.WARNING: 0}
    # the load's problem on a row before the cut is said with that row's others
    run.add_problems([Problem(Reason.UNKNOWN_SKU, "fr", "en", row=2), Problem(Reason.UNKNOWN_SKU,
                                                                             "fr", "en", row=5)])
    assert [p.row for p in run.problems] == [2, None, 2]
    assert run.not_detailed == {Severity.ERROR: 4, Severity.WARNING: 0}
    run.note_not_detailed()
    assert "rejetées de même" in run.problems[-1].message_fr


def test_warnings_past_the_detailed_ones_are_not_said_rejected(ingestor, tmp_path, monkeypatch):
    """150,000 orders loaded with unknown-sku warnings were said "rejected all the same"."""
    import loaders.checking
    from loaders.checking import FileRun
    from marketplace.errors import Problem, Reason, Severity

    monkeypatch.setattr(loaders.checking, "MAX_DETAILED", 1)
    request = IngestRequest(path=tmp_path / "o.csv", name="o.csv", feed=OFFERS_FEED, seller_id=7)
    run = FileRun(request, ingestor.context(request, None), ingestor.limits)
    run.add_problems([Problem(Reason.UNKNOWN_SKU, "fr", "en", row=n, severity=Severity.WARNING)
                      for n in (2, 3, 4)])
    run.note_not_detailed()
    assert "rejet" not in run.problems[-1].message_fr and "2 avertissements" in run.problems[-1].message_fr


def test_another_sellers_file_past_the_detailed_problems_is_still_refused_whole(
        ingestor, tmp_path, monkeypatch):
    import loaders.checking

    monkeypatch.setattr(loaders.checking, "MAX_DETAILED", 1)  # taken by the unknown column's
    rows = [[*row, "8", "x"] for row in offer_rows(4)]
    header = [*OFFER_HEADER, "seller_id", "colonne inconnue"]
    result = ingest(ingestor, write_offer_csv(tmp_path / "o.csv", rows, header=header))
    refusal = next(p for p in result.problems if p.code == "wrong_seller")  # no IndexError (exit 4)
    assert (result.status, result.exit_code, refusal.value) == ("rejected", 3, "8")


def test_rejected_rows_csv_sent_back_stores_the_sellers_text_without_the_apostrophe(
        ingestor, engine, tmp_path):
    # the rejected-rows CSV puts an apostrophe before formula-like text (reliability.md); the
    # seller fixes the price only and sends it back: the title is theirs, not "'+Câble..."
    rows = offer_rows(2)
    rows[1][2], rows[1][4] = "+Câble HDMI", "-3,00"
    first = ingest(ingestor, write_offer_csv(tmp_path / "o.csv", rows, encoding="cp1252"))
    rejected = Path(first.errors_report.replace("-errors.xlsx", "-rejected.csv"))
    text = rejected.read_text(encoding="cp1252")
    assert "'+Câble HDMI" in text and "'-3,00" in text
    fixed = tmp_path / "corrige.csv"  # the price cell typed again
    fixed.write_text(text.replace("'-3,00", "3,00"), encoding="cp1252")
    again = ingest(ingestor, fixed)
    assert (again.status, again.loaded) == ("loaded", 1)
    assert offers(engine)["SKU-00001"].title == "+Câble HDMI"


def test_rejected_rows_csv_holds_amounts_as_the_file_s_separator_read_them(ingestor, engine, tmp_path):
    """`12,500` read as 12,50 beside the file's other comma prices came back as `12,500`: alone
    in the fixed file it was "thousands or decimals?", refused."""
    rows = offer_rows(3)
    rows[1][3], rows[1][4] = "informatiqeu", "12,500"  # refused for its category only
    rows[2][3], rows[2][4] = "informatiqeu", "12,505"  # refused for its decimals as well
    first = ingest(ingestor, write_offer_csv(tmp_path / "o.csv", rows, encoding="cp1252"))
    rejected = Path(first.errors_report.replace("-errors.xlsx", "-rejected.csv"))
    text = rejected.read_text(encoding="cp1252")
    assert ";12,50;" in text and ";12,505;" in text
    fixed = tmp_path / "corrige.csv"
    fixed.write_text(text.replace("informatiqeu", "informatique"), encoding="cp1252")
    again = ingest(ingestor, fixed)
    assert (again.status, again.loaded) == ("partial", 1)
    assert offers(engine)["SKU-00001"].price == Decimal("12.50")


@pytest.mark.parametrize(("value", "separator", "as_read"), [
    ("12,500", ",", "12,50"), ("1,250", ".", "1,250"), ("1.250 €", ",", "1.250 €"),
    ("17.988", ",", "17.988"),
    ("12.500", ".", "12.50"), ("12,505", ",", "12,505"), ("12,50", ",", "12,50"),
    ("1 250,00", ",", "1 250,00")])
def test_an_amount_comes_back_as_read(value, separator, as_read):
    from reports.report_rejected import _as_read

    assert _as_read(value, separator) == as_read


def test_same_file_twice_is_applied_once(ingestor, engine, tmp_path):
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(2))
    first = ingest(ingestor, path)
    second = ingest(ingestor, path)
    assert (first.status, second.status, second.exit_code) == ("loaded", "duplicate", 0)
    assert f"déjà importé (import {first.import_id})" in second.message
    assert count(engine, AppliedFile) == 1
    assert count(engine, Import) == 2


def test_same_content_for_another_seller_is_not_a_duplicate(ingestor, engine, tmp_path):
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(2))
    assert ingest(ingestor, path, seller=7).status == "loaded"
    assert ingest(ingestor, path, seller=8).status == "loaded"
    assert len(offers(engine, 8)) == 2


def test_the_report_names_the_file_as_the_seller_sent_it(ingestor, tmp_path):
    """It showed the archive's cleaned name: "Offres d_été n_3 _ promos_.csv"."""
    rows = offer_rows(2)
    rows[1][4] = "-3,00"
    name = "Offres d'été n°3 & promos+.csv"
    result = ingest(ingestor, write_offer_csv(tmp_path / name, rows))
    summary = {row[0]: row[1] for row in load_workbook(result.errors_report).worksheets[0]
               .iter_rows(values_only=True)}
    assert summary["Fichier / File"] == name


def test_update_changes_only_what_differs_and_keeps_history(ingestor, engine, tmp_path):
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(3)))
    rows = offer_rows(3)
    rows[0][4] = "11,00"
    ingest(ingestor, write_offer_csv(tmp_path / "b.csv", rows))
    stored = offers(engine)
    assert stored["SKU-00000"].price == Decimal("11.00")
    with Session(engine) as session:
        history = session.scalars(select(OfferHistory)).all()
    assert [(h.sku, h.price) for h in history] == [("SKU-00000", Decimal("10.00"))]


def test_delete_rows_deactivate_and_unknown_delete_is_a_warning(ingestor, engine, tmp_path):
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(2)))
    path = write_offer_csv(tmp_path / "d.csv", [["SKU-00000", "delete"], ["NOPE", "delete"]],
                           header=["Référence", "Action"])
    result = ingest(ingestor, path)
    assert (result.status, result.loaded, result.warnings, result.exit_code) == ("loaded", 1, 1, 0)
    assert [(p.row, p.column, p.value) for p in result.problems] == [(3, "Référence", "NOPE")]
    stored = offers(engine)
    assert stored["SKU-00000"].active is False
    assert stored["SKU-00001"].active is True


@pytest.mark.parametrize("first_file", [True, False])
def test_a_file_whose_deletions_were_all_ignored_is_taken_again(ingestor, engine, tmp_path, first_file):
    """A deletion sent before the offer existed was "loaded: 1" and the file applied: sent
    again once the offer was created, it was a duplicate and the offer stayed on sale."""
    if not first_file:
        ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(1)))
    delete = write_offer_csv(tmp_path / "d.csv", [["SKU-00009", "delete"]], header=["sku", "action"])
    early = ingest(ingestor, delete)
    assert (early.status, early.loaded, early.warnings) == ("loaded", 0, 1)
    rows = offer_rows(10)[9:]
    ingest(ingestor, write_offer_csv(tmp_path / "n.csv", rows))
    assert offers(engine)["SKU-00009"].active is True
    again = ingest(ingestor, delete)
    assert (again.status, again.loaded, again.warnings) == ("loaded", 1, 0)
    assert offers(engine)["SKU-00009"].active is False
    # deleting it once more changes nothing: not loaded, so taken again once it is back on sale
    twice = write_offer_csv(tmp_path / "d2.csv", [["SKU-00009", "supprimer"]], header=["sku", "action"])
    again = ingest(ingestor, twice)
    assert (again.loaded, again.warnings) == (0, 1)
    assert again.problems[0].message_fr.startswith("Suppression sans effet")
    rows[0][4] = "12,00"  # back on sale at a new price: another file
    ingest(ingestor, write_offer_csv(tmp_path / "n2.csv", rows))
    assert offers(engine)["SKU-00009"].active is True
    assert (ingest(ingestor, twice).loaded, offers(engine)["SKU-00009"].active) == (1, False)


def test_rows_filled_only_in_columns_nobody_reads_are_empty_lines(ingestor, engine, tmp_path):
    """A template's helper column (`Prix HT`, a margin) shows 0 all the way down: its unused
    rows were rejected as offers without sku, and stopped a replace from withdrawing anything."""
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    rows = [[*row, "8,33"] for row in offer_rows(2)] + [["", "", "", "", "", "", "", "0,00"]] * 3
    path = write_offer_csv(tmp_path / "r.csv", rows, header=[*OFFER_HEADER, "Prix HT"])
    result = ingest(ingestor, path, mode="replace", force=True)
    assert (result.status, result.rows, result.loaded, result.rejected) == ("loaded", 2, 2, 0)
    assert [offer.active for offer in offers(engine).values()] == [True, True, False, False]
    # nothing but such rows: no rows, as a header alone (loaded as "0 rows", it emptied the shop)
    only = write_offer_csv(tmp_path / "o.csv", [["", "", "", "", "", "", "", "0,00"]] * 2,
                           header=[*OFFER_HEADER, "Marge"])
    result = ingest(ingestor, only, mode="replace", force=True)
    assert (result.status, result.exit_code) == ("rejected", 3)
    assert "no_rows" in {problem.code for problem in result.problems}
    assert [offer.active for offer in offers(engine).values()] == [True, True, False, False]


def test_replace_deactivates_absent_offers_but_not_rejected_ones(ingestor, engine, tmp_path):
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    rows = offer_rows(4)[:3]
    rows[2][4] = "abc"  # SKU-00002 rejected: must stay as it was
    result = ingest(ingestor, write_offer_csv(tmp_path / "r.csv", rows), mode="replace")
    assert result.status == "partial"
    stored = offers(engine)
    assert stored["SKU-00003"].active is False
    assert stored["SKU-00002"].active is True
    assert stored["SKU-00002"].price == Decimal("10.00")
    # said, as a warning (in the report too): it used to answer "partial" and nothing about it
    [said] = [p for p in result.problems if p.code == "replaced"]
    assert (said.severity, said.row) == ("warning", None)
    assert said.message_fr == ("Mode remplacement : offres désactivées (absentes du fichier ou"
                               " supprimées par lui) : 1 sur vos 4 offres actives.")
    assert result.errors_report is not None


def test_a_file_loaded_in_update_mode_can_then_be_made_the_whole_catalogue(ingestor, engine,
                                                                          tmp_path):
    """The seller drops their file, then asks ops to make it their whole catalogue: the
    replace was answered "duplicate" and withdrew nothing. A replace applies once; an update
    after it stays a duplicate (an old file re-dropped must not undo newer ones)."""
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    whole = write_offer_csv(tmp_path / "w.csv", offer_rows(3))
    assert ingest(ingestor, whole).status == "loaded"
    replaced = ingest(ingestor, whole, mode="replace")
    assert (replaced.status, replaced.exit_code) == ("loaded", 0)
    assert {sku for sku, offer in offers(engine).items() if offer.active} == {
        "SKU-00000", "SKU-00001", "SKU-00002"}
    assert ingest(ingestor, whole, mode="replace").status == "duplicate"
    assert ingest(ingestor, whole).status == "duplicate"


def test_replace_keeps_offers_whose_row_has_a_stray_delimiter(ingestor, engine, tmp_path):
    # an ERP export with an unquoted ";" in a title: the reader refuses the row for its number
    # of fields, and its offer must stay as it was, wherever the stray delimiter fell
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(5)))
    header = ["titre", "sku", "ean", "catégorie", "prix", "stock", "état"]
    lines = [[row[2], row[0], row[1], *row[3:]] for row in offer_rows(5)]
    lines[1][0] = "Produit; bleu"  # before the sku column: the sku is shifted right
    lines[2][0] = "Produit; rouge; XL"  # two extra fields
    lines[3][-1] = "new;x"  # after it
    path = tmp_path / "r.csv"
    path.write_text("\n".join(";".join(cells) for cells in [header, *lines]) + "\n",
                    encoding="utf-8")
    result = ingest(ingestor, path, mode="replace")
    assert (result.status, result.loaded, result.rejected) == ("partial", 2, 3)
    assert {p.code for p in result.problems} == {"field_count"}
    stored = offers(engine)
    assert all(offer.active for offer in stored.values())
    assert stored["SKU-00001"].title == "Produit 1"


@pytest.mark.parametrize("mode", ["update", "replace"])
def test_a_rejected_row_with_a_sku_too_long_or_a_header_too_long_is_a_row_problem(
        ingestor, engine, tmp_path, mode):
    """PostgreSQL failed the whole file (exit 4, every run) for a rejected row's 65-character
    sku (a title's unquoted ";" shifts a long text into the sku column) or a 300-character
    header: they did not fit the staging table and the problems' table."""
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(3)))
    rows = offer_rows(3)
    rows[1][0] = "L" * 65
    rows[2][4] = "-5,00"
    header = [*OFFER_HEADER[:4], "Prix" + " " * 300 + "TTC", *OFFER_HEADER[5:]]
    result = ingest(ingestor, write_offer_csv(tmp_path / "b.csv", rows, header=header), mode=mode)
    assert (result.status, result.loaded, result.rejected) == ("partial", 1, 2)
    stored = offers(engine)
    assert stored["SKU-00002"].active and stored["SKU-00002"].price == Decimal("10.00")
    assert len(stored) == 3


def test_a_price_header_over_two_columns_told_apart_below_refuses_the_file(
        ingestor, engine, tmp_path):
    """"Prix" merged over an HT and a TTC column, as Excel saves it: the HT price was loaded
    as the customer price, with only a warning about a column without a header."""
    path = tmp_path / "fusion.csv"
    path.write_text("sku;titre;catégorie;Prix;;stock\n;;;HT;TTC;\n"
                    "A-1;Livre;livres;10,00;12,00;5\n", encoding="utf-8")
    result = ingest(ingestor, path)
    assert (result.status, result.exit_code, offers(engine)) == ("rejected", 3, {})
    [problem] = result.problems
    assert (problem.code, problem.row, problem.column) == ("split_header", 2, "Prix")
    assert "(« HT » et « TTC »)" in problem.message_fr and "« Prix TTC »" in problem.message_fr
    # a note beside a price, under no header, stays a warning: the row below holds a price
    noted = tmp_path / "note.csv"
    noted.write_text("sku;titre;catégorie;Prix;;stock\nA-1;Livre;livres;10,00;à revoir;5\n",
                     encoding="utf-8")
    kept = ingest(ingestor, noted)
    assert kept.status != "rejected" and "split_header" not in {p.code for p in kept.problems}


def test_replace_guard_refuses_to_empty_a_shop_unless_forced(ingestor, engine, tmp_path):
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(10)))
    truncated = write_offer_csv(tmp_path / "t.csv", offer_rows(4))
    refused = ingest(ingestor, truncated, mode="replace")
    assert (refused.status, refused.exit_code) == ("rejected", 3)
    assert (refused.rows, refused.loaded, refused.rejected) == (4, 0, 4)
    assert "6" in refused.message and "10" in refused.message
    assert all(o.active for o in offers(engine).values())
    forced = ingest(ingestor, truncated, mode="replace", force=True)
    assert forced.status == "loaded"
    assert sum(o.active for o in offers(engine).values()) == 4


def test_missing_required_column_rejects_the_file_and_suggests(ingestor, engine, tmp_path):
    path = write_offer_csv(tmp_path / "o.csv", [["A", "T", "livres", "1"]],
                           header=["sku", "titre", "catégorie", "prixx"])
    result = ingest(ingestor, path)
    assert (result.status, result.exit_code, result.loaded) == ("rejected", 3, 0)
    assert "prixx" in result.message
    assert offers(engine) == {}
    assert result.errors_report is not None


def test_a_training_file_without_the_practical_column_names_it_as_the_seller_s_template(
        ingestor, tmp_path):
    """The report's column was `practical_component`, our code."""
    path = write_offer_csv(tmp_path / "f.csv", [["F1", "Formation", "formation-securite", "50"]],
                           header=["sku", "titre", "catégorie", "prix"])
    result = ingest(ingestor, path)
    assert [(p.column, p.code) for p in result.problems] == [("mise en situation", "required")]
    assert result.problems[0].message_en.startswith('Column "mise en situation" is missing')


def test_unknown_seller_rejects_the_file(ingestor, engine, tmp_path):
    result = ingest(ingestor, write_offer_csv(tmp_path / "o.csv", offer_rows(1)), seller=99)
    assert (result.status, result.exit_code) == ("rejected", 3)
    # not wrong_seller, the code of a file naming another seller: ops tell the two apart
    assert result.problems[0].code == "unknown_seller"
    assert count(engine, Offer) == 0


def test_failure_mid_load_leaves_the_catalog_as_it_was(ingestor, engine, tmp_path, monkeypatch):
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(3)))
    before = {sku: (o.price, o.active) for sku, o in offers(engine).items()}

    def explode(*_args, **_kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr("loaders.offer_loading._deactivate", explode)
    rows = offer_rows(5, price="99,00")
    with pytest.raises(RuntimeError):
        ingest(ingestor, write_offer_csv(tmp_path / "b.csv", rows))
    after = {sku: (o.price, o.active) for sku, o in offers(engine).items()}
    assert after == before
    assert count(engine, AppliedFile) == 1


def test_a_constraint_failing_mid_load_is_a_failure_not_a_duplicate(ingestor, engine, tmp_path,
                                                                     monkeypatch):
    """Any IntegrityError was taken for a concurrent run's: "duplicate", exit 0, the file
    archived, nothing loaded."""
    from sqlalchemy.exc import IntegrityError

    def violated(*_args, **_kwargs):
        raise IntegrityError("INSERT INTO offers ...", {}, Exception("CHECK constraint failed"))

    monkeypatch.setattr("loaders.offer_loading._apply_first_file", violated)
    with pytest.raises(IntegrityError):
        ingest(ingestor, write_offer_csv(tmp_path / "b.csv", offer_rows(2)))
    assert count(engine, AppliedFile) == 0 and offers(engine) == {}


def test_a_large_file_s_duplicate_found_chunks_later_is_in_the_rejected_rows(
        engine, settings, tmp_path, monkeypatch):
    """Past the rows a report keeps whole, the first copy of a sku repeated in a later chunk
    was let go with its chunk: the rejected-rows file held the second copy alone."""
    import loaders.checking

    monkeypatch.setattr(loaders.checking, "REPORT_ALL_ROWS_UP_TO", 3)
    add_seller(engine, 7)
    small = settings.model_copy(update={"chunk_rows": 4})
    rows = offer_rows(12)
    rows[10][0] = rows[1][0]
    result = ingest(Ingestor(engine, open_storage(small), small), write_offer_csv(tmp_path / "o.csv", rows))
    assert {p.row for p in result.problems} == {3, 12}
    rejected = Path(result.errors_report).with_name(f"{result.import_id}-rejected.csv")
    assert [line.split(";")[2] for line in rejected.read_text(encoding="utf-8-sig").splitlines()[1:]] == [
        "Produit 1", "Produit 10"]


@pytest.mark.parametrize("existing", [False, True], ids=["first-file", "next-file"])
def test_duplicates_across_chunks_reject_every_copy(engine, settings, tmp_path, existing):
    add_seller(engine, 7)
    small_chunks = Ingestor(engine, open_storage(settings), settings.model_copy(update={"chunk_rows": 2}))
    if existing:
        ingest(small_chunks, write_offer_csv(tmp_path / "a.csv", offer_rows(1, start=50)))
    rows = offer_rows(5)
    rows[4][0] = rows[0][0]  # the first sku again, three chunks later
    result = ingest(small_chunks, write_offer_csv(tmp_path / "o.csv", rows))
    assert (result.status, result.loaded, result.rejected) == ("partial", 3, 2)
    assert sorted(p.row for p in result.problems) == [2, 6]
    assert "SKU-00000" not in offers(engine)
    assert len(offers(engine)) == 3 + existing


def test_two_columns_meaning_the_same_field_reject_the_file(ingestor, engine, tmp_path):
    path = write_offer_csv(tmp_path / "o.csv", [["A", "B", "T", "livres", "1", "1"]],
                           header=["sku", "Référence", "titre", "catégorie", "prix", "stock"])
    result = ingest(ingestor, path)
    assert (result.status, result.exit_code) == ("rejected", 3)
    assert result.problems[-1].code == "duplicate_header"
    # with the columns' letters: "« prix » and « prix »" did not say where (a hidden column)
    assert "« sku » (colonne A) et « Référence » (colonne B)" in result.message
    assert offers(engine) == {}


def test_same_header_twice_for_an_unknown_column_is_harmless(ingestor, engine, tmp_path):
    rows = [[*row, "x", "y"] for row in offer_rows(1)]
    path = write_offer_csv(tmp_path / "o.csv", rows, header=[*OFFER_HEADER, "note", "note"])
    result = ingest(ingestor, path)
    assert (result.status, result.loaded, result.warnings) == ("loaded", 1, 1)


def test_two_runs_racing_on_one_file_apply_it_once(engine, settings, tmp_path):
    """Two workers pick the same file at once: the seller lock queues them, the unique
    content key makes the second a duplicate."""
    import threading

    add_seller(engine, 7)
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(3000))
    results = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        own = Ingestor(engine, open_storage(settings), settings)
        barrier.wait()
        results.append(ingest(own, path).status)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["duplicate", "loaded"]
    assert len(offers(engine)) == 3000
    assert count(engine, AppliedFile) == 1


def test_a_run_meeting_a_file_another_thread_is_still_reporting_says_duplicate(
        engine, settings, tmp_path, monkeypatch):
    """Committed, the first run writes its report; the second, meeting the content applied and
    the import not closed, took it for one cut short: it wrote the report too and answered
    "loaded"."""
    import threading

    add_seller(engine, 7)
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(20))
    committed, answered = threading.Event(), threading.Event()
    finish = Ingestor.finish

    def slow_finish(self, *args, **kwargs):
        committed.set()
        answered.wait(timeout=60)
        return finish(self, *args, **kwargs)

    monkeypatch.setattr(Ingestor, "finish", slow_finish)
    first: list[str] = []
    thread = threading.Thread(target=lambda: first.append(
        ingest(Ingestor(engine, open_storage(settings), settings), path).status))
    thread.start()
    assert committed.wait(timeout=60)
    monkeypatch.setattr(Ingestor, "finish", finish)
    second = ingest(Ingestor(engine, open_storage(settings), settings), path)
    answered.set()
    thread.join(timeout=60)
    assert (first, second.status) == (["loaded"], "duplicate")


def test_replace_with_a_row_that_cannot_be_read_deactivates_nothing_as_absent(
        ingestor, engine, tmp_path):
    # an unclosed quote swallows the rest of its line: which offer it was is unknown, so no
    # offer is taken for absent this time, and the seller is told why
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(5)))
    rows = offer_rows(5)
    rows[2][2] = '"Produit 3 sans guillemet fermant'
    path = tmp_path / "r.csv"
    path.write_text("\n".join(";".join(cells) for cells in [OFFER_HEADER, *rows]) + "\n",
                    encoding="utf-8")
    result = ingest(ingestor, path, mode="replace")
    codes = {p.code for p in result.problems}
    assert "unbalanced_quote" in codes and "replace_guard" in codes
    assert all(offer.active for offer in offers(engine).values())
    del rows[2]  # the same file without that row: the offer it held is absent, deactivated
    path.write_text("\n".join(";".join(cells) for cells in [OFFER_HEADER, *rows]) + "\n",
                    encoding="utf-8")
    ingest(ingestor, path, mode="replace")
    assert [sku for sku, offer in offers(engine).items() if not offer.active] == ["SKU-00002"]


def test_replace_with_a_row_sent_without_sku_deactivates_nothing_as_absent(
        ingestor, engine, tmp_path):
    # a row with its title and price but an emptied sku stands for some offer of the shop
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    rows = offer_rows(4)
    rows[2][0] = ""
    result = ingest(ingestor, write_offer_csv(tmp_path / "r.csv", rows), mode="replace")
    assert [(p.row, p.code) for p in result.problems if p.severity == "error"] == [(4, "required")]
    assert "replace_guard" in {p.code for p in result.problems}
    assert all(offer.active for offer in offers(engine).values())


@pytest.mark.parametrize("mangled", ["1,23457E+17", "2026-12-01 00:00:00", "SKU 00002"])
def test_replace_with_a_reference_excel_mangled_deactivates_nothing_as_absent(
        ingestor, engine, tmp_path, mangled):
    """A reference Excel turned into a date or cut to 15 digits, or a typo, is refused: its
    offer, which the row stood for, was deactivated as absent from the file."""
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    rows = offer_rows(4)
    rows[2][0] = mangled
    result = ingest(ingestor, write_offer_csv(tmp_path / "r.csv", rows), mode="replace")
    assert {p.row for p in result.problems if p.severity == "error"} == {4}
    assert "replace_guard" in {p.code for p in result.problems}
    assert all(offer.active for offer in offers(engine).values())
    rows[2][0] = "SKU-00002"  # a row kept for a duplicate says which offer it is: replace goes on
    twice = [*rows[1:], [rows[1][0], "Autre titre", *rows[1][2:]]]
    result = ingest(ingestor, write_offer_csv(tmp_path / "d.csv", twice), mode="replace")
    assert "duplicate_key" in {p.code for p in result.problems}
    assert [sku for sku, offer in offers(engine).items() if not offer.active] == ["SKU-00000"]


def test_replace_with_rows_an_xlsx_left_unread_deactivates_nothing_as_absent(
        ingestor, engine, tmp_path):
    # values below 10,000 empty formatted rows are not read: their offers are not absent
    from openpyxl import Workbook

    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(OFFER_HEADER)
    rows = offer_rows(4)
    for row in rows[:3]:
        sheet.append(row)
    for number in range(5, 10_010):
        sheet.cell(number, 1).number_format = "@"  # formatted, empty
    for column, value in enumerate(rows[3], start=1):
        sheet.cell(20_000, column, value)
    workbook.save(tmp_path / "far.xlsx")
    result = ingest(ingestor, tmp_path / "far.xlsx", mode="replace")
    assert {"rows_not_read", "replace_guard"} <= {p.code for p in result.problems}
    assert all(offer.active for offer in offers(engine).values())


def test_replace_guard_counts_the_offers_the_file_deletes(ingestor, engine, tmp_path):
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(7)))
    rows = [[*row, "delete" if i < 5 else "update"] for i, row in enumerate(offer_rows(7))]
    path = write_offer_csv(tmp_path / "d.csv", rows, header=[*OFFER_HEADER, "update-delete"])
    refused = ingest(ingestor, path, mode="replace")
    assert (refused.status, refused.exit_code) == ("rejected", 3)
    assert "5 de vos 7" in refused.problems[0].message_fr
    assert all(o.active for o in offers(engine).values())
    forced = ingest(ingestor, path, mode="replace", force=True)
    assert (forced.status, sum(o.active for o in offers(engine).values())) == ("loaded", 2)


def test_a_workbook_s_reference_excel_made_a_date_is_refused(ingestor, engine, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["sku", "titre", "catégorie", "prix", "stock", "ean"])
    sheet.append([datetime(2026, 12, 1), "Livre tome 1-12", "livres", 5, 1, "9782070368228"])
    sheet.append(["B2", "Livre", "livres", 5, 1, "9782070368228"])
    sheet.append([1.23456789012345e17, "Livre", "livres", 5, 1, "9782070368228"])  # as Excel
    sheet.append([1.23456789012345e17, "Livre", "livres", 5, 1, "9782070368228"])  # keeps two
    sheet.append(["1E5", "Livre", "livres", 5, 1, "9782070368228"])  # text cells: references
    sheet.append(["2E10", "Livre", "livres", 5, 1, "9782070368228"])  # typed so
    workbook.save(tmp_path / "o.xlsx")  # references typed 123456789012345678 and ...679
    result = ingest(ingestor, tmp_path / "o.xlsx")
    assert (result.status, result.loaded) == ("partial", 3)
    said = {(p.row, p.column, p.value): p.message_fr for p in result.problems}
    assert set(said) == {(2, "sku", "2026-12-01 00:00:00"), (4, "sku", "1.23456789012345E+17"),
                         (5, "sku", "1.23456789012345E+17")}
    assert any(p.row == 4 and "a perdu ses derniers chiffres" in p.message_fr
               for p in result.problems)
    assert set(offers(engine)) == {"B2", "1E5", "2E10"}


def test_a_file_over_the_row_limit_counts_the_rows_read_past_it(engine, settings, tmp_path):
    """The rows said were those of the chunks validated before the limit (955,419 for a file of
    1,000,001 rows, 0 with a limit under a chunk), next to "more than 1,000,000 rows"."""
    add_seller(engine, 7)
    limited = settings.model_copy(update={"max_rows": 5, "chunk_rows": 4})
    ingestor = Ingestor(engine, open_storage(limited), limited)
    result = ingest(ingestor, write_offer_csv(tmp_path / "o.csv", offer_rows(9)))
    assert (result.status, result.rows, result.rejected, result.loaded) == ("rejected", 8, 8, 0)


def test_a_workbook_s_text_prices_are_read_as_a_french_seller_types_them(ingestor, engine, tmp_path):
    """Number cells (499.9 in the XML whatever Excel shows) made the workbook a "." file, and
    the text `2.000` typed beside them loaded a 2,000 € fridge at 2,00 € (exit 0). A number
    cell says nothing of the seller's typing: a lone group of three digits is asked about."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["sku", "titre", "catégorie", "prix", "stock", "ean"])
    for sku, price in (("N1", 499.9), ("N2", 329.99), ("N3", 12), ("T1", "2.000"),
                       ("T2", "1.200 €"), ("T3", "1.299,00"), ("T4", "12.50")):
        sheet.append([sku, "Livre", "livres", price, 1, "9782070368228"])
    workbook.save(tmp_path / "o.xlsx")
    result = ingest(ingestor, tmp_path / "o.xlsx")
    refused = {(p.row, p.column, p.value) for p in result.problems}
    assert refused == {(5, "prix", "2.000"), (6, "prix", "1.200 €")}
    prices = {sku: offer.price for sku, offer in offers(engine).items()}
    assert prices == {"N1": Decimal("499.90"), "N2": Decimal("329.99"), "N3": Decimal("12.00"),
                      "T3": Decimal("1299.00"), "T4": Decimal("12.50")}


def test_a_totals_row_typed_under_the_offers_is_ignored(ingestor, engine, tmp_path):
    """"TOTAL" and the stock's sum under the offers was an offer without sku: the file was
    partial every time, and a replace withdrew nothing."""
    ingest(ingestor, write_offer_csv(tmp_path / "a.csv", offer_rows(4)))
    rows = offer_rows(3)
    rows.append(["", "", "TOTAL :", "", "1 234,50 €", "15", ""])
    result = ingest(ingestor, write_offer_csv(tmp_path / "r.csv", rows), mode="replace")
    assert (result.status, result.rows, result.rejected) == ("loaded", 3, 0)
    assert [p.code for p in result.problems] == ["replaced"]  # the absent offer, said
    rows[-1] = ["", "9782253067535", "Total", "", "12,00", "4", ""]  # an EAN: an offer's row
    result = ingest(ingestor, write_offer_csv(tmp_path / "e.csv", rows))
    assert {(p.row, p.code) for p in result.problems} == {(5, "required")}  # sku, category
    assert [sku for sku, offer in offers(engine).items() if not offer.active] == ["SKU-00003"]


def test_a_sheet_of_drop_down_lists_is_not_read_for_the_offers(ingestor, engine, tmp_path):
    """"Listes" (Catégorie, État, Mode de livraison, Devise, Action, Délai d'expédition) named
    more known columns than the seller's "Feuil1" and was read: the file was refused for
    missing sku, title and price."""
    import openpyxl

    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = "Feuil1"
    data.append(["SKU", "Désignation", "Catégorie", "Prix", "Stock", "EAN"])
    data.append(["L1", "Livre", "livres", "12,50", 3, "9782070368228"])
    lists = workbook.create_sheet("Listes")
    lists.append(["Catégorie", "État", "Mode de livraison", "Devise", "Action", "Délai d'expédition",
                  "Mise en situation pratique"])
    lists.append(["livres", "neuf", "standard", "EUR", "update", 2, "oui"])
    workbook.move_sheet("Listes", offset=-1)  # first, as templates put it
    workbook.save(tmp_path / "o.xlsx")
    result = ingest(ingestor, tmp_path / "o.xlsx")
    assert (result.status, result.detected["sheet"], result.loaded) == ("loaded", "Feuil1", 1)
    deletions = openpyxl.Workbook()  # a file of deletions beside the category codes
    deletions.active.append(["Référence", "Action"])
    deletions.active.append(["L1", "supprimer"])
    codes = deletions.create_sheet("Catégories")
    codes.append(["Code catégorie", "Libellé"])
    codes.append(["livres", "Livres"])
    deletions.move_sheet("Catégories", offset=-1)
    deletions.save(tmp_path / "d.xlsx")
    result = ingest(ingestor, tmp_path / "d.xlsx")
    assert (result.status, result.detected["sheet"]) == ("loaded", "Sheet")


def test_cells_merged_over_an_ignored_column_are_not_warned_about(ingestor, tmp_path):
    """A "Famille" label merged down its rows: every import got a warning to unmerge cells no
    rule reads. A merge over a read column is still said."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Famille", *OFFER_HEADER])
    for row in offer_rows(3):
        sheet.append(["Livres", *row])
    sheet.merge_cells("A2:A4")
    sheet.append(["Livres", *offer_rows(1, start=3)[0], "note"])
    sheet.merge_cells("H5:I5")  # the condition over an unnamed column: nothing read is empty
    workbook.save(tmp_path / "o.xlsx")
    result = ingest(ingestor, tmp_path / "o.xlsx")
    assert "merged_cells" not in {p.code for p in result.problems}
    sheet.merge_cells("E2:E3")  # the category
    workbook.save(tmp_path / "o2.xlsx")
    result = ingest(ingestor, tmp_path / "o2.xlsx")
    assert [(p.code, p.value) for p in result.problems if p.code == "merged_cells"] == [
        ("merged_cells", "E2:E3")]


def test_a_workbook_s_number_cell_with_three_decimals_is_told_its_decimals(ingestor, engine, tmp_path):
    """A price computed to 17.988 (shown 17,99) was asked "thousands separator or decimals?"
    about a dot the seller never typed: a number cell has no thousands separator. Text prices
    written with a dot and a final zero (`12.50`: no number cell's text) still make an English
    workbook a "." file."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["sku", "titre", "catégorie", "prix", "stock", "ean"])
    for sku, price in (("N1", 14.99 * 1.2), ("N2", 12.5), ("T1", "12.50"), ("T2", "9.90")):
        sheet.append([sku, "Livre", "livres", price, 1, "9782070368228"])
    workbook.save(tmp_path / "o.xlsx")
    result = ingest(ingestor, tmp_path / "o.xlsx")
    assert [(p.row, p.code, p.value) for p in result.problems] == [(2, "too_many_decimals", "17.988")]
    assert result.detected["decimal_separator"] == "."
    prices = {sku: offer.price for sku, offer in offers(engine).items()}
    assert prices == {"N2": Decimal("12.50"), "T1": Decimal("12.50"), "T2": Decimal("9.90")}
