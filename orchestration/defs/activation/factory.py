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
from connectors.sync.destination import DestinationRefused
from connectors.sync.engine import SyncResult, SyncSpec, run_sync, split_specs
from connectors.sync.gate import required_lists
from connectors.sync.state import SyncState
from orchestration.concurrency import sync_pool
from orchestration.defs.activation.declarations import SyncDeclaration
from orchestration.resources import WarehouseResource


class SyncConfig(Config):
    dry_run: bool = False
    """Compute and report the plan (counts and a sample); make no write call."""
    reconcile: bool = False
    """Re-read the destination's membership first and repair drift (members
    removed or added there by hand); the weekly reconciliation job sets it."""


def _rows(warehouse: Any, declaration: SyncDeclaration) -> Iterator[dict[str, Any]]:
    columns = ", ".join(declaration.columns)
    with warehouse.transaction() as conn:
        result = conn.execute(sa.text(f"select {columns} from {declaration.relation}"))
        rows = [dict(row._mapping) for row in result]
    yield from rows


def _spec(declaration: SyncDeclaration) -> SyncSpec:
    return SyncSpec(
        name=declaration.sync_name,
        destination=declaration.destination,
        object=declaration.object,
        target=declaration.name,
        mode=declaration.mode,  # type: ignore[arg-type]
        key=declaration.key,
        fields=declaration.fields,
        suppressions=declaration.suppressions,
    )


def _metadata(result: SyncResult, parts: int) -> dict[str, Any]:
    return {
        "dry_run": result.dry_run,
        "planned_adds": result.planned_adds,
        "planned_removes": result.planned_removes,
        "planned_updates": result.planned_updates,
        "confirmed": result.confirmed,
        "rejected": result.rejected,
        "skipped": result.skipped,
        "gated": MetadataValue.json(dict(result.gated)),
        "forced_removes": result.forced_removes,
        "resumed_after_crash": result.resumed,
        "drift_forgotten": result.drift_forgotten,
        "drift_removed": result.drift_removed,
        "api_calls": result.api_calls,
        "duration_s": round(result.duration_s, 3),
        "destination_objects": parts,
        "sample": MetadataValue.json(result.sample),
        **result.destination_report,
    }


def sync_asset(declaration: SyncDeclaration, dbt_assets: AssetsDefinition) -> AssetsDefinition:
    model_key = get_asset_key_for_model([dbt_assets], declaration.model)
    lists = required_lists(declaration.destination, declaration.object, declaration.suppressions)
    split = f", one per {declaration.split_by}" if declaration.split_by else ""

    @asset(
        key=AssetKey(["syncs", declaration.destination, declaration.model]),
        group_name="syncs",
        deps=[model_key],
        kinds={"python", declaration.destination},
        owners=["team:marketing-ops"],
        tags={"layer": "syncs", "destination": declaration.destination},
        pool=sync_pool(declaration.destination, declaration.model),
        description=(
            f"Syncs {declaration.model} to {declaration.destination} {declaration.object} "
            f"'{declaration.name}'{split} ({declaration.mode}); only what changed since the "
            f"last confirmed state is sent. Never sent: anyone on {', '.join(lists)}."
        ),
    )
    def _sync(
        context: AssetExecutionContext, config: SyncConfig, warehouse: WarehouseResource
    ) -> MaterializeResult:
        spec = _spec(declaration)
        module = importlib.import_module(f"connectors.{declaration.destination}.destination")
        wh = warehouse.get()
        rows = list(_rows(wh, declaration))
        parts = (
            split_specs(spec, declaration.split_by, rows, SyncState(wh))
            if declaration.split_by
            else {"": (spec, rows)}
        )
        total: SyncResult | None = None
        try:
            for part_spec, part_rows in parts.values():
                destination = module.make_destination(part_spec, os.environ)
                result = run_sync(
                    part_spec,
                    part_rows,
                    destination,
                    wh,
                    dry_run=config.dry_run,
                    trigger=f"dagster run {context.run.run_id}",
                    reconcile=config.reconcile,
                )
                if total is None:
                    total = result
                else:
                    total.absorb(result)
        except NotConfigured as exc:
            raise Failure(description=str(exc), allow_retries=False) from exc
        except DestinationRefused as exc:
            raise Failure(
                description=(
                    f"{spec.name}: {declaration.destination} refuses writes to "
                    f"'{declaration.name}': {exc}. Nothing more is sent until it is resolved "
                    "there; retrying cannot help."
                ),
                allow_retries=False,
            ) from exc
        except ConnectorError as exc:
            raise Failure(
                description=f"{spec.name}: {exc}. Confirmed batches are kept; rerun to resume."
            ) from exc
        if total is None:  # a split sync with nothing in it yet
            total = SyncResult(sync_id="", dry_run=config.dry_run)
        context.log.info(
            f"{spec.name}: +{total.planned_adds} -{total.planned_removes} "
            f"~{total.planned_updates} planned, {total.confirmed} confirmed, "
            f"{total.rejected} rejected, {total.skipped} skipped"
        )
        return MaterializeResult(metadata=_metadata(total, len(parts)))

    return _sync
