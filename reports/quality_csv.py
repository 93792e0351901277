"""`indicators.csv`: the machine twin of indicators.xlsx, one row per seller, columns of quality.md.

Values are the displayed ones (rates one decimal, rating two, half-up) next to the exact
numerators and denominators; a rate with not enough data has an empty `<rate>_pct`. UTF-8
without BOM and "\\n" line ends, so the file is byte-identical across databases and re-runs.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pandas as pd

from reports.quality_reference import RATE_INDICATORS
from reports.safe_cells import SpreadsheetCsvWriter

CSV_COLUMNS = [
    "seller_id", "window_start", "window_end", "order_count", "seniority_months", "average_rating",
    "response_hours",
    *[f"{rate}_{part}" for rate in RATE_INDICATORS for part in ("num", "den", "pct")],
    "score", "top_seller", "top_seller_missing", "status", "status_change", "top_seller_change",
]


def text_or_empty(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def score_text(tenths: object) -> str:
    return "" if pd.isna(tenths) else str(Decimal(int(tenths)).scaleb(-1))


def indicators_csv(table: pd.DataFrame) -> bytes:
    out = pd.DataFrame({
        "seller_id": table["seller_id"].astype(str),
        "window_start": table["window_start"].astype(str),
        "window_end": table["window_end"].astype(str),
        "order_count": table["order_count"].astype(str),
        "seniority_months": table["seniority_months"].map(text_or_empty),
        "average_rating": table["average_rating_shown"].map(text_or_empty),
        "response_hours": table["response_hours_shown"].map(text_or_empty),
    })
    for rate in RATE_INDICATORS:
        out[f"{rate}_num"] = table[f"{rate}_num"].astype(str)
        out[f"{rate}_den"] = table[f"{rate}_den"].astype(str)
        out[f"{rate}_pct"] = table[f"{rate}_shown"].map(text_or_empty)
    out["score"] = table["score_tenths"].map(score_text)
    out["top_seller"] = table["top_seller"].map({True: "true", False: "false"})
    out["top_seller_missing"] = table["top_seller_missing"]
    out["status"] = table["status"]
    out["status_change"] = table["status_change"]
    out["top_seller_change"] = table["top_seller_change"]  # gained, lost or empty
    buffer = io.StringIO()
    writer = SpreadsheetCsvWriter(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(out[CSV_COLUMNS].itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8")
