"""S3 for the tests: one real moto server over HTTP on loopback, a fresh bucket per test.

A real server (not moto's in-process mock) so the code under test goes through botocore's
whole HTTP stack: retries, timeouts and error parsing behave as against S3. Registered from
tests/conftest.py with `pytest_plugins = ["tests.conftest_s3"]`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from marketplace.s3_storage import make_s3_client

TEST_REGION = "eu-west-3"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto server started once for the session (any free port)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_test_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and no local AWS config, so a test can never reach a real account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def s3_bucket() -> str:
    """The name of this test's own bucket (created by `s3_client`)."""
    return f"test-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def s3_client(moto_server: str, s3_bucket: str, aws_test_env: None) -> Any:
    """The production client (`make_s3_client`) pointed at moto, with an empty bucket."""
    client = make_s3_client(moto_server)
    client.create_bucket(
        Bucket=s3_bucket, CreateBucketConfiguration={"LocationConstraint": TEST_REGION}
    )
    return client
