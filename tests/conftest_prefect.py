"""The Prefect test harness (a temporary Prefect server), started once per test session: it
takes seconds, so every flow test shares it."""

from __future__ import annotations

import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session")
def prefect_harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def flow_env(prefect_harness, catalog_env):
    """The process settings pointed at the test catalog, with the harness running."""
    return catalog_env
