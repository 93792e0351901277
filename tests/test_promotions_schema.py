"""Promotion validation on small frames shaped like the reader's: every rule at its edges.

"Now" is fixed at 2026-11-23 12:00 UTC (late November 2026), so December 2026 and January
2027 are the future. The period rules are also checked against a tiny reference predicate
over intervals (hypothesis), with the regulated sales dates written here from the spec.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.config import REFERENCE_DIR
from marketplace.errors import FileRejected, Reason
from schemas.columns import map_headers
from schemas.feed import FeedContext
from schemas.promotion_periods import load_calendar
from schemas.promotion_rules import overlap_partners
from schemas.promotions import PROMOTION_COLUMNS, validate_promotions

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
HEADERS = ["sku", "type", "prix promo", "remise %", "début", "fin", "période"]


def frame_of(rows: list[list[str]], headers=HEADERS, first_row: int = 2) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype="str", columns=range(len(headers)))
    frame.index = range(first_row, first_row + len(rows))
    return frame


def context(state: dict | None = None) -> FeedContext:
    ctx = FeedContext("promotions", 7, None, REFERENCE_DIR, NOW)
    if state is not None:
        ctx.state = state
    return ctx


def validate(rows, headers=HEADERS, ctx=None, first_row=2):
    ctx = ctx or context()
    return validate_promotions(frame_of(rows, headers, first_row),
                               map_headers(headers, PROMOTION_COLUMNS), ctx)


def promo(sku="A", kind="6", price="5,00", percent="", start="2026-12-04 08:00",
          end="2026-12-06", period="") -> list[str]:
    return [sku, kind, price, percent, start, end, period]


def codes(result) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for problem in result.problems:
        found.setdefault(problem.row, set()).add(str(problem.code))
    return found


def accepted(rows) -> list[int]:
    return validate(rows).valid.index.tolist()


def paris(*args) -> pd.Timestamp:
    return pd.Timestamp(datetime(*args, tzinfo=PARIS)).tz_convert("UTC")


# -- typing ---------------------------------------------------------------------------------


def test_french_row_is_typed_in_paris_time_with_half_open_days():
    result = validate([promo(price="1 234,50 €"),
                       promo("B", "7", "", "20 %", "15/12/2026", "20/12/2026"),
                       promo("C", "10", "", "", "01/12/2026 09:30", "2026-12-10 18:00")])
    assert result.problems == []
    valid = result.valid
    assert valid["discount_price"].tolist()[0] == 123450
    assert valid.loc[3, "discount_percent"] == 20
    assert valid["promotion_type"].tolist() == [6, 7, 10]
    # a date alone starts at 00:00 and ends at the end of that day (the next midnight), Paris
    assert valid.loc[3, "start_at"] == paris(2026, 12, 15)
    assert valid.loc[3, "end_at"] == paris(2026, 12, 21)
    assert valid.loc[2, "start_at"] == pd.Timestamp("2026-12-04T07:00Z")
    assert valid.loc[4, "end_at"] == paris(2026, 12, 10, 18)


def test_missing_required_column_rejects_the_file():
    headers = ["sku", "type", "prix promo", "début"]
    with pytest.raises(FileRejected) as rejected:
        map_headers(headers, PROMOTION_COLUMNS)
    assert rejected.value.problem.code is Reason.MISSING_COLUMN


def test_empty_required_cells_are_reported():
    result = validate([promo(sku="", kind="", start="", end="")])
    assert {(p.column, str(p.code)) for p in result.problems} >= {
        ("sku", "required"), ("type", "required"), ("début", "required"), ("fin", "required")}


# -- types and discounts ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["9", "4", "11", "0", "soldes", "5,5"])
def test_only_the_five_type_codes_are_accepted_and_the_error_lists_them(kind):
    result = validate([promo(kind=kind)])
    assert codes(result) == {2: {"not_allowed"}}
    message = result.problems[0].message_fr
    for text in ("5 (Soldes)", "6 (Vente flash)", "7 (Bon plan)", "8 (Déstockage)",
                 "10 (Livraison offerte)"):
        assert text in message


@pytest.mark.parametrize("kind", ["6", "7", "8"])
def test_discounted_types_need_a_price_or_a_percentage_not_both(kind):
    result = validate([promo(kind=kind, price="", percent=""),
                       promo("B", kind, price="5,00", percent="10"),
                       promo("C", kind, price="", percent="10"),
                       promo("D", kind, price="5,00", percent="")])
    assert codes(result) == {2: {"required"}, 3: {"not_allowed"}}


def test_a_column_the_file_lacks_is_named_as_a_seller_would_write_it():
    """A file without a discount column: the message named the field (`discount_price`), a
    word the seller's template never shows; it names the French header to add."""
    headers = ["sku", "type", "début", "fin"]
    result = validate([["A", "6", "2026-12-04 08:00", "2026-12-06"]], headers=headers)
    (problem,) = result.problems
    assert problem.column == "prix promo"
    assert "« prix promo »" in problem.message_fr and "discount_price" not in problem.message_fr


def test_free_delivery_has_no_discount():
    result = validate([promo(kind="10", price=""), promo("B", "10", price="1,00"),
                       promo("C", "10", price="", percent="10")])
    assert codes(result) == {3: {"not_allowed"}, 4: {"not_allowed"}}


@pytest.mark.parametrize(("percent", "ok"), [("0", False), ("1", True), ("90", True),
                                             ("90 %", True), ("91", False), ("12,5", False),
                                             ("0,2", False), ("-5", False), ("abc", False)])
def test_percentage_is_a_whole_number_from_1_to_90(percent, ok):
    result = validate([promo(price="", percent=percent)])
    assert (result.problems == []) is ok
    if percent == "0,2":  # an Excel percentage cell: refused with the hint, never guessed
        assert "format pourcentage" in result.problems[0].message_fr
    elif percent == "12,5":  # a decimal, not an Excel cell: no hint about one
        assert "pourcentage" not in result.problems[0].message_fr


@pytest.mark.parametrize("percent", ["-20 %", "-20%", "-20"])
def test_a_negative_percentage_says_to_drop_the_minus_sign(percent):
    result = validate([promo(price="", percent=percent)])
    assert [(str(p.code), p.column, p.value) for p in result.problems] == [
        ("out_of_range", "remise %", percent)]
    assert "sans signe moins : 20 pour une remise de 20 %" in result.problems[0].message_fr
    assert "without a minus sign" in result.problems[0].message_en


@pytest.mark.parametrize(("price", "code"), [("0", "out_of_range"), ("-1,00", "out_of_range"),
                                            ("12,5555", "too_many_decimals"),
                                            ("douze", "bad_number"), ("0,01", None)])
def test_discount_price_is_positive_with_two_decimals(price, code):
    result = validate([promo(price=price)])
    assert codes(result) == ({} if code is None else {2: {code}})


# -- dates ----------------------------------------------------------------------------------


def test_end_must_be_after_start():
    result = validate([promo(start="2026-12-04 08:00", end="2026-12-04 08:00"),
                       promo("B", start="05/12/2026", end="04/12/2026"),
                       promo("C", start="2026-12-04 08:00", end="2026-12-04 08:01"),
                       promo("D", start="04/12/2026", end="04/12/2026")])  # one whole day
    assert codes(result) == {2: {"bad_date"}, 3: {"bad_date"}}


def test_hours_in_columns_of_their_own_are_joined_to_their_dates():
    """"Heure début" and "Heure fin" were ignored as unknown columns: a two-hour flash sale
    ran from midnight to midnight. An empty hour leaves the date as it is (a whole day)."""
    headers = ["sku", "type", "remise %", "début", "heure début", "fin", "heure fin"]
    result = validate([["A", "6", "20", "14/12/2026", "12:00", "14/12/2026", "14h00"],
                       ["B", "6", "20", "15/12/2026", "", "15/12/2026", ""],
                       ["C", "6", "20", "16/12/2026 08:00", "09:00", "17/12/2026", ""]], headers)
    valid = result.valid
    assert (valid.loc[2, "start_at"], valid.loc[2, "end_at"]) == (paris(2026, 12, 14, 12),
                                                                   paris(2026, 12, 14, 14))
    assert (valid.loc[3, "start_at"], valid.loc[3, "end_at"]) == (paris(2026, 12, 15),
                                                                   paris(2026, 12, 16))
    [twice] = result.problems  # an hour in both cells: which one? the row says it
    assert (twice.row, twice.column, twice.value) == (4, "début", "16/12/2026 08:00 09:00")


def test_an_excel_date_cell_joins_its_hour_column_whatever_its_format():
    """A date cell reads "2026-12-21" (date format) or "2026-12-21 00:00:00" (date-time
    format); with "8h30" beside it, the second one was unreadable."""
    headers = ["sku", "type", "remise %", "début", "heure début", "fin", "heure fin"]
    result = validate([["A", "6", "20", "2026-12-21", "8h30", "2026-12-21 00:00:00", "18h"],
                       ["B", "6", "20", "2026-12-22T00:00", "08:00", "2026-12-22", "à 9h30"]], headers)
    assert result.problems == []
    valid = result.valid
    assert (valid.loc[2, "start_at"], valid.loc[2, "end_at"]) == (paris(2026, 12, 21, 8, 30),
                                                                   paris(2026, 12, 21, 18))
    assert (valid.loc[3, "start_at"], valid.loc[3, "end_at"]) == (paris(2026, 12, 22, 8),
                                                                   paris(2026, 12, 22, 9, 30))


def test_an_unreadable_hour_is_flagged_in_its_own_column():
    """"25h00" was reported on the date cell as "01/03/2027 25h00", which neither cell holds,
    and the hour cell, the one to fix, was not marked."""
    headers = ["sku", "type", "remise %", "début", "heure début", "fin", "heure fin"]
    result = validate([["A", "6", "20", "01/03/2027", "25h00", "02/03/2027", ""],
                       ["B", "6", "20", "31/02/2027", "08:00", "02/03/2027", "9h"]], headers)
    assert {(p.row, p.column, p.value) for p in result.problems} == {
        (2, "heure début", "25h00"), (3, "début", "31/02/2027 08:00")}
    hour = next(p for p in result.problems if p.row == 2)
    assert hour.message_fr == "Heure illisible « 25h00 » : écrivez 08:00 ou 8h00."


def test_a_sale_opening_too_early_by_its_hour_column_is_told_on_the_hour():
    """The date cell was marked, quoting "06/01/2027 07:00", and told to hold "06/01/2027
    08:00": written there beside the hour, the row became unreadable."""
    headers = ["sku", "type", "remise %", "début", "heure début", "fin", "heure fin", "période"]
    result = validate([["A", "5", "10", "06/01/2027", "07:00", "02/02/2027", "", "soldes-hiver-2027"],
                       ["B", "5", "10", "06/01/2027", "", "02/02/2027", "", "soldes-hiver-2027"]],
                      headers)
    assert {(p.row, p.column, p.value) for p in result.problems} == {
        (2, "heure début", "07:00"), (3, "début", "06/01/2027")}
    hour = next(p for p in result.problems if p.row == 2)
    assert "écrivez « 08:00 » comme heure de début" in hour.message_fr


def test_a_sale_dated_wholly_outside_its_period_is_told_on_the_period():
    """"soldes-hiver-2026" on January 2027 dates had its end alone flagged: the code was the
    mistake, and the start, as far outside, was not marked."""
    result = validate([promo(kind="5", start="2027-01-10", end="2027-01-20",
                             period="soldes-hiver-2026"),
                       promo("B", kind="5", start="06/01/2027", end="02/02/2027",
                             period="soldes-hiver-2026"),  # the opening day as a date alone
                       promo("C", kind="5", start="2027-03-10", end="2027-03-20",
                             period="soldes-hiver-2027")])
    found = {(p.row, p.column): p.message_fr for p in result.problems}
    assert set(found) == {(2, "période"), (3, "période"), (4, "début"), (4, "fin")}
    assert found[2, "période"].endswith(
        "elles tombent dans les Soldes d'hiver 2027 (du 06/01/2027 08:00 au 02/02/2027) ;"
        " écrivez « soldes-hiver-2027 ».")
    assert found[3, "période"] == found[2, "période"]
    # in no period at all: the dates are what is wrong, both of them
    assert "en sort" in found[4, "début"] and "en sort" in found[4, "fin"]
    before = validate([promo(kind="5", start="2027-03-10", end="2027-03-20", period="soldes-ete-2027"),
                       promo("B", kind="5", start="06/01/2027 00:00", end="06/01/2027 07:00",
                             period="soldes-hiver-2027")])  # its opening day's small hours
    assert {(p.row, p.column) for p in before.problems} == {(2, "début"), (2, "fin"), (3, "début"),
                                                            (3, "fin")}
    # dates in a period already over: "write soldes-hiver-2026" sat beside "already over"
    past = validate([promo(kind="5", start="08/01/2026", end="20/01/2026", period="soldes-hiver-2027")])
    assert "soldes-hiver-2026" not in " ".join(p.message_fr for p in past.problems)
    assert {p.column for p in past.problems} >= {"fin"}


def test_american_or_broken_dates_are_unreadable():
    result = validate([promo(start="12/13/2026"), promo("B", end="2026-02-30")])
    assert {(p.row, p.column, str(p.code)) for p in result.problems} == {
        (2, "début", "bad_date"), (3, "fin", "bad_date")}


def test_an_excel_serial_number_as_a_date_gets_its_own_explanation():
    result = validate([promo(start="46358"), promo("B", start="15-12-2026")])
    messages = {p.row: p.message_fr for p in result.problems}
    assert "Excel l'a enregistrée comme un nombre" in messages[2]
    assert "comme un nombre" not in messages[3]


def test_an_unknown_period_lists_the_codes_not_over_yet():
    result = validate([promo(period="soldes-printemps-2027")])
    message = result.problems[0].message_fr
    assert "soldes-hiver-2027" in message and "black-friday-2026" in message
    assert "soldes-ete-2026" not in message  # known, but over by now


def test_a_period_code_is_read_whatever_its_case_and_accents():
    """French sellers write "été" and "Noël", as our own messages name the periods."""
    result = validate([promo(kind="5", start="2027-06-23 08:00", end="2027-07-20", period="Soldes-Été-2027"),
                       promo("B", start="2026-12-20", end="2026-12-22", period="Noël-2026")])
    assert result.problems == []
    assert list(result.valid["period"]) == ["soldes-ete-2027", "noel-2026"]


def test_a_promotion_already_over_is_rejected_one_still_running_is_not():
    now_paris = NOW.astimezone(PARIS)
    result = validate([
        promo(start="2026-11-01", end=f"{now_paris:%Y-%m-%d %H:%M}"),  # ends exactly now
        promo("B", start="2026-11-01", end="2026-11-22"),
        promo("C", start="2026-11-01", end=f"{now_paris + timedelta(minutes=1):%Y-%m-%d %H:%M}"),
    ])
    assert codes(result) == {2: {"past_end"}, 3: {"past_end"}}


def test_promotions_ending_after_the_published_sales_calendar_are_refused():
    result = validate([promo(start="2027-12-26", end="2027-12-31"),
                       promo("B", start="2027-12-26", end="2028-01-01")])
    assert codes(result) == {3: {"sales_period"}}
    assert "31/12/2027" in result.problems[0].message_fr


# -- regulated sales periods ---------------------------------------------------------------


def test_a_flash_sale_may_end_exactly_when_the_sales_start_and_start_when_they_end():
    assert accepted([promo(start="2027-01-04", end="2027-01-06 08:00"),
                     promo("B", start="2027-01-04", end="2027-01-05"),
                     promo("C", start="2027-02-03", end="2027-02-10"),
                     promo("D", start="2027-02-02 23:59", end="2027-02-10"),
                     promo("E", start="2027-01-04", end="2027-01-06 08:01")]) == [2, 3, 4]


@pytest.mark.parametrize("kind", ["6", "7", "8", "10"])
def test_only_sales_during_a_regulated_period_and_the_message_names_it(kind):
    price = "" if kind == "10" else "5,00"
    result = validate([promo(kind=kind, price=price, start="2027-01-10", end="2027-01-12"),
                       promo("B", kind, price, start="2027-06-01", end="2027-07-01")])
    assert codes(result) == {2: {"sales_period"}, 3: {"sales_period"}}
    assert "Soldes d'hiver 2027 (du 06/01/2027 08:00 au 02/02/2027)" in result.problems[0].message_fr
    assert "Soldes d'été 2027" in result.problems[1].message_fr


def test_informational_events_allow_any_type():
    assert accepted([promo(start="2026-11-27", end="2026-11-30", period="black-friday-2026"),
                     promo("B", "10", "", start="2026-12-01", end="2026-12-24")]) == [2, 3]


def test_a_sale_runs_only_inside_the_regulated_period_it_names():
    sale = {"kind": "5", "price": "", "percent": "30", "period": "soldes-hiver-2027"}
    result = validate([
        promo(start="2027-01-06 08:00", end="2027-02-02", **sale),  # the whole period
        promo("B", start="2027-01-06 07:59", end="2027-01-10", **sale),
        promo("C", start="2027-01-20", end="2027-02-03", **sale),  # one day too long
        promo("D", start="2027-01-06 08:00", end="2027-01-10",
              **{**sale, "period": "Soldes-Hiver-2027"}),
        promo("E", start="2027-01-06 08:00", end="2027-01-10", **{**sale, "period": ""}),
        promo("F", start="2027-01-06 08:00", end="2027-01-10", **{**sale, "period": "noel-2026"}),
        promo("G", start="2027-01-06 08:00", end="2027-01-10",
              **{**sale, "period": "soldes-hiver-2030"}),
        promo("H", start="2027-06-23 08:00", end="2027-07-20", **sale),  # the other sales
    ])
    assert codes(result) == {3: {"sales_period"}, 4: {"sales_period"}, 6: {"required"},
                             7: {"sales_period"}, 8: {"not_allowed"}, 9: {"sales_period"}}
    columns = {p.row: p.column for p in result.problems}
    assert (columns[3], columns[4], columns[6]) == ("début", "fin", "période")
    assert result.valid.loc[5, "period"] == "soldes-hiver-2027"


def test_only_a_sale_names_a_sales_period():
    """A flash sale tagged with the winter sales, dated outside them: the tag contradicts the
    type (seed 000: during the sales only the sales tag), so the row is refused, not stored
    with it; a non-regulated period (Black Friday) stays a tag any promotion may carry."""
    result = validate([promo(start="12/12/2026", end="14/12/2026", period="soldes-hiver-2027"),
                       promo("B", start="2026-11-27", end="2026-11-29", period="black-friday-2026")])
    assert [(p.row, str(p.code), p.column, p.value) for p in result.problems] == [
        (2, "not_allowed", "période", "soldes-hiver-2027")]
    assert result.problems[0].message_fr.startswith("« soldes-hiver-2027 » est une période de soldes")


@pytest.mark.parametrize("start", ["06/01/2027", "2027-01-06", "06/01/2027 00:00",
                                   "2027-01-06 07:59"])
def test_a_sale_starting_on_the_opening_day_before_8_says_to_write_08_00(start):
    result = validate([promo(kind="5", price="", percent="30", start=start, end="2027-02-02",
                             period="soldes-hiver-2027")])
    assert [(str(p.code), p.column, p.value) for p in result.problems] == [
        ("sales_period", "début", start)]
    assert result.problems[0].message_fr == (
        "Les Soldes d'hiver 2027 ouvrent le 06/01/2027 à 08:00 : des Soldes (type 5) ne peuvent"
        " pas commencer avant ; écrivez « 06/01/2027 08:00 » comme début.")
    assert "write \"06/01/2027 08:00\" as the start" in result.problems[0].message_en
    earlier = validate([promo(kind="5", price="", percent="30", start="05/01/2027",
                              end="2027-02-02", period="soldes-hiver-2027")])
    assert "en sort" in earlier.problems[0].message_fr  # another day: the general message


def test_period_boundary_at_midnight_across_the_daylight_saving_change():
    # 28 March 2027: Paris goes from UTC+1 to UTC+2 at 02:00; the day lasts 23 hours
    result = validate([promo(start="2027-03-20", end="2027-03-27"),
                       promo(start="2027-03-28", end="2027-03-28"),
                       promo(start="2027-03-29 00:00", end="2027-04-02"),
                       promo("B", start="2027-03-20", end="2027-03-28 00:00"),
                       promo("B", start="28/03/2027", end="30/03/2027")])
    assert result.problems == []
    valid = result.valid
    assert valid.loc[2, "end_at"] == pd.Timestamp("2027-03-27T23:00Z") == valid.loc[3, "start_at"]
    assert valid.loc[3, "end_at"] == pd.Timestamp("2027-03-28T22:00Z") == valid.loc[4, "start_at"]
    assert valid.loc[5, "end_at"] == valid.loc[6, "start_at"]
    overlapping = validate([promo(start="2027-03-20", end="2027-03-28 00:01"),
                            promo(start="2027-03-28", end="2027-03-29")])
    assert codes(overlapping) == {2: {"overlap"}, 3: {"overlap"}}


def test_a_day_of_the_autumn_change_lasts_25_hours():
    result = validate([promo(start="2027-10-31", end="2027-10-31")])
    valid = result.valid
    assert valid.loc[2, "end_at"] - valid.loc[2, "start_at"] == pd.Timedelta(hours=25)


# -- overlaps ---------------------------------------------------------------------------------


def test_overlapping_promotions_of_one_offer_are_all_rejected_and_name_each_other():
    result = validate([promo(start="2026-12-01", end="2026-12-09"),
                       promo(kind="7", start="2026-12-10", end="2026-12-12"),  # touching
                       promo(kind="8", start="2026-12-09", end="2026-12-09"),
                       promo("B", start="2026-12-01", end="2026-12-10")])  # another offer
    assert codes(result) == {2: {"overlap"}, 4: {"overlap"}}
    messages = {p.row: p.message_fr for p in result.problems}
    assert "ligne 4" in messages[2] and "ligne 2" in messages[4]


def test_an_interval_overlapping_an_earlier_long_one_is_found_beyond_its_neighbour():
    result = validate([promo(start="2026-12-01", end="2026-12-31"),
                       promo(start="2026-12-02", end="2026-12-02"),
                       promo(start="2026-12-10", end="2026-12-11"),
                       promo(start="2027-01-01", end="2027-01-02")])
    assert codes(result) == {2: {"overlap"}, 3: {"overlap"}, 4: {"overlap"}}
    assert "ligne 2" in {p.row: p.message_fr for p in result.problems}[4]


def test_the_same_promotion_twice_in_a_file_is_an_overlap():
    assert codes(validate([promo(), promo()])) == {2: {"overlap"}, 3: {"overlap"}}


def test_overlaps_across_chunks_reject_the_earlier_staged_row_too():
    state: dict = {}
    first = validate([promo(start="2026-12-01", end="2026-12-10"), promo("B")], ctx=context(state))
    assert first.problems == []
    second = validate([promo(start="2026-12-05", end="2026-12-06"), promo("C")],
                      ctx=context(state), first_row=4)
    assert codes(second) == {2: {"overlap"}, 4: {"overlap"}}
    assert state["late_overlaps"] == {2}
    assert second.valid.index.tolist() == [5]
    third = validate([promo(start="2026-12-07", end="2026-12-08")], ctx=context(state), first_row=6)
    assert codes(third) == {6: {"overlap"}}  # rows 2 and 4 are not reported twice
    assert state["late_overlaps"] == {2}


def test_rows_naming_another_seller_are_rejected():
    headers = [*HEADERS, "id vendeur"]
    result = validate([[*promo(), "7"], [*promo("B"), "8"]], headers=headers)
    assert codes(result) == {3: {"other_seller"}}


def test_a_vendeur_column_is_the_shop_name_not_the_seller_id():
    headers = [*HEADERS, "Vendeur"]
    mapped = map_headers(headers, PROMOTION_COLUMNS)
    assert "seller_id" not in mapped.positions and mapped.unknown == ["Vendeur"]
    result = validate([[*promo(), "Ordi Plus"], [*promo("B"), "Ordi Plus"]], headers=headers)
    assert result.problems == [] and result.valid.index.tolist() == [2, 3]


# -- property tests: the vectorised rules against tiny reference predicates -----------------

BASE = datetime(2027, 1, 4, tzinfo=PARIS)  # the grid covers the winter sales and their edges
STEP = timedelta(hours=2)
WINTER_2027 = (datetime(2027, 1, 6, 8, tzinfo=PARIS), datetime(2027, 2, 3, tzinfo=PARIS))
SUMMER_2027 = (datetime(2027, 6, 23, 8, tzinfo=PARIS), datetime(2027, 7, 21, tzinfo=PARIS))
SALES = {"soldes-hiver-2027": WINTER_2027, "soldes-ete-2027": SUMMER_2027}
KNOWN = [None, "soldes-hiver-2027", "soldes-ete-2027", "noel-2026", "black-friday-2027"]


def _overlap(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


def reference_accepts(row: dict, rows: list[dict]) -> bool:
    """The spec's period and overlap rules, one row at a time, written as plainly as possible."""
    if not row["end"] > row["start"]:
        return False
    if row["type"] == 5:
        bounds = SALES.get(row["period"])
        if bounds is None or not (bounds[0] <= row["start"] and row["end"] <= bounds[1]):
            return False
    elif row["period"] in SALES or any(_overlap(row["start"], row["end"], *bounds)
                                       for bounds in SALES.values()):
        return False  # only a sale names a sales period, and none runs during one
    return not any(other is not row and other["sku"] == row["sku"]
                   and other["end"] > other["start"]
                   and _overlap(row["start"], row["end"], other["start"], other["end"])
                   for other in rows)


def _cell(instant: datetime, *, is_end: bool, date_only: bool) -> str:
    """Paris local text; a midnight may be written as a date alone (for an end: the day before)."""
    local = instant.astimezone(PARIS)
    if date_only and local.hour == local.minute == 0:
        return f"{(local - timedelta(days=1)).date() if is_end else local.date():%d/%m/%Y}"
    return f"{local:%Y-%m-%d %H:%M}"


promotion_rows = st.lists(
    st.fixed_dictionaries({
        "sku": st.sampled_from("ABC"),
        "type": st.sampled_from([5, 6, 7, 8, 10]),
        "start_step": st.integers(0, 380),
        "length": st.integers(-1, 400),
        "period": st.sampled_from(KNOWN),
        "date_only": st.booleans(),
    }),
    min_size=1, max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(promotion_rows)
def test_period_and_overlap_rules_match_the_reference(drawn):
    rows = []
    for item in drawn:
        start = (BASE + item["start_step"] * STEP).astimezone(UTC).astimezone(PARIS)
        end = (start.astimezone(UTC) + item["length"] * STEP).astimezone(PARIS)
        rows.append({**item, "start": start, "end": end})
    cells = [[r["sku"], str(r["type"]), "", "" if r["type"] == 10 else "10",
              _cell(r["start"], is_end=False, date_only=r["date_only"]),
              _cell(r["end"], is_end=True, date_only=r["date_only"]), r["period"] or ""]
             for r in rows]
    expected = [number for number, row in enumerate(rows, start=2) if reference_accepts(row, rows)]
    assert validate(cells).valid.index.tolist() == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 30), st.integers(1, 10)),
                max_size=40))
def test_overlap_partners_match_all_pairs(intervals):
    index = pd.Index(range(10, 10 + len(intervals)))
    sku = pd.Series([s for s, _, _ in intervals], index=index, dtype="str")
    start = pd.Series(pd.to_datetime([b for _, b, _ in intervals], unit="D", utc=True), index=index)
    end = pd.Series(pd.to_datetime([b + n for _, b, n in intervals], unit="D", utc=True),
                    index=index)
    partners = overlap_partners(sku, start, end)
    pairs = {(i, j) for i in index for j in index if i != j and sku[i] == sku[j]
             and _overlap(start[i], end[i], start[j], end[j])}
    assert set(partners.index) == {i for i, _ in pairs}
    assert all((row, other) in pairs for row, other in partners.items())


def test_the_shipped_calendar_has_the_spec_sales_dates():
    calendar = load_calendar(REFERENCE_DIR)
    for code, (start, end) in SALES.items():
        period = calendar.periods[code]
        assert (period.start, period.end, period.regulated) == (
            pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC"), True)
    winter_2026 = calendar.periods["soldes-hiver-2026"]
    assert winter_2026.start == paris(2026, 1, 7, 8) and winter_2026.end == paris(2026, 2, 4)
    assert not calendar.periods["black-friday-2026"].regulated


def test_informational_periods_follow_the_months_of_the_seller_guide():
    """Seed 004: Christmas from November to the end of December, back to school end of August
    and start of September, French Days in April/May and at the end of September."""
    calendar = load_calendar(REFERENCE_DIR)

    def days(code: str) -> tuple[date, date]:
        period = calendar.periods[code]
        last = (period.end.tz_convert(PARIS) - pd.Timedelta(microseconds=1)).date()
        return period.start.tz_convert(PARIS).date(), last

    for year in (2026, 2027):
        assert days(f"noel-{year}") == (date(year, 11, 1), date(year, 12, 31))
        start, end = days(f"rentree-{year}")
        assert (start.month, end.month) == (8, 9)
        start, end = days(f"french-days-printemps-{year}")
        assert start.month in (4, 5) and end.month in (4, 5)
        start, end = days(f"french-days-automne-{year}")
        assert (start.month, end.month) == (9, 9) and start.day >= 15


def test_an_excel_error_is_said_as_such_in_a_promotion_file():
    result = validate([promo("A", kind="#N/A"), promo("B", price="#REF!"), promo("C", end="#VALUE!")])
    said = {(p.row, p.column): p.message_fr for p in result.problems}
    assert set(said) == {(2, "type"), (3, "prix promo"), (4, "fin")}
    assert all("est une erreur Excel" in message for message in said.values())


def test_a_start_in_the_hour_the_clocks_skip_is_told_so():
    """02:00-03:00 on 28/03/2027 read 03:00-03:00: "the end must be after the start" beside a row
    whose end is, on paper, after its start."""
    result = validate([promo(kind="6", start="28/03/2027 02:00", end="28/03/2027 03:00"),
                       promo("B", kind="6", start="28/03/2027 05:00", end="28/03/2027 04:00"),
                       promo("C", kind="6", start="28/03/2027 03:00", end="27/03/2027 09:00")])
    said = {p.row: p.message_fr for p in result.problems}
    assert "les horloges passent de 2 h à 3 h" in said[2]
    assert said[3].startswith("La fin « 28/03/2027 04:00 » doit être après le début")
    assert said[4].startswith("La fin « 27/03/2027 09:00 » doit être après le début")  # 03:00 typed


def test_a_row_marked_for_deletion_is_refused_not_loaded():
    """An offer file's action column in a promotion file was ignored: `Suppression` put the
    promotion the seller wanted withdrawn on sale."""
    headers = [*HEADERS, "Action"]
    result = validate([[*promo("A"), "Suppression"], [*promo("B"), ""], [*promo("C"), "update"],
                       [*promo("D"), "x"]], headers)
    assert codes(result) == {2: {"not_allowed"}}
    assert "en mode remplacement" in result.problems[0].message_fr
    assert list(result.valid["sku"]) == ["B", "C", "D"]  # "x": no deletion, the seller's note


def test_an_action_column_of_campaign_names_is_the_seller_s():
    result = validate([[*promo("A"), "Noël"], [*promo("B"), "Black Friday"]], [*HEADERS, "Action"])
    assert result.problems == [] and list(result.valid["sku"]) == ["A", "B"]
