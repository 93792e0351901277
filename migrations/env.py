"""Alembic environment: the URL comes from the caller's config (see marketplace.migrate).

On PostgreSQL the migration holds an advisory lock: commands started together on a new
catalog (workers, cron) each found the schema missing and created it at once, and all but one
failed on `alembic_version` already existing. Now the others wait, then find it current.
SQLite's write transactions already queue (BEGIN IMMEDIATE).
"""

from alembic import context
from sqlalchemy import text

from marketplace.db import make_engine
from marketplace.models import Base

MIGRATION_LOCK = 0x6D6B7470  # any fixed key: one lock per catalog database

config = context.config
engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
    try:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if postgres:
            connection.rollback()  # a failed migration leaves its transaction to end first
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
