"""Meta streams from the emulator into a real DuckDB: complete, then incremental."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from connectors.ingest import run_stream
from connectors.meta_ads.source import STREAMS, stream
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from sandbox.world import advance
from warehouse import Landing, Warehouse


def _world(emulator: EmulatorServer, name: str) -> dict[str, dict]:
    with WorldStore(emulator.world_dir) as world:
        rows = world.conn.execute(
            "select id, payload from records where platform = 'meta_ads' and stream = ? "
            "and deleted = 0",
            (name,),
        ).fetchall()
    return {rid: json.loads(p) for rid, p in rows}


def _latest(wh: Warehouse, name: str) -> dict[str, dict]:
    with wh.transaction() as conn:
        rows = conn.execute(
            sa.text(
                f"select id, payload from raw.meta_ads__{name} qualify row_number() over "
                "(partition by id order by updated_at desc nulls last, _loaded_at desc) = 1"
            )
        ).all()
    return {rid: p if isinstance(p, dict) else json.loads(p) for rid, p in rows}


def _build(name: str, emulator: EmulatorServer) -> object:
    built = stream(name, emulator.env())
    if name == "insights":  # the sandbox's "today" is its own clock
        with WorldStore(emulator.world_dir) as world:
            built.today = date.fromisoformat(world.now()[:10])
    return built


@pytest.mark.parametrize("name", STREAMS)
def test_full_then_next_day(
    name: str, emulator: EmulatorServer, duckdb_warehouse: Warehouse
) -> None:
    emulator.knobs.page_size_cap = 50
    landing = Landing(duckdb_warehouse)
    first = run_stream(_build(name, emulator), landing)
    world = _world(emulator, name)
    landed = _latest(duckdb_warehouse, name)
    assert landed.keys() == world.keys()
    for key, payload in world.items():
        assert payload.items() >= landed[key].items()  # fields we asked for, as served
    assert first.rows_landed == len(world)

    advance(emulator.world_dir)
    second = run_stream(_build(name, emulator), landing)
    assert _latest(duckdb_warehouse, name).keys() == _world(emulator, name).keys()
    if name != "campaigns":
        assert second.rows_landed < first.rows_landed
