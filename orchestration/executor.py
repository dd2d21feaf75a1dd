"""Where a run's steps execute, chosen when the run starts (never at import).

- `in_process` (default): every step in the process that runs the job. One
  machine, nothing to start; a DuckDB warehouse wants nothing more.
- `celery`: each step is a Celery task on a broker (RabbitMQ or Redis), picked up
  by however many worker processes, on however many machines, listen on the
  queue (`python -m orchestration.workers`). The run's own process only plans
  and waits. Needs a persistent Dagster instance the workers share
  (DAGSTER_HOME with PostgreSQL storage: OMNIHUB_DAGSTER_PG_URL), because each
  worker writes its steps' events there.

    OMNIHUB_EXECUTOR=celery
    OMNIHUB_CELERY_BROKER_URL=pyamqp://guest:guest@127.0.0.1:5672//   # or redis://127.0.0.1:6379/0
    OMNIHUB_CELERY_BACKEND_URL=rpc://       # where results go back; redis://... with Redis
    OMNIHUB_CELERY_QUEUE=dagster            # the queue the workers listen on

The settings are read from the environment of the process that starts the run
(the run worker) and of each Celery worker: they must name the same broker and
queue, or the tasks wait forever for a worker that never comes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dagster import Executor, InitExecutorContext, executor, multiple_process_executor_requirements
from dagster._core.definitions.executor_definition import ExecutorRequirement
from dagster._core.execution.retries import RetryMode, get_retries_config
from dagster._core.executor.in_process import InProcessExecutor

EXECUTOR_ENV = "OMNIHUB_EXECUTOR"
BROKER_ENV = "OMNIHUB_CELERY_BROKER_URL"
BACKEND_ENV = "OMNIHUB_CELERY_BACKEND_URL"
QUEUE_ENV = "OMNIHUB_CELERY_QUEUE"

DEFAULT_BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"
DEFAULT_QUEUE = "dagster"

Kind = Literal["in_process", "celery"]


def executor_kind(env: Mapping[str, str] | None = None) -> Kind:
    env = os.environ if env is None else env
    value = (env.get(EXECUTOR_ENV) or "in_process").strip().lower().replace("-", "_")
    if value not in ("in_process", "celery"):
        raise ValueError(f"{EXECUTOR_ENV} must be in_process or celery, not {value!r}")
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class CelerySettings:
    """The broker, result backend and queue that the run worker and the Celery
    workers must agree on."""

    broker: str
    backend: str
    queue: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CelerySettings:
        env = os.environ if env is None else env
        broker = env.get(BROKER_ENV) or DEFAULT_BROKER
        # rpc:// answers over the AMQP broker itself; Redis has no rpc transport,
        # so results go back through the same Redis unless told otherwise
        backend = env.get(BACKEND_ENV) or (broker if broker.startswith("redis") else "rpc://")
        return cls(broker=broker, backend=backend, queue=env.get(QUEUE_ENV) or DEFAULT_QUEUE)

    def config_source(self) -> dict[str, Any]:
        """Celery settings beyond broker and backend, the same on both sides."""
        from dagster_celery.config import DEFAULT_CONFIG

        return {
            **DEFAULT_CONFIG,
            "task_default_queue": self.queue,
            # one step at a time per worker process: a step is minutes of work,
            # and a prefetched one would sit behind it while another worker idles
            "worker_prefetch_multiplier": 1,
            "task_acks_late": True,
            # a step's result is its event list: kept only until the run reads it
            "result_expires": 24 * 3600,
        }

    def describe(self) -> str:
        """The broker without credentials, for logs."""
        from kombu.utils.url import maybe_sanitize_url

        return f"{maybe_sanitize_url(self.broker)} queue {self.queue}"


def _requirements(_config: Mapping[str, Any]) -> list[ExecutorRequirement]:
    # Read when the run is launched: the celery executor needs a job the
    # workers can rebuild and an instance they can write to; in-process needs none.
    if executor_kind() == "celery":
        return list(multiple_process_executor_requirements())
    return []


@executor(
    name="omnihub",
    config_schema={"retries": get_retries_config()},
    requirements=_requirements,
)
def omnihub_executor(init_context: InitExecutorContext) -> Executor:
    """In-process, or Celery when OMNIHUB_EXECUTOR=celery (see module doc)."""
    retries = RetryMode.from_config(init_context.executor_config["retries"])
    if executor_kind() == "celery":
        from dagster_celery.executor import CeleryExecutor

        settings = CelerySettings.from_env()
        return CeleryExecutor(
            retries=retries,
            broker=settings.broker,
            backend=settings.backend,
            config_source=settings.config_source(),
        )
    return InProcessExecutor(retries=retries, marker_to_close=None)  # type: ignore[arg-type]
