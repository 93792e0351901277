"""The quality calendar: the 6-month window in Paris dates and the acceptance deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from reports.quality_calendar import acceptance_deadlines, quality_window, whole_months


def _deadline(utc_text: str) -> str:
    series = pd.Series(pd.to_datetime([utc_text]).astype("datetime64[us]"))
    return str(acceptance_deadlines(series).iloc[0])


def test_window_is_six_months_by_paris_dates_across_the_clock_change():
    window = quality_window(date(2026, 11, 21))
    # 2026-11-21 minus 6 months = 2026-05-21, the window starts the day after: 2026-05-22.
    assert window.first_day == date(2026, 5, 22)
    # 2026-05-22 00:00 in Paris is summer time (UTC+2) → 2026-05-21 22:00 UTC;
    # the end of D, 2026-11-22 00:00 in Paris, is winter time (UTC+1) → 2026-11-21 23:00 UTC.
    assert window.start_utc == datetime(2026, 5, 21, 22, tzinfo=UTC)
    assert window.end_utc == datetime(2026, 11, 21, 23, tzinfo=UTC)


def test_window_of_a_month_end_clamps():
    # 2026-08-31 minus 6 months: February has no 31st → 2026-02-28; the window starts 2026-03-01.
    assert quality_window(date(2026, 8, 31)).first_day == date(2026, 3, 1)


def test_deadline_of_a_friday_order_before_easter_monday_is_wednesday():
    # Friday 2027-03-26 10:30 Paris (UTC+1) = 09:30 UTC. Monday 29 is Easter Monday (holiday):
    # working days after Friday are Tuesday 30 (1st) and Wednesday 31 (2nd) → Wednesday 31
    # March 10:30 Paris, summer time since the 28th (UTC+2) → 08:30 UTC. (Not Tuesday: Tuesday is
    # only the first working day after the order.)
    assert _deadline("2027-03-26 09:30") == "2027-03-31 08:30:00"


def test_deadline_of_a_weekend_order_counts_from_the_next_working_day():
    # Saturday 2027-03-27 → counts from Tuesday 30 00:00 (Monday is Easter Monday); two working
    # days after that: Wednesday 31 (1st), Thursday 1 April (2nd) at 00:00 Paris (UTC+2)
    # → 2027-03-31 22:00 UTC.
    assert _deadline("2027-03-27 10:00") == "2027-03-31 22:00:00"


def test_deadline_of_a_monday_order_is_wednesday_same_time():
    # Monday 2026-11-16 10:00 Paris (UTC+1) = 09:00 UTC → Wednesday 18 10:00 Paris = 09:00 UTC.
    assert _deadline("2026-11-16 09:00") == "2026-11-18 09:00:00"


def test_seniority_counts_whole_months():
    starts = pd.Series([date(2026, 5, 22), date(2026, 5, 21), date(2026, 8, 31)])
    # 2026-05-22 → 2026-11-21: 5 months 30 days → 5; 2026-05-21 → 2026-11-21: 6 months.
    assert whole_months(starts, date(2026, 11, 21)).tolist()[:2] == [5, 6]
    # 2026-08-31 → 2027-02-28: 5 months (the 31st is not reached in February)
    assert whole_months(starts, date(2027, 2, 28)).tolist()[2] == 5


def test_seniority_of_a_seller_activated_after_the_night_is_zero():
    """A past night re-run with today's registry: a seller activated since has no seniority yet,
    not "-4 months"."""
    starts = pd.Series([date(2026, 6, 15), date(2026, 2, 28)])
    assert whole_months(starts, date(2026, 2, 28)).tolist() == [0, 0]
