"""Wiring from settings to the pieces: engine, storage, ingestor. Used by the CLI and the flows."""

from __future__ import annotations

from sqlalchemy import Engine

from loaders.ingest import Ingestor
from marketplace.config import Settings
from marketplace.db import make_engine
from marketplace.migrate import upgrade
from marketplace.storage import open_storage


def catalog_engine(settings: Settings) -> Engine:
    """The catalog engine, its schema brought up to date (cheap when it already is)."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine


def make_ingestor(settings: Settings) -> Ingestor:
    return Ingestor(catalog_engine(settings), open_storage(settings), settings)
