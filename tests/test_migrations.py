"""The Alembic migrations create exactly what the models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory

from marketplace.migrate import alembic_config, upgrade


def test_models_match_migrations(engine):
    url = engine.url.render_as_string(hide_password=False)
    command.check(alembic_config(url, engine))  # raises when autogenerate finds a difference


def test_upgrade_twice_is_a_no_op(engine):
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    assert version == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_a_command_beside_a_loading_file_does_not_queue_for_sqlites_write_lock(tmp_path):
    """A file loading holds SQLite's write lock for its whole transaction; `export offers`
    started meanwhile checks the schema and reads the catalog without waiting for it (WAL),
    instead of failing with "database is locked" once the busy timeout is over."""
    import io
    import sqlite3
    import time

    from marketplace.app import catalog_engine
    from marketplace.config import Settings
    from marketplace.db import read_only
    from reports.offers_export import export_offers

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", storage=str(tmp_path / "s"))
    catalog_engine(settings).dispose()  # created and migrated
    loading = sqlite3.connect(tmp_path / "c.db", isolation_level=None)
    loading.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        engine = catalog_engine(settings)
        out = io.StringIO()
        export_offers(read_only(engine), out)
        assert time.monotonic() - started < 10  # the busy timeout is 60 s
        assert out.getvalue().startswith("seller_id,sku,")
        engine.dispose()
    finally:
        loading.execute("ROLLBACK")
        loading.close()
