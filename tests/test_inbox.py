"""The inbox run on a local folder and on S3 (moto over HTTP), hostile names, and a kill -9."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loaders.inbox import process_inbox
from loaders.ingest import Ingestor, IngestRequest
from loaders.offers import OFFERS_FEED
from marketplace.config import SAMPLES_DIR, Settings
from marketplace.models import AppliedFile, Import, Offer
from marketplace.s3_storage import S3Storage
from marketplace.storage import LocalStorage, StorageError
from tests.helpers import add_seller, offer_rows, write_offer_csv


def offer_count(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Offer))


def test_inbox_on_s3_reads_and_writes_only_s3(engine, settings, s3_client, s3_bucket, tmp_path):
    storage = S3Storage(s3_client, s3_bucket, "landing")
    storage.upload(SAMPLES_DIR / "sellers.csv", "inbox/sellers/sellers.csv")
    storage.upload(SAMPLES_DIR / "catalogue-livres.csv", "inbox/offers/102/catalogue-livres.csv")
    run = process_inbox(Ingestor(engine, storage, settings))
    assert [(r.kind, r.status) for r in run.results] == [("sellers", "loaded"), ("offers", "partial")]
    keys = {obj.key for obj in storage.list("")}
    assert not any(k.startswith("inbox/") for k in keys)
    offers_result = run.results[1]
    assert offers_result.errors_report.startswith(f"s3://{s3_bucket}/landing/outbox/imports/102/")
    assert f"outbox/imports/102/{offers_result.import_id}-errors.csv" in keys
    assert any(k.startswith("archive/offers/") and k.endswith("catalogue-livres.csv") for k in keys)
    assert not (tmp_path / "store").exists()


def test_hostile_inbox_names_are_refused_and_recorded(engine, settings, s3_client, s3_bucket):
    storage = S3Storage(s3_client, s3_bucket, "")
    # an uploader that joined a Windows path, a name over 255 bytes: S3 keys, no paths; they
    # stayed in the inbox and every run exited 3
    windows, long = "inbox/offers/7/C:\\Users\\me\\x.csv", "inbox/offers/7/" + "é" * 150 + "x.csv"
    for key in ("inbox/offers/7/../../sellers/x.csv", "inbox/offers/abc/x.csv",
                "inbox/offers/7/sub/x.csv", "inbox/offers/7/a\\b.csv", "inbox/offers/7/a\tx.csv",
                windows, long):
        s3_client.put_object(Bucket=s3_bucket, Key=key, Body=b"sku;prix\nA;1\n")
    run = process_inbox(Ingestor(engine, storage, settings))
    assert run.results == []
    assert len(run.refused) == 7
    assert run.exit_code == 3
    with Session(engine) as session:
        statuses = session.scalars(select(Import.status)).all()
    assert statuses == ["rejected"] * 7
    moved = {r["key"]: r["archive"] for r in run.refused}
    assert moved["inbox/offers/7/../../sellers/x.csv"] is None  # no path may take it: stays
    kept = [moved[k] for k in ("inbox/offers/abc/x.csv", "inbox/offers/7/sub/x.csv",
                               "inbox/offers/7/a\tx.csv", windows)]  # refused as names, moved
    assert all(k and "/archive/refused/" in k and k.endswith("x.csv") for k in kept)
    assert "/archive/refused/" in moved[long] and moved[long].endswith("éé.csv")  # name capped
    assert moved[windows].endswith("-C__Users_me_x.csv")
    assert moved["inbox/offers/7/a\\b.csv"].endswith("-a_b.csv")
    again = process_inbox(Ingestor(engine, storage, settings))
    assert {r["key"] for r in again.refused} == {"inbox/offers/7/../../sellers/x.csv"}
    assert again.exit_code == 3
    with Session(engine) as session:  # what stays is recorded once, not once per run
        assert len(session.scalars(select(Import.id)).all()) == 7


def test_names_a_seller_system_made_are_refused_and_moved_out_once(engine, settings, tmp_path):
    """A Windows zip's cp1252 name (not UTF-8), a tab, a newline: refused as names, yet moved
    to archive/refused/ under a safe name, so the next run does not refuse them again."""
    storage = LocalStorage(tmp_path / "store")
    folder = os.fsencode(storage.root / "inbox" / "offers" / "7")
    os.makedirs(folder)
    for name in (b"offres-\xe9t\xe9.csv", b"tab\there.csv", b"new\nline.csv"):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(b"sku;prix\nA;1\n")
    run = process_inbox(Ingestor(engine, storage, settings))
    assert (len(run.refused), run.exit_code) == (3, 3)
    assert sorted(r["archive"].rsplit("-", 1)[-1] for r in run.refused) == [
        "_t_.csv", "new_line.csv", "tab_here.csv"]
    assert os.listdir(folder) == []
    again = process_inbox(Ingestor(engine, storage, settings))
    assert (again.refused, again.exit_code) == ([], 0)


def test_a_file_still_uploading_is_left_for_the_next_run(engine, settings, tmp_path):
    """Browsers and SFTP clients write `Offres.csv.part` (`.crdownload`, `.filepart`...) and
    rename it when done: read half-way, it loaded two rows of three and was archived, the rest
    of the upload written into the archive."""
    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    uploading = ("inbox/offers/7/Offres.csv.part", "inbox/offers/7/Offres.csv.crdownload",
                 "inbox/offers/7/Offres.csv.filepart", "inbox/offers/7/Offres.csv.partial",
                 "inbox/offers/7/offres.tmp", "inbox/offers/7/Offres.csv.TMP")  # operations.md
    for key in uploading:
        storage.write_bytes(key, b"sku;titre\nA1;x\n")
    run = process_inbox(Ingestor(engine, storage, settings))
    assert (run.results, run.refused, run.ignored, run.exit_code) == ([], [], [], 0)
    assert sorted(obj.key for obj in storage.list("inbox/")) == sorted(uploading)


def test_editor_leftovers_are_archived_unread_without_failing_the_run(engine, settings, tmp_path):
    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    storage.upload(write_offer_csv(tmp_path / "Offres.csv", offer_rows(1)), "inbox/offers/7/Offres.csv")
    leftovers = ("inbox/offers/7/~$Offres.xlsx", "inbox/offers/7/.~lock.Offres.csv#",
                 "inbox/offers/7/Thumbs.db", "inbox/offers/.DS_Store")
    for key in leftovers:
        storage.write_bytes(key, b"\x00owner")
    run = process_inbox(Ingestor(engine, storage, settings))
    assert ([r.status for r in run.results], run.refused, run.exit_code) == (["loaded"], [], 0)
    assert sorted(i["key"] for i in run.ignored) == sorted(leftovers)
    assert all("/archive/refused/" in i["archive"] for i in run.ignored)
    assert [obj.key for obj in storage.list("inbox/")] == []


def test_a_refused_file_that_cannot_be_archived_fails_alone(engine, settings, tmp_path):
    """A file where the refused-files folder of the day should be made the editor leftover's
    move fail: the whole run stopped, exit 4, every seller's file left in the inbox."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    storage.upload(write_offer_csv(tmp_path / "Offres.csv", offer_rows(1)), "inbox/offers/7/Offres.csv")
    storage.write_bytes("inbox/offers/7/~$Offres.xlsx", b"\x00owner")
    day = datetime.now(ZoneInfo(settings.timezone)).date()
    blocker = tmp_path / "store" / "archive" / "refused" / f"{day:%Y-%m-%d}"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where a folder is expected")
    run = process_inbox(Ingestor(engine, storage, settings))
    assert [r.status for r in run.results] == ["loaded"]
    assert [f["key"] for f in run.failed] == ["inbox/offers/7/~$Offres.xlsx"] and run.exit_code == 4


def test_two_files_of_one_seller_load_in_arrival_order(engine, settings, tmp_path):
    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    first = write_offer_csv(tmp_path / "b-first.csv", offer_rows(1, price="10,00"))
    second = write_offer_csv(tmp_path / "a-second.csv", offer_rows(1, price="20,00"))
    storage.upload(first, "inbox/offers/7/b-first.csv")
    time.sleep(0.01)
    storage.upload(second, "inbox/offers/7/a-second.csv")
    later = time.time() + 5
    os.utime(storage.root / "inbox/offers/7/a-second.csv", (later, later))
    run = process_inbox(Ingestor(engine, storage, settings))
    assert [r.status for r in run.results] == ["loaded", "loaded"]
    # each answer names its file, so that a script reading `run inbox --json` knows which is which
    assert [r.as_json()["file"] for r in run.results] == ["inbox/offers/7/b-first.csv",
                                                          "inbox/offers/7/a-second.csv"]
    with Session(engine) as session:
        price = session.scalar(select(Offer.price))
    assert str(price) == "20.00"


def test_a_file_that_fails_leaves_its_sellers_later_files_and_not_the_others(engine, settings,
                                                                           tmp_path, monkeypatch):
    """A failure that is not the file's fault (here a bug on seller 7's first file): that file
    and seller 7's next one stay in the inbox for the next run, seller 8's load; exit 4."""
    add_seller(engine, 7)
    add_seller(engine, 8)
    storage = LocalStorage(tmp_path / "store")
    for seller, name in ((7, "a.csv"), (8, "b.csv"), (7, "c.csv")):
        storage.upload(write_offer_csv(tmp_path / name, offer_rows(1)), f"inbox/offers/{seller}/{name}")
        time.sleep(0.01)
    ingestor = Ingestor(engine, storage, settings)
    real_ingest = ingestor.ingest

    def fails_on_a(request, on_rows=None):
        if request.name == "a.csv":
            raise RuntimeError("injected fault")
        return real_ingest(request, on_rows)

    monkeypatch.setattr(ingestor, "ingest", fails_on_a)
    run = process_inbox(ingestor)
    assert [r.file for r in run.results] == ["inbox/offers/8/b.csv"]
    assert run.failed == [{"key": "inbox/offers/7/a.csv", "error": "RuntimeError: injected fault"}]
    assert (run.waiting, run.exit_code) == (["inbox/offers/7/c.csv"], 4)
    assert sorted(o.key for o in storage.list("inbox/")) == ["inbox/offers/7/a.csv",
                                                             "inbox/offers/7/c.csv"]


@pytest.mark.parametrize("moment", ["list", "download"])
def test_a_file_another_run_takes_meanwhile_does_not_fail_the_run(engine, settings, tmp_path, moment):
    """`marketplace run inbox` from cron overlapping a long run (no Prefect slot): the other run
    loads and archives the file after this one listed it, or after this one read it."""
    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    storage.upload(write_offer_csv(tmp_path / "Offres.csv", offer_rows(3)), "inbox/offers/7/Offres.csv")
    step = getattr(storage, moment)

    def step_then_lose_the_race(*args):
        answer = step(*args)
        setattr(storage, moment, step)  # the other run lists and reads as usual
        other_run.append(process_inbox(Ingestor(engine, storage, settings)))
        return answer

    other_run = []
    setattr(storage, moment, step_then_lose_the_race)
    run = process_inbox(Ingestor(engine, storage, settings))
    assert [r.status for r in other_run[0].results] == ["loaded"]
    assert run.exit_code == 0
    assert [r.status for r in run.results] in ([], ["duplicate"])
    assert offer_count(engine) == 3
    with Session(engine) as session:
        assert "processing" not in session.scalars(select(Import.status)).all()


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import loaders.offer_loading as loading
    from loaders.offers import OFFERS_FEED
    from loaders.ingest import IngestRequest, Ingestor
    from marketplace.config import Settings
    from marketplace.db import make_engine
    from marketplace.storage import LocalStorage

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    # halfway: every row written inside the transaction, nothing committed yet
    loading._apply_first_file = die
    url, store, path = sys.argv[1:4]
    settings = Settings(database_url=url, storage=store)
    Ingestor(make_engine(url), LocalStorage(Path(store)), settings).ingest(
        IngestRequest(path=Path(path), name="big.csv", feed=OFFERS_FEED, seller_id=7))
""")


def test_a_load_killed_halfway_leaves_nothing_and_the_rerun_loads_once(engine, settings, tmp_path):
    add_seller(engine, 7)
    path = write_offer_csv(tmp_path / "big.csv", offer_rows(5000))
    url = engine.url.render_as_string(hide_password=False)
    killed = subprocess.run([sys.executable, "-c", KILLER, url, settings.storage, str(path)],
                            capture_output=True, timeout=120)
    assert killed.returncode == -9
    assert offer_count(engine) == 0
    ingestor = Ingestor(engine, LocalStorage(tmp_path / "store"), Settings(
        database_url=url, storage=settings.storage))
    rerun = ingestor.ingest(IngestRequest(path=path, name="big.csv", feed=OFFERS_FEED, seller_id=7))
    assert (rerun.status, rerun.loaded) == ("loaded", 5000)
    again = ingestor.ingest(IngestRequest(path=path, name="big.csv", feed=OFFERS_FEED, seller_id=7))
    assert again.status == "duplicate"
    assert offer_count(engine) == 5000
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AppliedFile)) == 1
        statuses = sorted(session.scalars(select(Import.status)).all())
    assert statuses == ["duplicate", "interrupted", "loaded"]  # the killed attempt says so


def test_killed_after_its_commit_the_rerun_writes_the_report_and_closes_the_import(
        engine, settings, tmp_path):
    """reliability.md: a kill -9 at any point, and the next run completes the work. Here the
    rows are committed, the report not written: the rerun applies nothing twice, writes the
    report of the import that applied the file and answers what that import did (it answered
    "duplicate", exit 0, and no report: a script never learnt of the rejected row)."""
    add_seller(engine, 7)
    rows = offer_rows(300)
    rows[41][4] = "douze euros"
    path = write_offer_csv(tmp_path / "big.csv", rows)  # row 43 rejected
    url = engine.url.render_as_string(hide_password=False)
    after_commit = KILLER.replace("loading._apply_first_file = die", "Ingestor.finish = die")
    killed = subprocess.run([sys.executable, "-c", after_commit, url, settings.storage, str(path)],
                            capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert offer_count(engine) == 299
    with Session(engine) as session:
        assert session.scalars(select(Import.status)).all() == ["processing"]
    ingestor = Ingestor(engine, LocalStorage(tmp_path / "store"), Settings(
        database_url=url, storage=settings.storage))
    rerun = ingestor.ingest(IngestRequest(path=path, name="big.csv", feed=OFFERS_FEED, seller_id=7))
    assert (rerun.status, rerun.import_id, rerun.exit_code) == ("partial", 1, 1)
    assert (rerun.loaded, rerun.rejected) == (299, 1) and offer_count(engine) == 299
    with Session(engine) as session:
        first = session.get(Import, 1)
        assert (first.status, first.rows_read, first.rows_loaded, first.rows_rejected) == (
            "partial", 300, 299, 1)
        report = first.errors_report
    assert report is not None and (tmp_path / "store" / report).is_file()
    assert rerun.errors_report.endswith(report)
    rejected = (tmp_path / "store" / report).with_name("1-rejected.csv")
    assert "douze euros" in rejected.read_text(encoding="utf-8-sig")


INBOX_KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from loaders.inbox import process_inbox
    from loaders.ingest import Ingestor
    from marketplace.config import Settings
    from marketplace.db import make_engine
    from marketplace.storage import LocalStorage

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    url, store, method = sys.argv[1:4]
    setattr(Ingestor, method, die)
    settings = Settings(database_url=url, storage=store)
    process_inbox(Ingestor(make_engine(url), LocalStorage(Path(store)), settings))
""")


def test_killed_again_while_the_rerun_completes_the_import_the_next_run_still_does(
        engine, settings, tmp_path):
    """A first run killed after its commit, the run completing it killed while it writes the
    report: that run had archived the file first, so the next one found nothing to do and the
    report was never written (the import stayed `processing`)."""
    add_seller(engine, 7)
    rows = offer_rows(300)
    rows[41][4] = "douze euros"
    folder = tmp_path / "store" / "inbox" / "offers" / "7"
    folder.mkdir(parents=True)
    write_offer_csv(folder / "big.csv", rows)
    url = engine.url.render_as_string(hide_password=False)
    for method in ("finish", "reported"):  # after the commit; then while completing it
        killed = subprocess.run([sys.executable, "-c", INBOX_KILLER, url, settings.storage, method],
                                capture_output=True, timeout=120)
        assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert (folder / "big.csv").exists()  # not archived before its import is complete
    run = process_inbox(Ingestor(engine, LocalStorage(tmp_path / "store"), settings))
    assert [(r.status, r.import_id) for r in run.results] == [("partial", 1)]
    assert offer_count(engine) == 299
    with Session(engine) as session:
        first = session.get(Import, 1)
        assert (first.status, first.rows_loaded, first.rows_rejected) == ("partial", 299, 1)
        assert first.archive and first.archive == session.get(Import, 3).archive
    assert (tmp_path / "store" / first.errors_report).is_file()


@pytest.mark.parametrize("name", ["..", "a/../b.csv"])
def test_unsafe_names_never_reach_a_path(tmp_path, name):
    from marketplace.layout import UnsafeName, safe_key

    with pytest.raises(UnsafeName):
        safe_key("inbox", "offers", "7", name)


class _DeleteFailsOnce(LocalStorage):
    """A move as S3 makes it, copy then delete, whose delete fails the first time."""

    failed = False

    def move(self, key: str, new_key: str) -> str:
        if self.failed:
            return super().move(key, new_key)
        self.failed = True
        self.write_bytes(new_key, self.read_bytes(key))
        raise StorageError("delete", key, "injected fault")


def test_a_move_whose_delete_failed_is_finished_under_the_import_that_applied_the_file(
        engine, settings, tmp_path):
    """The next run completes the import and moves the file where its first attempt had copied
    it: one archive, named after that import, not a second copy under the duplicate's id."""
    add_seller(engine, 7)
    storage = _DeleteFailsOnce(tmp_path / "store")
    storage.upload(write_offer_csv(tmp_path / "a.csv", offer_rows(2)), "inbox/offers/7/a.csv")
    first = process_inbox(Ingestor(engine, storage, settings))
    assert first.failed and [o.key for o in storage.list("inbox/")] == ["inbox/offers/7/a.csv"]
    second = process_inbox(Ingestor(engine, storage, settings))
    applied = second.results[0].import_id
    archived = [o.key for o in storage.list("archive/")]
    assert len(archived) == 1 and archived[0].endswith(f"/{applied}-a.csv")
    assert not storage.list("inbox/")
    with Session(engine) as session:
        archives = set(session.scalars(select(Import.archive)))
    assert archives == {storage.location(archived[0])}


def test_a_duplicate_whose_archive_fails_is_closed_not_left_processing(engine, settings, tmp_path,
                                                                       monkeypatch):
    """`marketplace ingest` of a file already applied, storage down: exit 4, and the attempt is
    closed (nothing was to be applied): no run ever meets a file given by path again, and ops'
    query of files stuck in `processing` listed it for ever."""
    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    path = write_offer_csv(tmp_path / "a.csv", offer_rows(2))
    request = IngestRequest(path, "a.csv", OFFERS_FEED, seller_id=7)
    Ingestor(engine, storage, settings).ingest(request)

    def down(self, src, key):
        raise StorageError("upload", key, "injected fault")

    monkeypatch.setattr(LocalStorage, "upload", down)
    with pytest.raises(StorageError):
        Ingestor(engine, storage, settings).ingest(request)
    with Session(engine) as session:
        second = session.get(Import, 2)
    assert (second.status, second.processed_at is not None) == ("duplicate", True)
    assert "file not archived" in second.message


def _upload_fails_once(monkeypatch, prefix: str) -> None:
    """`LocalStorage.upload` of the first key under `prefix` fails, as a storage outage would."""
    real, failed = LocalStorage.upload, []

    def fails_once(self, src, key):
        if key.startswith(prefix) and not failed:
            failed.append(key)
            raise StorageError("upload", key, "injected fault")
        return real(self, src, key)

    monkeypatch.setattr(LocalStorage, "upload", fails_once)


def test_a_file_that_loaded_nothing_and_whose_report_failed_is_closed_by_the_next_run(
        engine, settings, tmp_path, monkeypatch):
    """Nothing applied, so no run completes that import: it kept no `processed_at` for good,
    listed by ops' query of stuck files, while the next run loaded the file as a new import."""
    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    storage.upload(write_offer_csv(tmp_path / "a.csv", offer_rows(2, price="-1")),
                   "inbox/offers/7/a.csv")
    _upload_fails_once(monkeypatch, "outbox/")  # the report
    assert process_inbox(Ingestor(engine, storage, settings)).failed
    second = process_inbox(Ingestor(engine, storage, settings))
    assert [(r.status, r.loaded) for r in second.results] == [("partial", 0)]
    with Session(engine) as session:
        imports = session.execute(select(Import.status, Import.processed_at.is_not(None))
                                  .order_by(Import.id)).all()
    assert [tuple(row) for row in imports] == [("interrupted", True), ("partial", True)]


def test_an_import_past_the_detailed_problems_completed_after_its_report_failed_counts_all_rows(
        engine, settings, tmp_path, monkeypatch):
    """The completion rebuilt the rejected rows from the problems stored, the detailed ones
    only: 5 rejected of 8, and 5 rows in the file to send back."""
    import loaders.checking

    monkeypatch.setattr(loaders.checking, "MAX_DETAILED", 3)
    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    storage.upload(write_offer_csv(tmp_path / "a.csv", [*offer_rows(8, price="-1"), *offer_rows(1, 8)]),
                   "inbox/offers/7/a.csv")
    _upload_fails_once(monkeypatch, "outbox/")  # the report
    assert process_inbox(Ingestor(engine, storage, settings)).failed
    [done] = process_inbox(Ingestor(engine, storage, settings)).results
    assert (done.status, done.loaded, done.rejected, done.as_json()["problems_total"]) == (
        "partial", 1, 8, 8)
    rejected = tmp_path / "store" / done.errors_report.replace("-errors.xlsx", "-rejected.csv")
    assert len(rejected.read_text(encoding="cp1252").splitlines()) == 1 + 8


def test_an_attempt_that_applied_rows_is_left_for_its_completion_not_interrupted(
        engine, settings, tmp_path, monkeypatch):
    """The same content loaded again in replace mode (its own once-key) closed every unclosed
    attempt as interrupted, the update that applied rows and awaits its report included."""
    add_seller(engine, 7)
    storage = LocalStorage(tmp_path / "store")
    path = write_offer_csv(tmp_path / "a.csv", offer_rows(2))
    _upload_fails_once(monkeypatch, "archive/")
    ingestor = Ingestor(engine, storage, settings)
    with pytest.raises(StorageError):
        ingestor.ingest(IngestRequest(path, "a.csv", OFFERS_FEED, seller_id=7))
    ingestor.ingest(IngestRequest(path, "a.csv", OFFERS_FEED, seller_id=7, mode="replace"))
    with Session(engine) as session:
        first = session.get(Import, 1)
    assert (first.status, first.processed_at) == ("loaded", None)
