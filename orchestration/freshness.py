"""How fresh the data must be: one policy, applied where the day starts (every
raw stream) and where marketers look (the customers mart). Data a day old is
expected (the daily schedule runs each morning); a day and a few hours is
worth a warning, two days is a failure. The UI shows each asset's status."""

from __future__ import annotations

from datetime import timedelta

from dagster import FreshnessPolicy

DAILY = FreshnessPolicy.time_window(
    fail_window=timedelta(hours=48), warn_window=timedelta(hours=28)
)
WATCHED_MODELS = ("customers",)
