"""The month's SEPA credit transfer file (pain.001), built with sepaxml and schema-validated.

Why sepaxml: a maintained library that writes both pain.001.001.09 (the EPC version in force
since October 2025, our default) and pain.001.001.03 (`MARKETPLACE_SEPA_SCHEMA` for banks
that still ask for it), and validates the document against the XSD it ships before we keep
it. One batch, one transaction per paid seller, end-to-end id = the payout's id, requested
execution on the date the close decided. The file is built inside the close transaction
(its control sum is one of the invariants) and stored with the month, so a re-issue writes
the very same bytes (its message id and creation time included).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import defusedxml.ElementTree as SafeET
import pandas as pd
from sepaxml import SepaTransfer

from marketplace.identity import MarketplaceIdentity

SCHEMAS = ("pain.001.001.09", "pain.001.001.03")


def build_transfer(identity: MarketplaceIdentity, paid: pd.DataFrame, month: str,
                   execution_date: date, schema: str) -> bytes:
    """The validated XML for the paid lines (payout_id, legal_name, iban, bic, paid in cents)."""
    if schema not in SCHEMAS:
        raise ValueError(f"SEPA schema {schema!r} not supported: one of {', '.join(SCHEMAS)}")
    transfer = SepaTransfer({"name": identity.name, "IBAN": identity.iban, "BIC": identity.bic,
                             "batch": True, "currency": "EUR"}, schema=schema)
    for payout in paid.itertuples(index=False):  # one per paid seller: the file's own rows
        payment = {"name": payout.legal_name, "IBAN": payout.iban.replace(" ", ""),
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
