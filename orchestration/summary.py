"""Run the daily job in process and tell a person what it did.

Used by `make demo`; also handy from a shell on a real deployment
(`python -m orchestration.summary`), where it runs against whatever the
environment points at.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dagster import DagsterInstance, ExecuteInProcessResult
from rich.console import Console
from rich.table import Table

from warehouse import Warehouse

# Metadata keys shown per layer, in order; absent keys are left blank.
_INGEST_KEYS = ("rows_landed", "pages", "quarantined", "retries", "rate_limit_waits", "duration_s")
_SYNC_KEYS = (
    "planned_adds",
    "planned_removes",
    "confirmed",
    "rejected",
    "skipped",
    "api_calls",
    "duration_s",
)


def run_daily_job(
    instance: DagsterInstance | None = None, log_level: str = "INFO"
) -> ExecuteInProcessResult:
    from orchestration.definitions import defs

    job = defs.resolve_job_def("daily")
    return job.execute_in_process(
        instance=instance or DagsterInstance.get(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )


def _value(entry: Any) -> Any:
    return getattr(entry, "value", entry)


def _materializations(result: ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization  # type: ignore[union-attr]
        found[mat.asset_key.to_user_string()] = {k: _value(v) for k, v in mat.metadata.items()}
    return found


def _row_count(warehouse: Warehouse, relation: str) -> int | None:
    try:
        with warehouse.transaction() as conn:
            return int(conn.execute(sa.text(f"select count(*) from {relation}")).scalar_one())
    except sa.exc.DBAPIError:
        return None


def _segments_table(warehouse: Warehouse, checks: dict[str, list[bool]]) -> Table:
    """Every audience and suppression list: its size and where it goes, as a
    marketer reads them."""
    from orchestration.defs.activation.declarations import load_declarations
    from orchestration.defs.dbt.project import dbt_project

    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    destinations: dict[str, list[str]] = defaultdict(list)
    for declaration in load_declarations(dbt_project.manifest_path):
        destinations[declaration.model].append(
            f"{declaration.destination} {declaration.object} {declaration.name}"
            + (f" (one per {declaration.split_by})" if declaration.split_by else "")
        )
    table = Table(title="Audiences and suppression lists", title_justify="left")
    for column in ("list", "members", "checks passed", "synced to"):
        table.add_column(column, justify="right" if column == "members" else "left")
    for node in sorted(manifest["nodes"].values(), key=lambda n: (n["schema"], n["name"])):
        if node.get("resource_type") != "model" or node["schema"] not in (
            "audiences",
            "suppressions",
        ):
            continue
        passed = checks.get(f"marts/{node['schema']}/{node['name']}", [])
        table.add_row(
            f"{node['schema']}.{node['name']}",
            str(_row_count(warehouse, f"{node['schema']}.{node['name']}") or 0),
            f"{sum(passed)}/{len(passed)}",
            "; ".join(destinations.get(node["name"], [])) or "(enforced by the sync engine)",
        )
    return table


def print_run_summary(
    result: ExecuteInProcessResult, warehouse: Warehouse, elapsed_s: float
) -> None:
    console = Console(width=max(120, Console().width))
    mats = _materializations(result)

    ingest = Table(title="Ingested (raw landing)", title_justify="left")
    ingest.add_column("asset")
    for key in _INGEST_KEYS:
        ingest.add_column(key, justify="right")
    for name, meta in sorted(mats.items()):
        if name.startswith("raw/"):
            ingest.add_row(name, *(str(meta.get(k, "")) for k in _INGEST_KEYS))

    checks: dict[str, list[bool]] = defaultdict(list)
    for evaluation in result.get_asset_check_evaluations():
        checks[evaluation.asset_key.to_user_string()].append(evaluation.passed)
    built = Table(title="Built (dbt models, tests as asset checks)", title_justify="left")
    for column in ("model", "rows", "checks passed"):
        built.add_column(column, justify="left" if column == "model" else "right")
    for name in sorted(mats):
        if name.startswith(
            ("raw/", "syncs/", "reports/", "marts/audiences/", "marts/suppressions/")
        ):
            continue
        parts = name.split("/")
        relation = f"{parts[-2] if parts[0] == 'marts' else parts[0]}.{parts[-1]}"
        passed = checks.get(name, [])
        built.add_row(
            name, str(_row_count(warehouse, relation) or 0), f"{sum(passed)}/{len(passed)}"
        )

    segments = _segments_table(warehouse, checks)

    synced = Table(title="Synced (reverse ETL)", title_justify="left")
    synced.add_column("asset")
    for key in _SYNC_KEYS:
        synced.add_column(key, justify="right")
    for name, meta in sorted(mats.items()):
        if name.startswith("syncs/"):
            synced.add_row(name, *(str(meta.get(k, "")) for k in _SYNC_KEYS))

    for table in (ingest, built, segments, synced):
        console.print(table)
    report = mats.get("reports/marketing_report", {}).get("path")
    if report:
        console.print(f"marketing report: {report}")
    status = "succeeded" if result.success else "FAILED"
    console.print(
        f"daily job {status} in {elapsed_s:.1f}s on {warehouse.describe()} (run {result.run_id})"
    )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                console.print(f"[red]{event.step_key}: {event.event_specific_data.error.message}")


if __name__ == "__main__":
    import time

    started = time.perf_counter()
    outcome = run_daily_job()
    print_run_summary(outcome, Warehouse.from_env(), time.perf_counter() - started)
