"""Meta custom audiences against the emulator: only hashes arrive, the audience
holds exactly what was sent, replace reconciles, 471 stops everything."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from connectors.meta_ads.destination import make_destination
from connectors.sync.destination import DestinationRefused, Member
from connectors.sync.engine import SyncSpec, run_sync
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration.sync_world import gate_relations, write_calls
from warehouse import Warehouse

SPEC = SyncSpec(
    "lapsed__meta_ads__custom_audience__omnihub-lapsed",
    "meta_ads",
    "custom_audience",
    "omnihub-lapsed",
    "mirror",
    "customer_id",
    ("email", "phone_e164", "first_name", "last_name"),
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _rows(n: int) -> list[dict]:
    return [
        {
            "customer_id": f"c{i}",
            "email": f" Person.{i}@Example.com ",
            "phone_e164": f"+1555010{i:04d}",
            "first_name": "Zoë",
            "last_name": "O'Hara",
        }
        for i in range(n)
    ]


def _audience(world: WorldStore) -> str:
    [audience_id] = world.audiences_named("meta_ads", "omnihub-lapsed")
    return audience_id


def _held(world: WorldStore) -> set[tuple[str, str]]:
    return set(world.members("meta_ads", _audience(world)))


def _expected(rows: list[dict]) -> set[tuple[str, str]]:
    """One member per person, by the strongest key each row carried (its email)."""
    return {("EMAIL", _sha(r["email"].strip().lower())) for r in rows}


def _sent_row(row: dict) -> list[str]:
    email, phone = row["email"].strip().lower(), row["phone_e164"].lstrip("+")
    return [_sha(email), _sha(phone), _sha("zoë"), _sha("ohara")]


def _no_plaintext(emulator: EmulatorServer) -> None:
    for write in write_calls(emulator, "meta_ads"):
        if "/users" not in write["path"]:
            continue
        payload = json.loads(dict(_form(write["body"]))["payload"])
        for row in payload["data"]:
            assert all(v == "" or re.fullmatch(r"[0-9a-f]{64}", v) for v in row), write["path"]


def _form(body: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body)


def test_add_remove_replace_read_back(emulator: EmulatorServer, world: WorldStore) -> None:
    rows = _rows(6)
    dest = make_destination(SPEC, emulator.env())
    outcomes = dest.add(rows)
    assert all(o.confirmed for o in outcomes)
    assert _held(world) == _expected(rows)
    [upload] = [w for w in write_calls(emulator, "meta_ads") if w["path"].endswith("/users")]
    payload = json.loads(dict(_form(upload["body"]))["payload"])
    assert payload["schema"] == ["EMAIL", "PHONE", "FN", "LN"]
    assert payload["data"] == [_sent_row(r) for r in rows]  # normalized exactly, then hashed
    assert dest.report()["meta_match_rate"] == 1.0

    assert all(o.confirmed for o in dest.remove([Member(o.key, "", o.ref) for o in outcomes[:2]]))
    assert _held(world) == _expected(rows[2:])

    replaced = dest.replace(rows[4:] + _rows(8)[6:])
    assert all(o.confirmed for o in replaced)
    assert _held(world) == _expected(rows[4:] + _rows(8)[6:])
    _no_plaintext(emulator)

    make_destination(SPEC, emulator.env()).add(rows[:1])  # a later run: same audience
    creates = [
        w for w in write_calls(emulator, "meta_ads") if w["path"].endswith("customaudiences")
    ]
    assert len(creates) == 1 and len(world.audiences_named("meta_ads", "omnihub-lapsed")) == 1


def test_restricted_audience_refuses_and_sends_nothing(
    emulator: EmulatorServer, world: WorldStore
) -> None:
    make_destination(SPEC, emulator.env()).add(_rows(1))
    audience = world.get_audience("meta_ads", _audience(world))
    flagged = {**audience["payload"], "operation_status": {"code": 471, "description": "Flagged"}}
    world.put_audience(
        "meta_ads",
        audience["id"],
        name=audience["name"],
        payload=flagged,
        account_id=audience["account_id"],
    )
    writes = len(write_calls(emulator, "meta_ads"))
    with pytest.raises(DestinationRefused, match="471"):
        make_destination(SPEC, emulator.env()).add(_rows(3))
    assert len(write_calls(emulator, "meta_ads")) == writes

    dest = make_destination(SPEC, emulator.env())
    dest._audience_id = audience["id"]  # an instance that found it before it was flagged
    with pytest.raises(DestinationRefused):
        dest.add(_rows(3))
    assert [w["status"] for w in write_calls(emulator, "meta_ads")][writes:] == [400]


def test_engine_twice_then_a_reconciliation_replaces(
    emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    rows = _rows(5)
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in rows])
    first = run_sync(SPEC, rows, make_destination(SPEC, emulator.env()), duckdb_warehouse)
    assert first.confirmed == 5 and first.destination_report["meta_rows_sent"] == 5
    writes = len(write_calls(emulator, "meta_ads"))
    second = run_sync(SPEC, rows, make_destination(SPEC, emulator.env()), duckdb_warehouse)
    assert second.api_calls == 0 and len(write_calls(emulator, "meta_ads")) == writes

    # someone adds a hash by hand at Meta: only a replace can take it away
    stray = ("EMAIL", _sha("stray@example.com"))
    with world.transaction():
        world.add_members("meta_ads", _audience(world), [stray])
    reconciled = run_sync(
        SPEC, rows[:4], make_destination(SPEC, emulator.env()), duckdb_warehouse, reconcile=True
    )
    assert reconciled.confirmed == 4
    assert _held(world) == _expected(rows[:4])
    _no_plaintext(emulator)
