"""Square customer groups against the emulator."""

from __future__ import annotations

from connectors.square.destination import make_destination
from connectors.sync.destination import Member
from connectors.sync.engine import SyncSpec, run_sync
from connectors.sync.state import SyncState
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration.helpers import world_ids
from tests.integration.sync_world import gate_relations, write_calls
from warehouse import Warehouse

SPEC = SyncSpec(
    "vip__square__customer_group__omnihub-vip",
    "square",
    "customer_group",
    "omnihub-vip",
    "mirror",
    "square_customer_id",
)


def _group(world: WorldStore) -> str:
    [group] = world.named("square", "customer_groups", "omnihub-vip")
    return group.id


def test_add_remove_members_read_back(emulator: EmulatorServer, world: WorldStore) -> None:
    customers = world_ids(world, "square", "customers")[:5]
    dest = make_destination(SPEC, emulator.env())
    outcomes = dest.add([{"square_customer_id": c} for c in [*customers, "NOT-A-CUSTOMER"]])
    assert [o.confirmed for o in outcomes] == [True] * 5 + [False]
    assert outcomes[-1].skipped
    assert world.in_group(_group(world)) == sorted(customers) == sorted(dest.members())

    assert all(o.confirmed for o in dest.remove([Member(c, "", c) for c in customers[:2]]))
    assert world.in_group(_group(world)) == sorted(customers[2:]) == sorted(dest.members())
    make_destination(SPEC, emulator.env()).group_id()
    assert len(world.named("square", "customer_groups", "omnihub-vip")) == 1  # never twice


def test_engine_twice_and_state_equals_the_group(
    emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    customers = world_ids(world, "square", "customers")[:6]
    rows = [{"customer_id": f"h{i}", "square_customer_id": c} for i, c in enumerate(customers)]
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in rows])
    first = run_sync(SPEC, rows, make_destination(SPEC, emulator.env()), duckdb_warehouse)
    assert first.confirmed == 6
    writes = len(write_calls(emulator, "square"))
    second = run_sync(SPEC, rows, make_destination(SPEC, emulator.env()), duckdb_warehouse)
    assert second.api_calls == 0 and len(write_calls(emulator, "square")) == writes

    # a customer deleted at Square, and one added to the group by hand
    gone = world.get_record("square", "customers", customers[0])
    stray = world_ids(world, "square", "customers")[10]
    with world.transaction():
        world.put_records([type(gone)(**{**gone.__dict__, "deleted": True})])
    make_destination(SPEC, emulator.env()).add([{"square_customer_id": stray}])
    reconciled = run_sync(
        SPEC, rows[1:], make_destination(SPEC, emulator.env()), duckdb_warehouse, reconcile=True
    )
    assert reconciled.drift_removed == 1  # the stray, nobody synced it
    state = {m.ref for m in SyncState(duckdb_warehouse).members(SPEC.name).values()}
    assert world.in_group(_group(world)) == sorted(state) == sorted(customers[1:])
