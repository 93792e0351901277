"""The scheduled deployments `marketplace serve` serves (cron in Europe/Paris)."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.ingest import process_inbox_flow

TIMEZONE = "Europe/Paris"


def deployments() -> list:
    return [process_inbox_flow.to_deployment(name="inbox-every-15-minutes",
                                             schedules=[Cron("*/15 * * * *", timezone=TIMEZONE)])]


def serve_all() -> int:
    serve(*deployments())
    return 0
