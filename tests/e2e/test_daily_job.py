"""The daily job end to end through the real Dagster job: every platform from the
emulator -> raw -> dbt (tests as checks) -> every sync. Then every destination
object holds exactly its audience after the gate, and a rerun writes nothing
anywhere. Runs on DuckDB with Dagster in memory, and on PostgreSQL with
Dagster's own storage on PostgreSQL too."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from orchestration.instance import PG_URL_ENV
from sandbox.store import WorldStore
from tests.e2e.activation import PLATFORMS, run_job, write_calls
from tests.e2e.conftest import FirstRun
from tests.integration.destinations import memberships
from warehouse import Warehouse

pytestmark = pytest.mark.slow

TAG = "omnihub-returning"


def _world_customers(world_dir: Path) -> dict[str, dict]:
    with WorldStore(world_dir) as world:
        rows = world.conn.execute(
            "select id, payload from records "
            "where platform = 'shopify' and stream = 'customers' and deleted = 0"
        ).fetchall()
    return {row[0]: json.loads(row[1]) for row in rows}


def _tags(payload: dict) -> set[str]:
    return {t.strip() for t in (payload.get("tags") or "").split(",") if t.strip()}


def test_every_destination_holds_exactly_its_audience_and_a_rerun_writes_nothing(
    daily_first_run: FirstRun,
) -> None:
    sandbox_env, dagster_instance = daily_first_run.server, daily_first_run.instance
    before = _world_customers(daily_first_run.world_before)
    first = daily_first_run.result

    # every dbt test ran as an asset check and passed
    evaluations = first.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)
    # raw landing holds every customer the platform has
    wh = Warehouse.from_env()
    with wh.transaction() as conn:
        raw_ids = {r[0] for r in conn.execute(sa.text("select id from raw.shopify__customers"))}
    assert raw_ids == set(before)
    # tags someone else set on a Shopify customer are never clobbered
    after = _world_customers(sandbox_env.world_dir)
    for cid, customer in after.items():
        assert _tags(before[cid]) - {TAG} <= _tags(customer)

    with WorldStore(sandbox_env.world_dir) as world:
        found = memberships(wh, world, sandbox_env.env())
    wrong = [m.explain() for m in found if not m.holds()]
    assert not wrong, wrong
    # every kind of destination object was really checked, with people in it
    checked = {m.kind for m in found if m.expected}
    assert {k[0] for k in checked} == set(PLATFORMS), checked
    assert sum(len(m.expected) for m in found) >= 100

    writes = write_calls(sandbox_env)
    assert all(writes[p] for p in PLATFORMS), writes  # the first run did write everywhere
    second = run_job(dagster_instance, "daily")
    rerun_writes = write_calls(sandbox_env)

    # the runs are where the instance keeps them: on PostgreSQL, in its tables
    recorded = {r.run_id for r in dagster_instance.get_runs()}
    assert {first.run_id, second.run_id} <= recorded

    if os.environ.get("OMNIHUB_WAREHOUSE_URL"):
        from dagster_postgres import PostgresRunStorage

        assert isinstance(dagster_instance.run_storage, PostgresRunStorage)
        engine = sa.create_engine(
            os.environ[PG_URL_ENV].replace("postgresql://", "postgresql+psycopg://", 1)
        )
        with engine.connect() as conn:
            in_pg = set(conn.execute(sa.text("select run_id from runs")).scalars())
        engine.dispose()
        assert {first.run_id, second.run_id} <= in_pg

    assert rerun_writes == writes, {p: rerun_writes[p] - writes[p] for p in PLATFORMS}
