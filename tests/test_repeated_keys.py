"""Keys kept across chunks (schemas.repeated_keys), at the edges the fuzzer found."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["A", "B", "C", "é", "", "0012", "12"]), max_size=6),
                max_size=8))
def test_earlier_copies_found_whatever_the_chunking(chunks):
    """Every earlier occurrence of a key, each once, whatever the chunks' sizes (empty ones,
    repeats inside a chunk), against a plain list of what was added."""
    seen, added, row = SeenKeys(), [], 0
    for chunk in chunks:
        keys = pd.Series(chunk, index=range(row, row + len(chunk)), dtype="str")
        expected = {r: k for r, k in added if k in set(chunk)}
        assert seen.find(keys).to_dict() == expected
        seen.add(keys)
        added += list(keys.items())
        row += len(chunk)
