"""The scheduled deployments `marketplace serve` serves (cron in Europe/Paris).

The same names and schedules are in prefect.yaml for `prefect deploy` to a work pool; a test
keeps the two equal. No deployment passes a date or a month: each flow computes its default
(yesterday, last month in Paris: marketplace/calendar.py) when it runs, so a late or re-run
schedule still covers the right period.
"""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL

from flows.ingest import process_inbox_flow
from flows.payouts import monthly_payouts
from flows.quality import nightly_quality
from marketplace.errors import MarketplaceError

TIMEZONE = "Europe/Paris"
SCHEDULES = {  # deployment name: (flow, cron in Paris time)
    "inbox-every-15-minutes": (process_inbox_flow, "*/15 * * * *"),
    "nightly-quality-0200": (nightly_quality, "0 2 * * *"),
    "monthly-payouts-1st-0600": (monthly_payouts, "0 6 1 * *"),
}


def deployments() -> list:
    """One deployment per scheduled flow, each with its Paris cron schedule."""
    return [flow.to_deployment(name=name, schedules=[Cron(cron, timezone=TIMEZONE)])
            for name, (flow, cron) in SCHEDULES.items()]


def serve_all() -> int:
    """Serve every deployment from this process until interrupted (Ctrl-C).

    Refused without a Prefect server (`PREFECT_API_URL`): the temporary API Prefect starts
    otherwise runs no scheduler, so the deployments were registered and no run ever fired."""
    if not PREFECT_API_URL.value():
        raise MarketplaceError(
            "aucun serveur Prefect (PREFECT_API_URL) : sans lui les planifications ne se"
            " déclenchent jamais. Lancez `prefect server start`, puis `prefect config set"
            " PREFECT_API_URL=http://127.0.0.1:4200/api` / no Prefect server (PREFECT_API_URL):"
            " without one the schedules never fire; start `prefect server start`, then set"
            " PREFECT_API_URL=http://127.0.0.1:4200/api")
    serve(*deployments())
    return 0
