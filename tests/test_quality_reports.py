"""The quality report's files: contents, re-runs, both databases, parallel seller workbooks, CLI."""

from __future__ import annotations

import json
from datetime import date, datetime

import openpyxl
from sqlalchemy import text
from typer.testing import CliRunner

from marketplace.cli import app
from marketplace.config import Settings
from marketplace.db import make_engine
from marketplace.migrate import upgrade
from reports.quality import run_quality_report
from tests.conftest import _truncate
from tests.test_quality_data import night, orders, paris, perfect_orders, seller

D = date(2026, 11, 21)
QUALITY = ("outbox", "quality", "2026-11-21")


def _story(engine) -> None:
    """Seller 1 a Top Seller (100 perfect orders); seller 2 with a late delivery, a claim, an
    order left without a decision and 9 refused orders (acceptance 1 / 11 = 9.1 %: probation)."""
    seller(engine, 1)
    seller(engine, 2)
    bad = {"seller_id": 2, "ordered_at": paris("2026-11-02 10:00")}
    orders(engine, perfect_orders(1, 100, paris("2026-10-01 08:00")) + [
        bad | {"order_id": "=HYPERLINK(1)", "accepted_at": paris("2026-11-02 11:00"),
               "estimated_delivery_at": paris("2026-11-05 12:00"), "delivered_at": paris("2026-11-06 09:00"),
               "claim_opened_at": paris("2026-11-07 09:00")},
        bad | {"order_id": "NO-DECISION"},
        *[bad | {"order_id": f"REF-{n}", "refused_at": paris("2026-11-02 12:00")} for n in range(9)],
    ])


def _files(root) -> dict[str, bytes]:
    folder = root.joinpath(*QUALITY)
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_files_hold_every_seller_and_the_orders_behind_bad_figures(engine, tmp_path):
    _story(engine)
    report = night(engine, tmp_path, D)
    files = _files(tmp_path / "store")
    assert sorted(files) == ["indicators.csv", "indicators.xlsx", "sellers/1.xlsx", "sellers/2.xlsx"]
    assert (report.sellers, report.top_sellers, report.new_probations, report.overdue_orders) == (2, 1, 1, 1)
    book = openpyxl.load_workbook(tmp_path.joinpath("store", *QUALITY, "indicators.xlsx"))
    assert book.sheetnames == ["Indicateurs - Indicators", "Graphiques - Charts",
                               "Commandes en retard - Overdue"]
    sheet = book["Indicateurs - Indicators"]
    assert [sheet.cell(row, 1).value for row in (2, 3)] == [1, 2]
    # one red rule per indicator with a probation threshold (7) and the green Top Seller row
    assert len(sheet.conditional_formatting) == 7 + 1
    # "not enough data" is said in the value cell (quality.md: "shown as such"), not left blank
    header = [cell.value for cell in sheet[1]]
    rating = header.index("rating") + 1
    assert sheet.cell(3, rating).value == "données insuffisantes / not enough data"
    assert sheet.cell(3, rating + 1).value < 10  # its denominator beside it
    assert book["Commandes en retard - Overdue"]["A2"].value == "NO-DECISION"
    # the probation curve counts the sellers proposed for deactivation too, and says so
    assert book["Graphiques - Charts"]["F1"].value == "in probation (deactivation proposed included)"
    orders_sheet = openpyxl.load_workbook(tmp_path.joinpath("store", *QUALITY, "sellers", "2.xlsx"))[
        "Commandes - Orders"]
    listed = [(orders_sheet.cell(r, 1).value, orders_sheet.cell(r, 2).value) for r in range(2, 6)]
    # the order id copied from the input is inert text (a leading apostrophe, never a formula)
    assert listed == [("réclamation / claimed", "'=HYPERLINK(1)"),
                      ("non acceptée à temps / expired", "NO-DECISION"),
                      ("retard / late", "'=HYPERLINK(1)"), (None, None)]
    # the seller's workbook speaks French first, as every file a seller reads
    indicators = openpyxl.load_workbook(tmp_path.joinpath("store", *QUALITY, "sellers", "2.xlsx"))[
        "Indicateurs - Indicators"]
    assert indicators["A1"].value.startswith("Vendeur 2 : période du 2026-05-22 au 2026-11-21 /")
    assert indicators["A3"].value == "indicateur / indicator"
    assert indicators["A5"].value == "acceptation / acceptance (%)"
    # the trend shows rates as the indicators do: one decimal (1 / 11 = 9.0909... → 9.1)
    trend = openpyxl.load_workbook(tmp_path.joinpath("store", *QUALITY, "sellers", "2.xlsx"))[
        "Tendance - Trend"]
    assert (trend["A2"].value.date(), trend["C2"].value) == (D, 9.1)
    # one delivery: its late rate (100 %) is not enough data there too, not a figure
    assert trend["D2"].value == "données insuffisantes / not enough data"
    facts = {row[0]: row[1] for row in indicators.iter_rows(min_row=12, max_col=2, values_only=True)}
    assert facts["statut / status"] == "en probation / probation"


def test_order_ids_that_read_like_missing_values_are_listed_as_sent(engine, tmp_path):
    """PostgreSQL's rows come through CSV: "NA" and "null" were read as missing, and the
    workbooks listed the seller's overdue orders as "nan" and "None"."""
    seller(engine, 3)
    waiting = {"seller_id": 3, "ordered_at": paris("2026-11-02 10:00")}
    orders(engine, [waiting | {"order_id": "NA"}, waiting | {"order_id": "null"}])
    night(engine, tmp_path, D)
    overdue = openpyxl.load_workbook(tmp_path.joinpath("store", *QUALITY, "indicators.xlsx"))[
        "Commandes en retard - Overdue"]
    assert sorted(overdue.cell(r, 1).value for r in (2, 3)) == ["NA", "null"]
    listed = openpyxl.load_workbook(tmp_path.joinpath("store", *QUALITY, "sellers", "3.xlsx"))[
        "Commandes - Orders"]
    assert sorted(listed.cell(r, 2).value for r in (2, 3)) == ["NA", "null"]


def test_seller_workbook_writes_seniority_and_score_as_numbers(engine, tmp_path):
    """Written as text, '4.4' showed with a point and Excel's "number stored as text" flag in a
    French Excel, and could not be summed or compared."""
    _story(engine)
    night(engine, tmp_path, D)
    sheet = openpyxl.load_workbook(tmp_path.joinpath("store", *QUALITY, "sellers", "1.xlsx"))[
        "Indicateurs - Indicators"]
    facts = {row[0]: row[1] for row in sheet.iter_rows(min_row=12, max_col=2, values_only=True) if row[0]}
    assert facts["ancienneté (mois) / seniority (months)"] == 22
    assert facts["note globale /5 / score /5"] == 5
    assert isinstance(facts["note globale /5 / score /5"], int | float)


def test_rerunning_a_night_writes_identical_files(engine, tmp_path):
    _story(engine)
    night(engine, tmp_path, D)
    first = _files(tmp_path / "store")
    night(engine, tmp_path, D)
    assert _files(tmp_path / "store") == first


def test_a_rerun_reads_the_registry_as_the_night_did(engine, tmp_path):
    """Re-run after ops terminated seller 2 and set seller 1 a trial limit it has reached, the
    night dropped seller 2 and put seller 1 in trial limit, dated that night, under later
    nights that said otherwise (quality.md: a re-run gives the same night)."""
    _story(engine)
    night(engine, tmp_path, D)
    first = _files(tmp_path / "store")
    with engine.begin() as connection:
        connection.execute(text("UPDATE sellers SET status = 'terminated' WHERE seller_id = 2"))
        connection.execute(text("UPDATE sellers SET trial_max_orders = 1, activated_at = '2026-10-01'"
                                " WHERE seller_id = 1"))
    night(engine, tmp_path, D)
    assert _files(tmp_path / "store") == first
    assert sorted(first) == ["indicators.csv", "indicators.xlsx", "sellers/1.xlsx", "sellers/2.xlsx"]


def test_sqlite_and_postgresql_write_byte_identical_csv(postgres_engine, tmp_path):
    _truncate(postgres_engine)
    sqlite = make_engine(f"sqlite:///{tmp_path / 'lite.db'}")
    upgrade(sqlite)
    csvs = []
    for name, engine in (("lite", sqlite), ("pg", postgres_engine)):
        _story(engine)
        night(engine, tmp_path / name, D)
        csvs.append(tmp_path.joinpath(name, "store", *QUALITY, "indicators.csv").read_bytes())
    sqlite.dispose()
    assert csvs[0] == csvs[1]
    assert csvs[0].startswith(b"seller_id,window_start,window_end,order_count,seniority_months,")


def test_seller_workbooks_written_by_two_worker_processes(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    _story(engine)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        storage=str(tmp_path / "store"))
    run_quality_report(engine, settings, D, workers=2)
    in_parallel = _files(tmp_path / "store")
    night(engine, tmp_path, D)  # the same night in this process
    assert _files(tmp_path / "store") == in_parallel
    assert "sellers/2.xlsx" in in_parallel
    engine.dispose()


def test_cli_prints_one_json_object(engine, catalog_env):
    _story(engine)
    result = CliRunner().invoke(app, ["report", "quality", "--date", "2026-11-21", "--json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert {key: summary[key] for key in ("report_date", "window_start", "window_end", "sellers",
                                          "top_sellers", "new_probations", "deactivations_proposed",
                                          "trial_limits_reached", "overdue_orders")} == {
        "report_date": "2026-11-21", "window_start": "2026-05-22", "window_end": "2026-11-21",
        "sellers": 2, "top_sellers": 1, "new_probations": 1, "deactivations_proposed": 0,
        "trial_limits_reached": 0, "overdue_orders": 1}
    assert summary["files"]["indicators_csv"].endswith("outbox/quality/2026-11-21/indicators.csv")


def test_cli_refuses_a_night_that_has_not_come(engine, catalog_env):
    # the suite's clock is 2026-11-23 12:00 UTC: today is allowed, tomorrow is not
    result = CliRunner().invoke(app, ["report", "quality", "--date", "2027-11-24", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == (
        "La date 2027-11-24 est dans le futur (aujourd'hui : 2026-11-23) /"
        " the date 2027-11-24 is in the future (today: 2026-11-23)")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM quality_indicators")).scalar() == 0
    assert not (catalog_env / "outbox" / "quality").exists()
    today = CliRunner().invoke(app, ["report", "quality", "--date", "2026-11-23", "--json"])
    assert today.exit_code == 0, today.output


def test_cli_refuses_a_bad_date(engine, catalog_env):
    result = CliRunner().invoke(app, ["report", "quality", "--date", "2026-13-01", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"status": "error", "exit_code": 2, "error":
                                         "Date invalide / invalid date: '2026-13-01' (YYYY-MM-DD)"}


def test_seller_workbook_lists_the_orders_as_they_stood_at_the_end_of_d(engine, tmp_path):
    """A claimed order delivered the morning after D was listed "livrée le" that morning in the
    workbook of D, whose figures ignore that delivery (decisions.md: an event after D)."""
    seller(engine, 1)
    orders(engine, [{"order_id": "A-005", "seller_id": 1, "ordered_at": paris("2026-11-18 10:00"),
                     "accepted_at": paris("2026-11-18 11:00"),
                     "claim_opened_at": paris("2026-11-20 09:00"),
                     "estimated_delivery_at": paris("2026-11-21 12:00"),
                     "delivered_at": paris("2026-11-22 10:00")}])

    def listed(day: date) -> list[tuple]:
        night(engine, tmp_path / day.isoformat(), day)
        book = tmp_path.joinpath(day.isoformat(), "store", "outbox", "quality", day.isoformat(),
                                 "sellers", "1.xlsx")
        sheet = openpyxl.load_workbook(book)["Commandes - Orders"]
        return [(row[0], row[1], row[7]) for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert listed(D) == [("réclamation / claimed", "A-005", None)]  # not delivered yet at D
    assert listed(date(2026, 11, 22)) == [  # the next night: delivered, a day late
        ("réclamation / claimed", "A-005", datetime(2026, 11, 22, 10)),
        ("retard / late", "A-005", datetime(2026, 11, 22, 10))]


def test_an_expired_order_shows_when_it_was_accepted_after_its_deadline(engine, tmp_path):
    """The seller's own system says "accepted": the sheet listed it expired with no acceptance
    time, and the seller could not see it came after the deadline."""
    seller(engine, 1)
    orders(engine, [{"order_id": "A-012", "seller_id": 1, "ordered_at": paris("2026-11-02 10:30"),
                     "accepted_at": paris("2026-11-04 10:45")}])
    night(engine, tmp_path, D)
    sheet = openpyxl.load_workbook(tmp_path.joinpath("store", *QUALITY, "sellers", "1.xlsx"))[
        "Commandes - Orders"]
    header, row = (list(r) for r in sheet.iter_rows(max_row=2, values_only=True))
    assert header[3:5] == ["à accepter avant / acceptance deadline", "acceptée le / accepted at"]
    assert row[0] == "non acceptée à temps / expired" and row[3] < row[4] == datetime(2026, 11, 4, 10, 45)
