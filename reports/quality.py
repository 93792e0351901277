"""The nightly quality report: compute, judge, store, publish (quality.md).

`run_quality_report` is what the CLI, the Prefect flow, the demo and the benchmark call. The
night's figures come from `quality_indicators` (orders → numerators and denominators), the
judgement from `quality_scoring` and `quality_status`, the history from `quality_store`, and the
files from the writers, all through the storage layer under outbox/quality/<D>/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine

from marketplace.config import Settings
from marketplace.layout import safe_key
from marketplace.storage import open_storage
from reports.quality_calendar import Window, quality_window
from reports.quality_csv import indicators_csv
from reports.quality_indicators import COUNTS, compute_night
from reports.quality_reference import SCORED_INDICATORS, QualityThresholds, load_quality_thresholds
from reports.quality_scoring import judge_all, said_both
from reports.quality_seller_books import write_seller_books
from reports.quality_status import (
    ACTIVE,
    NOT_TOP_SELLER,
    PROBATION,
    PROPOSED,
    TOP_SELLER,
    TRIAL,
    next_status,
    top_seller_change,
    trial_reason,
)
from reports.quality_store import mark_published, previous_states, read_trend, save_night
from reports.quality_workbook import indicators_xlsx

STORED = ["seller_id", "registry_status", "activated_at", "order_count", "seniority_months", *COUNTS,
          "trial_orders", "trial_max_orders"]


@dataclass
class QualityReport:
    """What a night produced: its counts and where its files are."""

    window: Window
    sellers: int
    top_sellers: int
    new_probations: int
    deactivations_proposed: int
    trial_limits_reached: int
    overdue_orders: int
    files: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "report_date": self.window.report_date.isoformat(),
            "window_start": self.window.first_day.isoformat(),
            "window_end": self.window.report_date.isoformat(),
            "sellers": self.sellers, "top_sellers": self.top_sellers,
            "new_probations": self.new_probations,
            "deactivations_proposed": self.deactivations_proposed,
            "trial_limits_reached": self.trial_limits_reached,
            "overdue_orders": self.overdue_orders, "files": self.files,
        }


def quality_key(report_date: date, *parts: str) -> str:
    return safe_key("outbox", "quality", report_date.isoformat(), *parts)


def _judged_table(indicators: pd.DataFrame, window: Window, previous: pd.DataFrame,
                  probation_days: int, thresholds: QualityThresholds) -> pd.DataFrame:
    """The night's table: one row per seller with counts, shown values, score and status."""
    table = indicators.copy()
    verdicts = judge_all(table, thresholds)
    for name in SCORED_INDICATORS:
        table[f"{name}_shown"] = [v.shown[name] for v in verdicts]
        table[f"{name}_sub"] = [v.sub_scores[name] for v in verdicts]
        table[f"{name}_breach"] = [name in v.breached for v in verdicts]
    table["score_tenths"] = pd.array([v.score_tenths for v in verdicts], dtype="Int64")
    table["top_seller"] = [v.top_seller for v in verdicts]
    table["top_seller_missing"] = [v.top_seller_missing for v in verdicts]
    table["breaches"] = [said_both(v.breaches) for v in verdicts]
    prev_status = table["seller_id"].map(previous["status"]).astype(object).fillna(ACTIVE)
    prev_since = table["seller_id"].map(previous["probation_since"])
    outcomes = [
        next_status(status, since if pd.notna(since) else None, verdict.breaches,
                    trial_reason(row) if pd.notna(row["trial_orders"]) else None,
                    window.report_date, probation_days)
        for (_, row), status, since, verdict in zip(table.iterrows(), prev_status, prev_since, verdicts,
                                                     strict=True)
    ]
    table["previous_status"] = prev_status.to_numpy()
    table["status"] = [o.status for o in outcomes]
    table["probation_since"] = [o.probation_since for o in outcomes]
    table["status_change"] = [o.change for o in outcomes]
    was_top = table["seller_id"].map(previous["top_seller"]).astype(object).fillna(False)
    top_changes = [top_seller_change(bool(was), verdict.top_seller, verdict.missing)
                   for was, verdict in zip(was_top, verdicts, strict=True)]
    table["top_seller_change"] = [change for change, _ in top_changes]
    table["top_seller_reason"] = [reason for _, reason in top_changes]
    table["window_start"] = window.first_day
    table["window_end"] = window.report_date
    return table


def _stored_rows(table: pd.DataFrame, window: Window) -> tuple[list[dict], list[dict]]:
    frame = table[STORED].astype(object).where(table[STORED].notna(), None)
    rows = frame.to_dict("records")
    for row, cents, limit, score, top, missing, status, since, change in zip(
            rows, table["trial_revenue_cents"], table["trial_max_revenue"], table["score_tenths"],
            table["top_seller"], table["top_seller_missing"], table["status"],
            table["probation_since"], table["status_change"], strict=True):
        row.update(report_date=window.report_date, window_start=window.first_day,
                   window_end=window.report_date,
                   trial_revenue=None if pd.isna(cents) else Decimal(int(cents)).scaleb(-2),
                   trial_max_revenue=None if pd.isna(limit) else Decimal(int(limit)).scaleb(-2),
                   score_tenths=None if pd.isna(score) else int(score), top_seller=bool(top),
                   top_seller_missing=missing, status=status, probation_since=since,
                   status_change=change)
    changed = table[table["status_change"] != ""]
    changes = [{"seller_id": int(seller), "report_date": window.report_date, "from_status": old,
                "to_status": new, "reason": reason}
               for seller, old, new, reason in zip(changed["seller_id"], changed["previous_status"],
                                                   changed["status"], changed["status_change"],
                                                   strict=True)]
    top = table[table["top_seller_change"] != ""]
    changes += [{"seller_id": int(seller), "report_date": window.report_date,
                 "from_status": NOT_TOP_SELLER if now else TOP_SELLER,
                 "to_status": TOP_SELLER if now else NOT_TOP_SELLER, "reason": reason}
                for seller, now, reason in zip(top["seller_id"], top["top_seller"],
                                               top["top_seller_reason"], strict=True)]
    return rows, changes


def run_quality_report(engine: Engine, settings: Settings, report_date: date,
                       workers: int = 2) -> QualityReport:
    """Compute, store and publish the quality report of `report_date` (a re-run replaces it);
    the files go to the settings' storage (the seller workbooks' workers open it too)."""
    storage = open_storage(settings)
    window = quality_window(report_date)
    thresholds = load_quality_thresholds(settings.reference_dir)
    night = compute_night(engine, window)
    table = _judged_table(night.indicators, window, previous_states(engine, report_date),
                          thresholds.probation_days, thresholds)
    save_night(engine, report_date, *_stored_rows(table, window))
    trend = read_trend(engine, report_date)
    files = {
        "indicators_csv": storage.write_bytes(quality_key(report_date, "indicators.csv"),
                                              indicators_csv(table)),
        "indicators_xlsx": storage.write_bytes(
            quality_key(report_date, "indicators.xlsx"),
            indicators_xlsx(table, trend, night.overdue, thresholds, report_date)),
    }
    books = quality_key(report_date, "sellers")
    write_seller_books(settings, books, table, trend, night.problems, thresholds, report_date,
                       workers=workers)
    files["sellers"] = storage.location(quality_key(report_date, "sellers"))
    mark_published(engine, report_date)
    entered = (table["status"] == PROBATION) & (table["previous_status"] != PROBATION)
    return QualityReport(
        window=window, sellers=len(table), top_sellers=int(table["top_seller"].sum()),
        new_probations=int(entered.sum()),
        deactivations_proposed=int((table["status"] == PROPOSED).sum()),
        trial_limits_reached=int((table["status"] == TRIAL).sum()),
        overdue_orders=len(night.overdue), files=files)


def summary_lines(summary: dict) -> list[str]:
    """The night in a few lines, from `QualityReport.as_json()` (command line, demo, Prefect)."""
    return [
        f"Quality report {summary['report_date']} (window {summary['window_start']} to"
        f" {summary['window_end']}): {summary['sellers']} sellers",
        f"Top Sellers: {summary['top_sellers']}",
        f"New probations: {summary['new_probations']}",
        f"Deactivations proposed: {summary['deactivations_proposed']}",
        f"Trial limits reached: {summary['trial_limits_reached']}",
        f"Overdue orders: {summary['overdue_orders']}",
        *[f"{name}: {location}" for name, location in summary["files"].items()],
    ]
