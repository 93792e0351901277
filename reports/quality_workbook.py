"""`indicators.xlsx`, the ops workbook: every seller's indicators, charts, overdue orders.

Sheet "Indicateurs - Indicators": one row per seller, each indicator with its denominator and
sub-score; a value past its probation threshold is red and a Top Seller's row green
(conditional formats, so a sort or filter in Excel keeps them right); "not enough data" is
said in the value cell (quality.md: "shown as such"), its denominator beside it. A value cell
holds the exact value, shown with the report's decimals, so the red rule compares what the
status compares (84.96 % is past 85 % and red, though it shows as 85.0; the rounded 85 the cell
held was not red). Sheet "Graphiques - Charts": the score distribution and the Top Seller and
probation counts over the last 30 reports. Sheet "Commandes en retard - Overdue": the orders
past their acceptance deadline with no decision, times in Paris. The document's creation time
is the report date, so that a re-run writes the same bytes.
"""

from __future__ import annotations

import io
from datetime import date
from fractions import Fraction

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from reports.quality_calendar import paris_local, quality_window
from reports.quality_reference import RATE_INDICATORS, QualityThresholds
from reports.quality_scoring import LABELS, PLACES, exact_values
from reports.quality_status import PROBATION, PROPOSED
from reports.safe_cells import clean_for_xlsx, inert_text

RED = "#FF9999"
GREEN = "#C6EFCE"
VALUE_COLUMNS = [("average_rating", "rating_den"), *[(rate, f"{rate}_den") for rate in RATE_INDICATORS],
                 ("response_hours", "response_den")]
HEAD = ["seller_id", "registry status", "status", "status change", "score", "Top Seller",
        "Top Seller: missing", "past probation thresholds", "orders", "seniority (months)"]
NOT_ENOUGH_DATA = "données insuffisantes / not enough data"
SCORE_BINS = ["0–0.9", "1–1.9", "2–2.9", "3–3.9", "4–4.9", "5", "no score"]


def _number(value: object) -> float | None:
    """A shown Decimal as a spreadsheet number (display only; exact values are in the CSV)."""
    return None if value is None or pd.isna(value) else float(value)  # ok: indicator, not money


def _exact_numbers(row: dict) -> dict[str, float | None]:
    """Each indicator's exact value as the nearest double, None when not enough data. The
    nearest double of a fraction of real counts is never on the other side of a threshold: the
    two would have to differ by less than 1e-14."""
    exact = exact_values(row)
    return {name: None if pd.isna(row[f"{name}_shown"]) else float(exact[name][0])  # ok: indicator
            for name, _den in VALUE_COLUMNS}


def _indicator_sheet(book, table: pd.DataFrame, thresholds: QualityThresholds) -> None:
    sheet = book.add_worksheet("Indicateurs - Indicators")
    bold = book.add_format({"bold": True, "text_wrap": True})
    # the value columns, each shown with its indicator's decimals
    shown_as = {len(HEAD) + 3 * index: book.add_format({"num_format": "0." + "0" * PLACES[name]})
                for index, (name, _den) in enumerate(VALUE_COLUMNS)}
    header = list(HEAD)
    for name, _den in VALUE_COLUMNS:
        header += [LABELS[name], f"{LABELS[name]}: denominator", f"{LABELS[name]}: sub-score"]
    header += ["unanswered questions", "trial: accepted orders"]
    sheet.write_row(0, 0, header, bold)
    sheet.freeze_panes(1, 1)
    for r, row in enumerate(table.itertuples(index=False), start=1):
        values = [row.seller_id, row.registry_status, row.status, row.status_change,
                  _number(None if pd.isna(row.score_tenths) else Fraction(int(row.score_tenths), 10)),
                  bool(row.top_seller), row.top_seller_missing, row.breaches, row.order_count,
                  None if pd.isna(row.seniority_months) else int(row.seniority_months)]
        exact = _exact_numbers(row._asdict())
        for name, den in VALUE_COLUMNS:
            value = NOT_ENOUGH_DATA if exact[name] is None else exact[name]
            values += [value, getattr(row, den), _number(getattr(row, f"{name}_sub"))]
        values += [row.response_unanswered,
                   None if pd.isna(row.trial_orders) else int(row.trial_orders)]
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, clean_for_xlsx(inert_text(value)))
            else:
                sheet.write(r, c, value, shown_as.get(c))
    last_row, last_col = max(len(table), 1), len(header) - 1
    for index, (name, _den) in enumerate(VALUE_COLUMNS):
        rule = thresholds.indicators[name]
        if rule.probation is None:
            continue
        col = xl_col_to_name(len(HEAD) + 3 * index)
        sign = "<" if rule.higher else ">"
        sheet.conditional_format(1, len(HEAD) + 3 * index, last_row, len(HEAD) + 3 * index, {
            "type": "formula",
            "criteria": f"=AND(ISNUMBER({col}2),{col}2{sign}{float(rule.probation)})",  # ok: a threshold
            "format": book.add_format({"bg_color": RED})})
    top = xl_col_to_name(HEAD.index("Top Seller"))
    sheet.conditional_format(1, 0, last_row, last_col, {
        "type": "formula", "criteria": f"=${top}2=TRUE", "format": book.add_format({"bg_color": GREEN})})


def _chart_sheet(book, table: pd.DataFrame, trend: pd.DataFrame) -> None:
    sheet = book.add_worksheet("Graphiques - Charts")
    bold = book.add_format({"bold": True})
    tenths = table["score_tenths"]
    bins = pd.cut(tenths.astype("float64"), bins=[-1, 9, 19, 29, 39, 49, 50], labels=SCORE_BINS[:6])
    counts = bins.value_counts().reindex(SCORE_BINS[:6], fill_value=0).tolist() + [int(tenths.isna().sum())]
    sheet.write_row(0, 0, ["score", "sellers"], bold)
    for r, (label, count) in enumerate(zip(SCORE_BINS, counts, strict=True), start=1):
        sheet.write_string(r, 0, label)
        sheet.write_number(r, 1, count)
    per_night = trend.groupby("report_date").agg(
        top=("top_seller", "sum"), probation=("status", lambda s: int(s.isin([PROBATION, PROPOSED]).sum())))
    in_probation = "in probation (deactivation proposed included)"  # both are past a threshold
    sheet.write_row(0, 3, ["report", "Top Sellers", in_probation], bold)
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, (day, top, probation) in enumerate(per_night.itertuples(name=None), start=1):
        sheet.write_datetime(r, 3, pd.Timestamp(day).to_pydatetime(), date_format)
        sheet.write_number(r, 4, int(top))
        sheet.write_number(r, 5, int(probation))
    scores = book.add_chart({"type": "column"})
    scores.add_series({"name": "sellers", "categories": ["Graphiques - Charts", 1, 0, 7, 0],
                       "values": ["Graphiques - Charts", 1, 1, 7, 1]})
    scores.set_title({"name": "Score distribution"})
    scores.set_legend({"none": True})
    sheet.insert_chart("H2", scores)
    nights = max(len(per_night), 1)
    counts_chart = book.add_chart({"type": "line"})
    for col, name in ((4, "Top Sellers"), (5, in_probation)):
        counts_chart.add_series({"name": name, "categories": ["Graphiques - Charts", 1, 3, nights, 3],
                                 "values": ["Graphiques - Charts", 1, col, nights, col],
                                 "marker": {"type": "circle"}})
    counts_chart.set_title({"name": "Top Sellers and probations, last 30 reports"})
    counts_chart.set_x_axis({"date_axis": True, "num_format": "dd/mm"})
    sheet.insert_chart("H20", counts_chart)


def _overdue_sheet(book, overdue: pd.DataFrame, report_date: date) -> None:
    sheet = book.add_worksheet("Commandes en retard - Overdue")
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, ["order_id", "seller_id", "ordered at (Paris)", "deadline (Paris)",
                           "hours past deadline at the end of the day"], bold)
    end = pd.Timestamp(quality_window(report_date).end_utc.replace(tzinfo=None))
    hours = ((end - overdue["deadline"]).dt.total_seconds() // 3600).astype("int64")
    ordered, deadline = paris_local(overdue["ordered_at"]), paris_local(overdue["deadline"])
    for r, (order_id, seller, at, due, late) in enumerate(
            zip(overdue["order_id"], overdue["seller_id"], ordered, deadline, hours, strict=True), start=1):
        sheet.write_string(r, 0, clean_for_xlsx(inert_text(str(order_id))))
        sheet.write_number(r, 1, int(seller))
        sheet.write_datetime(r, 2, at.to_pydatetime(), when)
        sheet.write_datetime(r, 3, due.to_pydatetime(), when)
        sheet.write_number(r, 4, int(late))
    sheet.set_column(0, 4, 20)


def indicators_xlsx(table: pd.DataFrame, trend: pd.DataFrame, overdue: pd.DataFrame,
                    thresholds: QualityThresholds, report_date: date) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": pd.Timestamp(report_date).to_pydatetime()})
    _indicator_sheet(book, table, thresholds)
    _chart_sheet(book, table, trend)
    _overdue_sheet(book, overdue, report_date)
    book.close()
    return buffer.getvalue()

