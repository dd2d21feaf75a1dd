"""Audiences and suppression lists on a real build of a sandbox world.

The world is ingested through the real connectors from the emulator, dbt builds
every model (data tests and unit tests included), and then:
- every audience equals what the world's own records say it should hold, for
  every person identity resolution got exactly right;
- no audience holds anyone its suppression lists exclude, nor anyone erased.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from orchestration.defs.activation.declarations import load_declarations
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from sandbox.world import advance, generate
from tests.integration import audience_truth
from tests.integration.pipeline import PROJECT, ingest_world, run_dbt
from warehouse import Warehouse, erasure

PEOPLE = 2500


@dataclass
class Built:
    warehouse: Warehouse
    world: audience_truth.World
    customer_of: dict[str, str]
    person_of_customer: dict[str, int]
    """customer_id -> person, for customers that are exactly one whole person."""
    erased_customer: str


def _rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.transaction() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    base = tmp_path_factory.mktemp("audiences")
    world_dir = base / "world"
    generate(world_dir, people=PEOPLE, seed=13)
    advance(world_dir, days=2)  # fresh carts, solved tickets, unsubscribes, a deletion
    warehouse = Warehouse.duckdb(base / "warehouse.duckdb")
    with EmulatorServer(world_dir) as server:
        with WorldStore(world_dir) as store:
            env = {**server.env(), "OMNIHUB_AS_OF": store.now(), "OMNIHUB_DATA_DIR": str(base)}
        ingest_world(env, warehouse)
    run_dbt(warehouse, env, "run", "--select", "+customers")
    # someone with two orders asks to be forgotten, by the email one platform has
    erased_customer, email = _rows(
        warehouse,
        "select customer_id, email from customers.customers "
        "where orders_total >= 2 and email is not null order by customer_id limit 1",
    )[0]
    erasure.request(warehouse, "email", email.upper(), note="test")
    run_dbt(warehouse, env, "build")

    world = audience_truth.load(world_dir)
    customer_of = dict(
        _rows(
            warehouse,
            "select record_key, customer_id from intermediate.int_identity__assignments "
            "where is_current",
        )
    )
    records_of: dict[str, set[str]] = defaultdict(set)
    for record, customer in customer_of.items():
        records_of[customer].add(record)
    whole: dict[str, int] = {}
    for person_id, person in world.people.items():
        customers = {customer_of.get(r) for r in person.records}
        if person.lost_a_record or len(customers) != 1 or None in customers:
            continue
        (customer,) = customers
        if records_of[customer] == person.records:
            whole[customer] = person_id
    yield Built(warehouse, world, customer_of, whole, erased_customer)
    warehouse.dispose()


def _members(built: Built, relation: str, where: str = "") -> set[str]:
    sql = f"select customer_id from {relation}" + (f" where {where}" if where else "")
    return {r[0] for r in _rows(built.warehouse, sql)}


CHECKED = [
    "audiences.new_customers",
    "audiences.returning_customers",
    "audiences.recent_product_buyers",
    "audiences.lapsed_customers",
    "audiences.unhappy_customers",
    "audiences.cart_abandoners",
    "audiences.cart_abandoners_followup",
    "audiences.cross_sell",
    "suppressions.suppress_open_ticket_promo_hold",
    "suppressions.suppress_recent_purchasers",
]


def test_identity_got_most_people_exactly_right(built: Built) -> None:
    # the comparison below is only meaningful if it covers most of the world
    assert len(built.person_of_customer) >= 0.85 * len(built.world.people)


@pytest.mark.parametrize("relation", CHECKED)
def test_audience_equals_the_world_for_people_resolved_exactly(built: Built, relation: str) -> None:
    name = relation.split(".", 1)[1]
    truth = audience_truth.expected(built.world)
    whole = built.person_of_customer
    people_whole = set(whole.values())
    erased_person = whole.get(built.erased_customer)
    got = {whole[c] for c in _members(built, relation) if c in whole}
    want = (truth.get(name, set()) & people_whole) - {erased_person}
    print(f"{relation}: {len(got)} of the exactly-resolved people, as the world says")
    assert got == want, (
        f"{relation}: {len(got)} people, the world says {len(want)}; "
        f"only in dbt: {sorted(got - want)[:5]}, only in the world: {sorted(want - got)[:5]}"
    )
    if name not in ("cart_abandoners", "cart_abandoners_followup"):
        # time-boxed carts are few in a small world; every other rule must bite
        assert want, f"{relation} is empty in the world: the test would prove nothing"


def test_cart_abandoners_are_not_empty(built: Built) -> None:
    assert _members(built, "audiences.cart_abandoners")


def test_product_buyer_suppressions_equal_the_world(built: Built) -> None:
    truth = audience_truth.expected(built.world)
    whole = built.person_of_customer
    people_whole = set(whole.values())
    rows = _rows(
        built.warehouse, "select customer_id, product_sku from suppressions.suppress_product_buyers"
    )
    for sku in built.world.var("advertised_skus"):
        got = {whole[c] for c, s in rows if s == sku and c in whole}
        want = truth.get(f"suppress_product_buyers:{sku}", set()) & people_whole
        want -= {whole.get(built.erased_customer)}
        assert got == want and want, sku


def _synced_models() -> list:
    return load_declarations(PROJECT / "target" / "manifest.json")


def test_no_audience_holds_anyone_its_suppressions_exclude(built: Built) -> None:
    checked = 0
    for declaration in _synced_models():
        members = _members(built, declaration.relation)
        for suppression in (*declaration.model_suppressions, "suppress_erased"):
            excluded = _members(built, f"suppressions.{suppression}")
            overlap = members & excluded
            assert not overlap, f"{declaration.model} holds {len(overlap)} of {suppression}"
            checked += bool(members and excluded)
    assert checked >= 10


def test_an_erased_person_is_in_no_audience_anywhere(built: Built) -> None:
    assert built.erased_customer in _members(built, "suppressions.suppress_erased")
    relations = {d.relation for d in _synced_models()}
    assert "audiences.returning_customers" in relations
    for relation in relations:
        assert built.erased_customer not in _members(built, relation), relation


def test_erasure_keeps_only_a_hash(built: Built) -> None:
    sql = f"select identifier_sha256 from {erasure.TABLE}"
    hashes = [r[0] for r in _rows(built.warehouse, sql)]
    assert len(hashes) == 1 and re.fullmatch(r"[0-9a-f]{64}", hashes[0])
    columns = {
        r[0]
        for r in _rows(
            built.warehouse,
            "select column_name from information_schema.columns "
            "where table_schema = 'privacy' and table_name = 'erasure_requests'",
        )
    }
    assert columns == {
        "request_id",
        "identifier_type",
        "identifier_sha256",
        "requested_at",
        "source",
        "note",
    }
