"""End-to-end fixtures: a generated world behind the emulator, omnihub pointed at it
through the same environment variables a user sets for the real vendors."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from orchestration.instance import PG_URL_ENV, write_dagster_yaml
from sandbox.server import EmulatorServer
from sandbox.world import generate
from tests.conftest import PG_URL
from warehouse import Warehouse

E2E_PEOPLE = 300


@pytest.fixture
def e2e_world(tmp_path: Path) -> Path:
    world = tmp_path / "world"
    generate(world, people=E2E_PEOPLE, seed=11)
    return world


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def sandbox_env(
    request: pytest.FixtureRequest,
    e2e_world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[EmulatorServer]:
    """The emulator running, and os.environ pointing omnihub at it and at a fresh
    warehouse: a DuckDB file, or a throwaway PostgreSQL database."""
    monkeypatch.setenv("OMNIHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(tmp_path / "data" / "omnihub.duckdb"))
    if request.param == "postgres":
        warehouse: Warehouse = request.getfixturevalue("pg_warehouse")
        monkeypatch.setenv("OMNIHUB_WAREHOUSE_URL", warehouse.url)
    else:
        monkeypatch.delenv("OMNIHUB_WAREHOUSE_URL", raising=False)
    with EmulatorServer(e2e_world) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


@pytest.fixture
def dagster_instance(
    sandbox_env: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """Where the job's runs are recorded: in memory beside a DuckDB warehouse; on
    PostgreSQL (a throwaway database, dagster.yaml written by orchestration.instance
    exactly as `make ui` writes it) beside a PostgreSQL warehouse."""
    if not os.environ.get("OMNIHUB_WAREHOUSE_URL"):
        with DagsterInstance.ephemeral() as instance:
            yield instance
        return
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
