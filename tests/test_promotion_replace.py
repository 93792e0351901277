"""Replace mode for promotion files, on both databases: what the file leaves out is withdrawn.

The load time is pinned at `NOW` (2026-11-23 12:00 UTC) through the pipeline's context, so
"running", "not started" and "over" are exact; the stored promotions are written directly.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from loaders.checking import FileChecker
from loaders.ingest import Ingestor, IngestRequest
from loaders.promotions import PROMOTIONS_FEED
from marketplace.cli import app
from marketplace.models import Promotion
from marketplace.storage import open_storage
from reports.effective_price import effective_prices
from tests.helpers import add_seller
from tests.test_ingest_promotions import NOW, add_offers, at, write

BEFORE = datetime(2026, 11, 1, tzinfo=UTC)  # when the stored promotions were written
A6 = ["A", "6", "14,00", "", "2026-12-04 08:00", "2026-12-06", ""]  # the key of stored A6


@pytest.fixture(autouse=True)
def load_time(monkeypatch):
    """Every file of these tests loads at NOW."""
    real = FileChecker.context
    monkeypatch.setattr(FileChecker, "context", lambda self, request, import_id: (
        dataclasses.replace(real(self, request, import_id), now=NOW)))


def withdrawn(result) -> list[str]:
    """What the answer says a replace took away: a warning, so in the report too (a replace
    that withdrew promotions used to answer "loaded" and nothing else)."""
    return [p.message_fr for p in result.problems if p.code == "replaced"]


def said(count: int, of: int) -> list[str]:
    return [f"Mode remplacement : promotions retirées (absentes du fichier) : {count} sur vos"
            f" {of} promotions en cours ou à venir."]


@pytest.fixture
def ingestor(engine, settings):
    add_seller(engine, 7)
    add_seller(engine, 8)
    add_offers(engine, A="19.99", B="2.50", C="10.00", D="0.49", E="5.00")
    add_offers(engine, seller_id=8, E="5.00")
    return Ingestor(engine, open_storage(settings), settings)


def promote(engine, sku: str, start: datetime, end: datetime, kind: int = 7,
            price: str = "1.00", seller_id: int = 7) -> None:
    with Session(engine) as session, session.begin():
        session.add(Promotion(seller_id=seller_id, sku=sku, promotion_type=kind,
                              discount_price=Decimal(price), start_at=start, end_at=end,
                              created_at=BEFORE, updated_at=BEFORE))


def stored(engine) -> dict[tuple, tuple]:
    """(seller, sku, type, start) -> (end, price, updated_at, last_import_id) of every promotion."""
    with Session(engine) as session:
        return {(p.seller_id, p.sku, p.promotion_type, p.start_at): (
                    p.end_at, p.discount_price, p.updated_at, p.last_import_id)
                for p in session.scalars(select(Promotion))}


def replace(ingestor, path, force: bool = False, mode: str = "replace"):
    return ingestor.ingest(IngestRequest(path=path, name=path.name, feed=PROMOTIONS_FEED,
                                         seller_id=7, mode=mode, force=force))


FUTURE_A6 = (7, "A", 6, at(2026, 12, 4, 8))
FUTURE_A7 = (7, "A", 7, at(2026, 12, 20))
FUTURE_B = (7, "B", 7, at(2026, 12, 10))
RUNNING_C = (7, "C", 7, at(2026, 11, 20))
OVER_D = (7, "D", 7, at(2026, 11, 1))
OTHER_SELLER = (8, "E", 7, at(2026, 12, 10))


@pytest.fixture
def shop(ingestor, engine):
    """Four promotions not over (two re-sent by the file), one over, one of another seller."""
    promote(engine, "A", at(2026, 12, 4, 8), at(2026, 12, 7), kind=6, price="15.00")
    promote(engine, "A", at(2026, 12, 20), at(2026, 12, 22), price="13.00")
    promote(engine, "B", at(2026, 12, 10), at(2026, 12, 12), price="2.00")
    promote(engine, "C", at(2026, 11, 20), at(2026, 12, 1), price="8.00")
    promote(engine, "D", at(2026, 11, 1), at(2026, 11, 10), price="0.40")
    promote(engine, "E", at(2026, 12, 10), at(2026, 12, 12), seller_id=8)
    return stored(engine)


@pytest.fixture
def shop_file(tmp_path):
    return write(tmp_path / "complete.csv", [
        A6, ["A", "7", "13,00", "", "2026-12-20", "2026-12-21", ""]])


def test_replace_deletes_a_future_promotion_the_file_leaves_out(ingestor, engine, shop,
                                                                  shop_file):
    result = replace(ingestor, shop_file)
    assert (result.status, result.loaded, result.exit_code) == ("loaded", 2, 0)
    after = stored(engine)
    assert FUTURE_B not in after
    assert after[FUTURE_A6][1:] == (Decimal("14.00"), NOW, result.import_id)
    assert after[FUTURE_A7] == shop[FUTURE_A7][:2] + (NOW, result.import_id)
    assert withdrawn(result) == said(2, 4)


def test_replace_ends_a_running_promotion_at_the_load_time(ingestor, engine, shop, shop_file):
    result = replace(ingestor, shop_file)
    assert stored(engine)[RUNNING_C] == (NOW, Decimal("8.00"), NOW, result.import_id)
    prices = effective_prices(engine, at(2026, 11, 21), seller_id=7)
    assert prices[(7, "C")] == Decimal("8.00")  # the past stays as it was
    assert effective_prices(engine, NOW, seller_id=7)[(7, "C")] == Decimal("10.00")


def test_replace_leaves_ended_promotions_and_other_sellers_alone(ingestor, engine, shop,
                                                                 shop_file):
    replace(ingestor, shop_file)
    after = stored(engine)
    assert after[OVER_D] == shop[OVER_D]
    assert after[OTHER_SELLER] == shop[OTHER_SELLER]


def test_update_mode_withdraws_nothing(ingestor, engine, shop, shop_file):
    result = replace(ingestor, shop_file, mode="update")
    after = stored(engine)
    assert (result.status, withdrawn(result)) == ("loaded", [])
    assert {key: after[key] for key in (FUTURE_B, RUNNING_C, OVER_D)} == {
        key: shop[key] for key in (FUTURE_B, RUNNING_C, OVER_D)}


def test_rejected_rows_keep_their_skus_promotions(ingestor, engine, tmp_path):
    promote(engine, "A", at(2026, 12, 4, 8), at(2026, 12, 7), kind=6)
    for sku in "BCDE":
        promote(engine, sku, at(2026, 12, 10), at(2026, 12, 12))
    before = stored(engine)
    result = replace(ingestor, write(tmp_path / "r.csv", [
        A6,
        ["B", "9", "1,00", "", "2026-12-20", "2026-12-21", ""],  # unknown type: validation
        ["C", "6", "1,00", "", "2026-12-11", "2026-12-13", ""],  # overlaps stored C: apply time
        ["D", "6", "0,60", "", "2026-12-20", "2026-12-21", ""],  # above D's price: apply time
        ["L" * 65, "6", "1,00", "", "2026-12-20", "2026-12-21", ""],  # too long to name an offer:
    ]))  # it failed the whole file on PostgreSQL (the kept skus' table)
    assert (result.status, result.loaded, sorted(p.row for p in result.problems if p.row)) == (
        "partial", 1, [3, 4, 5, 6])
    after = stored(engine)
    # the too long reference may be E's mistyped: nothing is withdrawn as absent this time
    assert "replace_guard" in {p.code for p in result.problems}
    # C's new dates over its old ones: not "load it in replace mode", which this is
    overlap = next(p for p in result.problems if p.code == "overlap")
    assert "chargez d'abord ce fichier sans cette ligne" in overlap.message_fr
    assert "mode remplacement" not in overlap.message_fr
    assert (7, "E", 7, at(2026, 12, 10)) in after
    assert {k: v for k, v in after.items() if k[1] in "BCD"} == {
        k: v for k, v in before.items() if k[1] in "BCD"}
    assert withdrawn(result) == []


def test_a_row_dropped_late_for_an_overlap_keeps_its_skus_promotions(engine, settings, tmp_path):
    add_seller(engine, 7)
    add_offers(engine, A="19.99", B="2.50")
    promote(engine, "A", at(2026, 12, 20), at(2026, 12, 22))
    promote(engine, "B", at(2026, 12, 20), at(2026, 12, 22))
    small = Ingestor(engine, open_storage(settings), settings.model_copy(update={"chunk_rows": 2}))
    result = replace(small, write(tmp_path / "p.csv", [
        ["A", "6", "15,00", "", "2026-12-01", "2026-12-10", ""],  # staged, dropped at chunk 2
        ["B", "7", "1,00", "", "2026-12-20", "2026-12-21", ""],  # stored B's key
        ["A", "7", "15,00", "", "2026-12-05", "2026-12-06", ""],
    ]))
    assert (result.status, result.loaded) == ("partial", 1)
    assert [key[1] for key in stored(engine)] == ["A", "B"]  # A kept, not withdrawn


def test_guard_refuses_to_withdraw_more_than_half_unless_forced(ingestor, engine, tmp_path):
    promote(engine, "A", at(2026, 12, 4, 8), at(2026, 12, 7), kind=6)
    promote(engine, "B", at(2026, 12, 10), at(2026, 12, 12))
    promote(engine, "C", at(2026, 11, 20), at(2026, 12, 1))
    promote(engine, "D", at(2026, 10, 1), at(2026, 10, 10))  # over: not counted
    promote(engine, "D", at(2026, 11, 1), at(2026, 11, 10))
    before = stored(engine)
    path = write(tmp_path / "short.csv", [  # the new promotions do not dilute the half either
        A6, *[["E", "7", "4,00", "", f"2026-12-{day}", f"2026-12-{day}", ""] for day in (20, 22)]])
    refused = replace(ingestor, path)
    assert (refused.status, refused.exit_code, refused.loaded) == ("rejected", 3, 0)
    assert "2 de vos 3 promotions" in refused.message
    assert stored(engine) == before
    forced = replace(ingestor, path, force=True)
    assert (forced.status, forced.loaded) == ("loaded", 3)
    assert (withdrawn(refused), withdrawn(forced)) == ([], said(2, 3))
    assert sorted(key[1] for key in stored(engine)) == ["A", "C", "D", "D", "E", "E"]


def test_guard_allows_exactly_half(ingestor, engine, tmp_path):
    promote(engine, "A", at(2026, 12, 4, 8), at(2026, 12, 7), kind=6)
    promote(engine, "B", at(2026, 12, 10), at(2026, 12, 12))
    result = replace(ingestor, write(tmp_path / "half.csv", [A6]))
    assert (result.status, withdrawn(result)) == ("loaded", said(1, 2))
    assert [key[1] for key in stored(engine)] == ["A"]


def test_the_same_replace_file_twice_is_a_duplicate(ingestor, engine, shop, shop_file):
    first = replace(ingestor, shop_file)
    promote(engine, "B", at(2026, 12, 24), at(2026, 12, 26))  # would go if applied again
    before = stored(engine)
    second = replace(ingestor, shop_file)
    assert (first.status, second.status, second.exit_code) == ("loaded", "duplicate", 0)
    assert stored(engine) == before


def test_cli_ingest_promotions_in_replace_mode(engine, catalog_env, tmp_path):
    add_seller(engine, 7)
    add_offers(engine, A="19.99")
    promote(engine, "A", at(2026, 12, 20), at(2026, 12, 22))
    clean = write(tmp_path / "clean.csv", [A6])
    partial = write(tmp_path / "partial.csv", [
        A6, ["A", "9", "1,00", "", "2026-12-24", "2026-12-26", ""]])
    runner = CliRunner()

    def run(path, *extra: str) -> tuple[int, str]:
        result = runner.invoke(app, ["ingest", "promotions", str(path), "--seller", "7",
                                     "--mode", "replace", "--json", *extra])
        return result.exit_code, json.loads(result.stdout)["status"]

    assert run(clean) == (3, "rejected")  # one of one withdrawn: more than half
    assert run(clean, "--force") == (0, "loaded")
    assert [key[3] for key in stored(engine)] == [at(2026, 12, 4, 8)]
    assert run(partial) == (1, "partial")


def test_an_overlap_with_a_promotion_a_replace_ended_shows_its_end_to_the_minute_after(
        ingestor, engine, tmp_path):
    """Ended at a replace's load time (10:27:35 UTC), it was shown "until 11:27" (Paris), a
    start there still overlapped, and the advice was a replace, which never touches it."""
    promote(engine, "C", at(2026, 11, 20), datetime(2026, 11, 23, 10, 27, 35, tzinfo=UTC))
    row = ["C", "6", "9,00", "", "23/11/2026 11:27", "01/12/2026", ""]
    refused = replace(ingestor, write(tmp_path / "c1.csv", [row]), mode="update")
    [problem] = [p for p in refused.problems if p.code == "overlap"]
    assert "au 23/11/2026 11:28)" in problem.message_fr
    assert "Elle est terminée : faites commencer la nouvelle à sa fin ou après." in problem.message_fr
    row[4] = "23/11/2026 11:28"
    assert replace(ingestor, write(tmp_path / "c2.csv", [row]), mode="update").status == "loaded"
