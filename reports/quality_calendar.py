"""The calendar of the quality report: its 6-month window and the order acceptance deadline.

Business dates are Europe/Paris (quality.md): an event belongs to the window by its Paris
calendar date, so the window is turned once into UTC bounds [start, end) — the Paris midnight
that opens its first day and the one after D — and every comparison is then made on UTC
timestamps, on both databases. The deadline is "the same clock time on the second working day
after the order" (Monday to Friday except French public holidays, from the `holidays` package);
an order placed on a non-working day counts from the start of the next working day. Clock times
are safe to carry over because the deadline always falls on a working day, and the EU changes
its clocks on Sundays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

PARIS = ZoneInfo("Europe/Paris")
WINDOW_MONTHS = 6
WORKING_DAYS_TO_DECIDE = 2


class NightAhead(ValueError):
    """A report date after today (Europe/Paris)."""


def refuse_night_ahead(report_date: date, today: date) -> None:
    """A night that has not come yet has no figures, and its status changes would enter the
    sellers' history dated ahead of time (a mistyped year, most often): ops are told, nothing
    is computed. Today itself is allowed (an evening run, re-run the next morning)."""
    if report_date > today:
        raise NightAhead(f"La date {report_date} est dans le futur (aujourd'hui : {today}) /"
                         f" the date {report_date} is in the future (today: {today})")


@dataclass(frozen=True)
class Window:
    """The report date D and its window [first, D], with its UTC bounds [start_utc, end_utc)."""

    report_date: date
    first_day: date
    start_utc: datetime
    end_utc: datetime


def paris_midnight_utc(day: date) -> datetime:
    """The UTC instant at which `day` starts in Paris."""
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


def quality_window(report_date: date) -> Window:
    """From the day after the same date six months earlier through D (month ends clamp:
    D = 2026-08-31 → six months earlier is 2026-02-28 → the window starts 2026-03-01)."""
    first = report_date - relativedelta(months=WINDOW_MONTHS) + timedelta(days=1)
    return Window(report_date, first, paris_midnight_utc(first),
                  paris_midnight_utc(report_date + timedelta(days=1)))


def whole_months(start: pd.Series, end: date) -> pd.Series:
    """Whole months from each `start` date to `end` (5 months 30 days → 5; the same day six
    months on → 6; a month-end start clamps like the window: 2026-08-31 → 2027-02-28 is 5);
    0 for a start after `end` (a past night re-run with a seller activated since)."""
    stamps = pd.to_datetime(start)
    months = (end.year - stamps.dt.year) * 12 + (end.month - stamps.dt.month)
    return (months - (end.day < stamps.dt.day).astype("int64")).clip(lower=0).astype("Int64")


def is_working_day(day: date, french_holidays: holidays.HolidayBase) -> bool:
    return day.weekday() < 5 and day not in french_holidays


def _deadline_table(first: date, last: date) -> pd.DataFrame:
    """For each Paris date in [first, last]: the deadline's date and whether the order's clock
    time is kept (a working day) or the deadline is that day's midnight (a non-working day)."""
    french = holidays.France(years=range(first.year, last.year + 2))
    days = [first + timedelta(days=n) for n in range((last - first).days + 15)]
    working = [is_working_day(day, french) for day in days]
    working_index = [i for i, ok in enumerate(working) if ok]
    rows = []
    for i, day in enumerate(days[: (last - first).days + 1]):
        # the order counts from `day` itself, or from the start (00:00) of the next working day;
        # the deadline is the second working day after that one
        start = next(j for j in working_index if j >= i)
        later = [j for j in working_index if j > start]
        rows.append((day, days[later[WORKING_DAYS_TO_DECIDE - 1]], working[i]))
    return pd.DataFrame(rows, columns=["day", "deadline_day", "keeps_time"])


def acceptance_deadlines(ordered_at: pd.Series) -> pd.Series:
    """The acceptance deadline (naive UTC) of each order time (naive UTC), vectorised: one
    calendar lookup per distinct Paris date, never a Python step per order."""
    if ordered_at.empty:
        return ordered_at.copy()
    local = ordered_at.dt.tz_localize(UTC).dt.tz_convert(PARIS)
    local_day = local.dt.tz_localize(None).dt.normalize()
    table = _deadline_table(local_day.min().date(), local_day.max().date())
    table_days = pd.to_datetime(table["day"]).to_numpy()
    position = np.searchsorted(table_days, local_day.to_numpy())
    deadline_day = pd.to_datetime(table["deadline_day"]).to_numpy()[position]
    keeps = table["keeps_time"].to_numpy()[position]
    clock = (local.dt.tz_localize(None) - local_day).to_numpy()
    local_deadline = pd.Series(deadline_day + np.where(keeps, clock, np.timedelta64(0, "us")),
                               index=ordered_at.index)
    return local_deadline.dt.tz_localize(PARIS).dt.tz_convert(UTC).dt.tz_localize(None)


def paris_local(moments: pd.Series) -> pd.Series:
    """Naive UTC timestamps as naive Paris wall-clock times (what a spreadsheet should show)."""
    return moments.dt.tz_localize(UTC).dt.tz_convert(PARIS).dt.tz_localize(None)
