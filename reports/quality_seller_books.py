"""`sellers/<seller_id>.xlsx`: each seller's own indicators, trend, Top Seller gap and orders.

So that a seller can check every number: the indicators with their denominators and the
thresholds, the last 30 reports as a chart, what is missing for Top Seller, and the orders
behind each bad figure (late, claimed, refunded, expired, untracked), times in Paris.

10,000 workbooks a night: they are written in batches by a ProcessPoolExecutor (each worker
writes to a temporary file and uploads it through the storage, so S3 works unchanged); with
`workers` ≤ 1 they are written in this process (tests, small runs).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from fractions import Fraction
from multiprocessing import get_context
from pathlib import Path

import pandas as pd
import xlsxwriter

from marketplace.config import Settings
from marketplace.layout import safe_key
from marketplace.storage import open_storage
from reports.quality_calendar import paris_local
from reports.quality_reference import SCORED_INDICATORS, QualityThresholds, Threshold
from reports.quality_scoring import LABELS, LABELS_FR, UNITS, half_up, less_than_a_step, reads_as_breach
from reports.safe_cells import clean_for_xlsx, inert_text

BATCH = 250
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DEN_COLUMNS = {"average_rating": "rating_den", "response_hours": "response_den"}
ORDER_TIMES = ["ordered_at", "deadline", "accepted_at", "refused_at", "estimated_delivery_at",
               "delivered_at"]
"""An expired order shows when it was accepted or refused, after its deadline: the seller's own
system says "accepted", and the sheet lets them see it was late."""
ORDER_COLUMNS = ["problem", "order_id", *ORDER_TIMES]
TREND_COLUMNS = ["report_date", "score_tenths", "acceptance_num", "acceptance_den", "late_num", "late_den"]
STATUSES = {"active": "actif / active", "probation": "en probation / probation",
            "deactivation_proposed": "désactivation proposée / deactivation proposed",
            "trial_limit_reached": "limite de la période d'essai atteinte / trial limit reached"}
"""The statuses as the seller reads them (the CSV keeps the codes, for machines)."""
NOT_ENOUGH = "données insuffisantes / not enough data"
PROBLEMS = {"late": "retard / late", "claimed": "réclamation / claimed",
            "refunded": "remboursée / refunded", "expired": "non acceptée à temps / expired",
            "untracked": "sans suivi / untracked"}


def excel_serial(moments: pd.Series) -> pd.Series:
    """Naive wall-clock times as spreadsheet serial numbers (days since 1899-12-30)."""
    return (moments - EXCEL_EPOCH) / pd.Timedelta(days=1)


def _text(value: object) -> str:
    return clean_for_xlsx(inert_text(str(value)))


def _number(value: object, tenths: bool = False) -> int | float | None:
    """A count or score as a number cell (text would show "4.4" flagged as text in a French
    Excel); None, an empty cell, when there is none (not activated, no score)."""
    if value is None or pd.isna(value):
        return None
    return int(value) / 10 if tenths else int(value)  # ok: a score, not money


def _breach_note(name: str, shown: Decimal, rule: Threshold) -> str:
    """Past the probation threshold; by how little when the value shown reads as the threshold
    itself (84.96 % shows 85.0 next to "< 85"), so the note never contradicts the figures."""
    if reads_as_breach(name, shown, rule):
        return "seuil de probation dépassé / past the probation threshold"
    gap_fr, gap_en = less_than_a_step(name)
    return f"seuil de probation dépassé de {gap_fr} / past the probation threshold by {gap_en}"


def _indicators(book, seller: dict, thresholds: QualityThresholds) -> None:
    sheet = book.add_worksheet("Indicateurs - Indicators")
    bold = book.add_format({"bold": True})
    sheet.write_string(0, 0, f"Vendeur {seller['seller_id']} : période du {seller['window_start']}"
                             f" au {seller['window_end']} / Seller {seller['seller_id']}: window"
                             f" {seller['window_start']} to {seller['window_end']}", bold)
    sheet.write_row(2, 0, ["indicateur / indicator", "valeur / value",
                           "dénominateur / denominator", "sous-note / sub-score", "Top Seller",
                           "probation si / probation when", "remarque / note"], bold)
    for r, name in enumerate(SCORED_INDICATORS, start=3):
        rule = thresholds.indicators[name]
        shown, sub = seller[f"{name}_shown"], seller[f"{name}_sub"]
        den = seller[DEN_COLUMNS.get(name, f"{name}_den")]
        sign = ("≥ " if rule.higher else "≤ ")
        note = (NOT_ENOUGH if shown is None else
                _breach_note(name, shown, rule) if seller[f"{name}_breach"] else "")
        sheet.write_string(r, 0, f"{LABELS_FR[name]} / {LABELS[name]} ({UNITS[name].strip()})")
        if shown is not None:
            sheet.write_number(r, 1, float(shown))  # ok: a shown indicator, not money
            sheet.write_number(r, 3, float(sub))  # ok: a sub-score
        sheet.write_number(r, 2, int(den))
        if rule.top_seller is not None:
            sheet.write_string(r, 4, f"{sign}{float(rule.top_seller):g}")  # ok: a threshold
        if rule.probation is not None:
            sheet.write_string(r, 5, f"{'<' if rule.higher else '>'} {float(rule.probation):g}")  # ok
        sheet.write_string(r, 6, note)
    r = 4 + len(SCORED_INDICATORS)
    facts = [("commandes acceptées / orders (accepted)", seller["order_count"]),
             ("ancienneté (mois) / seniority (months)", _number(seller["seniority_months"])),
             ("questions sans réponse / unanswered questions", seller["response_unanswered"]),
             ("note globale /5 / score /5", _number(seller["score_tenths"], tenths=True)),
             ("Top Seller", "oui / yes" if seller["top_seller"] else "non / no"),
             ("manque pour Top Seller / missing for Top Seller", seller["top_seller_missing"]),
             ("statut / status", STATUSES.get(seller["status"], seller["status"])),
             ("changement de statut / status change", seller["status_change"])]
    for offset, (label, value) in enumerate(facts):
        sheet.write_string(r + offset, 0, label, bold)
        sheet.write(r + offset, 1, value if not isinstance(value, str) else _text(value))
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 6, 14)


def _trend(book, trend: list[tuple], thresholds: QualityThresholds) -> None:
    """Each night's score and two rates; a rate over too few orders says so, as the indicators
    sheet does (quality.md: not enough data is "shown as such")."""
    sheet = book.add_worksheet("Tendance - Trend")
    bold = book.add_format({"bold": True})
    day_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["rapport / report", "note / score", "acceptation % / acceptance %",
                           "retards % / late delivery %"], bold)
    for r, (day, tenths, accepted, decided, late, delivered) in enumerate(trend, start=1):
        sheet.write_number(r, 0, day, day_format)
        if tenths is not None:
            sheet.write_number(r, 1, tenths / 10)
        for c, (name, part, whole) in enumerate(
                [("acceptance", accepted, decided), ("late", late, delivered)], start=2):
            if whole < thresholds.indicators[name].min_denominator:
                sheet.write_string(r, c, NOT_ENOUGH)
            else:  # one decimal, half-up, as the indicators sheet shows them (quality.md)
                sheet.write_number(r, c, float(half_up(Fraction(100 * part, whole), 1)))  # ok: a rate
    last = max(len(trend), 1)
    chart = book.add_chart({"type": "line"})
    chart.add_series({"name": "score", "categories": ["Tendance - Trend", 1, 0, last, 0],
                      "values": ["Tendance - Trend", 1, 1, last, 1], "marker": {"type": "circle"}})
    chart.set_title({"name": "Note /5, 30 derniers rapports / Score /5, last 30 reports"})
    chart.set_x_axis({"date_axis": True, "num_format": "dd/mm"})
    chart.set_y_axis({"min": 0, "max": 5})
    chart.set_legend({"none": True})
    sheet.insert_chart("F2", chart)


def _orders(book, problems: list[tuple]) -> None:
    sheet = book.add_worksheet("Commandes - Orders")
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, ["problème / problem", "commande / order_id", "commandée le / ordered at",
                           "à accepter avant / acceptance deadline", "acceptée le / accepted at",
                           "refusée le / refused at", "livraison estimée / estimated delivery",
                           "livrée le / delivered at"],
                    bold)
    for r, (problem, order_id, *moments) in enumerate(problems, start=1):
        sheet.write_string(r, 0, PROBLEMS.get(problem, problem))
        sheet.write_string(r, 1, _text(order_id))
        for c, moment in enumerate(moments, start=2):
            if moment is not None:
                sheet.write_number(r, c, moment, when)
    sheet.set_column(0, 7, 20)


def seller_book(path: Path, seller: dict, trend: list[tuple], problems: list[tuple],
                thresholds: QualityThresholds, report_date: date) -> None:
    """One seller's workbook; `trend` and `problems` are rows ready to write (see `_rows`)."""
    # in_memory: a small workbook is assembled in memory, without xlsxwriter's own temporary
    # file per sheet (creating and removing those cost more than writing the cells)
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    book.set_properties({"created": pd.Timestamp(report_date).to_pydatetime()})
    _indicators(book, seller, thresholds)
    _trend(book, trend, thresholds)
    _orders(book, problems)
    book.close()


def _write_batch(settings: Settings, prefix: str, sellers: list[dict], trend: pd.DataFrame,
                 problems: pd.DataFrame, thresholds: QualityThresholds, report_date: date) -> int:
    """One worker's share: each workbook to a temporary file, then uploaded."""
    storage = open_storage(settings)
    trends, orders = _rows(trend, TREND_COLUMNS), _rows(problems, ORDER_COLUMNS)
    with tempfile.TemporaryDirectory() as tmp:
        for seller in sellers:
            path = Path(tmp) / "book.xlsx"
            seller_id = seller["seller_id"]
            seller_book(path, seller, trends.get(seller_id, []), orders.get(seller_id, []),
                        thresholds, report_date)
            storage.upload(path, safe_key(prefix, f"{seller_id}.xlsx"))
    return len(sellers)


def _rows(frame: pd.DataFrame, columns: list[str]) -> dict[int, list[tuple]]:
    """Each seller's rows as plain tuples (None for missing values), in one pass: pandas per
    cell costs more than writing the cell."""
    values = frame[columns].astype(object).where(frame[columns].notna(), None)
    grouped: dict[int, list[tuple]] = {}
    for seller_id, *row in zip(frame["seller_id"].tolist(), *(values[c].tolist() for c in columns),
                               strict=True):
        grouped.setdefault(seller_id, []).append(tuple(row))
    return grouped


def _batches(table: pd.DataFrame, trend: pd.DataFrame, problems: pd.DataFrame) -> Iterator[tuple]:
    """Batches of sellers with their trend and problem orders, times already in Paris as
    spreadsheet serial numbers (converted here at once rather than cell by cell)."""
    records = table.to_dict("records")
    trend = trend.assign(report_date=excel_serial(pd.to_datetime(trend["report_date"])))
    problems = problems.assign(**{column: excel_serial(paris_local(problems[column]))
                                  for column in ORDER_TIMES})
    for start in range(0, len(records), BATCH):
        chunk = records[start:start + BATCH]
        ids = [row["seller_id"] for row in chunk]
        yield (chunk, trend[trend["seller_id"].isin(ids)], problems[problems["seller_id"].isin(ids)])


def write_seller_books(settings: Settings, prefix: str, table: pd.DataFrame, trend: pd.DataFrame,
                       problems: pd.DataFrame, thresholds: QualityThresholds, report_date: date,
                       workers: int = 2) -> int:
    """Write every seller's workbook under `prefix`; returns how many were written."""
    batches = _batches(table, trend, problems)
    if workers <= 1:
        return sum(_write_batch(settings, prefix, *batch, thresholds, report_date) for batch in batches)
    # spawn: a fresh interpreter per worker, safe whatever threads the parent runs (Prefect)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_write_batch, settings, prefix, *batch, thresholds, report_date)
                   for batch in batches]
        return sum(future.result() for future in futures)
