"""The daily job on Dagster's Celery executor: two real worker processes on the
machine's broker (RabbitMQ or Redis), Dagster's storage on PostgreSQL, a
1k-people sandbox world. It must leave the same final state as the same job
run in process on a copy of the same world: every record assigned to the same
customer, the same customers with the same traits, and every destination
object in the emulator holding the same members; and both workers must have
run steps (the job really fanned out)."""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.conftest import PG_URL
from tests.integration.destinations import memberships
from tests.integration.pipeline import copy_world

pytestmark = pytest.mark.scale

WORKERS = 2
# The machine's brokers, in the order tried; OMNIHUB_TEST_CELERY_BROKER_URL picks one.
BROKERS = ("pyamqp://guest:guest@127.0.0.1:5672//", "redis://127.0.0.1:6379/11")


def _broker_or_skip() -> str:
    if importlib.util.find_spec("dagster_celery") is None:
        pytest.skip("dagster-celery is not installed (make test-scale installs the celery extra)")
    from orchestration.workers import first_reachable_broker

    wanted = os.environ.get("OMNIHUB_TEST_CELERY_BROKER_URL")
    broker, problems = first_reachable_broker((wanted,) if wanted else BROKERS)
    if broker is None:
        pytest.skip("no Celery broker: " + "; ".join(problems))
    return broker


@contextmanager
def _dagster_on_postgres(home: Path) -> Iterator[dict[str, str]]:
    """A throwaway PostgreSQL database for Dagster's runs and events (the workers
    write their steps' events there), and DAGSTER_HOME's dagster.yaml naming it."""
    from orchestration.instance import PG_URL_ENV, write_dagster_yaml

    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable for Dagster's storage ({type(exc.orig).__name__})")
    name = f"celery_dagster_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    url = sa.engine.make_url(PG_URL).set(drivername="postgresql+psycopg2", database=name)
    env = {PG_URL_ENV: url.render_as_string(hide_password=False), "DAGSTER_HOME": str(home)}
    write_dagster_yaml(home, env)
    try:
        yield env
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@dataclass
class FinalState:
    """What a daily run leaves behind, in comparable form."""

    assignments: list[tuple[Any, ...]]
    customers: list[tuple[Any, ...]]
    destinations: dict[tuple[str, str], frozenset[Any]]
    wrong: list[str]
    confirmed: list[tuple[Any, ...]]


def _final_state(data: Path, server: EmulatorServer) -> FinalState:
    from warehouse import Warehouse

    warehouse = Warehouse.duckdb(data / "omnihub.duckdb")
    try:
        with warehouse.transaction() as conn:
            assignments = conn.execute(
                sa.text(
                    "select record_key, customer_id from intermediate.int_identity__assignments"
                    " where is_current order by record_key"
                )
            ).all()
            customers = conn.execute(
                # customer_since is when the id was minted: the build's own clock
                sa.text(
                    "select * exclude (customer_since) from customers.customers"
                    " order by customer_id"
                )
            ).all()
            confirmed = conn.execute(
                sa.text(
                    "select sync_name, key, checksum, customer_id from omnihub_sync.state"
                    " order by sync_name, key"
                )
            ).all()
        with WorldStore(server.world_dir) as world:
            found = memberships(warehouse, world, server.env())
    finally:
        warehouse.dispose()
    return FinalState(
        assignments=[tuple(r) for r in assignments],
        customers=[tuple(r) for r in customers],
        destinations={(m.sync_name, m.target): m.actual for m in found},
        wrong=[m.explain() for m in found if not m.holds()],
        confirmed=[tuple(r) for r in confirmed],
    )


@contextmanager
def _serving(world: Path, monkeypatch: pytest.MonkeyPatch, data: Path) -> Iterator[EmulatorServer]:
    """The emulator on `world`, and os.environ pointing omnihub at it and at a
    DuckDB warehouse in `data`, "now" pinned to the world's clock."""
    with EmulatorServer(world) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        with WorldStore(world) as store:
            monkeypatch.setenv("OMNIHUB_AS_OF", store.now())
        monkeypatch.setenv("OMNIHUB_DATA_DIR", str(data))
        monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(data / "omnihub.duckdb"))
        monkeypatch.delenv("OMNIHUB_WAREHOUSE_URL", raising=False)
        yield server


def _failures(result: Any) -> list[str]:
    return [e.event_specific_data.error.message for e in result.all_events if e.is_step_failure]


def test_daily_job_on_two_celery_workers_leaves_the_in_process_state(
    world_1k: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = _broker_or_skip()
    from orchestration.summary import run_daily_job
    from orchestration.workers import run_job, running_workers

    # the reference: the daily job in process, on its own copy of the world
    monkeypatch.delenv("OMNIHUB_EXECUTOR", raising=False)
    with (
        _serving(
            copy_world(world_1k, tmp_path / "world-in-process"), monkeypatch, tmp_path / "a"
        ) as server,
        DagsterInstance.ephemeral() as instance,
    ):
        reference = run_daily_job(instance)
        assert reference.success, _failures(reference)
        expected = _final_state(tmp_path / "a", server)

    # the same job on Celery: two worker processes, Dagster's storage on PostgreSQL
    queue = f"celery_test_{uuid.uuid4().hex[:8]}"  # no other worker on this broker takes ours
    with (
        _dagster_on_postgres(tmp_path / "dagster_home") as dagster_env,
        _serving(
            copy_world(world_1k, tmp_path / "world-celery"), monkeypatch, tmp_path / "b"
        ) as server,
    ):
        for key, value in {
            **dagster_env,
            "OMNIHUB_EXECUTOR": "celery",
            "OMNIHUB_CELERY_BROKER_URL": broker,
            "OMNIHUB_CELERY_QUEUE": queue,
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("OMNIHUB_CELERY_BACKEND_URL", raising=False)
        with (
            running_workers(WORKERS, dict(os.environ), tmp_path / "celery-logs"),
            DagsterInstance.get() as instance,
        ):
            result = run_job("daily", instance)
            assert result.success, _failures(result)
            # every step ran on a worker, and both workers took some
            ran_on: dict[str, str] = {}
            for event in instance.all_logs(result.run_id):
                dagster_event = event.dagster_event
                if dagster_event is None or not dagster_event.is_engine_event:
                    continue
                entries = dagster_event.engine_event_data.metadata
                if "Celery worker" in entries and dagster_event.step_key:
                    ran_on[dagster_event.step_key] = entries["Celery worker"].value
            steps = {e.step_key for e in result.all_events if e.is_step_success}
        actual = _final_state(tmp_path / "b", server)

    assert steps and set(ran_on) >= steps, sorted(steps - set(ran_on))[:5]
    assert len(set(ran_on.values())) == WORKERS, set(ran_on.values())

    assert not actual.wrong, actual.wrong
    assert len(actual.assignments) > 1000
    assert actual.assignments == expected.assignments
    assert actual.customers == expected.customers
    assert actual.confirmed == expected.confirmed
    assert actual.destinations == expected.destinations
    assert sum(len(members) for members in actual.destinations.values()) >= 100
