"""Start omnihub's Celery workers on this machine:

    python -m orchestration.workers --count 2      # two worker processes, one step each

Each worker is `celery -A orchestration.celery_app worker` with concurrency 1,
listening on OMNIHUB_CELERY_QUEUE at OMNIHUB_CELERY_BROKER_URL; it runs steps with
the environment it was started with (platform credentials, the warehouse URL,
DAGSTER_HOME), so start it with the same environment as the code location. On
more machines, run the same command on each: the broker spreads the steps.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from dagster import DagsterInstance, execute_job
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.execution.job_execution_result import JobExecutionResult

from orchestration.executor import CelerySettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def worker_command(settings: CelerySettings, name: str) -> list[str]:
    """The argv of one worker process that runs one step at a time."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "orchestration.celery_app",
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "--prefetch-multiplier=1",
        "-Q",
        settings.queue,
        "-n",
        f"{name}@{socket.gethostname()}",
        # no chatter between workers: each only talks to the broker
        "--without-gossip",
        "--without-mingle",
    ]


def broker_reachable(settings: CelerySettings, timeout_s: float = 3.0) -> str | None:
    """None when the broker answers; else why not (for a clear skip or error)."""
    from kombu import Connection

    try:
        with Connection(settings.broker, connect_timeout=timeout_s) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout_s)
    except Exception as exc:
        return f"Celery broker {settings.describe()} not reachable: {type(exc).__name__}: {exc}"
    return None


def first_reachable_broker(candidates: Sequence[str]) -> tuple[str | None, list[str]]:
    """The first of `candidates` whose broker answers, and why each before it did not."""
    problems: list[str] = []
    for broker in candidates:
        problem = broker_reachable(CelerySettings.from_env({"OMNIHUB_CELERY_BROKER_URL": broker}))
        if problem is None:
            return broker, problems
        problems.append(problem)
    return None, problems


def wait_until_ready(settings: CelerySettings, names: Sequence[str], timeout_s: float) -> None:
    """Block until every named worker answers a ping over the broker."""
    from orchestration.celery_app import make_worker_app

    app = make_worker_app(settings)
    host = socket.gethostname()
    wanted = {f"{n}@{host}" for n in names}
    deadline = time.monotonic() + timeout_s
    seen: set[str] = set()
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=sorted(wanted), timeout=1.0) or []
        seen = {name for reply in replies for name in reply}
        if wanted <= seen:
            return
        time.sleep(0.5)
    raise TimeoutError(f"Celery workers {sorted(wanted - seen)} did not answer in {timeout_s:.0f}s")


@contextmanager
def running_workers(
    count: int,
    env: Mapping[str, str],
    log_dir: Path,
    *,
    prefix: str | None = None,
    ready_timeout_s: float = 120.0,
) -> Iterator[list[subprocess.Popen]]:
    """`count` worker processes with `env`, ready when the block starts, stopped
    (warm shutdown, then killed) when it ends. Worker names must be unique on a
    broker (each has a reply queue of its own, and a second worker of the same
    name is refused), so they carry a random part unless `prefix` is given."""
    settings = CelerySettings.from_env(env)
    log_dir.mkdir(parents=True, exist_ok=True)
    prefix = prefix or f"omnihub-{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{i + 1}" for i in range(count)]
    logs: list[IO[bytes]] = []
    procs: list[subprocess.Popen] = []
    try:
        for name in names:
            log = (log_dir / f"{name}.log").open("wb")
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    worker_command(settings, name),
                    env=dict(env),
                    cwd=PROJECT_ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_until_ready(settings, names, ready_timeout_s)
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


def run_job(
    name: str, instance: DagsterInstance, run_config: Mapping[str, Any] | None = None
) -> JobExecutionResult:
    """Run a job of the code location the way a run launcher's run worker does:
    rebuilt from its module, so the executor (Celery when OMNIHUB_EXECUTOR=celery)
    can hand each step to a worker that rebuilds it too. `execute_in_process`
    cannot: it always runs every step in the calling process."""
    repository = ReconstructableRepository.for_module(
        "orchestration.definitions", "defs", working_directory=str(PROJECT_ROOT)
    )
    return execute_job(
        repository.get_reconstructable_job(name),
        instance=instance,
        run_config=dict(run_config or {}),
        raise_on_error=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--log-dir", type=Path, default=Path("data/celery"))
    args = parser.parse_args(argv)
    settings = CelerySettings.from_env()
    problem = broker_reachable(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    with running_workers(args.count, os.environ, args.log_dir) as procs:
        print(
            f"{len(procs)} workers on {settings.describe()}; logs in {args.log_dir}; Ctrl-C stops"
        )
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
