"""`marketplace db upgrade`: Alembic migrations run from the package, no alembic.ini needed.

Alembic is imported only when a migration runs: check-only commands never touch a database
and should not pay for it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from marketplace.config import PROJECT_ROOT
from marketplace.db import read_only

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(url: str, engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolation
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Create or migrate the catalog schema to the latest revision."""
    from alembic import command

    url = engine.url.render_as_string(hide_password=False)
    command.upgrade(alembic_config(url, engine), "head")


def is_current(engine: Engine) -> bool:
    """Whether the catalog's schema is at the latest revision (read only: nothing migrated)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    url = engine.url.render_as_string(hide_password=False)
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    with read_only(engine).connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == set(heads)
