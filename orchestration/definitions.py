"""The omnihub code location. Composes the per-concern definitions and applies
global policy (executor, jobs); no logic lives here."""

from __future__ import annotations

from dagster import Definitions

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
from orchestration.executor import omnihub_executor
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
        # In-process by default; Celery workers when OMNIHUB_EXECUTOR=celery
        # (orchestration/executor.py). Either way the single writers (the DuckDB
        # file, a stream's cursor, a sync's state) are guarded by pools and locks.
        executor=omnihub_executor,
    ),
)
