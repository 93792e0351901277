"""Vectorised date and date-time parsers shared by the feeds (sellers, orders, promotions).

Files come from Excel in France and from other systems, so three shapes are accepted:
ISO dates (`2024-03-01`), French day-first dates (`01/03/2024`, `01-03-2024`, optionally
followed by a time) and ISO date-times with or without an offset (`2024-03-01T09:30:00+01:00`,
`2024-03-01 09:30:00` as Excel writes a date cell).

What French Excel writes when a date column is formatted otherwise is read too: a long date
(`lundi 14 décembre 2026`, `mar. 15 déc. 2026`, `14 déc. 2026`, `1er mars 2027`; a day name
that is not the date's makes it unreadable: which did the seller mean?), dots
(`14.12.2026`), a two-digit year (`14/12/26` or `14-12-26`: 2026, Excel's own rule: 00-29 are
20xx, 30-99 19xx) and a time in the French
way (`08h00`, `8h`, `à 8h30`, `à 08:30`), also after an ISO date (an Excel date cell joined
to the hour of an `heure début` column: `2026-12-10 8h00`), and `14-déc-26` (French Excel's
`jj-mmm-aa`).
They are rewritten into the shapes above first, only for the cells that look like one, so a
file of plain dates pays one vectorised scan.

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

import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.parsing import per_distinct

_TIME = (
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_ISO_DATE = r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
_FRENCH_DATES = [rf"^(?P<day>\d{{1,2}}){sep}(?P<month>\d{{1,2}}){sep}(?P<year>\d{{4}})"
                 for sep in ("/", "-")]  # one pattern per separator: RE2 has no back-references
_YMD, _DMY = ("year", "month", "day"), ("day", "month", "year")
_SHAPES = [  # (pattern, separator of a date alone, its fields in order); dates alone first
    (_ISO_DATE + "$", "-", _YMD), (_FRENCH_DATES[0] + "$", "/", _DMY),
    (_FRENCH_DATES[1] + "$", "-", _DMY),
    *((date + _TIME + "$", None, None) for date in (_ISO_DATE, *_FRENCH_DATES)),
]
_NUMBERS = ("year", "month", "day", "hour", "minute", "second", "us")
MIN_YEAR, MAX_YEAR = 1900, 2199
MAX_OFFSET_MINUTES = 14 * 60  # the widest real UTC offsets are -12:00 and +14:00


def _components(texts: pd.Series) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """The parts of every readable shape: numbers as floats (NaN where a text has no such
    part; `us` from the fraction), the offset text (None where none), and which cells are a
    date alone.

    RE2 through pyarrow, vectorised: each shape is matched (cheap) against the cells no
    earlier shape took, and only its own cells are split; a date alone (the usual cell) by
    its separator, a date-time into its regex groups. Python's `re` per cell cost about 1 s
    for 100,000 dates (measured), more than reading the file.
    """
    filled = (texts != "").to_numpy(dtype=bool)
    rest, positions = pa.array(texts[filled], type=pa.string()), np.flatnonzero(filled)
    numbers = np.full((len(_NUMBERS), len(texts)), np.nan)
    offset = np.full(len(texts), None, dtype=object)
    date_only = np.zeros(len(texts), dtype=bool)
    for pattern, separator, fields in _SHAPES:
        if not len(rest):
            break
        matched = pc.match_substring_regex(rest, pattern).to_numpy(zero_copy_only=False)
        if not matched.any():
            continue
        cells, where = rest.filter(pa.array(matched)), positions[matched]
        rest, positions = rest.filter(pa.array(~matched)), positions[~matched]
        if separator:
            parts = pc.cast(pc.list_flatten(pc.split_pattern(cells, separator)), pa.float64())
            for column, values in zip(fields, parts.to_numpy().reshape(-1, 3).T, strict=True):
                numbers[_NUMBERS.index(column), where] = values
            date_only[where] = True
            continue
        groups = pc.extract_regex(cells, pattern)
        for name, values in zip(groups.type.names, groups.flatten(), strict=True):
            # a group that took no part in the match comes back as "", never a real value
            values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
            if name == "offset":
                offset[where] = values.to_numpy(zero_copy_only=False)
                continue
            if name == "fraction":
                name, values = "us", pc.utf8_slice_codeunits(pc.utf8_rpad(values, 6, "0"), 0, 6)
            numbers[_NUMBERS.index(name), where] = pc.cast(values, pa.float64()).to_numpy(
                zero_copy_only=False)
    frame = pd.DataFrame(numbers.T, index=texts.index, columns=_NUMBERS)
    return frame, pd.Series(offset, index=texts.index, dtype=object), date_only


def _offsets(offset: pd.Series) -> pd.Series:
    """`+01:00`, `-0530`, `+02`, `Z` → offset from UTC as a Timedelta (NaT if impossible)."""
    parts = offset.str.extract(r"^(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})?$")
    minutes = parts["hours"].astype(float) * 60 + parts["minutes"].fillna("0").astype(float)
    minutes = minutes.where(parts["sign"] != "-", -minutes)
    minutes = minutes.where(offset != "Z", 0.0)
    minutes = minutes.where(minutes.abs() <= MAX_OFFSET_MINUTES)
    return pd.to_timedelta(minutes, unit="min")


_FRENCH_HINT = r"(?i)[a-su-yà]|^\d{1,2}\.\d{1,2}\.|^\d{1,2}([/-])\d{1,2}[/-]\d{2}(?:$|[^\d])"
"""A letter other than ISO's T and Z (a month or day name, 8h00, "à"), dots, a two-digit year."""
_MONTHS = {"jan": 1, "fev": 2, "mar": 3, "avr": 4, "mai": 5, "juin": 6, "juil": 7, "aou": 8,
           "sep": 9, "oct": 10, "nov": 11, "dec": 12}
_LONG_DATE = re.compile(
    r"^(?:(?P<weekday>lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven"
    r"|sam|dim)\.?,?\s+)?"
    r"(?P<day>\d{1,2})(?:er)?\s+(?P<month>[a-z]+)\.?\s+(?P<year>\d{4})(?P<rest>.*)$")
_SHORT_DATE = re.compile(
    r"^(?P<day>\d{1,2})[./-](?P<month>\d{1,2})[./-](?P<year>\d{4}|\d{2})(?P<rest>(?:\D.*)?)$")
_DASHED_DATE = re.compile(  # French Excel's "jj-mmm-aa": 14-déc-26
    r"^(?P<day>\d{1,2})-(?P<month>[a-z]+)\.?-(?P<year>\d{4}|\d{2})(?P<rest>(?:\s.*)?)$")
_ISO_DATE_FRENCH_TIME = re.compile(  # an Excel date cell joined to its "heure début" 8h00
    r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?P<rest>\s.*)$")
_FRENCH_TIME = re.compile(  # "à" (folded) before 8h30, 8h or 08:30
    r"^\s+(?:a\s+)?(?P<hour>\d{1,2})(?:\s?h\s?(?P<minute>\d{2})?|:(?P<colon_minute>\d{2}))$")


def _french_form(text: str) -> str:
    """`text` in a shape `_components` reads, if it is one of French Excel's other ways of
    writing a date (module docstring); else `text` unchanged (reported unreadable later)."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    found = (_LONG_DATE.match(plain) or _SHORT_DATE.match(plain) or _DASHED_DATE.match(plain)
             or _ISO_DATE_FRENCH_TIME.match(plain))
    if not found:
        return text
    month = found["month"]
    if not month.isdigit():
        month = next((str(n) for key, n in _MONTHS.items() if month.startswith(key)), "")
        if not month:
            return text
    year = found["year"]
    if len(year) == 2:
        year = f"{20 if int(year) < 30 else 19}{year}"
    if not _weekday_agrees(found.groupdict().get("weekday"), int(year), int(month), int(found["day"])):
        return text  # "vendredi 14 décembre 2027", a Tuesday: which did the seller mean?
    rest = found["rest"]
    time = _FRENCH_TIME.match(rest)
    if time:
        rest = f" {int(time['hour']):02d}:{time['minute'] or time['colon_minute'] or '00'}"
    return f"{int(found['day']):02d}/{int(month):02d}/{year}{rest}"


_WEEKDAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")


def _weekday_agrees(weekday: str | None, year: int, month: int, day: int) -> bool:
    """Whether a date's day name, if it has one, is that date's (an impossible date is left to
    the range checks)."""
    try:
        actual = date(year, month, day).weekday()
    except ValueError:
        return True
    return weekday is None or _WEEKDAYS.index(weekday[:3]) == actual


def _with_french_forms(texts: pd.Series) -> pd.Series:
    hinted = pc.match_substring_regex(pa.array(texts, type=pa.string()), _FRENCH_HINT)
    hinted = hinted.fill_null(False).to_numpy(zero_copy_only=False)
    if not hinted.any():
        return texts
    texts = texts.copy()
    texts[hinted] = [_french_form(text) for text in texts[hinted]]
    return texts


def _instants(texts: pd.Series, timezone: str, *, end_of_day: bool) -> tuple[pd.Series, pd.Series]:
    return per_distinct(_parse_instants, texts, timezone, end_of_day=end_of_day)


def _plain_spaces(texts: pd.Series) -> pd.Series:
    """A no-break space before the hour (as autocorrect or a Mac types it) made a space; looked
    for by Arrow first, as orders come by the million, each timestamp its own text."""
    cells = pa.array(texts, type=pa.string())
    if not pc.any(pc.match_substring_regex(cells, _NO_BREAK_SPACES)).as_py():
        return texts
    return pd.Series(pc.replace_substring_regex(cells, _NO_BREAK_SPACES, " "), index=texts.index,
                     dtype=texts.dtype)


_NO_BREAK_SPACES = "[\u00a0\u202f]"


def _parse_instants(texts: pd.Series, timezone: str, *, end_of_day: bool) -> tuple[pd.Series, pd.Series]:
    numbers, offset, date_only = _components(_with_french_forms(_plain_spaces(texts)))
    numbers = numbers.fillna({"hour": 0, "minute": 0, "second": 0, "us": 0})
    in_range = (
        numbers["year"].between(MIN_YEAR, MAX_YEAR)
        & (numbers["hour"] <= 23)
        & (numbers["minute"] <= 59)
        & (numbers["second"] <= 59)
    )
    wall = pd.to_datetime(numbers.where(in_range), errors="coerce").astype("datetime64[ns]")
    if end_of_day:  # the next midnight on the local calendar, whatever the day's length
        wall = wall.where(~date_only, wall + pd.Timedelta(days=1))
    values = wall.dt.tz_localize(
        timezone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
    ).dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    has_offset = offset.notna()
    if has_offset.any():
        values[has_offset] = (wall[has_offset] - _offsets(offset[has_offset])).dt.tz_localize("UTC")
    unreadable = (texts != "") & values.isna()
    return values, unreadable


def parse_datetimes(
    texts: pd.Series, timezone: str = "Europe/Paris"
) -> tuple[pd.Series, pd.Series]:
    """Instants as UTC timestamps (`datetime64[ns, UTC]`); returns (values, unreadable).

    `texts` is stripped cell text ("" for empty). A date alone is midnight local time. Empty
    cells give NaT and are not unreadable.
    """
    return _instants(texts, timezone, end_of_day=False)


def parse_end_instants(
    texts: pd.Series, timezone: str = "Europe/Paris"
) -> tuple[pd.Series, pd.Series]:
    """Ends of half-open periods `[start, end)` as UTC timestamps; returns (values, unreadable).

    Like `parse_datetimes`, except that a date alone means the end of that day: the next
    local midnight ("2027-03-27" ends at 2027-03-28 00:00 Paris time), counted on the local
    calendar rather than as 24 hours, since the days the clocks change last 23 or 25 hours.
    A date-time is the instant written.
    """
    return _instants(texts, timezone, end_of_day=True)


def parse_dates(texts: pd.Series, timezone: str = "Europe/Paris") -> tuple[pd.Series, pd.Series]:
    """Calendar dates (naive `datetime64[ns]` at midnight); returns (values, unreadable).

    A date-time with an offset gives its date in `timezone` (`2024-03-31T23:30:00Z` is the
    1st of April in Paris); one without an offset gives the date as written.
    """
    instants, unreadable = parse_datetimes(texts, timezone)
    return instants.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize(), unreadable
