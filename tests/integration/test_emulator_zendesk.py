"""The Zendesk emulator: incremental cursor exports, satisfaction ratings, user tag writes."""

from __future__ import annotations

import requests

from sandbox.server import EmulatorServer
from sandbox.store import WorldStore, parse_ts
from tests.integration.helpers import (
    median_updated,
    platform_session,
    set_knobs,
    world_ids,
    writes,
)


def _export(session: requests.Session, url: str, params: dict, key: str) -> tuple[list, str]:
    items: list[dict] = []
    resp = session.get(url, params=params)
    for _ in range(1000):
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body[key]
        assert body["after_url"] and body["after_cursor"]
        if body["end_of_stream"]:
            return items, body["after_url"]
        resp = session.get(body["after_url"])
    raise AssertionError("export did not end")


def test_incremental_users_export_every_user_once(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("zendesk")
    url = f"{emulator.base_url('zendesk')}/api/v2/incremental/users/cursor.json"
    users, _ = _export(s, url, {"start_time": 0, "per_page": 7}, "users")
    ids = [str(u["id"]) for u in users]
    assert len(ids) == len(set(ids)) and sorted(ids) == world_ids(world, "zendesk", "users")


def test_tickets_export_includes_deleted_and_resumes(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("zendesk")
    url = f"{emulator.base_url('zendesk')}/api/v2/incremental/tickets/cursor.json"
    tickets, resume = _export(s, url, {"start_time": 0, "per_page": 10}, "tickets")
    assert sorted(str(t["id"]) for t in tickets) == world_ids(
        world, "zendesk", "tickets", include_deleted=True
    )
    deleted = world_ids(world, "zendesk", "tickets", where="deleted = 1", include_deleted=True)
    assert deleted, "world should contain deleted tickets"
    assert {str(t["id"]) for t in tickets if t["status"] == "deleted"} == set(deleted)
    # resuming from the stored after_url later yields only what changed since
    nothing = s.get(resume).json()
    assert nothing["tickets"] == [] and nothing["end_of_stream"] is True
    excluded, _ = _export(s, url, {"start_time": 0, "exclude_deleted": "true"}, "tickets")
    assert len(excluded) == len(tickets) - len(deleted)


def test_start_time_returns_only_newer(emulator: EmulatorServer, world: WorldStore):
    cutoff = median_updated(world, "zendesk", "users")
    s = platform_session("zendesk")
    url = f"{emulator.base_url('zendesk')}/api/v2/incremental/users/cursor.json"
    start = int(parse_ts(cutoff).timestamp())
    users, _ = _export(s, url, {"start_time": start}, "users")
    expected = world_ids(world, "zendesk", "users", where="updated_at >= ?", params=(cutoff,))
    assert sorted(str(u["id"]) for u in users) == expected


def test_satisfaction_ratings_cursor_pagination(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("zendesk")
    resp = s.get(
        f"{emulator.base_url('zendesk')}/api/v2/satisfaction_ratings",
        params={"page[size]": 6, "start_time": 0},
    )
    items = []
    while True:
        body = resp.json()
        items += body["satisfaction_ratings"]
        if not body["meta"]["has_more"]:
            assert body["links"]["next"] is None
            break
        resp = s.get(body["links"]["next"])
    ids = [str(r["id"]) for r in items]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == world_ids(world, "zendesk", "satisfaction_ratings")


def test_bad_credentials_are_zendesk_401(emulator: EmulatorServer):
    resp = requests.get(
        f"{emulator.base_url('zendesk')}/api/v2/incremental/users/cursor.json",
        params={"start_time": 0},
        auth=("someone@example.com/token", "wrong"),
    )
    assert resp.status_code == 401 and resp.json() == {"error": "Couldn't authenticate you"}


def test_incremental_exports_have_their_own_rate_limit(emulator: EmulatorServer):
    set_knobs(emulator, rate_limits={"zendesk_incremental": {"capacity": 2, "per_second": 10 / 60}})
    s = platform_session("zendesk")
    url = f"{emulator.base_url('zendesk')}/api/v2/incremental/users/cursor.json"
    assert [s.get(url, params={"start_time": 0}).status_code for _ in range(2)] == [200, 200]
    resp = s.get(url, params={"start_time": 0})
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 6
    assert resp.json()["error"] == "APIRateLimitExceeded"
    # other endpoints draw on the account-wide budget, not the export one
    ratings = s.get(f"{emulator.base_url('zendesk')}/api/v2/satisfaction_ratings")
    assert ratings.status_code == 200


def test_user_writes_show_up_in_the_next_export(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("zendesk")
    base = emulator.base_url("zendesk")
    uid, other = world_ids(world, "zendesk", "users")[:2]
    before = world.get_record("zendesk", "users", uid).payload["tags"]
    added = s.put(f"{base}/api/v2/users/{uid}/tags.json", json={"tags": ["omnihub_vip"]})
    assert added.json()["tags"] == [*before, "omnihub_vip"]  # Add Tags keeps the others
    assert (
        s.delete(f"{base}/api/v2/users/{uid}/tags.json", json={"tags": ["omnihub_vip"]}).status_code
        == 204
    )
    field = {"user_field": {"type": "text", "key": "segment", "title": "Segment"}}
    assert s.post(f"{base}/api/v2/user_fields.json", json=field).status_code == 201
    put = s.put(
        f"{base}/api/v2/users/{uid}.json",
        json={"user": {"user_fields": {"segment": "vip", "undefined_key": "ignored"}}},
    )
    assert put.json()["user"]["user_fields"]["segment"] == "vip"
    assert "undefined_key" not in put.json()["user"]["user_fields"]
    job = s.put(
        f"{base}/api/v2/users/update_many.json",
        json={"users": [{"id": int(other), "tags": ["lapsed"]}]},
    ).json()["job_status"]
    assert job["status"] == "queued"
    done = s.get(job["url"]).json()["job_status"]
    assert done["status"] == "completed" and done["results"][0]["success"] is True
    now = int(parse_ts(world.now()).timestamp())
    changed, _ = _export(
        s, f"{base}/api/v2/incremental/users/cursor.json", {"start_time": now}, "users"
    )
    by_id = {str(u["id"]): u for u in changed}
    assert set(by_id) == {uid, other}
    assert by_id[other]["tags"] == ["lapsed"] and by_id[uid]["tags"] == before
    log = writes(emulator, "zendesk")
    assert [(w["method"], w["status"]) for w in log] == [
        ("PUT", 200),
        ("DELETE", 204),
        ("POST", 201),
        ("PUT", 200),
        ("PUT", 200),
    ]


def test_set_tags_replaces_add_tags_adds_and_field_keys_are_unique(
    emulator: EmulatorServer, world: WorldStore
):
    s = platform_session("zendesk")
    base = emulator.base_url("zendesk")
    uid = world_ids(world, "zendesk", "users")[0]
    url = f"{base}/api/v2/users/{uid}/tags.json"
    assert s.post(url, json={"tags": ["a", "b"]}).json()["tags"] == ["a", "b"]  # Set Tags
    assert s.put(url, json={"tags": ["c"]}).json()["tags"] == ["a", "b", "c"]  # Add Tags
    assert s.post(url, json={"tags": ["z"]}).json()["tags"] == ["z"]  # Set Tags clobbers
    field = {"user_field": {"type": "text", "key": "tier", "title": "Tier"}}
    assert s.post(f"{base}/api/v2/user_fields.json", json=field).status_code == 201
    again = s.post(f"{base}/api/v2/user_fields.json", json=field)
    assert again.status_code == 422 and "taken" in str(again.json()["details"]["key"])
    listed = s.get(f"{base}/api/v2/user_fields.json").json()
    assert [f["key"] for f in listed["user_fields"]] == ["tier"] and not listed["meta"]["has_more"]
