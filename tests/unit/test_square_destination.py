"""Square customer groups (HTTP mocked with responses)."""

from __future__ import annotations

import json

import pytest
import responses

from connectors.errors import ConnectorError
from connectors.square.client import SQUARE_VERSION
from connectors.square.destination import make_destination
from connectors.sync.adapter import MEMBERS_PER_COMMIT
from connectors.sync.destination import Member
from connectors.sync.engine import SyncSpec

SQ = "https://connect.squareup.com/v2"
ENV = {"SQUARE_ACCESS_TOKEN": "EAAAtest"}
SPEC = SyncSpec(
    "vip__square__customer_group__v",
    "square",
    "customer_group",
    "omnihub-vip",
    "mirror",
    "square_customer_id",
)
GROUPS = f"{SQ}/customers/groups"
NOT_FOUND = {
    "errors": [
        {
            "category": "INVALID_REQUEST_ERROR",
            "code": "NOT_FOUND",
            "detail": "Customer with ID `C9` not found.",
        }
    ]
}


def _group_exists() -> None:
    responses.get(GROUPS, json={"groups": [{"id": "G1", "name": "omnihub-vip"}]})


@responses.activate
def test_group_found_across_pages_or_created_once() -> None:
    responses.get(GROUPS, json={"groups": [{"id": "G0", "name": "other"}], "cursor": "n1"})
    responses.get(f"{GROUPS}?limit=50&cursor=n1", json={})
    responses.post(GROUPS, json={"group": {"id": "G1", "name": "omnihub-vip"}})
    dest = make_destination(SPEC, ENV)
    assert dest.group_id() == "G1" and dest.group_id() == "G1"
    created = json.loads(responses.calls[2].request.body)
    assert created["group"] == {"name": "omnihub-vip"} and created["idempotency_key"]
    assert len(responses.calls) == 3
    assert responses.calls[0].request.headers["Square-Version"] == SQUARE_VERSION


@responses.activate
def test_one_put_per_member_unknown_customers_skipped() -> None:
    _group_exists()
    responses.put(f"{SQ}/customers/C1/groups/G1", json={})
    responses.put(f"{SQ}/customers/C9/groups/G1", status=404, json=NOT_FOUND)
    dest = make_destination(SPEC, ENV)
    ok, missing = dest.add([{"square_customer_id": "C1"}, {"square_customer_id": "C9"}])
    assert (ok.confirmed, ok.ref) == (True, "C1")
    assert missing.skipped and not missing.confirmed and "NOT_FOUND" in missing.reason
    assert dest.batch_size == MEMBERS_PER_COMMIT and dest.api_calls == 3


@responses.activate
def test_other_refusals_are_rejections_with_squares_reason() -> None:
    _group_exists()
    refused = {
        "errors": [
            {
                "category": "INVALID_REQUEST_ERROR",
                "code": "INVALID_VALUE",
                "detail": "Invalid customer id",
                "field": "customer_id",
            }
        ]
    }
    responses.put(f"{SQ}/customers/bad/groups/G1", status=400, json=refused)
    [outcome] = make_destination(SPEC, ENV).add([{"square_customer_id": "bad"}])
    assert not outcome.confirmed and not outcome.skipped
    assert outcome.reason == "Square refused: INVALID_VALUE: Invalid customer id"


@responses.activate
def test_a_deleted_group_stops_the_sync() -> None:
    _group_exists()
    gone = {
        "errors": [
            {
                "category": "INVALID_REQUEST_ERROR",
                "code": "NOT_FOUND",
                "detail": "Customer group with ID `G1` not found.",
            }
        ]
    }
    responses.put(f"{SQ}/customers/C1/groups/G1", status=404, json=gone)
    with pytest.raises(ConnectorError, match="gone"):
        make_destination(SPEC, ENV).add([{"square_customer_id": "C1"}])


@responses.activate
def test_429_without_retry_after_is_backed_off_by_the_http_layer() -> None:
    _group_exists()
    limited = {"errors": [{"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED"}]}
    responses.put(f"{SQ}/customers/C1/groups/G1", status=429, json=limited)
    responses.put(f"{SQ}/customers/C1/groups/G1", json={})
    dest = make_destination(SPEC, ENV)
    slept: list[float] = []
    dest.client.sleep = slept.append
    dest.client.jitter = lambda: 0.0
    [outcome] = dest.add([{"square_customer_id": "C1"}])
    assert outcome.confirmed and dest.client.stats.rate_limit_waits == 1
    assert any(s > 0 for s in slept)  # exponential backoff: Square sends no Retry-After


@responses.activate
def test_remove_by_ref_and_a_customer_gone_counts_as_removed() -> None:
    _group_exists()
    responses.delete(f"{SQ}/customers/C1/groups/G1", json={})
    responses.delete(f"{SQ}/customers/C9/groups/G1", status=404, json=NOT_FOUND)
    outcomes = make_destination(SPEC, ENV).remove(
        [Member("untracked:C1", "", "C1"), Member("C9", "s", "C9")]
    )
    assert [(o.key, o.confirmed) for o in outcomes] == [("untracked:C1", True), ("C9", True)]


@responses.activate
def test_members_search_by_group_with_cursor() -> None:
    _group_exists()
    responses.post(f"{SQ}/customers/search", json={"customers": [{"id": "C1"}], "cursor": "k"})
    responses.post(f"{SQ}/customers/search", json={"customers": [{"id": "C2"}]})
    dest = make_destination(SPEC, ENV)
    assert list(dest.members()) == ["C1", "C2"]
    first, second = (json.loads(c.request.body) for c in responses.calls[1:])
    assert first == {"limit": 100, "query": {"filter": {"group_ids": {"all": ["G1"]}}}}
    assert second["cursor"] == "k" and second["query"] == first["query"]
    assert dest.ref_of({"square_customer_id": "C7"}) == "C7"


def test_only_customer_groups() -> None:
    with pytest.raises(ConnectorError, match="customer_group"):
        make_destination(SyncSpec("s", "square", "segment", "x", "mirror", "k"), ENV)
