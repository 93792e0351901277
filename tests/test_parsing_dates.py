"""The vectorised date parsers against Python's own calendar (zoneinfo), on random instants.

The parsers match shapes with RE2 and assemble instants with pandas; this property test writes
random Paris wall times in every accepted shape and checks they read back as zoneinfo says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.parsing_dates import parse_datetimes, parse_end_instants

PARIS = ZoneInfo("Europe/Paris")
SHAPES = {  # shape -> (how a seller writes it, whether it is a date alone)
    "iso": (lambda d: f"{d:%Y-%m-%d}", True),
    "french": (lambda d: f"{d:%d/%m/%Y}", True),
    "french-dash": (lambda d: f"{d:%d-%m-%Y}", True),
    "french-short": (lambda d: f"{d.day}/{d.month}/{d.year}", True),
    "iso-minutes": (lambda d: f"{d:%Y-%m-%d %H:%M}", False),
    "iso-t-seconds": (lambda d: f"{d:%Y-%m-%dT%H:%M:%S}", False),
    "french-seconds": (lambda d: f"{d:%d/%m/%Y %H:%M:%S}", False),
    "excel": (lambda d: f"{d:%Y-%m-%d %H:%M:%S}", False),
    # what French Excel writes for a date column formatted otherwise
    "french-long": (lambda d: f"{DAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}", True),
    "french-abbreviated": (lambda d: f"{d.day} {MONTHS[d.month - 1][:4].rstrip('.')}. {d.year}", True),
    "french-dots": (lambda d: f"{d:%d.%m.%Y}", True),
    "french-h": (lambda d: f"{d:%d/%m/%Y} à {d.hour}h{d:%M}", False),
    "french-a-colon": (lambda d: f"{d:%d/%m/%Y} à {d:%H:%M}", False),
    # an Excel date cell (read as ISO) joined to an "heure début" column's 8h00
    "iso-french-h": (lambda d: f"{d:%Y-%m-%d} {d.hour}h{d:%M}", False),
    "iso-a-h": (lambda d: f"{d:%Y-%m-%d} à {d:%H}h{d:%M}", False),
    "french-dashed": (lambda d: f"{d.day}-{MONTHS[d.month - 1][:4]}-{d.year}", True),  # jj-mmm-aaaa
    # Excel's "jjj. j mmm. aaaa"
    "french-short-weekday": (lambda d: f"{DAYS[d.weekday()][:3]}. {d.day}"
                                       f" {MONTHS[d.month - 1][:4].rstrip('.')}. {d.year}", True),
}
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
MINUTES_ONLY = {"iso-minutes", "french-h", "french-a-colon", "iso-french-h", "iso-a-h"}


def _exists_once(wall: datetime) -> bool:
    """Neither skipped nor repeated by a clock change in Paris (those have their own rules)."""
    local = wall.replace(tzinfo=PARIS)
    round_trip = local.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None)
    return round_trip == wall and local.utcoffset() == local.replace(fold=1).utcoffset()


walls = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 30)).map(
    lambda d: d.replace(microsecond=0)).filter(_exists_once)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(walls, st.sampled_from(sorted(SHAPES))), min_size=1, max_size=30))
def test_every_shape_reads_back_as_zoneinfo_says(cells):
    texts = pd.Series([SHAPES[shape][0](wall) for wall, shape in cells], dtype="str")
    starts, unreadable = parse_datetimes(texts)
    ends, _ = parse_end_instants(texts)
    assert not unreadable.any()
    for (wall, shape), start, end in zip(cells, starts, ends, strict=True):
        alone = SHAPES[shape][1]
        written = wall.replace(hour=0, minute=0, second=0) if alone else (
            wall.replace(second=0) if shape in MINUTES_ONLY else wall)
        assert start == pd.Timestamp(written.replace(tzinfo=PARIS))
        next_midnight = (written + timedelta(days=1)).replace(tzinfo=PARIS)
        assert end == (pd.Timestamp(next_midnight) if alone else start)


def test_a_day_name_that_is_not_the_dates_makes_it_unreadable():
    """"vendredi 14 décembre 2027" (a Tuesday) loaded as the 14th: the seller may have meant
    Friday the 17th."""
    texts = pd.Series(["vendredi 14 décembre 2027", "mardi 14 décembre 2027", "mar. 14 déc. 2027"],
                      dtype="str")
    _, unreadable = parse_datetimes(texts)
    assert unreadable.tolist() == [True, False, False]


def test_a_no_break_space_before_the_hour_is_a_space():
    """"14/12/2027 08:00" with the no-break space Excel's autocorrect or a Mac types was
    unreadable, and the message showed a date that looked right."""
    values, unreadable = parse_datetimes(pd.Series(["14/12/2027\u00a008:00", "14/12/2027\u202f8h00"],
                                                   dtype="str"))
    assert not unreadable.any() and values.nunique() == 1


def test_a_two_digit_year_follows_excels_rule_and_odd_texts_stay_unreadable():
    texts = pd.Series(["14/12/26", "01/02/99", "14-déc-26", "14-12-26", "14 foo 2026",
                       "mars 2027", "31.02.2027", "01/03/2027 25h00", "31-févr-26"], dtype="str")
    starts, unreadable = parse_datetimes(texts)
    assert list(starts[:4].dt.tz_convert(PARIS).dt.date.astype(str)) == [
        "2026-12-14", "1999-02-01", "2026-12-14", "2026-12-14"]
    assert unreadable.tolist() == [False, False, False, False, True, True, True, True, True]


def test_clock_changes_follow_the_documented_rules():
    texts = pd.Series(["2027-03-28 02:30", "2027-10-31 02:30", "2027-03-28", "31/10/2027"],
                      dtype="str")
    starts, _ = parse_datetimes(texts)
    ends, _ = parse_end_instants(texts)
    # the spring hour that does not exist moves forward; the autumn hour twice is summer time
    assert starts[0] == pd.Timestamp("2027-03-28T01:00Z")
    assert starts[1] == pd.Timestamp("2027-10-31T00:30Z")
    assert ends[2] - starts[2] == pd.Timedelta(hours=23)
    assert ends[3] - starts[3] == pd.Timedelta(hours=25)


def test_a_column_of_repeated_dates_parses_each_distinct_text_once_with_the_same_result():
    from schemas.parsing import REPEAT_SAMPLE
    from schemas.parsing_dates import _parse_instants

    distinct = ["2026-12-01", "27/03/2027 23:30", "2027-03-28T02:30:00+02:00", "not a date", "",
                "2026-10-25 02:30"]  # the ambiguous autumn hour: the first (summer) one
    texts = pd.Series(distinct * (REPEAT_SAMPLE // 2), index=range(100, 100 + 3 * REPEAT_SAMPLE))
    for end_of_day in (False, True):
        parse = parse_end_instants if end_of_day else parse_datetimes
        values, unreadable = parse(texts)
        expected, expected_unreadable = _parse_instants(texts, "Europe/Paris", end_of_day=end_of_day)
        pd.testing.assert_series_equal(values, expected)
        pd.testing.assert_series_equal(unreadable, expected_unreadable, check_names=False)
    assert unreadable.sum() == REPEAT_SAMPLE // 2  # "not a date", once per repetition
    assert values.iloc[0] == pd.Timestamp("2026-12-01 23:00", tz="UTC")  # end of 1 Dec in Paris
