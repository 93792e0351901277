"""Invoice numbers: one unbroken series per (series, year), drawn in the invoice's transaction.

Why a counter row and not a sequence (reliability.md): a sequence hands out numbers outside
the transaction, so a rollback leaves a gap, and French invoice numbering must be continuous.
Here the counter row is locked (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the engine's
BEGIN IMMEDIATE already serialises writers) and advanced in the caller's transaction: a
rollback gives the numbers back, and a concurrent run waits for the row, then sees the
invoices the first one committed.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.models import InvoiceCounter

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def lock_counter(connection: Connection, series: str, year: int) -> None:
    """Lock the (series, year) counter until the transaction ends.

    The row is created at 0 when the year's first invoice is issued (ON CONFLICT DO NOTHING,
    so two first runs of a year do not collide).
    """
    insert = _INSERT[connection.dialect.name]
    connection.execute(insert(InvoiceCounter)
                       .values(series=series, year=year, last_number=0)
                       .on_conflict_do_nothing(index_elements=["series", "year"]))
    query = (select(InvoiceCounter.last_number)
             .where(InvoiceCounter.series == series, InvoiceCounter.year == year)
             .with_for_update())
    connection.execute(query).scalar_one()


def advance_counter(connection: Connection, series: str, year: int, count: int) -> int:
    """Take the next `count` numbers of a locked counter; return the first of them."""
    last = connection.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.series == series, InvoiceCounter.year == year)
        .values(last_number=InvoiceCounter.last_number + count)
        .returning(InvoiceCounter.last_number)
    ).scalar_one()
    return last - count + 1
