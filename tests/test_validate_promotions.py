"""`marketplace validate promotions --seller N` says what the import will say, and changes nothing.

A promotion's main rules need the catalog (its offer exists, its price is below the offer's,
it does not overlap one already loaded): validate rehearses the load against the catalog in a
transaction that is rolled back, and checks the file alone only when there is no catalog.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from marketplace.cli import app
from marketplace.config import get_settings
from marketplace.models import Import, Promotion
from tests.helpers import add_seller
from tests.test_ingest_promotions import add_offers, write

ROWS = [["A", "6", "15,00", "", "2026-12-04", "2026-12-06", ""],   # fine
        ["NOPE", "6", "15,00", "", "2026-12-04", "2026-12-06", ""],  # no such offer
        ["A", "7", "19,99", "", "2026-12-10", "2026-12-12", ""]]     # not below the price


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, list(args))
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, json.loads(lines[-1])


def counts(engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (session.scalar(select(func.count()).select_from(Promotion)),
                session.scalar(select(func.count()).select_from(Import)))


def test_validate_finds_what_ingest_finds_and_writes_nothing(engine, catalog_env, tmp_path):
    add_seller(engine, 7)
    add_offers(engine, A="19.99")
    path = write(tmp_path / "promos.csv", ROWS)
    before = counts(engine)
    code, answer = run("validate", "promotions", str(path), "--seller", "7", "--json")
    assert (code, answer["status"], answer["loaded"], answer["rejected"]) == (1, "partial", 1, 2)
    assert {p["row"]: p["code"] for p in answer["problems"]} == {3: "unknown_sku", 4: "out_of_range"}
    assert answer["import_id"] is None
    assert counts(engine) == before
    code, ingested = run("ingest", "promotions", str(path), "--seller", "7", "--json")
    assert (code, ingested["loaded"], ingested["rejected"]) == (1, 1, 2)
    assert [p["code"] for p in ingested["problems"]] == [p["code"] for p in answer["problems"]]


def test_validate_of_an_unknown_seller_is_a_rejected_file(engine, catalog_env, tmp_path):
    path = write(tmp_path / "promos.csv", ROWS[:1])
    code, answer = run("validate", "promotions", str(path), "--seller", "99", "--json")
    assert (code, answer["status"]) == (3, "rejected")


@pytest.fixture
def no_catalog(tmp_path, monkeypatch):
    database = tmp_path / "nowhere" / "catalog.db"
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("MARKETPLACE_STORAGE", str(tmp_path / "store"))
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def test_without_a_catalog_the_file_is_checked_alone_and_no_database_is_made(no_catalog, tmp_path):
    path = write(tmp_path / "promos.csv", ROWS)
    code, answer = run("validate", "promotions", str(path), "--seller", "7", "--json")
    assert (code, answer["status"], answer["rejected"]) == (0, "loaded", 0)
    assert answer["message"].startswith("fichier seul vérifié")
    assert not no_catalog.exists()


def test_without_a_seller_the_answer_says_the_catalog_was_not_asked(engine, catalog_env, tmp_path):
    """It answered "loaded" with no message: a discount above the offer's price passed, and
    the import then refused it."""
    path = write(tmp_path / "promos.csv", ROWS)
    code, answer = run("validate", "promotions", str(path), "--json")
    assert (code, answer["status"]) == (0, "loaded")
    assert answer["message"] == (
        "fichier seul vérifié : sans --seller, pas de catalogue pour contrôler offres, prix et"
        " chevauchements / file checked alone: without --seller, no catalog to check offers,"
        " prices and overlaps")
