"""Configuration, decided in one place.

Every setting comes from the environment (or a `.env` file) with the `MARKETPLACE_` prefix;
secrets (database passwords, AWS keys) are only ever read from there, never defaulted.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"


class Settings(BaseSettings):
    """The pipeline's settings; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="MARKETPLACE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///data/catalog.db"
    storage: str = "./data/store"
    s3_endpoint_url: str | None = None
    timezone: str = "Europe/Paris"
    reference_dir: Path = REFERENCE_DIR
    max_rows: int = Field(default=1_000_000, gt=0, lt=2**31)  # row numbers are kept as int32
    max_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    chunk_rows: int = Field(default=100_000, gt=0)
    db_retries: int = Field(default=3, ge=0)
    # SEPA credit transfer schema: pain.001.001.09 (EPC, since October 2025) or pain.001.001.03.
    sepa_schema: str = "pain.001.001.09"
    # Where process_inbox fans its files out: "" = threads in the flow's process, "local" = a
    # Dask LocalCluster of processes, else a Dask scheduler address (tcp://host:8786).
    dask_address: str = ""
    # The marketplace's legal identity and bank account (TOML; see marketplace/identity.py).
    identity_file: Path = Path("config/marketplace.toml")

    @field_validator("database_url")
    @classmethod
    def _names_a_catalog(cls, url: str) -> str:
        """The catalog is a file or a server's database, named: `postgresql://` alone logged in
        to the server's defaults and created the schema there, and `sqlite://` (in memory)
        started every command on an empty catalog whose import ids collide with the real one's."""
        # read without SQLAlchemy: `validate` imports no database code. The messages never
        # quote the URL: it may hold a password (architecture.md: no secret in logs).
        scheme, separator, rest = url.partition("://")
        backend, _, driver = scheme.partition("+")
        if not separator or backend not in ("sqlite", "postgresql", "postgres"):
            shown = f"{scheme}://" if separator else "no scheme://"
            raise ValueError(f"not a SQLite or PostgreSQL URL ({shown}): write"
                             " sqlite:///path/catalog.db or postgresql+psycopg://user@host/name")
        if backend != "sqlite":
            if driver not in ("", "psycopg"):  # psycopg 3 is the driver installed
                raise ValueError(f"driver {driver!r} not installed: write postgresql+psycopg://")
            url = f"postgresql+psycopg://{rest}"  # `postgresql://` would look for psycopg2
        database = url.partition(":///")[2] if backend == "sqlite" else urlsplit(url).path[1:]
        if not database or database == ":memory:":
            raise ValueError("the URL names no database (sqlite:///path/catalog.db,"
                             " postgresql+psycopg://user@host/name)")
        return url

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        """Checked before any work: an unknown zone failed mid-import (after the import was
        recorded) in one command and was silently ignored by another."""
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}: an IANA name such as Europe/Paris") from None
        return name


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings` instead)."""
    return Settings()
