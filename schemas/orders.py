"""Order activity files: the columns the order system exports and how one chunk is typed and checked.

One row is one order in its state at export time (feeds.md, "Order activity"). Validation
follows the other feeds: the text is parsed into typed columns here (French or dotted
amounts in cents, ISO date-times with an offset or Europe/Paris local times, whole-number
ratings), the typed frame goes through `ORDER_SCHEMA` (pandera, one named check per rule and
column), then the rules across columns and rows (`schemas.order_rules`). What needs the
catalog (the seller exists, the offer is known) is checked by the loader, set-based, in the
file's transaction.

Decisions:
- Only order_id, seller_id, sku, ordered_at and amount are required; any other column may be
  absent, and an absent column or an empty cell means "no such event" (NULL), a missing
  shipping amount is 0.
- Codes (customer_type, delivery, refund_reason) are the English codes of the spec, any case.
- Every event is checked against ordered_at (nothing happens before the order), the delivery
  chain as ordered ≤ accepted ≤ shipped ≤ delivered on the events present, and the seller's
  answer is not before the question.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from marketplace.errors import Reason
from schemas import order_rules
from schemas.columns import ColumnSpec, HeaderMap
from schemas.feed import FeedContext, Validated
from schemas.pandera_problems import problems_from_schema_errors
from schemas.parsing import (
    UNDECIDED,
    detect_decimal_separator,
    matches,
    parse_cents,
    parse_whole,
)
from schemas.parsing_dates import parse_datetimes
from schemas.validator import ChunkValidator

ORDER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("order_id", ("order-id", "commande", "n° de commande", "numéro de commande",
                            "id commande"), True),
    ColumnSpec("seller_id", ("seller-id", "vendeur", "id vendeur", "identifiant vendeur"), True),
    ColumnSpec("sku", ("offer_sku", "offer-sku", "référence", "reference", "ref vendeur"), True),
    ColumnSpec("customer_type", ("type de client", "type client")),
    ColumnSpec("ordered_at", ("date de commande", "commandée le", "order-date"), True),
    ColumnSpec("amount", ("montant", "montant ttc", "montant articles"), True),
    ColumnSpec("shipping_amount", ("frais de port", "frais de livraison", "shipping")),
    ColumnSpec("accepted_at", ("acceptée le", "date d'acceptation")),
    ColumnSpec("refused_at", ("refusée le", "date de refus")),
    ColumnSpec("shipped_at", ("expédiée le", "date d'expédition")),
    ColumnSpec("delivery", ("livraison", "mode de livraison")),
    ColumnSpec("tracking_number", ("numéro de suivi", "n° de suivi", "suivi")),
    ColumnSpec("carrier", ("transporteur",)),
    ColumnSpec("estimated_delivery_at", ("livraison estimée", "date de livraison estimée")),
    ColumnSpec("delivered_at", ("livrée le", "date de livraison")),
    ColumnSpec("refunded_at", ("remboursée le", "date de remboursement")),
    ColumnSpec("refund_amount", ("montant remboursé", "montant du remboursement")),
    ColumnSpec("refund_reason", ("motif du remboursement", "motif de remboursement")),
    ColumnSpec("claim_opened_at", ("réclamation ouverte le", "date de réclamation")),
    ColumnSpec("claim_reason", ("motif de la réclamation", "motif de réclamation")),
    ColumnSpec("question_at", ("question le", "date de la question")),
    ColumnSpec("answered_at", ("répondu le", "date de réponse")),
    ColumnSpec("rated_at", ("évaluée le", "date d'évaluation")),
    ColumnSpec("rating_delivery_place", ("note lieu de livraison",)),
    ColumnSpec("rating_on_time", ("note délai", "note ponctualité")),
    ColumnSpec("rating_care", ("note soin",)),
    ColumnSpec("rating_conformity", ("note conformité",)),
    ColumnSpec("rating_packaging", ("note emballage",)),
    ColumnSpec("goodwill_amount", ("geste commercial", "montant du geste commercial")),
    ColumnSpec("goodwill_at", ("geste commercial le", "date du geste commercial")),
)
FIELDS = tuple(spec.name for spec in ORDER_COLUMNS)
REQUIRED = tuple(spec.name for spec in ORDER_COLUMNS if spec.required)
AMOUNT_FIELDS = ("amount", "shipping_amount", "refund_amount", "goodwill_amount")
MAX_AMOUNT_CENTS = 1_000_000_000
"""10,000,000.00 € an order: far above any basket (an offer costs at most 100,000.00 €), far
below what the ledger's 64-bit cents hold once multiplied by a commission rate (a 768-billion
order overflowed PostgreSQL's bigint and blocked the month's payouts for every seller)."""
RATING_FIELDS = ("rating_delivery_place", "rating_on_time", "rating_care", "rating_conformity",
                 "rating_packaging")
EVENT_FIELDS = tuple(name for name in FIELDS if name.endswith("_at"))
CODES = {"customer_type": ("individual", "business"),
         "delivery": ("digital", "standard", "tracked"),
         "refund_reason": ("spontaneous", "claim")}
TEXT_FIELDS = {"order_id": 64, "sku": 64, "tracking_number": 64, "carrier": 64, "claim_reason": None}
SAMPLE_AMOUNTS = 10_000  # the decimal separator most of the file's first amounts use
# Excel's display of a long number it took for one (`3,60029E+12`, `1E+11`): the identifier
# has lost digits. Only Excel's own shape (one digit, upper-case E, signed exponent), so an
# identifier such as `2E10` or `12e3` is not mistaken for one.
EXCEL_SCIENTIFIC = r"-?\d(?:[.,]\d+)?E[+-]\d{2,3}"
IDENTIFIER_FIELDS = ("order_id", "sku", "tracking_number")
UTC_INSTANT = pd.DatetimeTZDtype("ns", "UTC")


def _check(factory, *args, name: str) -> pa.Check:
    return factory(*args, name=name, error=name)


ORDER_SCHEMA = pa.DataFrameSchema(
    {
        "seller_id": pa.Column("Int64", _check(pa.Check.gt, 0, name="seller_id_positive"),
                               nullable=True),
        **{name: pa.Column(str, _check(pa.Check.str_length, None, limit, name=f"{name}_length"),
                           nullable=True)
           for name, limit in TEXT_FIELDS.items() if limit},
        **{name: pa.Column(str, _check(pa.Check.isin, list(codes), name=f"{name}_known"),
                           nullable=True) for name, codes in CODES.items()},
        **{name: pa.Column("Int64", [_check(pa.Check.ge, 0, name=f"{name}_not_negative"),
                                     _check(pa.Check.le, MAX_AMOUNT_CENTS, name=f"{name}_at_most")],
                           nullable=True) for name in AMOUNT_FIELDS},
        **{name: pa.Column("Int64", _check(pa.Check.in_range, 1, 5, name=f"{name}_range"),
                           nullable=True) for name in RATING_FIELDS},
        **{name: pa.Column(UTC_INSTANT, nullable=True) for name in EVENT_FIELDS},
    },
    strict=False,
    coerce=False,
)
"""The typed order rows, one check per column rule (the rules across columns: order_rules)."""

SCHEMA_MESSAGES = {
    "seller_id_positive": (Reason.OUT_OF_RANGE, "seller_id",
                           "L'identifiant vendeur doit être un entier supérieur à 0 : « {value} ».",
                           'The seller id must be a whole number above 0: "{value}".'),
    **{f"{name}_length": (Reason.TOO_LONG, name,
                          f"Texte trop long : {limit} caractères au plus (il en a {{length}}).",
                          f"Text too long: {limit} characters at most (it has {{length}}).")
       for name, limit in TEXT_FIELDS.items() if limit},
    **{f"{name}_known": (Reason.NOT_ALLOWED, name,
                         f"Valeur inconnue « {{value}} » : {' ou '.join(codes)}.",
                         f'Unknown value "{{value}}": {" or ".join(codes)}.')
       for name, codes in CODES.items()},
    **{f"{name}_not_negative": (Reason.OUT_OF_RANGE, name,
                                "Un montant ne peut pas être négatif : « {value} ».",
                                'An amount cannot be negative: "{value}".') for name in AMOUNT_FIELDS},
    **{f"{name}_at_most": (Reason.OUT_OF_RANGE, name,
                           "Un montant de commande ne dépasse pas 10 000 000,00 € : « {value} ».",
                           'An order amount is at most 10,000,000.00 €: "{value}".')
       for name in AMOUNT_FIELDS},
    **{f"{name}_range": (Reason.OUT_OF_RANGE, name,
                         "Une note est un nombre entier de 1 à 5 : « {value} ».",
                         'A rating is a whole number from 1 to 5: "{value}".') for name in RATING_FIELDS},
}


class OrderValidator(ChunkValidator):
    """Turns one chunk of an order export into typed valid rows and problems."""

    def __init__(self, frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext):
        super().__init__(frame, headers, ctx, ORDER_COLUMNS)

    def run(self) -> Validated:
        everywhere = pd.Series(True, index=self.index)
        for name in REQUIRED:
            self.check_required(name, everywhere)
        for name in IDENTIFIER_FIELDS:
            self.check_not_scientific(name)
        typed = pd.DataFrame(index=self.index)
        for name in TEXT_FIELDS:
            typed[name] = _text(self.raw[name])
        typed["seller_id"] = self.parse_whole("seller_id", limit=10**12)
        for name in CODES:
            typed[name] = _text(self.raw[name].str.lower())
        self.decide_decimal_separator()
        for name in AMOUNT_FIELDS:
            typed[name] = self.parse_amount(name)
        for name in RATING_FIELDS:
            typed[name] = self.parse_whole(name)
        for name in EVENT_FIELDS:
            typed[name] = self.parse_instant(name)
        self.collector.problems.extend(problems_from_schema_errors(
            ORDER_SCHEMA, typed, self.raw, self.header, SCHEMA_MESSAGES))
        order_rules.check_amounts(self, typed)
        order_rules.check_events(self, typed)
        order_rules.check_future(self, typed)
        order_rules.check_states(self, typed)
        order_rules.check_duplicates(self, typed)
        rejected = typed.index.isin(list(self.collector.rejected_rows()))
        problems = self.collector.first_per_cell(also_distinct=frozenset({Reason.DUPLICATE_KEY}))
        return Validated(typed[~rejected], problems)

    def check_not_scientific(self, name: str) -> None:
        """An identifier Excel turned into `3,60029E+12` is refused, never loaded as it reads:
        an order under a wrong id, or a sku that finds no offer (and no commission rate)."""
        texts = self.filled(name)
        self.flag(matches(texts, EXCEL_SCIENTIFIC, whole=True), Reason.SCIENTIFIC_NOTATION, name,
                  "Excel a écrit cet identifiant en notation scientifique (« {value} ») : des"
                  " chiffres sont perdus. Exportez la colonne « {column} » en texte.",
                  'Excel turned this identifier into scientific notation ("{value}"): digits'
                  ' are lost. Export column "{column}" as text.', values=texts)

    def decide_decimal_separator(self) -> None:
        """Decided on the first amounts of the file, then kept for the whole file."""
        if self.ctx.decimal_separator is not None:
            return
        written = pd.concat([self.raw[name][self.raw[name] != ""] for name in AMOUNT_FIELDS])
        if len(written):
            self.ctx.decimal_separator = detect_decimal_separator(written.head(SAMPLE_AMOUNTS),
                                                                  self.ctx.typed_numbers)

    def filled(self, name: str) -> pd.Series:
        """The cells of a field that hold text: most events are empty on most rows (or the
        column is absent), and the parsers need not see those."""
        raw = self.raw[name]
        return raw if (raw != "").all() else raw[raw != ""]

    def parse_amount(self, name: str) -> pd.Series:
        texts = self.filled(name)
        cents, unreadable, too_precise = parse_cents(texts, self.ctx.decimal_separator or UNDECIDED,
                                                      self.ctx.typed_numbers)
        unreadable = self.flag_ambiguous_amounts(unreadable, name, values=texts)
        self.flag(unreadable, Reason.BAD_NUMBER, name,
                  "« {value} » n'est pas un montant lisible (exemple : 1 500,00).",
                  '"{value}" is not a readable amount (example: 1500.00).', values=texts)
        self.flag(too_precise, Reason.TOO_MANY_DECIMALS, name,
                  "« {value} » a plus de 2 décimales.", '"{value}" has more than 2 decimals.',
                  values=texts)
        return cents.reindex(self.index)

    def parse_whole(self, name: str, limit: int = 10**9) -> pd.Series:
        texts = self.filled(name)
        values, unreadable = parse_whole(texts, limit=limit)
        self.flag(unreadable, Reason.BAD_NUMBER, name,
                  "« {value} » n'est pas un nombre entier (colonne « {column} »).",
                  '"{value}" is not a whole number (column "{column}").', values=texts)
        return values.reindex(self.index)

    def parse_instant(self, name: str) -> pd.Series:
        texts = self.filled(name)
        values, unreadable = parse_datetimes(texts)
        self.flag(unreadable, Reason.BAD_DATE, name,
                  "Date illisible « {value} » : écrivez AAAA-MM-JJTHH:MM:SS+01:00, ou JJ/MM/AAAA"
                  " HH:MM à l'heure de Paris.",
                  'Unreadable date "{value}": write YYYY-MM-DDTHH:MM:SS+01:00, or DD/MM/YYYY'
                  " HH:MM in Paris time.", values=texts)
        return values.reindex(self.index).astype(UTC_INSTANT)


def _text(raw: pd.Series) -> pd.Series:
    """The cell's text, missing (NaN in a `str` column) for an empty cell."""
    return raw.where(raw != "")


def validate_orders(frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext) -> Validated:
    """Type and check one chunk of an order export (no database access)."""
    return OrderValidator(frame, headers, ctx).run()
