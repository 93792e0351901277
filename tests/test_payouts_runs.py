"""Decisions, close, re-issue, invariants, files and SEPA of the monthly payouts."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from reports.payout_calendar import next_working_day
from reports.payout_invariants import InvariantError
from reports.payout_run import PayoutRunError
from reports.sepa_transfer import build_transfer
from tests.test_payouts_support import GOOD_IBAN, add_offer, add_order, add_seller, entries, paris, run

OUT = Path("outbox/payouts/2026-10")
SAMPLE_IDENTITY = Path(__file__).resolve().parent.parent / "data" / "samples" / "marketplace.toml"


def _csv(store: Path, name: str = "payouts.csv") -> list[dict]:
    return list(csv.DictReader(io.StringIO((store / OUT / name).read_text(encoding="utf-8-sig"))))


def _sample_identity():
    from marketplace.identity import parse_identity
    return parse_identity(tomllib.loads(SAMPLE_IDENTITY.read_text(encoding="utf-8")))


def _four_sellers(engine) -> None:
    add_seller(engine, 1)  # paid
    add_seller(engine, 2)  # subscription only: negative balance
    add_seller(engine, 3, bank_valid=False)  # invalid bank account
    add_seller(engine, 4, hold=date(2027, 3, 31))  # fraud hold
    add_offer(engine, 1, "A", "livres")  # 0.12
    for seller in (1, 3, 4):
        add_order(engine, f"P-{seller}", seller, "100.00", sku="A", delivered=paris(2026, 10, 10, 12))


def test_decisions_files_and_sepa_of_a_closed_month(engine, tmp_path):
    _four_sellers(engine)
    result = run(engine, tmp_path, "2026-10", close=True)
    store = tmp_path / "store"
    rows = {r["seller_id"]: r for r in _csv(store)}
    # seller 1: 100.00 − 12.00 − 2.40 VAT − 47.99 = 37.61 paid
    assert (rows["1"]["balance"], rows["1"]["payout"], rows["1"]["decision"]) == ("37.61", "-37.61", "paid")
    assert (rows["2"]["balance"], rows["2"]["decision"]) == ("-47.99", "carried")
    assert "negative balance" in rows["2"]["reason"]
    # seller 3: default rate 0.15 (no offer A for 3): 100 − 15 − 3 − 47.99 = 34.01 carried
    assert (rows["3"]["balance"], rows["3"]["decision"]) == ("34.01", "carried")
    assert "invalid bank account" in rows["3"]["reason"]
    assert (rows["4"]["decision"], rows["4"]["reason"]) == (
        "held", "retenue jusqu'au / hold until 2027-03-31")
    assert list(rows["1"].keys())[0] == "seller_id" and rows["1"]["iban_masked"].endswith(GOOD_IBAN[-4:])
    assert GOOD_IBAN not in (store / OUT / "payouts.csv").read_text(encoding="utf-8-sig")
    total = _csv(store)[-1]
    assert total["seller_id"] == "TOTAL" and total["payout"] == "-37.61"
    # SEPA: one transaction, end-to-end id = the payout's id, next working day after 1 Nov 2026
    xml = (store / OUT / "sepa-credit-transfer.xml").read_bytes()
    root = SafeET.fromstring(xml)
    ns = {"p": root.tag[1:].partition("}")[0]}
    assert root.tag.endswith("Document") and "pain.001.001.09" in root.tag
    assert root.find(".//p:GrpHdr/p:CtrlSum", ns).text == "37.61"
    with engine.connect() as connection:
        payout_id = connection.execute(text("SELECT id FROM payouts WHERE seller_id = 1")).scalar_one()
    assert [e.text for e in root.findall(".//p:EndToEndId", ns)] == [str(payout_id)]
    assert root.find(".//p:ReqdExctnDt/p:Dt", ns).text == "2026-11-02"  # Sun 1 Nov (Toussaint) → Mon
    assert (result.paid, result.carried, result.held, str(result.total_paid)) == (1, 2, 1, "37.61")
    statement = (store / OUT / "statements" / "1.csv").read_text(encoding="utf-8-sig").splitlines()
    assert statement[1].endswith("0.00") and statement[-1].endswith("0.00")  # opening, closing
    assert [line.split(",")[1] for line in statement[2:-1]] == [
        "SUBSCRIPTION", "SALE", "COMMISSION", "PAYOUT"]
    # the transfer is dated the day the bank is asked to execute it, as in the SEPA file
    assert statement[-2].split(",")[0] == "2026-11-02 00:00"


def test_sepa_names_keep_to_the_epc_latin_character_set():
    """Banks must accept only the EPC basic Latin set (a-z A-Z 0-9 / - ? : ( ) . , ' + space):
    a registry name with `&`, `<`, `«»`, `n°`, `;` or a leading `=` must not get one of them
    into the file, or the bank may refuse the whole batch."""
    identity = replace(_sample_identity(), name="Place & Marché <Démo>")
    paid = pd.DataFrame([
        {"payout_id": 7, "legal_name": "=Dupont & Fils <SARL> « Éditions » ; n°5 #1 ~{}[]$€ _x_",
         "iban": GOOD_IBAN, "bic": "", "paid": 1234}])
    xml = build_transfer(identity, paid, "2026-10", date(2026, 11, 2), "pain.001.001.09")
    root = SafeET.fromstring(xml)
    ns = {"p": root.tag[1:].partition("}")[0]}
    names = [node.text for node in root.iter(f"{{{ns['p']}}}Nm")]
    assert names and all(re.fullmatch(r"[A-Za-z0-9/?:().,'+ -]+", n) for n in names), names
    assert "Dupont + Fils (SARL) Editions" in names[-1]  # & as +, <> as (), accents dropped
    assert names[0] == "Place + Marche (Demo)"


def test_sepa_names_are_cut_at_70_without_a_trailing_space_and_the_id_is_24_hour():
    name = "Societe Generale des Arts & Metiers Les Ebenistes Reunis de la Region Centre"
    paid = pd.DataFrame([{"payout_id": 7, "legal_name": name, "iban": GOOD_IBAN, "bic": "",
                          "paid": 1234}])
    before = datetime.now(UTC)
    xml = build_transfer(_sample_identity(), paid, "2026-10", date(2026, 11, 2), "pain.001.001.09")
    hours = {f"{moment:%Y%m%d%H}" for moment in (before, datetime.now(UTC))}
    root = SafeET.fromstring(xml)
    ns = root.tag[1:].partition("}")[0]
    creditor = [node.text for node in root.iter(f"{{{ns}}}Nm")][-1]
    assert creditor == "Societe Generale des Arts + Metiers Les Ebenistes Reunis de la Region"
    message_id = next(root.iter(f"{{{ns}}}MsgId")).text
    assert message_id[:10] in hours and len(message_id) <= 35, message_id  # 17:45 read 05:45


def test_the_debtor_address_and_a_dated_creation_time_are_in_the_file():
    """Outside the EEA (a Swiss or Monegasque seller) the EPC rulebook wants the payer's address;
    the creation time carries its offset, so it reads the same on any machine's time zone."""
    paid = pd.DataFrame([{"payout_id": 7, "legal_name": "Swiss Watches AG",
                          "iban": "CH9300762011623852957", "bic": "UBSWCHZH80A", "paid": 1234}])
    for schema in ("pain.001.001.09", "pain.001.001.03"):
        root = SafeET.fromstring(build_transfer(_sample_identity(), paid, "2026-10",
                                                date(2026, 11, 2), schema))
        ns = root.tag[1:].partition("}")[0]
        debtor = next(root.iter(f"{{{ns}}}Dbtr"))
        address = {node.tag.partition("}")[2]: node.text
                   for node in debtor.find(f"{{{ns}}}PstlAdr")}
        identity = _sample_identity()
        assert address["TwnNm"] and address["Ctry"] == identity.country, address
        assert address["PstCd"] == identity.postcode
        created = next(root.iter(f"{{{ns}}}CreDtTm")).text
        assert datetime.fromisoformat(created).utcoffset() is not None, created


def test_a_legal_name_no_bank_can_read_is_carried_not_a_failed_close(engine, tmp_path):
    """A registry name of symbols alone (loaded before the registry refused them) left the SEPA
    file without a creditor name: the XSD refused it and the whole month failed to close."""
    add_seller(engine, 1)
    add_seller(engine, 2)
    with engine.begin() as connection:
        connection.execute(text("UPDATE sellers SET legal_name = '★★★' WHERE seller_id = 2"))
    for seller_id in (1, 2):
        add_offer(engine, seller_id, "A", "livres")
        add_order(engine, f"O{seller_id}", seller_id, "120.00", sku="A", delivered=paris(2026, 10, 5))
    assert run(engine, tmp_path, "2026-10", close=True).status == "closed"
    decisions = {line["seller_id"]: (line["decision"], line["reason"])
                 for line in _csv(tmp_path / "store")}
    assert decisions["1"][0] == "paid"
    assert decisions["2"] == ("carried", "nom du titulaire illisible pour un virement SEPA"
                                       " / account holder name unusable in a SEPA transfer")


def test_next_working_day_skips_weekends_and_french_holidays():
    assert next_working_day(date(2026, 11, 10)) == date(2026, 11, 12)  # 11 Nov, Armistice
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)  # 25 Dec, then the weekend


def test_a_negative_balance_is_carried_two_months_then_paid(engine, tmp_path):
    add_seller(engine, 1)
    add_offer(engine, 1, "A", "livres")
    run(engine, tmp_path, "2026-10", close=True)
    run(engine, tmp_path, "2026-11", close=True, now=paris(2026, 12, 1, 6))
    add_order(engine, "D1", 1, "200.00", sku="A", delivered=paris(2026, 12, 15, 12))
    run(engine, tmp_path, "2027-01", close=False, now=paris(2027, 1, 1, 6))  # not in order: refused later
    run(engine, tmp_path, "2026-12", close=True, now=paris(2027, 1, 1, 6))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT month, opening, balance, amount, decision FROM payouts"
                                       " ORDER BY month")).all()
    # Oct −47.99; Nov −47.99 − 47.99 = −95.98; Dec: 200 − 24.00 − 4.80 − 47.99 − 95.98 = 27.23
    assert [tuple(r) for r in rows] == [("2026-10", 0, -4799, 0, "carried"),
                                        ("2026-11", -4799, -9598, 0, "carried"),
                                        ("2026-12", -9598, 2723, 2723, "paid")]


def test_a_closed_month_is_reissued_identical(engine, tmp_path):
    _four_sellers(engine)
    run(engine, tmp_path, "2026-10", close=True)
    folder = tmp_path / "store" / OUT
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    add_order(engine, "P-new", 1, "50.00", delivered=paris(2026, 10, 12, 12))  # late: not recomputed
    with engine.begin() as connection:  # the registry changes after the close: the files do not
        connection.execute(text("UPDATE sellers SET shop_name = 'Renamed', legal_name = 'New SAS',"
                                " iban = :iban, bank_account_valid = :valid"),
                           {"iban": "FR7630006000000003300000113", "valid": True})
    again = run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 11, 2, 9))
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert again.status == "reissued"
    assert after == before


def _close_october_of_two_sellers_after(engine, tmp_path, edit: str):
    """Sellers 1 and 2 with a 100 € October sale each, the registry edited by `edit`, then
    October closed."""
    add_seller(engine, 1)
    add_seller(engine, 2)
    with engine.begin() as connection:
        connection.execute(text(edit))
    for seller in (1, 2):
        add_order(engine, f"P-{seller}", seller, "100.00", delivered=paris(2026, 10, 10, 12))
    return run(engine, tmp_path, "2026-10", close=True)


def test_a_seller_without_bic_is_paid_by_iban_alone(engine, tmp_path):
    """SEPA needs no BIC (docs/decisions.md): an empty one must not stop anyone's payout."""
    result = _close_october_of_two_sellers_after(
        engine, tmp_path, "UPDATE sellers SET bic = NULL WHERE seller_id = 1")
    assert (result.status, result.paid) == ("closed", 2)
    xml = (tmp_path / "store" / OUT / "sepa-credit-transfer.xml").read_bytes()
    assert xml.count(b"<CdtTrfTxInf>") == 2 and xml.count(b"AGRIFRPP") == 1


def test_an_account_the_bank_would_refuse_is_carried_whatever_its_flag(engine, tmp_path):
    """A BIC of 5 characters stored beside an account flagged valid (a registry file before the
    fix kept an old BIC next to a new IBAN) failed the SEPA file's validation: exit 4, nobody
    paid. It is checked again at the decision and that seller alone is carried."""
    result = _close_october_of_two_sellers_after(
        engine, tmp_path, "UPDATE sellers SET bic = 'AGRIF' WHERE seller_id = 2")
    assert (result.status, result.paid) == ("closed", 1)
    lines = {line["seller_id"]: line for line in _csv(tmp_path / "store")}
    assert (lines["2"]["decision"], lines["2"]["reason"]) == (
        "carried", "compte bancaire invalide / invalid bank account")


def test_a_seller_without_any_iban_is_carried_and_the_others_are_paid(engine, tmp_path):
    """A pending seller has no bank account yet (feeds.md): its NULL IBAN, read as NaN by
    pandas 3, crashed the month's run for every seller (exit 4)."""
    add_seller(engine, 1)
    add_seller(engine, 2, status="pending", bank_valid=False)
    add_seller(engine, 3, bank_valid=False)
    with engine.begin() as connection:
        connection.execute(text("UPDATE sellers SET iban = NULL, bic = NULL WHERE seller_id IN (2, 3)"))
    for seller in (1, 2, 3):
        add_order(engine, f"P-{seller}", seller, "100.00", delivered=paris(2026, 10, 10, 12))
    result = run(engine, tmp_path, "2026-10", close=True)
    assert (result.status, result.paid) == ("closed", 1)
    lines = {line["seller_id"]: line for line in _csv(tmp_path / "store")}
    assert [lines[s]["decision"] for s in ("1", "2", "3")] == ["paid", "carried", "carried"]
    assert "pending" in lines["2"]["reason"] and lines["3"]["iban_masked"] == ""


def test_the_ledger_has_statistics_once_a_month_is_booked(engine, tmp_path):
    """Without statistics SQLite took `month = ?` for a selective index and probed every entry
    of the month for each sale: a month of 66,000 orders did not close in 15 minutes (8,000
    orders: 13 s for one statement; with statistics 0.1 s). PostgreSQL's are refreshed too."""
    add_seller(engine, 1)
    add_order(engine, "P-1", 1, "100.00", delivered=paris(2026, 10, 10, 12))
    run(engine, tmp_path, "2026-10", close=False)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            analysed = connection.execute(text(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'ledger_entries'")).scalar_one()
        else:
            analysed = connection.execute(text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'ledger_entries'"
                " AND last_analyze IS NOT NULL")).scalar_one()
    assert analysed >= 1


def test_a_month_without_any_seller_is_drafted_and_closed_empty(engine, tmp_path):
    assert run(engine, tmp_path, "2026-10", close=False).sellers == 0
    closed = run(engine, tmp_path, "2026-10", close=True)
    assert (closed.status, closed.sellers, closed.paid) == ("closed", 0, 0)
    assert closed.sepa_control_sum is None  # no transfer file: no control sum to look for
    assert [r["seller_id"] for r in _csv(tmp_path / "store")] == ["TOTAL"]


def test_the_database_forbids_a_second_payout_for_a_seller_and_month(engine, tmp_path):
    _four_sellers(engine)
    run(engine, tmp_path, "2026-10", close=True)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("INSERT INTO payouts (seller_id, month, opening, balance, amount, decision)"
                                " VALUES (1, '2026-10', 0, 1, 1, 'paid')"))


def test_a_failed_invariant_writes_nothing(engine, tmp_path, monkeypatch):
    import reports.payout_decision as decision

    _four_sellers(engine)
    real = decision.decide

    def off_by_a_cent(frame, execution_date):
        out = real(frame, execution_date)
        out.loc[out["decision"] == "paid", "amount"] -= 1
        return out

    monkeypatch.setattr(decision, "decide", off_by_a_cent)
    with pytest.raises(InvariantError, match="seller 1"):
        run(engine, tmp_path, "2026-10", close=True)
    assert not (tmp_path / "store" / OUT).exists()
    with engine.connect() as connection:
        counts = [connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                  for t in ("ledger_entries", "payouts", "invoices")]
    assert counts == [0, 0, 0]


_KILLED_CLOSE = """
import os, signal, sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo
import reports.payout_run as run_module
from marketplace.config import Settings, SAMPLES_DIR
from marketplace.db import make_engine
from marketplace.storage import LocalStorage

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

run_module.publish_month = killed
url, store = sys.argv[1], sys.argv[2]
settings = Settings(database_url=url, storage=store,
                    identity_file=SAMPLES_DIR / "marketplace.toml")
now = datetime(2026, 11, 1, 6, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
run_module.run_payouts(make_engine(url), LocalStorage(store), settings, "2026-10", close=True, now=now)
"""


def test_killed_between_commit_and_files_then_rerun_publishes_one_set(engine, tmp_path):
    _four_sellers(engine)
    url = engine.url.render_as_string(hide_password=False)
    store = tmp_path / "store"
    process = subprocess.run([sys.executable, "-c", _KILLED_CLOSE, url, str(store)],
                             cwd=Path(__file__).resolve().parent.parent, capture_output=True,
                             env={**os.environ, "PYTHONPATH": "."}, timeout=120)
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()[-2000:]
    assert not (store / OUT).exists()
    result = run(engine, tmp_path, "2026-10", close=True)
    assert result.status == "reissued"
    with engine.connect() as connection:
        payouts = connection.execute(text("SELECT COUNT(*) FROM payouts")).scalar_one()
        payout_entries = connection.execute(text("SELECT COUNT(*) FROM ledger_entries"
                                                 " WHERE entry_type = 'PAYOUT'")).scalar_one()
        written = connection.execute(text(
            "SELECT files_written_at IS NOT NULL FROM payout_months")).scalar_one()
    assert (payouts, payout_entries, bool(written)) == (4, 1, True)
    assert sorted(p.name for p in (store / OUT).iterdir() if p.is_file()) == [
        "invoices.csv", "payouts.csv", "payouts.xlsx", "sepa-credit-transfer.xml"]


def test_a_close_failing_on_storage_leaves_no_bank_file_and_the_rerun_publishes(engine, tmp_path):
    """The SEPA file and payouts.csv were out beside half the statements after a close that
    said "failed": finance could send it. They go last, and come down if one of them fails."""
    from marketplace.storage import LocalStorage, StorageError
    from reports.payout_run import run_payouts
    from tests.test_payouts_support import settings_for

    class FailingOnSepa(LocalStorage):
        def write_bytes(self, key: str, data: bytes) -> str:
            if key.endswith("sepa-credit-transfer.xml"):
                raise StorageError("write", key, "connection lost")
            return super().write_bytes(key, data)

    _four_sellers(engine)
    store = tmp_path / "store"
    with pytest.raises(StorageError, match="le mois 2026-10 est clôturé .* relancez la même"
                                            " commande"):
        run_payouts(engine, FailingOnSepa(store), settings_for(engine, tmp_path), "2026-10",
                    close=True, now=paris(2026, 11, 1, 6))
    left = {p.name for p in (store / OUT).iterdir() if p.is_file()}
    assert not left & {"payouts.csv", "payouts.xlsx", "sepa-credit-transfer.xml"}, left
    result = run(engine, tmp_path, "2026-10", close=True)
    assert result.status == "reissued"
    assert {"payouts.csv", "payouts.xlsx", "sepa-credit-transfer.xml"} <= {
        p.name for p in (store / OUT).iterdir()}


def test_pain_001_001_03_as_a_setting(engine, tmp_path, monkeypatch):
    from marketplace.config import SAMPLES_DIR, Settings
    from marketplace.storage import LocalStorage
    from reports.payout_run import run_payouts

    _four_sellers(engine)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        storage=str(tmp_path / "store"), sepa_schema="pain.001.001.03",
                        identity_file=SAMPLES_DIR / "marketplace.toml")
    run_payouts(engine, LocalStorage(tmp_path / "store"), settings, "2026-10", close=True,
                now=paris(2026, 11, 1, 6))
    assert b"pain.001.001.03" in (tmp_path / "store" / OUT / "sepa-credit-transfer.xml").read_bytes()


def test_a_month_not_over_in_paris_cannot_be_closed_and_stays_open(engine, tmp_path):
    _four_sellers(engine)
    last_evening = paris(2026, 10, 31, 23, 30)  # 22:30 UTC: still October in Paris
    with pytest.raises(PayoutRunError, match="2026-10 n'est pas terminé"):
        run(engine, tmp_path, "2026-10", close=True, now=last_evening)
    status = text("SELECT status FROM payout_months WHERE month = '2026-10'")
    with engine.connect() as connection:
        assert connection.execute(status).scalar() is None
    assert run(engine, tmp_path, "2026-10", close=False, now=last_evening).status == "draft"
    assert run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 11, 1, 0, 0)).status == "closed"


def test_a_month_cannot_be_closed_over_an_open_previous_month(engine, tmp_path):
    add_seller(engine, 1)
    add_offer(engine, 1, "A", "livres")
    run(engine, tmp_path, "2026-10", close=True)
    add_order(engine, "N1", 1, "200.00", sku="A", delivered=paris(2026, 11, 15, 12))
    # closing December with November open would never charge November's subscription
    with pytest.raises(PayoutRunError, match="2026-11"):
        run(engine, tmp_path, "2026-12", close=True, now=paris(2027, 1, 1, 6))
    run(engine, tmp_path, "2026-12", close=False, now=paris(2027, 1, 1, 6))  # a draft is allowed
    run(engine, tmp_path, "2026-11", close=True, now=paris(2027, 1, 1, 6))
    run(engine, tmp_path, "2026-12", close=True, now=paris(2027, 1, 1, 6))
    with engine.connect() as connection:
        fees = connection.execute(text("SELECT month FROM ledger_entries WHERE entry_type = 'SUBSCRIPTION'"
                                       " ORDER BY month")).scalars().all()
    assert fees == ["2026-10", "2026-11", "2026-12"]


def test_a_first_close_before_any_activity_is_refused_and_the_next_month_is_named(engine, tmp_path):
    """`2020-01` typed for `2026-01` closed on a new catalog: every month from 2020-02 then had
    to close in order, each refusal naming the month before the one asked, never 2020-02."""
    add_seller(engine, 1, activated=date(2026, 9, 14))
    with pytest.raises(PayoutRunError, match="premier mois avec un vendeur activé ou une commande"
                                             " : 2026-09"):
        run(engine, tmp_path, "2026-08", close=True)
    assert run(engine, tmp_path, "2026-08", close=False).status == "draft"  # a draft may look
    assert run(engine, tmp_path, "2026-09", close=True, now=paris(2026, 10, 1, 6)).status == "closed"
    with pytest.raises(PayoutRunError, match="le prochain à clôturer est 2026-10"):
        run(engine, tmp_path, "2026-12", close=True, now=paris(2027, 1, 1, 6))


def test_a_first_close_after_a_month_with_deliveries_is_refused_naming_that_month(engine, tmp_path):
    """November closed first over October's deliveries paid October's sales in November but
    never charged nor invoiced October's subscription (exit 0, no warning). Sellers activated
    long before (the registry's history) do not hold the first close back."""
    add_seller(engine, 1, activated=date(2019, 3, 1))
    add_offer(engine, 1, "A", "livres")
    add_order(engine, "O1", 1, "100.00", sku="A", delivered=paris(2026, 10, 31, 23, 30))
    with pytest.raises(PayoutRunError, match="des commandes ont été livrées en 2026-10"):
        run(engine, tmp_path, "2026-11", close=True, now=paris(2026, 12, 1, 6))
    draft = run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))  # said too
    assert any("without the orders delivered in 2026-10" in warning for warning in draft.warnings)
    assert run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 12, 1, 6)).status == "closed"
    assert run(engine, tmp_path, "2026-11", close=True, now=paris(2026, 12, 1, 6)).status == "closed"
    with engine.connect() as connection:
        fees = connection.execute(text("SELECT month FROM ledger_entries WHERE entry_type = 'SUBSCRIPTION'"
                                       " ORDER BY month")).scalars().all()
    assert fees == ["2026-10", "2026-11"]


def test_an_order_delivered_long_before_does_not_hold_the_first_close_back(engine, tmp_path):
    """An order of 2025 re-exported for a late refund asked ops to close every month since, in
    order: those months were the previous back office's, which paid its sale. It is neither
    sold again (a partial refund paid the seller the rest a second time) nor refunded here."""
    add_seller(engine, 1, activated=date(2019, 3, 1))
    add_offer(engine, 1, "A", "livres")
    add_order(engine, "O1", 1, "100.00", sku="A", delivered=paris(2025, 2, 10, 12),
              refunded=paris(2026, 11, 5, 10), refund="30.00")
    add_order(engine, "O0", 1, "40.00", sku="A", delivered=paris(2025, 5, 10, 12),  # its voucher too
              goodwill="5.00", goodwill_at=paris(2025, 5, 20, 10))
    add_order(engine, "O2", 1, "50.00", sku="A", delivered=paris(2026, 11, 5, 12))
    assert run(engine, tmp_path, "2026-11", close=True, now=paris(2026, 12, 1, 6)).status == "closed"
    assert {e[2] for e in entries(engine, 1) if e[1] in ("SALE", "REFUND", "GOODWILL")} == {"O2"}


def test_closing_a_month_takes_away_the_drafts_of_months_before_it(engine, tmp_path):
    """The first close of a catalog was October: September's draft stayed beside it, saying
    seller 1 "paid", money October then paid. September can never be closed after October."""
    _four_sellers(engine)
    store = tmp_path / "store" / "outbox" / "payouts"
    run(engine, tmp_path, "2026-09", close=False, now=paris(2026, 10, 1, 6))
    assert (store / "2026-09" / "payouts-DRAFT.csv").exists()
    run(engine, tmp_path, "2026-10", close=True)
    assert not list((store / "2026-09").glob("payouts-DRAFT.*"))
    assert (store / "2026-10" / "payouts.csv").exists()
