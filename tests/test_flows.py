"""Prefect wiring only: the flows call the pipeline, and the deployments keep their schedules.

The harness (a temporary Prefect server, tests/conftest_prefect.py) starts once per session.
"""

from __future__ import annotations

import pytest

from marketplace.config import SAMPLES_DIR
from tests.helpers import add_seller, offer_rows, write_offer_csv


def test_every_flow_imports_and_the_deployments_keep_their_schedules():
    from flows.deployments import deployments

    schedules = {d.name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone)
                 for d in deployments()}
    assert schedules == {"inbox-every-15-minutes": ("*/15 * * * *", "Europe/Paris"),
                         "nightly-quality-0200": ("0 2 * * *", "Europe/Paris"),
                         "monthly-payouts-1st-0600": ("0 6 1 * *", "Europe/Paris")}
    assert {d.name: d.parameters for d in deployments()} == {name: {} for name in schedules}


def test_ingest_file_flow_loads_a_file(flow_env, engine, tmp_path):
    from flows.ingest import ingest_file

    add_seller(engine, 7)
    path = write_offer_csv(tmp_path / "o.csv", offer_rows(4))
    result = ingest_file("offers", str(path), seller_id=7)
    assert (result["status"], result["loaded"]) == ("loaded", 4)


def test_process_inbox_flow_takes_registry_first(flow_env):
    inbox = flow_env / "inbox"
    (inbox / "offers" / "101").mkdir(parents=True)
    (inbox / "sellers").mkdir(parents=True)
    (inbox / "offers" / "101" / "f.csv").write_bytes(
        (SAMPLES_DIR / "offres-formations.csv").read_bytes())
    (inbox / "sellers" / "s.csv").write_bytes((SAMPLES_DIR / "sellers.csv").read_bytes())
    from flows.ingest import process_inbox_flow

    results = process_inbox_flow()
    assert [(r["kind"], r["status"]) for r in results] == [("sellers", "loaded"), ("offers", "loaded")]


def test_a_storage_fault_while_the_inbox_is_listed_is_retried(flow_env, monkeypatch):
    """Planning ran in the flow's body: one failed listing failed the run (and the night's
    quality report) without a retry."""
    import flows.ingest
    from marketplace.storage import StorageError

    (flow_env / "inbox" / "sellers").mkdir(parents=True)
    (flow_env / "inbox" / "sellers" / "s.csv").write_bytes((SAMPLES_DIR / "sellers.csv").read_bytes())
    real, calls = flows.ingest.plan_inbox, []

    def fails_once(ingestor, run):
        calls.append(1)
        if len(calls) == 1:
            raise StorageError("list", "inbox/", "injected fault")
        return real(ingestor, run)

    monkeypatch.setattr(flows.ingest, "plan_inbox", fails_once)
    monkeypatch.setattr(flows.ingest, "plan_waiting_files",
                        flows.ingest.plan_waiting_files.with_options(retry_delay_seconds=0))
    results = flows.ingest.process_inbox_flow()
    assert (len(calls), [(r["kind"], r["status"]) for r in results]) == (2, [("sellers", "loaded")])


def test_a_file_refused_before_a_planning_retry_is_in_the_runs_report(flow_env, monkeypatch):
    """Each retry started a new list: a file refused by the failed attempt was in no report."""
    import flows.ingest
    from marketplace.storage import LocalStorage, StorageError

    for name in ("a.csv", "b.csv"):  # off the layout: refused, moved to archive/refused/
        (flow_env / "inbox" / "weird").mkdir(parents=True, exist_ok=True)
        (flow_env / "inbox" / "weird" / name).write_text("x")
    real, failed = LocalStorage.move_listed, []

    def fails_on_b(self, listed, new_key):
        if listed.key.endswith("b.csv") and not failed:
            failed.append(listed.key)
            raise StorageError("move", listed.key, "injected fault")
        return real(self, listed, new_key)

    monkeypatch.setattr(LocalStorage, "move_listed", fails_on_b)
    monkeypatch.setattr(flows.ingest, "plan_waiting_files",
                        flows.ingest.plan_waiting_files.with_options(retry_delay_seconds=0))
    # the file whose archiving failed is that file's failure alone (as in `run inbox`): the
    # run goes on, reports it and is Failed; the next run refuses it
    with pytest.raises(flows.ingest.InboxChainsFailed):
        flows.ingest.process_inbox_flow()
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifact = next(a for a in client.read_latest_artifacts() if a.key == "inbox-run")
    assert "**refused: 1**" in artifact.data and "**failed seller chains: 1**" in artifact.data
    assert "inbox/weird/a.csv" in artifact.data and "inbox/weird/b.csv" in artifact.data
    flows.ingest.process_inbox_flow()
    assert not (flow_env / "inbox" / "weird" / "b.csv").exists()


def test_a_failed_registry_keeps_the_later_files_waiting_in_the_inbox(flow_env, engine, monkeypatch):
    """The registry's load failing (a bug, not retried) sent a new seller's offers on to a
    rejection for an unknown seller; `run inbox` keeps them waiting: so does the flow."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    import flows.ingest
    from marketplace.models import Import

    inbox = flow_env / "inbox"
    (inbox / "offers" / "101").mkdir(parents=True)
    (inbox / "sellers").mkdir(parents=True)
    offers = inbox / "offers" / "101" / "f.csv"
    offers.write_bytes((SAMPLES_DIR / "offres-formations.csv").read_bytes())
    (inbox / "sellers" / "s.csv").write_bytes((SAMPLES_DIR / "sellers.csv").read_bytes())
    real = flows.ingest.ingest_inbox_item

    def registry_breaks(ingestor, plan):
        if plan.kind == "sellers":
            raise RuntimeError("registry load broke")
        return real(ingestor, plan)

    monkeypatch.setattr(flows.ingest, "ingest_inbox_item", registry_breaks)
    with pytest.raises(flows.ingest.InboxChainsFailed, match="files sellers: .*registry load broke"):
        flows.ingest.process_inbox_flow()
    assert offers.exists()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Import)) == 0
    summary = flows.ingest.inbox_summary([], [], ["files sellers: boom"], waiting=["inbox/offers/101/f.csv"])
    assert "**waiting for the registry: 1**\n- inbox/offers/101/f.csv" in summary


@pytest.mark.parametrize(
    ("error", "retried"),
    [("storage", True), ("timeout", True), ("validation", False), ("bug", False)],
)
def test_only_io_failures_are_retried(error, retried):
    from prefect.states import Failed

    from flows.ingest import _is_io_failure
    from marketplace.errors import Reason, reject_file
    from marketplace.storage import StorageError

    raised = {
        "storage": StorageError("upload", "s3://b/k", "SlowDown (HTTP 503)"),
        "timeout": TimeoutError("read timed out"),
        "validation": reject_file(Reason.NO_HEADER, "pas d'en-tête", "no header"),
        "bug": KeyError("x"),
    }[error]
    assert _is_io_failure(None, None, Failed(data=raised)) is retried


def _plan(seller_id, kind, name, size=1):
    from datetime import UTC, datetime

    from loaders.inbox import InboxItemPlan
    from marketplace.storage import StoredObject

    key = f"inbox/{kind}/{seller_id}/{name}" if seller_id else f"inbox/{kind}/{name}"
    return InboxItemPlan(StoredObject(key, size, datetime(2027, 1, 1, tzinfo=UTC)), kind, seller_id, name)


def test_inbox_waves_keep_the_registry_first_and_each_sellers_files_in_plan_order():
    from flows.ingest import inbox_waves

    plans = [_plan(None, "sellers", "s.csv"), _plan(7, "offers", "a.csv"), _plan(8, "offers", "b.csv"),
             _plan(7, "offers", "c.csv"), _plan(7, "promotions", "d.csv")]
    waves = [[[plan.name for plan in chain] for chain in wave] for wave in inbox_waves(plans)]
    # wave 1: the registry alone; wave 2: seller 7's three files in order beside seller 8's one
    assert waves == [[["s.csv"]], [["a.csv", "c.csv", "d.csv"], ["b.csv"]]]


def test_small_sellers_are_packed_into_few_tasks_and_a_big_file_runs_alone():
    from flows.ingest import ALONE_BYTES, TASKS_PER_WAVE, pack_chains

    chains = [[_plan(seller, "offers", f"{seller}-{n}.csv") for n in range(2)] for seller in range(1, 101)]
    big = _plan(999, "offers", "big.csv", size=ALONE_BYTES + 1)
    tasks = pack_chains([*chains, [big]])
    # 100 small chains in at most 32 tasks (4 sellers each: ceil(100 / 32) = 4), the big one alone
    assert tasks[0] == [big] and len(tasks) == 1 + 25 and len(tasks) <= 1 + TASKS_PER_WAVE
    # each seller's two files are adjacent and in order, and every file is planned exactly once
    assert [p.name for p in tasks[1]] == ["1-0.csv", "1-1.csv", "2-0.csv", "2-1.csv", "3-0.csv",
                                          "3-1.csv", "4-0.csv", "4-1.csv"]
    assert sorted(p.name for task in tasks for p in task) == sorted(
        [f"{s}-{n}.csv" for s in range(1, 101) for n in range(2)] + ["big.csv"])


def _drop_offers(store, seller_id, name, rows, price, mtime):
    import os

    folder = store / "inbox" / "offers" / str(seller_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = write_offer_csv(folder / name, offer_rows(rows, price=price))
    os.utime(path, (mtime, mtime))


def test_process_inbox_flow_loads_each_sellers_files_in_arrival_order(flow_env, engine):
    from prefect.client.orchestration import get_client
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from flows.ingest import process_inbox_flow
    from marketplace.models import Offer

    add_seller(engine, 7)
    add_seller(engine, 8)
    # seller 7 sent "z-first" (price 10,00) before "a-second" (20,00): arrival, not name, decides
    _drop_offers(flow_env, 7, "z-first.csv", 2, "10,00", 1_800_000_000)
    _drop_offers(flow_env, 7, "a-second.csv", 2, "20,00", 1_800_000_100)
    _drop_offers(flow_env, 8, "only.csv", 3, "5,00", 1_800_000_050)
    state = process_inbox_flow(return_state=True)
    results = state.result()
    assert sorted((r["seller_id"], r["status"], r["loaded"]) for r in results) == [
        (7, "loaded", 2), (7, "loaded", 2), (8, "loaded", 3)]
    with Session(engine) as session:
        prices = {(s, str(p)) for s, p in session.execute(select(Offer.seller_id, Offer.price))}
    assert prices == {(7, "20.00"), (8, "5.00")}
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name("inbox-run")
        # raw: the 3.8 clients send null filters, which the server refuses or joins on
        (artifact,) = client.request("POST", "/artifacts/filter", json={
            "artifacts": {"flow_run_id": {"any_": [str(state.state_details.flow_run_id)]}},
            "limit": 5, "offset": 0, "sort": "CREATED_DESC"}).json()
    assert (limit.limit, limit.active_slots) == (1, 0)  # created by the run, released
    summary = artifact["data"]
    assert "**3 file(s)**: loaded 3" in summary and "| offers | 3 |" in summary


def test_an_inbox_run_waits_while_another_holds_the_inbox_slot(flow_env, engine):
    import threading

    from flows.ingest import process_inbox_flow, run_slot

    add_seller(engine, 7)
    _drop_offers(flow_env, 7, "f.csv", 2, "10,00", 1_800_000_000)
    done = []
    with run_slot():
        worker = threading.Thread(target=lambda: done.append(process_inbox_flow()))
        worker.start()
        worker.join(timeout=5)
        assert done == [] and (flow_env / "inbox" / "offers" / "7" / "f.csv").exists()
    worker.join(timeout=120)
    assert [r["status"] for r in done[0]] == ["loaded"]


def test_a_sellers_files_wait_while_another_flow_holds_that_sellers_slot(flow_env, engine):
    import threading

    from flows.ingest import held_slots, process_inbox_flow

    add_seller(engine, 7)
    add_seller(engine, 8)
    _drop_offers(flow_env, 7, "f.csv", 2, "10,00", 1_800_000_000)
    _drop_offers(flow_env, 8, "g.csv", 2, "10,00", 1_800_000_000)
    done = []
    with held_slots(["seller-7"]):  # e.g. an ad-hoc ingest_file of seller 7 running
        worker = threading.Thread(target=lambda: done.append(process_inbox_flow()))
        worker.start()
        worker.join(timeout=8)
        # seller 7's file waits for its slot (8's shares the task: a task holds its sellers' slots)
        assert done == [] and (flow_env / "inbox" / "offers" / "7" / "f.csv").exists()
    worker.join(timeout=120)
    assert sorted((r["seller_id"], r["status"]) for r in done[0]) == [(7, "loaded"), (8, "loaded")]


def _storage_fails_once(monkeypatch, method: str, when) -> list[str]:
    """`LocalStorage.<method>` (move or upload) raises a StorageError the first time `when(key)`
    holds, and the inbox chains retry at once; returns the keys it was called with."""
    import flows.ingest
    from marketplace.storage import LocalStorage, StorageError

    real, calls, failed = getattr(LocalStorage, method), [], []

    def faulty(self, first, second):
        key = second if method == "upload" else first  # upload(src, key), move(key, new_key)
        calls.append(key)
        if when(key) and not failed:
            failed.append(key)
            raise StorageError(method, key, "injected fault")
        return real(self, first, second)

    monkeypatch.setattr(LocalStorage, method, faulty)
    monkeypatch.setattr(flows.ingest, "ingest_chain",
                        flows.ingest.ingest_chain.with_options(retry_delay_seconds=0))
    return calls


def test_a_chain_retried_after_a_storage_fault_applies_its_file_once(flow_env, engine, monkeypatch):
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    import flows.ingest
    from marketplace.models import AppliedFile, Import, Offer

    add_seller(engine, 7)
    _drop_offers(flow_env, 7, "f.csv", 4, "10,00", 1_800_000_000)
    # the rows are committed, the archive move is not done
    moves = _storage_fails_once(monkeypatch, "move", lambda key: True)
    results = flows.ingest.process_inbox_flow()
    # the retry finds the content applied and completes that import: archived, the rows once
    assert [(r["status"], r["import_id"]) for r in results] == [("loaded", 1)]
    assert len(moves) == 2 and not (flow_env / "inbox" / "offers" / "7" / "f.csv").exists()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Offer)) == 4
        assert session.scalar(select(func.count()).select_from(AppliedFile)) == 1
        attempts = session.execute(select(Import.status, Import.message).order_by(Import.id)).all()
    # the interrupted attempt, unclosed, is closed by the retry (docs/operations.md)
    assert [status for status, _ in attempts] == ["loaded", "duplicate"]
    assert "report written by the next run" in attempts[0].message


def test_a_report_the_storage_failed_to_write_is_written_by_the_retry(flow_env, engine,
                                                                     monkeypatch):
    """The rows are committed, the seller's error report is not: the retry (a duplicate) writes
    it from the problems stored with the rows, under the import that applied them."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    import flows.ingest
    from marketplace.models import Import

    add_seller(engine, 7)
    folder = flow_env / "inbox" / "offers" / "7"
    folder.mkdir(parents=True)
    rows = offer_rows(3)
    rows[1][4] = "abc"  # an unreadable price: row 3 rejected, a report to write
    write_offer_csv(folder / "f.csv", rows)
    _storage_fails_once(monkeypatch, "upload", lambda key: key.startswith("outbox/imports/"))
    results = flows.ingest.process_inbox_flow()
    # the retry answers what the import that applied the file did, with its report
    assert [(r["status"], r["import_id"], r["rejected"]) for r in results] == [("partial", 1, 1)]
    with Session(engine) as session:
        first = session.scalars(select(Import).order_by(Import.id)).first()
    assert (first.status, first.rows_loaded, first.rows_rejected) == ("partial", 2, 1)
    assert results[0]["errors_report"].endswith(first.errors_report)
    assert first.errors_report and first.errors_report.endswith(f"{first.id}-errors.xlsx")
    report = flow_env / "outbox" / "imports" / "7" / f"{first.id}-errors.csv"
    assert "abc" in report.read_text(encoding="utf-8-sig")


def test_the_inbox_summary_counts_statuses_kinds_refusals_and_failures():
    from flows.ingest import inbox_summary

    results = [{"kind": "offers", "seller_id": 7, "status": "loaded", "rows": 3, "loaded": 3,
                "rejected": 0, "import_id": 1},
               {"kind": "offers", "seller_id": 8, "status": "partial", "rows": 3, "loaded": 2,
                "rejected": 1, "import_id": 2},
               {"kind": "sellers", "seller_id": None, "status": "loaded", "rows": 5, "loaded": 5,
                "rejected": 0, "import_id": 3}]
    refused = [{"key": "'inbox/offers/abc/x.csv'", "reason": "seller folder", "import_id": 4}]
    summary = inbox_summary(results, refused, ["seller-9: StorageError"])
    assert "**3 file(s)**: loaded 2, partial 1" in summary
    assert "| offers | 2 |" in summary and "| sellers | 1 |" in summary
    assert "**refused: 1**\n- 'inbox/offers/abc/x.csv': seller folder" in summary
    assert "**failed seller chains: 1**\n- seller-9: StorageError" in summary
    assert "| offers | 8 | partial | 3 | 2 | 1 | 2 |" in summary


def test_a_refused_database_connection_is_retried_a_sql_error_is_not(engine):
    from prefect.states import Failed
    from sqlalchemy import create_engine, text

    from flows.ingest import _is_io_failure

    def error_of(target, sql="SELECT 1"):
        try:
            with target.connect() as connection:
                connection.execute(text(sql))
        except Exception as error:  # noqa: BLE001 - the error is what the test inspects
            return error
        raise AssertionError("no error")

    refused = error_of(create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none",
                                     connect_args={"connect_timeout": 2}))
    assert _is_io_failure(None, None, Failed(data=refused)) is True
    # a missing table (SQLite's OperationalError, PostgreSQL's 42P01) is a bug, not a fault
    assert _is_io_failure(None, None, Failed(data=error_of(engine, "SELECT * FROM nope"))) is False


def test_a_failing_seller_does_not_hold_back_the_sellers_packed_with_it(monkeypatch):
    """Past 32 sellers a task carries several sellers' chains: seller 221's load failing stopped
    the task, and seller 222's file after it stayed in the inbox at every run. The other
    sellers' files still load; the failing seller's later files wait (its order is kept); the
    task still fails with 221's error, so its retries and the run's report stay as they were."""
    import contextlib
    from types import SimpleNamespace

    import flows.ingest as module

    loaded = []

    def ingest(_ingestor, plan):
        if plan.seller_id == 221:
            raise RuntimeError("boom")
        loaded.append(plan.name)
        return SimpleNamespace(as_json=lambda: {"seller_id": plan.seller_id, "status": "loaded"})

    storage = SimpleNamespace(exists=lambda _key: True)
    monkeypatch.setattr(module, "process_ingestor", lambda: SimpleNamespace(storage=storage))
    monkeypatch.setattr(module, "ingest_inbox_item", ingest)
    monkeypatch.setattr(module, "held_slots", lambda _names: contextlib.nullcontext())
    plans = [_plan(221, "offers", "a.csv"), _plan(221, "offers", "b.csv"),
             _plan(222, "offers", "c.csv")]
    with pytest.raises(RuntimeError, match="boom"):
        module.ingest_chain.fn(plans)
    assert loaded == ["c.csv"]
