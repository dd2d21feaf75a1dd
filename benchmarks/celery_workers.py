"""The daily Dagster job on Dagster's Celery executor with 1 and then 2 workers.

    .venv/bin/python benchmarks/celery_workers.py --people 1000
    make bench-celery PEOPLE=10000

Each run is the real `daily` job (ingest of every stream -> dbt build -> every
sync -> the report) on a fresh copy of the same world and a fresh DuckDB
warehouse, Dagster's storage in a throwaway PostgreSQL database, the steps sent
over the broker (RabbitMQ if it answers, else Redis) to N worker processes of
one step each. The emulator's rate limits are lifted, so the figures measure
omnihub rather than a vendor's published limit. Printed: seconds with 1 and 2
workers, the ratio, and the load average before and after each, since a
second worker can only help when a core is free for it.

What to expect on DuckDB: the HTTP reads of two streams overlap, but every write
takes the file's lock in turn and the dbt build holds it throughout, so the
speed-up is bounded by the share of the run spent waiting on the network. A
PostgreSQL warehouse has no such lock.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sandbox import ROOT, serve, world_for, world_today

BROKERS = ("pyamqp://guest:guest@127.0.0.1:5672//", "redis://127.0.0.1:6379/12")
PG_ADMIN = os.environ.get(
    "OMNIHUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _broker() -> str:
    from orchestration.workers import first_reachable_broker

    wanted = os.environ.get("OMNIHUB_CELERY_BROKER_URL")
    broker, problems = first_reachable_broker((wanted,) if wanted else BROKERS)
    if broker is None:
        raise SystemExit("no Celery broker: " + "; ".join(problems))
    return broker


@contextmanager
def _dagster_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for Dagster's storage; its psycopg2 URL."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"celery_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    try:
        url = sa.engine.make_url(PG_ADMIN).set(drivername="postgresql+psycopg2", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def run_daily(world: Path, workers: int, broker: str, scratch: Path) -> tuple[float, str, str]:
    """Seconds the daily job took on `workers` Celery workers; the load before and after."""
    from dagster import DagsterInstance

    from orchestration.instance import PG_URL_ENV, write_dagster_yaml
    from orchestration.workers import run_job, running_workers
    from tests.integration.pipeline import copy_world

    own_world = copy_world(world, scratch / f"world-{workers}")
    emulator = serve(own_world)
    try:
        with _dagster_database() as pg_url:
            home = scratch / f"dagster-{workers}"
            env = {
                **os.environ,
                **emulator.env,
                "OMNIHUB_AS_OF": world_today(own_world),
                "OMNIHUB_DATA_DIR": str(scratch / f"data-{workers}"),
                "OMNIHUB_DUCKDB_PATH": str(scratch / f"data-{workers}" / "omnihub.duckdb"),
                "DAGSTER_HOME": str(home),
                PG_URL_ENV: pg_url,
                "OMNIHUB_EXECUTOR": "celery",
                "OMNIHUB_CELERY_BROKER_URL": broker,
                "OMNIHUB_CELERY_QUEUE": f"celery_bench_{uuid.uuid4().hex[:8]}",
            }
            env.pop("OMNIHUB_WAREHOUSE_URL", None)
            env.pop("OMNIHUB_CELERY_BACKEND_URL", None)
            write_dagster_yaml(home, env)
            saved = dict(os.environ)
            os.environ.update(env)  # the run worker (this process) reads them at run start
            try:
                with (
                    running_workers(workers, env, scratch / f"logs-{workers}"),
                    DagsterInstance.get() as instance,
                ):
                    before = _load()
                    started = time.monotonic()
                    result = run_job("daily", instance)
                    seconds = time.monotonic() - started
                    after = _load()
            finally:
                os.environ.clear()
                os.environ.update(saved)
            if not result.success:
                failed = [e.step_key for e in result.all_events if e.is_step_failure]
                raise SystemExit(f"the daily job failed on {workers} worker(s): {failed}")
    finally:
        emulator.stop()
    return seconds, before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    broker = _broker()
    world = world_for(args.people, args.seed)
    figures: dict[int, tuple[float, str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="celery-bench-", dir=ROOT / "data") as tmp:
        for workers in (1, 2):
            figures[workers] = run_daily(world, workers, broker, Path(tmp))
            seconds, before, after = figures[workers]
            print(
                f"{workers} worker(s): daily job {seconds:.1f} s "
                f"(load average before {before}, after {after})",
                flush=True,
            )
    one, two = figures[1][0], figures[2][0]
    from kombu.utils.url import maybe_sanitize_url

    print(
        f"\ndaily job, {args.people:,} people, DuckDB warehouse, broker "
        f"{maybe_sanitize_url(broker)}, {os.cpu_count()} cores:\n"
        f"  1 worker : {one:8.1f} s\n  2 workers: {two:8.1f} s\n"
        f"  ratio 1/2: {one / two:8.2f}x\n"
        "Load averages are the machine's, other work included: on a shared machine the "
        "second worker competes with it for the same cores."
    )


if __name__ == "__main__":
    main()
