"""Klaviyo streams from the emulator into a real DuckDB: complete, then incremental."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from connectors.ingest import run_stream
from connectors.klaviyo.source import ENDPOINTS, stream
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from sandbox.world import advance
from warehouse import Landing, Warehouse


def _world(emulator: EmulatorServer, name: str) -> dict[str, dict]:
    with WorldStore(emulator.world_dir) as world:
        rows = world.conn.execute(
            "select id, payload from records where platform = 'klaviyo' and stream = ? "
            "and deleted = 0",
            (name,),
        ).fetchall()
    return {rid: json.loads(p) for rid, p in rows}


def _latest(wh: Warehouse, name: str) -> dict[str, dict]:
    with wh.transaction() as conn:
        rows = conn.execute(
            sa.text(
                f"select id, payload from raw.klaviyo__{name} qualify row_number() over "
                "(partition by id order by updated_at desc, _loaded_at desc) = 1"
            )
        ).all()
    return {rid: p if isinstance(p, dict) else json.loads(p) for rid, p in rows}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_full_then_next_day(
    name: str, emulator: EmulatorServer, duckdb_warehouse: Warehouse
) -> None:
    emulator.knobs.page_size_cap = 50
    landing = Landing(duckdb_warehouse)
    first = run_stream(stream(name, emulator.env()), landing)
    assert _latest(duckdb_warehouse, name) == _world(emulator, name)
    assert first.rows_landed == len(_world(emulator, name))

    advance(emulator.world_dir)
    second = run_stream(stream(name, emulator.env()), landing)
    assert _latest(duckdb_warehouse, name) == _world(emulator, name)
    if ENDPOINTS[name].time_field:
        # only the new/changed records and the lookback window were read again
        assert second.rows_landed < first.rows_landed
        assert second.cursor_after["since"] >= first.cursor_after["since"]
