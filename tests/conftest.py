"""Shared fixtures: both catalog databases (SQLite file and a real PostgreSQL), S3 on moto.

PostgreSQL runs at MARKETPLACE_TEST_DATABASE_URL (default: the local trust-auth server). When
it is unreachable its tests are skipped, unless REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from marketplace import calendar
from marketplace.config import Settings
from marketplace.db import make_engine
from marketplace.migrate import upgrade
from marketplace.models import Base

pytest_plugins = ["tests.conftest_s3", "tests.conftest_prefect"]

TESTS_NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
"""The instant file checks take for now in every test: the test files' promotions run from
December 2026 on, and must not become "already over" when the suite runs in a later month."""


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setattr(calendar, "now_utc", lambda: TESTS_NOW)


POSTGRES_URL = os.environ.get(
    "MARKETPLACE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_engine():
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except Exception as error:  # noqa: BLE001 - any failure means "no server here"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}: {error}")
    upgrade(engine)
    return engine


@pytest.fixture(scope="session")
def postgres_engine():
    engine = _postgres_engine()
    yield engine
    engine.dispose()


def _truncate(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A migrated, empty catalog on each database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("postgres_engine")
        _truncate(engine)
        yield engine


@pytest.fixture
def settings(tmp_path, engine) -> Settings:
    """Settings pointing at the test catalog and a local storage folder of the test's own."""
    return Settings(database_url=engine.url.render_as_string(hide_password=False),
                    storage=str(tmp_path / "store"))


@pytest.fixture
def catalog_env(engine, tmp_path, monkeypatch):
    """The process settings (what the CLI and the flows read) pointed at the test catalog and
    a storage folder of the test's own; yields that folder."""
    from marketplace.config import get_settings

    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("MARKETPLACE_STORAGE", str(tmp_path / "store"))
    get_settings.cache_clear()
    yield tmp_path / "store"
    get_settings.cache_clear()
