"""Keys kept across chunks (schemas.repeated_keys), at the edges the fuzzer found."""

import pandas as pd

from schemas.repeated_keys import SeenKeys


def test_a_chunk_without_keys_then_a_chunk_with_some():
    """A first chunk of rows with no sku (found by tests/fuzz/fuzz_readers.py: it typed the
    kept keys as null and the next chunk's lookup failed with an Arrow type error)."""
    seen = SeenKeys()
    skus = pd.Series(["X"], dtype="str")
    seen.add(skus[skus == "none"])  # a selection of no row: Arrow holds it as zero chunks
    assert seen.find(pd.Series(["A"], index=[5], dtype="str")).empty
    seen.add(pd.Series(["A", "B"], index=[5, 6], dtype="str"))
    found = seen.find(pd.Series(["B", "C"], index=[9, 10], dtype="str"))
    assert found.to_dict() == {6: "B"}
