"""Prefect flows `ingest_file` and `process_inbox`: retries on I/O, the work in `loaders`.

A task calls one pipeline function. Retries apply to storage and database connection
errors only (`retry_condition_fn`): a validation failure is an answer, not a fault.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from sqlalchemy.exc import DBAPIError

from loaders.feeds import FEEDS
from loaders.inbox import InboxItemPlan, InboxRun, ingest_inbox_item, plan_inbox
from loaders.ingest import IngestRequest
from marketplace.app import make_ingestor
from marketplace.config import get_settings
from marketplace.storage import StorageError


def _is_io_failure(task, task_run, state) -> bool:
    """Retry only storage faults and lost database connections."""
    try:
        state.result()
    except (StorageError, ConnectionError, TimeoutError):
        return True
    except DBAPIError as error:
        return bool(error.connection_invalidated)
    except Exception:  # noqa: BLE001 - anything else is an answer, not a fault
        return False
    return False


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_is_io_failure)
def ingest_one(plan: InboxItemPlan) -> dict:
    return ingest_inbox_item(make_ingestor(get_settings()), plan).as_json()


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_is_io_failure)
def ingest_local(kind: str, path: str, seller_id: int | None, mode: str, force: bool) -> dict:
    request = IngestRequest(path=Path(path), name=Path(path).name, feed=FEEDS[kind],
                            seller_id=seller_id, mode=mode, force=force, source=path)
    return make_ingestor(get_settings()).ingest(request).as_json()


@flow(name="ingest_file")
def ingest_file(kind: str, path: str, seller_id: int | None = None, mode: str = "update",
                force: bool = False) -> dict:
    """Ingest one local file (the same function the command line calls)."""
    return ingest_local(kind, path, seller_id, mode, force)


@flow(name="process_inbox")
def process_inbox_flow() -> list[dict]:
    """Ingest everything waiting in the inbox, one file at a time, oldest first."""
    run = InboxRun()
    plans = plan_inbox(make_ingestor(get_settings()), run)
    results = [ingest_one(plan) for plan in plans]
    lines = [f"| {r['kind']} | {r['seller_id']} | {r['status']} | {r['rows']} | {r['loaded']} |"
             f" {r['rejected']} |" for r in results]
    create_markdown_artifact(
        key="inbox-run",
        markdown="\n".join(["| kind | seller | status | rows | loaded | rejected |",
                            "|---|---|---|---|---|---|", *lines])
        + f"\n\nrefused: {len(run.refused)}",
        description="Files processed by this inbox run",
    )
    return results
