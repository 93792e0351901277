"""The marketplace's own identity: who issues the invoices and who pays the SEPA transfers.

Why a settings file and not environment variables: a dozen legal facts (name, legal form,
share capital, SIREN, RCS city, VAT number, address, bank account) belong together, change
with a legal event rather than a deployment, and finance must be able to read them as a
whole (architecture.md, "Configuration"). The file is TOML at `MARKETPLACE_IDENTITY_FILE`
(default `config/marketplace.toml`, kept out of git: it holds the IBAN);
`config/marketplace.example.toml` is the committed template.

Decisions:
- Every field is required and checked when loaded, before any invoice or transfer is built:
  SIREN and VAT number with python-stdnum (a French VAT number must embed the SIREN), IBAN and
  BIC with schwifty (the checks the seller registry applies, reused from `schemas`).
- A template value left in place (anything written `<like this>`) is refused with the name of
  the field, so a copied example never issues an invoice.
- The IBAN never appears in a message or a repr: `masked_iban` is the form to show.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path

from marketplace.config import Settings
from marketplace.errors import MarketplaceError
from schemas.bank_accounts import BANK_ISSUES, bank_account_issue, mask_iban
from schemas.company_ids import identifier_failure

_PLACEHOLDER = re.compile(r"<[^>]*>")
_POSTCODE = re.compile(r"[0-9A-Z -]{3,10}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class IdentityError(MarketplaceError):
    """The identity file is missing, unreadable, incomplete or still holds a placeholder."""


@dataclass(frozen=True)
class MarketplaceIdentity:
    """The marketplace as an invoice issuer and a SEPA debtor (all fields required)."""

    name: str
    legal_form: str
    share_capital: Decimal
    siren: str
    rcs_city: str
    vat_number: str
    address: str
    postcode: str
    city: str
    country: str
    email: str
    iban: str = field(repr=False)
    bic: str

    @property
    def masked_iban(self) -> str:
        return mask_iban(self.iban)


_TEXT_FIELDS = [f.name for f in fields(MarketplaceIdentity) if f.name != "share_capital"]


def load_identity(settings: Settings) -> MarketplaceIdentity:
    """Read and validate the identity file named by `settings.identity_file`."""
    path = Path(settings.identity_file)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError as error:
        raise IdentityError(
            f"marketplace identity file not found: {path} (copy config/marketplace.example.toml"
            " there and fill it in, or set MARKETPLACE_IDENTITY_FILE)") from error
    except tomllib.TOMLDecodeError as error:
        raise IdentityError(f"marketplace identity file {path} is not valid TOML: {error}") from error
    return parse_identity(raw, source=str(path))


def parse_identity(raw: dict, *, source: str = "identity") -> MarketplaceIdentity:
    """Build the identity from the file's table; IdentityError names every bad field."""
    section = raw.get("marketplace", raw)
    values = {name: _text(section, name) for name in _TEXT_FIELDS}
    problems = [f"{name}: missing" for name, value in values.items() if not value]
    problems += [f"{name}: placeholder left ({_shown(name, value)!r})"
                 for name, value in values.items() if value and _PLACEHOLDER.search(value)]
    capital = _capital(section.get("share_capital"), problems)
    if not problems:
        values = _normalised(values)
        problems = _invalid(values)
    if problems:
        raise IdentityError(f"marketplace identity ({source}) is not usable: " + "; ".join(problems))
    return MarketplaceIdentity(share_capital=capital, **values)


def _shown(name: str, value: str) -> str:
    """A field's value as a message may quote it: the IBAN masked (an account number typed
    inside the template's brackets is still an account number)."""
    return mask_iban(value) if name == "iban" else value


def _text(section: dict, name: str) -> str:
    value = section.get(name)
    return "" if value is None else str(value).strip()


def _capital(value: object, problems: list[str]) -> Decimal:
    """Share capital in euros; a TOML float is refused (money is never float)."""
    if isinstance(value, str) and _PLACEHOLDER.search(value):
        problems.append(f"share_capital: placeholder left ({value!r})")
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.append("share_capital: give whole euros or a quoted amount like \"10000.00\"")
        return Decimal(0)
    try:
        capital = Decimal(str(value).replace(" ", ""))
    except InvalidOperation:
        problems.append(f"share_capital: not an amount ({value!r})")
        return Decimal(0)
    if capital <= 0 or capital != capital.quantize(Decimal("0.01")):
        problems.append(f"share_capital: must be a positive amount in euros and cents ({value!r})")
    return capital.quantize(Decimal("0.01"))


def _normalised(values: dict[str, str]) -> dict[str, str]:
    compact = {name: re.sub(r"[\s.-]", "", values[name]).upper()
               for name in ("siren", "vat_number", "iban", "bic")}
    return {**values, **compact, "country": values["country"].upper()}


def _invalid(values: dict[str, str]) -> list[str]:
    problems = []
    for name in ("siren", "vat_number"):
        failure = identifier_failure(name, values[name])
        if failure or (name == "siren" and len(values[name]) != 9):
            problems.append(f"{name}: invalid ({failure or 'a SIREN has 9 digits'})")
    vat = values["vat_number"]
    if vat.startswith("FR") and vat[4:] != values["siren"]:
        problems.append("vat_number: a French VAT number must embed the SIREN")
    issue = bank_account_issue(values["iban"], values["bic"])
    if issue:
        column, _, message = BANK_ISSUES[issue]
        problems.append(f"{column}: {message}")
    if not _COUNTRY.fullmatch(values["country"]):
        problems.append("country: an ISO 3166 two-letter code (FR)")
    if not _POSTCODE.fullmatch(values["postcode"]):
        problems.append("postcode: not a postcode")
    if not _EMAIL.fullmatch(values["email"]):
        problems.append("email: not an e-mail address")
    return problems
