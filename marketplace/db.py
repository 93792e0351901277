"""Engines and transactions for both catalog databases.

SQLite gets WAL, a busy timeout and enforced foreign keys, and every write transaction starts
with BEGIN IMMEDIATE so that two writers queue instead of failing with "database is locked".
PostgreSQL transactions are retried on serialization failures, deadlocks and lost
connections, a bounded number of times: the work is always the whole transaction again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRYABLE_SQLSTATES = {"40001", "40P01", "08000", "08003", "08006", "57P01"}


SQLITE_CACHE_KIB = 32 * 1024


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder created and their pragmas set. Its
    errors never quote the statement's parameters: they hold IBANs and seller data, and the
    error text reaches logs, the Prefect UI and `--json` (architecture.md: no secret in logs)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": 60})
        _configure_sqlite(engine)
        return engine
    # Sessions in UTC: server-side now() defaults then store UTC like the application does.
    return create_engine(url, pool_pre_ping=True, hide_parameters=True,
                         connect_args={"options": "-c timezone=UTC"})


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 32 MiB of page cache instead of 2: a big file in seller order (not sorted by sku)
        # touches index pages all over; with 2 MiB they are spilled to the WAL and written
        # again. Measured on 1M shuffled 17-column rows: 10.5-11.3 s → 7.1-7.6 s.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        deferred = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


READ_ONLY_OPTION = "marketplace_read_only"


def read_only(engine: Engine) -> Engine:
    """The engine for work that only reads: on SQLite its transactions begin DEFERRED, so they
    read the last committed state beside a file being loaded (WAL) instead of queueing behind
    it, and "database is locked" cannot come from them. PostgreSQL ignores the option."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def byte_order(dialect: str) -> str:
    """The SQL after a text to sort it by its bytes, as SQLite does: PostgreSQL sorts by the
    server's collation (fr-FR ignores case and punctuation at first), so files listing skus or
    orders came out in another order than on the embedded default."""
    return ' COLLATE "C"' if dialect == "postgresql" else ""


def _retryable(error: Exception) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def in_transaction(engine: Engine, work: Callable[[Session], T], *, retries: int = 3) -> T:
    """Run `work` in one transaction, committed at the end, retried whole on transient errors."""
    for attempt in range(retries + 1):
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                return work(session)
        except DBAPIError as error:
            if attempt == retries or not _retryable(error):
                raise
            log.warning("transient database error, retrying the transaction (%s)", type(error).__name__)
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")
