"""A process killed mid-stream (SIGKILL, not an exception) and rerun lands exactly
what an uninterrupted run lands, on every platform's own paging mechanism:
Klaviyo JSON:API cursor links, Meta Graph `paging` cursors, Square body cursors,
Shopify Link page_info, Zendesk's incremental cursor export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.ingest import run_stream
from sandbox.server import EmulatorServer
from tests.integration.pipeline import world_env
from warehouse import Landing, Warehouse

# the largest stream of each platform: the one with pages to kill between
STREAMS = [
    ("klaviyo", "events"),
    ("meta_ads", "insights"),
    ("square", "orders"),
    ("shopify", "orders"),
    ("zendesk", "tickets"),
]


def _stream(platform: str, name: str, env: dict[str, str]):
    module = __import__(f"connectors.{platform}.source", fromlist=["stream"])
    stream = module.stream(name, env)
    if hasattr(stream, "today"):  # Meta insights: days up to the world's today
        stream.today = date.fromisoformat(env["OMNIHUB_AS_OF"][:10])
    return stream


def _child(platform: str, name: str, env: dict[str, str]) -> subprocess.Popen:
    code = (
        "import os\n"
        "from connectors.ingest import run_stream\n"
        "from tests.integration.test_ingest_sigkill import _stream\n"
        "from warehouse import Landing, Warehouse\n"
        f"s = _stream({platform!r}, {name!r}, dict(os.environ))\n"
        "run_stream(s, Landing(Warehouse.from_env()))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **env})


def _raw(wh: Warehouse, platform: str, name: str) -> list[tuple]:
    """Every landed row as (id, updated_at, deleted, payload): a page landed twice
    or lost shows as a difference in this multiset."""
    with wh.transaction() as conn:
        rows = conn.execute(
            sa.text(
                f"select id, cast(updated_at as varchar), deleted, cast(payload as varchar) "
                f"from raw.{platform}__{name}"
            )
        ).all()
    return sorted(tuple(r) for r in rows)


def _landed(wh: Warehouse, platform: str, name: str) -> int:
    try:
        with wh.transaction() as conn:
            return conn.execute(sa.text(f"select count(*) from raw.{platform}__{name}")).scalar()
    except sa.exc.DBAPIError:
        return 0  # the table is created with the first page


@pytest.mark.parametrize(("platform", "name"), STREAMS, ids=[f"{p}-{s}" for p, s in STREAMS])
def test_sigkill_mid_stream_then_rerun_equals_uninterrupted_run(
    emulator: EmulatorServer, tmp_path: Path, platform: str, name: str
) -> None:
    env = world_env(emulator)
    # the reference: the same stream, never interrupted, into its own file
    reference = Warehouse.duckdb(tmp_path / "reference.duckdb")
    run_stream(_stream(platform, name, env), Landing(reference))
    expected = _raw(reference, platform, name)
    assert len(expected) > 30, "the world must give this stream several pages"

    emulator.knobs.page_size_cap = 5
    emulator.knobs.latency_ms = 120
    db = tmp_path / "killed.duckdb"
    child_env = {
        **env,
        "OMNIHUB_DUCKDB_PATH": str(db),
        "OMNIHUB_WAREHOUSE_URL": "",
        # hand the file back between pages, so this test can watch it fill
        "OMNIHUB_DUCKDB_SESSION_HOLD_S": "0",
    }
    child = _child(platform, name, child_env)
    wh = Warehouse.duckdb(db)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and child.poll() is None:
        if db.exists() and _landed(wh, platform, name) >= 10:
            break
        time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL, "the child must die mid-stream, not finish"
    landed_before = _landed(wh, platform, name)
    assert 0 < landed_before < len(expected), "the kill must land mid-stream"

    emulator.knobs.latency_ms = 0
    resumed = _stream(platform, name, env)
    # pacing off, as in every integration ingest: at 5 a page Zendesk's export
    # pacing (10 calls a minute) would only add a minute of waiting
    resumed.client._bucket = None
    rerun = run_stream(resumed, Landing(wh))
    assert rerun.rows_landed > 0
    got = Counter(_raw(wh, platform, name))
    want = Counter(expected)
    twice = [row[:2] for row in (got - want).elements()]
    lost = [row[:2] for row in (want - got).elements()]
    assert not twice and not lost, f"landed twice: {twice[:5]}; lost: {lost[:5]}"
    reference.dispose()
    wh.dispose()
