"""The `marketplace` command line: the contract scripts and finance rely on.

Exit codes (architecture.md): 0 done, nothing rejected; 1 done, some rows rejected (report
written); 2 usage error; 3 file rejected as a whole, nothing loaded; 4 internal failure.
`--json` prints exactly one JSON object on stdout; human messages go to stderr then (without
it, a command's answer goes to stdout, errors and progress to stderr). A
command that fails (usage error, internal failure) prints `{"status": "error", "exit_code",
"error"}` so that a script reading stdout always gets an object (typer's own errors on unknown
options excepted: they exit 2 before any command runs).

Commands import what only they need when they run: `validate` answers a seller's script in
about a second, so it never loads SQLAlchemy, the models, Prefect or the report builders.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from loaders.checking import FileChecker, IngestRequest, IngestResult
from loaders.feeds import KINDS, feed_for
from marketplace.config import get_settings
from marketplace.errors import INTERNAL_FAILURE, MarketplaceError
from marketplace.layout import MAX_SELLER_ID, inbox_folder_seller, readable
from marketplace.storage import open_storage

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Batch back office of the marketplace.")
db_app = typer.Typer(no_args_is_help=True, help="Catalog database.")
run_app = typer.Typer(no_args_is_help=True, help="Process what waits in the landing zone.")
export_app = typer.Typer(no_args_is_help=True, help="Exports.")
report_app = typer.Typer(no_args_is_help=True, help="The nightly quality and monthly payout reports.")
app.add_typer(db_app, name="db")
app.add_typer(run_app, name="run")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")
# Messages quote what sellers wrote (cells, file names): printed as text, never read as rich
# markup (`[/x]` would raise); a line per message, also in a log (no terminal: 80 columns).
err = Console(stderr=True, soft_wrap=True, markup=False)
# A command's answer for a person goes to stdout, like any Unix tool's (`marketplace demo |
# less`, a log of the nightly run); errors, progress and `--json`'s human lines to stderr.
reply = Console(soft_wrap=True, markup=False)
USAGE_ERROR = 2
FILE_REJECTED = 3
CLOSED_PIPE = 141  # 128 + SIGPIPE: what a Unix tool killed by a closed pipe returns


def _seller_option(help_text: str):
    """--seller: a seller number the catalog can hold (past it, no seller: a usage error)."""
    return typer.Option(min=1, max=MAX_SELLER_ID, help=help_text)


class SellerKind(StrEnum):
    offers = "offers"
    promotions = "promotions"


class AnyKind(StrEnum):
    offers = "offers"
    promotions = "promotions"
    sellers = "sellers"
    orders = "orders"


class Mode(StrEnum):
    update = "update"
    replace = "replace"


JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


class UsageError(Exception):
    """A command given wrong arguments: exit code 2, the message says what to change."""


SIGNED_REQUEST_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")
"""Never below INFO: their DEBUG lines carry the AWS access key id and session token."""


def _log_level() -> int:
    """MARKETPLACE_LOG_LEVEL as a name in any case (`debug`) or a number; anything else is
    WARNING, said once on stderr (it made every command end in a traceback, exit 1, which a
    script reads as "rows rejected")."""
    text = os.environ.get("MARKETPLACE_LOG_LEVEL", "").strip() or "WARNING"
    level = (int(text) if text.isascii() and text.isdigit()
             else logging.getLevelNamesMapping().get(text.upper()))
    if level is None:
        print(f"MARKETPLACE_LOG_LEVEL={text!r} inconnu / unknown: WARNING", file=sys.stderr)
        return logging.WARNING
    return level


class WrongSeller(Exception):  # noqa: N818 - named as the contract names the case
    """A file refused as a whole before any import for the seller it was given to: exit code 3
    (architecture.md: "file rejected as a whole (... wrong seller), nothing loaded")."""


def _guarded(action: Callable[[], int], as_json: bool = False, **about) -> None:
    """Run a command; turn failures into exit code 2 or 4 with a one-line message (and, with
    --json, the error object on stdout, with `about`: what the command was working on)."""
    logging.basicConfig(level=_log_level(), stream=sys.stderr)
    for chatty in SIGNED_REQUEST_LOGGERS:  # at DEBUG they log the signed request headers
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLogger().level))
    try:
        code = action()
    except BrokenPipeError:  # `marketplace export offers | head`: quiet, as Unix tools are
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        code = CLOSED_PIPE
    except UsageError as error:
        code = _failed(USAGE_ERROR, str(error), str(error), as_json, about)
    except WrongSeller as error:
        code = _failed(FILE_REJECTED, str(error), str(error), as_json, about)
    except MarketplaceError as error:
        code = _failed(INTERNAL_FAILURE, Text.assemble(("erreur / error:", "red"), f" {error}"),
                       str(error), as_json, about)
    except ValidationError as error:  # a MARKETPLACE_* setting: which one, and why, in one line
        text = "; ".join(f"MARKETPLACE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                         for e in error.errors())
        code = _failed(INTERNAL_FAILURE, Text.assemble(
            ("configuration invalide / invalid configuration:", "red"), f" {text}"), text, as_json,
            about)
    except Exception as error:  # noqa: BLE001 - the contract: a message, not a traceback
        if os.environ.get("MARKETPLACE_DEBUG"):
            raise
        if _unreachable_database(error):
            text = f"{type(error.orig).__name__}: {_first_line(error.orig)}"
            code = _failed(INTERNAL_FAILURE, Text.assemble(
                ("base de données injoignable / database unreachable:", "red"), f" {text}"),
                f"database unreachable: {text}", as_json, about)
            raise typer.Exit(code) from None
        text = f"{type(error).__name__}: {error}"
        code = _failed(INTERNAL_FAILURE, Text.assemble(("échec interne / internal failure:", "red"),
                                                       f" {text}"), text, as_json, about)
    raise typer.Exit(code)


def _unreachable_database(error: Exception) -> bool:
    """SQLAlchemy's failure to connect (server down, no such database, bad login): said in
    one line, without the SQL and the help link SQLAlchemy adds (read without importing it:
    `validate` never loads SQLAlchemy)."""
    return (type(error).__name__ == "OperationalError"
            and type(error).__module__.startswith("sqlalchemy")
            and getattr(error, "connection_invalidated", None) is not None
            and getattr(error, "statement", "") is None)


def _first_line(error: BaseException) -> str:
    return next((line.strip() for line in str(error).splitlines() if line.strip()), "")


def _failed(code: int, shown: str | Text, text: str, as_json: bool, about: dict) -> int:
    err.print(shown)
    if as_json or _JSON_IN_ARGV:  # `--month --json`: the option took "--json" as its value
        _print_error_object(code, text, about)
    return code


def _print_json(answer: dict) -> None:
    """One JSON object on stdout, always valid UTF-8: a file name that is not (bytes of a
    Windows zip, kept by Python as lone surrogates) shows its undecodable bytes as "?"."""
    print(json.dumps(answer, ensure_ascii=False).encode("utf-8", "replace").decode("utf-8"))


def _print_error_object(code: int, text: str, about: dict) -> None:
    _print_json({"status": "error", "exit_code": code, "error": text, **about})


def _feed_or_usage(kind: str):
    if kind not in KINDS:
        raise UsageError(f"« {kind} » : ce type de fichier n'est pas encore pris en charge /"
                         f" {kind} files are not supported yet.")
    return feed_for(kind)


def _progress(enabled: bool):
    return Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                    console=err, transient=True, disable=not enabled)


def _print_result(result: IngestResult, as_json: bool, check_only: bool = False) -> None:
    """The answer for a person; a check (`validate`) loads nothing, so it counts valid rows
    and names no import, as its report does (docs/decisions.md)."""
    if as_json:
        _print_json(result.as_json())
        return
    colour = {"loaded": "green", "duplicate": "cyan", "partial": "yellow", "rejected": "red"}
    if check_only:
        counts = (f" {result.file} (check only, nothing loaded): {result.rows} rows read,"
                  f" {result.loaded} valid")
    else:
        counts = (f" import={result.import_id} {result.file}: {result.rows} rows read,"
                  f" {result.loaded} loaded")
    reply.print(Text.assemble((result.status, colour[result.status]),
                            f" {result.kind} seller={result.seller_id}{counts},"
                            f" {result.rejected} rejected, {result.warnings} warnings"))
    if result.message and result.message not in {p.message_fr for p in result.problems}:
        reply.print(f"  {result.message}")  # a file refused whole: its reason is its problem
    for problem in result.problems[:10]:
        where = f"ligne {problem.row}, " if problem.row else ""
        col = f"« {problem.column} »: " if problem.column else ""
        reply.print(f"  - {where}{col}{problem.message_fr}")
    if len(result.problems) > 10:
        reply.print(f"  ... {len(result.problems) - 10} more in the report")
    if result.errors_report:
        reply.print(f"  report: {result.errors_report}")


def _checker(feed, settings, check_only: bool, seller: int | None) -> Callable[..., IngestResult]:
    """How the file is taken: ingested; or checked alone; or, for a feed whose rules need the
    catalog, rehearsed against it (rolled back) when one exists, so that `validate` says what
    the import will say. The database modules are imported only when a database is used."""
    if check_only and not feed.validated_against_catalog:
        return FileChecker(open_storage(settings), settings).validate
    if check_only and seller is None:
        return _checked_alone(FileChecker(open_storage(settings), settings).validate,
                              "sans --seller, pas de catalogue", "without --seller, no catalog")
    from loaders.ingest import Ingestor
    from marketplace.app import existing_catalog, make_ingestor

    if not check_only:
        return make_ingestor(settings).ingest
    engine = existing_catalog(settings)
    if engine is not None:
        return Ingestor(engine, open_storage(settings), settings).rehearse
    return _checked_alone(FileChecker(open_storage(settings), settings).validate,
                          "pas de catalogue", "no catalog")


def _checked_alone(validate: Callable[..., IngestResult], why_fr: str,
                   why_en: str) -> Callable[..., IngestResult]:
    """`validate` saying that the rules needing the catalog were not run: a promotion file
    "loaded" by `validate` without --seller was then refused by the import for its prices."""
    def alone(request: IngestRequest, on_rows=None) -> IngestResult:
        result = validate(request, on_rows)
        result.message = result.message or (
            f"fichier seul vérifié : {why_fr} pour contrôler offres, prix et chevauchements /"
            f" file checked alone: {why_en} to check offers, prices and overlaps")
        return result
    return alone


def _run_file(kind: str, file: Path, seller: int | None, mode: Mode, force: bool,
              as_json: bool, check_only: bool) -> int:
    feed = _feed_or_usage(kind)
    if not file.is_file():
        what = "n'est pas un fichier / is not a file" if file.exists() else (
            "fichier introuvable / file not found")
        raise UsageError(f"{file} : {what}")
    settings = get_settings()
    check = _checker(feed, settings, check_only, seller)
    request = IngestRequest(path=file, name=readable(file.name), feed=feed, seller_id=seller,
                            mode=mode.value, force=force, source=readable(str(file.resolve())))
    with _progress(not as_json and err.is_terminal) as progress:
        task = progress.add_task(f"{kind}: {file.name}", total=None)

        def on_rows(rows: int) -> None:
            progress.update(task, description=f"{kind}: {file.name} — {rows:,} rows")

        result = check(request, on_rows)
    _print_result(result, as_json, check_only)
    return result.exit_code


def _check_inbox_seller(file: Path, kind: str, seller: int) -> None:
    """A file of a seller's inbox folder belongs to that seller (the folder is the
    authenticated upload channel, architecture.md): for another `--seller` it is refused as
    a whole (exit 3, nothing recorded: the file stays for its seller's run), or one seller's
    catalogue would be loaded into another's shop."""
    storage = get_settings().storage
    if storage.startswith("s3://"):
        return
    try:
        key = file.resolve().relative_to(Path(storage).resolve()).as_posix()
    except ValueError:  # outside the landing zone
        return
    owner = inbox_folder_seller(key)  # whatever the kind's folder, however deep
    if owner is not None and owner != seller:
        raise WrongSeller(
            f"{file} est dans le dossier du vendeur {owner} : il ne peut être ni vérifié"
            f" ni chargé pour le vendeur {seller} / {file} is in the folder of seller"
            f" {owner}: it cannot be checked or loaded for seller {seller}.")


@app.command()
def validate(
    kind: SellerKind, file: Path,
    seller: Annotated[int | None, _seller_option("The seller the file belongs to.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a file only: no database write, no orchestration."""

    def action() -> int:
        if seller is not None:  # its report would copy one seller's rows into another's outbox
            _check_inbox_seller(file, kind.value, seller)
        return _run_file(kind.value, file, seller, Mode.update, False, as_json, True)

    _guarded(action, as_json, kind=kind.value, seller_id=seller)


@app.command()
def ingest(
    kind: AnyKind, file: Path,
    seller: Annotated[int | None, _seller_option("The seller (offers, promotions).")] = None,
    mode: Annotated[Mode, typer.Option(help="update, or replace the whole catalogue.")] = Mode.update,
    force: Annotated[bool, typer.Option(help="Allow a replace that deactivates over half.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Load a file into the catalog (recorded, archived, reported)."""
    def action() -> int:
        per_seller = kind in (AnyKind.offers, AnyKind.promotions)
        if per_seller and seller is None:
            raise UsageError("--seller est obligatoire pour ce type de fichier / --seller is"
                             " required.")
        if not per_seller and (seller is not None or mode is not Mode.update or force):
            raise UsageError("--seller, --mode et --force ne s'appliquent pas à ce flux /"
                             " --seller, --mode and --force do not apply to this feed.")
        if per_seller:
            _check_inbox_seller(file, kind.value, seller)
        if force and mode is not Mode.replace:  # the guard it lifts exists in replace only
            err.print("--force n'a d'effet qu'avec --mode replace : le fichier est chargé en"
                      " mise à jour / --force only applies with --mode replace: the file is"
                      " loaded as an update.")
        return _run_file(kind.value, file, seller, mode, force, as_json, False)

    _guarded(action, as_json, kind=kind.value, seller_id=seller)


@run_app.command("inbox")
def run_inbox(as_json: JsonOption = False) -> None:
    """Process every file waiting in the inbox, oldest first."""

    from loaders.inbox import process_inbox
    from marketplace.app import make_ingestor

    def action() -> int:
        settings = get_settings()
        run = process_inbox(make_ingestor(settings))
        if not settings.storage.startswith("s3://") and not Path(settings.storage).exists():
            # a mistyped MARKETPLACE_STORAGE would otherwise read as a quiet night
            err.print(readable(
                f"le dossier de stockage {settings.storage} n'existe pas : aucun fichier en"
                f" attente (MARKETPLACE_STORAGE) / the storage folder {settings.storage} does"
                " not exist: no file waiting (MARKETPLACE_STORAGE)."))
        if as_json:
            _print_json({"files": [r.as_json() for r in run.results], "refused": run.refused,
                         "ignored": run.ignored, "taken": run.taken, "failed": run.failed,
                         "waiting": run.waiting, "processed": len(run.results)})
        else:
            for result in run.results:
                _print_result(result, False)
            # inbox keys may hold bytes that are no UTF-8 (a Windows zip's names): stdout, unlike
            # stderr, refuses them in a UTF-8 locale, so they are shown as U+FFFD
            for refused in run.refused:
                reply.print(Text.assemble(("refused", "red"),
                                          readable(f" {refused['key']}: {refused['reason']}")))
            for ignored in run.ignored:
                reply.print(readable(f"ignored (editor leftover, archived) {ignored['key']}"))
            for key in run.taken:
                reply.print(readable(f"taken by another run meanwhile {key}"))
            for failed in run.failed:
                reply.print(Text.assemble(("failed, left in the inbox", "red"),
                                          readable(f" {failed['key']}: {failed['error']}")))
            for key in run.waiting:
                reply.print(readable(f"left in the inbox behind a failed file {key}"))
            reply.print(f"{len(run.results)} file(s) processed.")
        return run.exit_code

    _guarded(action, as_json)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the catalog schema."""
    from marketplace.app import catalog_engine

    def action() -> int:
        engine = catalog_engine(get_settings())
        reply.print(f"schema up to date: {engine.url.render_as_string(hide_password=True)}")
        return 0

    _guarded(action)


@export_app.command("offers")
def export_offers_command(
    seller: Annotated[int | None, _seller_option("Only this seller's offers.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """The catalogue as CSV."""
    from marketplace.app import catalog_engine
    from marketplace.db import read_only
    from reports.offers_export import UnknownSeller, export_offers

    def action() -> int:
        if out is not None and (out.is_dir() or not out.parent.is_dir()):
            raise UsageError(f"--out doit être un fichier dans un dossier existant / --out must be"
                             f" a file in an existing folder: {out}")
        engine = read_only(catalog_engine(get_settings()))  # beside a loading file, not behind it
        try:
            if out is None:
                export_offers(engine, sys.stdout, seller)
                return 0
            tmp = out.with_name(f".{out.name}.tmp")
            try:
                handle = tmp.open("w", encoding="utf-8", newline="")
            except PermissionError:  # the folder given is not ours to write in
                raise UsageError(f"--out : dossier non accessible en écriture / folder not"
                                 f" writable: {out.parent}") from None
            try:
                with handle:
                    count = export_offers(engine, handle, seller)
                tmp.replace(out)
            finally:  # a failed export leaves no half file behind (reliability.md)
                tmp.unlink(missing_ok=True)
        except UnknownSeller as error:
            raise UsageError(str(error)) from None
        reply.print(readable(f"{count} offers written to {out}"))  # stdout is free: the answer
        return 0

    _guarded(action)


@report_app.command("quality")
def report_quality(
    day: Annotated[str | None, typer.Option("--date", help="Report date YYYY-MM-DD (default:"
                                            " yesterday, Europe/Paris).")] = None,
    as_json: JsonOption = False,
) -> None:
    """The nightly quality indicators, statuses and reports (outbox/quality/<date>/)."""
    from datetime import date

    from marketplace.app import catalog_engine
    from marketplace.calendar import default_report_date, now_utc, paris_today
    from reports.quality import run_quality_report, summary_lines
    from reports.quality_calendar import NightAhead, quality_window, refuse_night_ahead

    def action() -> int:
        settings = get_settings()
        now = now_utc()  # one clock for "yesterday" and "the future"
        try:  # a date whose six-month window the calendar cannot hold is no date either
            if day is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                raise ValueError(day)  # fromisoformat also takes 20261122: not the contract's
            report_date = (default_report_date(now, settings.timezone) if day is None
                           else date.fromisoformat(day))
            quality_window(report_date)
        except (ValueError, OverflowError):
            raise UsageError(f"Date invalide / invalid date: {day!r} (YYYY-MM-DD)") from None
        try:
            refuse_night_ahead(report_date, paris_today(now, settings.timezone))
        except NightAhead as error:
            raise UsageError(str(error)) from None
        report = run_quality_report(catalog_engine(settings), settings, report_date)
        if as_json:
            _print_json(report.as_json())
        else:
            for line in summary_lines(report.as_json()):
                reply.print(line)
        return 0

    _guarded(action, as_json)


@report_app.command("payouts")
def report_payouts(
    month: Annotated[str, typer.Option("--month", help="The month YYYY-MM.")],
    close: Annotated[bool, typer.Option("--close", help="Close the month: pay, invoice, publish.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The monthly payouts: a draft, or --close; a closed month is re-issued, never recomputed."""
    from marketplace.app import catalog_engine
    from reports.ledger_adjustments import AdjustmentFileError
    from reports.payout_calendar import BadMonth, parse_month
    from reports.payout_run import PayoutRunError, payout_summary, run_payouts

    def action() -> int:
        try:
            parse_month(month)
        except BadMonth:
            raise UsageError(f"Mois invalide / invalid month: {month!r} (YYYY-MM)") from None
        settings = get_settings()
        try:
            result = run_payouts(catalog_engine(settings), open_storage(settings), settings, month,
                                 close=close)
        except PayoutRunError as error:  # a month not over, or out of order: ask another
            raise UsageError(str(error)) from None
        except AdjustmentFileError as error:  # ops' file refused whole, nothing booked
            return _failed(FILE_REJECTED, str(error), str(error), as_json, {"month": month})
        if as_json:
            _print_json(result.as_json())
        else:
            for line in payout_summary(result):
                reply.print(line)
        return 0

    _guarded(action, as_json, month=month)


@app.command()
def demo() -> None:
    """End to end on data/samples with the embedded defaults."""
    from marketplace.demo import run_demo

    _guarded(lambda: run_demo(reply))


@app.command()
def serve() -> None:
    """Serve the scheduled deployments (Prefect)."""
    from flows.deployments import serve_all

    _guarded(serve_all)


_JSON_IN_ARGV = False
"""Whether the console script's command line holds `--json` (set by `main`)."""


def main() -> None:
    """The console script. With `--json`, what typer itself refuses (an option's bad value, a
    missing argument, an unknown option) answers like every other usage error: exit code 2,
    the message on stderr and one error object on stdout, so that a script always gets one."""
    if "--json" not in sys.argv[1:]:
        app()
        return
    global _JSON_IN_ARGV
    _JSON_IN_ARGV = True  # even where an option swallowed it as its value: one object anyway
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        err.print("Aborted!")
        code = 1
    except typer.TyperException as error:  # typer's own click exceptions: usage errors are 2
        error.show()
        code = getattr(error, "exit_code", USAGE_ERROR)
        if code == USAGE_ERROR:
            _print_error_object(code, error.format_message(), {})
    sys.exit(code if isinstance(code, int) else 0)
