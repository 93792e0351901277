"""Promotion periods: the admins' calendar of sales and commercial events, and its rules.

The regulated sales (soldes) are set by regulation each year, so their dates come from the
versioned reference file `promotion_periods.csv`, never from a computation in code; the other
events (Black Friday, Christmas...) are informational. Periods are half-open `[start, end)`
instants: an end written as a date alone includes that whole day (Europe/Paris). The rules
that use them are in `schemas.promotion_rules`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from schemas.parsing_dates import parse_datetimes, parse_end_instants

PERIODS_FILE = "promotion_periods.csv"
TIMEZONE = "Europe/Paris"
_CODE = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_FLAGS = {"true": True, "false": False}


@dataclass(frozen=True)
class Period:
    """One row of the reference file: `[start, end)` as UTC instants."""

    code: str
    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    regulated: bool

    def shown(self) -> str:
        """How messages name it: "Soldes d'hiver 2027 (du 06/01/2027 08:00 au 02/02/2027)"."""
        last_day = (self.end.tz_convert(TIMEZONE) - pd.Timedelta(microseconds=1)).date()
        return f"{self.name} (du {shown_instant(self.start)} au {last_day:%d/%m/%Y})"


def shown_instant(instant: pd.Timestamp) -> str:
    """An instant as a French seller writes it, in Paris time: "20/12/2026", or "06/01/2027
    08:00" when it is not midnight (a start typed as a date must not come back as 00:00)."""
    paris = instant.tz_convert(TIMEZONE)
    return paris.strftime("%d/%m/%Y") + ("" if paris.hour == paris.minute == 0
                                         else paris.strftime(" %H:%M"))


@dataclass(frozen=True)
class Calendar:
    """The periods by code, and the instant up to which the regulated sales are known."""

    periods: dict[str, Period]
    horizon: pd.Timestamp  # 1 January after the last year with regulated sales in the file

    @property
    def regulated(self) -> list[Period]:
        return [p for p in self.periods.values() if p.regulated]


@lru_cache
def load_calendar(reference_dir: Path) -> Calendar:
    """The calendar of `reference_dir`; cached per folder (it changes with a release).

    A malformed file is a release bug, not a seller's: it raises ValueError naming the line.
    """
    path = reference_dir / PERIODS_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        rows = pd.DataFrame(list(csv.DictReader(handle)), dtype="str").fillna("")
    rows.index = range(2, 2 + len(rows))
    starts, bad_start = parse_datetimes(rows["start"].str.strip(), TIMEZONE)
    ends, bad_end = parse_end_instants(rows["end"].str.strip(), TIMEZONE)
    flags = rows["regulated"].str.strip().str.lower()
    broken = (bad_start | bad_end | starts.isna() | ~(ends > starts) | ~flags.isin(list(_FLAGS))
              | ~rows["code"].str.fullmatch(_CODE) | rows["code"].duplicated(keep=False))
    if broken.any():
        raise ValueError(f"{path}: line {broken.idxmax()} is malformed (code, dates or regulated)")
    periods = {
        code: Period(code, name, start, end, _FLAGS[flag])
        for code, name, start, end, flag in zip(rows["code"], rows["name"], starts, ends, flags,
                                                strict=True)
    }
    years = [p.start.tz_convert(TIMEZONE).year for p in periods.values() if p.regulated]
    if not years:
        raise ValueError(f"{path}: no regulated sales period")
    horizon = pd.Timestamp(year=max(years) + 1, month=1, day=1, tz=TIMEZONE).tz_convert("UTC")
    return Calendar(periods, horizon)
