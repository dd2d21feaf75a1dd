"""What the scale tests share: one 1k-people sandbox world, generated once."""

from __future__ import annotations

from pathlib import Path

import pytest

PEOPLE = 1000
SEED = 7


@pytest.fixture(scope="session")
def world_1k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world as generated; a test that syncs into it works on its own copy
    (tests.integration.pipeline.copy_world)."""
    from sandbox.world import generate

    world = tmp_path_factory.mktemp("world-1k")
    generate(world, people=PEOPLE, seed=SEED)
    return world
