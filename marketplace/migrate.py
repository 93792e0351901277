"""`marketplace db upgrade`: Alembic migrations run from the package, no alembic.ini needed."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from marketplace.config import PROJECT_ROOT


def alembic_config(url: str, engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Create or migrate the catalog schema to the latest revision."""
    url = engine.url.render_as_string(hide_password=False)
    command.upgrade(alembic_config(url, engine), "head")
