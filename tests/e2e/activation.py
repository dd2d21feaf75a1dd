"""Helpers for the end-to-end activation tests: run a job of the real code
location on a given Dagster instance, read the emulator's write log and the
sync state and audit."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from dagster import DagsterInstance, ExecuteInProcessResult

from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from warehouse import Warehouse

PLATFORMS = ("klaviyo", "meta_ads", "square", "shopify", "zendesk")


def run_job(
    instance: DagsterInstance, name: str, run_config: dict[str, Any] | None = None
) -> ExecuteInProcessResult:
    from orchestration.definitions import defs

    result = defs.resolve_job_def(name).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config or {}
    )
    failures = [e for e in result.all_events if e.is_step_failure]
    assert result.success, [f.event_specific_data.error.message for f in failures]
    return result


def dry_run_config() -> dict[str, Any]:
    """Every sync asset with `dry_run: true` (the run config a person sets in the launchpad)."""
    from orchestration.jobs import _sync_keys

    return {
        "ops": {key.to_python_identifier(): {"config": {"dry_run": True}} for key in _sync_keys()}
    }


def write_calls(server: EmulatorServer) -> Counter:
    """Write calls (anything but GET) each platform has received so far."""
    with WorldStore(server.world_dir) as world:
        return Counter(w["platform"] for w in world.writes() if w["method"] != "GET")


def rows(warehouse: Warehouse, sql: str, **params: Any) -> list[tuple]:
    with warehouse.transaction() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def sync_metadata(result: ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Each sync asset's materialization metadata (plain values)."""
    out: dict[str, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization  # type: ignore[union-attr]
        key = mat.asset_key.to_user_string()
        if key.startswith("syncs/"):
            out[key] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return out
