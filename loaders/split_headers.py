"""A header written over two rows: "Prix" merged above "HT" and "TTC".

Excel saves such a sheet (or its CSV) with "Prix" over the first column and nothing over the
second, and the words that tell them apart on the row below. Read as a table, the first
column became the price, which was the one excluding VAT: a wrong price loaded with a mere
"column without a header" warning. The same holds for a stock over two warehouses. An amount
or a count holds digits, so words under such a header, next to words under a column without
one, are a second header line: the file is refused, with both words, as a file naming one
field twice is.
"""

from __future__ import annotations

import pandas as pd

from marketplace.errors import Reason, reject_file
from schemas.columns import ColumnSpec, HeaderMap


def refuse_split_header(frame: pd.DataFrame, header_map: HeaderMap, specs: tuple[ColumnSpec, ...],
                        unnamed: list[int], header_row: int | None) -> None:
    """Raise FileRejected when the row under the header labels a numeric column and the
    column without a header to its right; `frame` is the file's first chunk."""
    below = (header_row or 0) + 1
    if not unnamed or below not in frame.index:
        return
    row = frame.loc[below]
    for spec in specs:
        position = header_map.positions.get(spec.name)
        if not spec.numeric or position is None or position + 1 not in unnamed:
            continue
        left, right = (str(row.get(column, "")).strip() for column in (position, position + 1))
        if _label(left) and _label(right):
            header = header_map.header_of(spec.name)
            raise reject_file(
                Reason.SPLIT_HEADER,
                f"L'en-tête « {header} » couvre deux colonnes, que la ligne {below} distingue"
                f" (« {left} » et « {right} ») : laquelle lire ? Donnez à chaque colonne son"
                f" propre titre, sur la ligne d'en-tête (par exemple « {header} {right} »), et"
                " supprimez la ligne du dessous.",
                f'The header "{header}" spans two columns, which row {below} tells apart'
                f' ("{left}" and "{right}"): which one to read? Give each column a title of its'
                f' own on the header row (for example "{header} {right}") and delete the row'
                " below.",
                row=below, column=header, value=left)


def _label(text: str) -> bool:
    return bool(text) and not any(ch.isdigit() for ch in text)
