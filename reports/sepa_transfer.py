"""The month's SEPA credit transfer file (pain.001), built with sepaxml and schema-validated.

Why sepaxml: a maintained library that writes both pain.001.001.09 (the EPC version in force
since October 2025, our default) and pain.001.001.03 (`MARKETPLACE_SEPA_SCHEMA` for banks
that still ask for it), and validates the document against the XSD it ships before we keep
it. One batch, one transaction per paid seller, end-to-end id = the payout's id, requested
execution on the date the close decided. The file is built inside the close transaction
(its control sum is one of the invariants) and stored with the month, so a re-issue writes
the very same bytes (its message id and creation time included).

Names keep to the EPC's basic Latin character set (`sepa_text`), the only one every SEPA bank
must accept: the XSD allows any text, sepaxml only transliterates accents, and a registry's
"Dupont & Fils" or "« Éditions »" could get the whole batch refused by the bank.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeET
import pandas as pd
from sepaxml import SepaTransfer
from text_unidecode import unidecode

from marketplace.calendar import PARIS
from marketplace.identity import MarketplaceIdentity

SCHEMAS = ("pain.001.001.09", "pain.001.001.03")

# Signs outside the EPC set with a close one inside it; quotes and guillemets before the
# transliteration (which turns « into <<), the ASCII signs after it too.
_EPC_NEAREST = str.maketrans({"&": "+", "<": "(", ">": ")", "[": "(", "]": ")", "{": "(",
                              "}": ")", '"': "'", "«": " ", "»": " ", "“": "'", "”": "'",
                              "‘": "'", "’": "'"})
_OUTSIDE_EPC = re.compile(r"[^A-Za-z0-9/?:().,'+ -]+")


NAME_LENGTH = 70  # EPC: a party's name, Max70Text


def sepa_text(text: str, limit: int | None = None) -> str:
    """`text` in the EPC basic Latin set: a-z A-Z 0-9 / - ? : ( ) . , ' + and space. Accents
    transliterated, `&` as `+`, brackets as parentheses, any other sign a space; cut to `limit`
    characters without a trailing space (sepaxml's own cut left one)."""
    ascii_text = unidecode(text.translate(_EPC_NEAREST)).translate(_EPC_NEAREST)
    return " ".join(_OUTSIDE_EPC.sub(" ", ascii_text).split())[:limit].rstrip()


def usable_name(name: object) -> bool:
    """Whether a registry name leaves anything in the EPC set (a name of symbols alone does not:
    the creditor would go unnamed, which the schema refuses for the whole file)."""
    return isinstance(name, str) and bool(sepa_text(name, NAME_LENGTH))


def build_transfer(identity: MarketplaceIdentity, paid: pd.DataFrame, month: str,
                   execution_date: date, schema: str) -> bytes:
    """The validated XML for the paid lines (payout_id, legal_name, iban, bic, paid in cents)."""
    if schema not in SCHEMAS:
        raise ValueError(f"SEPA schema {schema!r} not supported: one of {', '.join(SCHEMAS)}")
    # the payer's address: the EPC rulebook requires it for payees outside the EEA (a Swiss or
    # Monegasque seller), and a structured one is what the banks move to for every transfer
    address = {"street_name": sepa_text(identity.address, 70), "postcode": sepa_text(identity.postcode, 16),
               "town": sepa_text(identity.city, 35), "country": identity.country}
    transfer = SepaTransfer({"name": sepa_text(identity.name, NAME_LENGTH), "IBAN": identity.iban,
                             "BIC": identity.bic, "batch": True, "currency": "EUR",
                             "address": address}, schema=schema)
    created = datetime.now(UTC)
    # sepaxml's id stamps a 12-hour clock (17:45 reads 05:45): ours is the UTC time, 24-hour
    header_id = transfer._xml.find("CstmrCdtTrfInitn/GrpHdr/MsgId")  # written at construction
    header_id.text = f"{created:%Y%m%d%H%M%S}-{transfer.msg_id.partition('-')[2]}"
    # sepaxml writes the machine's local time without an offset: Paris time, with its offset
    created_at = transfer._xml.find("CstmrCdtTrfInitn/GrpHdr/CreDtTm")
    created_at.text = created.astimezone(ZoneInfo(PARIS)).isoformat(timespec="seconds")
    for payout in paid.itertuples(index=False):  # one per paid seller: the file's own rows
        payment = {"name": sepa_text(payout.legal_name, NAME_LENGTH), "IBAN": payout.iban.replace(" ", ""),
                   "amount": int(payout.paid), "execution_date": execution_date,
                   "description": f"Marketplace {month} - versement {payout.payout_id}",
                   "endtoend_id": str(payout.payout_id)}
        if payout.bic:
            payment["BIC"] = payout.bic
        transfer.add_payment(payment)
    return transfer.export(validate=True)


def control_sum(xml: bytes) -> Decimal:
    """The group header's CtrlSum, read back from the document (the invariant's third side)."""
    root = SafeET.fromstring(xml)
    namespace = root.tag.partition("}")[0] + "}"
    node = root.find(f"{namespace}CstmrCdtTrfInitn/{namespace}GrpHdr/{namespace}CtrlSum")
    return Decimal(node.text) if node is not None and node.text else Decimal("0.00")
