"""What must have one writer keeps one, whatever runs or workers ask: the named
locks are real across processes (a file lock beside DuckDB, an advisory lock in
PostgreSQL), a stream's ingest and a sync take them, and a backfill's month
windows each read only their month under a cursor of their own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.http import HttpStats
from connectors.ingest import Page, run_stream
from sandbox.server import EmulatorServer
from warehouse import LandedRecord, Landing, Warehouse
from warehouse.connection import WarehouseBusy


def _try_lock_in_another_process(warehouse: Warehouse, name: str) -> str:
    """Another Python process asks for the lock, waiting at most 1 s: 'got' or 'busy'."""
    code = textwrap.dedent(
        f"""
        from warehouse import Warehouse
        from warehouse.connection import WarehouseBusy
        wh = Warehouse(url={warehouse.url!r}, lock_timeout_s=1.0)
        try:
            with wh.named_lock({name!r}):
                print("got")
        except WarehouseBusy:
            print("busy")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_named_lock_has_one_holder_across_processes(any_warehouse: Warehouse) -> None:
    with any_warehouse.named_lock("cursor:shopify/orders"):
        assert _try_lock_in_another_process(any_warehouse, "cursor:shopify/orders") == "busy"
        # another name is another lock
        assert _try_lock_in_another_process(any_warehouse, "cursor:shopify/customers") == "got"
        with any_warehouse.named_lock("cursor:shopify/orders"):  # re-entrant in one thread
            pass
    assert _try_lock_in_another_process(any_warehouse, "cursor:shopify/orders") == "got"


class _OnePage:
    """A stream of one page, enough to see whether run_stream got past its lock."""

    platform = "shopify"
    name = "customers"

    def __init__(self) -> None:
        self.client: Any = type("Client", (), {"stats": HttpStats()})()
        self.read = False

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        self.read = True
        yield Page([LandedRecord("1", None, {"id": 1})], [], {"since_id": 1})


def test_a_stream_never_reads_while_another_writer_holds_its_cursor(
    duckdb_warehouse: Warehouse,
) -> None:
    duckdb_warehouse.lock_timeout_s = 0.5
    held = _OnePage()
    with duckdb_warehouse.named_lock("cursor:shopify/customers"):
        # same process, other thread: filelock is per thread, so it waits like a worker
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(run_stream, held, Landing(duckdb_warehouse))
            with pytest.raises(WarehouseBusy):
                future.result(timeout=60)
    assert not held.read  # it never read the cursor nor a page
    free = _OnePage()
    assert run_stream(free, Landing(duckdb_warehouse)).rows_landed == 1 and free.read


def _month_windows(first: datetime, last: datetime) -> list[str]:
    keys, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}-01")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


@pytest.mark.parametrize(("platform", "name"), [("shopify", "orders"), ("klaviyo", "profiles")])
def test_a_backfill_by_month_lands_the_whole_stream_without_touching_the_live_cursor(
    platform: str,
    name: str,
    emulator: EmulatorServer,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster import DagsterInstance, materialize

    from orchestration.defs.ingest.backfill import WINDOWED
    from orchestration.defs.ingest.backfill import defs as backfill_defs
    from orchestration.resources import WarehouseResource

    env = emulator.env()
    table = f"raw.{platform}__{name}"
    live = Warehouse.duckdb(tmp_path / "live.duckdb")
    source = WINDOWED[(platform, name)](env)
    source.client._bucket = None  # the fixture world is small: no pacing
    run_stream(source, Landing(live))
    with live.transaction() as conn:
        live_ids = {r[0] for r in conn.execute(sa.text(f"select id from {table}"))}
        first, last = conn.execute(
            sa.text(f"select min(updated_at), max(updated_at) from {table}")
        ).one()
    live.dispose()
    assert len(live_ids) > 50

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(tmp_path / "backfill.duckdb"))
    monkeypatch.delenv("OMNIHUB_WAREHOUSE_URL", raising=False)
    asset = next(
        a
        for a in backfill_defs.assets or []
        if a.key.to_user_string() == f"backfill/{platform}/{name}"  # type: ignore[union-attr]
    )
    months = _month_windows(first, last)
    landed: dict[str, int] = {}
    with DagsterInstance.ephemeral() as instance:
        for month in months:
            result = materialize(
                [asset],
                partition_key=month,
                instance=instance,
                resources={"warehouse": WarehouseResource()},
            )
            assert result.success
            (mat,) = result.asset_materializations_for_node(asset.node_def.name)  # type: ignore[union-attr]
            landed[month] = mat.metadata["rows_landed"].value

    backfill = Warehouse.duckdb(tmp_path / "backfill.duckdb")
    with backfill.transaction() as conn:
        ids = [r[0] for r in conn.execute(sa.text(f"select id from {table}"))]
        cursors = dict(
            conn.execute(
                sa.text("select stream, cursor_value from raw._cursors where platform = :p"),
                {"p": platform},
            ).all()
        )
        outside = conn.execute(
            sa.text(
                f"select count(*) from {table} where updated_at < :first or updated_at > :last"
            ),
            {"first": first, "last": last},
        ).scalar()
    backfill.dispose()
    # the months together hold every order the live read found, each month only its own
    assert set(ids) == live_ids and outside == 0
    assert len(ids) - len(live_ids) <= len(months)  # only an order on a month's edge twice
    assert sum(1 for n in landed.values() if n) > 1  # really spread over months
    # one cursor per window, and none for the live stream
    assert name not in cursors
    assert len(cursors) == len(months)
    assert all(key.startswith(f"{name}@") for key in cursors)
    assert all(json.loads(value) for value in cursors.values())
