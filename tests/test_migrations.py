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
