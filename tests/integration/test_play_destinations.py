"""The destinations the cross-channel plays added, against the emulator over HTTP:
Meta value-based audiences (play 4) and Square customer custom attributes (play 6),
read back from what the emulator stored, through the real engine twice."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl

from connectors.meta_ads.destination import make_destination as meta_destination
from connectors.square.destination import SCHEMA_BASE, UPSERTS_PER_CALL
from connectors.square.destination import make_destination as square_destination
from connectors.sync.destination import Member
from connectors.sync.engine import SyncSpec, run_sync
from sandbox.api.square import ATTRIBUTES, DEFINITIONS
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration.helpers import platform_session, world_ids
from tests.integration.sync_world import gate_relations, write_calls
from warehouse import Warehouse

SEED = SyncSpec(
    "seed__meta_ads__custom_audience__omnihub-seed",
    "meta_ads",
    "custom_audience",
    "omnihub-seed",
    "mirror",
    "customer_id",
    ("email", "phone_e164", "lookalike_value"),
)
CONTEXT = SyncSpec(
    "ctx__square__customer_custom_attributes__omnihub",
    "square",
    "customer_custom_attributes",
    "omnihub",
    "upsert",
    "square_customer_id",
    ("loyalty_tier", "online_lifetime_value", "recent_cart_products"),
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _seed_rows(values: list[float]) -> list[dict]:
    return [
        {
            "customer_id": f"c{i}",
            "email": f"P{i}@Example.com",
            "phone_e164": None,
            "lookalike_value": v,
        }
        for i, v in enumerate(values)
    ]


def _values(world: WorldStore) -> dict[str, float]:
    [audience_id] = world.audiences_named("meta_ads", "omnihub-seed")
    assert world.get_audience("meta_ads", audience_id)["payload"]["is_value_based"] is True
    return {key: value for (_, key), value in world.member_values("meta_ads", audience_id).items()}


def test_value_based_audience_carries_each_members_value(
    emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    rows = _seed_rows([1250.5, 80, 0])
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in rows])
    first = run_sync(SEED, rows, meta_destination(SEED, emulator.env()), duckdb_warehouse)
    assert first.confirmed == 3
    assert _values(world) == {_sha(f"p{i}@example.com"): v for i, v in enumerate([1250.5, 80, 0])}
    upload = next(w for w in write_calls(emulator, "meta_ads") if w["path"].endswith("/users"))
    payload = json.loads(dict(parse_qsl(upload["body"]))["payload"])
    assert payload["schema"] == ["EMAIL", "PHONE", "LOOKALIKE_VALUE"]  # the value last, unhashed
    assert payload["data"][0] == [_sha("p0@example.com"), "", 1250.5]

    writes = len(write_calls(emulator, "meta_ads"))
    again = run_sync(SEED, rows, meta_destination(SEED, emulator.env()), duckdb_warehouse)
    assert again.api_calls == 0 and len(write_calls(emulator, "meta_ads")) == writes

    # a value changes, a member leaves: the new value replaces the old; removal sends hashes only
    changed = [{**rows[0], "lookalike_value": 99.5}, rows[1]]
    run_sync(SEED, changed, meta_destination(SEED, emulator.env()), duckdb_warehouse)
    assert _values(world) == {_sha("p0@example.com"): 99.5, _sha("p1@example.com"): 80}
    deletes = [w for w in write_calls(emulator, "meta_ads") if w["method"] == "DELETE"]
    assert deletes and all(
        json.loads(dict(parse_qsl(w["body"]))["payload"])["schema"] == ["EMAIL", "PHONE"]
        for w in deletes
    )


def test_a_row_without_a_value_is_skipped_not_sent(emulator: EmulatorServer) -> None:
    dest = meta_destination(SEED, emulator.env())
    outcomes = dest.add([*_seed_rows([10, -5]), {**_seed_rows([1])[0], "lookalike_value": None}])
    assert [o.confirmed for o in outcomes] == [True, False, False]
    assert outcomes[1].skipped and outcomes[2].skipped


def _attributes(world: WorldStore, customer: str) -> dict[str, object]:
    rows = world.conn.execute(
        "select payload from records where platform = 'square' and stream = ? and deleted = 0 "
        "and json_extract(payload, '$.customer_id') = ?",
        (ATTRIBUTES, customer),
    )
    return {p["key"]: p["value"] for p in (json.loads(r[0]) for r in rows)}


def test_custom_attributes_defined_once_upserted_in_25s_and_cleared(
    emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    customers = world_ids(world, "square", "customers")[:10]
    rows = [
        {
            "customer_id": f"h{i}",
            "square_customer_id": c,
            "loyalty_tier": "gold" if i % 2 else "member",
            "online_lifetime_value": 1234.5 + i,
            "recent_cart_products": "Anorak, Boots" if i == 0 else None,
        }
        for i, c in enumerate(customers)
    ]
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in rows])
    first = run_sync(CONTEXT, rows, square_destination(CONTEXT, emulator.env()), duckdb_warehouse)
    assert first.confirmed == 10
    assert _attributes(world, customers[0]) == {
        "loyalty_tier": "member",
        "online_lifetime_value": "1234.5",  # Square's Number: a string
        "recent_cart_products": "Anorak, Boots",
    }
    assert _attributes(world, customers[3]) == {
        "loyalty_tier": "gold",
        "online_lifetime_value": "1237.5",
    }
    definitions = world.conn.execute(
        "select id, payload from records where platform = 'square' and stream = ?", (DEFINITIONS,)
    ).fetchall()
    kinds = {key: json.loads(p)["schema"]["$ref"].rsplit(".", 1)[-1] for key, p in definitions}
    assert kinds == {
        "loyalty_tier": "String",
        "online_lifetime_value": "Number",
        "recent_cart_products": "String",
    }
    upserts = [w for w in write_calls(emulator, "square") if w["path"].endswith("bulk-upsert")]
    assert all(len(json.loads(w["body"])["values"]) <= UPSERTS_PER_CALL for w in upserts)

    writes = len(write_calls(emulator, "square"))
    again = run_sync(CONTEXT, rows, square_destination(CONTEXT, emulator.env()), duckdb_warehouse)
    assert again.api_calls == 0 and len(write_calls(emulator, "square")) == writes

    # the cart is bought: its products are deleted from the profile, the rest kept
    rows[0] = {**rows[0], "recent_cart_products": None, "loyalty_tier": "silver"}
    run_sync(CONTEXT, rows, square_destination(CONTEXT, emulator.env()), duckdb_warehouse)
    assert _attributes(world, customers[0]) == {
        "loyalty_tier": "silver",
        "online_lifetime_value": "1234.5",
    }
    definitions_after = world.conn.execute(
        "select count(*) from records where platform = 'square' and stream = ?", (DEFINITIONS,)
    ).fetchone()[0]
    assert definitions_after == 3  # never created twice

    dest = square_destination(CONTEXT, emulator.env())
    assert all(o.confirmed for o in dest.remove([Member("x", "", customers[2])]))
    assert _attributes(world, customers[2]) == {}
    [unknown] = dest.add([{**rows[1], "square_customer_id": "NOT-A-CUSTOMER"}])
    assert unknown.skipped and not unknown.confirmed  # Square does not know them: nothing stored


def test_definition_created_meanwhile_is_used(emulator: EmulatorServer, world: WorldStore) -> None:
    customer = world_ids(world, "square", "customers")[0]
    row = {
        "square_customer_id": customer,
        "loyalty_tier": "gold",
        "online_lifetime_value": 1,
        "recent_cart_products": None,
    }
    first = square_destination(CONTEXT, emulator.env())
    first.types([row])
    late = square_destination(CONTEXT, emulator.env())
    late._definitions = lambda: iter(())  # type: ignore[method-assign]  # listed before the other run created them
    assert late.add([row])[0].confirmed  # the 409 CONFLICT is taken as "exists"
    assert _attributes(world, customer) == {"loyalty_tier": "gold", "online_lifetime_value": "1"}
    conflicts = [w for w in write_calls(emulator, "square") if w["status"] == 409]
    assert len(conflicts) == 3


def test_square_refuses_what_its_reference_refuses(
    emulator: EmulatorServer, world: WorldStore
) -> None:
    """More than 25 upserts, a value not of its definition's type, a definition
    twice: refused with Square's error shapes, nothing stored."""
    s = platform_session("square")
    base = f"{emulator.url}/square/v2/customers"
    definition = {
        "key": "tier",
        "schema": {"$ref": SCHEMA_BASE + "String"},
        "name": "Tier",
        "description": "test",
        "visibility": "VISIBILITY_READ_ONLY",
    }
    made = s.post(
        f"{base}/custom-attribute-definitions", json={"custom_attribute_definition": definition}
    )
    assert made.status_code == 200 and made.json()["custom_attribute_definition"]["version"] == 1
    again = s.post(
        f"{base}/custom-attribute-definitions", json={"custom_attribute_definition": definition}
    )
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "CONFLICT"
    customer = world_ids(world, "square", "customers")[0]
    upsert = {"customer_id": customer, "custom_attribute": {"key": "tier", "value": "gold"}}
    too_many = s.post(
        f"{base}/custom-attributes/bulk-upsert",
        json={"values": {str(i): upsert for i in range(26)}},
    )
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["field"] == "values"
    wrong = {"customer_id": customer, "custom_attribute": {"key": "tier", "value": 7}}
    answer = s.post(
        f"{base}/custom-attributes/bulk-upsert", json={"values": {"a": wrong, "b": upsert}}
    )
    assert answer.status_code == 200
    values = answer.json()["values"]
    assert values["a"]["errors"][0]["code"] == "INVALID_VALUE"
    assert values["b"]["custom_attribute"] == {
        **values["b"]["custom_attribute"],
        "key": "tier",
        "value": "gold",
        "version": 1,
    }
    listed = s.get(f"{base}/{customer}/custom-attributes").json()["custom_attributes"]
    assert [(a["key"], a["value"]) for a in listed] == [("tier", "gold")]


def test_meta_takes_values_only_on_value_based_audiences(emulator: EmulatorServer) -> None:
    plain = SyncSpec(
        "plain", "meta_ads", "custom_audience", "omnihub-plain", "mirror", "customer_id", ("email",)
    )
    audience = meta_destination(plain, emulator.env()).audience_id()
    s = platform_session("meta")
    payload = {"schema": ["EMAIL", "LOOKALIKE_VALUE"], "data": [[_sha("a@example.com"), 5]]}
    refused = s.post(
        f"{emulator.url}/meta/v23.0/{audience}/users", data={"payload": json.dumps(payload)}
    )
    assert refused.status_code == 400 and "value-based" in refused.json()["error"]["message"]
    seed = meta_destination(SEED, emulator.env()).audience_id()
    missing = {"schema": ["EMAIL"], "data": [[_sha("a@example.com")]]}
    refused = s.post(
        f"{emulator.url}/meta/v23.0/{seed}/users", data={"payload": json.dumps(missing)}
    )
    assert refused.status_code == 400 and "LOOKALIKE_VALUE" in refused.json()["error"]["message"]
    negative = {"schema": ["EMAIL", "LOOKALIKE_VALUE"], "data": [[_sha("a@example.com"), -1]]}
    answer = s.post(
        f"{emulator.url}/meta/v23.0/{seed}/users", data={"payload": json.dumps(negative)}
    )
    assert answer.json()["num_invalid_entries"] == 1
