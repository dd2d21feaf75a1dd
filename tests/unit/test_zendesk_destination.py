"""Zendesk user tags (Add/Remove Tags, never Set Tags) and user fields through
Update Many Users jobs (HTTP mocked with responses)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import responses

from connectors.errors import ConnectorError
from connectors.sync.adapter import MEMBERS_PER_COMMIT
from connectors.sync.destination import Member
from connectors.sync.engine import SyncSpec
from connectors.zendesk.destination import make_destination

ZD = "https://acme.zendesk.com/api/v2"
ENV = {
    "ZENDESK_BASE_URL": "https://acme.zendesk.com",
    "ZENDESK_EMAIL": "a@acme.io",
    "ZENDESK_API_TOKEN": "tok",
}
TAG = SyncSpec(
    "vip__zendesk__user_tag__t", "zendesk", "user_tag", "omnihub_vip", "mirror", "zendesk_user_id"
)
FIELDS = SyncSpec(
    "ltv__zendesk__user_field__f",
    "zendesk",
    "user_field",
    "loyalty",
    "upsert",
    "zendesk_user_id",
    ("loyalty_tier", "lifetime_value", "promo_hold"),
)
MISSING = {"error": "RecordNotFound", "description": "Not found"}


def _no_set_tags() -> None:
    """Set Tags (POST) would replace every tag the user has: never sent."""
    assert not [
        c for c in responses.calls if c.request.method == "POST" and "/tags" in c.request.url
    ]


@responses.activate
def test_tags_are_added_with_put_one_call_per_user() -> None:
    responses.put(f"{ZD}/users/11/tags.json", json={"tags": ["agent_set", "omnihub_vip"]})
    responses.put(f"{ZD}/users/12/tags.json", status=404, json=MISSING)
    dest = make_destination(TAG, ENV)
    ok, gone, bad = dest.add(
        [{"zendesk_user_id": 11}, {"zendesk_user_id": "12"}, {"zendesk_user_id": "abc"}]
    )
    assert (ok.confirmed, ok.ref) == (True, "11")
    assert gone.skipped and not gone.confirmed  # deleted at Zendesk: nothing to tag
    assert bad.skipped
    assert json.loads(responses.calls[0].request.body) == {"tags": ["omnihub_vip"]}
    assert dest.batch_size == MEMBERS_PER_COMMIT and dest.api_calls == 2
    _no_set_tags()


@responses.activate
def test_tags_are_removed_with_delete_and_a_deleted_user_counts_as_done() -> None:
    responses.delete(f"{ZD}/users/11/tags.json", status=204)
    responses.delete(f"{ZD}/users/12/tags.json", status=404, json=MISSING)
    outcomes = make_destination(TAG, ENV).remove(
        [Member("11", "s", "11"), Member("untracked:12", "", "12")]
    )
    assert [o.confirmed for o in outcomes] == [True, True]
    assert json.loads(responses.calls[0].request.body) == {"tags": ["omnihub_vip"]}
    _no_set_tags()


@responses.activate
def test_429_with_retry_after_is_waited_out() -> None:
    limited = {"error": "APIRateLimitExceeded", "description": "Rate limited"}
    responses.put(
        f"{ZD}/users/11/tags.json", status=429, json=limited, headers={"Retry-After": "7"}
    )
    responses.put(f"{ZD}/users/11/tags.json", json={"tags": ["omnihub_vip"]})
    dest = make_destination(TAG, ENV)
    slept: list[float] = []
    dest.client.sleep = slept.append
    [outcome] = dest.add([{"zendesk_user_id": "11"}])
    assert outcome.confirmed and 7.0 in slept and dest.client.stats.rate_limit_waits == 1


def _job(job_id: str, status: str, results: list | None = None) -> dict:
    return {
        "job_status": {
            "id": job_id,
            "url": f"{ZD}/job_statuses/{job_id}.json",
            "status": status,
            "results": results,
        }
    }


@responses.activate
def test_user_fields_defined_once_then_written_by_update_many_jobs() -> None:
    responses.get(
        f"{ZD}/user_fields.json",
        json={
            "user_fields": [{"id": 1, "key": "loyalty_tier", "type": "text"}],
            "meta": {"has_more": False},
        },
    )
    responses.post(
        f"{ZD}/user_fields.json",
        status=201,
        json={"user_field": {"id": 2, "key": "lifetime_value", "type": "decimal"}},
    )
    responses.post(
        f"{ZD}/user_fields.json",
        status=201,
        json={"user_field": {"id": 3, "key": "promo_hold", "type": "checkbox"}},
    )
    responses.put(f"{ZD}/users/update_many.json", json=_job("j1", "queued"))
    responses.get(f"{ZD}/job_statuses/j1.json", json=_job("j1", "working"))
    results = [
        {"id": 11, "action": "update", "success": True, "status": "Updated"},
        {
            "id": 12,
            "action": "update",
            "success": False,
            "status": "Failed",
            "error": "RecordNotFound",
            "details": "Not found",
        },
        {
            "id": 13,
            "action": "update",
            "success": False,
            "status": "Failed",
            "error": "RecordInvalid",
            "details": "Lifetime value is invalid",
        },
    ]
    responses.get(f"{ZD}/job_statuses/j1.json", json=_job("j1", "completed", results))
    dest = make_destination(FIELDS, ENV)
    slept: list[float] = []
    dest.client.sleep = slept.append
    rows = [
        {
            "zendesk_user_id": "11",
            "loyalty_tier": "gold",
            "lifetime_value": Decimal("120.50"),
            "promo_hold": True,
        },
        {"zendesk_user_id": "12", "loyalty_tier": "x", "lifetime_value": None, "promo_hold": False},
        {"zendesk_user_id": "13", "loyalty_tier": "y", "lifetime_value": 3.5, "promo_hold": None},
    ]
    ok, gone, refused = dest.add(rows)
    assert (ok.confirmed, ok.ref) == (True, "11")
    assert gone.skipped and not gone.confirmed  # deleted at Zendesk
    assert not refused.confirmed and not refused.skipped and "invalid" in refused.reason
    created = [
        json.loads(c.request.body)["user_field"]
        for c in responses.calls
        if c.request.method == "POST"
    ]
    assert [(f["key"], f["type"]) for f in created] == [
        ("lifetime_value", "decimal"),
        ("promo_hold", "checkbox"),
    ]
    sent = json.loads(next(c for c in responses.calls if c.request.method == "PUT").request.body)
    assert sent["users"][0] == {
        "id": 11,
        "user_fields": {"loyalty_tier": "gold", "lifetime_value": 120.5, "promo_hold": True},
    }
    assert slept == [1.0]  # polled: working, then completed
    dest.add(rows[:1])  # definitions are not read again
    assert sum(1 for c in responses.calls if "user_fields" in c.request.url) == 3


@responses.activate
def test_user_fields_go_100_a_job_and_removal_clears_values() -> None:
    responses.get(
        f"{ZD}/user_fields.json",
        json={"user_fields": [{"key": k, "type": "text"} for k in FIELDS.fields]},
    )
    done = [{"id": 11 + i, "success": True, "status": "Updated"} for i in range(100)]
    responses.put(f"{ZD}/users/update_many.json", json=_job("a", "completed", done))
    responses.put(
        f"{ZD}/users/update_many.json", json=_job("b", "completed", [{"id": 111, "success": True}])
    )
    responses.put(
        f"{ZD}/users/update_many.json",
        json=_job(
            "c",
            "completed",
            [{"id": 11, "success": True}, {"id": 12, "success": False, "error": "RecordNotFound"}],
        ),
    )
    dest = make_destination(FIELDS, ENV)
    rows = [{"zendesk_user_id": str(11 + i), "loyalty_tier": "gold"} for i in range(101)]
    assert all(o.confirmed for o in dest.add(rows))
    puts = [json.loads(c.request.body) for c in responses.calls if c.request.method == "PUT"]
    assert [len(p["users"]) for p in puts] == [100, 1] and dest.batch_size == 100
    removed = dest.remove([Member("11", "s", "11"), Member("12", "s", "12")])
    assert [o.confirmed for o in removed] == [True, True]  # a deleted user holds no value
    cleared = json.loads(responses.calls[-1].request.body)["users"][0]["user_fields"]
    assert cleared == {"loyalty_tier": None, "lifetime_value": None, "promo_hold": None}


def test_unsupported_object_and_invalid_field_keys() -> None:
    with pytest.raises(ConnectorError, match="user_tag"):
        make_destination(SyncSpec("s", "zendesk", "org_tag", "x", "mirror", "k"), ENV)
    with pytest.raises(ConnectorError, match="open-ticket"):
        make_destination(
            SyncSpec("s", "zendesk", "user_field", "x", "upsert", "k", ("open-ticket promo hold",)),
            ENV,
        )
