"""The orders behind the quality indicators: read once per night, one flag per rule.

One query reads the orders that have an event in the window (placed, accepted, shipped,
delivered, rated or questioned in it: a pre-order placed in February counts by its June
delivery, a rating given months later by its date), then every rule of quality.md is a
vectorised column over that frame, so the seller totals are one group-by and the seller
workbooks can list the very orders behind each figure. Events after the end of D are ignored: a
night re-run later (or a past D) sees the orders as they were known at the end of D, as far as
the stored state allows.

PostgreSQL streams the rows with COPY and sends timestamps as epoch microseconds (exact in a
float64: below 2**53), which is several times faster than row-by-row fetching; SQLite returns
its stored text, parsed here. Timestamps are naive UTC throughout.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from reports.quality_calendar import PARIS, Window, acceptance_deadlines

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
TIME_COLUMNS = [
    "ordered_at", "accepted_at", "refused_at", "shipped_at", "estimated_delivery_at",
    "delivered_at", "refunded_at", "claim_opened_at", "question_at", "answered_at", "rated_at",
]
RATING_ASPECTS = ["rating_delivery_place", "rating_on_time", "rating_care", "rating_conformity",
                  "rating_packaging"]
# the events by which an order counts in a window (quality.md: each indicator by its own event)
WINDOW_EVENTS = ("ordered_at", "accepted_at", "shipped_at", "delivered_at", "rated_at", "question_at")
PROBLEMS = ("late", "claimed", "refunded", "expired", "untracked")


def _select(postgres: bool) -> str:
    def ts(column: str) -> str:
        return f"(extract(epoch from {column}) * 1000000)::float8 AS {column}" if postgres else column

    return (
        "SELECT order_id, seller_id, " + ", ".join(ts(c) for c in TIME_COLUMNS) + ", delivery,"
        " CASE WHEN tracking_number IS NOT NULL AND tracking_number <> '' THEN 1 ELSE 0 END"
        " AS has_tracking,"
        " CASE WHEN refund_reason = 'spontaneous' THEN 1 ELSE 0 END AS spontaneous, "
        + " + ".join(RATING_ASPECTS) + " AS rating_points"
        " FROM orders WHERE ordered_at < {hi} AND ("
        + " OR ".join(f"{column} >= {{lo}}" for column in WINDOW_EVENTS) + ")"
    )


def read_window_orders(engine: Engine, window: Window) -> pd.DataFrame:
    """The orders that may count for `window`, timestamps as naive-UTC datetime64[us]."""
    low, high = window.start_utc, window.end_utc
    if engine.dialect.name == "postgresql":
        sql = _select(True).format(lo="%(lo)s", hi="%(hi)s")
        buffer = io.BytesIO()
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor, cursor.copy(
                f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", {"lo": low, "hi": high}
            ) as copy:
                for block in copy:
                    buffer.write(block)
        finally:
            raw.close()
        buffer.seek(0)
        # COPY writes NULL as an empty field, and only that is missing: an order id "NA" or
        # "null" is a seller's text (pandas' default missing words made it NaN, shown "nan")
        frame = pd.read_csv(buffer, dtype={"order_id": str, "delivery": str, "seller_id": "int64"},
                            keep_default_na=False, na_values=[""])
        for column in TIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], unit="us").astype("datetime64[us]")
    else:
        sql = _select(False).format(lo=":lo", hi=":hi")
        # SQLite holds SQLAlchemy's text form of naive UTC: compare like with like
        naive = {"lo": low.strftime(SQLITE_TIME), "hi": high.strftime(SQLITE_TIME)}
        with engine.connect() as connection:
            frame = pd.read_sql(text(sql), connection, params=naive)
        for column in TIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], format="ISO8601").astype("datetime64[us]")
        frame["seller_id"] = frame["seller_id"].astype("int64")
    frame["rating_points"] = pd.to_numeric(frame["rating_points"]).astype("Int64")
    return frame


def _naive(moment) -> np.datetime64:
    return np.datetime64(moment.replace(tzinfo=None), "us")


def order_flags(orders: pd.DataFrame, window: Window) -> pd.DataFrame:
    """One boolean column per numerator and denominator of quality.md, per order.

    An event counts when it happened before the end of D; "in the window" is by Paris date,
    i.e. between the window's UTC bounds.
    """
    start, end = _naive(window.start_utc), _naive(window.end_utc)

    def known(column: str) -> pd.Series:
        return orders[column].notna() & (orders[column] < end)

    def in_window(column: str) -> pd.Series:
        return known(column) & (orders[column] >= start)

    flags = pd.DataFrame({"seller_id": orders["seller_id"]}, index=orders.index)
    deadline = acceptance_deadlines(orders["ordered_at"])
    flags["deadline"] = deadline
    placed = in_window("ordered_at")
    accepted_in_time = known("accepted_at") & (orders["accepted_at"] <= deadline)
    refused_in_time = known("refused_at") & (orders["refused_at"] <= deadline)
    # expired: no decision by a deadline that has passed at the end of D; still within it: left out
    expired = ~accepted_in_time & ~refused_in_time & (deadline < end)
    flags["acceptance_num"] = placed & accepted_in_time
    flags["acceptance_den"] = placed & (accepted_in_time | refused_in_time | expired)
    flags["expired"] = placed & expired
    flags["overdue"] = flags["expired"] & ~known("accepted_at") & ~known("refused_at")
    accepted = in_window("accepted_at")
    flags["claim_den"] = accepted
    flags["claim_num"] = flags["claimed"] = accepted & known("claim_opened_at")
    flags["refund_den"] = accepted
    flags["refund_num"] = flags["refunded"] = (accepted & known("refunded_at")
                                               & (orders["spontaneous"] == 1))
    flags["tracking_den"] = in_window("shipped_at") & (orders["delivery"] == "tracked")
    flags["tracking_num"] = flags["tracking_den"] & (orders["has_tracking"] == 1)
    flags["untracked"] = flags["tracking_den"] & ~flags["tracking_num"]
    flags["late_den"] = in_window("delivered_at") & orders["estimated_delivery_at"].notna()
    flags["late_num"] = flags["late"] = flags["late_den"] & (
        _paris_day(orders["delivered_at"]) > _paris_day(orders["estimated_delivery_at"]))
    flags["rating_den"] = in_window("rated_at") & orders["rating_points"].notna()
    flags["rating_points"] = orders["rating_points"].where(flags["rating_den"], 0).fillna(0).astype("int64")
    asked = in_window("question_at")
    answered_at = orders["answered_at"].where(known("answered_at"), end)
    seconds = (answered_at - orders["question_at"]).dt.total_seconds()
    flags["response_den"] = asked
    flags["response_seconds"] = np.where(asked, np.floor(seconds.fillna(0)), 0).astype("int64")
    flags["response_unanswered"] = asked & ~known("answered_at")
    return flags


def _paris_day(moments: pd.Series) -> pd.Series:
    return moments.dt.tz_localize("UTC").dt.tz_convert(PARIS).dt.normalize().dt.tz_localize(None)


def problem_orders(orders: pd.DataFrame, flags: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The orders behind each bad figure (late, claimed, refunded, expired, untracked): one row
    per order and problem, for the seller workbooks.

    Each order as it stood at the end of D, like the figures: an event after it (delivered the
    next morning) is left empty, not listed beside a figure that ignores it.
    """
    parts = []
    for problem in PROBLEMS:
        chosen = flags[problem]
        part = orders.loc[chosen, ["seller_id", "order_id", "ordered_at", "accepted_at",
                                   "refused_at", "estimated_delivery_at", "delivered_at"]].copy()
        part["deadline"] = flags.loc[chosen, "deadline"]
        part.insert(0, "problem", problem)
        parts.append(part)
    listed = pd.concat(parts, ignore_index=True)
    end = _naive(window.end_utc)
    for column in ("accepted_at", "refused_at", "delivered_at"):
        listed[column] = listed[column].where(listed[column] < end)
    return listed.sort_values(["seller_id", "problem", "order_id"], kind="stable", ignore_index=True)


def overdue_orders(orders: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Orders of the window past their deadline with no decision at the end of D."""
    chosen = flags["overdue"]
    frame = orders.loc[chosen, ["order_id", "seller_id", "ordered_at"]].copy()
    frame["deadline"] = flags.loc[chosen, "deadline"]
    return frame.sort_values(["deadline", "order_id"], kind="stable", ignore_index=True)
