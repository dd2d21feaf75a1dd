"""Jobs are selections over the asset graph."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

daily = define_asset_job(
    "daily",
    selection=AssetSelection.all(),
    description="Ingest every platform, dbt build (models + tests), then sync every audience.",
)

defs = Definitions(jobs=[daily])
