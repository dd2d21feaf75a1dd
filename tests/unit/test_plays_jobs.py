"""The hourly lead path (play 1) as a Dagster job: what it runs and what it leaves
to the daily job, and its schedule's cron as a setting."""

from __future__ import annotations

import pytest

from orchestration.definitions import defs


def _paths(job_name: str) -> set[str]:
    keys = defs.resolve_job_def(job_name).asset_layer.selected_asset_keys
    return {"/".join(k.path) for k in keys}


def test_hourly_leads_resolves_leads_into_people_then_syncs_them() -> None:
    paths = _paths("hourly_leads")
    # the leads land, and the consent statements of Klaviyo profiles with them
    assert {"raw/meta_ads/leads", "raw/klaviyo/profiles"} <= paths
    # a lead is a new person: identity, customers and the gate's lists are rebuilt
    assert {
        "staging/meta_ads/stg_meta_ads__leads",
        "intermediate/identity/int_identity__assignments",
        "marts/customers/customers",
        "marts/suppressions/suppress_email_unconsented",
        "marts/suppressions/suppress_email_unsubscribed",
        "marts/suppressions/suppress_erased",
    } <= paths
    assert {"syncs/klaviyo/new_social_leads", "syncs/klaviyo/social_lead_subscriptions"} <= paths
    # nothing else is synced, and the other platforms' streams wait for the daily run
    assert {p for p in paths if p.startswith("syncs/")} == {
        "syncs/klaviyo/new_social_leads",
        "syncs/klaviyo/social_lead_subscriptions",
    }
    assert "raw/shopify/orders" not in paths and "raw/klaviyo/events" not in paths
    assert "reports/marketing_report" not in paths


def test_hourly_leads_schedule_cron_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.schedules import schedules

    by_name = {s.name: s for s in schedules()}
    assert by_name["hourly_leads_schedule"].cron_schedule == "45 * * * *"
    assert by_name["hourly_leads_schedule"].job_name == "hourly_leads"
    monkeypatch.setenv("OMNIHUB_LEADS_CRON", "*/20 * * * *")
    assert {s.name: s for s in schedules()}["hourly_leads_schedule"].cron_schedule == (
        "*/20 * * * *"
    )
