"""Wiring from settings to the pieces: engine, storage, ingestor. Used by the CLI and the flows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from loaders.ingest import Ingestor
from marketplace.config import Settings
from marketplace.db import make_engine
from marketplace.migrate import is_current, upgrade
from marketplace.storage import open_storage


def catalog_engine(settings: Settings) -> Engine:
    """The catalog engine, its schema brought up to date. Checked first by a read: a command
    started while a file loads must not queue for SQLite's write lock to learn it is current."""
    engine = make_engine(settings.database_url)
    if not is_current(engine):
        upgrade(engine)
    return engine


def make_ingestor(settings: Settings, now: datetime | None = None) -> Ingestor:
    return Ingestor(catalog_engine(settings), open_storage(settings), settings, now)


def existing_catalog(settings: Settings) -> Engine | None:
    """The catalog if it exists, answers and is migrated; else None. For `validate`, which must
    neither create a database nor migrate one, and still works on a machine without any."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return None
    engine = make_engine(settings.database_url)
    try:
        if is_current(engine):
            return engine
    except SQLAlchemyError:
        pass
    engine.dispose()
    return None
