"""The catalog on a PostgreSQL server as it comes: migrations that match the models, run by commands
starting together, and a server collation that must not change what files list."""

from __future__ import annotations

from datetime import date

from alembic import command
from alembic.script import ScriptDirectory

from marketplace.migrate import alembic_config, upgrade
from tests.helpers import add_seller


def test_models_match_migrations(engine):
    url = engine.url.render_as_string(hide_password=False)
    command.check(alembic_config(url, engine))  # raises when autogenerate finds a difference


def test_upgrade_twice_is_a_no_op(engine):
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    assert version == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_a_catalog_whose_0012_already_added_the_activation_date_reaches_head(engine):
    """A first version of 0012, committed for a few hours, added `activated_at`; 0013 added it
    again: "duplicate column name", and every command failed on such a catalog."""
    url = engine.url.render_as_string(hide_password=False)
    config = alembic_config(url, engine)
    command.downgrade(config, "0012")
    add_seller(engine, 1)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE quality_indicators ADD COLUMN activated_at DATE")
        connection.exec_driver_sql("UPDATE sellers SET activated_at = '2026-09-01'")
        connection.exec_driver_sql(  # what that night read, before the registry was corrected
            "INSERT INTO quality_indicators (report_date, seller_id, window_start, window_end,"
            " registry_status, order_count, rating_points, rating_den, acceptance_num,"
            " acceptance_den, claim_num, claim_den, refund_num, refund_den, tracking_num,"
            " tracking_den, late_num, late_den, response_seconds, response_den,"
            " response_unanswered, top_seller, top_seller_missing, status, status_change,"
            " computed_at, activated_at) VALUES ('2026-11-22', 1, '2026-05-23', '2026-11-22',"
            " 'active', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, '', 'active', '',"
            " '2026-11-23 01:00:00', '2026-01-12')")
    upgrade(engine)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        kept = connection.exec_driver_sql("SELECT activated_at FROM quality_indicators").scalar_one()
    assert version == "0013"
    assert str(kept) == "2026-01-12"  # not the registry's corrected date


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


def test_commands_starting_together_on_a_new_postgresql_catalog_all_migrate_it(postgres_engine):
    """Each found the schema missing and created it: all but one failed (exit 4) on
    `alembic_version` already existing. The migration's advisory lock makes them queue.
    Processes, as in production (Alembic's context is one per process)."""
    import subprocess
    import sys
    from pathlib import Path

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from marketplace.db import make_engine

    fresh = make_url(postgres_engine.url).set(database="test_migration_race")
    url = fresh.render_as_string(hide_password=False)
    admin = postgres_engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS test_migration_race"))
        connection.execute(text("CREATE DATABASE test_migration_race"))
    code = ("import sys; from marketplace.db import make_engine;"
            " from marketplace.migrate import upgrade; upgrade(make_engine(sys.argv[1]))")
    try:
        runs = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE,
                                 cwd=Path(__file__).resolve().parent.parent) for _ in range(6)]
        failed = [run.stderr.read().decode()[-800:] for run in runs if run.wait(timeout=120)]
        assert failed == []
        engine = make_engine(url)
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        engine.dispose()
        assert version == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    finally:
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS test_migration_race"))


def test_export_lists_skus_in_byte_order_on_a_french_collated_server(postgres_engine):
    """A server created with the fr-FR collation (usual on French hosts) sorted `a-b` before
    `A/B` and `Abc_3` before `ABC-2`: the export came out in another order than SQLite's."""
    import io
    from decimal import Decimal

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import Session

    from marketplace.db import make_engine
    from marketplace.models import Offer
    from reports.offers_export import export_offers
    from tests.helpers import add_seller

    admin = postgres_engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS test_french_collation"))
        connection.execute(text("CREATE DATABASE test_french_collation TEMPLATE template0"
                                " LOCALE_PROVIDER icu ICU_LOCALE 'fr-FR' LOCALE 'C.UTF-8'"))
    url = make_url(postgres_engine.url).set(database="test_french_collation")
    engine = make_engine(url.render_as_string(hide_password=False))
    skus = ["zz", "a-b", "ABC-2", "A/B", "Abc_3", "ZZ-1", "a.b"]
    try:
        upgrade(engine)
        add_seller(engine, 7)
        with Session(engine) as session, session.begin():
            session.add_all(Offer(seller_id=7, sku=sku, title=sku, category="livres",
                                  price=Decimal("1.00")) for sku in skus)
        out = io.StringIO()
        export_offers(engine, out)
        assert [line.split(",")[1] for line in out.getvalue().splitlines()[1:]] == sorted(skus)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS test_french_collation"))


def _sqlite_catalog_at(tmp_path, revision: str):
    """A SQLite catalog migrated up to `revision`, for a migration's data step: its URL, engine."""
    from marketplace.db import make_engine

    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(url, engine), revision)
    return url, engine


def test_migration_0010_keeps_the_replaces_applied_before_it(tmp_path):
    """Every applied file was taken for an update's: an old replace file sent again applied a
    second time and withdrew the offers loaded since."""
    url, engine = _sqlite_catalog_at(tmp_path, "0009")
    with engine.begin() as connection:
        for import_id, mode in ((1, "replace"), (2, "update"), (3, None)):
            connection.exec_driver_sql(
                "INSERT INTO imports (id, kind, file_name, source, sha256, size_bytes, status,"
                " received_at, rows_read, rows_loaded, rows_rejected, warnings, mode) VALUES"
                " (?, 'offers', 'f.csv', 'f.csv', ?, 1, 'loaded', '2026-12-01 00:00:00', 1, 1, 0,"
                " 0, ?)", (import_id, f"sha{import_id}", mode))
            connection.exec_driver_sql(
                "INSERT INTO applied_files (kind, seller_scope, sha256, import_id, applied_at)"
                " VALUES ('offers', 7, ?, ?, '2026-12-01 00:00:00')", (f"sha{import_id}", import_id))
    command.upgrade(alembic_config(url, engine), "head")
    with engine.connect() as connection:
        modes = connection.exec_driver_sql(
            "SELECT import_id, mode FROM applied_files ORDER BY import_id").all()
    assert modes == [(1, "replace"), (2, "update"), (3, "update")]


def test_migration_0011_counts_the_nights_stored_before_it_as_published(tmp_path):
    """Their files were written: read as unpublished, the next night would compare with no night
    at all and every probation would start again."""
    from reports.quality_store import previous_states

    url, engine = _sqlite_catalog_at(tmp_path, "0010")
    with engine.begin() as connection:
        counts = ("rating_points", "rating_den", "acceptance_num", "acceptance_den", "claim_num",
                  "claim_den", "refund_num", "refund_den", "tracking_num", "tracking_den",
                  "late_num", "late_den", "response_seconds", "response_den", "response_unanswered")
        connection.exec_driver_sql(
            "INSERT INTO quality_indicators (report_date, seller_id, window_start, window_end,"
            f" registry_status, order_count, status, probation_since, top_seller, {', '.join(counts)},"
            " top_seller_missing, status_change, computed_at) VALUES ('2026-11-30', 7, '2026-06-01',"
            f" '2026-11-30', 'active', 10, 'probation', '2026-11-20', 0, {', '.join('0' * len(counts))},"
            " '', '', '2026-11-30 01:00:00')")
    command.upgrade(alembic_config(url, engine), "head")
    assert previous_states(engine, date(2026, 12, 1)).loc[7, "probation_since"] == date(2026, 11, 20)
