"""A failed run becomes a row in ops.alerts and a short webhook message, without secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRunStatus, build_run_status_sensor_context, job, op

from orchestration.sensors import run_failure_alerts
from warehouse import Warehouse

HOOK = "https://hooks.example/omnihub"


@op
def lands_nothing() -> None:
    raise RuntimeError("klaviyo/events: HTTP 503 from GET /api/events after 6 retries")


@job
def failing() -> None:
    lands_nothing()


@responses.activate
def test_a_failed_run_is_recorded_and_posted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("OMNIHUB_ALERT_WEBHOOK_URL", HOOK)
    monkeypatch.setenv("KLAVIYO_API_KEY", "pk_secret_value")
    responses.post(HOOK, json={"ok": True})
    instance = DagsterInstance.ephemeral()
    result = failing.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    context = build_run_status_sensor_context(
        sensor_name="run_failure_alerts",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=failure,
    ).for_run_failure()
    assert result.dagster_run.status == DagsterRunStatus.FAILURE
    run_failure_alerts(context)

    with Warehouse.from_env().transaction() as conn:
        kind, subject, message, status = conn.execute(
            sa.text("select kind, subject, message, webhook_status from ops.alerts")
        ).one()
    assert (kind, subject, status) == ("run_failure", "failing", "HTTP 200")
    assert "lands_nothing" in message
    [call] = responses.calls
    text = call.request.body.decode()
    assert "failing" in text and "pk_secret_value" not in text and len(text) < 700
