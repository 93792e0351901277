"""Prefect flow `nightly_quality`: the day's order feed ingested, then the quality report.

Thin: the inbox's registry and order files go through the same task as `process_inbox` (one
chain, under the inbox run's slot, the registry first so that a new seller's orders find it),
then one task runs `reports.quality.run_quality_report`; a markdown artifact sums the night up
for ops. The date defaults to yesterday in Europe/Paris at run time, computed inside the flow
because the schedule fires it without parameters.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.ingest import IO_RETRIES, ingest_chain, plan_waiting_files, run_slot
from loaders.inbox import InboxRun
from marketplace.app import catalog_engine
from marketplace.calendar import default_report_date, now_utc, paris_today
from marketplace.config import get_settings
from reports.quality import run_quality_report, summary_lines
from reports.quality_calendar import refuse_night_ahead

FEED_KINDS = ("sellers", "orders")


def ingested_lines(ingested: list[dict]) -> list[str]:
    """The files the night read before computing: ops check that the day's order export was
    there (none means the figures stand on yesterday's data)."""
    if not ingested:
        return ["no registry or order file was waiting in the inbox"]
    return [f"ingested {r['kind']} {r.get('file') or r.get('key')}: {r['status']}, {r['loaded']} of"
            f" {r['rows']} rows loaded, {r['rejected']} rejected (import {r.get('import_id')})"
            for r in ingested]


@task(**IO_RETRIES)
def quality_report(report_date: date) -> dict:
    settings = get_settings()
    return run_quality_report(catalog_engine(settings), settings, report_date).as_json()


@flow(name="nightly_quality")
def nightly_quality(report_date: date | None = None) -> dict:
    """Ingest the waiting registry and order files, then compute and publish the report."""
    now = now_utc()  # one clock for "yesterday" and "the future"
    zone = get_settings().timezone
    day = report_date or default_report_date(now, zone)
    refuse_night_ahead(day, paris_today(now, zone))
    inbox = InboxRun()
    with run_slot():  # the inbox run's slot: never two runs on the same registry or order files
        plans = [plan for plan in plan_waiting_files(inbox) if plan.kind in FEED_KINDS]
        ingested = ingest_chain(plans) if plans else []
    summary = quality_report(day)
    # planning refuses the inbox's files off the layout, whatever their kind: said here too
    refused = [f"refused {r['key']}: {r['reason']}" for r in inbox.refused]
    create_markdown_artifact(
        key="nightly-quality",
        markdown="\n".join(f"- {line}" for line in
                           summary_lines(summary) + ingested_lines(ingested) + refused),
        description=f"Nightly quality report {day}",
    )
    return summary | {"ingested": ingested, "refused": inbox.refused}
