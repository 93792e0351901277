"""A seller's bank account: whether payouts can go to it, and how an IBAN may be shown.

Kept apart from the registry's columns because it is the one part that handles secrets and
money: schwifty checks the account, and `mask_iban` is the only form in which an IBAN may
leave the database (the validator's problems, the loader's reports).

Decisions: a BIC is optional inside the EEA (an IBAN routes the transfer), required for the
other SEPA countries (EPC rulebook); when given it must be valid and of the IBAN's country. An
IBAN outside the SEPA zone is invalid (payouts are SEPA transfers). An empty IBAN is a missing
account. A bad account never rejects a seller: the registry validator loads the seller flagged
as not payable, with one of `BANK_ISSUES`' messages.
"""

from __future__ import annotations

import re

from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidBBANChecksum,
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)
from schwifty.registry import get_iban_spec

# BICs of banks in the French overseas departments and collectivities carry their own country
# code while their accounts have FR IBANs; so do the Crown Dependencies' with GB IBANs. New
# Caledonia, French Polynesia and Wallis and Futuna (the CFP franc) are outside SEPA: an FR
# IBAN of a bank there takes no SEPA transfer.
FRENCH_OVERSEAS = frozenset({"GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF"})
OUTSIDE_SEPA_UNDER_FR = frozenset({"NC", "PF", "WF"})
BIC_COUNTRIES_OF = {"FR": FRENCH_OVERSEAS, "GB": frozenset({"JE", "GG", "IM"})}

# bank account issue -> (column it is about, French message, English message)
BANK_ISSUES: dict[str, tuple[str, str, str]] = {
    "no_iban": ("iban", "Pas d'IBAN : aucun virement possible.", "No IBAN: no payout possible."),
    "iban_country": ("iban", "L'IBAN doit commencer par un code pays connu (FR76…).",
                     "The IBAN must start with a known country code (FR76...)."),
    "iban_length": ("iban", "L'IBAN n'a pas la longueur prévue pour son pays.",
                    "The IBAN does not have its country's length."),
    "iban_checksum": ("iban", "La clé de l'IBAN (2 chiffres après le pays) est fausse.",
                      "The IBAN check digits (after the country code) are wrong."),
    "iban_national_checksum": ("iban", "La clé nationale de l'IBAN (clé RIB) est fausse.",
                               "The IBAN's national check digits (RIB key) are wrong."),
    "iban_format": ("iban", "L'IBAN ne respecte pas le format de son pays.",
                    "The IBAN does not follow its country's format."),
    "iban_not_sepa": ("iban", "L'IBAN est hors de la zone SEPA : virement impossible.",
                      "The IBAN is outside the SEPA zone: no transfer possible."),
    "bic_format": ("bic", "BIC invalide : 8 ou 11 caractères (banque, pays, localité).",
                   "Invalid BIC: 8 or 11 characters (bank, country, location)."),
    "bic_country": ("bic", "Le pays du BIC n'est pas celui de l'IBAN.",
                    "The BIC's country is not the IBAN's country."),
    "bic_required": ("bic", "BIC obligatoire pour un IBAN hors de l'Espace économique européen"
                            " (Suisse, Royaume-Uni, Monaco…) : la banque refuse le virement sans lui.",
                     "A BIC is required for an IBAN outside the European Economic Area"
                     " (Switzerland, United Kingdom, Monaco...): the bank refuses the transfer"
                     " without it."),
}
# The EU and Iceland, Liechtenstein, Norway: the SEPA countries where an IBAN alone routes a
# transfer. Elsewhere in SEPA (CH, GB, MC, SM, AD, VA...) the EPC rulebook asks for the BIC.
EEA_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"})
BANK_WARNING_FR = " Le vendeur est chargé mais ne recevra aucun virement avant correction."
BANK_WARNING_EN = " The seller is loaded but gets no payout until this is fixed."


def mask_iban(iban: str) -> str:
    """An IBAN as it may be shown: every character but the last 4 replaced by `*`.

    Separators are dropped first (spaces, dashes, dots...), so the mask keeps the IBAN's length
    (a seller can see a missing digit) and nothing else; a text of 4 characters or fewer is
    masked entirely.
    """
    compact = re.sub(r"[\W_]", "", iban)
    if len(compact) <= 4:
        return "*" * len(compact)
    return "*" * (len(compact) - 4) + compact[-4:]


# An IBAN as people write one, wherever it stands in a text: compact, or grouped by any
# separators (spaces, several or none, hyphens and dashes, dots, slashes, underscores; `FR 76
# ...`, a RIB's 5-5-11-2 grouping), any case, at the start of a word or glued after the words
# IBAN, RIB or compte (`IBANFR76...`, `ribfr76...`). A candidate is two letters, two digits
# and letters or digits after, each with at most ten separators before it (a line break and
# its indentation). It is an account
# when its first characters, the country's IBAN length of them, have the country's shape in
# schwifty's registry and a valid check, however grouped (a bank's own groupings), or, a
# typo'd digit failing the check, are grouped as people write an IBAN (`_grouped`) with at
# least `_IBAN_MIN_DIGITS` digits; one digit fewer where the writing ends is one too. Only
# they are masked, and the search goes on after them (a second IBAN in the cell). The check
# digits alone decide nothing: any text passes mod 97 once in 97, and a first version masked
# addresses, VAT numbers and shop names that way, which a fixed file sent back then loaded as
# stars.
_SEPARATOR = r"[\s./_:\-\u2010-\u2015\u2212]{0,10}"
_IBAN_CANDIDATE = re.compile(
    rf"(?:(?<![A-Za-z0-9])|(?<=(?i:iban))|(?<=(?i:rib))|(?<=(?i:compte)))[A-Za-z]{{2}}"
    rf"{_SEPARATOR}[0-9]{_SEPARATOR}[0-9](?:{_SEPARATOR}[A-Za-z0-9]){{10,40}}"
)
_IBAN_MIN_DIGITS = 10


def mask_ibans_in(text: str) -> str:
    """`text` with every IBAN in it masked as `mask_iban` does: for the cells of a registry
    file that are not its IBAN column (a `RIB` column, an IBAN pasted into the BIC or e-mail
    column), which reports copy as sent."""
    out, done, at = [], 0, 0
    while found := _IBAN_CANDIDATE.search(text, at):
        span = _account_span(found.group())
        if span is None:
            at = found.start() + 1
            continue
        out += [text[done:found.start()], mask_iban(found.group()[:span])]
        done = at = found.start() + span
    return "".join(out) + text[done:] if out else text


def _account_span(candidate: str) -> int | None:
    """How many characters of a candidate are an account, or None if it holds none."""
    ends = [at + 1 for at, character in enumerate(candidate) if character.isalnum()]
    compact = "".join(character for character in candidate if character.isalnum()).upper()
    try:
        spec = get_iban_spec(compact[:2])
    except InvalidCountryCode:  # no IBAN country
        return None
    length = spec.iban_length
    account = compact[:length]
    if len(account) == length and spec.regex.match(account[4:]) and (
            _checks(account)  # however grouped: a bank's own ("ES91 2100 0418 45 0200051332")
            or _grouped(candidate[:ends[length - 1]]) and _digits(account) >= _IBAN_MIN_DIGITS):
        return ends[length - 1]
    # a digit left out: one fewer, ending where the writing ends ("... 7890 18 Paris"), shaped
    # as the country's once a digit is put back somewhere
    short, account = length - 1, compact[:length - 1]
    if len(account) == short and _grouped(candidate[:ends[short - 1]]) and \
            not candidate[ends[short - 1]:ends[short - 1] + 1].isalnum() and \
            _digits(account) >= _IBAN_MIN_DIGITS and any(
                spec.regex.match(account[4:at] + "0" + account[at:]) for at in range(4, length)):
        return ends[short - 1]
    return None


def _digits(text: str) -> int:
    return sum(character.isdigit() for character in text)


_RUNS = re.compile(r"[A-Za-z0-9]+")


def _grouped(text: str) -> bool:
    """Whether the letters and digits run as people group an IBAN: all together, the first four
    then the rest, by fours (`FR 76` first too), or as a French RIB (4-5-5-11-2). Words of a
    sentence run otherwise: "LU49645810 SIRET 72276...", "FR2024169279436 FR2024921632678"."""
    runs = [len(run) for run in _RUNS.findall(text)]
    if runs[:2] == [2, 2]:  # "FR 76 3000 ..."
        runs = [4, *runs[2:]]
    return (len(runs) <= 2 and runs[0] == 4 or len(runs) == 1
            or all(run == 4 for run in runs[:-1]) and runs[-1] <= 4
            or runs == [4, 5, 5, 11, 2])


def _checks(iban: str) -> bool:
    """ISO 13616's check: the account moved behind its country and check digits, letters as
    numbers, is 1 modulo 97 (with the country's shape: a bank code in letters)."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(character, 36)) for character in moved)) % 97 == 1


def _iban_issue(iban: str) -> tuple[str | None, IBAN | None]:
    try:
        account = IBAN(iban, validate_bban=True)
    except InvalidCountryCode:
        return "iban_country", None
    except InvalidLength:
        return "iban_length", None
    except InvalidChecksumDigits:
        return "iban_checksum", None
    except InvalidBBANChecksum:
        return "iban_national_checksum", None
    except SchwiftyException:
        return "iban_format", None
    return (None if account.in_sepa_zone else "iban_not_sepa"), account


def bank_account_issue(iban: str, bic: str) -> str | None:
    """What is wrong with an account: a key of `BANK_ISSUES`, or None when it is payable.

    `iban` and `bic` are compact and upper-case, "" when the cell is empty.
    """
    if not iban:
        return "no_iban"
    issue, account = _iban_issue(iban)
    if issue:
        return issue
    if not bic:
        return None if account.country_code in EEA_COUNTRIES else "bic_required"
    try:
        bank = BIC(bic)
    except SchwiftyException:
        return "bic_format"
    country = account.country_code
    if country == "FR" and bank.country_code in OUTSIDE_SEPA_UNDER_FR:
        return "iban_not_sepa"
    matching = {country} | BIC_COUNTRIES_OF.get(country, frozenset())
    return None if bank.country_code in matching else "bic_country"
