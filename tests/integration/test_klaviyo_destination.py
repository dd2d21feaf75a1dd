"""Klaviyo destinations against the emulator: what was sent is what the world
holds, consent is never touched, and the real engine's second run writes nothing."""

from __future__ import annotations

from connectors.klaviyo.destination import make_destination
from connectors.sync.destination import Member
from connectors.sync.engine import SyncSpec, run_sync
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration.helpers import world_ids
from tests.integration.sync_world import gate_relations, write_calls
from warehouse import Warehouse

FIELDS = ("email", "phone_e164", "klaviyo_profile_id", "first_name", "abandoned_products")
LIST = SyncSpec(
    "cart__klaviyo__list__omnihub-cart",
    "klaviyo",
    "list",
    "omnihub-cart",
    "mirror",
    "customer_id",
    FIELDS,
)


def _subscriptions(world: WorldStore, profile_id: str) -> object:
    return (
        world.get_record("klaviyo", "profiles", profile_id)
        .payload["attributes"]
        .get("subscriptions")
    )


def _rows(world: WorldStore, n: int = 4) -> list[dict]:
    rows = [
        {
            "customer_id": f"c{i}",
            "klaviyo_profile_id": pid,
            "first_name": None,
            "abandoned_products": [f"Product {i}"],
        }
        for i, pid in enumerate(world_ids(world, "klaviyo", "profiles")[:n])
    ]
    rows.append(
        {"customer_id": "c-new", "email": "Brand.New@example.org", "abandoned_products": ["Hat"]}
    )
    return rows


def _list_members(world: WorldStore, name: str) -> set[str]:
    [record] = world.named("klaviyo", "lists", name)
    return {key for _, key in world.members("klaviyo", record.id, "profile")}


def test_list_add_update_remove_read_back(emulator: EmulatorServer, world: WorldStore) -> None:
    rows = _rows(world)
    before = {
        r["klaviyo_profile_id"]: _subscriptions(world, r["klaviyo_profile_id"])
        for r in rows
        if r.get("klaviyo_profile_id")
    }
    dest = make_destination(LIST, emulator.env())
    outcomes = dest.add(rows)
    assert all(o.confirmed for o in outcomes)
    refs = {o.ref for o in outcomes}
    assert _list_members(world, "omnihub-cart") == refs == set(dest.members())
    created = world.get_record("klaviyo", "profiles", outcomes[-1].ref).payload["attributes"]
    assert created["email"] == "Brand.New@example.org"
    assert created["properties"] == {"abandoned_products": ["Hat"]}
    for pid, subs in before.items():  # membership is not consent: nothing changed
        assert _subscriptions(world, pid) == subs

    rows[0]["abandoned_products"] = ["Product 0", "Scarf"]
    [updated] = dest.update(rows[:1])
    assert updated.confirmed and updated.ref == outcomes[0].ref
    props = world.get_record("klaviyo", "profiles", updated.ref).payload["attributes"]["properties"]
    assert props["abandoned_products"] == ["Product 0", "Scarf"]

    gone = [Member(o.key, "", o.ref) for o in outcomes[:2]]
    assert all(o.confirmed for o in dest.remove(gone))
    assert _list_members(world, "omnihub-cart") == refs - {o.ref for o in outcomes[:2]}
    assert set(dest.members()) == _list_members(world, "omnihub-cart")
    assert len(world.named("klaviyo", "lists", "omnihub-cart")) == 1
    again = make_destination(LIST, emulator.env())
    assert again.list_id() == dest.list_id()  # found by name, not created twice
    assert len(world.named("klaviyo", "lists", "omnihub-cart")) == 1


def test_engine_twice_second_run_writes_nothing(
    emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    rows = _rows(world)
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in rows])
    first = run_sync(LIST, rows, make_destination(LIST, emulator.env()), duckdb_warehouse)
    assert first.confirmed == len(rows) and first.rejected == 0
    writes = len(write_calls(emulator, "klaviyo"))
    second = run_sync(LIST, rows, make_destination(LIST, emulator.env()), duckdb_warehouse)
    assert second.planned_adds == second.planned_updates == second.planned_removes == 0
    assert len(write_calls(emulator, "klaviyo")) == writes and second.api_calls == 0

    # the destination holds exactly the audience; leaving it is a removal there
    third = run_sync(LIST, rows[1:], make_destination(LIST, emulator.env()), duckdb_warehouse)
    assert third.planned_removes == 1 and third.confirmed == 1
    state = {m.ref for m in _state(duckdb_warehouse, LIST.name)}
    assert _list_members(world, "omnihub-cart") == state and len(state) == len(rows) - 1


def _state(wh: Warehouse, name: str) -> list[Member]:
    from connectors.sync.state import SyncState

    return list(SyncState(wh).members(name).values())


def test_suppression_suppresses_and_removal_never_unsuppresses(
    emulator: EmulatorServer, world: WorldStore
) -> None:
    spec = SyncSpec(
        "unsub__klaviyo__suppression__x",
        "klaviyo",
        "suppression",
        "x",
        "add_only",
        "customer_id",
        ("email",),
    )
    pid = world_ids(world, "klaviyo", "profiles")[0]
    email = world.get_record("klaviyo", "profiles", pid).payload["attributes"]["email"]
    dest = make_destination(spec, emulator.env())
    [outcome] = dest.add([{"customer_id": "c1", "email": email.upper()}])
    assert outcome.confirmed
    marketing = _subscriptions(world, pid)["email"]["marketing"]
    assert marketing["can_receive_email_marketing"] is False
    writes = len(write_calls(emulator, "klaviyo"))
    [kept] = dest.remove([Member("c1", "s", None)])
    assert kept.skipped and not kept.confirmed
    assert len(write_calls(emulator, "klaviyo")) == writes  # nothing sent at all
    assert _subscriptions(world, pid)["email"]["marketing"]["can_receive_email_marketing"] is False


def test_profile_properties_upsert_then_unset(emulator: EmulatorServer, world: WorldStore) -> None:
    spec = SyncSpec(
        "aff__klaviyo__profile_properties__a",
        "klaviyo",
        "profile_properties",
        "omnihub_affinity",
        "upsert",
        "customer_id",
        ("email", "klaviyo_profile_id", "affinity_category"),
    )
    pid = world_ids(world, "klaviyo", "profiles")[1]
    dest = make_destination(spec, emulator.env())
    [added] = dest.add(
        [{"customer_id": "c1", "klaviyo_profile_id": pid, "affinity_category": "footwear"}]
    )
    assert added.confirmed and added.ref == pid
    attributes = world.get_record("klaviyo", "profiles", pid).payload["attributes"]
    assert attributes["properties"]["affinity_category"] == "footwear"
    [removed] = dest.remove([Member("c1", "s", pid)])
    assert removed.confirmed
    attributes = world.get_record("klaviyo", "profiles", pid).payload["attributes"]
    assert "affinity_category" not in (attributes.get("properties") or {})
