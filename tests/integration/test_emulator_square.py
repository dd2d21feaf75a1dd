"""The Square emulator: body cursors on search endpoints, Square errors, customer group writes."""

from __future__ import annotations

import requests

from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration.helpers import (
    median_updated,
    platform_session,
    set_knobs,
    world_ids,
    writes,
)


def _search(session: requests.Session, url: str, body: dict, key: str) -> list[dict]:
    items: list[dict] = []
    for _ in range(1000):
        resp = session.post(url, json=body)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        items += page.get(key, [])
        if "cursor" not in page:
            return items
        body = {**body, "cursor": page["cursor"]}
    raise AssertionError("pagination did not end")


def _iso(ts: str) -> str:
    return ts.replace("Z", "+00:00")


def test_customers_search_walks_every_customer_once(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("square")
    url = f"{emulator.base_url('square')}/v2/customers/search"
    items = _search(s, url, {"limit": 6}, "customers")
    ids = [c["id"] for c in items]
    assert len(ids) == len(set(ids)) and sorted(ids) == world_ids(world, "square", "customers")
    # DEFAULT sort is alphabetical by given_name, family_name
    names = [(c.get("given_name", "").lower(), c.get("family_name", "").lower()) for c in items]
    assert names == sorted(names)


def test_customers_updated_at_filter(emulator: EmulatorServer, world: WorldStore):
    cutoff = median_updated(world, "square", "customers")
    body = {
        "limit": 100,
        "query": {
            "filter": {"updated_at": {"start_at": _iso(cutoff)}},
            "sort": {"field": "CREATED_AT", "order": "ASC"},
        },
    }
    url = f"{emulator.base_url('square')}/v2/customers/search"
    items = _search(platform_session("square"), url, body, "customers")
    expected = world_ids(world, "square", "customers", where="updated_at >= ?", params=(cutoff,))
    assert sorted(c["id"] for c in items) == expected
    created = [c["created_at"] for c in items]
    assert created == sorted(created)


def test_orders_search_incremental_by_updated_at(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("square")
    base = emulator.base_url("square")
    locations = [loc["id"] for loc in s.get(f"{base}/v2/locations").json()["locations"]]
    assert sorted(locations) == world_ids(world, "square", "locations")
    everything = _search(
        s, f"{base}/v2/orders/search", {"location_ids": locations, "limit": 9}, "orders"
    )
    assert sorted(o["id"] for o in everything) == world_ids(world, "square", "orders")
    cutoff = median_updated(world, "square", "orders")
    body = {
        "location_ids": locations,
        "limit": 10,
        "query": {
            "filter": {"date_time_filter": {"updated_at": {"start_at": _iso(cutoff)}}},
            "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
        },
    }
    newer = _search(s, f"{base}/v2/orders/search", body, "orders")
    expected = world_ids(world, "square", "orders", where="updated_at >= ?", params=(cutoff,))
    assert sorted(o["id"] for o in newer) == expected
    assert [o["updated_at"] for o in newer] == sorted(o["updated_at"] for o in newer)


def test_orders_search_validates_like_square(emulator: EmulatorServer):
    s = platform_session("square")
    url = f"{emulator.base_url('square')}/v2/orders/search"
    resp = s.post(url, json={"location_ids": ["L"], "limit": 1001})
    assert resp.status_code == 400
    assert resp.json()["errors"][0] == {
        "category": "INVALID_REQUEST_ERROR",
        "code": "VALUE_TOO_HIGH",
        "detail": "`limit` must be <= 1000",
        "field": "limit",
    }
    mismatch = {
        "location_ids": ["L"],
        "query": {
            "filter": {"date_time_filter": {"updated_at": {"start_at": "2024-01-01T00:00:00Z"}}},
            "sort": {"sort_field": "CREATED_AT"},
        },
    }
    assert s.post(url, json=mismatch).status_code == 400
    assert s.post(url, json={"location_ids": ["L"], "cursor": "garbage"}).status_code == 400
    # an empty result is an empty object, as Square sends it
    assert s.post(url, json={"location_ids": ["NO_SUCH_LOCATION"]}).json() == {}


def test_loyalty_accounts_search(emulator: EmulatorServer, world: WorldStore):
    url = f"{emulator.base_url('square')}/v2/loyalty/accounts/search"
    items = _search(platform_session("square"), url, {"limit": 4}, "loyalty_accounts")
    assert sorted(a["id"] for a in items) == world_ids(world, "square", "loyalty_accounts")


def test_bad_token_is_square_401(emulator: EmulatorServer):
    resp = requests.post(
        f"{emulator.base_url('square')}/v2/customers/search",
        json={},
        headers={"Authorization": "Bearer wrong"},
    )
    assert resp.status_code == 401
    assert resp.json()["errors"][0]["category"] == "AUTHENTICATION_ERROR"
    assert resp.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_rate_limited(emulator: EmulatorServer):
    set_knobs(emulator, rate_limits={"square": {"capacity": 1, "per_second": 0.001}})
    s = platform_session("square")
    url = f"{emulator.base_url('square')}/v2/locations"
    assert s.get(url).status_code == 200
    resp = s.get(url)
    assert resp.status_code == 429
    assert resp.json()["errors"][0] == {
        "category": "RATE_LIMIT_ERROR",
        "code": "RATE_LIMITED",
        "detail": "Rate limit exceeded.",
    }


def test_customer_group_writes(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("square")
    base = emulator.base_url("square")
    body = {"idempotency_key": "k-1", "group": {"name": "omnihub: vip"}}
    group = s.post(f"{base}/v2/customers/groups", json=body).json()["group"]
    again = s.post(f"{base}/v2/customers/groups", json=body).json()["group"]
    assert again["id"] == group["id"]  # idempotent on the key
    listed = s.get(f"{base}/v2/customers/groups").json()["groups"]
    assert [g["name"] for g in listed] == ["omnihub: vip"]
    customer = world_ids(world, "square", "customers")[0]
    version = world.get_record("square", "customers", customer).payload.get("version", 0)
    url = f"{base}/v2/customers/{customer}/groups/{group['id']}"
    assert s.put(url).json() == {}
    assert s.put(url).status_code == 200  # already a member: no-op, still logged
    in_group = _search(
        s,
        f"{base}/v2/customers/search",
        {"query": {"filter": {"group_ids": {"all": [group["id"]]}}}},
        "customers",
    )
    assert [c["id"] for c in in_group] == [customer]
    assert in_group[0]["version"] == version + 1
    # the change is visible to an incremental read as of the world clock
    changed = _search(
        s,
        f"{base}/v2/customers/search",
        {"query": {"filter": {"updated_at": {"start_at": _iso(world.now())}}}},
        "customers",
    )
    assert [c["id"] for c in changed] == [customer]
    assert s.delete(url).status_code == 200
    assert "group_ids" not in world.get_record("square", "customers", customer).payload
    missing = s.put(f"{base}/v2/customers/NOPE/groups/{group['id']}")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NOT_FOUND"
    log = writes(emulator, "square")
    assert [(w["method"], w["status"]) for w in log] == [
        ("POST", 200),
        ("POST", 200),
        ("PUT", 200),
        ("PUT", 200),
        ("DELETE", 200),
        ("PUT", 404),
    ]
