"""The calendar of a payout month: its Paris bounds as UTC instants, its days, the bank's next
working day.

Why here: the ledger compares stored UTC timestamps with "the month M in Paris" (an order
delivered at 23:59 on the 31st in Paris is October's, one at 00:00 on the 1st is November's),
so the bounds are computed once from the Paris wall clock, DST included, and handed to SQL as
bound UTC instants (SQLite has no time zones).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from marketplace.calendar import PARIS
from marketplace.errors import MarketplaceError

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


FIRST_YEAR, LAST_YEAR = 2000, 2099
"""The years a payout month may name: a typo outside them is a usage error, not a crash."""


class BadMonth(MarketplaceError, ValueError):
    """A month that is not written YYYY-MM."""


@dataclass(frozen=True)
class PayoutMonth:
    """Month M: its first and last days, and [start, end) as aware UTC instants."""

    key: str  # YYYY-MM
    first_day: date
    last_day: date
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return self.last_day.day

    @property
    def next_key(self) -> str:
        following = self.last_day + timedelta(days=1)
        return f"{following.year:04d}-{following.month:02d}"

    @property
    def previous_key(self) -> str:
        before = self.first_day - timedelta(days=1)
        return f"{before.year:04d}-{before.month:02d}"


def parse_month(text: str, timezone: str = PARIS) -> PayoutMonth:
    """The month written YYYY-MM; BadMonth otherwise."""
    match = _MONTH.fullmatch(text or "")
    if not match:
        raise BadMonth(f"month must be written YYYY-MM, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:  # 0000 or 9999 broke the date arithmetic (exit 4)
        raise BadMonth(f"month must be within {FIRST_YEAR}-{LAST_YEAR}, got {text!r}")
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return PayoutMonth(text, first, last, paris_midnight(first, timezone),
                       paris_midnight(last + timedelta(days=1), timezone))


def paris_midnight(day: date, timezone: str = PARIS) -> datetime:
    """00:00 of `day` on the Paris wall clock, as an aware UTC instant."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def next_working_day(after: date) -> date:
    """The first French bank working day strictly after `after` (no weekend, no public holiday)."""
    public = holidays.France(years=range(after.year, after.year + 2))
    day = after + timedelta(days=1)
    while day.weekday() >= 5 or day in public:
        day += timedelta(days=1)
    return day
