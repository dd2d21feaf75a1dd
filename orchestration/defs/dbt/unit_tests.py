"""Every dbt unit test as a Dagster asset check on the model it tests, run on demand.

dagster-dbt makes dbt's data tests asset checks but leaves unit tests out, and
the daily build excludes them (assets.BUILD_ARGS). Here each unit test in the
manifest becomes a non-blocking check on its model's asset (named after the
unit test), and one multi-asset check runs `dbt test` on the selected ones:
from an asset's Checks tab in the UI, or all of them with the `dbt_unit_tests`
job (orchestration/jobs.py).
"""

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSpec,
    Definitions,
    MetadataValue,
    multi_asset_check,
)
from dagster_dbt import DbtCliResource, get_asset_key_for_model

from orchestration.defs.dbt.assets import omnihub_dbt_models
from orchestration.defs.dbt.project import dbt_project
from orchestration.resources import WarehouseResource

ALL_UNIT_TESTS = "test_type:unit"
MESSAGE_LIMIT = 4000  # characters of dbt's failure message (the diff) kept as metadata
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

WHERE_IT_RUNS = (
    "It runs on fixed rows, so it checks the model's SQL, not the day's data; dbt "
    "still reads the column types of the model's inputs from the warehouse, so it "
    "runs against the warehouse after a build of the model's parents (any build: "
    "the daily run, or `dbt run --empty` on a new warehouse). Not part of the daily "
    "run; run it here or with the `dbt_unit_tests` job."
)


@dataclass(frozen=True)
class UnitTest:
    """A dbt unit test, and the check that stands for it."""

    unique_id: str
    name: str
    model: str
    path: str
    fqn: str
    spec: AssetCheckSpec

    @property
    def key(self) -> AssetCheckKey:
        return self.spec.key

    @property
    def rerun(self) -> str:
        return f"dbt test --select {self.selector}"

    @property
    def selector(self) -> str:
        # fqn: exact (a unit test's name is only unique within its model)
        return f"fqn:{self.fqn}"


def load_unit_tests(manifest: Mapping[str, Any]) -> dict[AssetCheckKey, UnitTest]:
    """One UnitTest per entry of the manifest's `unit_tests`, on the asset the
    dbt translator gives the tested model (the key dagster-dbt gave its asset)."""
    found: dict[AssetCheckKey, UnitTest] = {}
    for unique_id, node in sorted(manifest.get("unit_tests", {}).items()):
        (tested,) = node["depends_on"]["nodes"]  # a unit test tests exactly one model
        assert manifest["nodes"][tested]["name"] == node["model"], unique_id
        described = (node.get("description") or "").strip()
        spec = AssetCheckSpec(
            name=node["name"],
            asset=get_asset_key_for_model([omnihub_dbt_models], node["model"]),
            description=" ".join(
                filter(None, [described, f"dbt unit test of {node['model']}.", WHERE_IT_RUNS])
            ),
            blocking=False,
            metadata={
                "dbt_unique_id": unique_id,
                "dbt_file": node["original_file_path"],
            },
        )
        test = UnitTest(
            unique_id=unique_id,
            name=node["name"],
            model=node["model"],
            path=node["original_file_path"],
            fqn=".".join(node["fqn"]),
            spec=spec,
        )
        assert test.key not in found, f"two unit tests are named {node['name']} on one model"
        found[test.key] = test
    return found


UNIT_TESTS = load_unit_tests(json.loads(dbt_project.manifest_path.read_text()))


def dbt_selection(tests: list[UnitTest]) -> str:
    """What `dbt test --select` is given: every unit test, or just these."""
    if {t.key for t in tests} == set(UNIT_TESTS):
        return ALL_UNIT_TESTS
    return " ".join(t.selector for t in tests)


def _plain(text: str) -> str:
    """dbt's message without terminal colours, excerpted."""
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "").strip()
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT] + f"\n... ({len(text) - MESSAGE_LIMIT} more characters)"
    return text


@dataclass
class DbtReport:
    """What one `dbt test` said of the unit tests it was given."""

    results: dict[str, Mapping[str, Any]]
    """dbt's result per unit test unique_id: run_results.json's (status, message
    with the diff, timing), or, when dbt stopped before writing it, its log's
    result lines (status and time, no message)."""
    unmatched: set[str]
    """Selectors that matched no enabled node of the project dbt parsed."""
    wrote_run_results: bool
    error: str | None
    """dbt's own error when it exited non-zero (a failing test does that too), or
    why it could not be started."""
    started: bool = True

    def why_missing(self, test: UnitTest) -> str:
        if not self.started:
            return f"dbt test could not be run:\n{self.error}"
        if test.selector in self.unmatched:
            return (
                f"dbt found no unit test `{test.selector}` in the project it parsed: renamed, "
                "removed or disabled since this code location loaded its manifest "
                "(reload it, or `make manifest`)"
            )
        if not self.wrote_run_results:
            return "dbt stopped before it reported this unit test" + (
                f":\n{self.error}" if self.error else ""
            )
        return (
            "dbt finished without running this unit test (is it still in the project "
            "dbt parsed?)" + (f":\n{self.error}" if self.error else "")
        )


def run_unit_tests(dbt: DbtCliResource, tests: list[UnitTest]) -> DbtReport:
    """`dbt test --select <the unit tests>`, read back."""
    invocation = dbt.cli(["test", "--select", dbt_selection(tests)], raise_on_error=False)
    from_log: dict[str, Mapping[str, Any]] = {}
    unmatched: set[str] = set()
    for event in invocation.stream_raw_events():
        name = event.raw_event["info"]["name"]
        data = event.raw_event.get("data", {})
        unique_id = data.get("node_info", {}).get("unique_id", "")
        if name == "LogTestResult" and unique_id.startswith("unit_test."):
            from_log[unique_id] = {
                "status": data.get("status"),
                "execution_time": data.get("execution_time"),
                "failures": data.get("num_failures"),
            }
        elif name == "NoNodesForSelectionCriteria":
            unmatched.add(data.get("spec_raw", ""))
    error = invocation.get_error()
    why = _plain(str(error)) if error else None
    try:
        run_results = invocation.get_artifact("run_results.json")
    except FileNotFoundError:
        return DbtReport(from_log, unmatched, wrote_run_results=False, error=why)
    results = {r["unique_id"]: r for r in run_results["results"]}
    return DbtReport(results, unmatched, wrote_run_results=True, error=why)


def check_result(test: UnitTest, report: DbtReport) -> AssetCheckResult:
    """Passed only when dbt reported this unit test as `pass`; anything else
    (fail, error, skipped, not reported at all) fails, with dbt's reason."""
    metadata: dict[str, Any] = {
        "dbt_unique_id": test.unique_id,
        "dbt_file": test.path,
        "rerun": MetadataValue.text(test.rerun),
    }
    result = report.results.get(test.unique_id)
    if result is None:
        reason = report.why_missing(test)
        metadata |= {"status": "not reported", "message": MetadataValue.md(_fenced(reason))}
        return AssetCheckResult(
            asset_key=test.key.asset_key,
            check_name=test.name,
            passed=False,
            metadata=metadata,
            description=reason.splitlines()[0],
        )
    status = str(result.get("status"))
    passed = status == "pass"
    metadata["status"] = status
    if result.get("execution_time") is not None:
        metadata["execution_time_s"] = MetadataValue.float(float(result["execution_time"]))
    if result.get("failures") is not None:
        metadata["failures"] = int(result["failures"])  # rows that differ, for a diff
    message = _plain(result.get("message") or "")
    if not passed:
        message = message or f"dbt reported `{status}` and no message" + (
            f":\n{report.error}" if report.error else ""
        )
        metadata["message"] = MetadataValue.md(_fenced(message))
    return AssetCheckResult(
        asset_key=test.key.asset_key,
        check_name=test.name,
        passed=passed,
        metadata=metadata,
        description=None if passed else f"dbt: {status}: {message.splitlines()[0]}",
    )


def _fenced(text: str) -> str:
    fence = "`" * 3
    return "\n".join([fence, text.replace(fence, "'" * 3), fence])


@multi_asset_check(
    name="dbt_unit_test_checks",
    specs=[test.spec for test in UNIT_TESTS.values()],
    can_subset=True,
    description="dbt's unit tests, each a check on the model it tests: `dbt test` on the "
    "selected ones. " + WHERE_IT_RUNS,
)
def dbt_unit_test_checks(
    context: AssetCheckExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    """`dbt test --select test_type:unit` (or the selected unit tests by fqn) on the
    warehouse, one result per selected check; when dbt cannot be run at all (the
    warehouse lock, no dbt), every selected check fails with that reason.

    Not in the daily job, nor in any job that builds the models (jobs.py takes
    these checks out of their selections, which would otherwise include them as
    checks of the models they select): unit tests check the SQL's logic on fixed
    rows, which changes with the code, not with the day's data; the production
    build excludes them (assets.BUILD_ARGS) and CI runs them on every change. Non-blocking
    for the same reason: a unit test that fails says the code is wrong, not that
    today's rows are, and is fixed by a change, not by holding back the syncs.
    (Materializing a model from the UI may run its checks, these among them:
    only that model's unit tests, seconds.)"""
    tests = sorted(
        (UNIT_TESTS[key] for key in context.selected_asset_check_keys),
        key=lambda t: t.unique_id,
    )
    try:
        with warehouse.dbt_environment():
            report = run_unit_tests(dbt, tests)
    except Exception as exc:  # an interrupted run (a BaseException) still stops here
        context.log.exception("dbt test could not run")
        reason = _plain(f"{type(exc).__name__}: {exc}")
        report = DbtReport({}, set(), wrote_run_results=False, error=reason, started=False)
    results = [check_result(test, report) for test in tests]
    failed = [r.check_name for r in results if not r.passed]
    context.log.info(
        f"{len(results) - len(failed)} of {len(results)} dbt unit tests passed"
        + (f"; failed: {', '.join(sorted(failed))}" if failed else "")
    )
    yield from results


defs = Definitions(asset_checks=[dbt_unit_test_checks])
