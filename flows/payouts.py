"""Prefect flow `monthly_payouts`: closes last month (Europe/Paris) on the 1st; the work is in
`reports.payout_run`. Retries only on I/O (storage, lost connections), like the other flows:
a rerun of a closed month re-issues its files, so a retry after the commit is harmless."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.ingest import IO_RETRIES
from marketplace.app import catalog_engine
from marketplace.calendar import previous_month
from marketplace.config import get_settings
from marketplace.storage import open_storage
from reports.payout_run import run_payouts


@task(**IO_RETRIES)
def run_month(month: str, close: bool) -> dict:
    settings = get_settings()
    return run_payouts(catalog_engine(settings), open_storage(settings), settings, month,
                       close=close).as_json()


@flow(name="monthly_payouts")
def monthly_payouts(month: str | None = None, close: bool = True) -> dict:
    """Close (or draft) `month`, by default the previous month in Paris at run time."""
    month = month or previous_month(timezone=get_settings().timezone)
    result = run_month(month, close)
    for warning in result.get("warnings", []):
        get_run_logger().warning(warning)
    create_markdown_artifact(key="monthly-payouts", markdown=payouts_summary(result),
                             description="Monthly payout run")
    return result


def payouts_summary(result: dict) -> str:
    """The run's artifact for ops: the counts, then its warnings (an adjustments file dropped
    after its month closed), which were only in the flow's return value."""
    lines = [
        f"## Payouts {result['month']} ({result['status']})", "",
        "| sellers | paid | carried | held | total paid | SEPA control sum |",
        "|---|---|---|---|---|---|",
        f"| {result['sellers']} | {result['paid']} | {result['carried']} | {result['held']} |"
        f" {result['total_paid']} | {result['sepa_control_sum'] or 'no SEPA file'} |",
        "", f"{len(result['files'])} files written.",
    ]
    warnings = result.get("warnings", [])
    if warnings:
        lines += ["", "### Warnings", *[f"- {warning}" for warning in warnings]]
    return "\n".join(lines)
