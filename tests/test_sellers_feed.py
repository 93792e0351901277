"""The seller registry feed: typing and rules on small frames, then the upsert on both databases.

Frames are built as the reader hands them over: index = Excel row numbers from 2, columns =
header positions, every cell a `str`. The identifiers are real-looking and checked with the
libraries themselves first, so a test never passes on a number that is wrong for another reason.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import astuple
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from schwifty import BIC, IBAN
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.eu import vat
from stdnum.fr import siren, siret, tva

from loaders.ingest import Ingestor, IngestRequest
from loaders.sellers import SELLERS_FEED
from marketplace.db import in_transaction
from marketplace.errors import Problem, Reason, Severity
from marketplace.models import ImportProblem, Seller
from marketplace.storage import open_storage
from schemas.bank_accounts import mask_iban, mask_ibans_in
from schemas.columns import map_headers
from schemas.feed import Applied, FeedContext, Validated
from schemas.parsing_dates import parse_dates, parse_datetimes
from schemas.sellers import SELLER_COLUMNS, allowed_plans

SIREN = "732829320"
SIRET = "73282932000074"
VAT = "FR44732829320"
IBAN_OK = "FR7630006000011234567890189"
BIC_OK = "AGRIFRPP"
IBAN_BAD_KEY = "FR7630006000011234567890188"  # last digit changed: the check digits fail
REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
HEADERS = ["seller_id", "shop_name", "legal_name", "status"]


def context(reference_dir: Path = REFERENCE, import_id: int | None = 1) -> FeedContext:
    return FeedContext(kind="sellers", seller_id=None, import_id=import_id,
                       reference_dir=reference_dir, now=datetime.now(UTC))


def frame(rows: list[list[str]], headers: list[str], first_row: int = 2) -> pd.DataFrame:
    return pd.DataFrame(rows, index=range(first_row, first_row + len(rows)),
                        columns=range(len(headers)), dtype="str")


def validate(rows: list[list[str]], headers: list[str] = HEADERS,
             ctx: FeedContext | None = None) -> Validated:
    return SELLERS_FEED.validate(frame(rows, headers), map_headers(headers, SELLER_COLUMNS),
                                 ctx or context())


def seller(seller_id: int = 1, status: str = "active", **extra: str) -> dict[str, str]:
    return {"seller_id": str(seller_id), "shop_name": f"Boutique {seller_id}",
            "legal_name": f"Société {seller_id} SAS", "status": status, **extra}


def validate_sellers(*sellers: dict[str, str], ctx: FeedContext | None = None) -> Validated:
    headers = list(dict.fromkeys(key for row in sellers for key in row))
    return validate([[row.get(h, "") for h in headers] for row in sellers], headers, ctx)


def codes(problems: list[Problem]) -> list[tuple[int | None, str | None, Reason]]:
    return [(p.row, p.column, p.code) for p in problems]


# -- the identifiers used here, checked by the libraries ---------------------------------------


def test_the_sample_identifiers_are_what_the_tests_assume():
    assert siren.is_valid(SIREN) and siret.is_valid(SIRET) and SIRET.startswith(SIREN)
    assert vat.is_valid(VAT) and tva.is_valid(VAT) and VAT.endswith(SIREN)
    assert IBAN(IBAN_OK, validate_bban=True).country_code == "FR"
    assert BIC(BIC_OK).country_code == "FR"
    assert not siren.is_valid("732829321") and not siret.is_valid("73282932000075")
    assert not vat.is_valid("FR45732829320")
    with pytest.raises(ValueError):
        IBAN(IBAN_BAD_KEY, validate_bban=True)


# -- headers and typing --------------------------------------------------------------------------


def test_french_headers_map_to_fields():
    headers = ["Identifiant vendeur", "Nom de la boutique", "Raison sociale", "Statut",
               "Forme juridique", "Capital social", "Ville RCS", "Numéro de TVA", "Adresse",
               "Code postal", "Ville", "Pays", "Courriel", "Date d'inscription",
               "Date d'activation"]
    mapping = map_headers(headers, SELLER_COLUMNS)
    assert list(mapping.positions) == [
        "seller_id", "shop_name", "legal_name", "status", "legal_form", "share_capital",
        "rcs_city", "vat_number", "address", "postcode", "city", "country", "email",
        "registered_at", "activated_at"]
    assert not mapping.unknown
    for header, field in (("TVA intracommunautaire", "vat_number"), ("E-mail", "email")):
        assert field in map_headers([*HEADERS, header], SELLER_COLUMNS).positions


@pytest.mark.parametrize(("header", "field"), [
    ("IBAN (RIB)", "iban"), ("N° IBAN", "iban"), ("Compte IBAN", "iban"), ("BIC (SWIFT)", "bic"),
    ("Code SWIFT", "bic"), ("N° TVA intracommunautaire", "vat_number"),
    ("Numéro de TVA intracommunautaire", "vat_number"), ("Date activation", "activated_at"),
    ("Pays (code ISO)", "country"), ("E-mail de contact", "email"),
    ("Date de résiliation", "termination_requested_at")])
def test_a_crm_s_headers_map_to_fields(header: str, field: str):
    """A new IBAN under "IBAN (RIB)" was an unknown column: the old account stayed, exit 0."""
    assert map_headers([*HEADERS, header], SELLER_COLUMNS).positions[field] == len(HEADERS)


def test_an_iban_column_no_alias_reads_refuses_the_file():
    from marketplace.errors import FileRejected

    with pytest.raises(FileRejected) as refused:
        validate_sellers(seller(1, **{"IBAN à jour": IBAN_OK}))
    assert refused.value.problem.message_fr.startswith(
        "La colonne « IBAN à jour » semble contenir les IBAN mais n'est pas reconnue")
    # a column that only speaks of the accounts is the file's own, ignored
    for header, value in (("IBAN masqué", "FR76 **** **** 0189"), ("Iban valide ?", "oui"),
                          ("Date mise à jour IBAN", "01/12/2026")):
        assert validate_sellers(seller(1, **{header: value})).problems == []


def test_no_header_text_names_two_fields():
    keys = [spec.header_keys() for spec in SELLER_COLUMNS]
    assert sum(map(len, keys)) == len(set().union(*keys))


def test_a_clean_row_is_typed():
    result = validate_sellers(seller(
        7, status="Résilié", share_capital="10 000,50", trial_max_revenue="1500",
        trial_max_orders="20", registered_at="01/03/2024", activated_at="2024-03-05 00:00:00",
        termination_requested_at="15-06-2024", payout_hold_until="2025-01-31T23:30:00Z",
        siren=SIREN, vat_number="fr 44 732 829 320", country="fr", email="shop@example.fr",
        legal_form="SAS", plan=""))
    assert result.problems == []
    row = result.valid.loc[2]
    assert row["seller_id"] == 7 and row["status"] == "terminated" and row["plan"] == "standard"
    assert row["share_capital"] == Decimal("10000.50")
    assert row["trial_max_revenue"] == Decimal("1500.00")
    assert row["trial_max_orders"] == 20
    assert (row["registered_at"], row["activated_at"]) == (date(2024, 3, 1), date(2024, 3, 5))
    assert row["termination_requested_at"] == date(2024, 6, 15)
    assert row["payout_hold_until"] == date(2025, 2, 1)  # 00:30 in Paris
    assert (row["vat_number"], row["country"], row["siren"]) == (VAT, "FR", SIREN)
    assert pd.isna(row["siret"])


@pytest.mark.parametrize(("word", "status"), [
    ("en attente", "pending"), ("EN_ATTENTE", "pending"), ("actif", "active"),
    ("Active", "active"), ("vacances", "vacation"), ("suspendue", "suspended"),
    ("resilie", "terminated"), ("terminated", "terminated")])
def test_french_status_words_are_mapped(word, status):
    assert validate_sellers(seller(status=word)).valid.loc[2, "status"] == status


def test_a_siret_in_the_siren_column_gives_both():
    result = validate_sellers(seller(siren=SIRET))
    assert result.problems == []
    assert (result.valid.loc[2, "siren"], result.valid.loc[2, "siret"]) == (SIREN, SIRET)


def test_empty_optional_cells_are_none():
    result = validate_sellers(seller(share_capital="", registered_at="", email="", siren=""))
    assert result.problems == []
    row = result.valid.loc[2]
    assert all(pd.isna(row[name]) for name in ("share_capital", "registered_at", "email", "siren"))


def test_premium_plans_come_from_the_reference_data(tmp_path):
    assert allowed_plans(REFERENCE) >= {"standard"}
    (tmp_path / "plans.csv").write_text("code,label\npremium,Premium\n", encoding="utf-8")
    assert validate_sellers(seller(plan="Premium"), ctx=context(tmp_path)).problems == []
    assert codes(validate_sellers(seller(plan="gold"), ctx=context(tmp_path)).problems) == [
        (2, "plan", Reason.NOT_ALLOWED)]


@pytest.mark.parametrize("written", ["premium-visibilite", "Premium Visibilité", "premium_visibilite",
                                     "Abonnement Premium Visibilité"])
def test_a_plan_is_read_as_its_code_or_its_label(written):
    """plans.csv's own label was "an unknown plan", and the message named no code."""
    result = validate_sellers(seller(plan=written))
    assert result.problems == [] and result.valid.loc[2, "plan"] == "premium-visibilite"
    [refused] = validate_sellers(seller(plan="gold")).problems
    assert refused.message_fr == ("Offre inconnue « gold » : écrivez l'un des codes premium-audience,"
                                  " premium-visibilite, standard.")


# -- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("column", "text", "reason"), [
    ("seller_id", "0", Reason.OUT_OF_RANGE),
    ("seller_id", "abc", Reason.BAD_NUMBER),
    ("seller_id", "", Reason.REQUIRED),
    ("shop_name", "", Reason.REQUIRED),
    ("shop_name", "x" * 201, Reason.TOO_LONG),
    ("status", "closed", Reason.NOT_ALLOWED),
    ("siren", "732829321", Reason.BAD_CHECK_DIGIT),
    ("siren", "7328293", Reason.BAD_FORMAT),
    ("siren", "7.32829E+08", Reason.SCIENTIFIC_NOTATION),
    ("siret", "73282932000075", Reason.BAD_CHECK_DIGIT),
    ("siret", SIREN, Reason.BAD_FORMAT),
    ("vat_number", "FR45732829320", Reason.BAD_CHECK_DIGIT),
    ("vat_number", "XX44732829320", Reason.BAD_FORMAT),
    ("country", "Frankreich", Reason.BAD_FORMAT),
    ("country", "XX", Reason.BAD_FORMAT),
    ("email", "shop@", Reason.BAD_FORMAT),
    ("email", "shop example.fr", Reason.BAD_FORMAT),
    ("plan", "gold", Reason.NOT_ALLOWED),
    ("share_capital", "-1", Reason.OUT_OF_RANGE),
    ("share_capital", "dix", Reason.BAD_NUMBER),
    ("trial_max_revenue", "12,3456", Reason.TOO_MANY_DECIMALS),
    ("trial_max_orders", "-3", Reason.OUT_OF_RANGE),
    ("trial_max_orders", "2.5", Reason.BAD_NUMBER),
    ("registered_at", "31/02/2024", Reason.BAD_DATE),
    ("activated_at", "03/13/2024", Reason.BAD_DATE),
    # no letter nor digit: no bank can name the account holder of a transfer
    ("legal_name", "🚀🚀", Reason.BAD_FORMAT),
    ("legal_name", "@@@", Reason.BAD_FORMAT),
])
def test_each_rule_rejects_the_row_naming_the_cell(column, text, reason):
    row = seller(**{"share_capital": "100", column: text})
    # an active seller's empty activation date is warned about: the other row has one
    other = seller(2, activated_at="01/01/2024") if column == "activated_at" else seller(2)
    result = validate_sellers(row, other)
    assert codes(result.problems) == [(2, column, reason)]
    assert result.problems[0].value == text
    assert result.problems[0].message_fr and result.problems[0].message_en
    assert list(result.valid.index) == [3]


def test_control_characters_in_names_become_spaces():
    """A registry export with a stray control byte: the register, the invoice and the SEPA file
    must print the same name (the XML and XLSX writers drop such bytes, the CSV kept them)."""
    result = validate_sellers(seller(legal_name="Bad\x01Name\x0bSARL", shop_name="Shop\x1bEsc\n2"))
    assert result.problems == []
    assert (result.valid.loc[2, "legal_name"], result.valid.loc[2, "shop_name"]) == (
        "Bad Name SARL", "Shop Esc 2")


def test_problems_name_the_registry_header_and_its_text():
    headers = ["ID vendeur", "Nom de la boutique", "Raison sociale", "Statut"]
    result = validate([["12", "Boutique", "Société", "fermé"]], headers)
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.value) == (2, "Statut", "fermé")
    assert problem.message_fr.startswith("Statut inconnu « fermé »")


def test_vat_and_siret_must_belong_to_the_siren():
    other_vat = "FR96552100554"  # valid, but another company's
    assert vat.is_valid(other_vat) and siret.is_valid("55210055400013")
    result = validate_sellers(seller(siren=SIREN, siret="55210055400013", vat_number=other_vat))
    assert codes(result.problems) == [(2, "siret", Reason.NOT_ALLOWED),
                                      (2, "vat_number", Reason.BAD_CHECK_DIGIT)]


def test_a_vat_number_must_belong_to_the_siren_of_the_siret_when_no_siren_is_given():
    other_vat = "FR96552100554"  # valid, but another company's
    no_siren_column = validate_sellers(seller(siret=SIRET, vat_number=other_vat))
    assert codes(no_siren_column.problems) == [(2, "vat_number", Reason.BAD_CHECK_DIGIT)]
    empty_siren_cell = validate_sellers(seller(siren="", siret=SIRET, vat_number=other_vat))
    assert codes(empty_siren_cell.problems) == [(2, "vat_number", Reason.BAD_CHECK_DIGIT)]
    matching = validate_sellers(seller(siret=SIRET, vat_number=VAT), seller(2, siret=SIRET))
    assert matching.problems == []
    assert matching.valid.loc[2, "siren"] == SIREN


def test_duplicate_seller_ids_reject_every_copy():
    result = validate_sellers(seller(5), seller(6), seller(5, status="pending"))
    assert codes(result.problems) == [(2, "seller_id", Reason.DUPLICATE_KEY),
                                      (4, "seller_id", Reason.DUPLICATE_KEY)]
    assert list(result.valid["seller_id"]) == [6]


# -- bank accounts -------------------------------------------------------------------------------


def test_a_valid_bank_account_is_payable():
    result = validate_sellers(seller(iban="FR76 3000 6000 0112 3456 7890 189", bic="agrifrpp"))
    assert result.problems == []
    row = result.valid.loc[2]
    assert (row["iban"], row["bic"], row["bank_account_valid"]) == (IBAN_OK, BIC_OK, True)
    assert pd.isna(row["bank_account_problem"])


@pytest.mark.parametrize(("iban", "bic", "column"), [
    (IBAN_BAD_KEY, "", "iban"),
    ("FR76300060000112345678901", "", "iban"),  # too short
    ("BR1800360305000010009795493C1", "", "iban"),  # valid, outside SEPA
    (IBAN_OK, "AGRI", "bic"),
    (IBAN_OK, "DEUTDEFF", "bic"),  # a German bank for a French account
    ("CH9300762011623852957", "", "bic"),  # SEPA but outside the EEA: the BIC is required
    ("MC5811222000010123456789030", "", "bic"),
    (IBAN_OK, "BNCANCNX", "iban"),  # a New Caledonian bank's FR IBAN: the CFP franc, no SEPA
])
def test_an_invalid_bank_account_loads_flagged_with_a_warning(iban, bic, column):
    result = validate_sellers(seller(iban=iban, bic=bic))
    assert list(result.valid.index) == [2]
    row = result.valid.loc[2]
    assert row["bank_account_valid"] == False  # noqa: E712 - numpy bool
    assert row["bank_account_problem"]
    (warning,) = result.problems
    assert (warning.code, warning.severity, warning.column) == (
        Reason.INVALID_BANK_ACCOUNT, Severity.WARNING, column)
    if column == "iban":
        assert warning.value == "*" * (len(iban) - 4) + iban[-4:]
    assert_no_full_iban(result.problems, iban)


def test_an_account_outside_the_eea_with_its_bic_is_payable():
    result = validate_sellers(seller(iban="CH9300762011623852957", bic="UBSWCHZH80A"))
    assert result.problems == []
    assert result.valid.loc[2, "bank_account_valid"] == True  # noqa: E712 - numpy bool


def test_a_jersey_bank_s_gb_iban_and_an_iban_with_a_zero_width_space_are_payable():
    """A Crown Dependency's BIC beside a GB IBAN was "not the IBAN's country"; a zero-width
    space pasted from a web page made a right IBAN "not its country's format"."""
    result = validate_sellers(seller(1, iban="GB29NWBK60161331926819", bic="BARCJESH"),
                              seller(2, iban="FR76\u200b3000 6000 0112 3456 7890 189", bic=BIC_OK))
    assert result.problems == []
    assert list(result.valid["iban"]) == ["GB29NWBK60161331926819", IBAN_OK]
    assert list(result.valid["bank_account_valid"]) == [True, True]


def test_a_missing_iban_is_warned_about_only_past_pending():
    result = validate_sellers(seller(1, status="pending", iban=""), seller(2, iban=""))
    assert codes(result.problems) == [(3, "iban", Reason.INVALID_BANK_ACCOUNT)]
    assert list(result.valid["bank_account_valid"]) == [False, False]


def test_a_bic_column_without_iban_column_is_ignored_with_one_warning():
    ctx = context()
    first = validate_sellers(seller(1, bic=BIC_OK), ctx=ctx)
    second = validate_sellers(seller(2, bic=BIC_OK), ctx=ctx)
    assert codes(first.problems) == [(None, "bic", Reason.INVALID_BANK_ACCOUNT)]
    assert second.problems == []
    assert "bic" not in first.valid.columns


def test_the_full_iban_never_appears_in_a_problem():
    rows = [seller(1, iban=IBAN_BAD_KEY, bic="DEUTDEFF", email="bad"),
            seller(1, iban="FR76 3000 6000 0112 3456 7890 188"),
            seller(3, iban=IBAN_BAD_KEY.lower(), vat_number=IBAN_BAD_KEY)]
    result = validate_sellers(*rows)
    assert result.problems
    assert_no_full_iban([p for p in result.problems if p.column != "vat_number"], IBAN_BAD_KEY)


def assert_no_full_iban(problems: list[Problem], iban: str) -> None:
    compact = iban.replace(" ", "").upper()
    for problem in problems:
        for text in astuple(problem):
            flat = str(text).replace(" ", "").upper()
            assert compact not in flat and compact[:-4] not in flat


def test_a_fixed_rejected_rows_file_sent_back_keeps_the_account_and_the_names(engine, settings, tmp_path):
    """The registry's rejected-rows file shows the IBAN masked and puts an apostrophe before a
    name like `=Studio SAS`: sent back fixed, the stars replaced the stored IBAN (flagged
    invalid: the seller's payouts stopped) and the apostrophe was stored in the name."""
    ingestor = Ingestor(engine, open_storage(settings), settings)
    first = tmp_path / "vendeurs.csv"
    first.write_text("seller_id;shop_name;legal_name;status;iban;bic;email\n"
                     f"1;Boutique;Société;active;{IBAN_OK};{BIC_OK};a@b.example\n", encoding="utf-8")
    ingestor.ingest(IngestRequest(path=first, name=first.name, feed=SELLERS_FEED))
    bad = tmp_path / "maj.csv"
    bad.write_text("seller_id;shop_name;legal_name;status;iban;bic;email\n"
                   f"1;-Studio+;=Studio SAS;bogus;{IBAN_OK};{BIC_OK};a@b.example\n", encoding="utf-8")
    result = ingestor.ingest(IngestRequest(path=bad, name=bad.name, feed=SELLERS_FEED))
    rejected = Path(result.errors_report.replace("-errors.xlsx", "-rejected.csv"))
    sent_back = tmp_path / "corrige.csv"
    sent_back.write_text(rejected.read_text(encoding="utf-8-sig").replace("bogus", "active"),
                         encoding="utf-8")
    assert "*" * 23 + "0189" in sent_back.read_text(encoding="utf-8")
    again = ingestor.ingest(IngestRequest(path=sent_back, name=sent_back.name, feed=SELLERS_FEED))
    assert again.status == "loaded"
    assert [(p.code, p.severity) for p in again.problems] == [("invalid_bank_account", "warning")]
    assert "le compte bancaire enregistré est conservé" in again.problems[0].message_fr
    row = stored(engine)[1]
    assert (row.iban, row.bank_account_valid, row.shop_name, row.legal_name) == (
        IBAN_OK.replace(" ", ""), True, "-Studio+", "=Studio SAS")


def test_a_french_seller_without_siren_is_loaded_with_a_warning():
    """Its invoices failed the French e-invoicing rules (BR-FR-12) at the month's close, with
    nothing said when the registry was loaded."""
    result = validate_sellers(seller(1, country="FR", siren=""), seller(2, country="FR", siren=SIREN),
                              seller(3, country="BE", siren=""),
                              seller(4, status="pending", country="FR", siren=""))
    assert codes(result.problems) == [(2, "siren", Reason.REQUIRED)]
    assert result.problems[0].severity is Severity.WARNING
    assert sorted(result.valid["seller_id"]) == [1, 2, 3, 4]


def test_mask_ibans_in_a_text_leaves_other_identifiers_and_words():
    assert mask_ibans_in(f"RIB : {IBAN_OK.lower()}.") == "RIB : " + "*" * 23 + "0189."
    # the mask keeps the account's own length whatever separates its groups
    assert mask_ibans_in("FR76-3000-6000-0112-3456-7890-189") == "*" * 23 + "0189"
    for text in (VAT, SIRET, "SA12 Bois Pour Tous", "contact@boutique.example", BIC_OK):
        assert mask_ibans_in(text) == text
    # grouped with dots, slashes or no-break spaces, or glued after a word: they reached the
    # error report, the rejected rows and stdout whole
    for text in ("FR76.3000.6000.0112.3456.7890.189", "FR76/3000/6000/0112/3456/7890/189",
                 "FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189",
                 "IBANFR7630006000011234567890189", "FR76  3000  6000  0112  3456  7890  189",
                 "FR 76 3000 6000 0112 3456 7890 189", "FR76 30006 00001 12345678901 89",
                 "FR76_3000_6000_0112_3456_7890_189",
                 "FR76    3000    6000    0112    3456    7890    189",  # four spaces or a
                 "FR76 3000 6000\n        0112 3456 7890 189",  # line break left it whole
                 "FR76\u22123000\u22126000\u22120112\u22123456\u22127890\u2212189"):
        assert "0112" not in mask_ibans_in(text) and mask_ibans_in(text).endswith("189"), text
    # the words around stay: no account in an office's number, an address, a VAT number
    # and a SIRET, a shop name; the city after one kept, a second one in the cell masked too
    for text in ("Bureau12 3456 7890, Paris", "Fax02 1234 5678", "no 12 rue de la Paix 75002 Paris",
                 "TVA FR12345678901 SIRET 12345678900012", "DE12 Informatique Service 2000",
                 "Bat B, BE12 avenue Louise 1050 Bruxelles", "Bd 38 rue Victor Hugo 75017 Paris",
                 "CIF ESA01719198 Madrid Calle Mayor 2", "DE66 Informatique und Elektronik",
                 "123 AVENUE DE LA REPUBLIQUE 75020 PARIS CEDEX 15 FRANCE",
                 "TVA FR62705230900 SIRET 30414970937395"):
        assert mask_ibans_in(text) == text
    assert mask_ibans_in(f"{IBAN_OK} Paris").endswith("0189 Paris")
    assert mask_ibans_in("ribFR7630006000011234567890189 ou BE68539007547034") == (
        "rib" + "*" * 23 + "0189 ou " + "*" * 12 + "7034")
    assert mask_ibans_in("ibanfr7630006000011234567890189").startswith("iban*")
    assert "0112" not in mask_ibans_in("FR76 3000 6000 0112 3456 7890 18 Paris")  # a digit left out
    # a bank's own grouping, with a valid check: Spain's, Italy's, Germany's
    for text in ("ES91 2100 0418 45 0200051332", "IT60 X 05428 11101 000000123456",
                 "DE89 37040044 0532013000", "FR76:3000:6000:0112:3456:7890:189"):
        assert mask_ibans_in(text).count("*") >= 10, text
    # words of a sentence are not an IBAN's groups: a VAT number and a SIRET, two order numbers
    for text in ("LU49645810 SIRET 72276845357349", "FR2024169279436 FR2024921632678",
                 "DE199338234 - 01 66 60 44 12", "NL92 Shop 56208 88150 23949"):
        assert mask_ibans_in(text) == text


def test_mask_iban_keeps_only_the_last_four():
    assert mask_iban(IBAN_OK) == "*" * 23 + "0189"
    assert mask_iban("FR76 3000 6000 0112 3456 7890 189") == "*" * 23 + "0189"
    assert mask_iban("FR7") == "***"


@given(st.text(min_size=0, max_size=40))
def test_mask_iban_shows_at_most_four_characters(text):
    masked, compact = mask_iban(text), re.sub(r"[\W_]", "", text)
    shown = 4 if len(compact) > 4 else 0
    assert masked == "*" * (len(compact) - shown) + compact[len(compact) - shown:]


# -- dates ---------------------------------------------------------------------------------------


def test_dates_are_read_day_first_never_month_first():
    texts = pd.Series(["2024-03-04", "04/03/2024", "04-03-2024", "2024-03-04 00:00:00",
                       "2024-03-04T10:00:00+01:00", "03/13/2024", "2024-02-30", "", "45352"],
                      dtype="str")
    values, unreadable = parse_dates(texts)
    assert list(values[:5].dt.date) == [date(2024, 3, 4)] * 5
    assert list(unreadable) == [False] * 5 + [True, True, False, True]


def test_date_times_with_and_without_offset():
    texts = pd.Series(["2024-07-01T12:00:00+02:00", "2024-07-01 12:00:00", "2024-07-01T10:00Z"],
                      dtype="str")
    values, unreadable = parse_datetimes(texts)
    assert not unreadable.any()
    assert set(values) == {pd.Timestamp("2024-07-01 10:00", tz="UTC")}


# -- loading, on SQLite and PostgreSQL -------------------------------------------------------


def load(engine, *sellers: dict[str, str], import_id: int = 1, chunk_rows: int = 1000):
    """Validate, stage and apply like the pipeline; returns (problems, applied)."""
    headers = list(dict.fromkeys(key for row in sellers for key in row))
    rows = [[row.get(h, "") for h in headers] for row in sellers]
    header_map = map_headers(headers, SELLER_COLUMNS)
    ctx = context(import_id=import_id)

    def work(session: Session) -> tuple[list[Problem], Applied]:
        problems = []
        for start in range(0, len(rows), chunk_rows):
            chunk = frame(rows[start:start + chunk_rows], headers, first_row=2 + start)
            validated = SELLERS_FEED.validate(chunk, header_map, ctx)
            problems += validated.problems
            SELLERS_FEED.stage(session, validated.valid, ctx)
        applied = SELLERS_FEED.apply(session, ctx)
        return problems + applied.problems, applied

    return in_transaction(engine, work)


def stored(engine) -> dict[int, Seller]:
    with Session(engine) as session:
        return {s.seller_id: s for s in session.scalars(select(Seller)).all()}


def test_upsert_twice_updates_and_leaves_absent_sellers_alone(engine):
    full = dict(share_capital="1 000,00", siren=SIREN, vat_number=VAT, iban=IBAN_OK, bic=BIC_OK,
                registered_at="01/03/2024", email="a@example.fr")
    _, applied = load(engine, seller(1, **full), seller(2, status="pending"), import_id=10)
    assert applied.loaded == 2
    _, applied = load(engine, seller(1, status="suspendu"), import_id=11)
    assert applied.loaded == 1
    sellers = stored(engine)
    assert sellers[1].status == "suspended" and sellers[1].last_import_id == 11
    assert sellers[1].updated_at > sellers[1].created_at
    # columns absent from the second file are kept
    assert (sellers[1].share_capital, sellers[1].siren, sellers[1].iban) == (
        Decimal("1000.00"), SIREN, IBAN_OK)
    assert sellers[1].bank_account_valid is True
    assert sellers[1].registered_at == date(2024, 3, 1)
    # a seller missing from the file is not touched
    assert (sellers[2].status, sellers[2].last_import_id) == ("pending", 10)
    assert sellers[2].plan == "standard" and sellers[2].bank_account_valid is False


def test_an_empty_cell_in_a_present_column_clears_the_field(engine):
    load(engine, seller(1, email="a@example.fr", share_capital="500", siren=SIREN))
    load(engine, seller(1, email="", share_capital="", siren=""))
    row = stored(engine)[1]
    assert (row.email, row.share_capital, row.siren, row.siret) == (None, None, None, None)


def test_an_invalid_iban_is_loaded_flagged_and_masked(engine):
    problems, applied = load(engine, seller(1, iban=IBAN_BAD_KEY, bic=BIC_OK))
    assert applied.loaded == 1
    row = stored(engine)[1]
    assert row.bank_account_valid is False and "check digits" in row.bank_account_problem
    (warning,) = problems
    assert warning.severity is Severity.WARNING and warning.value.endswith("0188")
    assert_no_full_iban(problems, IBAN_BAD_KEY)


def test_an_iban_column_without_bic_column_clears_the_stored_bic(engine):
    """The stored BIC belonged to the account on file before: kept beside the file's IBAN, an
    unchecked bad BIC (or a French bank's for a German account) was marked payable, reached
    the SEPA file and failed the month's close for everyone."""
    problems, _ = load(engine, seller(1, iban=IBAN_OK, bic="AGRIF"), seller(2, iban=IBAN_OK, bic=BIC_OK))
    assert [p.column for p in problems] == ["bic"]
    german = "DE89370400440532013000"
    problems, _ = load(engine, seller(1, iban=IBAN_OK), seller(2, iban=german), import_id=2)
    assert problems == []
    rows = stored(engine)
    assert (rows[1].iban, rows[1].bic, rows[1].bank_account_valid) == (IBAN_OK, None, True)
    assert (rows[2].iban, rows[2].bic, rows[2].bank_account_valid) == (german, None, True)


def test_a_bic_required_by_a_file_without_bic_column_is_said_on_the_iban():
    result = validate_sellers(seller(iban="CH9300762011623852957"))
    (warning,) = result.problems
    assert (warning.row, warning.column, warning.code) == (2, "iban", Reason.INVALID_BANK_ACCOUNT)
    assert warning.message_fr.startswith("BIC obligatoire") and warning.value.endswith("2957")
    assert result.valid.loc[2, "bank_account_valid"] == False  # noqa: E712 - numpy bool


def test_duplicate_ids_are_all_rejected_even_across_chunks(engine):
    problems, applied = load(engine, seller(1), seller(2), seller(1), seller(3), seller(2),
                             chunk_rows=2)
    assert applied.loaded == 1
    assert set(stored(engine)) == {3}
    assert sorted(codes(problems)) == [(row, "seller_id", Reason.DUPLICATE_KEY)
                                       for row in (2, 3, 4, 6)]
    assert applied.rejected_rows == {2, 3}  # the first copies, dropped at apply time


def test_a_registry_csv_through_the_pipeline(engine, settings, tmp_path):
    path = tmp_path / "vendeurs.csv"
    path.write_text(
        "ID vendeur;Nom de la boutique;Raison sociale;Statut;IBAN;BIC;Capital social\n"
        "1;Boutique 1;Société 1;actif;FR76 3000 6000 0112 3456 7890 188;AGRIFRPP;1 000,00\n"
        f"2;Boutique 2;Société 2;fermé;{IBAN_OK};{BIC_OK};\n", encoding="utf-8")
    ingestor = Ingestor(engine, open_storage(settings), settings)
    result = ingestor.ingest(IngestRequest(path=path, name=path.name, feed=SELLERS_FEED))
    assert (result.status, result.loaded, result.rejected, result.warnings) == ("partial", 1, 1, 1)
    row = stored(engine)[1]
    assert (row.status, row.share_capital, row.bank_account_valid) == (
        "active", Decimal("1000.00"), False)
    with Session(engine) as session:
        recorded = session.scalars(select(ImportProblem)).all()
    assert {(p.row, p.column, p.code) for p in recorded} == {
        (2, "IBAN", "invalid_bank_account"), (3, "Statut", "not_allowed")}
    assert IBAN_BAD_KEY[4:-4] not in json.dumps(result.as_json())
    assert all(IBAN_BAD_KEY[4:-4] not in f"{p.value}{p.message_fr}{p.message_en}" for p in recorded)


def test_an_iban_outside_the_iban_column_is_masked_too(engine, settings, tmp_path):
    """Registry exports put the account where they like: a `RIB` column (unknown here, shown
    as sent in the report's rows), the IBAN pasted into the BIC or e-mail column (whose message
    quotes it); a rejected row's cells go to the rejected-rows file. None may show it whole."""
    path = tmp_path / "vendeurs.csv"
    path.write_text(  # and as a header (a row of values pasted over the header row)
        f"seller_id;shop_name;legal_name;status;iban;bic;RIB;email;{IBAN_OK}\n"
        f"1;Boutique 1;Société 1;active;{IBAN_OK};{IBAN_OK};FR76 3000 6000 0112 3456 7890 189;"
        f"{IBAN_OK};\n"
        f"x;Boutique 2;Société 2;active;{IBAN_OK};{BIC_OK};{IBAN_OK.lower()};;\n", encoding="utf-8")
    ingestor = Ingestor(engine, open_storage(settings), settings)
    result = ingestor.ingest(IngestRequest(path=path, name=path.name, feed=SELLERS_FEED))
    assert (result.loaded, result.rejected) == (0, 2)  # an IBAN is no e-mail address
    reports = sorted((Path(settings.storage) / "outbox" / "imports" / "ops").iterdir())
    assert {p.suffix for p in reports} == {".csv", ".xlsx"}
    texts = [json.dumps(result.as_json())] + [
        zipfile.ZipFile(p).read(n).decode() for p in reports if p.suffix == ".xlsx"
        for n in zipfile.ZipFile(p).namelist()] + [
        p.read_text(encoding="utf-8-sig") for p in reports if p.suffix == ".csv"]
    for text in texts:
        flat = "".join(text.split()).upper()
        assert IBAN_OK[:-4] not in flat
    assert "*" * 23 + "0189" in texts[0]


def test_a_database_error_never_quotes_an_iban(engine):
    """SQLAlchemy's error text lists the statement's parameters: a failed registry load wrote
    every full IBAN of the batch into the Prefect logs, the flow's state and `--json`."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from marketplace.models import Seller

    row = {"seller_id": 1, "shop_name": "S", "legal_name": "L SAS", "status": "active",
           "iban": IBAN_OK, "bank_account_valid": True}
    with pytest.raises(IntegrityError) as caught, Session(engine) as session, session.begin():
        session.execute(insert(Seller), [row, row])
    assert IBAN_OK not in str(caught.value) and IBAN_OK[-4:] not in str(caught.value)


# -- addresses and activation --------------------------------------------------------------------


def test_a_french_postcode_excel_stripped_of_its_zero_is_loaded_with_a_warning():
    """Refused, the row would also freeze the seller's status and payout hold."""
    result = validate_sellers(seller(1, country="FR", postcode="6000"),
                              seller(2, country="FR", postcode="75381 CEDEX 08"),
                              seller(3, country="FR", postcode="06000"),
                              seller(4, country="BE", postcode="1000"),
                              seller(5, country="FR", postcode="", status="suspended"),
                              seller(6, country="FR", postcode="750012"),
                              seller(7, country="FR", postcode="F-20000"))
    assert codes(result.problems) == [(2, "postcode", Reason.BAD_FORMAT), (7, "postcode", Reason.BAD_FORMAT),
                                      (8, "postcode", Reason.BAD_FORMAT)]
    assert all(p.severity is Severity.WARNING for p in result.problems)
    assert "écrivez 06000" in result.problems[0].message_fr
    assert "commence par ses 5 chiffres" in result.problems[1].message_fr
    assert list(result.valid.index) == [2, 3, 4, 5, 6, 7, 8]
    assert result.valid.loc[2, "postcode"] == "6000"


def test_a_seller_past_pending_without_activation_date_is_loaded_with_a_warning():
    result = validate_sellers(seller(1, activated_at=""), seller(2, status="vacation", activated_at=""),
                              seller(3, status="pending", activated_at=""),
                              seller(4, activated_at="01/10/2026"),
                              seller(5, status="terminated", activated_at=""))
    assert codes(result.problems) == [(2, "activated_at", Reason.REQUIRED),
                                      (3, "activated_at", Reason.REQUIRED)]
    assert all(p.severity is Severity.WARNING for p in result.problems)
    assert result.problems[0].message_fr.startswith("Date d'activation vide")
    assert list(result.valid.index) == [2, 3, 4, 5, 6]
    # no activated_at column: the stored date is kept, nothing to say
    assert validate_sellers(seller(1)).problems == []


def test_a_country_written_as_a_name_or_alpha_3_is_stored_as_its_code():
    """Ops' spreadsheets write "France": the row was refused, status and bank account lost."""
    written = ["FR", "fr", "France", "Belgique", "belgium", "Royaume-Uni", "FRA", "Pays-Bas", "Suisse",
               "UK", "EL", "France métropolitaine"]  # the EU's own codes for the UK and Greece
    result = validate_sellers(*(seller(n, country=text) for n, text in enumerate(written, 1)))
    assert result.problems == []
    assert list(result.valid["country"]) == ["FR", "FR", "FR", "BE", "BE", "GB", "FR", "NL", "CH",
                                             "GB", "GR", "FR"]
    # DOM (overseas departments), a lower-case alpha-3, an ambiguous Congo: refused, not guessed
    unsure = validate_sellers(*(seller(n, country=text) for n, text in enumerate(["DOM", "fra", "Congo"], 1)))
    assert codes(unsure.problems) == [(row, "country", Reason.BAD_FORMAT) for row in (2, 3, 4)]


def test_a_siren_or_siret_that_lost_its_leading_zero_says_so():
    result = validate_sellers(seller(1, siren="12345674"), seller(2, siret="1234567400015"),
                              seller(3, siren="1234567400015"))  # a SIRET in the SIREN column
    said = {(p.row, p.column): p.message_fr for p in result.problems}
    assert said[(2, "siren")] == ("« 12345674 » : un chiffre de moins qu'un SIREN (9) ou un SIRET"
                                  " (14). Excel a sans doute retiré le 0 du début : écrivez"
                                  " 012345674 dans une colonne au format Texte.")
    assert said[(3, "siret")].startswith("« 1234567400015 » : un chiffre de moins")
    assert said[(4, "siren")].startswith("« 1234567400015 » : un chiffre de moins")
    assert len(result.problems) == 3


def test_a_trial_limit_of_zero_loads_with_a_warning():
    result = validate_sellers(seller(1, trial_max_orders="0"), seller(2, trial_max_orders="10"))
    assert codes(result.problems) == [(2, "trial_max_orders", Reason.OUT_OF_RANGE)]
    assert list(result.valid["trial_max_orders"]) == [0, 10]


def test_an_email_link_or_an_internationalised_domain_is_an_address():
    result = validate_sellers(seller(1, email="mailto:jean@dupont.fr"),
                              seller(2, email="contact@société.fr"), seller(3, email="a@b.fr; c@d.fr"))
    assert codes(result.problems) == [(4, "email", Reason.BAD_FORMAT)]
    assert list(result.valid["email"]) == ["jean@dupont.fr", "contact@société.fr"]


def test_a_greek_vat_number_is_stored_with_the_eu_s_prefix():
    result = validate_sellers(seller(1, country="GR", vat_number="GR094259216"))
    assert result.problems == [] and result.valid.loc[2, "vat_number"] == "EL094259216"
