"""Landing writes pages and cursors atomically, on DuckDB and PostgreSQL alike."""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from warehouse import LandedRecord, Landing, QuarantinedRecord, Warehouse, WarehouseBusy


def _rows(wh: Warehouse, table: str) -> list[tuple]:
    with wh.transaction() as conn:
        query = sa.text(f"select id, deleted, _batch_id from {table} order by id")
        return conn.execute(query).all()


def test_page_and_cursor_land_together(any_warehouse: Warehouse) -> None:
    landing = Landing(any_warehouse)
    ts = datetime(2026, 5, 1, 12, tzinfo=UTC)
    landed = landing.land_page(
        "shopify",
        "customers",
        [
            LandedRecord("1", ts, {"id": 1, "brand_new_field": {"kept": True}}),
            LandedRecord("2", ts + timedelta(hours=1), '{"id": 2}', deleted=True),
        ],
        [QuarantinedRecord("missing id", '{"email": "x@example.com"}')],
        {"updated_at_min": "2026-05-01T13:00:00Z"},
        "batch-1",
    )
    assert landed == 2
    assert landing.get_cursor("shopify", "customers") == {"updated_at_min": "2026-05-01T13:00:00Z"}
    assert _rows(any_warehouse, "raw.shopify__customers") == [
        ("1", False, "batch-1"),
        ("2", True, "batch-1"),
    ]
    with any_warehouse.transaction() as conn:
        payload = conn.execute(
            sa.text("select payload from raw.shopify__customers where id = '1'")
        ).scalar_one()
        reason = conn.execute(sa.text("select reason from raw._quarantine")).scalar_one()
    payload = payload if isinstance(payload, dict) else json.loads(payload)
    assert payload["brand_new_field"] == {"kept": True}
    assert reason == "missing id"


def test_failed_page_leaves_neither_rows_nor_cursor(any_warehouse: Warehouse) -> None:
    landing = Landing(any_warehouse)
    ts = datetime(2026, 5, 1, tzinfo=UTC)
    landing.land_page("shopify", "customers", [LandedRecord("1", ts, {})], [], {"n": 1}, "b1")
    with pytest.raises(Exception):  # noqa: B017 - the database's own error type varies
        landing.land_page(
            "shopify",
            "customers",
            [LandedRecord("2", ts, "{not json")],  # rejected by the JSON column
            [],
            {"n": 2},
            "b2",
        )
    assert landing.get_cursor("shopify", "customers") == {"n": 1}
    assert [r[0] for r in _rows(any_warehouse, "raw.shopify__customers")] == ["1"]


def test_reset_cursor_forgets_progress(duckdb_warehouse: Warehouse) -> None:
    landing = Landing(duckdb_warehouse)
    landing.land_page("zendesk", "users", [], [], {"after_cursor": "abc"}, "b1")
    landing.reset_cursor("zendesk", "users")
    assert landing.get_cursor("zendesk", "users") is None


def _hold_lock(path: str, ready: mp.Event, release: mp.Event) -> None:
    wh = Warehouse.duckdb(path)
    with wh.transaction() as conn:
        conn.execute(sa.text("create table if not exists t (x int)"))
        ready.set()
        release.wait(30)
        conn.execute(sa.text("insert into t values (1)"))


def test_second_process_waits_for_duckdb_instead_of_failing(tmp_path: Path) -> None:
    path = str(tmp_path / "w.duckdb")
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(path, ready, release))
    holder.start()
    assert ready.wait(60)
    # While the other process holds the file, a short timeout fails with our message...
    impatient = Warehouse.duckdb(path, lock_timeout_s=0.2)
    with (
        pytest.raises(WarehouseBusy, match="OMNIHUB_WAREHOUSE_LOCK_TIMEOUT_S"),
        impatient.transaction(),
    ):
        pass
    # ...and a patient one simply waits its turn, then sees the holder's write.
    release.set()
    patient = Warehouse.duckdb(path, lock_timeout_s=60)
    deadline = time.monotonic() + 60
    with patient.transaction() as conn:
        assert conn.execute(sa.text("select count(*) from t")).scalar_one() == 1
    holder.join(max(0.0, deadline - time.monotonic()))
    assert holder.exitcode == 0


def test_from_env_prefers_postgres_url_and_hides_password(tmp_path: Path) -> None:
    wh = Warehouse.from_env({"OMNIHUB_WAREHOUSE_URL": "postgresql+psycopg://u:s3cret@h:5433/db"})
    assert wh.kind == "postgres"
    assert "s3cret" not in wh.describe()
    assert wh.dbt_env()["OMNIHUB_PG_PORT"] == "5433"
    default = Warehouse.from_env({"OMNIHUB_DATA_DIR": str(tmp_path)})
    assert default.kind == "duckdb"
    assert default.duckdb_path == (tmp_path / "omnihub.duckdb").resolve()
