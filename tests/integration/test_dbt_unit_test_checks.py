"""dbt's unit tests as Dagster asset checks, on real dbt and DuckDB: the
`dbt_unit_tests` job gives one passing result per unit test in the manifest, on
the asset of the model it tests; a unit test that fails, cannot run, or that dbt
does not report fails its check, with dbt's reason."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetSelection,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    define_asset_job,
)
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt.project import DBT_PROJECT_DIR
from orchestration.resources import WarehouseResource
from tests.integration.pipeline import STREAMS, run_dbt
from warehouse import Landing, Warehouse, erasure, phone_numbers

# Unit tests alone in their files (the copy's edits touch nothing else):
ALTERED = "unit_test.omnihub.retention_cohorts.retention_cohort_assignment"
BROKEN = "unit_test.omnihub.cross_sell.cross_sell_bought_a_not_b"
REMOVED = "unit_test.omnihub.purchase_paths.paths_collapse_repeated_channels"
UNTOUCHED = "unit_test.omnihub.returning_customers.returning_customers_counts_both_channels"


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB warehouse with every model's relation, empty: the raw tables as
    ingest creates them, the seeds, then `dbt run --empty`. A unit test reads
    only the column types of its model's parents from the warehouse."""
    path = tmp_path_factory.mktemp("unit-checks") / "omnihub.duckdb"
    warehouse = Warehouse.duckdb(path)
    landing = Landing(warehouse)
    with warehouse.transaction() as conn:
        for platform, streams in STREAMS.items():
            for stream in streams:
                landing.ensure_stream(conn, platform, stream)
    phone_numbers.refresh(warehouse)
    erasure.ensure(warehouse)
    env = {"OMNIHUB_AS_OF": "2026-06-30T00:00:00Z"}
    run_dbt(warehouse, env, "seed")
    run_dbt(warehouse, env, "run", "--empty")
    warehouse.dispose()
    return path


@pytest.fixture
def on_built_warehouse(
    built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(built_warehouse))
    monkeypatch.delenv("OMNIHUB_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("OMNIHUB_AS_OF", raising=False)  # as in production: "now"


def _evaluations(result: ExecuteInProcessResult) -> dict[AssetCheckKey, AssetCheckEvaluation]:
    return {
        AssetCheckKey(e.asset_key, e.check_name): e for e in result.get_asset_check_evaluations()
    }


def _metadata(evaluation: AssetCheckEvaluation) -> dict[str, object]:
    return {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}


@pytest.mark.usefixtures("on_built_warehouse")
def test_every_unit_test_is_a_passing_check_on_its_models_asset() -> None:
    from orchestration.definitions import defs
    from orchestration.defs.dbt.project import dbt_project
    from orchestration.defs.dbt.unit_tests import UNIT_TESTS

    manifest = json.loads(dbt_project.manifest_path.read_text())
    graph = defs.resolve_asset_graph()
    # the asset dagster-dbt made of each tested model
    asset_of = {
        graph.get(key).metadata.get("dagster_dbt/unique_id"): key
        for key in graph.get_all_asset_keys()
    }
    expected = {
        AssetCheckKey(asset_of[node["depends_on"]["nodes"][0]], node["name"])
        for node in manifest["unit_tests"].values()
    }
    assert len(expected) == len(manifest["unit_tests"]) == len(UNIT_TESTS) >= 70

    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("dbt_unit_tests").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert result.success
    assert not result.get_asset_materialization_events()  # checks only: nothing is rebuilt
    evaluations = _evaluations(result)
    assert set(evaluations) == expected
    failed = {key.to_user_string(): _metadata(e) for key, e in evaluations.items() if not e.passed}
    assert not failed
    for evaluation in evaluations.values():
        metadata = _metadata(evaluation)
        assert metadata["status"] == "pass" and metadata["execution_time_s"] >= 0
        assert metadata["dbt_unique_id"] in manifest["unit_tests"]


def _edit_unit_test(project: Path, unique_id: str, edit: Callable[[dict], bool]) -> None:
    """Rewrite the file of the copy's only unit test `unique_id`; `edit` changes the
    test in place, or says it is to be dropped (returns False)."""
    from orchestration.defs.dbt.unit_tests import UNIT_TESTS

    (test,) = [t for t in UNIT_TESTS.values() if t.unique_id == unique_id]
    path = project / test.path
    doc = yaml.safe_load(path.read_text())
    (node,) = doc["unit_tests"]
    assert node["name"] == test.name
    if not edit(node):
        del doc["unit_tests"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _project_copy(target: Path) -> Path:
    """The dbt project with one unit test expecting a row its model does not
    return, one whose given rows name a column its input does not have, and
    one deleted."""
    shutil.copytree(DBT_PROJECT_DIR, target, ignore=shutil.ignore_patterns("target", "logs"))

    def expect_one_more_row(node: dict) -> bool:
        node["expect"]["rows"].append({**node["expect"]["rows"][0], "customers": 99})
        return True

    def give_an_unknown_column(node: dict) -> bool:
        node["given"][0]["rows"][0]["no_such_column"] = 1
        return True

    _edit_unit_test(target, ALTERED, expect_one_more_row)
    _edit_unit_test(target, BROKEN, give_an_unknown_column)
    _edit_unit_test(target, REMOVED, lambda node: False)
    return target


@pytest.mark.usefixtures("on_built_warehouse")
def test_failing_erroring_and_missing_unit_tests_fail_their_checks_with_the_reason(
    tmp_path: Path,
) -> None:
    from orchestration.defs.dbt.assets import omnihub_dbt_models
    from orchestration.defs.dbt.unit_tests import UNIT_TESTS, dbt_unit_test_checks

    by_id = {test.unique_id: test for test in UNIT_TESTS.values()}
    keys = [by_id[uid].key for uid in (ALTERED, BROKEN, REMOVED, UNTOUCHED)]
    project = _project_copy(tmp_path / "dbt_project")
    defs = Definitions(
        assets=[omnihub_dbt_models],
        asset_checks=[dbt_unit_test_checks],
        jobs=[define_asset_job("four_unit_tests", selection=AssetSelection.checks(*keys))],
        resources={
            "dbt": DbtCliResource(
                project_dir=str(project),
                profiles_dir=str(project),
                dbt_executable=str(Path(sys.executable).with_name("dbt")),
            ),
            "warehouse": WarehouseResource(),
        },
    )
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("four_unit_tests").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert result.success  # a failed check is a result, not a failed run
    evaluations = _evaluations(result)
    assert set(evaluations) == set(keys)  # a subset runs only what was selected
    altered, broken, removed, untouched = (evaluations[k] for k in keys)

    assert untouched.passed
    assert not altered.passed
    metadata = _metadata(altered)
    assert metadata["status"] == "fail"
    assert "actual differs from expected" in str(metadata["message"])
    assert "99" in str(metadata["message"]) and "\x1b[" not in str(metadata["message"])
    assert altered.description and "dbt: fail" in altered.description

    assert not broken.passed
    metadata = _metadata(broken)
    assert metadata["status"] == "error" and "no_such_column" in str(metadata["message"])

    assert not removed.passed
    metadata = _metadata(removed)
    assert metadata["status"] == "not reported"
    assert "dbt found no unit test" in str(metadata["message"])
    assert removed.description and "since this code location loaded" in removed.description


@pytest.mark.usefixtures("on_built_warehouse")
def test_when_dbt_cannot_run_every_check_fails_with_why(
    built_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the warehouse (a run, a dbt build): dbt is not run,
    and each unit test fails, saying why."""
    from orchestration.definitions import defs

    monkeypatch.setenv("OMNIHUB_WAREHOUSE_LOCK_TIMEOUT_S", "0.5")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); "
            "lock.acquire(); print('held', flush=True); time.sleep(120)",
            f"{built_warehouse.resolve()}.lock",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "held"
        with DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("dbt_unit_tests").execute_in_process(
                instance=instance, raise_on_error=False
            )
    finally:
        holder.kill()
        holder.wait()
    evaluations = _evaluations(result)
    assert len(evaluations) >= 70
    for evaluation in evaluations.values():
        assert not evaluation.passed
        metadata = _metadata(evaluation)
        assert metadata["status"] == "not reported"
        assert "WarehouseBusy" in str(metadata["message"]), metadata
        assert evaluation.description == "dbt test could not be run:"
