"""Shopify streams from the emulator into a real DuckDB: complete, incremental, crash-safe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.ingest import run_stream
from connectors.shopify.source import ENDPOINTS, stream
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from sandbox.world import advance
from warehouse import Landing, Warehouse

STREAMS = sorted(ENDPOINTS)


def _world_payloads(world_dir: Path, name: str) -> dict[str, dict]:
    with WorldStore(world_dir) as world:
        rows = world.conn.execute(
            "select id, payload from records where platform = 'shopify' and stream = ? "
            "and deleted = 0",
            (name,),
        ).fetchall()
    return {rid: json.loads(payload) for rid, payload in rows}


def _latest(wh: Warehouse, name: str) -> dict[str, dict]:
    with wh.transaction() as conn:
        rows = conn.execute(
            sa.text(
                f"select id, payload from raw.shopify__{name} "
                "qualify row_number() over (partition by id order by updated_at desc, "
                "_loaded_at desc) = 1"
            )
        ).all()
    return {rid: p if isinstance(p, dict) else json.loads(p) for rid, p in rows}


@pytest.mark.parametrize("name", STREAMS)
def test_full_ingest_lands_exactly_the_world(
    name: str, emulator: EmulatorServer, duckdb_warehouse: Warehouse
) -> None:
    emulator.knobs.page_size_cap = 40  # many pages even on a small world
    result = run_stream(stream(name, emulator.env()), Landing(duckdb_warehouse))
    expected = _world_payloads(emulator.world_dir, name)
    assert (expected and result.pages > 1) or len(expected) <= 40
    assert _latest(duckdb_warehouse, name) == expected
    assert result.rows_landed == len(expected)  # one full traversal: nothing twice


def test_next_day_lands_exactly_the_new_and_changed(
    emulator: EmulatorServer, duckdb_warehouse: Warehouse
) -> None:
    landing = Landing(duckdb_warehouse)
    env = emulator.env()
    for name in STREAMS:
        run_stream(stream(name, env), landing)
    before = {name: _world_payloads(emulator.world_dir, name) for name in STREAMS}
    advance(emulator.world_dir)
    second = {name: run_stream(stream(name, env), landing) for name in STREAMS}
    for name in STREAMS:
        now = _world_payloads(emulator.world_dir, name)
        changed = {k for k, v in now.items() if before[name].get(k) != v}
        assert _latest(duckdb_warehouse, name).keys() >= now.keys()
        latest = _latest(duckdb_warehouse, name)
        assert {k: latest[k] for k in now} == now
        # the second run read exactly what changed since the cursor (lookback included)
        since = second[name].cursor_before["updated_at_min"]
        with WorldStore(emulator.world_dir) as world:
            window = world.conn.execute(
                "select count(*) from records where platform = 'shopify' and stream = ? "
                "and deleted = 0 and updated_at >= ?",
                (name, since),
            ).fetchone()[0]
        assert second[name].rows_landed == window
        assert (changed and window >= len(changed)) or name in ("products", "checkouts")


def _kill_mid_stream_child(env: dict[str, str]) -> subprocess.Popen:
    code = (
        "import os\n"
        "from connectors.ingest import run_stream\n"
        "from connectors.shopify.source import stream\n"
        "from warehouse import Landing, Warehouse\n"
        "run_stream(stream('customers', os.environ), Landing(Warehouse.from_env()))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **env})


def test_sigkill_mid_stream_then_rerun_equals_uninterrupted_run(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    emulator.knobs.page_size_cap = 10
    emulator.knobs.latency_ms = 150
    db = tmp_path / "killed.duckdb"
    env = {
        **emulator.env(),
        "OMNIHUB_DUCKDB_PATH": str(db),
        "OMNIHUB_WAREHOUSE_URL": "",
        # hand the file back between pages, so this test can watch the cursor
        "OMNIHUB_DUCKDB_SESSION_HOLD_S": "0",
    }
    child = _kill_mid_stream_child(env)
    wh = Warehouse.duckdb(db)
    landing = Landing(wh)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.exists():
            cursor = landing.get_cursor("shopify", "customers")
            if cursor and cursor.get("page_info"):
                break
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL
    landed_before = len(_latest(wh, "customers"))
    expected = _world_payloads(emulator.world_dir, "customers")
    assert 0 < landed_before < len(expected), "the kill must land mid-stream"

    emulator.knobs.latency_ms = 0
    run_stream(stream("customers", env), landing)
    with wh.transaction() as conn:
        rows, distinct = conn.execute(
            sa.text("select count(*), count(distinct id) from raw.shopify__customers")
        ).one()
    assert rows == distinct == len(expected)  # nothing lost, nothing twice
    assert _latest(wh, "customers") == expected


def test_redacted_customer_arrives_by_webhook_and_is_marked_deleted(
    emulator: EmulatorServer, duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    import requests

    from connectors.shopify.webhooks import Spool, receiver_app

    env = {**emulator.env(), "OMNIHUB_DATA_DIR": str(tmp_path)}
    landing = Landing(duckdb_warehouse)
    run_stream(stream("customers", env), landing)
    advance(emulator.world_dir)  # redacts one customer
    with WorldStore(emulator.world_dir) as world:
        redacted = {
            r[0]
            for r in world.conn.execute(
                "select id from records where platform = 'shopify' and stream = 'customers' "
                "and deleted = 1"
            )
        }
    assert redacted

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    app = receiver_app(Spool(tmp_path / "spool"), env["SHOPIFY_CLIENT_SECRET"])
    with make_server("127.0.0.1", 0, app, handler_class=Quiet) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = f"http://127.0.0.1:{server.server_port}/webhooks"
        delivered = requests.post(
            f"{emulator.url}/_sandbox/shopify/deliver-webhooks",
            json={"address": address},
            timeout=30,
        ).json()
        server.shutdown()
    assert delivered == {"delivered": len(redacted), "failed": 0, "pending": 0}

    result = run_stream(stream("customers", env), landing)
    assert result.deleted == len(redacted)
    with duckdb_warehouse.transaction() as conn:
        latest_deleted = {
            r[0]
            for r in conn.execute(
                sa.text(
                    "select id from raw.shopify__customers qualify row_number() over "
                    "(partition by id order by updated_at desc, _loaded_at desc) = 1 "
                    "and deleted"
                )
            )
        }
    assert latest_deleted == redacted
