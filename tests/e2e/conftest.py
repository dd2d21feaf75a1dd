"""End-to-end fixtures: a generated world behind the emulator, omnihub pointed at it
through the same environment variables a user sets for the real vendors."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, ExecuteInProcessResult

from orchestration.instance import PG_URL_ENV, write_dagster_yaml
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from sandbox.world import generate
from tests.conftest import PG_URL
from tests.e2e.activation import run_job
from tests.integration.pipeline import copy_world
from warehouse import Warehouse

E2E_PEOPLE = 300
E2E_SEED = 11


@pytest.fixture
def e2e_world(tmp_path: Path) -> Path:
    world = tmp_path / "world"
    generate(world, people=E2E_PEOPLE, seed=E2E_SEED)
    return world


def _point_at_duckdb(monkeypatch: pytest.MonkeyPatch, data: Path) -> None:
    monkeypatch.setenv("OMNIHUB_DATA_DIR", str(data))
    monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(data / "omnihub.duckdb"))
    monkeypatch.delenv("OMNIHUB_WAREHOUSE_URL", raising=False)


@contextmanager
def _serving(world: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    with EmulatorServer(world) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def sandbox_env(
    request: pytest.FixtureRequest,
    e2e_world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[EmulatorServer]:
    """The emulator running, and os.environ pointing omnihub at it and at a fresh
    warehouse: a DuckDB file, or a throwaway PostgreSQL database."""
    _point_at_duckdb(monkeypatch, tmp_path / "data")
    if request.param == "postgres":
        warehouse: Warehouse = request.getfixturevalue("pg_warehouse")
        monkeypatch.setenv("OMNIHUB_WAREHOUSE_URL", warehouse.url)
    with _serving(e2e_world, monkeypatch) as server:
        yield server


@contextmanager
def _pg_dagster_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """A throwaway PostgreSQL database for Dagster's storage, dagster.yaml written
    by orchestration.instance exactly as `make ui` writes it."""
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"omnihub_dagster_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    # dagster-postgres needs psycopg2 (its NOTIFY takes a bound parameter)
    url = sa.engine.make_url(PG_URL).set(drivername="postgresql+psycopg2", database=name)
    monkeypatch.setenv(PG_URL_ENV, url.render_as_string(hide_password=False))
    home = tmp_path / "dagster_home"
    write_dagster_yaml(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    try:
        with DagsterInstance.from_config(str(home)) as instance:
            yield instance
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@pytest.fixture
def dagster_instance(
    sandbox_env: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """Where the job's runs are recorded: in memory beside a DuckDB warehouse; on
    PostgreSQL beside a PostgreSQL warehouse."""
    if not os.environ.get("OMNIHUB_WAREHOUSE_URL"):
        with DagsterInstance.ephemeral() as instance:
            yield instance
        return
    with _pg_dagster_instance(tmp_path, monkeypatch) as instance:
        yield instance


# -- the daily job's first run, once per session on DuckDB ----------------------------
#
# The daily-job, marketing-report and merge/erasure tests all begin with the same
# run: the daily job on the e2e world (E2E_PEOPLE, E2E_SEED), a fresh DuckDB
# warehouse, "now" pinned to the world's clock. It runs once; the report test reads
# its report where it was written, and every test that goes on (syncs again, merges,
# erases) gets its own copy of the world and of the data directory behind its own
# emulator, so no test sees another's writes and any order (or one test alone) gives
# the same result.


@dataclass
class SessionRun:
    """The first daily run as it was left: nothing may write here (copy it first)."""

    world_before: Path
    """The world as generated, before the run synced anything to it."""
    world_dir: Path
    data_dir: Path
    as_of: str
    instance: DagsterInstance
    """In memory, kept for the session: later runs are recorded beside the first."""
    result: ExecuteInProcessResult


@dataclass
class FirstRun:
    """A test's own world and warehouse right after the daily job's first run."""

    server: EmulatorServer
    instance: DagsterInstance
    result: ExecuteInProcessResult
    world_before: Path


@pytest.fixture(scope="session")
def session_daily_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionRun]:
    from orchestration.summary import run_daily_job  # what `make demo` runs

    base = tmp_path_factory.mktemp("daily-first-run")
    world = base / "world"
    generate(world, people=E2E_PEOPLE, seed=E2E_SEED)
    world_before = copy_world(world, base / "world-before")
    data = base / "data"
    instance = DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at_duckdb(monkeypatch, data)
        with WorldStore(world) as store:
            as_of = store.now()
        monkeypatch.setenv("OMNIHUB_AS_OF", as_of)  # windows do not move between runs
        with _serving(world, monkeypatch):
            result = run_daily_job(instance)
    failures = [e.event_specific_data.error.message for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    try:
        yield SessionRun(world_before, world, data, as_of, instance, result)
    finally:
        instance.dispose()


def _own_copy(run: SessionRun, tmp_path: Path) -> tuple[Path, Path]:
    world = copy_world(run.world_dir, tmp_path / "world")
    data = tmp_path / "data"
    with Warehouse.duckdb(run.data_dir / "omnihub.duckdb").exclusive():
        shutil.copytree(run.data_dir, data, ignore=shutil.ignore_patterns("*.lock"))
    return world, data


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def daily_first_run(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FirstRun]:
    """The daily job has run once on the e2e world, "now" pinned to the world's
    clock; os.environ points omnihub at this test's own emulator and warehouse.
    DuckDB: a copy of the session's first run (Dagster in memory). PostgreSQL: a
    throwaway database and its own run (Dagster's storage on PostgreSQL too)."""
    if request.param == "duckdb":
        run: SessionRun = request.getfixturevalue("session_daily_run")
        world, data = _own_copy(run, tmp_path)
        _point_at_duckdb(monkeypatch, data)
        monkeypatch.setenv("OMNIHUB_AS_OF", run.as_of)
        with _serving(world, monkeypatch) as server:
            yield FirstRun(server, run.instance, run.result, run.world_before)
        return
    world = request.getfixturevalue("e2e_world")
    world_before = copy_world(world, tmp_path / "world-before")
    _point_at_duckdb(monkeypatch, tmp_path / "data")
    warehouse: Warehouse = request.getfixturevalue("pg_warehouse")
    monkeypatch.setenv("OMNIHUB_WAREHOUSE_URL", warehouse.url)
    with WorldStore(world) as store:
        monkeypatch.setenv("OMNIHUB_AS_OF", store.now())  # windows do not move between runs
    with (
        _serving(world, monkeypatch) as server,
        _pg_dagster_instance(tmp_path, monkeypatch) as instance,
    ):
        yield FirstRun(server, instance, run_job(instance, "daily"), world_before)
