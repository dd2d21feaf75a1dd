"""How dbt's report of a unit test becomes the check's result: passed only on
`pass`; anything else, not being reported at all included, fails with the reason."""

from __future__ import annotations

from typing import Any

from orchestration.defs.dbt.unit_tests import MESSAGE_LIMIT, UNIT_TESTS, DbtReport, check_result

TEST = next(iter(UNIT_TESTS.values()))
# a unit test's failure message as dbt writes it: coloured, CRLF line ends
DIFF = (
    "\n\n\x1b[32mactual\x1b[0m differs from \x1b[31mexpected\x1b[0m:\r\n"
    "@@ ,a\r\n→  ,\x1b[31;1m5→4\x1b[0m\r\n"
)


def _report(result: dict[str, Any] | None = None, **kwargs: Any) -> DbtReport:
    fields: dict[str, Any] = {"unmatched": set(), "wrote_run_results": True, "error": None}
    return DbtReport(results={TEST.unique_id: result} if result else {}, **(fields | kwargs))


def _metadata(result: Any) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in result.metadata.items()}


def test_a_pass_passes_on_the_tested_models_asset() -> None:
    result = check_result(TEST, _report({"status": "pass", "execution_time": 0.2, "message": None}))
    assert result.passed and result.asset_key == TEST.key.asset_key
    assert result.check_name == TEST.name and result.description is None
    metadata = _metadata(result)
    assert metadata["status"] == "pass" and metadata["execution_time_s"] == 0.2
    assert "message" not in metadata and TEST.selector in metadata["rerun"]


def test_a_failure_carries_the_diff_without_terminal_colours() -> None:
    result = check_result(TEST, _report({"status": "fail", "failures": 1, "message": DIFF}))
    assert not result.passed
    message = _metadata(result)["message"]
    assert "actual differs from expected:\n@@ ,a\n→  ,5→4" in message and "\x1b" not in message
    assert result.description == "dbt: fail: actual differs from expected:"
    assert _metadata(result)["failures"] == 1


def test_an_error_or_a_skip_fails() -> None:
    error = check_result(TEST, _report({"status": "error", "message": "Compilation Error in x"}))
    assert not error.passed and "Compilation Error in x" in _metadata(error)["message"]
    skipped = check_result(TEST, _report({"status": "skipped", "message": None}))
    assert not skipped.passed and "`skipped`" in _metadata(skipped)["message"]


def test_a_long_message_is_excerpted() -> None:
    result = check_result(TEST, _report({"status": "fail", "message": "x" * (MESSAGE_LIMIT * 2)}))
    message = _metadata(result)["message"]
    assert len(message) < MESSAGE_LIMIT + 100 and f"{MESSAGE_LIMIT} more characters" in message


def test_a_unit_test_dbt_does_not_report_fails_with_why() -> None:
    unmatched = check_result(TEST, _report(unmatched={TEST.selector}))
    assert not unmatched.passed and _metadata(unmatched)["status"] == "not reported"
    assert unmatched.description and "found no unit test" in unmatched.description
    stopped = check_result(TEST, _report(wrote_run_results=False, error="could not connect"))
    assert not stopped.passed and "could not connect" in _metadata(stopped)["message"]
    assert stopped.description == "dbt stopped before it reported this unit test:"
    not_started = check_result(TEST, _report(wrote_run_results=False, error="E", started=False))
    assert not not_started.passed and not_started.description == "dbt test could not be run:"
    silent = check_result(TEST, _report())
    assert not silent.passed and "finished without running" in _metadata(silent)["message"]
