"""The quality history in the catalog: one night's rows replaced at once, earlier nights read.

Re-running a night deletes that night's indicator rows and status changes and writes them again
in one transaction: the same figures, no duplicates. Running a past night reads the state of
the night stored just before it and rewrites that night only; the later nights keep their rows
until they are re-run, in date order (docs/decisions.md, "Quality report"). A night counts as
the one before only once its files are published (`quality_nights`): the changes of a night
that failed to publish are found again, and reported, by the next night.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from marketplace.db import in_transaction
from marketplace.models import QualityIndicators, QualityNight, QualityStatusChange, utcnow

TREND_REPORTS = 30
_PUBLISHED = "SELECT report_date FROM quality_nights WHERE published_at IS NOT NULL"


def previous_states(engine: Engine, report_date: date) -> pd.DataFrame:
    """Each seller's status, probation start and Top Seller on the last published night before
    `report_date`."""
    query = text(
        "SELECT q.seller_id, q.status, q.probation_since, q.top_seller FROM quality_indicators q"
        " JOIN (SELECT seller_id, max(report_date) AS last_date FROM quality_indicators"
        f"       WHERE report_date < :day AND report_date IN ({_PUBLISHED}) GROUP BY seller_id) l"
        " ON l.seller_id = q.seller_id AND l.last_date = q.report_date"
    ).bindparams(day=report_date)
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["seller_id"] = frame["seller_id"].astype("int64")
    frame["probation_since"] = pd.to_datetime(frame["probation_since"]).dt.date
    frame["top_seller"] = frame["top_seller"].astype(bool)
    return frame.set_index("seller_id")


def save_night(engine: Engine, report_date: date, rows: list[dict], changes: list[dict]) -> None:
    """Replace the night's indicator rows and status changes, all or nothing; a new night is
    not published until `mark_published`, and one published before stays so (sellers read its
    files: a re-run that fails to write must not have the next night report it again)."""

    def work(session: Session) -> None:
        session.execute(delete(QualityIndicators).where(QualityIndicators.report_date == report_date))
        session.execute(delete(QualityStatusChange).where(QualityStatusChange.report_date == report_date))
        # an earlier night that failed to publish had its changes in no file: this night,
        # whose previous night is the last published one, records them again
        unpublished = select(QualityNight.report_date).where(QualityNight.published_at.is_(None),
                                                             QualityNight.report_date < report_date)
        session.execute(delete(QualityStatusChange).where(
            QualityStatusChange.report_date.in_(unpublished)))
        if session.get(QualityNight, report_date) is None:
            session.add(QualityNight(report_date=report_date, published_at=None))
        if rows:
            session.execute(insert(QualityIndicators), rows)
        if changes:
            session.execute(insert(QualityStatusChange), changes)

    in_transaction(engine, work)


def mark_published(engine: Engine, report_date: date) -> None:
    """The night's files are all written: it is the previous night of the next one."""
    in_transaction(engine, lambda session: session.execute(
        update(QualityNight).where(QualityNight.report_date == report_date)
        .values(published_at=utcnow())))


def read_trend(engine: Engine, report_date: date) -> pd.DataFrame:
    """The last `TREND_REPORTS` published nights before `report_date`, and that night: per seller
    and night, the score, Top Seller, status and the rates' numerators and denominators (for
    the trend charts)."""
    query = text(
        "SELECT report_date, seller_id, score_tenths, top_seller, status, acceptance_num,"
        " acceptance_den, late_num, late_den FROM quality_indicators WHERE report_date IN"
        " (SELECT DISTINCT report_date FROM quality_indicators WHERE report_date = :day OR"
        f"  (report_date < :day AND report_date IN ({_PUBLISHED}))"
        "  ORDER BY report_date DESC LIMIT :n) ORDER BY seller_id, report_date"
    ).bindparams(day=report_date, n=TREND_REPORTS)
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["report_date"] = pd.to_datetime(frame["report_date"]).dt.date
    frame["top_seller"] = frame["top_seller"].astype(bool)
    frame["seller_id"] = frame["seller_id"].astype("int64")
    return frame
