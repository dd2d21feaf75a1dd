"""The first slice end to end through the real Dagster job: Shopify customers from
the emulator -> raw -> dbt (staging, audience, tests as checks) -> Shopify tags."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
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
