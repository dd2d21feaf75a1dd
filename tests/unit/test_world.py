"""The sandbox world: deterministic, consistent with its ground truth, realistically messy."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.store import TruthStore, WorldStore
from sandbox.world import advance, generate
from sandbox.world.addresses import make_address
from sandbox.world.config import NoiseConfig
from sandbox.world.people import make_person

PEOPLE = 1000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world") / "w"
    generate(path, people=PEOPLE, seed=7)
    return path


def _records(path: Path) -> list[tuple]:
    with sqlite3.connect(path / "world.sqlite") as conn:
        return conn.execute(
            "select platform, stream, id, created_at, updated_at, deleted, payload "
            "from records order by platform, stream, id"
        ).fetchall()


def _payloads(path: Path, platform: str, stream: str) -> list[dict]:
    with WorldStore(path) as store:
        rows = store.conn.execute(
            "select payload from records where platform = ? and stream = ? and deleted = 0",
            (platform, stream),
        ).fetchall()
    return [json.loads(r[0]) for r in rows]


def test_same_seed_same_world_other_seed_other_world(world: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", people=PEOPLE, seed=7)
    generate(tmp_path / "other", people=PEOPLE, seed=8)
    assert _records(tmp_path / "again") == _records(world)
    assert _records(tmp_path / "other") != _records(world)


def test_every_person_bearing_record_has_its_person(world: Path) -> None:
    with WorldStore(world) as store, TruthStore(world) as truth:
        truth.conn.execute(f"attach database '{world / 'world.sqlite'}' as w")
        missing = truth.conn.execute(
            "select r.platform, r.stream, count(*) from w.records r "
            "left join record_person t using (platform, stream, id) "
            "where t.person_id is null and r.stream not in "
            "('products', 'lists', 'metrics', 'campaigns', 'insights', 'locations') "
            "group by 1, 2"
        ).fetchall()
        assert missing == []
        # an order belongs to the person its customer belongs to
        mismatched = truth.conn.execute(
            "select count(*) from w.records o "
            "join record_person po on po.platform = 'shopify' and po.stream = 'orders' "
            "  and po.id = o.id "
            "join record_person pc on pc.platform = 'shopify' and pc.stream = 'customers' "
            "  and pc.id = cast(json_extract(o.payload, '$.customer.id') as text) "
            "where o.platform = 'shopify' and o.stream = 'orders' and po.person_id != pc.person_id"
        ).fetchone()[0]
        assert mismatched == 0
        assert store.count("shopify", "orders") > 0


def test_timestamps_before_now_and_counters_consistent(world: Path) -> None:
    with WorldStore(world) as store:
        now = store.now()
        assert store.conn.execute(
            "select count(*) from records where updated_at >= ? or created_at > updated_at",
            (now,),
        ).fetchone() == (0,)
        per_customer = dict(
            store.conn.execute(
                "select json_extract(payload, '$.customer.id'), count(*) from records "
                "where platform = 'shopify' and stream = 'orders' group by 1"
            ).fetchall()
        )
    for customer in _payloads(world, "shopify", "customers"):
        assert customer["orders_count"] == per_customer.get(customer["id"], 0)


def test_identifiers_are_messy_in_the_intended_ways(world: Path) -> None:
    emails = [c["email"] for c in _payloads(world, "shopify", "customers") if c["email"]]
    emails += [
        p["attributes"]["email"]
        for p in _payloads(world, "klaviyo", "profiles")
        if p["attributes"]["email"]
    ]
    assert any(e != e.strip() or e != e.lower() for e in emails), "case/whitespace variants"
    assert any("+" in e.split("@")[0] for e in emails), "plus addressing"
    # junk is typed where nothing checks it (the store's POS); platforms that keep one
    # account per address refuse a second holder, so there no address repeats
    typed = [c.get("email_address") for c in _payloads(world, "square", "customers")]
    junk = Counter(e for e in typed if e in ("test@test.com", "noemail@example.com"))
    for platform, stream, read in (
        ("shopify", "customers", lambda r: r["email"]),
        ("klaviyo", "profiles", lambda r: r["attributes"]["email"]),
        ("zendesk", "users", lambda r: r["email"]),
    ):
        held = Counter(
            e.strip().lower() for r in _payloads(world, platform, stream) if (e := read(r))
        )
        assert not [e for e, n in held.items() if n > 1], f"{platform}: one account per address"
    phones = [c.get("phone_number") for c in _payloads(world, "square", "customers")]
    assert any(p and re.match(r"^\(\d{3}\) \d{3}-\d{4}$", p) for p in phones), "national format"
    assert any((p and p.startswith("+44")) or (p or "").startswith("0044") for p in phones) or any(
        (p or "").startswith(("+49", "+33", "0049", "0033", "0")) for p in phones
    ), "non-US numbers"
    with TruthStore(world) as truth:
        shared = truth.conn.execute(
            "select count(*) from people where household_of is not null"
        ).fetchone()[0]
        bridges = truth.conn.execute("select count(*) from people where bridge = 1").fetchone()[0]
    assert shared > 0 and bridges > 0
    assert sum(junk.values()) >= 1 or PEOPLE < 1000


def test_bridged_people_are_only_transitively_linked(world: Path) -> None:
    with TruthStore(world) as truth:
        pid = truth.conn.execute("select person_id from people where bridge = 1").fetchone()[0]
        ids = dict(
            truth.conn.execute(
                "select platform || '/' || stream, id from record_person where person_id = ? "
                "and stream in ('customers', 'profiles')",
                (pid,),
            ).fetchall()
        )
    with WorldStore(world) as store:
        shop = store.get_record("shopify", "customers", ids["shopify/customers"])
        square = store.get_record("square", "customers", ids["square/customers"])
    assert shop is not None and square is not None
    assert shop.payload["phone"] is None
    assert "email_address" not in square.payload


def test_advance_adds_and_updates_deterministically(world: Path, tmp_path: Path) -> None:
    import shutil

    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(world, a)
    shutil.copytree(world, b)
    with WorldStore(a) as store:
        before_now = store.now()
        before_max_seq = store.next_seq()
    info = advance(a)
    advance(b)
    assert _records(a) == _records(b)
    assert info.new_people > 0 and info.created > 0 and info.updated > 0 and info.deleted > 0
    with WorldStore(a) as store:
        assert store.now() > before_now
        changed = store.conn.execute(
            "select count(*), min(updated_at) from records where seq >= ?", (before_max_seq,)
        ).fetchone()
        assert changed[0] >= info.created + info.updated
        assert changed[1] >= before_now
        assert (
            store.conn.execute(
                "select count(*) from records where seq >= ? and created_at < ?",
                (before_max_seq, before_now),
            ).fetchone()[0]
            > 0
        ), "some existing records were updated"


def test_orders_carry_refunds_store_returns_and_arrivals_as_their_truth_says(
    world: Path,
) -> None:
    shop = {str(o["id"]): o for o in _payloads(world, "shopify", "orders")}
    by_name = {o["name"]: key for key, o in shop.items()}
    assert len(by_name) == len(shop), "order names are unique in a shop"
    returned: Counter[str] = Counter()
    for order in _payloads(world, "square", "orders"):
        if "returns" not in order:
            continue
        assert "line_items" not in order and order["total_money"]["amount"] == 0
        (entry,) = order["returns"]
        assert "source_order_id" not in entry  # the sale was Shopify's, not Square's
        source = by_name.get(order["reference_id"], order["reference_id"])
        assert source in shop
        returned[source] += entry["return_amounts"]["total_money"]["amount"]
    with TruthStore(world) as truth:
        web = {
            row[0]: row[1:]
            for row in truth.conn.execute(
                "select id, net_cents, arrival from orders where channel = 'web'"
            )
        }
    assert web.keys() == shop.keys()
    partial = 0
    for key, order in shop.items():
        refunded = sum(
            round(float(t["amount"]) * 100)
            for refund in order["refunds"]
            for t in refund["transactions"]
            if t["kind"] == "refund" and t["status"] == "success"
        )
        partial += order["financial_status"] == "partially_refunded"
        if order["financial_status"] == "partially_refunded":
            assert 0 < refunded < round(float(order["total_price"]) * 100)
            assert order["refunds"][0]["refund_line_items"]
        net, arrival = web[key]
        assert net == round(float(order["total_price"]) * 100) - refunded - returned[key]
        landing = order["landing_site"]
        paid = "utm_source=facebook&utm_medium=paid" in landing
        assert paid == (arrival == "facebook_paid")
        if arrival == "facebook_click_id":  # Meta's click id alone, no UTMs
            assert "fbclid=" in landing and "utm_" not in landing
        elif not paid:
            assert "fbclid=" not in landing
    assert partial > 10 and len(returned) > 10
    assert {a for _, a in web.values()} == {
        "facebook_paid",
        "facebook_click_id",
        "email",
        "organic_search",
        "direct",
    }


def _street(line: str) -> str:
    """The street line without its unit, case or punctuation (what staging keeps)."""
    line = re.sub(r"((\s|,)+(apt|unit)\.?\s*|\s*#\s*)[a-z0-9-]+\s*$", "", line.strip().lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", line).split())


def test_addresses_are_homes_written_in_many_ways(world: Path) -> None:
    """Shopify default addresses and Square customer addresses: a household shares
    one home, neighbours in a building share a street line, and records write the
    same home differently (abbreviations, case, the unit here or there, typos)."""
    with TruthStore(world) as truth:
        person_of = dict(
            truth.conn.execute(
                "select platform || ':' || id, person_id from record_person "
                "where stream = 'customers'"
            ).fetchall()
        )
        households = truth.conn.execute(
            "select person_id, household_of from people where household_of is not null"
        ).fetchall()
    shop = _payloads(world, "shopify", "customers")
    square = _payloads(world, "square", "customers")
    with_address = [c for c in shop if c.get("default_address")]
    assert 0.5 < len(with_address) / len(shop) < 0.95
    assert all(c["addresses"] == [c["default_address"]] for c in with_address)
    assert all(c["addresses"] == [] for c in shop if not c.get("default_address"))
    assert 0.25 < sum("address" in c for c in square) / len(square) < 0.55
    lines = [c["default_address"]["address1"] for c in with_address]
    lines += [c["address"]["address_line_1"] for c in square if "address" in c]
    assert any(re.search(r" St\.?$", line) for line in lines), "abbreviated"
    assert any(line.endswith(" Street") for line in lines), "written out"
    assert any(line == line.upper() and re.search("[A-Z]", line) for line in lines), "upper case"
    assert any("#" in line or "Apt" in line for line in lines), "unit in the first line"
    assert any(c["default_address"]["address2"] for c in with_address), "unit in the second"
    assert any(c["default_address"]["phone"] for c in with_address), "checkout phone"
    # by person: the street line each record gives
    homes: dict[int, set[str]] = {}
    for c in with_address:
        homes.setdefault(person_of[f"shopify:{c['id']}"], set()).add(
            _street(c["default_address"]["address1"])
        )
    for c in square:
        if "address" in c:
            homes.setdefault(person_of[f"square:{c['id']}"], set()).add(
                _street(c["address"]["address_line_1"])
            )
    assert any(len(streets) > 1 for streets in homes.values()), "moved, or a typo"
    assert sum(len(s) == 1 for s in homes.values()) > 0.8 * len(homes), "mostly one home"
    start = datetime(2026, 5, 1, tzinfo=UTC)
    noise = NoiseConfig()
    assert households
    for pid, partner in households:
        person, first = (make_person(7, p, start, 180, noise) for p in (pid, partner))
        assert person.home == first.home, "a household shares its home"
    # neighbours: unrelated homes in one building share a street line, not a unit
    buildings: Counter[tuple] = Counter()
    units: Counter[tuple] = Counter()
    for home_id in range(20_000):
        a = make_address(7, home_id, "US")
        buildings[(a.number, a.street, a.suffix, a.postal_code)] += 1
        units[(a.number, a.street, a.suffix, a.postal_code, a.unit)] += 1
    assert sum(n > 1 for n in buildings.values()) > 10
    assert sum(n > 1 for n in units.values()) < sum(n > 1 for n in buildings.values()) / 3


def test_every_shopify_customer_has_a_contact_and_tickets_cite_orders(world: Path) -> None:
    """Shopify asks every checkout and account for an email or a phone; Zendesk
    tickets about an order carry its number in the "Order number" field, mostly
    an order of the requester's own, placed before the ticket."""
    from sandbox.world.platforms.zendesk import ORDER_NUMBER_FIELD, ORDER_SUBJECTS

    assert all(c["email"] or c["phone"] for c in _payloads(world, "shopify", "customers"))
    with TruthStore(world) as truth:
        person_of = dict(
            truth.conn.execute(
                "select platform || ':' || stream || ':' || id, person_id from record_person"
            ).fetchall()
        )
    orders = {
        o["name"].lstrip("#"): (person_of[f"shopify:orders:{o['id']}"], o["created_at"])
        for o in _payloads(world, "shopify", "orders")
    }
    cited = own = 0
    for ticket in _payloads(world, "zendesk", "tickets"):
        ((field,),) = [ticket["custom_fields"]]
        assert field["id"] == ORDER_NUMBER_FIELD
        if field["value"] is None:
            continue
        assert ticket["subject"] in ORDER_SUBJECTS
        cited += 1
        number = re.sub(r"[^0-9]", "", field["value"])
        requester = person_of[f"zendesk:tickets:{ticket['id']}"]
        if number in orders and orders[number][0] == requester:
            own += 1
    assert cited > 20 and own > 0.9 * cited
