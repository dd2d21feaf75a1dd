"""The Shopify emulator: Link-header paging, page_info rules, call limits, REST and GraphQL tags."""

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

V = "2024-10"


def _links(resp: requests.Response) -> dict[str, str]:
    return {rel: link["url"] for rel, link in resp.links.items()}


def _walk(session: requests.Session, url: str, params: dict, key: str) -> list[dict]:
    items: list[dict] = []
    resp = session.get(url, params=params)
    for _ in range(1000):
        assert resp.status_code == 200, resp.text
        items += resp.json()[key]
        nxt = _links(resp).get("next")
        if not nxt:
            return items
        resp = session.get(nxt)
    raise AssertionError("pagination did not end")


def test_customers_walk_by_id_with_link_header(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("shopify")
    url = f"{emulator.base_url('shopify')}/admin/api/{V}/customers.json"
    items = _walk(s, url, {"limit": 8}, "customers")
    ids = [c["id"] for c in items]
    assert ids == sorted(ids)  # default order: id ascending, kept by the cursor
    assert sorted(str(i) for i in ids) == world_ids(world, "shopify", "customers")


def test_previous_link_returns_the_previous_page(emulator: EmulatorServer):
    s = platform_session("shopify")
    url = f"{emulator.base_url('shopify')}/admin/api/{V}/customers.json"
    first = s.get(url, params={"limit": 5})
    second = s.get(_links(first)["next"])
    back = s.get(_links(second)["previous"])
    assert back.json() == first.json()


def test_orders_default_to_open_and_status_any_returns_all(
    emulator: EmulatorServer, world: WorldStore
):
    s = platform_session("shopify")
    url = f"{emulator.base_url('shopify')}/admin/api/{V}/orders.json"
    every = _walk(s, url, {"status": "any", "limit": 250}, "orders")
    assert sorted(str(o["id"]) for o in every) == world_ids(world, "shopify", "orders")
    open_ = _walk(s, url, {"limit": 250}, "orders")
    assert open_ and all(o["closed_at"] is None and o["cancelled_at"] is None for o in open_)
    assert len(open_) < len(every)


def test_updated_at_min_with_updated_order(emulator: EmulatorServer, world: WorldStore):
    cutoff = median_updated(world, "shopify", "orders")
    s = platform_session("shopify")
    url = f"{emulator.base_url('shopify')}/admin/api/{V}/orders.json"
    params = {"status": "any", "updated_at_min": cutoff, "order": "updated_at asc", "limit": 6}
    items = _walk(s, url, params, "orders")
    expected = world_ids(world, "shopify", "orders", where="updated_at >= ?", params=(cutoff,))
    assert sorted(str(o["id"]) for o in items) == expected


def test_page_info_accepts_only_limit_and_fields(emulator: EmulatorServer):
    s = platform_session("shopify")
    url = f"{emulator.base_url('shopify')}/admin/api/{V}/orders.json"
    first = s.get(url, params={"status": "any", "limit": 3})
    nxt = _links(first)["next"]
    ok = s.get(nxt, params={"fields": "id,name"})
    assert ok.status_code == 200 and set(ok.json()["orders"][0]) == {"id", "name"}
    bad = s.get(nxt, params={"status": "any"})
    assert bad.status_code == 400
    assert "status cannot be passed when page_info is present" in bad.json()["errors"]["status"]
    assert s.get(url, params={"page_info": "garbage"}).status_code == 400


def test_checkouts_and_products(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("shopify")
    base = f"{emulator.base_url('shopify')}/admin/api/{V}"
    products = _walk(s, f"{base}/products.json", {"limit": 5}, "products")
    assert sorted(str(p["id"]) for p in products) == world_ids(world, "shopify", "products")
    checkouts = _walk(s, f"{base}/checkouts.json", {"status": "any"}, "checkouts")
    assert sorted(str(c["id"]) for c in checkouts) == world_ids(world, "shopify", "checkouts")


def test_bad_token_is_shopify_401(emulator: EmulatorServer):
    resp = requests.get(
        f"{emulator.base_url('shopify')}/admin/api/{V}/customers.json",
        headers={"X-Shopify-Access-Token": "shpat_wrong"},
    )
    assert resp.status_code == 401
    assert resp.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }


def test_leaky_bucket_headers_and_429(emulator: EmulatorServer):
    set_knobs(emulator, rate_limits={"shopify": {"capacity": 3, "per_second": 0.001}})
    s = platform_session("shopify")
    url = f"{emulator.base_url('shopify')}/admin/api/{V}/products.json"
    calls = [s.get(url).headers["X-Shopify-Shop-Api-Call-Limit"] for _ in range(3)]
    assert calls == ["1/3", "2/3", "3/3"]
    resp = s.get(url)
    assert resp.status_code == 429
    assert float(resp.headers["Retry-After"]) >= 1.0
    assert "errors" in resp.json()


def test_rest_customer_update_replaces_tags(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("shopify")
    cid = world_ids(world, "shopify", "customers")[0]
    url = f"{emulator.base_url('shopify')}/admin/api/{V}/customers/{cid}.json"
    resp = s.put(url, json={"customer": {"id": int(cid), "tags": "alpha, beta"}})
    assert resp.status_code == 200 and resp.json()["customer"]["tags"] == "alpha, beta"
    assert s.get(url).json()["customer"]["tags"] == "alpha, beta"
    assert writes(emulator, "shopify")[0]["target"] == cid


def test_graphql_aliased_tags_add_and_remove_keep_other_tags(
    emulator: EmulatorServer, world: WorldStore
):
    s = platform_session("shopify")
    base = emulator.base_url("shopify")
    a, b = world_ids(world, "shopify", "customers")[:2]
    s.put(f"{base}/admin/api/{V}/customers/{a}.json", json={"customer": {"tags": "keep, old-seg"}})
    query = f"""
    mutation {{
      a0: tagsAdd(id: "gid://shopify/Customer/{a}", tags: ["omnihub-vip"]) {{
        node {{ id }} userErrors {{ field message }}
      }}
      a1: tagsRemove(id: "gid://shopify/Customer/{a}", tags: "old-seg") {{
        node {{ id }} userErrors {{ field message }}
      }}
      a2: tagsAdd(id: $missing, tags: ["x"]) {{ node {{ id }} userErrors {{ field message }} }}
    }}"""
    resp = s.post(
        f"{base}/admin/api/{V}/graphql.json",
        json={"query": query, "variables": {"missing": "gid://shopify/Customer/1"}},
    )
    body = resp.json()
    assert resp.status_code == 200, body
    assert body["data"]["a0"] == {"node": {"id": f"gid://shopify/Customer/{a}"}, "userErrors": []}
    assert body["data"]["a1"]["userErrors"] == []
    assert body["data"]["a2"]["node"] is None and body["data"]["a2"]["userErrors"]
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 30
    assert cost["throttleStatus"]["maximumAvailable"] == 1000.0
    tags = s.get(f"{base}/admin/api/{V}/customers/{a}.json").json()["customer"]["tags"]
    assert tags == "keep, omnihub-vip"
    untouched = world.get_record("shopify", "customers", b).payload["tags"]
    assert s.get(f"{base}/admin/api/{V}/customers/{b}.json").json()["customer"]["tags"] == (
        untouched
    )


def test_graphql_cost_throttle(emulator: EmulatorServer, world: WorldStore):
    set_knobs(emulator, rate_limits={"shopify_graphql": {"capacity": 15, "per_second": 0.001}})
    s = platform_session("shopify")
    cid = world_ids(world, "shopify", "customers")[0]
    query = (
        "mutation tagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) "
        "{ node { id } userErrors { field message } } }"
    )
    body = {"query": query, "variables": {"id": f"gid://shopify/Customer/{cid}", "tags": ["t"]}}
    url = f"{emulator.base_url('shopify')}/admin/api/{V}/graphql.json"
    first = s.post(url, json=body).json()
    assert first["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 5
    throttled = s.post(url, json=body)
    assert throttled.status_code == 200
    assert throttled.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert [w["status"] for w in writes(emulator, "shopify")] == [200, 200]


def test_graphql_customers_by_tag_pages_with_cursors(emulator: EmulatorServer, world: WorldStore):
    from connectors.shopify.destination import make_destination
    from connectors.sync.engine import SyncSpec

    spec = SyncSpec(
        "s", "shopify", "customer_tag", "omnihub loyal", "mirror", "shopify_customer_id"
    )
    dest = make_destination(spec, emulator.env())
    customers = world_ids(world, "shopify", "customers")[:7]
    assert all(o.confirmed for o in dest.add([{"shopify_customer_id": c} for c in customers]))
    emulator.knobs.page_size_cap = 3  # 7 members: three pages
    members = list(dest.members())
    assert members == [f"gid://shopify/Customer/{c}" for c in sorted(customers, key=int)]
    assert dest.api_calls == 1 + 3
    assert world.tagged("shopify", "customers", "omnihub loyal") == sorted(customers)
    s = platform_session("shopify")
    unknown = s.post(
        f"{emulator.base_url('shopify')}/admin/api/2025-01/graphql.json",
        json={"query": '{ customers(first: 5, query: "email:x@y.z") { nodes { id } } }'},
    ).json()
    assert "tag:<value>" in unknown["errors"][0]["message"]  # refused, not guessed
