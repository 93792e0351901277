"""`marketplace report payouts` and the `monthly_payouts` flow: the contract, not the rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketplace.cli import app
from marketplace.config import SAMPLES_DIR
from tests.test_payouts_support import add_order, add_seller, paris


@pytest.fixture
def payouts_env(engine, catalog_env, monkeypatch):
    from marketplace.config import get_settings

    monkeypatch.setenv("MARKETPLACE_IDENTITY_FILE", str(SAMPLES_DIR / "marketplace.toml"))
    get_settings.cache_clear()
    add_seller(engine, 1)
    add_order(engine, "P-1", 1, "100.00", delivered=paris(2026, 10, 10, 12))
    yield catalog_env
    get_settings.cache_clear()


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "octobre", "0000-01", "9999-12", "1999-12"])
def test_a_bad_month_is_a_usage_error(payouts_env, month):
    assert _cli("report", "payouts", "--month", month)[0] == 2


def test_draft_then_close_then_reissue_in_json(payouts_env):
    code, out = _cli("report", "payouts", "--month", "2026-10", "--json")
    draft = json.loads(out)
    assert (code, draft["status"], draft["sepa_control_sum"]) == (0, "draft", None)
    assert all("DRAFT" in f for f in draft["files"])
    code, out = _cli("report", "payouts", "--month", "2026-10", "--close", "--json")
    closed = json.loads(out)
    assert "error" not in closed, closed
    assert not any(Path(f).exists() for f in draft["files"])  # the close took the drafts away
    # 100.00 − 15.00 − 3.00 (default rate, no offer) − 47.99 = 34.01
    assert (code, closed["status"], closed["paid"], closed["total_paid"],
            closed["sepa_control_sum"]) == (0, "closed", 1, "34.01", "34.01")
    assert set(closed) == {"month", "status", "sellers", "paid", "carried", "held", "total_paid",
                           "sepa_control_sum", "files", "warnings"}
    code, out = _cli("report", "payouts", "--month", "2026-10", "--json")
    assert (code, json.loads(out)["status"]) == (0, "reissued")


def test_a_month_that_cannot_be_run_is_a_usage_error_with_an_error_in_json(payouts_env):
    """A first close after a month with deliveries, a month before the last closed one, or the
    close of a month not over: the command asked for the wrong month (exit 2), nothing is
    broken (exit 4)."""
    code, out = _cli("report", "payouts", "--month", "2026-11", "--close", "--json")
    assert code == 2 and "orders were delivered in 2026-10" in json.loads(out)["error"]
    assert _cli("report", "payouts", "--month", "2026-10", "--close")[0] == 0
    code, out = _cli("report", "payouts", "--month", "2026-09", "--json")
    error = json.loads(out)["error"]
    assert code == 2 and error.startswith("le mois 2026-09 précède 2026-10") and "already closed" in error
    code, out = _cli("report", "payouts", "--month", "2099-12", "--close", "--json")
    assert code == 2 and "not over yet" in json.loads(out)["error"]


def test_an_adjustments_file_with_a_bad_row_is_refused_whole(payouts_env):
    """Exit 3, as for any file refused as a whole: the rows named, nothing booked."""
    folder = payouts_env / "ops" / "adjustments"
    folder.mkdir(parents=True)
    (folder / "2026-10.csv").write_text("seller_id;amount;reason\n1;12,50;geste\n1;-2,00;\n")
    code, out = _cli("report", "payouts", "--month", "2026-10", "--json")
    error = json.loads(out)
    assert (code, error["exit_code"], error["month"]) == (3, 3, "2026-10")
    assert "rows 3 " in error["error"]


def test_adjustment_files_as_excel_saves_them_book_and_hostile_rows_refuse_the_file(payouts_env):
    """French Excel's CSV (Windows-1252), a NUL in a reason, "²" as a seller, 1e30 or a
    64-bit overflow as an amount: each failed the run (exit 4) instead of an answer."""
    folder = payouts_env / "ops" / "adjustments"
    folder.mkdir(parents=True)
    for row in ("².;5,00;x", "1;1e30;x", "1;92233720368547758,08;x", "9223372036854775808;1,00;x",
                "1;1_000.00;x", "1;1E2;x", "1;１２.５０;x", "1;12.505;x"):
        (folder / "2026-10.csv").write_text(f"seller_id;amount;reason\n{row}\n")
        code, out = _cli("report", "payouts", "--month", "2026-10", "--json")
        assert (code, json.loads(out)["exit_code"]) == (3, 3), (row, out)
    (folder / "2026-10.csv").write_bytes("seller_id;amount;reason\n1;12,50;réduction\x00 accordée\n"
                                         .encode("cp1252"))
    code, out = _cli("report", "payouts", "--month", "2026-10", "--close", "--json")
    assert (code, json.loads(out)["total_paid"]) == (0, "46.51"), out  # 34.01 + 12.50


def test_an_adjustment_for_a_seller_the_registry_does_not_know_refuses_the_file(payouts_env):
    """A mistyped id would park the money on a ledger no payout reaches: exit 3, nothing booked."""
    folder = payouts_env / "ops" / "adjustments"
    folder.mkdir(parents=True)
    (folder / "2026-10.csv").write_text("seller_id;amount;reason\n1;12,50;geste\n999;5,00;x\n")
    code, out = _cli("report", "payouts", "--month", "2026-10", "--close", "--json")
    error = json.loads(out)
    assert (code, error["exit_code"]) == (3, 3)
    assert "lignes 3, vendeur(s) 999 absent(s) du registre" in error["error"]
    # with a bad row too, both are named at once (the unknown seller was said a run later)
    (folder / "2026-10.csv").write_text("seller_id;amount;reason\n1;abc;geste\n999;5,00;x\n")
    code, out = _cli("report", "payouts", "--month", "2026-10", "--close", "--json")
    error = json.loads(out)["error"]
    assert "les lignes 2 doivent avoir" in error and "lignes 3, vendeur(s) 999 absent(s)" in error
    (folder / "2026-10.csv").write_text("seller_id;amount;reason\n1;12,50;geste\n")
    code, out = _cli("report", "payouts", "--month", "2026-10", "--close", "--json")
    assert (code, json.loads(out)["total_paid"]) == (0, "46.51")  # 34.01 + 12.50, booked once


def test_monthly_payouts_flow_closes_the_month(prefect_harness, payouts_env):
    from flows.payouts import monthly_payouts

    result = monthly_payouts(month="2026-10")
    assert (result["status"], result["paid"], result["total_paid"]) == ("closed", 1, "34.01")


def test_the_flow_s_summary_shows_ops_the_run_s_warnings():
    """A closed month's adjustments file was said only in the flow's return value: not in the
    artifact ops read in the UI, nor in the run's logs."""
    from flows.payouts import payouts_summary

    result = {"month": "2026-11", "status": "closed", "sellers": 2, "paid": 1, "carried": 1,
              "held": 0, "total_paid": "10.00", "sepa_control_sum": "10.00", "files": ["a"],
              "warnings": ["ops/adjustments/2026-10.csv: mois clos / month closed"]}
    summary = payouts_summary(result)
    assert "| 2 | 1 | 1 | 0 | 10.00 | 10.00 |" in summary
    assert summary.endswith("### Warnings\n- ops/adjustments/2026-10.csv: mois clos / month closed")
    assert "Warnings" not in payouts_summary(result | {"warnings": []})
    # a close that paid nobody writes no transfer file: said so, not "None"
    assert "| 0.00 | no SEPA file |" in payouts_summary(
        result | {"total_paid": "0.00", "sepa_control_sum": None})


def test_every_file_of_a_closed_month_is_listed_where_it_is(payouts_env):
    """Invoices and their register are listed as paths (or URLs), like the other files."""
    code, out = _cli("report", "payouts", "--month", "2026-10", "--close", "--json")
    files = json.loads(out)["files"]
    assert code == 0 and any(f.endswith("invoices.csv") for f in files)
    assert all(f.startswith(str(payouts_env)) for f in files), files


def test_a_close_without_identity_file_closes_nothing(payouts_env, tmp_path, monkeypatch):
    """A missing identity file is found before the month is closed and invoice numbers used,
    also in a month where nobody is paid (no SEPA file to build: only the invoices need it)."""
    from marketplace.config import get_settings

    monkeypatch.setenv("MARKETPLACE_IDENTITY_FILE", str(tmp_path / "absent.toml"))
    get_settings.cache_clear()
    code, out = _cli("report", "payouts", "--month", "2026-09", "--close", "--json")
    assert code == 4 and "identity file not found" in json.loads(out)["error"]
    code, out = _cli("report", "payouts", "--month", "2026-09", "--json")
    assert (code, json.loads(out)["status"], json.loads(out)["paid"]) == (0, "draft", 0)


def test_an_export_changing_the_amount_of_an_order_paid_in_a_closed_month_says_so(
        payouts_env, engine, tmp_path):
    """The change was booked nowhere (a closed month is final), without a word. Said by the
    import that makes it, once: the same amount sent again says nothing."""
    assert _cli("report", "payouts", "--month", "2026-10", "--close")[0] == 0
    header = "order_id;seller_id;sku;ordered_at;amount;accepted_at;delivered_at\n"
    changed = header + "P-1;1;SKU-1;2026-10-09 10:00;100,09;2026-10-09 11:00;2026-10-10 12:00\n"
    first = tmp_path / "2026-11-05.csv"
    first.write_text(changed, encoding="utf-8")
    code, out = _cli("ingest", "orders", str(first), "--json")
    said = [p for p in json.loads(out)["problems"] if p["code"] == "paid_amount_changed"]
    assert code == 0 and len(said) == 1, out
    assert "P-1 (2026-10 : 100.00 € → 100.09 €)" in said[0]["message_fr"]
    again = tmp_path / "2026-11-06.csv"
    again.write_text(changed + "P-2;1;SKU-1;2026-11-01 10:00;5,00;;\n", encoding="utf-8")
    code, out = _cli("ingest", "orders", str(again), "--json")
    assert code == 0
    assert not [p for p in json.loads(out)["problems"] if p["code"] == "paid_amount_changed"]
