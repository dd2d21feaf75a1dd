"""Zendesk user tags and user fields against the emulator."""

from __future__ import annotations

from connectors.sync.destination import Member
from connectors.sync.engine import SyncSpec, run_sync
from connectors.zendesk.destination import make_destination
from sandbox.server import EmulatorServer
from sandbox.store import Record, WorldStore
from tests.integration.helpers import world_ids
from tests.integration.sync_world import gate_relations, write_calls
from warehouse import Warehouse

TAG = SyncSpec(
    "vip__zendesk__user_tag__omnihub_vip",
    "zendesk",
    "user_tag",
    "omnihub_vip",
    "mirror",
    "zendesk_user_id",
)
FIELDS = SyncSpec(
    "loyal__zendesk__user_field__loyalty",
    "zendesk",
    "user_field",
    "loyalty",
    "upsert",
    "zendesk_user_id",
    ("loyalty_tier", "lifetime_value"),
)


def _retag(world: WorldStore, user_id: str, tags: list[str]) -> None:
    """Tags an agent set by hand."""
    record = world.get_record("zendesk", "users", user_id)
    with world.transaction():
        world.put_records(
            [Record(**{**record.__dict__, "payload": {**record.payload, "tags": tags}})]
        )


def _delete(world: WorldStore, user_id: str) -> None:
    record = world.get_record("zendesk", "users", user_id)
    with world.transaction():
        world.put_records([Record(**{**record.__dict__, "deleted": True})])


def test_tags_add_and_remove_leave_other_tags(emulator: EmulatorServer, world: WorldStore) -> None:
    users = world_ids(world, "zendesk", "users")[:4]
    _retag(world, users[0], ["agent_note", "billing"])
    _delete(world, users[3])
    dest = make_destination(TAG, emulator.env())
    outcomes = dest.add([{"zendesk_user_id": u} for u in users])
    assert [o.confirmed for o in outcomes] == [True, True, True, False] and outcomes[3].skipped
    assert world.tagged("zendesk", "users", "omnihub_vip") == sorted(users[:3])
    tags = world.get_record("zendesk", "users", users[0]).payload["tags"]
    assert tags == ["agent_note", "billing", "omnihub_vip"]  # nobody else's tag clobbered

    removed = dest.remove([Member(u, "", u) for u in (users[0], users[3])])
    assert [o.confirmed for o in removed] == [True, True]  # the deleted user: done
    assert world.get_record("zendesk", "users", users[0]).payload["tags"] == [
        "agent_note",
        "billing",
    ]
    assert world.tagged("zendesk", "users", "omnihub_vip") == sorted(users[1:3])
    assert all(w["method"] in ("PUT", "DELETE") for w in write_calls(emulator, "zendesk"))


def test_engine_twice_second_run_writes_nothing(
    emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    users = world_ids(world, "zendesk", "users")[:5]
    rows = [{"customer_id": f"h{i}", "zendesk_user_id": u} for i, u in enumerate(users)]
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in rows])
    assert (
        run_sync(TAG, rows, make_destination(TAG, emulator.env()), duckdb_warehouse).confirmed == 5
    )
    writes = len(write_calls(emulator, "zendesk"))
    second = run_sync(TAG, rows, make_destination(TAG, emulator.env()), duckdb_warehouse)
    assert second.api_calls == 0 and len(write_calls(emulator, "zendesk")) == writes
    run_sync(TAG, rows[2:], make_destination(TAG, emulator.env()), duckdb_warehouse)
    assert world.tagged("zendesk", "users", "omnihub_vip") == sorted(users[2:])


def test_user_fields_defined_once_written_and_cleared(
    emulator: EmulatorServer, world: WorldStore
) -> None:
    users = world_ids(world, "zendesk", "users")[:3]
    _delete(world, users[2])
    rows = [
        {"zendesk_user_id": users[0], "loyalty_tier": "gold", "lifetime_value": 1250.5},
        {"zendesk_user_id": users[1], "loyalty_tier": "silver", "lifetime_value": None},
        {"zendesk_user_id": users[2], "loyalty_tier": "gold", "lifetime_value": 9.0},
    ]
    dest = make_destination(FIELDS, emulator.env())
    ok, also, gone = dest.add(rows)
    assert ok.confirmed and also.confirmed and gone.skipped
    fields = world.get_record("zendesk", "users", users[0]).payload["user_fields"]
    assert fields["loyalty_tier"] == "gold" and fields["lifetime_value"] == 1250.5
    [definition] = world.named("zendesk", "user_fields", "lifetime_value")
    assert definition.payload["type"] == "decimal"

    rows[1]["loyalty_tier"] = "gold"
    assert all(o.confirmed for o in make_destination(FIELDS, emulator.env()).update(rows[1:2]))
    assert world.get_record("zendesk", "users", users[1]).payload["user_fields"][
        "loyalty_tier"
    ] == ("gold")
    assert len(world.named("zendesk", "user_fields", "loyalty_tier")) == 1  # created once
    removed = dest.remove([Member(users[0], "", users[0]), Member(users[2], "", users[2])])
    assert [o.confirmed for o in removed] == [True, True]
    cleared = world.get_record("zendesk", "users", users[0]).payload["user_fields"]
    assert cleared["loyalty_tier"] is None and cleared["lifetime_value"] is None
