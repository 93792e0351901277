"""French company identifiers of a seller: SIREN, SIRET and intra-EU VAT number.

Kept apart from the registry's columns because these are rules of French law, not of the
file, and python-stdnum does their arithmetic; the seller schema only asks `identifier_failure`
and reports `COMPANY_ID_MESSAGES`.

Decisions: a `siren` cell may hold a SIRET: the SIREN is its first 9 digits and
the SIRET fills `siret` when that cell is empty (`split_company_ids`). Either column makes
both fields part of the update, so the pair is never half stale. A FR VAT number must embed
the row's SIREN.
"""

from __future__ import annotations

from types import ModuleType

import pandas as pd
from stdnum.eu import vat
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import siren, siret

from marketplace.errors import Reason

# pandera check name -> (reason, French message, English message), part of the seller
# schema's messages; `{value}` is filled per failure.
COMPANY_ID_MESSAGES: dict[str, tuple[Reason, str, str]] = {
    "siren_format": (Reason.BAD_FORMAT,
                     "« {value} » n'est ni un SIREN (9 chiffres) ni un SIRET (14 chiffres).",
                     '"{value}" is neither a SIREN (9 digits) nor a SIRET (14 digits).'),
    "siren_checksum": (Reason.BAD_CHECK_DIGIT,
                       "SIREN ou SIRET « {value} » invalide : la clé de contrôle est fausse.",
                       'Invalid SIREN or SIRET "{value}": wrong check digit.'),
    "siret_format": (Reason.BAD_FORMAT, "« {value} » n'est pas un SIRET (14 chiffres).",
                     '"{value}" is not a SIRET (14 digits).'),
    "siret_checksum": (Reason.BAD_CHECK_DIGIT,
                       "SIRET « {value} » invalide : la clé de contrôle est fausse.",
                       'Invalid SIRET "{value}": wrong check digit.'),
    "vat_format": (Reason.BAD_FORMAT,
                   "« {value} » n'est pas un numéro de TVA intracommunautaire (ex. FR44732829320).",
                   '"{value}" is not an intra-EU VAT number (e.g. FR44732829320).'),
    "vat_checksum": (Reason.BAD_CHECK_DIGIT,
                     "Numéro de TVA « {value} » invalide : la clé de contrôle est fausse.",
                     'Invalid VAT number "{value}": wrong check digit.'),
}

# column -> (reason, French message, English message) when it is not of the row's SIREN
DISAGREEMENT_MESSAGES: dict[str, tuple[Reason, str, str]] = {
    "siret": (Reason.NOT_ALLOWED,
              "Le SIRET « {value} » n'est pas un établissement du SIREN de la ligne.",
              'SIRET "{value}" is not an establishment of the row\'s SIREN.'),
    "vat_number": (Reason.BAD_CHECK_DIGIT,
                   "La clé du numéro de TVA « {value} » ne correspond pas au SIREN de la ligne.",
                   'The key of VAT number "{value}" does not match the row\'s SIREN.'),
}


def identifier_failure(field: str, value: str) -> str | None:
    """"checksum", "format" or None (valid) for a `siren`, `siret` or `vat_number` cell.

    A `siren` cell may hold a SIRET (14 digits). For FR numbers stdnum.eu.vat delegates to
    stdnum.fr.tva: the key matches the SIREN.
    """
    module: ModuleType = {"siren": siret if len(value) == 14 else siren, "siret": siret,
                          "vat_number": vat}[field]
    try:
        module.validate(value)
    except InvalidChecksum:
        return "checksum"
    except ValidationError:
        return "format"
    return None


def split_company_ids(valid: pd.DataFrame) -> pd.DataFrame:
    """A SIRET written in the `siren` column gives both fields (see the module docstring)."""
    if "siren" not in valid and "siret" not in valid:
        return valid
    empty = pd.Series(pd.NA, index=valid.index, dtype="str")
    siren_cell = valid.get("siren", empty)
    siret_cell = valid.get("siret", empty)
    siret_value = siret_cell.fillna(siren_cell.where(siren_cell.str.len() == 14))
    return valid.assign(siren=siren_cell.str.slice(0, 9).fillna(siret_value.str.slice(0, 9)),
                        siret=siret_value)


def identifier_disagreements(typed: pd.DataFrame) -> dict[str, pd.Series]:
    """Column → rows where its SIRET or FR VAT number does not belong to the row's SIREN.

    Only well-shaped identifiers are compared (a malformed one is the schema's problem); the
    `siren` cell may still hold a SIRET here. Without a SIREN (no `siren` column, or an empty
    cell), the row's SIREN is its SIRET's first 9 digits, as `split_company_ids` stores it:
    the VAT number is then checked against that one.
    """
    empty = pd.Series(pd.NA, index=typed.index, dtype="str")
    siren_cell = typed.get("siren", empty)
    establishment = typed.get("siret", empty)
    establishment = establishment.where(establishment.str.fullmatch(r"\d{14}"))
    company = siren_cell.where(siren_cell.str.fullmatch(r"\d{9}|\d{14}")).str.slice(0, 9)
    found = {}
    if "siren" in typed and "siret" in typed:
        found["siret"] = (company.notna() & establishment.notna()
                          & (establishment.str.slice(0, 9) != company))
    company = company.where(siren_cell.notna(), establishment.str.slice(0, 9))
    if "vat_number" in typed:
        vat_siren = typed["vat_number"].str.extract(r"^FR[0-9A-Z]{2}(\d{9})$")[0]
        found["vat_number"] = vat_siren.notna() & company.notna() & (vat_siren != company)
    return found
