"""Shopify customer tags through GraphQL tagsAdd/tagsRemove."""

from __future__ import annotations

import json

import responses

from connectors.shopify.destination import make_destination
from connectors.sync.destination import Member
from connectors.sync.engine import SyncSpec

SHOP = "https://omnihub-test.myshopify.com"
GQL = f"{SHOP}/admin/api/2025-01/graphql.json"
ENV = {"SHOPIFY_SHOP_URL": SHOP, "SHOPIFY_ACCESS_TOKEN": "shpat_test"}
SPEC = SyncSpec("s", "shopify", "customer_tag", "omnihub-vip", "mirror", "cid", ())
COST = {
    "cost": {
        "requestedQueryCost": 20,
        "throttleStatus": {
            "currentlyAvailable": 980,
            "restoreRate": 100.0,
            "maximumAvailable": 1000.0,
        },
    }
}


@responses.activate
def test_add_batches_aliased_mutations_and_reports_user_errors() -> None:
    responses.post(
        GQL,
        json={
            "data": {
                "m0": {"node": {"id": "gid://shopify/Customer/1"}, "userErrors": []},
                "m1": {
                    "node": None,
                    "userErrors": [{"field": ["id"], "message": "Customer does not exist"}],
                },
            },
            "extensions": COST,
        },
    )
    dest = make_destination(SPEC, ENV)
    outcomes = dest.add([{"cid": "1"}, {"cid": "2"}])
    assert [(o.key, o.confirmed) for o in outcomes] == [("1", True), ("2", False)]
    assert "does not exist" in (outcomes[1].reason or "")
    sent = json.loads(responses.calls[0].request.body)
    assert sent["variables"] == {
        "tags": ["omnihub-vip"],
        "id0": "gid://shopify/Customer/1",
        "id1": "gid://shopify/Customer/2",
    }
    assert "m0: tagsAdd(id: $id0, tags: $tags)" in sent["query"]
    assert dest.api_calls == 1


@responses.activate
def test_removing_a_tag_from_a_deleted_customer_counts_as_done() -> None:
    responses.post(
        GQL,
        json={
            "data": {"m0": {"node": None, "userErrors": [{"message": "Customer does not exist"}]}}
        },
    )
    [outcome] = make_destination(SPEC, ENV).remove([Member("9", "c")])
    assert outcome.confirmed
    assert "tagsRemove" in json.loads(responses.calls[0].request.body)["query"]


@responses.activate
def test_graphql_throttle_is_waited_out_not_failed() -> None:
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 250,
                "throttleStatus": {
                    "currentlyAvailable": 50,
                    "restoreRate": 100.0,
                    "maximumAvailable": 1000.0,
                },
            }
        },
    }
    responses.post(GQL, json=throttled)
    responses.post(GQL, json={"data": {"m0": {"node": {"id": "x"}, "userErrors": []}}})
    dest = make_destination(SPEC, ENV)
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:  # a clock that moves only when we sleep
        slept.append(seconds)
        now[0] += seconds

    dest.client.sleep = sleep
    dest.client.clock = lambda: now[0]
    [outcome] = dest.add([{"cid": "1"}])
    assert outcome.confirmed
    assert slept == [2.0]  # (250 - 50) / 100 per second
    assert dest.client.stats.rate_limit_waits == 1 and dest.client.stats.retries == 0


@responses.activate
def test_members_pages_the_customers_query_by_tag() -> None:
    def page(ids: list[int], more: bool, cursor: str | None) -> dict:
        nodes = [{"id": f"gid://shopify/Customer/{i}"} for i in ids]
        info = {"hasNextPage": more, "endCursor": cursor}
        return {"data": {"customers": {"nodes": nodes, "pageInfo": info}}, "extensions": COST}

    responses.post(GQL, json=page([1, 2], True, "c2"))
    responses.post(GQL, json=page([3], False, "c3"))
    dest = make_destination(SPEC, ENV)
    assert list(dest.members()) == [f"gid://shopify/Customer/{i}" for i in (1, 2, 3)]
    first, second = (json.loads(c.request.body) for c in responses.calls)
    assert "customers(first: 250, after: $after, query: $query)" in first["query"]
    assert first["variables"] == {"query": "tag:'omnihub-vip'", "after": None}
    assert second["variables"]["after"] == "c2" and dest.api_calls == 2
    assert dest.ref_of({"cid": "9"}) == "gid://shopify/Customer/9"


@responses.activate
def test_update_keeps_the_ref_and_remove_uses_it() -> None:
    responses.post(GQL, json={"data": {"m0": {"node": {"id": "x"}, "userErrors": []}}})
    dest = make_destination(SPEC, ENV)
    [updated] = dest.update([{"cid": "5"}])
    assert updated.ref == "gid://shopify/Customer/5" and not responses.calls
    dest.remove([Member("untracked:gid://shopify/Customer/7", "", "gid://shopify/Customer/7")])
    assert json.loads(responses.calls[0].request.body)["variables"]["id0"] == (
        "gid://shopify/Customer/7"
    )
