"""End-to-end fixtures: a generated world behind the emulator, omnihub pointed at it
through the same environment variables a user sets for the real vendors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.server import EmulatorServer
from sandbox.world import generate
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
