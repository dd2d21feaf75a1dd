"""The daily job end to end through the real Dagster job: every platform from the
emulator -> raw -> dbt (tests as checks) -> every sync. Then every destination
object holds exactly its audience after the gate, and a rerun writes nothing
anywhere. Runs on DuckDB with Dagster in memory, and on PostgreSQL with
Dagster's own storage on PostgreSQL too."""

from __future__ import annotations

import json
import os

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from orchestration.instance import PG_URL_ENV
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.e2e.activation import PLATFORMS, run_job, write_calls
from tests.integration.destinations import memberships
from warehouse import Warehouse

pytestmark = pytest.mark.slow

TAG = "omnihub-returning"


def _run_daily() -> object:
    from orchestration.summary import run_daily_job

    result = run_daily_job(DagsterInstance.ephemeral())
    failures = [e for e in result.all_events if e.is_step_failure]
    assert result.success, [f.event_specific_data.error.message for f in failures]
    return result


def _world_customers(server: EmulatorServer) -> dict[str, dict]:
    with WorldStore(server.world_dir) as world:
        rows = world.conn.execute(
            "select id, payload from records "
            "where platform = 'shopify' and stream = 'customers' and deleted = 0"
        ).fetchall()
    return {row[0]: json.loads(row[1]) for row in rows}


def _tags(payload: dict) -> set[str]:
    return {t.strip() for t in (payload.get("tags") or "").split(",") if t.strip()}


def _tag_writes(server: EmulatorServer) -> list[dict]:
    with WorldStore(server.world_dir) as world:
        return [w for w in world.writes("shopify") if w["method"] != "GET"]


def test_slice_lands_builds_and_syncs_exactly_the_audience(sandbox_env: EmulatorServer) -> None:
    before = _world_customers(sandbox_env)
    result = _run_daily()

    # every dbt test ran as an asset check and passed
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)

    # raw landing holds every customer the platform has
    wh = Warehouse.from_env()
    with wh.transaction() as conn:
        raw_ids = {r[0] for r in conn.execute(sa.text("select id from raw.shopify__customers"))}
        audience = {
            r[0]
            for r in conn.execute(
                sa.text(
                    "select shopify_customer_id from audiences.returning_customers "
                    "where shopify_customer_id is not null"
                )
            )
        }
    assert raw_ids == set(before)

    # the audience holds every shop customer with 2+ orders (and those who reach
    # 2 with store orders: the count is online and in store together)
    shop_returning = {cid for cid, c in before.items() if int(c.get("orders_count") or 0) >= 2}
    assert shop_returning and shop_returning <= audience
    expected = audience

    # the destination now carries the tag on exactly those customers, others' tags intact
    after = _world_customers(sandbox_env)
    tagged = {cid for cid, c in after.items() if TAG in _tags(c)}
    assert tagged == expected
    for cid, c in after.items():
        assert _tags(before[cid]) - {TAG} <= _tags(c)

    # an immediate rerun has nothing to send
    writes_after_first = len(_tag_writes(sandbox_env))
    _run_daily()
    assert len(_tag_writes(sandbox_env)) == writes_after_first


@pytest.mark.xfail(
    strict=True,
    reason="known bug: the rerun after a run that created Klaviyo profiles re-imports them "
    "(~200 writes): klaviyo_profile_id, now known from ingest, changes the rows' checksums",
)
def test_every_destination_holds_exactly_its_audience_and_a_rerun_writes_nothing(
    sandbox_env: EmulatorServer,
    dagster_instance: DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with WorldStore(sandbox_env.world_dir) as world:
        monkeypatch.setenv("OMNIHUB_AS_OF", world.now())  # windows do not move between runs
    first = run_job(dagster_instance, "daily")

    wh = Warehouse.from_env()
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
    assert write_calls(sandbox_env) == writes  # not a single write call, at any platform

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
