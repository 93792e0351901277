"""Checking a seller's file without a database: read, validate, report, archive.

`marketplace validate` answers a seller's script in about a second, so this part of the
pipeline imports neither SQLAlchemy nor the models: `loaders.ingest.Ingestor` extends it with
the import record, the load transaction and the once-only guarantee.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import re
import tempfile
from bisect import bisect_left
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from operator import attrgetter
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa

from loaders.headers import normalize_header
from loaders.reader import open_table
from loaders.split_headers import refuse_split_header
from loaders.table import Chunk, ReadInfo, ReadLimits
from marketplace import calendar
from marketplace.config import Settings
from marketplace.errors import FileRejected, Problem, Reason, Severity, reject_file
from marketplace.layout import archive_key, import_report_key, readable, safe_file_name, safe_key
from marketplace.storage import Storage
from reports.import_report import ReportInput, write_import_report
from schemas.columns import known_header_names, map_headers
from schemas.feed import Feed, FeedContext
from schemas.left_out_columns import checked_alone_note
from schemas.seller_file_columns import AMOUNT_FIELDS

log = logging.getLogger(__name__)
REPORT_ALL_ROWS_UP_TO = 50_000
"""Files up to this many rows get every row in the XLSX report; larger ones only flagged rows."""
MAX_DETAILED = 100_000
"""Problems a file's answer details; past them, rows are still rejected and counted (the
rejected-rows file holds them all). A 4 MB file of 300,000 rows holding only a reference made
900,000 problems: 2.2 GB and two minutes for a report no one reads to its end; a file of more
problems than this has one mistake repeated, found in its first ones."""


@dataclass
class IngestResult:
    """What happened to one file: the `--json` answer of the command line."""

    status: str  # loaded, partial, rejected, duplicate
    kind: str
    seller_id: int | None
    import_id: int | None
    sha256: str
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    warnings: int = 0
    errors_report: str | None = None
    archive: str | None = None
    message: str | None = None
    detected: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    file: str | None = None  # the file answered: its inbox key, or the path it was given by
    not_detailed: int = 0  # problems past MAX_DETAILED, counted only

    @property
    def exit_code(self) -> int:
        return {"loaded": 0, "duplicate": 0, "partial": 1, "rejected": 3}[self.status]

    def as_json(self) -> dict:
        return {
            "status": self.status, "kind": self.kind, "seller_id": self.seller_id,
            "file": self.file, "import_id": self.import_id, "sha256": self.sha256, "rows": self.rows,
            "loaded": self.loaded, "rejected": self.rejected, "warnings": self.warnings,
            "errors_report": self.errors_report, "archive": self.archive,
            "message": self.message, "detected": self.detected,
            "problems": [_problem_json(p) for p in self.problems[:100]],
            "problems_total": sum(p.code != Reason.NOT_DETAILED for p in self.problems)
                              + self.not_detailed,
        }


def _problem_json(problem: Problem) -> dict:
    return {"row": problem.row, "column": problem.column, "value": problem.value,
            "code": str(problem.code), "severity": str(problem.severity),
            "message_fr": problem.message_fr, "message_en": problem.message_en}


@dataclass
class IngestRequest:
    """One file to ingest: where it is now, what it is, whose it is, how to apply it."""

    path: Path
    name: str
    feed: Feed
    seller_id: int | None = None
    mode: str = "update"
    force: bool = False
    source: str | None = None  # where it came from (inbox key or the local path)
    inbox_key: str | None = None  # set when the file waits in the storage's inbox: archived by a move

    @property
    def answered_file(self) -> str:
        """How an answer names this file: the inbox key (as the run's `refused` entries do), else
        the path given."""
        return self.inbox_key or self.source or str(self.path)


def file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


UNKEYED_ROWS = frozenset({Reason.UNBALANCED_QUOTE, Reason.FIELD_TOO_LONG, Reason.ROWS_NOT_READ})
"""Rows the reader refuses, or leaves unread (an XLSX's rows past 10,000 empty ones), without a
sku to show for them: replace mode then deactivates nothing as absent
(`loaders.staging.unreadable_rows_stop_replace`)."""


def unkeyed_rows(problems: list[Problem], sku_header: str | None) -> int:
    """Rows whose offer cannot be told: refused by the reader, or sent with an empty or
    unusable sku cell (a row with a title and a price but no sku is some offer of the shop, not
    none; so is one whose reference Excel turned into a date or cut to 15 digits, or that a
    typo made invalid: in replace mode the offer it stood for was deactivated as absent)."""
    return len({p.row for p in problems if p.code in UNKEYED_ROWS or (
        sku_header is not None and p.column == sku_header and p.severity is Severity.ERROR
        and p.code not in KEYED_SKU_ERRORS)})


KEYED_SKU_ERRORS = frozenset({Reason.DUPLICATE_KEY, Reason.OTHER_SELLER, Reason.UNKNOWN_SKU})
"""Errors on a sku that still says which offer the row is about."""


def over_read_columns(problem: Problem, read_columns: list[int]) -> bool:
    """False for a merged range that leaves no read cell empty (only its first cell holds the
    value): one over ignored columns only (a "Famille" label merged down its rows), or whose
    only read column is its first along one row: every file holding one got a warning to
    unmerge cells no rule reads."""
    if problem.code is not Reason.MERGED_CELLS:
        return True
    from openpyxl.utils.cell import range_boundaries  # a workbook's problem: openpyxl is loaded

    first, top, last, bottom = range_boundaries(problem.value)
    return any(first <= at + 1 <= last and (bottom > top or at + 1 > first) for at in read_columns)


def keys_of_refused_rows(problems: list[Problem], position: int, width: int,
                         delimiter: str | None) -> set[str]:
    """The cells that may hold the sku of each row the reader refused for its number of fields,
    so that a replace-mode file keeps those offers as they were, like any rejected row's
    (offers.md: "never deactivated because of a typo").

    The row is split as sent (its first 200 characters: the problem's value, which the report
    splits the same way). A stray delimiter before the sku column shifts the sku to the right
    by one cell per extra field, so the sku column's cell and one more per extra field are
    kept: whichever holds the sku, its offer stays untouched.
    """
    keys: set[str] = set()
    for problem in problems:
        if problem.code is not Reason.FIELD_COUNT or not problem.value or not delimiter:
            continue
        cells = next(csv.reader(io.StringIO(problem.value), delimiter=delimiter), [])
        extra = max(len(cells) - width, 0)
        keys.update(cell.strip() for cell in cells[position:position + extra + 1])
    keys.discard("")
    return keys


_TOTAL_WORDS = frozenset({"total", "totaux", "totals", "sous_total", "total_general",
                          "grand_total", "total_ttc", "total_ht"})  # as normalize_header writes them
_TOTAL_HINT = r"(?i)tota"
_NUMBER_LIKE = re.compile(r"[\d\s.,€%+\-\u00a0\u202f]*")


def _is_totals_row(cells: pd.Series) -> bool:
    """A row holding a totals word and, besides it, only numbers."""
    filled = [cell.strip() for cell in cells if cell.strip()]
    words = [cell for cell in filled if normalize_header(cell) in _TOTAL_WORDS]
    numbers = [cell for cell in filled if cell not in words]
    return (len(words) == 1 and all(_NUMBER_LIKE.fullmatch(cell) for cell in numbers)
            and not any(_IDENTIFIER.search(cell) for cell in numbers))  # an EAN: an offer's row


_IDENTIFIER = re.compile(r"\d{8,}")


def without_unread_only_rows(frame: pd.DataFrame, read_columns: list[int]) -> pd.DataFrame:
    """`frame` less the rows with nothing in any column a field reads: the unused rows of a
    template whose helper column (`Prix HT = E4/1,2`, a margin) shows 0 all the way down. The
    seller sees empty lines; rejected, they failed the file and stopped a replace."""
    read_columns = [position for position in read_columns if position in frame.columns]
    if not read_columns or frame.empty:
        return frame
    blank = frame[read_columns[0]] == ""  # the sku first: filled on nearly every row, one pass
    for position in read_columns:
        if not blank.any():
            return frame
        blank[blank] = frame.loc[blank, position].str.strip() == ""
    return frame[~blank]


def _only_unread_values(header_row: int | None) -> FileRejected:
    """A file whose rows hold values only in columns no field reads is a header-only file, as
    the reader refuses one: loaded as "0 rows", a replace --force emptied the shop."""
    return reject_file(
        Reason.NO_ROWS,
        f"Le fichier ne contient aucune ligne de données sous la ligne d'en-tête (ligne"
        f" {header_row}) : ses lignes n'ont de valeurs que dans des colonnes qui ne sont pas lues.",
        f"The file holds no data row below its header row (row {header_row}): its rows have"
        " values only in columns that are not read.")


def refused_rows(chunk: Chunk) -> int:
    """How many rows the reader refused in `chunk`: rows its problems name that it did not
    return (a warning on a cell it returned, such as an uncalculated formula, names a row too)."""
    named = {p.row for p in chunk.problems if p.row is not None}
    return len(named.difference(chunk.frame.index)) if named else 0


class FileRun:
    """Reading and validating one file chunk by chunk, keeping what the report needs."""

    def __init__(self, request: IngestRequest, ctx: FeedContext, limits: ReadLimits):
        self.request = request
        self.ctx = ctx
        self.limits = limits
        self.info: ReadInfo | None = None
        self.headers: list[str] = []
        self.problems: list[Problem] = []
        self.rejected_rows: set[int] = set()
        self.not_detailed: dict[Severity, int] = {Severity.ERROR: 0, Severity.WARNING: 0}
        self.cut_at: int | None = None  # the first row whose problems are counted, not detailed
        self.other_seller_rows: set[int] = set()
        self.other_seller_example: Problem | None = None
        self.rows = 0
        self.kept: list[pd.DataFrame] = []
        self.all_rows = True
        self.masks: dict[int, Callable[[str], str]] = {}
        self.amount_columns: frozenset[int] = frozenset()

    def reset(self) -> None:
        """Forget a previous attempt: a retried transaction reads the file again."""
        self.ctx.state.clear()
        self.problems.clear()
        self.rejected_rows.clear()
        self.not_detailed = dict.fromkeys(self.not_detailed, 0)
        self.cut_at = None
        self.other_seller_rows.clear()
        self.other_seller_example = None
        self.rows = 0
        self.kept = []
        self.all_rows = True

    def chunks(self, on_rows: Callable[[int], None] | None = None):
        """Yield the valid typed rows of each chunk; collects problems on the way."""
        feed = self.request.feed
        with self.open() as table:
            self.info = table.info
            self.ctx.state["format"] = table.info.format  # the rules of what Excel does to a cell
            if (text_mask := feed.report_text_mask) is not None:  # an IBAN typed as a header
                table.info.headers = [text_mask(header) for header in table.info.headers]
            self.headers = list(table.info.headers)
            header_map = map_headers(self.headers, feed.columns)
            self.masks = {header_map.positions[name]: mask for name, mask
                          in feed.report_masks.items() if name in header_map.positions}
            self.amount_columns = frozenset(position for name, position in header_map.positions.items()
                                            if name in AMOUNT_FIELDS)
            self.add_problems(header_map.unknown_columns_warnings(feed.other_feed_columns))
            unnamed = [i for i, header in enumerate(self.headers) if not header.strip()]
            sku_position = header_map.positions.get("sku")
            read_columns = sorted(set(header_map.positions.values()), key=lambda at: at != sku_position)
            dropped = 0
            for chunk in self.read(table):
                if not self.rows:
                    refuse_split_header(chunk.frame, header_map, feed.columns, unnamed,
                                        table.info.header_row)
                unnamed = self.warn_unnamed_with_values(chunk.frame, unnamed)
                frame = without_unread_only_rows(chunk.frame, read_columns)
                frame = self.without_totals_rows(frame, sku_position)
                dropped += len(chunk.frame) - len(frame)
                self.rows += len(frame) + refused_rows(chunk)
                self.note_refused_rows(chunk.problems, sku_position, table.info.delimiter)
                validated = feed.validate(frame, header_map, self.ctx)
                self.ctx.state["unkeyed_rows"] += unkeyed_rows(
                    validated.problems, None if sku_position is None else self.headers[sku_position])
                chunk_problems = [problem for problem in chunk.problems
                                  if over_read_columns(problem, read_columns)] + validated.problems
                self.add_problems(chunk_problems)
                self.keep_for_report(frame, chunk_problems)
                if on_rows:
                    on_rows(self.rows)
                yield validated.valid
                # Arrow's allocator (mimalloc) keeps freed pages for reuse: without this a
                # 3M-row file peaked 60-90 MB above a 1M-row one (577-606 MB against 517);
                # with it, 526 against 474-486 MB. Every fourth chunk was not enough (596 MB).
                pa.default_memory_pool().release_unused()
            if dropped and not self.rows and not feed.header_only_is_empty_load:
                raise _only_unread_values(table.info.header_row)
            self.refuse_if_all_for_another_seller()
            self.note_not_detailed()  # with the others: stored with the import, in its report

    def refuse_if_all_for_another_seller(self) -> None:
        """A file whose every row names another seller is that seller's file: refused as a
        whole, exit 3 ("wrong seller", architecture.md), not answered "partial, exit 1" as if
        some of it could be the sender's."""
        if not self.request.feed.seller_scoped or not self.rows:  # an order export: per order
            return
        if any(p.code == Reason.ROWS_NOT_READ for p in self.problems):
            return  # another sheet, or rows below a gap, may hold the sender's own
        # a cell naming a seller by a number (`n/a`, `#N/A`, `102,000` name nobody: bad_number)
        if len(self.other_seller_rows) < self.rows:  # all of them, detailed or not
            return
        problems = [p for p in self.problems if p.code == Reason.OTHER_SELLER] or [
            self.other_seller_example]  # none detailed: past MAX_DETAILED
        named = ", ".join(sorted({p.value for p in problems if p.value})[:3])
        seller = self.ctx.seller_id
        raise reject_file(
            Reason.WRONG_SELLER,
            f"Toutes les lignes de ce fichier désignent un autre vendeur (« {named} ») : c'est le"
            f" fichier d'un autre vendeur, il ne peut pas être chargé pour le vendeur {seller}.",
            f"Every row of this file names another seller ({named}): it is another seller's"
            f" file and cannot be loaded for seller {seller}.",
            column=problems[0].column, value=problems[0].value)

    def read(self, table) -> Iterator[Chunk]:
        """The table's chunks; none for a header-only file of a feed where that means "nothing
        changed" (the reader refuses it as having no rows, at the end of its iteration)."""
        try:
            yield from table
        except FileRejected as rejection:
            if not (self.request.feed.header_only_is_empty_load
                    and rejection.problem.code == Reason.NO_ROWS):
                raise

    def without_totals_rows(self, frame: pd.DataFrame, sku_position: int | None) -> pd.DataFrame:
        """`frame` less the totals rows a seller typed under the offers (no sku, a cell saying
        "Total", numbers elsewhere): said in the notes like an Excel Table's, never rejected
        (an offer without sku: the file was partial every time, and a replace withdrew
        nothing)."""
        if sku_position is None or sku_position not in frame.columns:
            return frame
        candidates = frame[frame[sku_position].str.strip() == ""]
        if candidates.empty:
            return frame
        worded = pd.concat([candidates[column].str.contains(_TOTAL_HINT) for column in candidates],
                           axis=1).any(axis=1)  # rows without sku come by the thousand in a bad file
        totals = [number for number, cells in candidates[worded].iterrows() if _is_totals_row(cells)]
        for number in totals:
            self.info.notes.append(f"Ligne {number} : ligne de total, ignorée / row {number}: a"
                                   " totals row, ignored")
        return frame.drop(index=totals) if totals else frame

    def warn_unnamed_with_values(self, frame: pd.DataFrame, unnamed: list[int]) -> list[int]:
        """A column with no header but values is ignored like an unknown one, and said so
        once; returns the unnamed columns not yet found holding a value."""
        filled = [i for i in unnamed if i in frame.columns and (frame[i].str.strip() != "").any()]
        for position in filled:
            self.problems.append(Problem(
                Reason.UNKNOWN_COLUMN,
                f"La colonne n° {position + 1} n'a pas d'en-tête : ses valeurs sont ignorées.",
                f"Column {position + 1} has no header: its values are ignored.",
                severity=Severity.WARNING))
        return [i for i in unnamed if i not in filled]

    def note_refused_rows(self, problems: list[Problem], sku_position: int | None,
                          delimiter: str | None) -> None:
        """What replace mode must know of the rows the reader refused: the skus they may hold
        (kept like a rejected row's), and how many show none (then nothing counts as absent)."""
        state = self.ctx.state
        if sku_position is not None:
            state.setdefault("rejected_skus", set()).update(
                keys_of_refused_rows(problems, sku_position, len(self.headers), delimiter))
        state["unkeyed_rows"] = state.get("unkeyed_rows", 0) + unkeyed_rows(problems, None)

    def rejected_by(self, rejection: FileRejected) -> None:
        """The file refused whole: its reason, and what the reader had read if it got no table.
        Over the row limit, the rows counted are those the reader had counted, past the limit
        (the rows of the chunks validated before it, a number that meant nothing, were said)."""
        self.add_problems([rejection.problem])  # masked like any: it may quote a header
        if self.info is None and rejection.detected is not None:
            self.info = rejection.detected
        if rejection.problem.code is Reason.TOO_LARGE and self.info is not None:
            self.rows = max(self.rows, self.info.rows_read)

    def add_problems(self, problems: list[Problem]) -> None:
        self.rejected_rows.update(
            p.row for p in problems if p.severity is Severity.ERROR and p.row is not None
        )
        others = [p for p in problems if p.code == Reason.OTHER_SELLER]
        if others:
            self.other_seller_rows.update(p.row for p in others)
            self.other_seller_example = self.other_seller_example or others[0]
        room = max(MAX_DETAILED - len(self.problems), 0)
        if len(problems) > room or self.cut_at is not None:  # the file's own problems always said
            kept = [p for p in problems if p.row is None]
            # in row order, whole rows: the checks produce theirs check after check, and the
            # cut left every row without its last checks' problems (no price ever said missing)
            on_rows = sorted((p for p in problems if p.row is not None), key=attrgetter("row"))
            room = max(room - len(kept), 0)
            if room < len(on_rows) and self.cut_at is None:
                self.cut_at = on_rows[room].row
            # once cut, the rows from there on are counted only (a later chunk's filled the
            # room a whole-row cut left, past rows said to come "after"); the load's problems
            # on the rows before are still said
            room = len(on_rows) if self.cut_at is None else bisect_left(
                on_rows, self.cut_at, key=attrgetter("row"))
            for problem in on_rows[room:]:
                self.not_detailed[problem.severity] += 1
            problems = kept + on_rows[:room]
        text_mask = self.request.feed.report_text_mask
        if text_mask is not None:
            problems = [replace(p, value=p.value and text_mask(p.value),  # quoted in messages too
                                message_fr=text_mask(p.message_fr),
                                message_en=text_mask(p.message_en)) for p in problems]
        self.problems.extend(problems)

    def note_not_detailed(self) -> int:
        """The problems past `MAX_DETAILED`, said in one file-level warning (not itself counted
        among the problems nor the warnings), replaced when the apply found more; how many."""
        errors, warnings = self.not_detailed[Severity.ERROR], self.not_detailed[Severity.WARNING]
        if not errors + warnings:
            return 0
        self.problems[:] = [p for p in self.problems if p.code != Reason.NOT_DETAILED]
        most, more_errors, more_warnings = (f"{n:,}".replace(",", "\u202f")
                                            for n in (MAX_DETAILED, errors, warnings))
        # the rows of the errors are rejected all the same; a warning's row loads
        rejected_fr, rejected_en = ((", rejetées de même et toutes dans le fichier des lignes"
                                     " rejetées", ", rejected all the same and all in the"
                                     " rejected-rows file") if errors else ("", ""))
        self.problems.append(Problem(
            Reason.NOT_DETAILED,
            f"Plus de {most} problèmes : seuls les {most} premiers sont détaillés ({more_errors}"
            f" erreurs et {more_warnings} avertissements de plus, sur les lignes suivantes"
            f"{rejected_fr}). Une même erreur se répète souvent : corrigez-la et renvoyez le"
            " fichier.",
            f"More than {MAX_DETAILED:,} problems: only the first {MAX_DETAILED:,} are detailed"
            f" ({errors:,} more errors and {warnings:,} more warnings, on the rows after"
            f"{rejected_en}). One mistake often repeats: fix it and send the file again.",
            severity=Severity.WARNING))
        return errors + warnings

    def open(self):
        """The file as a table of the feed's columns (`loaders.reader.open_table`)."""
        feed = self.request.feed
        required = tuple(spec.names for spec in feed.columns if spec.required or spec.required_for_updates)
        return open_table(self.request.path, known_headers=known_header_names(feed.columns),
                          required_headers=required, limits=self.limits,
                          preferred_sheets=feed.preferred_sheets)

    def keep_for_report(self, frame: pd.DataFrame, problems: list[Problem]) -> None:
        if self.all_rows and self.rows > REPORT_ALL_ROWS_UP_TO:
            self.all_rows = False
            flagged = {p.row for p in self.problems} | self.rejected_rows  # past the detailed too
            self.kept = [f[f.index.isin(list(flagged))] for f in self.kept]
        if not self.all_rows:
            frame = frame[frame.index.isin([p.row for p in problems])]
        self.kept.append(self.as_shown(frame))

    def as_shown(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows as reports may show them (IBANs masked)."""
        if self.masks:
            frame = frame.copy()
            for position, mask in self.masks.items():
                frame[position] = frame[position].map(mask)
        if self.request.feed.report_text_mask is not None:
            frame = frame.map(self.request.feed.report_text_mask)
        return frame

    def report_rows(self) -> pd.DataFrame:
        frames = [f for f in self.kept if not f.empty]
        if not self.all_rows:
            frames += self.rows_flagged_late(frames)
        if not frames:
            return pd.DataFrame(columns=range(len(self.headers)))
        return pd.concat(frames).sort_index() if len(frames) > 1 else frames[0]

    def rows_flagged_late(self, kept: list[pd.DataFrame]) -> list[pd.DataFrame]:
        """The rows flagged after their chunk was let go (a duplicate's first copy, found with a
        later chunk's copy, in a file too big to keep every row): read again, those alone. The
        rejected-rows file lacked them, and a fixed file sent back lost those rows."""
        shown = set().union(*(frame.index for frame in kept)) if kept else set()
        missing = ({p.row for p in self.problems if p.row is not None} | self.rejected_rows) - shown
        if not missing:
            return []
        found = []
        with contextlib.suppress(FileRejected), self.open() as table:  # refused past them: found
            for chunk in self.read(table):
                rows = chunk.frame[chunk.frame.index.isin(list(missing))]
                if not rows.empty:
                    found.append(self.as_shown(rows))
        return found

    def detected(self) -> dict:
        if self.info is None:
            return {}
        info = self.info
        return {"format": info.format, "encoding": info.encoding, "delimiter": info.delimiter,
                "sheet": info.sheet, "header_row": info.header_row,
                "decimal_separator": self.ctx.decimal_separator or None}


class FileChecker:
    """Reads and checks files against one storage, with the settings' limits."""

    def __init__(self, storage: Storage, settings: Settings, now: datetime | None = None):
        self.storage = storage
        self.settings = settings
        self.now = now  # None: the clock; the demo replays the samples' day
        self.limits = ReadLimits(max_rows=settings.max_rows, max_bytes=settings.max_bytes,
                                 chunk_rows=settings.chunk_rows)
        self.archiving: dict[int, Future[str]] = {}

    def context(self, request: IngestRequest, import_id: int | None) -> FeedContext:
        return FeedContext(kind=request.feed.kind, seller_id=request.seller_id,
                           import_id=import_id, reference_dir=self.settings.reference_dir,
                           now=self.now or calendar.now_utc(), mode=request.mode, force=request.force,
                           file_name=request.name)

    def validate(self, request: IngestRequest, on_rows=None) -> IngestResult:
        """Read and check only: no database, no archive; the report goes to outbox/validations."""
        sha, _size = file_digest(request.path)
        run = FileRun(request, self.context(request, None), self.limits)
        try:
            for _valid in run.chunks(on_rows):
                pass
        except FileRejected as rejection:
            run.rejected_by(rejection)
            return self.finish(run, "rejected", None, sha, loaded=0, message=rejection.problem.message_fr)
        status = "partial" if run.rejected_rows else "loaded"
        return self.finish(run, status, None, sha, loaded=run.rows - len(run.rejected_rows),
                           message=checked_alone_note(run.ctx))

    def finish(self, run: FileRun, status: str, import_id: int | None, sha: str, *,
               loaded: int, message: str | None = None) -> IngestResult:
        """The answer for the file, its report published and (an import) the file archived."""
        result = self.reported(run, status, import_id, sha, loaded=loaded, message=message)
        if import_id is not None:
            result.archive = self.archive(run.request, import_id)
        return result

    def reported(self, run: FileRun, status: str, import_id: int | None, sha: str, *,
                 loaded: int, message: str | None = None) -> IngestResult:
        """The answer for the file, with its report published when it has problems."""
        request = run.request
        # file-level problems first, then the rows in the seller's order (chunks and the
        # apply-time checks find them out of order)
        run.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
        warnings = (sum(1 for p in run.problems
                        if p.severity is Severity.WARNING and p.code != Reason.NOT_DETAILED)
                    + run.not_detailed[Severity.WARNING])
        not_detailed = sum(run.not_detailed.values())
        # a file refused as a whole rejects every row it had read: rows = loaded + rejected
        rejected = run.rows if status == "rejected" else len(run.rejected_rows)
        result = IngestResult(status, request.feed.kind, request.seller_id, import_id, sha,
                              rows=run.rows, loaded=loaded, rejected=rejected,
                              warnings=warnings, message=message, detected=run.detected(),
                              problems=run.problems, file=request.answered_file,
                              not_detailed=not_detailed)
        if run.problems:
            result.errors_report = self.publish_report(run, result)
        return result

    def publish_report(self, run: FileRun, result: IngestResult) -> str:
        request = run.request
        owner = (request.seller_id or "no-seller") if request.feed.seller_scoped else "ops"
        stamp = result.import_id if result.import_id is not None else _stamp()
        report = ReportInput(
            file_name=readable(request.name), kind=request.feed.kind,
            seller_id=request.seller_id, import_id=result.import_id, status=result.status,
            rows_read=result.rows, rows_loaded=result.loaded, rows_rejected=result.rejected,
            warnings=result.warnings, info=run.info, decimal_separator=run.ctx.decimal_separator or None,
            headers=run.headers, rows=run.report_rows(), all_rows=run.all_rows,
            problems=run.problems, rejected_rows=frozenset(run.rejected_rows),
            amount_columns=run.amount_columns, export_day=run.ctx.state.get("export_date"))
        with tempfile.TemporaryDirectory() as tmp:
            files = write_import_report(Path(tmp), str(stamp), report)
            for path in (files.csv, files.rejected, files.xlsx):
                if path is not None:
                    published = self.storage.upload(path, _report_key(owner, result.import_id, path.name))
        return published

    def start_archive(self, request: IngestRequest, import_id: int) -> None:
        """Copy a file given by path to the archive in a thread while it loads (a storage copy
        of a large file takes as long as a fair part of its load). A file waiting in the inbox
        is moved at the end instead: it must stay where it is until it has been read."""
        if request.inbox_key is None:
            copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive")
            self.archiving[import_id] = copier.submit(
                self.storage.upload, request.path, self.archive_key(request, import_id))
            copier.shutdown(wait=False)

    def archive(self, request: IngestRequest, import_id: int, owner: int | None = None) -> str | None:
        """Where the file is archived; waits for (and re-raises the error of) a started copy.
        `owner`: the import the inbox file is archived under, when not this one.

        None when the inbox file is no longer there: another run (`marketplace run inbox` from
        cron, overlapping this one) read it too and has moved it to the archive under its own
        import; the content is applied once either way, and this run goes on.
        """
        started = self.archiving.pop(import_id, None)
        if started is not None:
            return started.result()
        key = self.archive_key(request, owner or import_id)
        if request.inbox_key is None:
            return self.storage.upload(request.path, key)
        try:
            return self.storage.move(request.inbox_key, key)
        except FileNotFoundError:
            log.warning("inbox file archived by another run meanwhile: %s", request.inbox_key)
            return None

    def archive_key(self, request: IngestRequest, import_id: int) -> str:
        return archive_key(request.feed.kind, self.received_day(import_id), import_id,
                           safe_file_name(request.name))

    def received_day(self, import_id: int) -> date:
        """The Paris day the import was received, the archive's folder (`Ingestor` reads it)."""
        return datetime.now(ZoneInfo(self.settings.timezone)).date()


def _report_key(owner: int | str, import_id: int | None, name: str) -> str:
    """Imports answer under their id; a check-only run (no id) under outbox/validations/."""
    if import_id is not None:
        return import_report_key(owner, import_id, name.removeprefix(f"{import_id}-"))
    return safe_key("outbox", "validations", str(owner), name)


def _stamp() -> str:
    return datetime.now(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%S%f")
