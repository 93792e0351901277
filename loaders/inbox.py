"""Processing what waits in the inbox: every file ingested once, then archived by a move.

The seller of a file is the folder it was dropped in (the authenticated upload channel).
Registry files go first, so that a new seller's first offers and orders find it, then offer
files, then promotion files (a promotion needs its offer), then order exports (an order finds
the offer sent in the same run); within a kind, files go by arrival (oldest first), which keeps
one seller's files in the order they were sent.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from loaders.feeds import KINDS, feed_for
from loaders.ingest import Ingestor, IngestRequest, IngestResult
from marketplace.errors import INTERNAL_FAILURE
from marketplace.layout import UnsafeName, parse_inbox_key
from marketplace.storage import StoredObject

log = logging.getLogger(__name__)
# Orders after the catalogue: an order of an offer that arrives in the same run knows its sku.
KIND_ORDER = {"sellers": 0, "offers": 1, "promotions": 2, "orders": 3}
EDITOR_LEFTOVER = re.compile(
    r"~\$.*|\.~lock\..*#|\._.*|thumbs\.db|desktop\.ini|\.ds_store", re.IGNORECASE)
"""What Excel (`~$Offres.xlsx`, the owner file of an open workbook), LibreOffice (lock files),
Windows and macOS leave next to the files a seller drags in: no seller file."""
UPLOADING = re.compile(r".*\.(part|partial|crdownload|filepart|download|tmp)", re.IGNORECASE)
"""A file a browser or an SFTP client is still writing, renamed when complete: left in place
for the run after (read half-way, it loaded part of its rows and was archived mid-upload)."""


@dataclass
class InboxItemPlan:
    """One inbox file and the request that will ingest it."""

    stored: StoredObject
    kind: str
    seller_id: int | None
    name: str


@dataclass
class InboxRun:
    """What one inbox run did: one result per file, and the files it could not take."""

    results: list[IngestResult] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)  # gone before read: another run took them
    ignored: list[dict] = field(default_factory=list)  # editor leftovers, archived, no error
    failed: list[dict] = field(default_factory=list)  # an internal failure: left in the inbox
    waiting: list[str] = field(default_factory=list)  # after a failed file of theirs: left too

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.results] + [3 for _ in self.refused]
        return max(codes + [INTERNAL_FAILURE for _ in self.failed], default=0)


def plan_inbox(ingestor: Ingestor, run: InboxRun) -> list[InboxItemPlan]:
    """The inbox files this pipeline can ingest now, in processing order."""
    plans = []
    for stored in ingestor.storage.list("inbox/"):
        if EDITOR_LEFTOVER.fullmatch(stored.key.rsplit("/", 1)[-1]):
            log.info("inbox: editor leftover archived, not read: %s", stored.key)
            _refuse(ingestor, run, stored, run.ignored, "fichier temporaire d'un éditeur (Excel,"
                    " LibreOffice, Windows, macOS), pas un fichier du vendeur / an editor's temporary file")
            continue
        if UPLOADING.fullmatch(stored.key.rsplit("/", 1)[-1]):
            log.info("inbox: still uploading, left for the next run: %s", stored.key)
            continue
        try:
            item = parse_inbox_key(stored.key)
        except UnsafeName as error:
            log.warning("inbox file refused: %s", error)
            _refuse(ingestor, run, stored, run.refused, str(error))
            continue
        if item.kind not in KINDS:
            log.info("inbox: %s files are not processed yet, left in place: %s", item.kind, stored.key)
            continue
        plans.append(InboxItemPlan(stored, item.kind, item.seller_id, item.name))
    plans.sort(key=lambda p: (KIND_ORDER.get(p.kind, len(KIND_ORDER)), p.stored.modified, p.stored.key))
    return plans


def _refuse(ingestor: Ingestor, run: InboxRun, stored, into: list, reason: str) -> None:
    """Archive a file that is not read, into `into`; a failure to (a folder where the archive's
    is, another run that moved it first) is that file's alone: it stopped the whole run, exit 4,
    every other seller's file left in the inbox."""
    try:
        into.append(ingestor.refuse(stored, reason))
    except Exception as error:  # noqa: BLE001 - one file must not hold the other sellers' files
        if isinstance(error, FileNotFoundError) and not ingestor.storage.exists(stored.key):
            run.taken.append(stored.key)
            return
        log.error("inbox file could not be archived, left for the next run: %s: %s", stored.key, error)
        run.failed.append({"key": stored.key, "error": f"{type(error).__name__}: {error}"})


def ingest_inbox_item(ingestor: Ingestor, plan: InboxItemPlan) -> IngestResult:
    """Download one inbox file, ingest it, archive it (the inbox object is moved)."""
    with tempfile.TemporaryDirectory() as tmp:
        local = ingestor.storage.download(plan.stored.key, Path(tmp) / "input")
        request = IngestRequest(path=local, name=plan.name, feed=feed_for(plan.kind),
                                seller_id=plan.seller_id, source=ingestor.storage.location(plan.stored.key),
                                inbox_key=plan.stored.key)
        return ingestor.ingest(request)


def process_inbox(ingestor: Ingestor) -> InboxRun:
    """Ingest everything waiting in the inbox, oldest first (sellers' registry first).

    A file that fails (storage, database, a bug: not a rejection, which is an answer) stays in
    the inbox for the next run, and so do the later files that depend on it: its seller's (they
    must not overtake it), every file after a registry file (a new seller's offers need it), the
    later order exports after an export. The other sellers' files go on, as in the flow.
    """
    run = InboxRun()
    stopped: set[str] = set()
    for plan in plan_inbox(ingestor, run):
        chain = _chain(plan)
        if chain in stopped or "sellers" in stopped:
            run.waiting.append(plan.stored.key)
            continue
        try:
            run.results.append(ingest_inbox_item(ingestor, plan))
        except Exception as error:  # noqa: BLE001 - one file must not hold the other sellers' files
            if isinstance(error, FileNotFoundError) and not ingestor.storage.exists(plan.stored.key):
                log.info("inbox file taken by another run before it was read: %s", plan.stored.key)
                run.taken.append(plan.stored.key)
                continue
            log.error("inbox file failed, left for the next run: %s: %s", plan.stored.key, error)
            run.failed.append({"key": plan.stored.key, "error": f"{type(error).__name__}: {error}"})
            stopped.add(chain)
    return run


def _chain(plan: InboxItemPlan) -> str:
    """The files that wait behind this one when it fails: its seller's, or its kind's."""
    return f"seller-{plan.seller_id}" if plan.seller_id is not None else plan.kind
