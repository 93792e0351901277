"""pandera checks the feeds share, each named after the key of its message in
`schemas.pandera_problems`, so that a failure becomes a precise problem for the seller."""

from __future__ import annotations

import pandera.pandas as pa

from schemas.parsing import matches

SKU_PATTERN = r"[A-Za-z0-9._/-]{1,64}"


def named(factory, *args, name: str) -> pa.Check:
    """A built-in check reported under `name`."""
    return factory(*args, name=name, error=name)


def sku_format() -> pa.Check:
    """The sku's characters and length, matched by RE2 straight through Arrow
    (`schemas.parsing.matches`; pandera's `str_matches` goes through pandas, which scans the
    column twice)."""
    return pa.Check(lambda skus: matches(skus, SKU_PATTERN, whole=True), name="sku_format",
                    error="sku_format")
