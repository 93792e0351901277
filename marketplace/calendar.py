"""Business dates of the scheduled runs, in the marketplace's time zone (Europe/Paris).

A schedule fires at a Paris wall-clock time, but the machine running it may think in UTC:
at 00:30 in Paris on 1 January, UTC still says 31 December. The nightly report is about
"yesterday in Paris" and the payouts about "last month in Paris", so both are computed here
from one aware instant, never from `date.today()` or a naive `datetime.now()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = "Europe/Paris"


def _aware_now(now: datetime | None) -> datetime:
    """`now`, or the current instant; a naive datetime is refused (its zone would be a guess)."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (a naive datetime has no business date)")
    return now


def now_utc() -> datetime:
    """The current instant, as file checks read it ("not already over", history times): one
    clock, so that a test suite can pin it and a file dated next month stays next month."""
    return datetime.now(UTC)


def paris_today(now: datetime | None = None, timezone: str = PARIS) -> date:
    """The business date at the instant `now` (default: the current instant)."""
    return _aware_now(now).astimezone(ZoneInfo(timezone)).date()


def default_report_date(now: datetime | None = None, timezone: str = PARIS) -> date:
    """The day the nightly quality report covers: yesterday in Paris."""
    return paris_today(now, timezone) - timedelta(days=1)


def previous_month(now: datetime | None = None, timezone: str = PARIS) -> str:
    """The month ("YYYY-MM") the monthly payouts cover: the one before the current Paris month."""
    last_day = paris_today(now, timezone).replace(day=1) - timedelta(days=1)
    return f"{last_day.year:04d}-{last_day.month:02d}"
