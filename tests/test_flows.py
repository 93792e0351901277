"""Prefect wiring only: the flows call the pipeline, and the deployments keep their schedules.

The harness (a temporary Prefect server) starts once per test session: it takes seconds.
"""

from __future__ import annotations

import pytest
from prefect.testing.utilities import prefect_test_harness

from marketplace.config import SAMPLES_DIR
from tests.helpers import add_seller, offer_rows, write_offer_csv


@pytest.fixture(scope="session")
def prefect_harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def flow_env(prefect_harness, catalog_env):
    return catalog_env


def test_every_flow_imports_and_the_deployments_keep_their_schedules():
    from flows.deployments import deployments

    schedules = {d.name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone)
                 for d in deployments()}
    assert schedules == {"inbox-every-15-minutes": ("*/15 * * * *", "Europe/Paris")}


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
