"""Vectorised parsers from the seller's text to typed values, French Excel conventions first.

Each parser takes the stripped text of one column (a pandas `str` Series, "" for empty) and
returns typed values plus a boolean mask of the cells it could not read; the caller turns the
mask into precise problems. Nothing here loops over rows in Python: files have a million rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders.headers import normalize_header
from reports.safe_cells import BLANK_LEAD, BLANKS, FORMULA_TRIGGERS  # what our reports guard

INNER_REPORT_APOSTROPHE = f";([{BLANKS}]*)'(?=[" + re.escape("".join(FORMULA_TRIGGERS)) + "])"
_INNER_REPORT_APOSTROPHE_RE2 = (r";[\s\p{Z}\x{85}\x00-\x1f\x7f\x{feff}\x{200b}-\x{200d}\x{2060}]*'["
                                + re.escape("".join(FORMULA_TRIGGERS)) + "]")
"""The same, found by RE2 (no look-ahead there): one scan instead of two literal searches of
every title and description, a tenth of a second per million offers."""

SPACES = r"[\s\u00a0\u202f]"
_NUMBER = r"^[+-]?\d+(?:\.\d+)?$"
_PLAIN = r"[+-]?\d+(?:[.,]\d+)?"
_WHOLE = r"[+-]?\d{1,12}"
_SCIENTIFIC = r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$"
_THOUSANDS_DOT = r"^[+-]?[1-9]\d{0,2}(?:\.\d{3})+$"
_ONE_DOT_GROUP = r"^[+-]?[1-9]\d{0,2}\.\d{3}$"  # 2.500: 2,50 or 2 500?
_THOUSANDS_COMMA = r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+$"  # the same shapes in a "." file
_ONE_COMMA_GROUP = r"^[+-]?[1-9]\d{0,2},\d{3}$"  # 1,200: 1.20 or 1 200?
_EURO_AT_AN_END = (r"(?i)^[\s\u00a0\u202f]*(?:€|eur)[\s\u00a0\u202f]*"
                   r"|[\s\u00a0\u202f]*(?:€|eur)[\s\u00a0\u202f]*$")
"""The currency before or after an amount: `€`, or `EUR` as ERP exports write it."""
_WHITE_RE2 = r"\s\x0B\p{Z}\x{0085}"
"""What Python's `\\s` matches, in RE2 (whose `\\s` is ASCII): thin, figure and no-break spaces."""
_EURO_AT_AN_END_RE2 = (rf"(?i)^[{_WHITE_RE2}]*(?:€|eur)[{_WHITE_RE2}]*"
                       rf"|[{_WHITE_RE2}]*(?:€|eur)[{_WHITE_RE2}]*$")
_NUMBER_CELL = r"[+-]?\d+\.\d*[1-9]"
"""A workbook number cell's text with decimals: one dot, never a trailing zero."""
_SPACE_GROUPED = r"[+-]?\d{1,3}(?:[\s\u00a0\u202f]\d{3})+(?:[.,]\d+)?"
_DOT_GROUPS = (".", _THOUSANDS_DOT, _ONE_DOT_GROUP)
_COMMA_GROUPS = (",", _THOUSANDS_COMMA, _ONE_COMMA_GROUP)
_GROUPINGS = {",": (_DOT_GROUPS,), ".": (_COMMA_GROUPS,), "": (_DOT_GROUPS, _COMMA_GROUPS)}
"""By decimal separator: the other mark's thousands shapes (read) and lone group (refused)."""
TRUE_WORDS = {"yes", "oui", "true", "vrai", "1", "y", "o"}
FALSE_WORDS = {"no", "non", "false", "faux", "0", "n"}


def matches(texts: pd.Series, pattern: str, *, whole: bool = False) -> pd.Series:
    """Whether each cell contains (or, `whole`, is) a match of the RE2 `pattern`.

    Straight through Arrow: pandas' `str.contains` and `str.fullmatch` first scan the column
    to decide whether Python's `re` must take over (line breaks with `$`, non-ASCII text with
    `\\d`), a second pass over every cell that doubled the cost of the offer rules. RE2's
    `\\d` is ASCII digits only, which is what a code or an amount must be made of.
    """
    if whole:
        pattern = f"^(?:{pattern})$"
    found = pc.match_substring_regex(pa.array(texts), pattern)
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=texts.index)


def among(rows: pd.Series, texts: pd.Series, pattern: str) -> pd.Series:
    """Which of `rows` (a boolean mask) have a text that is a whole match of `pattern`: only
    those texts are looked at (a hint for a few refused cells must not scan the column)."""
    found = pd.Series(False, index=rows.index)
    if rows.any():
        found[rows] = matches(texts[rows], pattern, whole=True)
    return found


def strip(series: pd.Series) -> pd.Series:
    """Cell text without surrounding spaces: Unicode white space, so no-break spaces too
    (Arrow's `utf8_trim_whitespace`, like Python's `str.strip`; see tests/test_parsing.py)."""
    return series.str.strip()


def without_report_apostrophe(texts: pd.Series) -> pd.Series:
    """Stripped cell text without the apostrophe our reports put before formula-like text.

    The rejected-rows CSV writes `+Câble` as `'+Câble` (reliability.md: no spreadsheet may run
    it); the seller fixes another cell and sends the file back, so the apostrophe is ours, not
    theirs: `'+Câble` is read `+Câble`. Only before the characters that get one (Excel
    exports a cell typed `'+Câble` as `+Câble`); `'Tis` or `'123` keep theirs.
    """
    quoted = texts.str.startswith("'")
    if not quoted.any():  # the usual case: one vectorised test
        return texts
    ours = quoted & (texts.str[1:2].isin(FORMULA_TRIGGERS)  # and `' =1+1`, as inert_text writes
                     | texts.str[1:].str.replace(BLANK_LEAD, "", regex=True).str[:1]
                     .isin(FORMULA_TRIGGERS))
    if not ours.any():
        return texts
    texts = texts.copy()
    texts[ours] = texts[ours].str[1:].str.strip()
    return texts


def without_inner_report_apostrophes(texts: pd.Series) -> pd.Series:
    """Free text without the apostrophe our comma CSVs put after a `;` that a formula start
    follows (`Promo; '-20 %`, `reports.safe_cells.SpreadsheetCsvWriter`): a title fixed in a
    rejected-rows file loads as the seller first wrote it."""
    marked = matches(texts, _INNER_REPORT_APOSTROPHE_RE2)
    if not marked.any():  # the usual case
        return texts
    texts = texts.copy()
    texts[marked] = texts[marked].str.replace(INNER_REPORT_APOSTROPHE, r";\1", regex=True)
    return texts


def without_excel_text_formula(texts: pd.Series) -> pd.Series:
    """`="0012345678905"` read as `0012345678905`: the formula exports and sellers write so
    that Excel keeps an identifier's leading zeros (it displays the text, not the formula)."""
    wrapped = texts.str.startswith('="')
    if not wrapped.any():  # the usual case: one vectorised test
        return texts
    wrapped &= texts.str.endswith('"') & (texts.str.len() >= 3)
    texts = texts.copy()
    texts[wrapped] = texts[wrapped].str.slice(2, -1).str.replace('""', '"', regex=False)
    return texts


INVISIBLE = "[\u00ad\u200b-\u200d\u2060\ufeff]"
"""Characters no cell shows (soft hyphen, zero-width spaces and joiners, word joiner, BOM)."""


def without_invisible(texts: pd.Series) -> pd.Series:
    """An identifier without the characters no cell shows: a zero-width space pasted from a web
    page before an EAN made it "invalid" while the seller saw a valid code. For identifiers
    only: in a title, a zero-width joiner is part of an emoji."""
    hidden = matches(texts, INVISIBLE)
    if not hidden.any():  # the usual case: one vectorised test
        return texts
    texts = texts.copy()
    texts[hidden] = texts[hidden].str.replace(INVISIBLE, "", regex=True)
    return texts


UNDECIDED = ""
"""The decimal separator of a file none of whose amounts shows one (`20`, `1,500`): then a
lone group of three digits (`1,500`, `2.500`) is a thousand or a decimal, and is refused."""


def detect_decimal_separator(texts: pd.Series, typed_numbers: bool = False) -> str:
    """"," or ".": the separator most of a column's values use (French files: ","), or
    `UNDECIDED` when no value has one or two decimals. Defaulting to "," there read an English
    export's `1,500` (no cents anywhere in the file) as 1,50 €.

    `typed_numbers` (a workbook): a number cell's text has a "." whatever the seller's Excel
    shows, so dots say nothing of how the seller types; only commas do. Counting them as
    votes made a French workbook of number cells a "." file, and the text cell `2.000`
    typed beside them loaded a 2,000 € fridge at 2,00 €. A dot followed by a zero at the end
    (`12.50`, `9.0`) is no number cell's text (Excel's 12.5 is written `12.5`): such a text
    cell votes (an English workbook of text prices stays a "." file)."""
    # RE2 through Arrow: with `(?i)`, pandas ran Python's `re` cell by cell (0.08 s a file)
    bare = pc.replace_substring_regex(pa.array(texts, type=pa.string()), _EURO_AT_AN_END_RE2, "")
    bare = pd.Series(pc.replace_substring_regex(bare, f"[{_WHITE_RE2}]", ""), dtype="string[pyarrow]")
    commas = matches(bare, r"\d,\d{1,2}$").sum()
    dots = matches(bare, r"\d\.\d?0$" if typed_numbers else r"\d\.\d{1,2}$").sum()
    if commas == dots == 0:
        return UNDECIDED
    return "." if dots > commas else ","


def ambiguous_groups(texts: pd.Series, decimal_separator: str) -> pd.Series:
    """The amounts refused because a lone group of three digits after the file's other mark
    (`2.500` in a "," file, `1,200` in a "." file, either when undecided) may be a thousand:
    their refusal asks which, instead of calling them unreadable."""
    bare = texts.str.replace(_EURO_AT_AN_END, "", regex=True)
    found = pd.Series(False, index=texts.index)
    for _mark, _grouped, one_group in _GROUPINGS[decimal_separator]:
        found |= bare.str.fullmatch(one_group.strip("^$"))
    return found


def normalize_number_text(texts: pd.Series, decimal_separator: str,
                          number_cells: bool = False) -> pd.Series:
    """`1 234,50 €` → `1234.50`: the canonical text of a number, or something that won't parse.

    Spaces and no-break spaces are thousands separators, between groups of three digits only
    (`12 50` and `1 2` are no numbers), and `€` may stand before or after the number, never
    inside (`12€50` is no number). When both `,` and `.` appear, the last one is the decimal
    separator. A lone `.` in a file whose decimal separator is `,` is a thousands separator
    in the `1.234.567` shape; with one group (`2.500`) it could be either, and the value is
    refused rather than guessed. The same holds for a lone `,` in a `.` file (`1,234,567` read,
    `1,200` refused: an English export's 1 200, or 1,20?). With `UNDECIDED`, both lone groups
    are refused and both thousands shapes read. Plain values (`12,50`, `12.5`:
    nearly all of a file) take a fast path; only the others get the full treatment.

    `number_cells` (a workbook): a text with one dot whose last digit is not 0 (`12.555`) is a
    number cell's (Excel drops trailing zeros, and a number cell has no thousands separator),
    read as decimals: a price computed to 17.988 was asked "thousands or decimals?" about a
    dot the seller never typed, not told its three decimals.
    """
    plain = matches(texts, _PLAIN, whole=True)
    for _mark, grouped, _one_group in _GROUPINGS[decimal_separator]:
        plain &= ~matches(texts, grouped, whole=True)
    out = texts.str.replace(",", ".", regex=False)
    if not plain.all():
        out[~plain] = _normalize_unusual(texts[~plain], decimal_separator, number_cells)
    return out


def _normalize_unusual(texts: pd.Series, decimal_separator: str, number_cells: bool) -> pd.Series:
    text = texts.str.replace(_EURO_AT_AN_END, "", regex=True)
    grouped = text.str.fullmatch(_SPACE_GROUPED)
    text = text.where(~grouped, text.str.replace(SPACES, "", regex=True))
    both = text.str.contains(",", regex=False) & text.str.contains(".", regex=False)
    comma_last = text.str.rfind(",") > text.str.rfind(".")
    out = text.copy()
    out[both & comma_last] = (
        text[both & comma_last].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    out[both & ~comma_last] = text[both & ~comma_last].str.replace(",", "", regex=False)
    only_comma = ~both & text.str.contains(",", regex=False)
    out[only_comma] = text[only_comma].str.replace(",", ".", regex=False)
    for mark, grouped, one_group in _GROUPINGS[decimal_separator]:
        thousands = ~both & text.str.fullmatch(grouped)
        out[thousands] = text[thousands].str.replace(mark, "", regex=False)
        out[~both & text.str.fullmatch(one_group)] = "?"  # no number: refused
    if number_cells:
        out[text.str.fullmatch(_NUMBER_CELL)] = text
    return out


def composed_when_over(texts: pd.Series, limit: int) -> pd.Series:
    """Cells longer than `limit` in Unicode's composed form (NFC), where they may be shorter:
    Mac tools write é as e + a combining accent, two code points of one character a seller
    counts once. Only the cells over the limit are looked at (a length is cheap, NFC is not)."""
    over = (texts.str.len() > limit).to_numpy(dtype=bool, na_value=False)
    if not over.any():
        return texts
    out = texts.copy()
    out[over] = texts[over].map(lambda text: unicodedata.normalize("NFC", text))
    return out


def is_scientific(texts: pd.Series) -> pd.Series:
    """Excel's `3.60029E+12`: a number that has already lost digits."""
    return matches(texts, _SCIENTIFIC, whole=True)


_CENTS = r"\d{1,12}[.,]\d\d"
"""`12,50` or `12.50`: the shape of nearly every price, read by dropping the separator."""


def parse_cents(texts: pd.Series, decimal_separator: str,
                number_cells: bool = False) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Amounts in whole cents (nullable Int64).

    Returns (cents, unreadable, too_many_decimals). Empty cells give <NA> and are neither
    unreadable nor over-precise. Trailing zeros past the cents (`12,500`) are accepted.
    Only string operations: the amount never passes through a float. `number_cells`: as
    `normalize_number_text`.
    """
    plain = matches(texts, _CENTS, whole=True).to_numpy()
    if not plain.any():
        return _parse_any_cents(texts, decimal_separator, number_cells)
    values = np.zeros(len(texts), dtype=np.int64)
    values[plain] = _plain_cents(texts if plain.all() else texts[plain])
    cents = pd.Series(pd.arrays.IntegerArray(values, ~plain), index=texts.index)
    unreadable = pd.Series(False, index=texts.index)
    too_precise = unreadable.copy()
    if not plain.all():
        others = ~plain
        cents[others], unreadable[others], too_precise[others] = _parse_any_cents(
            texts[others], decimal_separator, number_cells)
    return cents, unreadable, too_precise


def _plain_cents(texts: pd.Series) -> np.ndarray:
    """`12,50` → 1250: the units and the two decimals cast by Arrow (a regular expression
    replacing the separator took four fifths of reading the prices)."""
    text = _contiguous(texts)
    units = pc.cast(pc.utf8_slice_codeunits(text, 0, -3), pa.int64()).to_numpy()
    hundredths = pc.cast(pc.utf8_slice_codeunits(text, -2), pa.int64()).to_numpy()
    return units * 100 + hundredths


def _parse_any_cents(texts: pd.Series, decimal_separator: str,
                     number_cells: bool) -> tuple[pd.Series, pd.Series, pd.Series]:
    canon = normalize_number_text(texts, decimal_separator, number_cells)
    empty = texts == ""
    readable = canon.str.fullmatch(_NUMBER) & ~empty
    text = canon.where(readable, "0")
    text = text.where(text.str.contains(".", regex=False), text + ".")
    text = text.str.replace(r"0+$", "", regex=True).str.replace(r"\.$", ".0", regex=True)
    fraction_digits = text.str.len() - text.str.find(".") - 1
    too_precise = readable & (fraction_digits > 2)
    whole_digits = text.str.find(".") - text.str.startswith(("+", "-")).astype("int64")
    too_big = readable & (whole_digits > 12)
    ok = readable & ~too_precise & ~too_big
    padded = text.where(fraction_digits != 1, text + "0")
    digits = padded.where(ok, "0.00").str.replace(".", "", regex=False).str.lstrip("+")
    value = digits.astype("int64").astype("Int64").where(ok, pd.NA)
    unreadable = ~empty & ~readable | too_big
    return value, unreadable, too_precise


def parse_whole(texts: pd.Series, *, limit: int = 10**9) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (nullable Int64): `12`, `12,0`, `1 200`; returns (values, unreadable)."""
    empty = texts == ""
    canon = texts
    shaped = matches(texts, _WHOLE, whole=True)
    readable = shaped & ~empty
    unusual = ~shaped & ~empty
    if unusual.any():  # "1 200", "12,0": the slower normalisation only where needed
        canon = texts.copy()
        canon[unusual] = (texts[unusual].str.replace(SPACES, "", regex=True)
                          # "12,0" is 12; "1.000" is refused: 1 or a thousand?
                          .str.replace(r"[.,](?:0{1,2}|0{4,})$", "", regex=True))
        readable[unusual] = matches(canon[unusual], _WHOLE, whole=True)
    values = as_int64(canon.where(readable, "0").str.lstrip("+")).astype("Int64")
    values = values.where(readable & (values.abs() <= limit), pd.NA)
    unreadable = ~empty & values.isna()
    return values, unreadable


def as_int64(texts: pd.Series) -> pd.Series:
    """Texts of whole numbers (no "+": checked by the caller) as int64, by Arrow's cast:
    pandas' `astype` makes a Python object of each cell first, ten times slower."""
    return pd.Series(pc.cast(pa.array(texts), pa.int64()).to_numpy(), index=texts.index)


def parse_bool(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """yes/no, oui/non, true/false, vrai/faux, 1/0 (nullable boolean); returns (values, unreadable)."""
    lowered = texts.str.lower()
    values = pd.Series(pd.NA, index=texts.index, dtype="boolean")
    values[lowered.isin(TRUE_WORDS)] = True
    values[lowered.isin(FALSE_WORDS)] = False
    unreadable = (texts != "") & values.isna()
    return values, unreadable


def gtin_check_ok(digits: pd.Series) -> pd.Series:
    """Whether 8-, 12-, 13- or 14-digit GTINs have a valid check digit (mod 10, weights 3/1).

    Vectorised because python-stdnum's per-value check costs about 6 s per million rows
    (measured); `tests/test_parsing.py` checks this agrees with `stdnum.ean.is_valid`.
    """
    valid_shape = ascii_digits(digits, lengths=(8, 12, 13, 14))
    if digits.empty:
        return valid_shape
    padded = pc.utf8_lpad(_contiguous(digits.where(valid_shape, "0" * 14)), width=14, padding="0")
    # 14 ASCII digits in every cell now: the array's characters are the (rows, 14) matrix
    offsets = np.frombuffer(padded.buffers()[1], dtype=np.int64 if pa.types.is_large_string(
        padded.type) else np.int32)
    matrix = np.frombuffer(padded.buffers()[2], dtype=np.uint8, count=14 * len(padded),
                           offset=int(offsets[padded.offset])).reshape(-1, 14)
    values = matrix.astype(np.int32) - ord("0")
    weights = np.array([3, 1] * 6 + [3], dtype=np.int32)
    expected = (10 - values[:, :13] @ weights % 10) % 10
    return pd.Series(expected == values[:, 13], index=digits.index) & valid_shape


def ascii_digits(texts: pd.Series, lengths: tuple[int, ...] = ()) -> pd.Series:
    """Whether each cell is ASCII digits only (not empty), and of one of `lengths` if given:
    Arrow's character test, six times faster than a regular expression for the same answer."""
    text = _contiguous(texts)
    found = pc.ascii_is_decimal(text)
    if lengths:
        found = pc.and_(found, pc.is_in(pc.binary_length(text), pa.array(lengths, pa.int64())))
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=texts.index)


def _contiguous(texts: pd.Series) -> pa.Array:
    array = pa.array(texts, type=pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def translate_distinct(texts: pd.Series, translate: Callable[[str], str]) -> pd.Series:
    """`translate` of each cell, called once per distinct text (a condition word, an action: a
    handful per file) and spread back by Arrow: `Series.map` with a dict looks every cell up
    in Python, five times slower."""
    codes, distinct = pd.factorize(texts)
    table = pd.array([translate(value) for value in distinct], dtype="str")
    return pd.Series(table.take(codes, allow_fill=True), index=texts.index)


_WORDS = re.compile(r"(?:[^\W_]|')+")


def word_key(text: str) -> str:
    """The words of a cell as the feeds' vocabularies list them: lower case, without accents,
    punctuation or the spacing between words ("Colis-suivi", "COLIS  SUIVI" → "colis suivi";
    "Occasion - Très bon état" → "occasion tres bon etat"), for `translate_distinct`."""
    return " ".join(_WORDS.findall(normalize_header(text)))


REPEAT_SAMPLE = 2_000  # cells looked at to tell a column of repeated values from unique ones


def per_distinct(parse: Callable[..., tuple[pd.Series, ...]], texts: pd.Series, *args,
                 **kwargs) -> tuple[pd.Series, ...]:
    """`parse(texts, ...)`, parsing each distinct text once when the column repeats itself
    (promotion dates, discount percentages): hashing a cell costs a fraction of parsing it.
    Columns of unique values (order timestamps) are recognised on a sample and parsed directly.
    """
    sample = texts.iloc[:REPEAT_SAMPLE]
    if len(texts) <= REPEAT_SAMPLE or sample.nunique() * 4 >= len(sample):
        return parse(texts, *args, **kwargs)
    codes, distinct = pd.factorize(texts)
    parsed = parse(pd.Series(distinct, dtype=texts.dtype), *args, **kwargs)
    return tuple(pd.Series(result.array.take(codes), index=texts.index) for result in parsed)

