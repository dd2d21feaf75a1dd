"""Every dbt model as a Dagster asset; every dbt test as an asset check."""

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, Definitions
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.project import dbt_project, translator
from orchestration.resources import WarehouseResource

BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=translator)
def omnihub_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """`dbt build` for the selected models: models and data tests. Error-severity
    tests become blocking asset checks, so a failing test stops the syncs
    downstream of the model it guards.

    dbt's unit tests are left out (BUILD_ARGS): they check the SQL's logic on
    fixed rows, not the day's data, so they belong to CI (`make test` runs them,
    in every `dbt build` of the integration tests), not to each production run.
    They are asset checks of their own, run on demand (unit_tests.py, job
    `dbt_unit_tests`)."""
    with warehouse.dbt_environment():
        yield from dbt.cli(list(BUILD_ARGS), context=context).stream()


def _dbt_executable() -> str:
    """The dbt installed in this interpreter's environment (the project's venv), else
    PATH's: Dagster's code server is not always started with the venv on PATH."""
    for candidate in (Path(sys.prefix) / "bin" / "dbt", Path(sys.executable).parent / "dbt"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


defs = Definitions(
    assets=[omnihub_dbt_models],
    resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable())},
)
