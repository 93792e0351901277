"""The runs with the landing zone on S3 (a real moto server over HTTP), end to end.

`marketplace run inbox`: inbox, outbox/imports and archive are S3 objects, the working
directory stays empty, and a transient S3 error (HTTP 500 on the first upload) is retried by
botocore and the run succeeds. The nightly and monthly flows publish to S3 likewise.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from botocore.awsrequest import AWSResponse
from typer.testing import CliRunner

import marketplace.s3_storage
from marketplace.cli import app
from marketplace.config import SAMPLES_DIR, get_settings
from marketplace.s3_storage import S3Storage
from tests.test_payouts_support import add_offer, add_order, add_seller, paris

PREFIX = "landing"


@pytest.fixture
def s3_env(engine, s3_client, s3_bucket, moto_server, monkeypatch, tmp_path):
    """The process settings on the test catalog and s3://bucket/landing; cwd an empty folder."""
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("MARKETPLACE_STORAGE", f"s3://{s3_bucket}/{PREFIX}")
    monkeypatch.setenv("MARKETPLACE_S3_ENDPOINT_URL", moto_server)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("MARKETPLACE_IDENTITY_FILE", str(SAMPLES_DIR / "marketplace.toml"))
    get_settings.cache_clear()
    yield S3Storage(s3_client, s3_bucket, PREFIX), work
    get_settings.cache_clear()


@pytest.fixture
def s3_inbox(s3_env):
    storage, work = s3_env
    storage.upload(SAMPLES_DIR / "sellers.csv", "inbox/sellers/sellers.csv")
    storage.upload(SAMPLES_DIR / "catalogue-livres.csv", "inbox/offers/102/catalogue-livres.csv")
    storage.upload(SAMPLES_DIR / "offres-formations.csv", "inbox/offers/101/offres-formations.csv")
    return storage, work


class _Raw:
    """The body of a made-up HTTP response, as botocore reads it."""

    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_kwargs):
        yield self.body


def _server_error_on_first_put(monkeypatch) -> list[str]:
    """Every S3 client the pipeline makes answers its first PutObject with an HTTP 500."""
    failed: list[str] = []
    real_make = marketplace.s3_storage.make_s3_client

    def fail_first_put(request, **_kwargs):
        if failed:
            return None  # send for real
        failed.append(request.url)
        body = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
        return AWSResponse(request.url, 500, {"Content-Type": "application/xml"}, _Raw(body))

    def make_flaky_client(endpoint_url):
        client = real_make(endpoint_url)
        client.meta.events.register("before-send.s3.PutObject", fail_first_put)
        return client

    monkeypatch.setattr(marketplace.s3_storage, "make_s3_client", make_flaky_client)
    return failed


def _run_inbox() -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["run", "inbox", "--json"])
    assert result.stdout.strip(), (result.exit_code, result.stderr)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("transient_fault", [False, True], ids=["clean", "http-500-once"])
def test_run_inbox_reads_and_writes_only_s3(s3_inbox, s3_bucket, monkeypatch, transient_fault):
    storage, work = s3_inbox
    failed = _server_error_on_first_put(monkeypatch) if transient_fault else []
    code, answer = _run_inbox()
    # catalogue-livres.csv has rejected rows (partial): exit 1, its report on S3
    assert code == 1
    statuses = [(f["kind"], f["seller_id"], f["status"]) for f in answer["files"]]
    # the registry first; the two offer files arrived in the same second (S3's resolution)
    assert statuses[0] == ("sellers", None, "loaded")
    assert sorted(statuses[1:]) == [("offers", 101, "loaded"), ("offers", 102, "partial")]
    assert len(failed) == int(transient_fault)  # the 500 happened, and was retried
    keys = {obj.key for obj in storage.list("")}
    assert not any(key.startswith("inbox/") for key in keys)
    (partial,) = [f for f in answer["files"] if f["status"] == "partial"]
    assert partial["errors_report"].startswith(f"s3://{s3_bucket}/{PREFIX}/outbox/imports/102/")
    assert f"outbox/imports/102/{partial['import_id']}-errors.xlsx" in keys
    archived = sorted(key.rsplit("-", 1)[-1] for key in keys if key.startswith("archive/"))
    assert archived == ["formations.csv", "livres.csv", "sellers.csv"]
    assert all(f["archive"].startswith(f"s3://{s3_bucket}/{PREFIX}/archive/") for f in answer["files"])
    assert list(work.iterdir()) == []  # nothing written under the working directory


def test_a_second_run_finds_an_empty_inbox(s3_inbox):
    assert _run_inbox()[0] == 1
    code, answer = _run_inbox()
    assert (code, answer["processed"], answer["files"]) == (0, 0, [])


def test_the_nightly_quality_flow_reads_and_publishes_on_s3(prefect_harness, s3_env):
    from flows.quality import nightly_quality

    storage, work = s3_env
    storage.upload(SAMPLES_DIR / "sellers.csv", "inbox/sellers/sellers.csv")
    storage.upload(SAMPLES_DIR / "orders" / "2026-11-22.csv", "inbox/orders/2026-11-22.csv")
    summary = nightly_quality(date(2026, 11, 22))
    assert [(r["kind"], r["status"]) for r in summary["ingested"]] == [("sellers", "loaded"),
                                                                         ("orders", "loaded")]
    keys = {obj.key for obj in storage.list("")}
    assert "outbox/quality/2026-11-22/sellers/102.xlsx" in keys
    assert not any(key.startswith("inbox/") for key in keys)
    assert list(work.iterdir()) == []


def test_the_monthly_payouts_flow_publishes_on_s3(prefect_harness, s3_env, engine):
    from flows.payouts import monthly_payouts

    storage, work = s3_env
    add_seller(engine, 1)
    add_offer(engine, 1, "A", "livres")
    add_order(engine, "P-1", 1, "100.00", sku="A", delivered=paris(2026, 10, 10, 12))
    result = monthly_payouts(month="2026-10", close=True)
    assert (result["month"], result["sellers"], result["paid"]) == ("2026-10", 1, 1)
    keys = {obj.key for obj in storage.list("outbox/payouts/2026-10")}
    assert "outbox/payouts/2026-10/payouts.csv" in keys
    assert any(key.endswith(".xml") for key in keys)  # the SEPA file
    assert list(work.iterdir()) == []
