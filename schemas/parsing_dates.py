"""Vectorised date and date-time parsers shared by the feeds (sellers, orders, promotions).

Files come from Excel in France and from other systems, so three shapes are accepted:
ISO dates (`2024-03-01`), French day-first dates (`01/03/2024`, `01-03-2024`, optionally
followed by a time) and ISO date-times with or without an offset (`2024-03-01T09:30:00+01:00`,
`2024-03-01 09:30:00` as Excel writes a date cell).

Ambiguity decision: a date is never read month-first. `03/04/2024` is the 3rd of April; an
American `04/13/2024` is unreadable (there is no month 13) and is reported, never swapped
silently, because a silently swapped date moves payouts and deadlines without anyone seeing it.
Years outside 1900-2199 are unreadable too: they are typos (`0224`), not business dates.
Excel serial numbers (`45352`) are not dates: the cell was formatted as a number.

Date-times without an offset are local time in `timezone` (Europe/Paris for the marketplace).
In the autumn hour that happens twice, they are read as the first one (summer time); in the
spring hour that does not exist, they move forward to the first valid instant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_TIME = (
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_ISO = r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})" + _TIME + "$"
_FRENCH = r"^(?P<day>\d{1,2})(?P<sep>[/-])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4})" + _TIME + "$"
_COMPONENTS = ["year", "month", "day", "hour", "minute", "second"]
MIN_YEAR, MAX_YEAR = 1900, 2199
MAX_OFFSET_MINUTES = 14 * 60  # the widest real UTC offsets are -12:00 and +14:00


def _components(texts: pd.Series) -> pd.DataFrame:
    """The named parts of every readable shape (NaN where a text has no such part)."""
    iso = texts.str.extract(_ISO)
    french = texts.str.extract(_FRENCH).drop(columns="sep")
    return iso.combine_first(french)


def _offsets(offset: pd.Series) -> pd.Series:
    """`+01:00`, `-0530`, `+02`, `Z` → offset from UTC as a Timedelta (NaT if impossible)."""
    parts = offset.str.extract(r"^(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})?$")
    minutes = parts["hours"].astype(float) * 60 + parts["minutes"].fillna("0").astype(float)
    minutes = minutes.where(parts["sign"] != "-", -minutes)
    minutes = minutes.where(offset != "Z", 0.0)
    minutes = minutes.where(minutes.abs() <= MAX_OFFSET_MINUTES)
    return pd.to_timedelta(minutes, unit="min")


def parse_datetimes(
    texts: pd.Series, timezone: str = "Europe/Paris"
) -> tuple[pd.Series, pd.Series]:
    """Instants as UTC timestamps (`datetime64[ns, UTC]`); returns (values, unreadable).

    `texts` is stripped cell text ("" for empty). A date alone is midnight local time. Empty
    cells give NaT and are not unreadable.
    """
    parts = _components(texts)
    numbers = parts[_COMPONENTS].astype(float)
    numbers[["hour", "minute", "second"]] = numbers[["hour", "minute", "second"]].fillna(0)
    numbers["us"] = parts["fraction"].fillna("0").str.ljust(6, "0").str.slice(0, 6).astype(float)
    in_range = (
        numbers["year"].between(MIN_YEAR, MAX_YEAR)
        & (numbers["hour"] <= 23)
        & (numbers["minute"] <= 59)
        & (numbers["second"] <= 59)
    )
    wall = pd.to_datetime(numbers.where(in_range), errors="coerce").astype("datetime64[ns]")

    offset = parts["offset"]
    has_offset = offset.notna()
    values = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[ns, UTC]")
    values[has_offset] = (wall[has_offset] - _offsets(offset[has_offset])).dt.tz_localize("UTC")
    local = wall[~has_offset].dt.tz_localize(
        timezone,
        ambiguous=np.ones(int((~has_offset).sum()), dtype=bool),
        nonexistent="shift_forward",
    )
    values[~has_offset] = local.dt.tz_convert("UTC")
    unreadable = (texts != "") & values.isna()
    return values, unreadable


def parse_dates(texts: pd.Series, timezone: str = "Europe/Paris") -> tuple[pd.Series, pd.Series]:
    """Calendar dates (naive `datetime64[ns]` at midnight); returns (values, unreadable).

    A date-time with an offset gives its date in `timezone` (`2024-03-31T23:30:00Z` is the
    1st of April in Paris); one without an offset gives the date as written.
    """
    instants, unreadable = parse_datetimes(texts, timezone)
    return instants.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize(), unreadable
