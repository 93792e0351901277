"""Prefect flows `ingest_file` and `process_inbox`: retries, per-seller order, fan-out; the work in `loaders`.

A task calls the pipeline. Retries (exponential backoff with jitter) apply to storage and
database connection errors only (`retry_condition_fn`): a validation failure is an answer,
not a fault, and is never retried.

`process_inbox` groups the inbox plan by seller: each seller's files run one after the other,
in arrival order, inside one task (a "chain"), and different sellers run in parallel on the
flow's task runner (threads, or a Dask cluster: `MARKETPLACE_DASK_ADDRESS`). The run holds the
Prefect global concurrency limit `inbox-run` (limit 1), so overlapping runs (a late schedule, a
manual run, workers on several machines) queue instead of loading one seller's files at once
or out of order; each task also holds the 1-slot limits `seller-<id>` of its sellers, taken
together once per task, not per file (an acquisition costs 0.2-0.5 s in Prefect 3.8), so that
`ingest_file` never loads one of them meanwhile (docs/decisions.md). The seller row lock taken
by the loaders (loaders/staging.py) remains the real guarantee, and the content hash makes a
rerun apply nothing twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from itertools import groupby
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists
from prefect.futures import wait
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import DBAPIError, OperationalError

from loaders.feeds import feed_for
from loaders.inbox import InboxItemPlan, InboxRun, ingest_inbox_item, plan_inbox
from loaders.ingest import Ingestor, IngestRequest
from marketplace.app import make_ingestor
from marketplace.config import get_settings
from marketplace.storage import StorageError

LOCAL_THREADS = 4
"""Seller chains run at once without Dask: under the database pool's 5 connections."""
CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")  # connection lost, server shut down


_ingestors: dict[str, Ingestor] = {}
_ingestors_lock = threading.Lock()


def process_ingestor() -> Ingestor:
    """This process's ingestor for the current settings, made once.

    Tasks run side by side in threads (and Dask worker processes): one engine and its pool
    per process, and one schema check, since Alembic's migration context is not thread-safe.
    """
    settings = get_settings()
    key = settings.model_dump_json()
    with _ingestors_lock:
        if key not in _ingestors:
            _ingestors[key] = make_ingestor(settings)
        return _ingestors[key]


def _is_io_failure(task, task_run, state) -> bool:
    """Retry only storage faults and database connection failures."""
    try:
        state.result()
    except (StorageError, ConnectionError, TimeoutError):
        return True
    except DBAPIError as error:
        return _is_connection_failure(error)
    except Exception:  # noqa: BLE001 - anything else is an answer, not a fault
        return False
    return False


def _is_connection_failure(error: DBAPIError) -> bool:
    """A dropped or refused connection; a SQL or data error (or SQLite's own) is not."""
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", "")  # psycopg has it, sqlite3 has not
    if sqlstate is None:  # psycopg raised before the server answered: connection refused
        return isinstance(error, OperationalError)
    return sqlstate.startswith(CONNECTION_SQLSTATES)


IO_RETRIES = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=5),  # 5 s, 10 s, 20 s
    "retry_jitter_factor": 0.5,  # workers that failed together do not retry together
    "retry_condition_fn": _is_io_failure,
}


@task(**IO_RETRIES, cache_policy=NO_CACHE)
def plan_waiting_files(run: InboxRun) -> list[InboxItemPlan]:
    """The inbox's plan (`loaders.inbox.plan_inbox`) as a task: a storage or database blip while
    listing the inbox is retried as one while loading a file is, instead of failing the run
    (and, at 02:00, the night's quality report). A retry plans again: what a failed attempt
    refused or set aside is out of the inbox, and stays listed in `run` for the run's report."""
    return plan_inbox(process_ingestor(), run)


def inbox_task_runner(dask_address: str):
    """The runner MARKETPLACE_DASK_ADDRESS names: "" threads, "local" a LocalCluster, else a scheduler."""
    if not dask_address:
        return ThreadPoolTaskRunner(max_workers=LOCAL_THREADS)
    from prefect_dask import DaskTaskRunner  # dask: only when asked for

    if dask_address == "local":
        return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                              cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True})
    return DaskTaskRunner(address=dask_address)


def inbox_waves(plans: list[InboxItemPlan]) -> list[list[list[InboxItemPlan]]]:
    """The plan as waves run one after the other, each a list of chains run side by side.

    Consecutive files without a seller (the registry, the order exports) make one chain, so
    the registry is loaded before the offers that need it and the orders after the offers
    they name; consecutive per-seller files make one chain per seller, in plan order
    (offers before promotions, then by arrival).
    """
    waves = []
    for per_seller, group in groupby(plans, key=lambda plan: plan.seller_id is not None):
        if per_seller:
            chains: dict[int, list[InboxItemPlan]] = {}
            for plan in group:
                chains.setdefault(plan.seller_id, []).append(plan)
            waves.append(list(chains.values()))
        else:
            waves.append([list(group)])
    return waves


# A task run costs Prefect a few ms and a Dask worker 250-300 ms: more than a 100-row file takes
# to load. Small sellers' chains are packed into about TASKS_PER_WAVE tasks; a chain over
# ALONE_BYTES (a big file) keeps a task of its own.
TASKS_PER_WAVE = 32
ALONE_BYTES = 4 * 1024 * 1024


def pack_chains(chains: list[list[InboxItemPlan]]) -> list[list[InboxItemPlan]]:
    """The wave's chains as tasks: each seller's files stay together and in order in one task."""
    alone = [chain for chain in chains if sum(plan.stored.size for plan in chain) > ALONE_BYTES]
    small = [chain for chain in chains if sum(plan.stored.size for plan in chain) <= ALONE_BYTES]
    per_task = max(1, -(-len(small) // TASKS_PER_WAVE))
    packs = [[plan for chain in small[i:i + per_task] for plan in chain]
             for i in range(0, len(small), per_task)]
    return alone + packs


INBOX_SLOT = "inbox-run"


@contextmanager
def run_slot(name: str = INBOX_SLOT) -> Iterator[None]:
    """Hold the limit `name` (1 slot) for the whole inbox run: two runs never plan the same files."""
    with held_slots([name]):
        yield


@contextmanager
def held_slots(names: list[str]) -> Iterator[None]:
    """Hold one slot of each limit in `names` (1-slot limits, created the first time they are
    needed), acquired together in one call: all or none, so two holders never deadlock.

    Prefect 3.8 does not create a missing limit: `concurrency()` would only warn and run
    unguarded, so the missing ones are made here and acquired with `strict=True`.
    """
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    if not names:
        yield
        return
    with get_client(sync_client=True) as client:
        for name in set(names) - _existing_limits(client):
            with suppress(ObjectAlreadyExists):  # another run created it meanwhile
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    with concurrency(names, occupy=1, strict=True):
        yield


def _existing_limits(client, page: int = 200) -> set[str]:
    names: set[str] = set()
    while True:
        batch = client.read_global_concurrency_limits(limit=page, offset=len(names))
        names.update(limit.name for limit in batch)
        if len(batch) < page:
            return names


def seller_slot_names(plans: list[InboxItemPlan]) -> list[str]:
    """The per-seller limits a task holds while it loads these sellers' files."""
    return [f"seller-{seller}" for seller in sorted({p.seller_id for p in plans if p.seller_id is not None})]


@task(**IO_RETRIES)
def ingest_chain(plans: list[InboxItemPlan]) -> list[dict]:
    """Sellers' inbox files (or the registry's), one after the other, each seller's in arrival order.

    A file another run has already taken (moved to the archive) is skipped. A retry runs the
    chain again: files already applied come back as duplicates and are archived, none twice.
    A seller whose file fails keeps its later files waiting (their order is kept), while the
    other sellers packed in the task go on; the task then fails with the first failure, for
    its retries and the run's report.
    """
    ingestor = process_ingestor()
    results = []
    failures: dict[int | None, Exception] = {}
    with held_slots(seller_slot_names(plans)):  # no other flow loads these sellers meanwhile
        for plan in plans:
            if plan.seller_id in failures:
                continue
            if not ingestor.storage.exists(plan.stored.key):
                results.append({"status": "taken", "kind": plan.kind, "seller_id": plan.seller_id,
                                "key": plan.stored.key, "rows": 0, "loaded": 0, "rejected": 0})
                continue
            try:
                results.append(ingest_inbox_item(ingestor, plan).as_json())
            except Exception as error:  # noqa: BLE001 - re-raised below, once the others are done
                failures[plan.seller_id] = error
    if failures:
        raise next(iter(failures.values()))
    return results


@task(**IO_RETRIES)
def ingest_local(kind: str, path: str, seller_id: int | None, mode: str, force: bool) -> dict:
    request = IngestRequest(path=Path(path), name=Path(path).name, feed=feed_for(kind),
                            seller_id=seller_id, mode=mode, force=force, source=path)
    with held_slots([f"seller-{seller_id}"] if seller_id is not None else []):
        return process_ingestor().ingest(request).as_json()


@flow(name="ingest_file")
def ingest_file(kind: str, path: str, seller_id: int | None = None, mode: str = "update",
                force: bool = False) -> dict:
    """Ingest one local file (the same function the command line calls)."""
    return ingest_local(kind, path, seller_id, mode, force)


def inbox_summary(results: list[dict], refused: list[dict], failed: list[str],
                  ignored: list[dict] = (), waiting: list[str] = ()) -> str:
    """The run's artifact: counts per status and per kind, refused keys, failed chains, the
    files left waiting behind a failed registry, files (editor leftovers archived unread are
    counted, not listed)."""
    by_status = Counter(r["status"] for r in results)
    by_kind = Counter(r["kind"] for r in results)
    lines = [f"**{len(results)} file(s)**: " + ", ".join(f"{s} {n}" for s, n in sorted(by_status.items())),
             "", "| kind | files |", "|---|---|", *(f"| {k} | {n} |" for k, n in sorted(by_kind.items()))]
    lines += ["", f"**refused: {len(refused)}**", *(f"- {r['key']}: {r['reason']}" for r in refused)]
    lines += ["", f"editor leftovers archived unread: {len(ignored)}"] if ignored else []
    lines += ["", f"**failed seller chains: {len(failed)}**", *(f"- {f}" for f in failed)]
    lines += ["", f"**waiting for the registry: {len(waiting)}**", *(f"- {key}" for key in waiting)
              ] if waiting else []
    lines += ["", "| kind | seller | status | rows | loaded | rejected | import |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['kind']} | {r['seller_id']} | {r['status']} | {r['rows']} | {r['loaded']} |"
              f" {r['rejected']} | {r.get('import_id')} |" for r in results]
    return "\n".join(lines)


def _chain_name(chain: list[InboxItemPlan]) -> str:
    """How the run's report names a failed chain: its sellers, or the seller-less kinds it holds
    (the registry's, the order exports')."""
    if chain[0].seller_id is None:
        return "files " + ", ".join(dict.fromkeys(plan.kind for plan in chain))
    return "seller(s) " + ", ".join(str(s) for s in dict.fromkeys(plan.seller_id for plan in chain))


class InboxChainsFailed(RuntimeError):
    """Some seller chains failed after their retries: the others ran; the run is Failed."""


@flow(name="process_inbox", task_runner=inbox_task_runner(get_settings().dask_address))
def process_inbox_flow() -> list[dict]:
    """Ingest everything waiting in the inbox: registry first, then sellers side by side.

    The task runner comes from MARKETPLACE_DASK_ADDRESS when this module is imported (a
    worker imports it from the deployment's entrypoint); `with_options(task_runner=...)`
    chooses another one.
    """
    results: list[dict] = []
    failed: list[str] = []
    registry_failed = False
    run = InboxRun()
    with run_slot():
        plans = plan_waiting_files(run)
        for wave in inbox_waves(plans):
            if registry_failed:  # a new seller's files need the registry: they wait, as in `run inbox`
                run.waiting.extend(plan.stored.key for chain in wave for plan in chain)
                continue
            tasks = pack_chains(wave)
            futures = ingest_chain.map(tasks)
            wait(futures)
            for chain, future in zip(tasks, futures, strict=True):
                if future.state.is_completed():
                    results.extend(future.result())
                else:
                    failed.append(f"{_chain_name(chain)}: {future.state.message}")
                    registry_failed |= any(plan.kind == "sellers" for plan in chain)
    # a file refused unread whose archiving failed: left in the inbox, said, as `run inbox` does
    failed += [f"{entry['key']}: {entry['error']}" for entry in run.failed]
    create_markdown_artifact(key="inbox-run", markdown=inbox_summary(results, run.refused, failed,
                                                                           run.ignored, run.waiting),
                             description="Files processed by this inbox run")
    if failed:
        raise InboxChainsFailed(f"{len(failed)} seller chain(s) failed: " + "; ".join(failed))
    return results
