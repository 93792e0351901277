"""Promotion files: the columns sellers send and how one chunk of their rows is typed and checked.

One row of a promotion file is one promotion of one of the seller's offers (spec
promotions.md). Validation follows the offer feed: the seller's text is parsed into typed
columns here (French amounts, `15/12/2026` dates, Europe/Paris local times), the typed frame
goes through `PROMOTION_SCHEMA` (pandera, named checks), then the rules across columns, rows
and the periods' calendar (`schemas.promotion_rules`). What needs the catalog (the offer
exists, the discount is below its price, no overlap with promotions already loaded) is checked
by the loader, set-based, inside the file's transaction.

Decisions: a start written as a date alone is 00:00 that day; an end written as a date alone
includes that whole day (it ends at the next midnight, Paris time): promotions are half-open
intervals `[start, end)`, so one may end exactly when the next starts. A percentage is a whole
number from 1 to 90 (`20`, `20 %`); Excel's percentage cells (`0,2`) are refused with a hint
rather than guessed.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow

from loaders.headers import normalize_header
from marketplace.errors import Reason
from schemas import promotion_rules
from schemas.checks import named, sku_format
from schemas.columns import HeaderMap
from schemas.feed import FeedContext, Validated
from schemas.offer_rules import check_other_seller
from schemas.pandera_problems import CHECK_MESSAGES, problems_from_schema_errors
from schemas.parsing import (
    UNDECIDED,
    among,
    detect_decimal_separator,
    parse_cents,
    parse_whole,
    per_distinct,
    translate_distinct,
)
from schemas.parsing_dates import parse_datetimes, parse_end_instants
from schemas.promotion_periods import TIMEZONE, load_calendar
from schemas.promotion_rules import PROMOTION_TYPES
from schemas.seller_file_columns import ACTION_WORDS, PROMOTION_COLUMNS
from schemas.validator import ChunkValidator

_CODES_FR = ", ".join(f"{code} ({fr})" for code, (fr, _) in PROMOTION_TYPES.items())
_CODES_EN = ", ".join(f"{code} ({en})" for code, (_, en) in PROMOTION_TYPES.items())
TYPE_MESSAGE = (f"Type de promotion inconnu « {{value}} » : utilisez {_CODES_FR}.",
                f'Unknown promotion type "{{value}}": use {_CODES_EN}.')
MAX_PERCENT = 90
_CODE_TEXTS = [str(code) for code in PROMOTION_TYPES]
SAMPLE_AMOUNTS = 10_000  # the decimal separator most of the file's first amounts use

UTC_INSTANT = pd.DatetimeTZDtype("ns", "UTC")
PROMOTION_SCHEMA = pa.DataFrameSchema(
    {
        "sku": pa.Column(str, sku_format()),
        "promotion_type": pa.Column("Int64", named(pa.Check.isin, list(PROMOTION_TYPES),
                                                    name="promotion_type_known"), nullable=True),
        "discount_price": pa.Column("Int64", named(pa.Check.ge, 1, name="discount_price_positive"),
                                    nullable=True),
        "discount_percent": pa.Column("Int64", named(pa.Check.in_range, 1, MAX_PERCENT,
                                                      name="discount_percent_range"), nullable=True),
        "start_at": pa.Column(UTC_INSTANT, nullable=True),
        "end_at": pa.Column(UTC_INSTANT, nullable=True),
    },
    checks=[pa.Check(lambda typed: ~(typed["end_at"] <= typed["start_at"]), name="end_after_start",
                     error="end_after_start")],
    strict=False,
    coerce=False,
)
"""The typed promotion rows (the catalog-free rules; the others are in promotion_rules)."""

SCHEMA_MESSAGES = {
    "sku_format": CHECK_MESSAGES["sku_format"],
    "promotion_type_known": (Reason.NOT_ALLOWED, "promotion_type", *TYPE_MESSAGE),
    "discount_price_positive": (Reason.OUT_OF_RANGE, "discount_price",
                                "Le prix promo doit être supérieur à 0 : « {value} ».",
                                'The discount price must be above 0: "{value}".'),
    "discount_percent_range": (Reason.OUT_OF_RANGE, "discount_percent",
                               f"La remise doit être de 1 à {MAX_PERCENT} % : « {{value}} ».",
                               f'The discount must be 1 to {MAX_PERCENT} %: "{{value}}".'),
    "end_after_start": (Reason.BAD_DATE, "end_at",
                        "La fin « {value} » doit être après le début de la promotion.",
                        'The end "{value}" must be after the start of the promotion.'),
}


class PromotionValidator(ChunkValidator):
    """Turns one chunk of a promotion file into typed valid rows and problems."""

    def __init__(self, frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext):
        super().__init__(frame, headers, ctx, PROMOTION_COLUMNS)
        self.calendar = load_calendar(ctx.reference_dir)
        # "14/12/2026" and "12:00" in two columns are "14/12/2026 12:00": a flash sale of two
        # hours was stretched to whole days when the hours were ignored as unknown columns
        # (a date cell formatted with its time reads "2026-12-21 00:00:00": its midnight
        # gives way to the hour column)
        self.joined: dict[str, tuple[str, pd.Series, pd.Series]] = {}  # day: (hour, rows, day)
        for day, hour in (("start_at", "start_time"), ("end_at", "end_time")):
            both = (self.raw[day] != "") & (self.raw[hour] != "")
            if both.any():
                date_only = self.raw[day].str.replace(r"[ T]00:00(?::00)?$", "", regex=True)
                self.joined[day] = (hour, both, date_only)
                self.raw[day] = self.raw[day].where(~both, date_only + " " + self.raw[hour])

    def run(self) -> Validated:
        everywhere = pd.Series(True, index=self.index)
        for name in ("sku", "promotion_type", "start_at", "end_at"):
            self.check_required(name, everywhere)
        self.flag_excel_errors(everywhere)
        check_other_seller(self)
        self.refuse_delete_rows()
        typed = pd.DataFrame(index=self.index)
        typed["sku"] = self.raw["sku"]
        typed["promotion_type"] = self.parse_type()
        typed["discount_price"] = self.parse_discount_price()
        typed["discount_percent"] = self.parse_percent()
        typed["start_at"], typed["end_at"] = self.parse_dates()
        # codes are lower-case ASCII: "soldes-été-2027" and "Noël-2026" name their periods
        period = self.raw["period"].str.lower().str.normalize("NFKD").str.replace(
            "[\u0300-\u036f]", "", regex=True)
        typed["period"] = period.where(period != "")
        promotion_rules.check_discounts(self, typed)
        promotion_rules.flag_spring_gap(self, typed)
        self.collector.problems.extend(problems_from_schema_errors(
            PROMOTION_SCHEMA, typed, self.raw, self.header, SCHEMA_MESSAGES))
        promotion_rules.check_dates(self, typed)
        promotion_rules.check_periods(self, typed)
        self.collector.problems.extend(promotion_rules.check_overlaps(self, typed))
        rejected = typed.index.isin(list(self.collector.rejected_rows()))
        self.ctx.state.setdefault("rejected_skus", set()).update(typed["sku"][rejected])
        return Validated(typed[~rejected], self.collector.first_per_cell())

    def refuse_delete_rows(self) -> None:
        """A row marked for deletion (an offer file's action column, `Suppression`) loaded as a
        promotion, the column ignored: the seller who asked to withdraw it put it on sale. A
        promotion is withdrawn by sending the whole list without it in replace mode."""
        action = translate_distinct(self.raw["update_delete"],
                                    lambda value: ACTION_WORDS.get(normalize_header(value), ""))
        # only the words of deletion: a column "Action" of campaign names ("Noël") is the seller's
        self.flag(action == "delete", Reason.NOT_ALLOWED, "update_delete",
                  "Action « {value} » : une ligne de promotion ne supprime rien, elle ajoute ou"
                  " met à jour une promotion (laissez la colonne « {column} » vide). Pour retirer"
                  " une promotion, envoyez la liste complète de vos promotions sans elle, en mode"
                  " remplacement.",
                  'Action "{value}": a promotion row deletes nothing, it adds or updates a'
                  ' promotion (leave column "{column}" empty). To withdraw a promotion, send the'
                  " whole list of your promotions without it, in replace mode.")

    def parse_type(self) -> pd.Series:
        raw = self.raw["promotion_type"]
        codes = raw.isin(list(_CODE_TEXTS))  # nearly every cell: read without parse_whole
        values = pd.Series(pyarrow.array(raw[codes]).cast("int64"), index=raw.index[codes],
                           dtype="Int64").reindex(raw.index)
        if not codes.all():
            others, unreadable = parse_whole(raw[~codes])
            values[~codes] = others
            self.flag(unreadable, Reason.NOT_ALLOWED, "promotion_type", *TYPE_MESSAGE,
                      values=raw[~codes])
        return values

    def parse_discount_price(self) -> pd.Series:
        raw = self.raw["discount_price"]
        filled = raw[raw != ""]  # most promotions give a percentage or nothing: parse only these
        if self.ctx.decimal_separator is None and len(filled):  # decided once, on a sample
            self.ctx.decimal_separator = detect_decimal_separator(filled.head(SAMPLE_AMOUNTS),
                                                                  self.ctx.typed_numbers)
        cents, unreadable, too_precise = per_distinct(parse_cents, filled,
                                                      self.ctx.decimal_separator or UNDECIDED,
                                                      self.ctx.typed_numbers)
        unreadable = self.flag_ambiguous_amounts(unreadable, "discount_price", values=filled)
        self.flag(unreadable, Reason.BAD_NUMBER, "discount_price",
                  "Le prix promo n'est pas un nombre lisible : « {value} » (exemple : 12,50).",
                  'The discount price is not a readable number: "{value}" (example: 12.50).',
                  values=filled)
        self.flag(too_precise, Reason.TOO_MANY_DECIMALS, "discount_price",
                  "Le prix promo a plus de 2 décimales : « {value} ».",
                  'The discount price has more than 2 decimals: "{value}".', values=filled)
        return cents.reindex(raw.index)

    def parse_percent(self) -> pd.Series:
        raw = self.raw["discount_percent"]
        filled = raw[raw != ""]
        number = filled
        signed = filled.str.endswith("%")
        if signed.any():
            number = filled.where(~signed, filled.str.slice(0, -1).str.rstrip(" \u00a0\u202f"))
        values, unreadable = per_distinct(parse_whole, number, limit=100)
        excel_percent = among(unreadable, number, r"0[.,]\d+")  # 0,2 for 20 %
        self.flag(excel_percent, Reason.BAD_NUMBER, "discount_percent",
                  "La remise « {value} » doit être un nombre entier : écrivez 20 pour 20 % (une"
                  " cellule Excel au format pourcentage contient 0,2).",
                  'The discount "{value}" must be a whole number: write 20 for 20 % (an Excel'
                  " cell formatted as a percentage holds 0.2).", values=filled)
        self.flag(unreadable & ~excel_percent, Reason.BAD_NUMBER, "discount_percent",
                  f"La remise « {{value}} » doit être un nombre entier de 1 à {MAX_PERCENT}"
                  " (20 pour 20 %).",
                  f'The discount "{{value}}" must be a whole number from 1 to {MAX_PERCENT}'
                  " (20 for 20 %).", values=filled)
        # "-20 %" is how a shop label shows 20 % off: say what to write, not only "1 to 90"
        negative = (values < 0).fillna(False).astype(bool)
        self.flag(negative, Reason.OUT_OF_RANGE, "discount_percent",
                  "La remise « {value} » s'écrit sans signe moins : 20 pour une remise de 20 %.",
                  'Write the discount "{value}" without a minus sign: 20 for 20 % off.',
                  values=filled)
        return values.reindex(raw.index)

    def parse_dates(self) -> tuple[pd.Series, pd.Series]:
        start, bad_start = parse_datetimes(self.raw["start_at"], TIMEZONE)
        end, bad_end = parse_end_instants(self.raw["end_at"], TIMEZONE)
        for name, unreadable in (("start_at", bad_start), ("end_at", bad_end)):
            unreadable = self.flag_unreadable_hours(name, unreadable)
            self.flag_unreadable(unreadable, Reason.BAD_DATE, name, (
                r"\d{5}(?:[.,]\d+)?",
                "Date illisible « {value} » : Excel l'a enregistrée comme un nombre ; mettez la"
                " cellule au format date, ou écrivez 15/12/2026 08:00.",
                'Unreadable date "{value}": Excel stored it as a number; format the cell as a'
                " date, or write 15/12/2026 08:00."),
                "Date illisible « {value} » : écrivez JJ/MM/AAAA ou AAAA-MM-JJ, avec l'heure si"
                " besoin (15/12/2026 08:00).",
                'Unreadable date "{value}": write DD/MM/YYYY or YYYY-MM-DD, with the time if'
                " needed (15/12/2026 08:00).")
        return start, end

    def flag_unreadable_hours(self, day: str, unreadable: pd.Series) -> pd.Series:
        """The unreadable dates whose day reads alone and whose hour does not: the hour
        column is wrong, and is the cell flagged, with its own text (`25h00` was reported on
        the date cell, as "01/03/2027 25h00", which neither cell holds); returns the other
        unreadable dates (an hour in both cells stays the date's: the row says which)."""
        if day not in self.joined or not (unreadable & self.joined[day][1]).any():
            return unreadable
        hour, both, date_only = self.joined[day]
        joined = unreadable & both
        bad_hour = joined.copy()
        bad_hour[joined] = (_readable(date_only[joined])
                            & ~_readable("2027-01-04 " + self.raw[hour][joined]))
        self.flag(bad_hour, Reason.BAD_DATE, hour,
                  "Heure illisible « {value} » : écrivez 08:00 ou 8h00.",
                  'Unreadable time "{value}": write 08:00 or 8h00.')
        return unreadable & ~bad_hour


def _readable(texts: pd.Series) -> pd.Series:
    return ~parse_datetimes(texts, TIMEZONE)[1]


def validate_promotions(frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext) -> Validated:
    """Type and check one chunk of a promotion file (no database access)."""
    return PromotionValidator(frame, headers, ctx).run()
