"""Jobs are selections over the asset graph.

- `daily`: everything, ingest -> dbt build (models + tests) -> syncs -> report
  (not the backfills: partitioned by month, launched as a backfill over months);
- one job per layer for ad-hoc runs: `ingest`, `transform`, `activate`, `report`;
- `intraday_carts`: the time-sensitive path only (a cart goes cold in hours):
  the Shopify streams a cart needs, the models between them and the two cart
  audiences, and those audiences' syncs; yesterday's identity and customers
  are reused;
- `hourly_leads`: social leads to email, fast: the Meta leads (and Klaviyo
  profiles, whose consent the gate must know) land, the leads are resolved
  into people, consent and suppressions are rebuilt, and the new-leads list
  and the lead subscriptions are synced, so a lead hears from us within the hour;
- `weekly_reconcile`: every sync with `reconcile: true`, re-reading each
  destination's membership and repairing drift (someone edited it by hand);
- `dbt_unit_tests`: dbt's unit tests, each an asset check on the model it tests,
  and nothing else (no asset is materialized): an ad-hoc check of the code.

dbt's unit tests are taken out of every job that builds models (_building_job
below): a job's selection includes the checks of the assets it selects, and
the unit tests would bring back to each run what the production build excludes
(assets.BUILD_ARGS): they test the SQL on fixed rows, which changes with the
code, not with the day's data, and CI runs them on every change.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetKey, AssetSelection, Definitions, define_asset_job
from dagster_dbt import build_dbt_asset_selection

from orchestration.defs.activation.declarations import load_declarations
from orchestration.defs.dbt.assets import omnihub_dbt_models
from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.unit_tests import dbt_unit_test_checks

RAW = AssetSelection.key_prefixes(["raw"])
SYNCS = AssetSelection.key_prefixes(["syncs"])
REPORTS = AssetSelection.key_prefixes(["reports"])
BACKFILL = AssetSelection.key_prefixes(["backfill"])
PYTHON_PREP = AssetSelection.key_prefixes(["identity"], ["privacy"])
DBT = AssetSelection.assets(omnihub_dbt_models)
UNIT_TESTS = AssetSelection.checks(dbt_unit_test_checks)

# The cart path: new carts and orders land, staging and the catalog follow, the
# cart audiences are rebuilt and synced. Everything else stays as the daily run left it.
CART_STREAMS = ("checkouts", "orders", "products")
CART_MODELS = (
    "stg_shopify__checkouts stg_shopify__checkout_lines stg_shopify__orders "
    "stg_shopify__order_lines stg_shopify__products stg_shopify__product_variants "
    "int_products__catalog int_customers__orders int_audiences__abandoned_checkouts "
    "cart_abandoners cart_abandoners_followup"
)
CART_AUDIENCES = ("cart_abandoners", "cart_abandoners_followup")

# The lead path: a lead is a new person, so unlike the cart path it rebuilds
# identity and the customers mart (every other staging model is incremental and
# has nothing new), and the suppression lists the gate reads: the consent a lead
# gave, or a newer refusal, must be known before the lead is sent.
LEAD_STREAMS = (("meta_ads", "leads"), ("klaviyo", "profiles"))
LEAD_AUDIENCES = ("new_social_leads", "social_lead_subscriptions")
LEAD_MODELS = " ".join(
    [f"+{m}" for m in LEAD_AUDIENCES] + ["suppress_email_unconsented", "suppress_erased"]
)


def _sync_keys(models: tuple[str, ...] | None = None) -> list[AssetKey]:
    return [
        AssetKey(["syncs", d.destination, d.model])
        for d in load_declarations(dbt_project.manifest_path)
        if models is None or d.model in models
    ]


def _building_job(name: str, selection: AssetSelection, **kwargs: Any):
    """A job over `selection`, without the dbt unit tests its models would bring
    along as their checks (see the module docstring)."""
    return define_asset_job(name, selection=selection - UNIT_TESTS, **kwargs)


daily = _building_job(
    "daily",
    # everything but the month-by-month backfills (orchestration/defs/ingest/backfill.py),
    # which a person launches over the months they need
    selection=AssetSelection.all() - BACKFILL,
    description="Ingest every platform, dbt build (models + tests), then sync every audience "
    "and render the report. A platform that fails is reported and does not stop the others.",
)
ingest = define_asset_job(
    "ingest", selection=RAW | PYTHON_PREP, description="Every raw stream, then phones and erasures."
)
transform = _building_job(
    "transform",
    selection=DBT,
    description="dbt build: models and data tests (the unit tests: job dbt_unit_tests).",
)
activate = define_asset_job(
    "activate", selection=SYNCS, description="Every sync, from the audiences as they are now."
)
report = define_asset_job("report", selection=REPORTS, description="The marketing report.")
intraday_carts = _building_job(
    "intraday_carts",
    selection=AssetSelection.assets(*[AssetKey(["raw", "shopify", s]) for s in CART_STREAMS])
    | build_dbt_asset_selection([omnihub_dbt_models], dbt_select=CART_MODELS)
    | AssetSelection.assets(*_sync_keys(CART_AUDIENCES)),
    description="The time-sensitive path: abandoned checkouts -> cart abandoners -> their syncs.",
)
hourly_leads = _building_job(
    "hourly_leads",
    selection=AssetSelection.assets(*[AssetKey(["raw", p, s]) for p, s in LEAD_STREAMS])
    | PYTHON_PREP
    | build_dbt_asset_selection([omnihub_dbt_models], dbt_select=LEAD_MODELS)
    | AssetSelection.assets(*_sync_keys(LEAD_AUDIENCES)),
    description="Social leads to email within the hour: Meta leads -> identity, consent -> "
    "the new-leads list and the subscriptions of the forms that captured consent.",
)
weekly_reconcile = define_asset_job(
    "weekly_reconcile",
    selection=SYNCS,
    config={
        "ops": {key.to_python_identifier(): {"config": {"reconcile": True}} for key in _sync_keys()}
    },
    description="Every sync re-reads its destination and repairs drift (members removed or "
    "added there by hand), then sends what changed.",
)

unit_tests = define_asset_job(
    "dbt_unit_tests",
    selection=UNIT_TESTS,
    description="Every dbt unit test, each an asset check on the model it tests: the SQL's "
    "logic on fixed rows, against the warehouse (the models' parents must have been built "
    "there). Not in the daily run: it tests the code, not the day's data.",
)

JOBS = [
    daily,
    ingest,
    transform,
    activate,
    report,
    intraday_carts,
    hourly_leads,
    weekly_reconcile,
    unit_tests,
]
defs = Definitions(jobs=JOBS)
