"""Integration fixtures: a sandbox world on disk and the emulator serving it.

`world_dir` is the real generator's world when `sandbox.world` is importable,
otherwise the small fixture world; either way it is built once per session and
copied per test, so tests that write to the world cannot see each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration import fixture_world
from tests.integration.pipeline import copy_world


@pytest.fixture(scope="session")
def pristine_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = tmp_path_factory.mktemp("pristine-world")
    try:
        from sandbox.world import generate
    except ImportError:
        return fixture_world.build(world)
    generate(world, people=300, seed=7)
    return world


@pytest.fixture
def world_dir(pristine_world: Path, tmp_path: Path) -> Path:
    """A private copy of the session's world (sqlite backup: safe with WAL files)."""
    return copy_world(pristine_world, tmp_path / "world")


@pytest.fixture
def world(world_dir: Path) -> Iterator[WorldStore]:
    with WorldStore(world_dir) as store:
        yield store


@pytest.fixture
def emulator(world_dir: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(world_dir) as server:
        yield server
