"""Schedules: when each deployment fires (computed as Prefect's scheduler does), and which
business date or month the run then covers (marketplace/calendar.py), around midnight and DST.

Paris is UTC+1 in winter (CET) and UTC+2 in summer (CEST); in 2027 summer time starts on
Sunday 28 March (02:00 CET → 03:00 CEST) and ends on Sunday 31 October (03:00 → 02:00).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect.server.schemas.schedules import CronSchedule

from marketplace.calendar import default_report_date, paris_today, previous_month
from marketplace.config import PROJECT_ROOT


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def schedule_of(name: str) -> CronSchedule:
    """The deployment's schedule as the Prefect server evaluates it (croniter, DST handling)."""
    from flows.deployments import deployments

    (deployment,) = [d for d in deployments() if d.name == name]
    (schedule,) = deployment.schedules
    client_side = schedule.schedule
    return CronSchedule(cron=client_side.cron, timezone=client_side.timezone, day_or=client_side.day_or)


def next_runs(name: str, start: datetime, n: int) -> list[datetime]:
    dates = asyncio.run(schedule_of(name).get_dates(n=n, start=start))
    return [d.astimezone(UTC) for d in dates]


def test_the_inbox_runs_every_quarter_hour_through_both_dst_changes():
    # spring: 23:00 UTC on 27 March 2027 = 00:00 CET; at 01:00 UTC Paris jumps from 02:00 to
    # 03:00. Every quarter hour of UTC still gets exactly one run: no gap, no double.
    start = utc(2027, 3, 27, 23)
    assert next_runs("inbox-every-15-minutes", start, 12) == [start + timedelta(minutes=15 * i)
                                                               for i in range(12)]
    # autumn: 02:00-02:59 happens twice in Paris on 31 October 2027 (00:00-00:59 UTC in CEST,
    # 01:00-01:59 UTC in CET); a Paris cron runs it once, so 01:00-01:45 UTC get no run and
    # a file dropped then waits until 02:00 UTC (a 75-minute gap, once a year, at night).
    autumn = next_runs("inbox-every-15-minutes", utc(2027, 10, 30, 23), 10)
    assert [run.strftime("%H:%M") for run in autumn] == [
        "23:00", "23:15", "23:30", "23:45", "00:00", "00:15", "00:30", "00:45", "02:00", "02:15"]


def test_the_nightly_report_fires_at_two_in_paris_winter_and_summer():
    # winter: 02:00 CET = 01:00 UTC; summer: 02:00 CEST = 00:00 UTC
    assert next_runs("nightly-quality-0200", utc(2027, 1, 10, 12), 2) == [
        utc(2027, 1, 11, 1), utc(2027, 1, 12, 1)]
    assert next_runs("nightly-quality-0200", utc(2027, 7, 10, 12), 1) == [utc(2027, 7, 11, 0)]


def test_the_nightly_report_fires_once_a_day_across_both_dst_changes():
    # 28 March 2027 has no 02:00 in Paris: Prefect fires at 00:00 UTC (01:00 CET), once.
    spring = next_runs("nightly-quality-0200", utc(2027, 3, 26, 12), 4)
    assert spring == [utc(2027, 3, 27, 1), utc(2027, 3, 28, 0), utc(2027, 3, 29, 0), utc(2027, 3, 30, 0)]
    # each run covers the Paris day before it: 26, 27, 28, 29 March, none skipped or doubled
    assert [default_report_date(run) for run in spring] == [date(2027, 3, d) for d in (26, 27, 28, 29)]
    # 31 October 2027 has 02:00 twice in Paris (CEST then CET): one run, at the first
    autumn = next_runs("nightly-quality-0200", utc(2027, 10, 29, 12), 3)
    assert autumn == [utc(2027, 10, 30, 0), utc(2027, 10, 31, 0), utc(2027, 11, 1, 1)]
    assert [default_report_date(run) for run in autumn] == [date(2027, 10, d) for d in (29, 30, 31)]


def test_payouts_fire_on_the_first_at_six_in_paris_for_the_month_before():
    runs = next_runs("monthly-payouts-1st-0600", utc(2026, 12, 15), 3)
    # 06:00 CET = 05:00 UTC on the 1st of January, February, March 2027
    assert runs == [utc(2027, 1, 1, 5), utc(2027, 2, 1, 5), utc(2027, 3, 1, 5)]
    assert [previous_month(run) for run in runs] == ["2026-12", "2027-01", "2027-02"]
    # summer: 06:00 CEST = 04:00 UTC on 1 July, which pays June
    (july,) = next_runs("monthly-payouts-1st-0600", utc(2027, 6, 15), 1)
    assert (july, previous_month(july)) == (utc(2027, 7, 1, 4), "2027-06")


@pytest.mark.parametrize(
    ("now", "today", "report_date", "month"),
    [
        # 23:30 UTC on 31 Dec = 00:30 CET on 1 Jan: UTC's "yesterday" (30 Dec) would be wrong
        (utc(2026, 12, 31, 23, 30), date(2027, 1, 1), date(2026, 12, 31), "2026-12"),
        # 22:59 UTC on 31 Dec = 23:59 CET: still 31 December in Paris
        (utc(2026, 12, 31, 22, 59), date(2026, 12, 31), date(2026, 12, 30), "2026-11"),
        # 22:30 UTC on 31 July = 00:30 CEST on 1 August (two hours ahead in summer)
        (utc(2027, 7, 31, 22, 30), date(2027, 8, 1), date(2027, 7, 31), "2027-07"),
        # 1 March after a 28-day February: yesterday is 28 February
        (utc(2027, 3, 1, 5), date(2027, 3, 1), date(2027, 2, 28), "2027-02"),
        # an instant given in another zone means the same Paris date: 18:30 in New York (UTC−5)
        # on 31 Dec = 23:30 UTC = 00:30 CET on 1 Jan
        (datetime(2026, 12, 31, 18, 30, tzinfo=ZoneInfo("America/New_York")),
         date(2027, 1, 1), date(2026, 12, 31), "2026-12"),
    ],
)
def test_business_dates_are_paris_dates_of_the_instant(now, today, report_date, month):
    assert paris_today(now) == today
    assert default_report_date(now) == report_date
    assert previous_month(now) == month


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        previous_month(datetime(2027, 1, 1, 0, 30))


def test_without_now_the_helpers_use_the_current_instant():
    before = paris_today()
    assert default_report_date() in (before - timedelta(days=1), before)  # midnight may pass
    assert len(previous_month()) == 7


def test_prefect_yaml_deploys_the_same_flows_and_schedules_as_serve():
    from flows.deployments import SCHEDULES, TIMEZONE

    config = yaml.safe_load(Path(PROJECT_ROOT, "prefect.yaml").read_text(encoding="utf-8"))
    declared = {d["name"]: (d["entrypoint"], d["schedules"][0]["cron"], d["schedules"][0]["timezone"],
                            d["work_pool"]["name"], d["parameters"]) for d in config["deployments"]}
    flow_files = {"process_inbox": "flows/ingest.py", "nightly_quality": "flows/quality.py",
                  "monthly_payouts": "flows/payouts.py"}
    expected = {name: (f"{flow_files[flow.name]}:{flow.fn.__name__}", cron, TIMEZONE, "marketplace", {})
                for name, (flow, cron) in SCHEDULES.items()}
    assert declared == expected
    assert config["pull"] == [{"prefect.deployments.steps.set_working_directory":
                               {"directory": "/opt/marketplace-batch"}}]


def test_serve_is_refused_without_a_prefect_server():
    """Without PREFECT_API_URL, Prefect's temporary API runs no scheduler: the deployments were
    registered and no run ever fired (session 12's ops audit waited past 00:30 for nothing)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.deployments import serve_all
    from marketplace.errors import MarketplaceError

    with temporary_settings(restore_defaults={PREFECT_API_URL}), \
            pytest.raises(MarketplaceError, match="PREFECT_API_URL"):
        serve_all()
