"""The ingest pipeline every feed goes through: record, read, validate, load, report, archive.

One function, `ingest_file`, serves the command line, the inbox run and the Prefect flows.
The database enforces the guarantees (reliability.md): the import is recorded before the work
starts; the file's valid rows, its problems and its "applied" mark are written in one
transaction, so a crash leaves nothing half done and the same content is never applied twice.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Iterator
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, exists, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loaders.checking import FileChecker, FileRun, IngestRequest, IngestResult, file_digest
from marketplace.config import Settings
from marketplace.db import in_transaction
from marketplace.errors import FileRejected, Problem, Reason, Severity
from marketplace.layout import UnsafeName, export_date_of, refused_key, safe_file_name
from marketplace.models import AppliedFile, Import, ImportProblem, utcnow
from marketplace.storage import Storage, StoredObject

log = logging.getLogger(__name__)


def _once_mode(request: IngestRequest) -> str:
    """The mode a content is applied once in: a seller file's `replace`, else `update`."""
    return "replace" if request.feed.seller_scoped and request.mode == "replace" else "update"


_RUNNING: set[int] = set()
"""The imports this process is running (threads of a flow's task runner, of a test)."""
_RUNNING_LOCK = threading.Lock()


def _content_key(request: IngestRequest, sha: str) -> str:
    """What a file says, that is applied once: its content, and for an order export the day its
    name gives (the 20th's rows sent again as the 22nd's export are the state of the 22nd: taken
    for a duplicate, a refund corrected on the 21st stayed corrected)."""
    day = export_date_of(request.name) if request.feed.export_dated_by_name else None
    return sha if day is None else hashlib.sha256(f"{sha}@{day.isoformat()}".encode()).hexdigest()


def _applying_import(request: IngestRequest, sha: str):
    """The import that applied this content for this seller and kind (a query): in replace
    mode, a replace of it only (the seller's file dropped first, then made their whole
    catalogue by ops, must withdraw what it leaves out); in update mode, any (an old file
    re-dropped after ops' replace of it must not undo newer ones)."""
    query = select(AppliedFile.import_id).where(
        AppliedFile.kind == request.feed.kind, AppliedFile.seller_scope == (request.seller_id or 0),
        AppliedFile.sha256 == _content_key(request, sha))
    return query.where(AppliedFile.mode == "replace") if _once_mode(request) == "replace" else query


class AppliedMeanwhile(Exception):  # noqa: N818 - a signal, not an error: answered "duplicate"
    """Another run applied this content while this one waited to load it."""
T = TypeVar("T")


def read_ahead(chunks: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Produce the next chunks in a worker thread while the caller writes the current one.

    Reading and validating (Arrow kernels) and writing (the database server) both release
    the GIL, so on two cores they overlap. Exceptions reach the caller at the same place.
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                slots.put((chunk, None))
            slots.put((done, None))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, re-raised there
            slots.put((done, error))

    worker = threading.Thread(target=produce, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                slots.get(timeout=0.1)
            except queue.Empty:
                continue
        worker.join()


class Ingestor(FileChecker):
    """Ingests files into one catalog and one storage, with the settings' limits."""

    def __init__(self, engine: Engine | None, storage: Storage, settings: Settings,
                 now: datetime | None = None):
        super().__init__(storage, settings, now)
        self.engine = engine

    def ingest(self, request: IngestRequest, on_rows=None) -> IngestResult:
        """Apply one file to the catalog, once, all or nothing."""
        sha, size = file_digest(request.path)
        import_id = self.record_import(request, sha, size)
        with _RUNNING_LOCK:
            _RUNNING.add(import_id)
        try:
            return self._ingest(request, on_rows, sha, import_id)
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(import_id)

    def _ingest(self, request: IngestRequest, on_rows, sha: str, import_id: int) -> IngestResult:
        self.start_archive(request, import_id)
        scope = request.seller_id or 0
        earlier = self.already_applied(request, sha)
        if earlier is not None:
            # the earlier import completed before this file leaves the inbox: killed while
            # completing it, the next run meets the file again and completes it then
            completed = (self.complete_cut_short(request, earlier, sha)
                         if self.cut_short(earlier) else None)
            # an inbox file whose import is not archived yet is the delivery that import was
            # archiving: it goes under that import's name (an S3 move whose delete failed had
            # copied it there already, and the next run may fail at the delete again)
            owner = earlier if request.inbox_key is not None and not self.archived(earlier) else None
            result = self.close_duplicate(request, import_id, sha, owner)
            if result.archive is not None and (completed is not None or owner is not None):
                self.record_archive(earlier, result.archive)
            if completed is None:
                return result
            # the file's answer is what the import that applied it did: the retry of a run
            # that failed after its commit said "duplicate", exit 0, and no report
            completed.archive = result.archive
            return completed
        run = FileRun(request, self.context(request, import_id), self.limits)
        try:
            loaded, status = in_transaction(
                self.engine, lambda session: self.load(session, run, scope, sha, import_id, on_rows),
                retries=self.settings.db_retries)
        except FileRejected as rejection:
            run.rejected_by(rejection)
            result = self.finish(run, "rejected", import_id, sha, loaded=0,
                                 message=rejection.problem.message_fr)
            self.close_import(import_id, result, store_problems=True)
            return result
        except (IntegrityError, AppliedMeanwhile):
            # only the content key says a concurrent run applied it: another constraint
            # failing (a database fault) answered "duplicate", exit 0, and archived the file
            if self.already_applied(request, sha) is None:
                raise
            log.info("file %s applied by a concurrent run: duplicate", request.name)
            return self.close_duplicate(request, import_id, sha)
        try:
            result = self.finish(run, status, import_id, sha, loaded=loaded)
        except Exception:
            self.note_unpublished(import_id, status)
            raise
        self.close_import(import_id, result, store_problems=False)
        return result

    def cut_short(self, import_id: int) -> bool:
        """Whether the import that applied a content stopped after its commit, before its report
        and its closing: killed there (still `processing`), or its report or archive failed on
        the storage (`note_unpublished`). Either way it was never closed: no `processed_at`.
        Not one this process is still running: committed, it is writing its report (a thread
        racing it on the same file wrote that report too and answered "loaded", not
        "duplicate")."""
        with _RUNNING_LOCK:
            if import_id in _RUNNING:
                return False
        return in_transaction(self.engine, lambda session: session.get(Import, import_id).processed_at
                              ) is None

    def complete_cut_short(self, request: IngestRequest, import_id: int, sha: str) -> IngestResult:
        """Finish the work of an import cut short after its commit (reliability.md: the next run
        completes it): its rows are in the catalog and its problems stored, in one transaction;
        its report is rebuilt from the file (the same content: read and checked again, nothing
        applied) and those problems, and the import closed (the archive of this run's file is
        recorded once it is moved, `record_archive`)."""
        run = FileRun(request, self.context(request, import_id), self.limits)
        for _valid in run.chunks():
            pass
        run.problems[:] = self.stored_problems(import_id)  # the note of those not detailed too
        # the rows the read found (past the problems detailed too), and those the apply did
        run.rejected_rows |= {p.row for p in run.problems
                              if p.severity is Severity.ERROR and p.row is not None}
        loaded = in_transaction(self.engine, lambda session: session.get(Import, import_id).rows_loaded)
        result = self.reported(run, "partial" if run.rejected_rows else "loaded", import_id, sha,
                               loaded=loaded,
                               message="interrompu après le chargement ; rapport écrit par la"
                                       " reprise / cut short after the load; report written by"
                                       " the next run")
        self.close_import(import_id, result, store_problems=False)
        log.warning("import %s had stopped after its commit: its report was written now", import_id)
        return result

    def archived(self, import_id: int) -> bool:
        return in_transaction(self.engine, lambda session: session.get(Import, import_id).archive
                              ) is not None

    def record_archive(self, import_id: int, archive: str) -> None:
        in_transaction(self.engine, lambda session: session.execute(
            update(Import).where(Import.id == import_id).values(archive=archive)))

    def stored_problems(self, import_id: int) -> list[Problem]:
        def work(session: Session) -> list[Problem]:
            rows = session.scalars(select(ImportProblem).where(ImportProblem.import_id == import_id)
                                   .order_by(ImportProblem.id)).all()
            return [Problem(Reason(p.code), p.message_fr, p.message_en, row=p.row, column=p.column,
                            value=p.value, severity=Severity(p.severity)) for p in rows]
        return in_transaction(self.engine, work)

    def note_unpublished(self, import_id: int, status: str) -> None:
        """The rows are committed but the report or the archive failed (storage): the import says
        so instead of staying `processing`, and stays unclosed (no `processed_at`): the retry
        finds the content applied, archives the file and writes the report (`cut_short`)."""
        message = ("chargé, mais le rapport ou l'archivage a échoué (réessayé) / loaded, but the"
                   " report or the archive failed (retried)")
        in_transaction(self.engine, lambda session: session.execute(
            update(Import).where(Import.id == import_id).values(status=status, message=message)))

    def load(self, session: Session, run: FileRun, scope: int, sha: str, import_id: int,
             on_rows=None):
        self.claim_content(session, run.request, sha)
        loaded = self.apply_file(session, run, on_rows)
        # a file that changed nothing (every row refused, e.g. for an offer not created yet) is
        # not applied: sent again once the catalogue is fixed, it loads; a replace may have
        # deactivated absent offers even so
        if loaded or run.ctx.mode == "replace":
            session.execute(insert(AppliedFile).values(
                kind=run.request.feed.kind, seller_scope=scope, sha256=_content_key(run.request, sha),
                mode=_once_mode(run.request), import_id=import_id))
        # with the rows: a run that completes this import after a crash cannot count them again
        # (an order export's rows an older export left out are neither loaded nor rejected)
        session.execute(update(Import).where(Import.id == import_id).values(rows_loaded=loaded))
        self.store_problems(session, import_id, run.problems)
        return loaded, "partial" if run.rejected_rows else "loaded"

    @staticmethod
    def claim_content(session: Session, request: IngestRequest, sha: str) -> None:
        """In the file's transaction: two runs of one content queue here (PostgreSQL: an
        advisory lock on it; SQLite: the write lock), and the second finds it applied. Two
        order exports racing both answered "loaded" on PostgreSQL, the second with a false
        "older export" warning, and two imports recorded for one content."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:content))"), {
                "content": f"{request.feed.kind}:{request.seller_id or 0}:{_content_key(request, sha)}"})
        if session.execute(_applying_import(request, sha)).first() is not None:
            raise AppliedMeanwhile

    def apply_file(self, session: Session, run: FileRun, on_rows=None) -> int:
        """Read, validate, stage and apply the file in the open transaction; the rows loaded."""
        feed = run.request.feed
        run.reset()
        for valid in read_ahead(feed.prepare(chunk, run.ctx) for chunk in run.chunks(on_rows)):
            feed.stage(session, valid, run.ctx)
        applied = feed.apply(session, run.ctx)
        run.add_problems(applied.problems)
        run.rejected_rows.update(applied.rejected_rows)
        run.note_not_detailed()  # the apply's problems past the detailed ones too
        return applied.loaded

    def rehearse(self, request: IngestRequest, on_rows=None) -> IngestResult:
        """What `ingest` would answer, in a transaction that is rolled back: no import recorded,
        nothing archived, nothing changed. `validate` of a feed whose rules need the catalog (a
        promotion's offer must exist, its price be below the offer's) so says what the import
        will say, instead of passing rows the import then rejects."""
        sha, _size = file_digest(request.path)
        run = FileRun(request, self.context(request, None), self.limits)
        try:
            with Session(self.engine) as session:
                try:
                    loaded = self.apply_file(session, run, on_rows)
                finally:
                    session.rollback()
        except FileRejected as rejection:
            run.rejected_by(rejection)
            return self.finish(run, "rejected", None, sha, loaded=0,
                               message=rejection.problem.message_fr)
        return self.finish(run, "partial" if run.rejected_rows else "loaded", None, sha,
                           loaded=loaded)

    # -- the import record ------------------------------------------------------------------

    def record_import(self, request: IngestRequest, sha: str, size: int) -> int:
        def work(session: Session) -> int:
            row = Import(kind=request.feed.kind, seller_id=request.seller_id,
                         file_name=safe_file_name(request.name),
                         source=request.source or str(request.path), sha256=sha,
                         size_bytes=size, mode=request.mode if request.feed.seller_scoped else None)
            session.add(row)
            session.flush()
            return row.id
        return in_transaction(self.engine, work)

    def refuse(self, listed: StoredObject, reason: str) -> dict:
        """An inbox object whose name is off the layout or unsafe: never opened, recorded in
        `imports` as rejected, and moved out of the inbox to `archive/refused/` (under a safe
        name) so that the next run does not meet it again. An S3 key with an empty or `..`
        segment cannot be moved: it stays, recorded once, listed by every run until ops remove
        it."""
        key, size = listed.key, listed.size
        name = safe_file_name(key.rsplit("/", 1)[-1])
        source = repr(key)  # control characters made visible; the key itself is never a path

        def record(session: Session) -> int:
            earlier = session.scalar(select(Import.id).where(
                Import.kind == "unknown", Import.source == source, Import.size_bytes == size,
                Import.archive.is_(None)))
            if earlier is not None:
                return earlier
            row = Import(kind="unknown", file_name=name, source=source, sha256="",
                         size_bytes=size, status="rejected", processed_at=utcnow(),
                         message=reason[:1000])
            session.add(row)
            session.flush()
            return row.id
        import_id = in_transaction(self.engine, record)
        try:
            day = datetime.now(ZoneInfo(self.settings.timezone)).date()
            archive = self.storage.move_listed(listed, refused_key(day, import_id, name))
        except UnsafeName:
            archive = None
        if archive is not None:
            self.record_archive(import_id, archive)
        return {"key": key, "reason": reason, "import_id": import_id, "archive": archive}

    def already_applied(self, request: IngestRequest, sha: str) -> int | None:
        """The import that applied this content for this seller and kind, if any."""
        def work(session: Session) -> int | None:
            return session.execute(_applying_import(request, sha)).scalar()
        return in_transaction(self.engine, work)

    def close_duplicate(self, request: IngestRequest, import_id: int, sha: str,
                        archive_owner: int | None = None) -> IngestResult:
        """Nothing applied; the answer says which import did, and how to send a correction
        (the content hash is the file's whole content: a re-sent file changes nothing). The
        file is archived under `archive_owner`'s name when given, else under this import's."""
        earlier = self.already_applied(request, sha)
        result = IngestResult(
            "duplicate", request.feed.kind, request.seller_id, import_id, sha,
            message=f"contenu déjà importé (import {earlier}) : rien n'a été modifié. Pour"
                    " corriger des lignes refusées, envoyez le fichier des lignes refusées de cet"
                    f" import, corrigé / content already imported (import {earlier}): nothing"
                    " changed. To fix rejected rows, send that import's rejected-rows file,"
                    " corrected.", file=request.answered_file)
        try:
            result.archive = self.archive(request, import_id, archive_owner)
        except Exception:
            # nothing was to be applied: the attempt is closed, not left `processing` for ops'
            # query of stuck files (a file given by path is never met again by a run)
            result.message += (" Fichier non archivé : le stockage a échoué / file not archived:"
                               " the storage failed.")
            self.close_import(import_id, result, store_problems=False)
            raise
        self.close_import(import_id, result, store_problems=False)
        return result

    def received_day(self, import_id: int) -> date:
        """The Paris day of the import's `received_at`: its archive folder, the same for every
        attempt at archiving it (a load that runs past midnight, a later run completing it)."""
        received = in_transaction(self.engine, lambda session: session.get(Import, import_id).received_at)
        return received.astimezone(ZoneInfo(self.settings.timezone)).date()

    def store_problems(self, session: Session, import_id: int, problems: list[Problem]) -> None:
        """The problems as the report says them; a header longer than the column (a seller's
        300 characters) is stored cut, where PostgreSQL refused the whole file."""
        longest = ImportProblem.__table__.c.column.type.length
        if problems:
            session.execute(insert(ImportProblem), [
                {"import_id": import_id, "row": p.row,
                 "column": None if p.column is None else p.column[:longest],
                 "value": None if p.value is None else p.value[:10_000], "code": str(p.code),
                 "severity": str(p.severity), "message_fr": p.message_fr,
                 "message_en": p.message_en} for p in problems])

    def close_import(self, import_id: int, result: IngestResult, *, store_problems: bool) -> None:
        """Record the outcome; earlier attempts at the same content that applied nothing and
        were never closed (killed mid-file, still `processing`; or cut short by storage after a
        load of no row, so no run completes them) are closed as `interrupted` with it: ops'
        query for stuck files then finds only the files no run has dealt with since."""
        def work(session: Session) -> None:
            session.execute(update(Import).where(Import.id == import_id).values(
                status=result.status, processed_at=utcnow(), rows_read=result.rows,
                rows_loaded=result.loaded, rows_rejected=result.rejected,
                warnings=result.warnings, errors_report=result.errors_report,
                archive=result.archive, message=result.message))
            session.execute(update(Import).where(
                Import.id < import_id, Import.processed_at.is_(None), Import.kind == result.kind,
                # one that applied rows is completed by a run of its content, never interrupted
                ~exists().where(AppliedFile.import_id == Import.id),
                Import.sha256 == result.sha256, Import.seller_id.is_(None) if result.seller_id is None
                else Import.seller_id == result.seller_id,
            ).values(status="interrupted", processed_at=utcnow(),
                     message=f"interrompu ; fichier traité par l'import {import_id} / interrupted;"
                             f" file dealt with by import {import_id}"))
            if store_problems:
                self.store_problems(session, import_id, result.problems)
        in_transaction(self.engine, work)

    # -- outputs ----------------------------------------------------------------------------
