"""Fingerprints of offers: a re-sent catalogue is compared in memory before it is staged.

Sellers send their whole catalogue again and again, and most rows are what the catalog
already holds. Staging a million unchanged rows, joining them to `offers` and comparing them
column by column costs the database more than loading them did (benchmarks/README.md). So each
offer the loader writes keeps a 64-bit hash of its sku and the values a file sets; a row whose
hash is among the seller's active offers is known unchanged and is neither staged nor merged.

The hash is a shortcut, never the judge: staged rows are still compared column by column
before anything is rewritten, and an offer with no fingerprint (written by other means) or
an outdated one (another polars version) is simply merged and compared. Only a 64-bit
collision between a changed row and one of the shop's offers could skip a change: about
n / 2**64 per row for a shop of n offers, 5e-14 for a million.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
from sqlalchemy import text

from loaders.offer_merge import CHANGEABLE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FINGERPRINTED = ["sku", *CHANGEABLE]
"""The key and every value a file sets (the staged frame's names: `price` in cents)."""


def fingerprints(frame: pd.DataFrame) -> np.ndarray:
    """One signed 64-bit hash per row (BIGINT in both databases).

    Polars hashes rows over Arrow memory in 0.13 s per million rows, pandas' hash through
    Python strings took 0.9 s (a fifth of validating them). Polars keeps the hash stable
    within a version only, so pyproject.toml pins its minor version; a hash that changes
    after an upgrade only makes each seller's next file compare its rows column by column.
    """
    table = pa.Table.from_pandas(frame[FINGERPRINTED], preserve_index=False)
    return pl.from_arrow(table).hash_rows(seed=0).to_numpy().view(np.int64)


def active_fingerprints(session: Session, seller_id: int) -> np.ndarray:
    """The fingerprints of the seller's active offers, sorted for `np.searchsorted`.

    Inactive offers are left out on purpose: a row naming one must reactivate it. PostgreSQL
    sends them as one array (a row per offer costs twice as much for a million offers).
    """
    where = "seller_id = :seller AND active = :true AND fingerprint IS NOT NULL"
    params = {"seller": seller_id, "true": True}
    if session.get_bind().dialect.name == "postgresql":
        query = text(f"SELECT array_agg(fingerprint) FROM offers WHERE {where}")
        stored = session.execute(query, params).scalar_one() or []
    else:
        stored = session.execute(text(f"SELECT fingerprint FROM offers WHERE {where}"),
                                 params).scalars().all()
    return np.sort(np.array(stored, dtype=np.int64))


def already_stored(values: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Which of `values` are in the sorted `stored` (a binary search each, no hash table)."""
    if stored.size == 0:
        return np.zeros(values.shape, dtype=bool)
    at = np.minimum(np.searchsorted(stored, values), stored.size - 1)
    return stored[at] == values
