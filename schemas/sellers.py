"""Seller registry files: the columns the registry exports, and how its rows are typed and checked.

One row of a registry file is one seller, keyed by `seller_id`; the file is the registry's
current state (feeds.md). Validation has two stages, like the offer feed: the text is parsed
into typed columns here (French Excel amounts and dates, identifiers compacted, French status
words mapped), then `SellerSchema` (pandera) checks the typed frame lazily and each failure
becomes a `Problem` naming the Excel row, the registry's own header and the cell's text.

A bad bank account never rejects a seller: rejecting the row would also freeze their shop
name, status and trial limits. The seller is loaded, flagged (`bank_account_valid`,
`bank_account_problem`) and gets no payout until fixed. IBANs are secrets: a problem only ever
carries `mask_iban`'s form. The account rules live in `schemas.bank_accounts`, the SIREN, SIRET
and VAT rules in `schemas.company_ids`.

Decisions:
- status: the English codes, or the French words en_attente, actif/active, vacances,
  suspendu(e), résilié(e) (any case, accents optional), stored as the English code.
- plan: `standard`, or a code listed in `plans.csv` (column `code`) of the reference folder
  when that file exists. An empty cell is `standard`, the default plan (the column is NOT NULL).
- siren/siret/VAT: see `schemas.company_ids` (a `siren` cell may hold a SIRET; a FR VAT
  number must embed the row's SIREN).
- bank account: checked only when the file has an `iban` column (a `bic` column alone is
  ignored with a warning: a BIC cannot be checked without its IBAN); the rules are in
  `schemas.bank_accounts`. An empty IBAN is warned about only for sellers past `pending`.
  An `iban` column without a `bic` column states accounts without a BIC: the stored BIC is
  cleared, since it may be the previous bank's (kept, an unchecked AGRIF or a French BIC
  beside a new German IBAN reached the SEPA file and failed the whole month's close).
- seller_id duplicates: every copy is rejected. Within a chunk pandera finds them; a copy in a
  later chunk is rejected here and its earlier copy is dropped by the loader at apply time.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from pandera.typing import Series

from loaders.headers import header_key, normalize_header
from marketplace.errors import Problem, Reason, Severity, reject_file
from marketplace.models import Seller
from schemas.bank_accounts import (
    BANK_ISSUES,
    BANK_WARNING_EN,
    BANK_WARNING_FR,
    bank_account_issue,
    mask_iban,
    mask_ibans_in,
)
from schemas.columns import ColumnSpec, HeaderMap
from schemas.company_ids import (
    COMPANY_ID_MESSAGES,
    DISAGREEMENT_MESSAGES,
    identifier_disagreements,
    identifier_failure,
    split_company_ids,
)
from schemas.countries import COUNTRY_CODES, country_codes
from schemas.feed import FeedContext, Validated
from schemas.parsing import (
    UNDECIDED,
    detect_decimal_separator,
    is_scientific,
    parse_cents,
    parse_whole,
    strip,
    translate_distinct,
    without_report_apostrophe,
)
from schemas.parsing_dates import parse_dates
from schemas.problems import ProblemCollector

SELLER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("seller_id", ("seller-id", "id vendeur", "identifiant vendeur", "vendeur"), True),
    ColumnSpec("shop_name", ("nom de la boutique", "boutique", "nom commercial"), True),
    ColumnSpec("legal_name", ("raison sociale", "dénomination sociale", "dénomination"), True),
    ColumnSpec("legal_form", ("forme juridique",)),
    ColumnSpec("share_capital", ("capital social", "capital")),
    ColumnSpec("siren", ("n° siren", "numéro siren", "siren/siret", "siren ou siret")),
    ColumnSpec("siret", ("n° siret", "numéro siret")),
    ColumnSpec("rcs_city", ("ville rcs", "ville du rcs", "greffe")),
    ColumnSpec("vat_number", ("numéro de tva", "tva intracommunautaire", "n° tva", "vat",
                              "n° tva intracommunautaire", "numéro de tva intracommunautaire",
                              "n° de tva intracommunautaire", "numéro tva intracommunautaire",
                              "vat number", "numéro tva", "tva intra")),
    ColumnSpec("address", ("adresse",)),
    ColumnSpec("postcode", ("code postal", "cp", "postal code")),
    ColumnSpec("city", ("ville",)),
    ColumnSpec("country", ("pays", "code pays", "pays (code iso)", "code pays iso", "country code")),
    ColumnSpec("email", ("e-mail", "courriel", "mail", "adresse e-mail", "e-mail de contact",
                         "email de contact", "adresse mail", "e-mail du vendeur")),
    # what a CRM or a spreadsheet heads them: a new IBAN under "IBAN (RIB)" was an unknown
    # column, and the payouts went on to the old account
    ColumnSpec("iban", ("iban du compte", "iban (rib)", "iban du vendeur", "compte iban",
                        "n° iban", "numéro iban", "numéro d'iban", "rib (iban)", "iban rib")),
    ColumnSpec("bic", ("swift", "code bic", "bic/swift", "bic (swift)", "code swift",
                       "swift/bic", "bic swift", "code bic/swift")),
    ColumnSpec("plan", ("offre", "abonnement", "forfait")),
    ColumnSpec("registered_at", ("date d'inscription", "inscrit le")),
    ColumnSpec("activated_at", ("date d'activation", "activé le", "date activation")),
    ColumnSpec("status", ("statut",), True),
    ColumnSpec("termination_requested_at",
               ("date de demande de résiliation", "résiliation demandée le",
                "date de résiliation", "résiliation le")),
    ColumnSpec("trial_max_orders", ("commandes max essai", "plafond commandes essai")),
    ColumnSpec("trial_max_revenue", ("ca max essai", "plafond ca essai")),
    ColumnSpec("payout_hold_until", ("virements bloqués jusqu'au", "paiements bloqués jusqu'au")),
)

STATUSES = ("pending", "active", "vacation", "suspended", "terminated")
STATUS_WORDS = {
    "en_attente": "pending", "actif": "active", "vacances": "vacation", "en_vacances": "vacation",
    "suspendu": "suspended", "suspendue": "suspended", "resilie": "terminated",
    "resiliee": "terminated",
}
DEFAULT_PLAN = "standard"
TEXT_FIELDS = ("shop_name", "legal_name", "legal_form", "rcs_city", "address", "postcode", "city")
AMOUNT_FIELDS = ("share_capital", "trial_max_revenue")
DATE_FIELDS = ("registered_at", "activated_at", "termination_requested_at", "payout_hold_until")
EMAIL = r"^[^@\s]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[\w-]+)*\.[^\W\d_]{2,}$"
"""An address with a domain in any script (`contact@société.fr`, an internationalised domain)."""
SEPARATORS = r"[\s.\-\u00a0\u202f\u00ad\u200b-\u200d\u2060\ufeff]"
"""What separates the groups of an identifier as people copy it: spaces of every kind, dots,
dashes, and the invisible characters a web page or a PDF leaves (a zero-width space made a
right IBAN "not its country's format", and the mask hid why)."""
DUPLICATE_FR = ("Le vendeur « {value} » apparaît plusieurs fois dans le fichier : aucune de ces"
                " lignes n'est chargée.")
DUPLICATE_EN = 'Seller "{value}" appears more than once in the file: none of these rows is loaded.'


def _max_length(field: str) -> int:
    """The column's length in the catalog, so the file is checked against what fits."""
    return Seller.__table__.c[field].type.length


@lru_cache
def allowed_plans(reference_dir: Path) -> frozenset[str]:
    """`standard` and the premium plan codes of `plans.csv` (column `code`), if it exists."""
    return frozenset({DEFAULT_PLAN, *plan_words(reference_dir).values()})


@lru_cache(maxsize=8)
def plan_words(reference_dir: Path) -> dict[str, str]:
    """How ops write a plan (normalize_header's form) -> its code: the code, however spaced
    (`premium_visibilite`, `Premium Visibilité`), and its label in plans.csv with or without
    "Abonnement" (`Abonnement Premium Audience` was refused as an unknown plan)."""
    words = {DEFAULT_PLAN: DEFAULT_PLAN}
    path = reference_dir / "plans.csv"
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                code, label = row["code"].strip().lower(), normalize_header(row.get("label") or "")
                words[normalize_header(code)] = code
                if label:
                    words.setdefault(label, code)
                    words.setdefault(label.removeprefix("abonnement_"), code)
    return words


Nullable = partial(pa.Field, nullable=True)
Amount = partial(pa.Field, ge=0, nullable=True)


class SellerSchema(pa.DataFrameModel):
    """The typed seller rows: one row per seller of the file, indexed by Excel row number.

    Only the columns the file has are present (the loader updates exactly those). `siren` may
    still hold a SIRET here; the validator splits it once the row is accepted.
    """

    seller_id: Series[pd.Int64Dtype] = pa.Field(gt=0, unique=True)
    shop_name: Series[str] = pa.Field(str_length={"max_value": _max_length("shop_name")})
    legal_name: Series[str] = pa.Field(str_length={"max_value": _max_length("legal_name")})
    legal_form: Series[str] | None = Nullable(str_length={"max_value": _max_length("legal_form")})
    share_capital: Series[object] | None = Amount()
    siren: Series[str] | None = Nullable()
    siret: Series[str] | None = Nullable()
    rcs_city: Series[str] | None = Nullable(str_length={"max_value": _max_length("rcs_city")})
    vat_number: Series[str] | None = Nullable()
    address: Series[str] | None = Nullable(str_length={"max_value": _max_length("address")})
    postcode: Series[str] | None = Nullable(str_length={"max_value": _max_length("postcode")})
    city: Series[str] | None = Nullable(str_length={"max_value": _max_length("city")})
    country: Series[str] | None = Nullable()
    email: Series[str] | None = Nullable(str_length={"max_value": _max_length("email")})
    iban: Series[str] | None = Nullable()
    bic: Series[str] | None = Nullable()
    bank_account_valid: Series[bool] | None
    bank_account_problem: Series[str] | None = Nullable()
    keeps_bank_account: Series[bool] | None  # the IBAN cell is our mask: the stored one stays
    plan: Series[str] | None
    registered_at: Series[pa.Date] | None = Nullable()
    activated_at: Series[pa.Date] | None = Nullable()
    status: Series[str]
    termination_requested_at: Series[pa.Date] | None = Nullable()
    trial_max_orders: Series[pd.Int64Dtype] | None = pa.Field(ge=0, nullable=True)
    trial_max_revenue: Series[object] | None = Amount()
    payout_hold_until: Series[pa.Date] | None = Nullable()

    class Config:
        strict = True
        coerce = False

    @pa.check("status", name="status_known")
    def _status_known(cls, status: Series[str]) -> Series[bool]:
        return status.isin(STATUSES)

    @pa.check("country", name="country_code")
    def _country_code(cls, country: Series[str]) -> Series[bool]:
        return country.isin(COUNTRY_CODES)

    @pa.check("legal_name", name="legal_name_readable")
    def _legal_name_readable(cls, name: Series[str]) -> Series[bool]:
        # a letter or a digit of any script: the transfer and the invoice must name the holder
        return name.str.contains(r"[^\W_]", regex=True)

    @pa.check("email", name="email_shape")
    def _email_shape(cls, email: Series[str]) -> Series[bool]:
        return email.str.fullmatch(EMAIL)

    @pa.check("siren", element_wise=True, name="siren_format")
    def _siren_format(cls, value: str) -> bool:
        return identifier_failure("siren", value) != "format"

    @pa.check("siren", element_wise=True, name="siren_checksum")
    def _siren_checksum(cls, value: str) -> bool:
        return identifier_failure("siren", value) != "checksum"

    @pa.check("siret", element_wise=True, name="siret_format")
    def _siret_format(cls, value: str) -> bool:
        return identifier_failure("siret", value) != "format"

    @pa.check("siret", element_wise=True, name="siret_checksum")
    def _siret_checksum(cls, value: str) -> bool:
        return identifier_failure("siret", value) != "checksum"

    @pa.check("vat_number", element_wise=True, name="vat_format")
    def _vat_format(cls, value: str) -> bool:
        return identifier_failure("vat_number", value) != "format"

    @pa.check("vat_number", element_wise=True, name="vat_checksum")
    def _vat_checksum(cls, value: str) -> bool:
        return identifier_failure("vat_number", value) != "checksum"


@lru_cache
def seller_schema(plans: frozenset[str]) -> pa.DataFrameSchema:
    """`SellerSchema` with the plan codes of the reference data."""
    known = pa.Check(lambda plan: plan.isin(plans), name="plan_known")
    return SellerSchema.to_schema().update_column(SellerSchema.plan, checks=[known])


# pandera check name -> (reason, French message, English message); `{column}`, `{value}` and
# `{limit}` are filled per failure.
SCHEMA_MESSAGES: dict[str, tuple[Reason, str, str]] = {
    "not_nullable": (Reason.REQUIRED,
                     "La colonne « {column} » est obligatoire et vide sur cette ligne.",
                     'Column "{column}" is required and empty on this row.'),
    "field_uniqueness": (Reason.DUPLICATE_KEY, DUPLICATE_FR, DUPLICATE_EN),
    "greater_than": (Reason.OUT_OF_RANGE,
                     "L'identifiant vendeur doit être un entier supérieur à 0 : « {value} ».",
                     'The seller id must be a whole number above 0: "{value}".'),
    "greater_than_or_equal_to": (Reason.OUT_OF_RANGE,
                                 "« {value} » ne peut pas être négatif (colonne « {column} »).",
                                 '"{value}" cannot be negative (column "{column}").'),
    "str_length": (Reason.TOO_LONG,
                   "Texte trop long : {limit} caractères au plus (colonne « {column} »).",
                   'Text too long: {limit} characters at most (column "{column}").'),
    "status_known": (Reason.NOT_ALLOWED,
                     "Statut inconnu « {value} » : pending, active, vacation, suspended ou"
                     " terminated (ou en attente, actif, vacances, suspendu, résilié).",
                     'Unknown status "{value}": pending, active, vacation, suspended or'
                     " terminated."),
    "plan_known": (Reason.NOT_ALLOWED,
                   "Offre inconnue « {value} » : écrivez l'un des codes {codes}.",
                   'Unknown plan "{value}": write one of the codes {codes}.'),
    "country_code": (Reason.BAD_FORMAT,
                     "Pays « {value} » : code ISO à 2 lettres attendu (FR, BE, DE…).",
                     'Country "{value}": a 2-letter ISO code is expected (FR, BE, DE...).'),
    "email_shape": (Reason.BAD_FORMAT, "Adresse e-mail invalide : « {value} ».",
                    'Invalid e-mail address: "{value}".'),
    "legal_name_readable": (Reason.BAD_FORMAT,
                            "Raison sociale « {value} » sans lettre ni chiffre : les virements et"
                            " les factures ne pourraient pas nommer le vendeur.",
                            'Legal name "{value}" has no letter nor digit: transfers and invoices'
                            " could not name the seller."),
    **COMPANY_ID_MESSAGES,
}


def _text(raw: pd.Series) -> pd.Series:
    """The cell's text, None (NaN in a `str` column) for an empty cell."""
    return raw.where(raw != "")


_CONTROLS = r"[\x00-\x1f\x7f-\x9f]+"


def _one_line(raw: pd.Series) -> pd.Series:
    """A name or address with its control characters (a stray escape byte, a line break in a
    quoted cell) as single spaces: the XML and XLSX writers drop them, gluing words together,
    while the CSV register kept them, so the same seller read differently in each file."""
    return raw.str.replace(_CONTROLS, " ", regex=True).str.replace(r" {2,}", " ", regex=True).str.strip()


KEEPS_BANK_ACCOUNT = "keeps_bank_account"
"""Column of the valid rows: the IBAN cell is our report's mask, the stored account stays."""


class SellerValidator:
    """Turns one chunk of a registry file into typed valid rows and problems."""

    def __init__(self, frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext):
        self.headers = headers
        self.ctx = ctx
        self.raw = {  # a fixed rejected-rows file sent back: our apostrophe taken off
            name: without_report_apostrophe(strip(frame[position].astype("str")))
            for name, position in headers.positions.items()
        }
        self.index = frame.index
        self.collector = ProblemCollector()
        ctx.state["seller_id_header"] = headers.header_of("seller_id")

    def flag(self, mask: pd.Series, code: Reason, name: str, message_fr: str, message_en: str,
             values: pd.Series | None = None, severity: Severity = Severity.ERROR) -> None:
        values = self.raw[name] if values is None else values
        self.collector.flag(mask, code, self.headers.header_of(name), values, message_fr,
                            message_en, severity)

    def run(self) -> Validated:
        self.decide_decimal_separator()
        parsers = self.parsers()
        typed = pd.DataFrame(
            {name: parsers[name](self.raw[name], name) for name in self.raw if name in parsers},
            index=self.index,
        )
        self.check_bank_accounts(typed)
        self.check_french_postcodes(typed)
        self.check_french_siren(typed)
        self.check_lost_zeros(typed)
        self.check_activation(typed)
        self.check_zero_trial_limits(typed)
        self.collector.problems.extend(self.schema_problems(typed))
        self.check_identifiers_agree(typed)
        self.check_earlier_chunks(typed)
        rejected = typed.index.isin(list(self.collector.rejected_rows()))
        problems = self.collector.first_per_cell()
        return Validated(split_company_ids(typed[~rejected]), problems)

    def parsers(self) -> dict[str, Callable[[pd.Series, str], pd.Series]]:
        """Field → parser of its stripped text (`iban`, `bic`: see `check_bank_accounts`)."""
        return {
            "seller_id": partial(self.parse_whole, limit=10**12),
            "trial_max_orders": self.parse_whole,
            **dict.fromkeys(TEXT_FIELDS, lambda raw, _name: _text(_one_line(raw))),
            # a link copied from a page or a mail client: "mailto:jean@dupont.fr"
            "email": lambda raw, _name: _text(raw.str.replace(r"^mailto:\s*", "", case=False, regex=True)),
            "country": lambda raw, _name: _text(country_codes(raw)),
            "status": lambda raw, _name: _status(raw),
            "plan": self.parse_plan,
            **dict.fromkeys(("siren", "siret"), self.parse_identifier),
            # Greece's VAT numbers start EL (VIES, invoices), whatever its ISO code GR
            "vat_number": lambda raw, name: self.parse_identifier(raw, name).str.replace(
                r"^GR(?=\d{9}$)", "EL", regex=True),
            **dict.fromkeys(AMOUNT_FIELDS, self.parse_amount),
            **dict.fromkeys(DATE_FIELDS, self.parse_date),
        }

    def decide_decimal_separator(self) -> None:
        """Decided on the first amounts the file has, then kept for the whole file."""
        written = [raw[raw != ""] for name, raw in self.raw.items() if name in AMOUNT_FIELDS]
        if self.ctx.decimal_separator is None and any(len(texts) for texts in written):
            self.ctx.decimal_separator = detect_decimal_separator(pd.concat(written), self.ctx.typed_numbers)

    def parse_identifier(self, raw: pd.Series, name: str) -> pd.Series:
        self.flag(is_scientific(raw), Reason.SCIENTIFIC_NOTATION, name,
                  "Excel a écrit ce numéro en notation scientifique (« {value} ») : des chiffres"
                  " sont perdus. Formatez la colonne en texte et ressaisissez-le.",
                  'Excel turned this number into scientific notation ("{value}"): digits are'
                  " lost. Format the column as text and type it again.")
        return _text(raw.str.replace(SEPARATORS, "", regex=True).str.upper())

    def parse_whole(self, raw: pd.Series, name: str, limit: int = 10**9) -> pd.Series:
        values, unreadable = parse_whole(raw, limit=limit)
        self.flag(unreadable, Reason.BAD_NUMBER, name,
                  "« {value} » n'est pas un nombre entier (colonne « {column} »).",
                  '"{value}" is not a whole number (column "{column}").')
        return values

    def parse_amount(self, raw: pd.Series, name: str) -> pd.Series:
        cents, unreadable, too_precise = parse_cents(raw, self.ctx.decimal_separator or UNDECIDED,
                                                      self.ctx.typed_numbers)
        self.flag(unreadable, Reason.BAD_NUMBER, name,
                  "« {value} » n'est pas un montant lisible (exemple : 1 500,00).",
                  '"{value}" is not a readable amount (example: 1500.00).')
        self.flag(too_precise, Reason.TOO_MANY_DECIMALS, name,
                  "« {value} » a plus de 2 décimales.", '"{value}" has more than 2 decimals.')
        return _decimal_euros(cents)

    def parse_date(self, raw: pd.Series, name: str) -> pd.Series:
        values, unreadable = parse_dates(raw)
        self.flag(unreadable, Reason.BAD_DATE, name,
                  "Date illisible « {value} » : écrivez JJ/MM/AAAA ou AAAA-MM-JJ.",
                  'Unreadable date "{value}": write DD/MM/YYYY or YYYY-MM-DD.')
        return pd.Series(values.dt.date, index=raw.index, dtype=object).where(values.notna(), None)

    def check_bank_accounts(self, typed: pd.DataFrame) -> None:
        """Flag, never reject: an invalid account is loaded as not payable, with a warning."""
        if "iban" not in self.raw:
            self.ignore_lone_bic()
            return
        iban = self.raw["iban"].str.replace(SEPARATORS, "", regex=True).str.upper()
        bic = self.raw.get("bic", pd.Series("", index=self.index, dtype="str"))
        bic = bic.str.replace(SEPARATORS, "", regex=True).str.upper()
        issues = pd.Series([bank_account_issue(i, b) for i, b in zip(iban, bic, strict=True)],
                           index=self.index, dtype=object)
        # our own mask, sent back in a fixed rejected-rows file: the stored account stays (it
        # was replaced by the stars, flagged invalid, and the seller's payouts stopped)
        typed[KEEPS_BANK_ACCOUNT] = iban.str.fullmatch(r"\*{4,}[A-Z0-9]{0,4}").astype(bool)
        issues = issues.where(~typed[KEEPS_BANK_ACCOUNT], None)
        self.flag(typed[KEEPS_BANK_ACCOUNT], Reason.INVALID_BANK_ACCOUNT, "iban",
                  "IBAN masqué « {value} » (copié d'un rapport) : le compte bancaire enregistré est"
                  " conservé, avec son BIC ; un vendeur qui n'en a pas reste sans compte, donc sans"
                  " virement. Pour changer de compte, écrivez l'IBAN complet.",
                  'Masked IBAN "{value}" (copied from a report): the stored bank account is kept,'
                  " with its BIC; a seller without one stays without, so unpaid. To change the"
                  " account, write the whole IBAN.", severity=Severity.WARNING)
        typed["iban"] = _text(iban).where(iban.str.len() <= _max_length("iban"))
        typed["bic"] = _text(bic).where(bic.str.len() <= _max_length("bic"))
        typed["bank_account_valid"] = issues.isna()
        english = {key: message_en for key, (_, _, message_en) in BANK_ISSUES.items()}
        typed["bank_account_problem"] = issues.map(english).astype("str")
        exempt = issues.eq("no_iban") & typed["status"].eq("pending")
        shown = {"iban": iban.map(mask_iban), "bic": bic}
        for key, (name, message_fr, message_en) in BANK_ISSUES.items():
            if name not in self.raw:  # a BIC required by a file with no BIC column
                name = "iban"
            self.flag(issues.eq(key) & ~exempt, Reason.INVALID_BANK_ACCOUNT, name,
                      message_fr + BANK_WARNING_FR, message_en + BANK_WARNING_EN,
                      values=shown[name], severity=Severity.WARNING)

    def check_french_postcodes(self, typed: pd.DataFrame) -> None:
        """`6000` for Nice's 06000: Excel took the column for numbers. Loaded as sent with a
        warning (never padded, never refused: the row also carries the status and the payout
        hold, which must apply), as the invoices print it."""
        if "postcode" not in typed or "country" not in typed:
            return
        postcode = self.raw["postcode"]
        french = typed["country"].eq("FR") & postcode.ne("")
        lost_zero = french & postcode.str.fullmatch(r"\d{4}")
        self.flag(lost_zero, Reason.BAD_FORMAT, "postcode",
                  "Code postal « {value} » : un code postal français a 5 chiffres. Excel a sans doute"
                  " retiré le 0 du début : écrivez 0{value} dans une colonne au format Texte.",
                  'Postcode "{value}": a French postcode has 5 digits. Excel probably dropped the'
                  " leading 0: write 0{value} in a column formatted as Text.", severity=Severity.WARNING)
        other = french & ~lost_zero & ~postcode.str.match(r"\d{5}(?:\s|$)")  # "75381 CEDEX 08" is one
        self.flag(other, Reason.BAD_FORMAT, "postcode",
                  "Code postal « {value} » : un code postal français commence par ses 5 chiffres"
                  " (75001, 75381 CEDEX 08).",
                  'Postcode "{value}": a French postcode starts with its 5 digits (75001, 75381'
                  ' CEDEX 08).', severity=Severity.WARNING)

    def check_french_siren(self, typed: pd.DataFrame) -> None:
        """A seller established in France is invoiced with its SIREN (payouts.md; the French
        e-invoicing rules refuse an invoice without it, BR-FR-12): one left empty loads, as the
        registry may be completed later, and ops are told before the month's invoices fail."""
        if "siren" not in typed or "country" not in typed:
            return
        given = self.raw["siren"].ne("")
        if "siret" in self.raw:
            given |= self.raw["siret"].ne("")
        past_pending = typed["status"].ne("pending") if "status" in typed else True
        self.flag(typed["country"].eq("FR") & ~given & past_pending, Reason.REQUIRED, "siren",
                  "SIREN vide pour un vendeur établi en France : ses factures doivent porter son"
                  " SIREN (facturation électronique) ; complétez-le.",
                  "No SIREN for a seller established in France: its invoices must carry it (French"
                  " e-invoicing); fill it in.", severity=Severity.WARNING)

    def check_lost_zeros(self, typed: pd.DataFrame) -> None:
        """`12345674` for the SIREN 012345674: Excel took the column for numbers. Said as such
        (it was "neither a SIREN nor a SIRET"), and not checked again by the schema."""
        # the SIREN column takes a SIRET too ("siren ou siret"): 13 digits there lost theirs
        for name, shapes in (("siren", r"\d{8}|\d{13}"), ("siret", r"\d{13}")):
            if name not in typed:
                continue
            written = typed[name].astype("string")
            lost = written.str.fullmatch(shapes).fillna(False).astype(bool)
            self.flag(lost, Reason.BAD_FORMAT, name,
                      "« {value} » : un chiffre de moins qu'un SIREN (9) ou un SIRET (14). Excel a sans"
                      " doute retiré le 0 du début : écrivez 0{value} dans une colonne au format Texte.",
                      '"{value}": one digit short of a SIREN (9) or a SIRET (14). Excel probably'
                      " dropped the leading 0: write 0{value} in a column formatted as Text.")
            typed[name] = typed[name].where(~lost, None)

    def check_zero_trial_limits(self, typed: pd.DataFrame) -> None:
        """A trial limit of 0 (a CRM's 0 for an empty number) puts the seller at its limit at
        once, its offers off sale: loaded as written, said."""
        for name in ("trial_max_orders", "trial_max_revenue"):
            if name in typed:
                self.flag(typed[name].eq(0).fillna(False).astype(bool), Reason.OUT_OF_RANGE, name,
                          "Limite d'essai à 0 : le vendeur l'atteint dès maintenant et ses offres sont"
                          " retirées de la vente. Pour aucune limite, laissez la cellule vide.",
                          "A trial limit of 0: the seller reaches it at once and its offers go off"
                          " sale. For no limit, leave the cell empty.", severity=Severity.WARNING)

    def check_activation(self, typed: pd.DataFrame) -> None:
        """Activation starts the subscription and the seniority (feeds.md): a seller past
        `pending` with an empty activation date is loaded (its status must apply) but would pay
        no subscription and never reach Top Seller's seniority, so ops are told."""
        if "activated_at" not in typed or "status" not in typed:
            return
        missing = typed["status"].isin(["active", "vacation", "suspended"]) & typed["activated_at"].isna()
        self.flag(missing & self.raw["activated_at"].eq(""), Reason.REQUIRED, "activated_at",
                  "Date d'activation vide pour un vendeur qui n'est plus en attente : aucun"
                  " abonnement facturé ni ancienneté comptée tant qu'elle manque.",
                  "No activation date for a seller past pending: no subscription is charged and"
                  " no seniority counted until it is given.", severity=Severity.WARNING)

    def refuse_unread_bank_column(self, frame: pd.DataFrame) -> None:
        """A column naming an IBAN that no alias reads ("IBAN à jour") and holding accounts,
        while the file has no IBAN column: loaded, the file kept the old account and the
        payouts went there. A column that only speaks of them ("IBAN masqué", "Iban valide ?",
        "Date mise à jour IBAN") is the file's own, ignored like any unknown column."""
        if "iban" in self.headers.positions:
            return
        unread = [header for at, header in enumerate(self.headers.headers)
                  if header in self.headers.unknown and "iban" in header_key(header)
                  and at in frame.columns and _holds_an_account(frame[at])]
        if unread:
            raise reject_file(
                Reason.MISSING_COLUMN,
                f"La colonne « {unread[0]} » semble contenir les IBAN mais n'est pas reconnue :"
                " nommez-la « iban » (sans quoi les virements iraient à l'ancien compte).",
                f'Column "{unread[0]}" seems to hold the IBANs but is not recognised: name it'
                ' "iban" (otherwise payouts would go to the old account).', column=unread[0])

    def ignore_lone_bic(self) -> None:
        if "bic" not in self.raw or self.ctx.state.get("lone_bic_reported"):
            return
        self.ctx.state["lone_bic_reported"] = True
        header = self.headers.header_of("bic")
        self.collector.problems.append(Problem(
            Reason.INVALID_BANK_ACCOUNT,
            f"Colonne « {header} » sans colonne IBAN : ignorée (un BIC se vérifie avec son IBAN).",
            f'Column "{header}" without an IBAN column: ignored (a BIC is checked with its IBAN).',
            column=header, severity=Severity.WARNING))

    def parse_plan(self, raw: pd.Series, _name: str) -> pd.Series:
        words = plan_words(self.ctx.reference_dir)
        return translate_distinct(raw, lambda value: words.get(normalize_header(value), value.lower())
                                  if value else DEFAULT_PLAN)

    def schema_problems(self, typed: pd.DataFrame) -> list[Problem]:
        try:
            seller_schema(allowed_plans(self.ctx.reference_dir)).validate(typed, lazy=True)
        except SchemaErrors as errors:
            return [self.describe(case) for case in errors.failure_cases.itertuples(index=False)]
        return []

    def describe(self, case) -> Problem:
        """One pandera failure case as the registry's row, header and text."""
        check = case.check.split("(")[0]
        if check not in SCHEMA_MESSAGES or pd.isna(case.index):
            raise AssertionError(f"no message for pandera check {case.check!r} on {case.column!r}")
        code, message_fr, message_en = SCHEMA_MESSAGES[check]
        if check == "plan_known":  # the codes of this reference folder, which ops may not know
            codes = ", ".join(sorted(allowed_plans(self.ctx.reference_dir)))
            message_fr, message_en = (text.replace("{codes}", codes) for text in (message_fr, message_en))
        row, header = int(case.index), self.headers.header_of(case.column)
        value = str(self.raw[case.column].get(row, ""))
        limit = _max_length(case.column) if check == "str_length" else None
        params = {"column": header, "value": value[:80], "limit": limit}
        return Problem(code, message_fr.format(**params), message_en.format(**params), row=row,
                       column=header, value=value)

    def check_identifiers_agree(self, typed: pd.DataFrame) -> None:
        """The SIRET and a FR VAT number must both belong to the row's SIREN."""
        for name, mask in identifier_disagreements(typed).items():
            code, message_fr, message_en = DISAGREEMENT_MESSAGES[name]
            self.flag(mask, code, name, message_fr, message_en)

    def check_earlier_chunks(self, typed: pd.DataFrame) -> None:
        """Reject a seller_id already seen in an earlier chunk; the loader drops the first copy."""
        seen: set[int] = self.ctx.state.setdefault("seen_seller_ids", set())
        ids = typed["seller_id"]
        again = ids.isin(list(seen)).fillna(False).astype(bool)
        self.flag(again, Reason.DUPLICATE_KEY, "seller_id", DUPLICATE_FR, DUPLICATE_EN)
        self.ctx.state.setdefault("late_duplicate_ids", set()).update(int(i) for i in ids[again])
        seen.update(int(i) for i in ids.dropna())


def _status(raw: pd.Series) -> pd.Series:
    keys = raw.map(normalize_header)
    return keys.map(STATUS_WORDS).fillna(keys).where(raw != "").astype("str")


def _decimal_euros(cents: pd.Series) -> pd.Series:
    """Whole cents (Int64) → `Decimal` euros with 2 places, None when empty or unreadable."""
    return pd.Series(
        [None if pd.isna(c) else Decimal(int(c)).scaleb(-2) for c in cents],
        index=cents.index, dtype=object,
    )


def validate_sellers(frame: pd.DataFrame, headers: HeaderMap, ctx: FeedContext) -> Validated:
    """Type and check one chunk of a seller registry file (no database access)."""
    validator = SellerValidator(frame, headers, ctx)
    validator.refuse_unread_bank_column(frame)
    return validator.run()


def _holds_an_account(cells: pd.Series) -> bool:
    """Whether some of the first cells hold a whole IBAN (not a masked one, a yes, a date)."""
    written = cells[cells.str.strip() != ""].head(1000)
    return any(mask_ibans_in(text) != text for text in written)
