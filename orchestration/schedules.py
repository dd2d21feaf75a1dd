"""When jobs run. Cron expressions and the timezone are settings of the code
location (read when it loads, with the defaults below), so a team moves the
daily run without editing code:

    OMNIHUB_TIMEZONE        default UTC            e.g. America/New_York
    OMNIHUB_DAILY_CRON      default "0 5 * * *"    the daily job (ingest -> dbt -> syncs)
    OMNIHUB_INTRADAY_CRON   default "15 * * * *"   the cart path, hourly
    OMNIHUB_LEADS_CRON      default "45 * * * *"   Meta leads to Klaviyo, hourly
    OMNIHUB_RECONCILE_CRON  default "0 6 * * 0"    the weekly reconciliation

Schedules start stopped, as Dagster's do: turn them on in the UI (Automation)
or with `dagster schedule start`.
"""

from __future__ import annotations

import os

from dagster import Definitions, ScheduleDefinition

from orchestration.jobs import daily, hourly_leads, intraday_carts, weekly_reconcile

DEFAULTS = {
    "OMNIHUB_DAILY_CRON": "0 5 * * *",
    "OMNIHUB_INTRADAY_CRON": "15 * * * *",
    "OMNIHUB_LEADS_CRON": "45 * * * *",
    "OMNIHUB_RECONCILE_CRON": "0 6 * * 0",
}


def _setting(name: str) -> str:
    return os.environ.get(name) or DEFAULTS[name]


def schedules() -> list[ScheduleDefinition]:
    timezone = os.environ.get("OMNIHUB_TIMEZONE") or "UTC"
    return [
        ScheduleDefinition(
            name="daily_schedule",
            job=daily,
            cron_schedule=_setting("OMNIHUB_DAILY_CRON"),
            execution_timezone=timezone,
            description="The whole day: every platform, the dbt build, every sync, the report.",
        ),
        ScheduleDefinition(
            name="intraday_carts_schedule",
            job=intraday_carts,
            cron_schedule=_setting("OMNIHUB_INTRADAY_CRON"),
            execution_timezone=timezone,
            description="Carts abandoned since the last run reach the reminder and the ad "
            "within the hour.",
        ),
        ScheduleDefinition(
            name="hourly_leads_schedule",
            job=hourly_leads,
            cron_schedule=_setting("OMNIHUB_LEADS_CRON"),
            execution_timezone=timezone,
            description="Meta lead-form leads reach Klaviyo (new-leads list; subscribed only "
            "where the form captured consent) within the hour.",
        ),
        ScheduleDefinition(
            name="weekly_reconcile_schedule",
            job=weekly_reconcile,
            cron_schedule=_setting("OMNIHUB_RECONCILE_CRON"),
            execution_timezone=timezone,
            description="Every destination re-read and repaired where it drifted.",
        ),
    ]


defs = Definitions(schedules=schedules())
