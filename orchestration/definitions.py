"""The omnihub code location. Composes the per-concern definitions and applies
global policy (executor, jobs); no logic lives here."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration import jobs, schedules, sensors
from orchestration.defs import (
    activation,
    dbt,
    identity,
    ingest,
    merge_submodule_defs,
    privacy,
    reports,
)
from orchestration.resources import WarehouseResource

defs = Definitions.merge(
    merge_submodule_defs(ingest),
    merge_submodule_defs(identity),
    merge_submodule_defs(privacy),
    merge_submodule_defs(dbt),
    merge_submodule_defs(activation),
    merge_submodule_defs(reports),
    jobs.defs,
    schedules.defs,
    sensors.defs,
    Definitions(
        resources={"warehouse": WarehouseResource()},
        # In-process: one run touches the DuckDB file from one process at a time
        # (see warehouse/connection.py); the file lock orders concurrent runs.
        executor=in_process_executor,
    ),
)
