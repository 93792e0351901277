"""Keys repeated in a file (a sku, an order id): every copy is rejected, across chunks too.

Chunked validation sees one chunk at a time, so the keys of earlier chunks are kept (compactly,
as Arrow arrays) and a copy found later also rejects the earlier copy, which the loader has
already staged: its row goes to `ctx.state["late_duplicates"]` for the loader to drop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from marketplace.errors import Reason

if TYPE_CHECKING:
    from schemas.validator import ChunkValidator


def reject_repeated_keys(v: ChunkValidator, keys: pd.Series, present: pd.Series, name: str,
                         message_fr: str, message_en: str) -> pd.Series:
    """Flag every row whose key (where `present`) repeats, in this chunk or an earlier one, each
    copy reported once; returns the earlier chunks' copies found now (their text by row)."""
    seen: SeenKeys = v.ctx.state.setdefault(f"seen_{name}", SeenKeys())
    flagged: set[int] = v.ctx.state.setdefault(f"repeated_{name}_rows", set())
    earlier = seen.find(keys[present])
    duplicated = present & (keys.duplicated(keep=False) | keys.isin(earlier.unique()))
    earlier = earlier[~earlier.index.isin(list(flagged))]
    flagged.update(int(r) for r in duplicated[duplicated].index)
    flagged.update(int(r) for r in earlier.index)
    v.flag(duplicated.astype(bool), Reason.DUPLICATE_KEY, name, message_fr, message_en)
    if not earlier.empty:
        v.collector.flag(pd.Series(True, index=earlier.index), Reason.DUPLICATE_KEY,
                         v.header(name), earlier, message_fr, message_en)
        v.ctx.state.setdefault("late_duplicates", set()).update(int(r) for r in earlier.index)
    seen.add(keys[present])
    return earlier


class SeenKeys:
    """The keys of the chunks already validated, as compact Arrow arrays (not Python objects).

    Looking a new chunk up hashes only that chunk and probes the earlier keys, so a
    million-row file costs a few hashed passes, not a Python set of a million strings.
    """

    def __init__(self) -> None:
        self.keys: list[pa.Array] = []
        self.rows: list[np.ndarray] = []

    def find(self, keys: pd.Series) -> pd.Series:
        """Earlier occurrences of `keys`: their text, indexed by their row number."""
        if not self.keys or keys.empty:
            return pd.Series([], dtype="str")
        earlier = pa.chunked_array(self.keys)
        hits = pc.is_in(earlier, value_set=pa.array(keys, type=pa.string()))
        hits = hits.to_numpy(zero_copy_only=False)
        if not hits.any():
            return pd.Series([], dtype="str")
        rows = np.concatenate(self.rows)[hits]
        return pd.Series(earlier.filter(pa.array(hits)).to_pylist(), index=rows, dtype="str")

    def add(self, keys: pd.Series) -> None:
        if keys.empty:  # a chunk of rows without a sku: an empty piece would type the lot as null
            return
        self.keys.append(pa.array(keys, type=pa.string()))
        self.rows.append(keys.index.to_numpy(dtype="int32"))  # 4 bytes a row: 12 MB less at 3M
