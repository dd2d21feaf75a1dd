"""The Celery app omnihub's workers run: `celery -A orchestration.celery_app worker`
(what `python -m orchestration.workers` starts).

It is dagster-celery's own app (the `execute_plan` task that runs one step of a
run) with omnihub's broker, backend and queue from the environment, so the
workers listen exactly where `OMNIHUB_EXECUTOR=celery` runs send their steps
(orchestration/executor.py). Celery imports this module to start a worker: the
environment is read here, at the worker's start, by design.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from orchestration.executor import CelerySettings


def make_worker_app(settings: CelerySettings) -> Celery:
    """dagster-celery's app, listening on `settings.queue` instead of its fixed
    `dagster` queue (so two teams, or two test runs, can share one broker)."""
    from dagster_celery.config import TASK_EXECUTE_PLAN_NAME
    from dagster_celery.make_app import make_app_with_task_routes
    from dagster_celery.tasks import create_task

    queue = settings.queue
    app = make_app_with_task_routes(
        task_routes={
            TASK_EXECUTE_PLAN_NAME: {
                "queue": queue,
                "routing_key": f"{queue}.{TASK_EXECUTE_PLAN_NAME}",
            }
        },
        app_args={
            "broker": settings.broker,
            "backend": settings.backend,
            "include": [],
            "config_source": _Namespace(settings.config_source()),
        },
    )
    app.conf.task_queues = [
        Queue(queue, routing_key=f"{queue}.#", queue_arguments={"x-max-priority": 10})
    ]
    create_task(app)
    return app


class _Namespace:
    """Celery reads `config_source` by attribute."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


app = make_worker_app(CelerySettings.from_env())
