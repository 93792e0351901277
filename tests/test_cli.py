"""The command line contract: options, exit codes and the `--json` object, on both databases."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketplace.cli import app
from marketplace.config import SAMPLES_DIR, Settings, get_settings
from tests.helpers import OFFER_HEADER, add_seller, offer_rows, write_offer_csv

JSON_KEYS = {"status", "kind", "seller_id", "import_id", "sha256", "rows", "loaded", "rejected",
             "errors_report"}


@pytest.fixture
def cli(engine, catalog_env):
    add_seller(engine, 7)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout

    yield run


def as_json(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, stdout
    return json.loads(lines[0])


def test_ingest_json_has_the_contract_keys(cli, tmp_path):
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(3))
    code, out = cli("ingest", "offers", str(path), "--seller", "7", "--json")
    answer = as_json(out)
    assert code == 0
    assert set(answer) >= JSON_KEYS
    assert (answer["status"], answer["kind"], answer["seller_id"], answer["rows"],
            answer["loaded"], answer["rejected"], answer["errors_report"]) == (
        "loaded", "offers", 7, 3, 3, 0, None)
    code, out = cli("ingest", "offers", str(path), "--seller", "7", "--json")
    assert (code, as_json(out)["status"]) == (0, "duplicate")


def test_partial_exits_1_and_names_the_report(cli, tmp_path):
    rows = offer_rows(2)
    rows[0][4] = "gratuit"
    code, out = cli("ingest", "offers", str(write_offer_csv(tmp_path / "o.csv", rows)),
                    "--seller", "7", "--json")
    answer = as_json(out)
    assert (code, answer["status"], answer["rejected"]) == (1, "partial", 1)
    assert answer["errors_report"].endswith("-errors.xlsx")
    assert answer["problems"][0]["row"] == 2 and answer["problems"][0]["column"] == "prix"


def test_file_rejected_exits_3(cli, tmp_path):
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    code, out = cli("ingest", "offers", str(empty), "--seller", "7", "--json")
    assert (code, as_json(out)["status"]) == (3, "rejected")
    code, out = cli("validate", "offers", str(empty), "--seller", "7")  # its reason said once
    assert code == 3 and out.count("Le fichier est vide") == 1


@pytest.mark.parametrize(
    "args",
    [["ingest", "offers", "x.csv"], ["ingest", "offers", "x.csv", "--seller", "7", "--mode", "merge"],
     ["ingest", "sellers", "x.csv", "--seller", "7"], ["validate", "orders", "x.csv"],
     ["ingest", "offers", "missing.csv", "--seller", "7"], ["frobnicate"],
     ["validate", "offers", "x.csv", "--seller", "-3"], ["ingest", "offers", "x.csv", "--seller", "0"],
     ["export", "offers", "--seller", "0"], ["ingest", "offers", ".", "--seller", "7"]],
)
def test_usage_errors_exit_2(cli, args):
    code, _ = cli(*args)
    assert code == 2


@pytest.mark.parametrize("option", [["--mode", "replace"], ["--force"]])
def test_offer_options_on_the_registry_are_usage_errors_not_ignored(cli, option):
    code, out = cli("ingest", "sellers", str(SAMPLES_DIR / "sellers.csv"), *option, "--json")
    assert (code, as_json(out)["exit_code"]) == (2, 2)


def test_force_without_replace_loads_as_an_update_and_says_so(engine, catalog_env, tmp_path):
    add_seller(engine, 7)
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(2))
    result = CliRunner().invoke(app, ["ingest", "offers", str(path), "--seller", "7", "--force",
                                      "--json"])
    assert (result.exit_code, as_json(result.stdout)["status"]) == (0, "loaded")
    assert "--force only applies with --mode replace" in result.stderr


@pytest.mark.parametrize(("args", "code"), [
    (["ingest", "offers", "missing.csv", "--seller", "7"], 2),
    (["ingest", "offers", "x.csv"], 2),
    (["validate", "offers", "missing.csv"], 2),
    (["report", "quality", "--date", "2026-13-01"], 2),
    (["report", "quality", "--date", ""], 2),  # an unset variable in ops' script: not "yesterday"
    (["report", "quality", "--date", "0001-01-01"], 2),  # no window six months before it
    (["report", "quality", "--date", "9999-12-31"], 2),
    (["report", "payouts", "--month", "2026-1"], 2),
])
def test_with_json_a_failure_is_one_error_object_on_stdout(cli, args, code):
    exit_code, out = cli(*args, "--json")
    answer = as_json(out)
    assert (exit_code, answer["status"], answer["exit_code"]) == (code, "error", code)
    assert answer["error"]


def test_with_json_an_internal_failure_is_one_error_object_on_stdout(cli, tmp_path, monkeypatch):
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(1))
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", f"sqlite:///{tmp_path}")  # a folder
    get_settings.cache_clear()
    code, out = cli("ingest", "offers", str(path), "--seller", "7", "--json")
    answer = as_json(out)
    assert (code, answer["status"], answer["kind"], answer["seller_id"]) == (4, "error", "offers", 7)


def test_export_to_a_folder_or_a_missing_folder_is_a_usage_error_and_leaves_nothing(cli, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for out in (folder, folder / "nowhere" / "x.csv"):
        assert cli("export", "offers", "--out", str(out))[0] == 2
    assert list(folder.iterdir()) == []
    code, _ = cli("export", "offers", "--out", str(folder / "x.csv"))
    assert (code, [p.name for p in folder.iterdir()]) == (0, ["x.csv"])


@pytest.mark.parametrize("url", ["postgresql://", "sqlite://", "sqlite:///:memory:", "notaurl",
                                 "mysql://host/db"])
def test_a_database_url_naming_no_catalog_is_refused_before_any_work(cli, tmp_path, monkeypatch,
                                                                      url):
    """`postgresql://` logged in to the server's defaults and migrated a schema there;
    `sqlite://` started every command on a new empty catalog in memory."""
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", url)
    get_settings.cache_clear()
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(1))
    code, out = cli("ingest", "offers", str(path), "--seller", "7", "--json")
    answer = as_json(out)
    assert (code, answer["status"]) == (4, "error")
    assert answer["error"].startswith("MARKETPLACE_DATABASE_URL: ")
    assert list((tmp_path / "store").glob("**/*")) == []


@pytest.mark.parametrize("command", [["report", "quality"], ["ingest", "offers", "o.csv", "--seller", "7"]])
def test_an_unknown_time_zone_is_refused_before_any_work(cli, tmp_path, monkeypatch, command):
    """It failed an import half-way (left `processing`) and a quality report ignored it."""
    monkeypatch.setenv("MARKETPLACE_TIMEZONE", "Mars/Olympus")
    get_settings.cache_clear()
    write_offer_csv(tmp_path / "o.csv", offer_rows(1))
    monkeypatch.chdir(tmp_path)
    code, out = cli(*command, "--json")
    answer = as_json(out)
    assert (code, answer["status"]) == (4, "error")
    assert answer["error"].startswith("MARKETPLACE_TIMEZONE: ")
    assert list((tmp_path / "store").glob("**/*")) == []


@pytest.mark.parametrize("url", ["postgres://shop:TopSecretPW@db.internal:5432/",
                                 "mysql://shop:TopSecretPW@db/x", "shop:TopSecretPW@db/x",
                                 "postgresql+psycopg2://shop:TopSecretPW@db/x"])
def test_a_refused_database_url_never_shows_its_password(cli, tmp_path, monkeypatch, url):
    """The refusal quoted the whole URL, password included, on stderr and in the JSON."""
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", url)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["run", "inbox", "--json"])
    assert result.exit_code == 4 and as_json(result.stdout)["status"] == "error"
    assert "TopSecretPW" not in result.stdout + result.stderr


def test_a_database_out_of_reach_is_said_in_one_line(tmp_path, monkeypatch):
    """It was "internal failure" over three lines, with SQLAlchemy's help link."""
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", "postgresql+psycopg://shop@127.0.0.1:1/catalog")
    monkeypatch.setenv("MARKETPLACE_STORAGE", str(tmp_path / "store"))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["run", "inbox", "--json"])
    assert result.exit_code == 4
    assert as_json(result.stdout)["error"].startswith("database unreachable: OperationalError:")
    assert result.stderr.strip().count("\n") == 0 and "sqlalche.me" not in result.stderr
    get_settings.cache_clear()


@pytest.mark.parametrize(("url", "used"), [
    ("postgresql://shop@db/catalog", "postgresql+psycopg://shop@db/catalog"),
    ("postgres://shop@db/catalog", "postgresql+psycopg://shop@db/catalog"),  # libpq's spelling
    ("postgresql+psycopg://shop@db/catalog", "postgresql+psycopg://shop@db/catalog"),
    ("sqlite:///data/catalog.db", "sqlite:///data/catalog.db")])
def test_a_postgresql_url_without_driver_uses_the_installed_one(url, used):
    """`postgresql://` made SQLAlchemy look for psycopg2: ModuleNotFoundError, exit 4."""
    assert Settings(database_url=url).database_url == used


def test_export_to_a_folder_not_writable_is_a_usage_error(cli, tmp_path, monkeypatch):
    opened = Path.open

    def refuse(path, *args, **kwargs):  # what a read-only folder answers (tests run as root)
        if path.name.startswith(".x.csv"):
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert cli("export", "offers", "--out", str(tmp_path / "x.csv")) == (2, "")


def test_export_of_a_seller_not_in_the_registry_is_a_usage_error(cli, tmp_path):
    """Seller 7 (the fixture's) has no offer yet: an empty export; 77 is a typo: said so."""
    code, out = cli("export", "offers", "--seller", "7")
    assert (code, out.splitlines()[0].startswith("seller_id,")) == (0, True)
    assert len(out.splitlines()) == 1
    assert cli("export", "offers", "--seller", "77") == (2, "")
    out_file = tmp_path / "x.csv"
    code, out = cli("export", "offers", "--seller", "77", "--out", str(out_file))
    assert (code, out) == (2, "")
    assert not out_file.exists() and list(tmp_path.glob(".x.csv*")) == []


def test_validate_writes_nothing_to_the_database(cli, engine, tmp_path):
    rows = offer_rows(2)
    rows[1][1] = "3.60029E+12"
    path = write_offer_csv(tmp_path / "o.csv", rows)
    code, out = cli("validate", "offers", str(path), "--seller", "7", "--json")
    answer = as_json(out)
    assert (code, answer["status"], answer["rejected"], answer["import_id"]) == (1, "partial", 1, None)
    code, out = cli("export", "offers")
    assert out.strip().splitlines() == [
        "seller_id,sku,product_id,title,category,price,quantity,condition,active,published,"
        "effective_price,top_seller"]


def test_a_file_name_that_is_not_utf8_is_ingested_and_answered_in_valid_json(cli, tmp_path):
    """A Windows zip's cp1252 name: ingest crashed storing it (exit 4), and validate printed
    its raw byte inside --json (not UTF-8: no JSON parser could read the answer)."""
    folder = os.fsencode(tmp_path)
    path = Path(os.fsdecode(os.path.join(folder, b"offres-\xe9t\xe9.csv")))
    write_offer_csv(path, offer_rows(1))
    for command in ("validate", "ingest"):
        code, out = cli(command, "offers", str(path), "--seller", "7", "--json")
        answer = json.loads(out.encode("utf-8", "surrogateescape"))  # what a script reads
        shown = str(tmp_path / "offres-\ufffdt\ufffd.csv")
        assert (code, answer["status"], answer["file"]) == (0, "loaded", shown)
    assert answer["archive"].endswith("-offres-_t_.csv")


def test_run_inbox_answers_a_person_about_a_name_that_is_not_utf8(tmp_path):
    """The answer moved to stdout, which refuses lone surrogates in a UTF-8 locale (stderr
    escapes them): the run ended in an internal failure, exit 4, its answer lost."""
    store = tmp_path / "store"
    folder = os.fsencode(store / "inbox" / "offers" / "abc")
    os.makedirs(folder)
    with open(os.path.join(folder, b"offres-\xe9t\xe9.csv"), "wb") as handle:
        handle.write(b"sku\r\nA\r\n")
    env = {**os.environ, "MARKETPLACE_STORAGE": str(store), "PYTHONIOENCODING": "utf-8:strict",
           "MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    command = [sys.executable, "-c", "from marketplace.cli import main; main()", "run", "inbox"]
    answered = subprocess.run(command, capture_output=True, text=True, env=env)
    assert answered.returncode == 3, answered.stderr
    assert "refused inbox/offers/abc/offres-\ufffdt\ufffd.csv" in answered.stdout
    assert "0 file(s) processed." in answered.stdout


@pytest.mark.parametrize("day", ["20261122", "2026-11-2", "22/11/2026"])
def test_report_quality_takes_its_date_as_the_contract_writes_it(cli, day):
    code, out = cli("report", "quality", "--date", day, "--json")
    assert (code, as_json(out)["exit_code"]) == (2, 2)


def test_validate_says_which_rows_only_the_import_can_judge(cli, tmp_path):
    """A file without a stock column passes validate (the catalog may hold the stocks), and
    the answer says those rows are checked at import: "valid" alone promised too much."""
    rows = [row[:5] for row in offer_rows(3)]  # sku, ean, titre, catégorie, prix
    path = write_offer_csv(tmp_path / "o.csv", rows, header=OFFER_HEADER[:5])
    code, out = cli("validate", "offers", str(path), "--seller", "7", "--json")
    answer = as_json(out)
    assert (code, answer["status"], answer["rejected"]) == (0, "loaded", 0)
    assert answer["message"].startswith("fichier seul vérifié : 3 ligne(s) dépendent de votre"
                                         " catalogue pour les colonnes absentes du fichier (stock)")
    code, out = cli("validate", "offers", str(write_offer_csv(tmp_path / "f.csv", offer_rows(3))),
                    "--seller", "7", "--json")
    assert (code, as_json(out)["message"]) == (0, None)


def test_validate_says_it_is_a_check_to_a_person(cli, tmp_path):
    """Without --json the answer counts valid rows and names no import: validate loads nothing
    (its report says so too), and "2 loaded, import=None" told ops the opposite."""
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(2))
    result = CliRunner().invoke(app, ["validate", "offers", str(path), "--seller", "7"])
    line = " ".join(result.stdout.split())  # the answer, on stdout like any tool's
    assert "(check only, nothing loaded): 2 rows read, 2 valid, 0 rejected" in line
    assert "loaded," not in line and "import=" not in line
    result = CliRunner().invoke(app, ["ingest", "offers", str(path), "--seller", "7"])
    assert "2 rows read, 2 loaded, 0 rejected" in " ".join(result.stdout.split())


CHECK_ONLY = """
import sys
from pathlib import Path
from marketplace.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print("loaded:", *(m for m in ("sqlalchemy", "prefect", "marketplace.models") if m in sys.modules))
"""


@pytest.mark.parametrize("args", [
    ["ingest", "offers", "x.csv", "--seller", "abc"],  # not a number
    ["validate", "offers", "x.csv", "--seller", "9223372036854775808"],  # no seller number
    ["ingest", "offers", "x.csv", "--seller", "1", "--mode", "remplacer"],  # not a choice
    ["report", "quality", "--bogus"],  # no such option
    ["report", "payouts", "--month"],  # `--month $UNSET --json`: the month swallows --json
    ["report", "quality", "--date"],
])
def test_what_typer_refuses_is_a_usage_error_with_its_json_object(args, tmp_path):
    """The console script (`marketplace.cli.main`): a script reading stdout gets one object
    for these too; without --json, stdout stays empty."""
    env = {**os.environ, "MARKETPLACE_STORAGE": str(tmp_path),
           "MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    command = [sys.executable, "-c", "from marketplace.cli import main; main()", *args]
    answered = subprocess.run([*command, "--json"], capture_output=True, text=True, env=env)
    answer = json.loads(answered.stdout)
    assert (answered.returncode, answer["status"], answer["exit_code"]) == (2, "error", 2)
    assert answer["error"] in answered.stderr
    plain = subprocess.run(command, capture_output=True, text=True, env=env)
    assert (plain.returncode, plain.stdout) == (2, "")


@pytest.mark.parametrize("kind, sample, seller", [
    ("offers", "catalogue-livres.csv", ["--seller", "1"]),
    ("promotions", "promotions-erreurs.csv", []),  # with a seller, checked against the catalog
])
def test_validate_imports_no_database_code(kind, sample, seller, tmp_path):
    """A seller's script waits for `validate`: SQLAlchemy alone would add 0.2 s to its second."""
    env = {**os.environ, "MARKETPLACE_STORAGE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", CHECK_ONLY, "validate", kind, str(SAMPLES_DIR / sample), *seller,
         "--json"], capture_output=True, text=True, env=env, check=True)
    answer, loaded_modules = done.stdout.strip().splitlines()
    assert json.loads(answer)["kind"] == kind
    assert loaded_modules == "loaded:"


def test_export_into_a_pipe_closed_early_exits_quietly(cli, tmp_path):
    """`marketplace export offers | head`: no "internal failure", the Unix exit of a closed pipe."""
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(3000))
    assert cli("ingest", "offers", str(path), "--seller", "7")[0] == 0
    export = subprocess.Popen([sys.executable, "-c", "from marketplace.cli import app; app()",
                               "export", "offers"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert export.stdout.readline().startswith(b"seller_id,sku")
    export.stdout.close()
    assert export.wait(timeout=60) == 141
    assert export.stderr.read() == b""


def test_export_derives_published_from_the_seller_status(cli, engine, tmp_path):
    add_seller(engine, 9, status="vacation")
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(1, price="9,90"))
    assert cli("ingest", "offers", str(path), "--seller", "7")[0] == 0
    assert cli("ingest", "offers", str(path), "--seller", "9")[0] == 0
    out_file = tmp_path / "export.csv"
    # with --out the answer is on stdout, like every command's without --json
    assert cli("export", "offers", "--out", str(out_file)) == (0, f"2 offers written to {out_file}\n")
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert [(r["seller_id"], r["price"], r["active"], r["published"]) for r in rows] == [
        ("7", "9.90", "true", "true"), ("9", "9.90", "true", "false")]


def test_export_unpublishes_after_the_termination_month(cli, engine, tmp_path):
    """Seed 000: the termination takes effect at the end of the month it is requested in; from
    the next month the offers are off even while the registry still shows `active`."""
    from datetime import UTC, date, datetime
    from io import StringIO

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from marketplace.models import Seller
    from reports.offers_export import export_offers

    add_seller(engine, 9)
    add_seller(engine, 10)
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(1))
    for seller in ("7", "9", "10"):
        assert cli("ingest", "offers", str(path), "--seller", seller)[0] == 0
    with Session(engine) as session, session.begin():
        session.execute(update(Seller).where(Seller.seller_id == 9)
                        .values(termination_requested_at=date(2026, 10, 15)))
        session.execute(update(Seller).where(Seller.seller_id == 10)
                        .values(termination_requested_at=date(2026, 11, 2)))

    def published(at: datetime) -> list[tuple[str, str]]:
        out = StringIO()
        export_offers(engine, out, at=at)
        out.seek(0)
        return [(r["seller_id"], r["published"]) for r in csv.DictReader(out)]

    # 30 November 23:30 in Paris: seller 10's termination takes effect at midnight
    assert published(datetime(2026, 11, 30, 22, 30, tzinfo=UTC)) == [
        ("7", "true"), ("9", "false"), ("10", "true")]
    # 1 December 00:30 in Paris (still 30 November in UTC)
    assert published(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == [
        ("7", "true"), ("9", "false"), ("10", "false")]


def test_run_inbox_processes_registry_then_offers(cli, tmp_path):
    store = tmp_path / "store" / "inbox"
    (store / "sellers").mkdir(parents=True)
    (store / "offers" / "101").mkdir(parents=True)
    (store / "sellers" / "sellers.csv").write_bytes((SAMPLES_DIR / "sellers.csv").read_bytes())
    (store / "offers" / "101" / "f.csv").write_bytes(
        (SAMPLES_DIR / "offres-formations.csv").read_bytes())
    code, out = cli("run", "inbox", "--json")
    answer = json.loads(out)
    assert [(f["kind"], f["status"]) for f in answer["files"]] == [
        ("sellers", "loaded"), ("offers", "loaded")]
    assert code == 0
    assert not list((store / "offers" / "101").iterdir())


def test_run_inbox_says_which_file_each_answer_is_about_one_line_each(engine, catalog_env):
    """What ops read in the cron log: each file's answer on one line, naming the file (the
    console is no terminal there: nothing may be wrapped at 80 columns)."""
    add_seller(engine, 7)
    folder = catalog_env / "inbox" / "offers" / "7"
    folder.mkdir(parents=True)
    write_offer_csv(folder / "Offres de la semaine du 23 novembre.csv", offer_rows(2))
    result = CliRunner().invoke(app, ["run", "inbox"])
    assert result.exit_code == 0
    assert any(line.startswith("loaded offers seller=7") and line.endswith("0 warnings")
               and "inbox/offers/7/Offres de la semaine du 23 novembre.csv" in line
               for line in result.stdout.splitlines()), result.stdout


def test_run_inbox_on_a_storage_folder_that_does_not_exist_says_so(engine, catalog_env,
                                                                    monkeypatch):
    """A mistyped MARKETPLACE_STORAGE read as a quiet night: "0 file(s) processed", exit 0."""
    from marketplace.config import get_settings

    monkeypatch.setenv("MARKETPLACE_STORAGE", str(catalog_env.parent / "stroe"))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["run", "inbox", "--json"])
    assert (result.exit_code, json.loads(result.stdout)["processed"]) == (0, 0)
    assert "stroe does not exist: no file waiting" in result.stderr
    catalog_env.mkdir()
    get_settings.cache_clear()
    monkeypatch.setenv("MARKETPLACE_STORAGE", str(catalog_env))
    assert "does not exist" not in CliRunner().invoke(app, ["run", "inbox"]).stderr


def test_what_a_seller_wrote_is_printed_as_text_never_as_console_markup(engine, catalog_env, tmp_path):
    """A cell `[/x]` (or a file name with brackets) is quoted in the messages ops read: as rich
    markup it was a MarkupError, a traceback and exit code 1 after the file had loaded."""
    add_seller(engine, 7)
    path = write_offer_csv(tmp_path / "Offres [v2].csv", offer_rows(1, price="[/x]"))
    refused = catalog_env / "inbox" / "offers" / "[/b]"
    refused.mkdir(parents=True)
    (refused / "[red]x.csv").write_text("sku\n", encoding="utf-8")
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", "offers", str(path), "--seller", "7"])
    run = runner.invoke(app, ["run", "inbox"])
    assert (ingested.exit_code, run.exit_code) == (1, 3)
    assert "« [/x] »" in ingested.stdout and "Offres [v2].csv" in ingested.stdout
    assert "refused inbox/offers/[/b]/[red]x.csv" in run.stdout


def test_ingest_refuses_a_seller_other_than_the_inbox_folder_of_the_file(cli, engine, tmp_path):
    """The inbox folder is the authenticated seller: `--seller 8` on a file that seller 7
    dropped would load 7's catalogue into 8's shop."""
    add_seller(engine, 8)
    folder = tmp_path / "store" / "inbox" / "offers" / "7"
    folder.mkdir(parents=True)
    path = write_offer_csv(folder / "o.csv", offer_rows(2))
    code, out = cli("ingest", "offers", str(path), "--seller", "8", "--json")
    answer = as_json(out)
    assert (code, answer["status"], answer["exit_code"]) == (3, "error", 3)  # wrong seller
    assert "vendeur 7" in answer["error"] and "seller 7" in answer["error"]
    # 7's folder of another kind is 7's all the same
    other = tmp_path / "store" / "inbox" / "promotions" / "7"
    other.mkdir(parents=True)
    misplaced = write_offer_csv(other / "o.csv", offer_rows(2))
    code, out = cli("ingest", "offers", str(misplaced), "--seller", "8", "--json")
    assert (code, as_json(out)["exit_code"]) == (3, 3)
    deeper = tmp_path / "store" / "inbox" / "offers" / "7" / "sub"  # off the layout, still 7's
    deeper.mkdir()
    code, out = cli("ingest", "offers", str(write_offer_csv(deeper / "o.csv", offer_rows(2))),
                    "--seller", "8", "--json")
    assert (code, as_json(out)["exit_code"]) == (3, 3)
    # a check for seller 8 would publish 7's rows in 8's outbox/validations/
    code, out = cli("validate", "offers", str(path), "--seller", "8", "--json")
    assert (code, as_json(out)["exit_code"]) == (3, 3)
    assert not (tmp_path / "store" / "outbox" / "validations" / "8").exists()
    code, out = cli("ingest", "offers", str(path), "--seller", "7", "--json")
    assert (code, as_json(out)["loaded"]) == (0, 2)


def test_a_column_without_header_but_with_values_is_a_warning(cli, tmp_path):
    path = tmp_path / "o.csv"
    rows = offer_rows(2)
    path.write_text("\n".join(";".join([*cells, extra]) for cells, extra in
                              [(OFFER_HEADER, ""), (rows[0], "oops"), (rows[1], "")]) + "\n",
                    encoding="utf-8")
    code, out = cli("validate", "offers", str(path), "--seller", "7", "--json")
    answer = as_json(out)
    assert (code, answer["status"], answer["warnings"]) == (0, "loaded", 1)
    assert answer["problems"][0]["message_fr"].endswith("n'a pas d'en-tête : ses valeurs sont ignorées.")


def test_a_formula_saved_without_its_value_is_explained_and_counted_once(cli, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(OFFER_HEADER)
    rows = offer_rows(2)
    rows[0][4] = "=10*2"  # written by a program: no value saved with the formula
    for row in rows:
        workbook.active.append(row)
    workbook.save(tmp_path / "erp.xlsx")
    code, out = cli("ingest", "offers", str(tmp_path / "erp.xlsx"), "--seller", "7", "--json")
    answer = as_json(out)
    assert (code, answer["rows"], answer["loaded"], answer["rejected"]) == (1, 2, 1, 1)
    assert [(p["row"], p["column"], p["value"], p["code"]) for p in answer["problems"]] == [
        (2, "prix", "=10*2", "formula_not_calculated"), (2, "prix", "", "required")]


def test_a_file_without_header_row_still_says_what_was_read(cli, tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes(("note\r\n" * 11 + "x;y\r\n1;2\r\n").encode("cp1252"))
    code, out = cli("validate", "offers", str(path), "--seller", "7", "--json")
    answer = as_json(out)
    assert (code, answer["status"]) == (3, "rejected")
    assert answer["detected"] | {"decimal_separator": None} == {
        "format": "csv", "encoding": "utf-8", "delimiter": ";", "sheet": None,
        "header_row": None, "decimal_separator": None}


def test_debug_logging_keeps_the_aws_session_token_and_key_id_out(tmp_path, s3_client, s3_bucket,
                                                                   moto_server):
    """MARKETPLACE_LOG_LEVEL=DEBUG set botocore to DEBUG too: it logged the signed headers."""
    env = {**os.environ, "MARKETPLACE_STORAGE": f"s3://{s3_bucket}/lz",
           "MARKETPLACE_S3_ENDPOINT_URL": moto_server, "MARKETPLACE_LOG_LEVEL": "DEBUG",
           "AWS_ACCESS_KEY_ID": "AKIAKEYIDNOTTOLOG", "AWS_SESSION_TOKEN": "sessionTokenNotToLog",
           "MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    command = [sys.executable, "-c", "from marketplace.cli import main; main()", "run", "inbox"]
    answered = subprocess.run(command, capture_output=True, text=True, env=env)
    assert answered.returncode == 0 and "0 file(s) processed" in answered.stdout
    assert "DEBUG" in answered.stderr  # our own debug lines are still there
    assert "sessionTokenNotToLog" not in answered.stderr
    assert "AKIAKEYIDNOTTOLOG" not in answered.stderr


@pytest.mark.parametrize("level", ["debug", " INFO", "10", "", "bogus", "²"])
def test_any_log_level_setting_leaves_the_command_its_exit_code(tmp_path, level):
    """`MARKETPLACE_LOG_LEVEL=debug` ended every command in a traceback, exit 1 ("rows
    rejected" to a script)."""
    env = {**os.environ, "MARKETPLACE_STORAGE": str(tmp_path / "store"), "MARKETPLACE_LOG_LEVEL": level,
           "MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    command = [sys.executable, "-c", "from marketplace.cli import main; main()", "run", "inbox", "--json"]
    answered = subprocess.run(command, capture_output=True, text=True, env=env)
    assert (answered.returncode, json.loads(answered.stdout)["processed"]) == (0, 0)
    assert ("unknown: WARNING" in answered.stderr) == (level in ("bogus", "²"))
