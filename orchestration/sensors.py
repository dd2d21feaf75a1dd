"""A failed run becomes an alert: a row in ops.alerts and, when
OMNIHUB_ALERT_WEBHOOK_URL is set, a short message to that webhook."""

from __future__ import annotations

from dagster import Definitions, RunFailureSensorContext, run_failure_sensor

from orchestration.alerts import Alert, raise_alert


def failure_alert(context: RunFailureSensorContext) -> Alert:
    """What failed, where, and the first line of why: no stack, no config."""
    steps = [e.step_key for e in context.get_step_failure_events() if e.step_key]
    reason = context.failure_event.message or "the run failed"
    where = f" (steps: {', '.join(steps[:5])}{'...' if len(steps) > 5 else ''})" if steps else ""
    return Alert(
        "run_failure", context.dagster_run.job_name, f"{reason}{where}", context.dagster_run.run_id
    )


@run_failure_sensor(
    name="run_failure_alerts",
    description="Records every failed run in ops.alerts and posts it to the alert webhook.",
    monitor_all_code_locations=False,
)
def run_failure_alerts(context: RunFailureSensorContext) -> None:
    raise_alert(failure_alert(context))


defs = Definitions(sensors=[run_failure_alerts])
