"""One Dagster asset per (audience model x destination), built from the sync
declarations in the dbt project: `syncs/<destination>/<model>`."""

import importlib
import os
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_dbt import get_asset_key_for_model

from connectors.errors import ConnectorError, NotConfigured
from connectors.sync.engine import SyncSpec, run_sync
from orchestration.defs.activation.declarations import SyncDeclaration
from orchestration.resources import WarehouseResource


class SyncConfig(Config):
    dry_run: bool = False
    """Compute and report the plan (counts and a sample); make no write call."""


def _rows(warehouse: Any, declaration: SyncDeclaration) -> Iterator[dict[str, Any]]:
    columns = ", ".join(dict.fromkeys([declaration.key, *declaration.fields]))
    with warehouse.transaction() as conn:
        result = conn.execute(sa.text(f"select {columns} from {declaration.relation}"))
        rows = [dict(row._mapping) for row in result]
    yield from rows


def sync_asset(declaration: SyncDeclaration, dbt_assets: AssetsDefinition) -> AssetsDefinition:
    model_key = get_asset_key_for_model([dbt_assets], declaration.model)

    @asset(
        key=AssetKey(["syncs", declaration.destination, declaration.model]),
        group_name="syncs",
        deps=[model_key],
        kinds={"python", declaration.destination},
        owners=["team:marketing-ops"],
        tags={"layer": "syncs", "destination": declaration.destination},
        description=(
            f"Syncs {declaration.model} to {declaration.destination} {declaration.object} "
            f"'{declaration.name}' ({declaration.mode}); only what changed since the last "
            "confirmed state is sent."
        ),
    )
    def _sync(
        context: AssetExecutionContext, config: SyncConfig, warehouse: WarehouseResource
    ) -> MaterializeResult:
        spec = SyncSpec(
            name=declaration.sync_name,
            destination=declaration.destination,
            object=declaration.object,
            target=declaration.name,
            mode=declaration.mode,
            key=declaration.key,
            fields=declaration.fields,
        )
        module = importlib.import_module(f"connectors.{declaration.destination}.destination")
        try:
            destination = module.make_destination(spec, os.environ)
        except NotConfigured as exc:
            raise Failure(description=str(exc), allow_retries=False) from exc
        wh = warehouse.get()
        try:
            result = run_sync(
                spec,
                _rows(wh, declaration),
                destination,
                wh,
                dry_run=config.dry_run,
                trigger=f"dagster run {context.run.run_id}",
            )
        except ConnectorError as exc:
            raise Failure(
                description=f"{spec.name}: {exc}. Confirmed batches are kept; rerun to resume."
            ) from exc
        return MaterializeResult(
            metadata={
                "dry_run": result.dry_run,
                "planned_adds": result.planned_adds,
                "planned_removes": result.planned_removes,
                "planned_updates": result.planned_updates,
                "confirmed": result.confirmed,
                "rejected": result.rejected,
                "skipped": result.skipped,
                "api_calls": result.api_calls,
                "duration_s": round(result.duration_s, 3),
                "sample": MetadataValue.json(result.sample),
                **result.destination_report,
            }
        )

    return _sync
