"""Number parsing as French Excel writes numbers: property-based, exact to the cent."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.parsing import parse_cents, parse_whole, without_report_apostrophe

amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)


def french(amount: Decimal) -> str:
    """`1 234,50` with a no-break space, as Excel's French locale shows it."""
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = f"{int(units):,}".replace(",", "\u00a0")
    return f"{sign}{groups},{cents}"


@given(st.lists(amounts, min_size=1, max_size=30))
def test_french_and_english_forms_parse_to_the_exact_cents(values):
    expected = [int(v * 100) for v in values]
    for texts, separator in (([french(v) for v in values], ","),
                             ([f"{v:.2f}" for v in values], "."),
                             ([f"{v:,.2f}" for v in values], "."),
                             ([french(v) + " €" for v in values], ",")):
        cents, unreadable, too_precise = parse_cents(pd.Series(texts, dtype="str"), separator)
        assert cents.tolist() == expected, texts
        assert not unreadable.any() and not too_precise.any()


@given(st.decimals(min_value=0, max_value=1000, places=3), st.sampled_from([",", "."]))
def test_a_third_decimal_is_refused_unless_it_is_zero(value, separator):
    text = f"{value:.3f}".replace(".", separator)
    cents, unreadable, too_precise = parse_cents(pd.Series([text], dtype="str"), separator)
    if value == value.quantize(Decimal("0.01")):
        assert cents[0] == int(value * 100)
    else:
        assert bool(too_precise[0]) and pd.isna(cents[0])
    assert not unreadable[0]


@pytest.mark.parametrize("separator", [",", "."])
@pytest.mark.parametrize("text", ["12€50", "9€99", "12 50", "1 2", "1 0,5", "12 €50"])
def test_a_space_or_euro_inside_a_number_is_no_number(text, separator):
    """Only whole groups of three digits take a thousands space, and € stands at an end: the
    other shapes were read as 1250.00 for 12€50 (a hundred times the price), silently."""
    cents, unreadable, _ = parse_cents(pd.Series([text], dtype="str"), separator)
    assert unreadable[0] and pd.isna(cents[0])


@pytest.mark.parametrize(("text", "comma_file", "dot_file"), [
    ("2.500", None, 250),  # a comma file: 2,50 or 2 500? refused rather than guessed
    ("0.500", 50, 50), ("1.234.567", 123456700, None), ("€ 1 234,50", 123450, 123450),
    ("-1 234,50", -123450, -123450), ("12,50€", 1250, 1250),
    ("1,200", 120, None),  # a dot file (an English export): 1 200 or 1,20? refused
    ("1,234,567", None, 123456700), ("12,50", 1250, 1250), ("0,500", 50, 50)])
def test_dots_and_spaces_as_thousands_separators(text, comma_file, dot_file):
    for separator, expected in ((",", comma_file), (".", dot_file)):
        cents, unreadable, _ = parse_cents(pd.Series([text], dtype="str"), separator)
        assert (None if pd.isna(cents[0]) else cents[0]) == expected
        assert bool(unreadable[0]) is (expected is None)


@pytest.mark.parametrize(("texts", "expected"), [
    (["1,500", "2,000", "20"], [None, None, 2000]),  # an English export without cents
    (["2.500", "3"], [None, 300]),
    (["12,500"], [None]),  # 12 500 or 12,50: no other amount says
    (["1,234,567", "1.234.567", "1 500"], [123456700, 123456700, 150000]),  # no doubt there
    (["1,500", "12,50"], [150, 1250]),  # cents elsewhere: a comma file, trailing zeros
    (["1.500", "12.50"], [150, 1250])])
def test_a_file_without_cents_reads_no_lone_group_of_three_digits(texts, expected):
    """No amount with one or two decimals: the separator is undecided, and `1,500` is refused
    (it was 1,50 €, a thousandth of an English export's fridge) in either mark."""
    from schemas.parsing import ambiguous_groups, detect_decimal_separator

    series = pd.Series(texts, dtype="str")
    separator = detect_decimal_separator(series)
    cents, unreadable, _ = parse_cents(series, separator)
    assert [None if pd.isna(c) else c for c in cents] == expected
    assert unreadable.tolist() == [e is None for e in expected]
    assert ambiguous_groups(series[unreadable], separator).all()


@pytest.mark.parametrize("space", ["\u2009", "\u2007", "\u00a0", "\u202f", "\x0b", " "])
def test_the_decimal_separator_sees_amounts_behind_any_space_before_the_euro(space):
    """`12,50 €` with a thin space was not a comma amount once the detection ran in RE2 (its
    `\\s` is ASCII): the file became a "." one and `1.500` loaded as 1,50 €."""
    from schemas.parsing import detect_decimal_separator

    texts = pd.Series([f"12,50{space}€", f"8,90{space}€", "9.5", "1.500"], dtype="str")
    assert detect_decimal_separator(texts) == ","


def test_whole_numbers():
    values, unreadable = parse_whole(pd.Series(["12", "12,0", "1 200", "-3", "", "1.5", "x", "+4"],
                                               dtype="str"))
    assert values.tolist()[:4] == [12, 12, 1200, -3]
    assert pd.isna(values[4]) and not unreadable[4]
    assert unreadable.tolist()[5:7] == [True, True]
    assert values[7] == 4


def test_a_whole_number_with_three_decimal_zeros_is_ambiguous_not_one():
    values, unreadable = parse_whole(pd.Series(["1.000", "2,000", "3.00", "4,0000"], dtype="str"))
    assert unreadable.tolist() == [True, True, False, False]
    assert values.tolist()[2:] == [3, 4]


def test_amounts_parsed_once_per_distinct_text_equal_the_direct_parse():
    from schemas.parsing import REPEAT_SAMPLE, per_distinct

    texts = pd.Series(["12,50", "1 200,00", "abc", "", "3,999", "0,10"] * REPEAT_SAMPLE,
                      dtype="str").iloc[3:]  # an index that does not start at 0
    for got, want in zip(per_distinct(parse_cents, texts, ","), parse_cents(texts, ","), strict=True):
        pd.testing.assert_series_equal(got, want, check_names=False)
    values, unreadable = per_distinct(parse_whole, pd.Series(["20", "x"] * REPEAT_SAMPLE, dtype="str"))
    assert values.iloc[:2].tolist() == [20, pd.NA] and unreadable.sum() == REPEAT_SAMPLE


@given(st.lists(st.one_of(st.from_regex(r"\A[+-]?[0-9 .,€\u00a0]{0,15}\Z"),
                         st.from_regex(r"\A\d{1,13}[.,]\d{2}\Z")), min_size=1, max_size=40),
       st.sampled_from([",", "."]), st.booleans())
def test_plain_prices_shortcut_agrees_with_the_full_parser(texts, separator, number_cells):
    """`12,50`-shaped cells skip the general parser: whatever the mix, same answers."""
    from schemas.parsing import _parse_any_cents

    series = pd.Series([t.strip() for t in texts], dtype="str")
    for got, want in zip(parse_cents(series, separator, number_cells),
                         _parse_any_cents(series, separator, number_cells), strict=True):
        assert got.astype(object).tolist() == want.astype(object).tolist(), series.tolist()


def test_strip_removes_no_break_spaces_as_excel_pastes_them():
    from schemas.parsing import strip

    texts = pd.Series(["\u00a012,50\u202f", " a b\t", "\u3000x\u00a0"], dtype="str")
    assert strip(texts).tolist() == ["12,50", "a b", "x"]


def test_the_apostrophe_of_our_reports_is_removed_and_only_that_one():
    texts = pd.Series(["'+Câble", "'=HYPERLINK(1)", "'-2+3", "'@SUM(A1)", "'\tx", "'Tis",
                       "'123", "l'été", "+5", ""], dtype="str")
    assert without_report_apostrophe(texts).tolist() == [
        "+Câble", "=HYPERLINK(1)", "-2+3", "@SUM(A1)", "x", "'Tis", "'123", "l'été", "+5", ""]


def test_excel_s_text_formula_is_read_as_its_text():
    from schemas.parsing import without_excel_text_formula

    texts = pd.Series(['="0012345678905"', '="a ""b"""', "=SUM(A1)", '="', "x"], dtype="str")
    assert without_excel_text_formula(texts).tolist() == [
        "0012345678905", 'a "b"', "=SUM(A1)", '="', "x"]
