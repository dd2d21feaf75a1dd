"""The Klaviyo emulator: JSON:API paging, filters, errors, list and suppression writes."""

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


def _walk(session: requests.Session, url: str, params: dict) -> list[dict]:
    items, pages = [], 0
    resp = session.get(url, params=params)
    while True:
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["data"]
        pages += 1
        if not body["links"]["next"]:
            return items
        assert pages < 1000
        resp = session.get(body["links"]["next"])


def test_profiles_paginate_every_record_once(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("klaviyo")
    items = _walk(
        s, f"{emulator.base_url('klaviyo')}/api/profiles", {"page[size]": 7, "sort": "updated"}
    )
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == world_ids(world, "klaviyo", "profiles")
    # sort=updated is honoured across pages (ties broken by id)
    keys = [(i["attributes"]["updated"], i["id"]) for i in items]
    assert keys == sorted(keys)
    # subscriptions are only returned when asked for
    assert all("subscriptions" not in i["attributes"] for i in items)


def test_subscriptions_only_with_additional_fields(emulator: EmulatorServer):
    s = platform_session("klaviyo")
    body = s.get(
        f"{emulator.base_url('klaviyo')}/api/profiles",
        params={"additional-fields[profile]": "subscriptions", "page[size]": 3},
    ).json()
    assert all("subscriptions" in p["attributes"] for p in body["data"])


def test_updated_filter_returns_only_newer(emulator: EmulatorServer, world: WorldStore):
    cutoff = median_updated(world, "klaviyo", "profiles")
    s = platform_session("klaviyo")
    items = _walk(
        s,
        f"{emulator.base_url('klaviyo')}/api/profiles",
        {"filter": f"greater-than(updated,{cutoff})", "sort": "updated", "page[size]": 100},
    )
    expected = world_ids(world, "klaviyo", "profiles", where="updated_at > ?", params=(cutoff,))
    assert sorted(i["id"] for i in items) == expected
    assert 0 < len(expected) < world.count("klaviyo", "profiles")


def test_operator_outside_the_allow_list_is_a_jsonapi_400(emulator: EmulatorServer):
    s = platform_session("klaviyo")
    resp = s.get(
        f"{emulator.base_url('klaviyo')}/api/profiles",
        params={"filter": "greater-or-equal(updated,2024-01-01T00:00:00Z)"},
    )
    assert resp.status_code == 400
    err = resp.json()["errors"][0]
    assert err["code"] == "invalid" and err["source"] == {"parameter": "filter"}
    big = s.get(f"{emulator.base_url('klaviyo')}/api/profiles", params={"page[size]": 101})
    assert big.status_code == 400


def test_events_datetime_filter_and_include(emulator: EmulatorServer, world: WorldStore):
    rows = world.conn.execute(
        "select created_at from records where platform='klaviyo' and stream='events' "
        "order by created_at"
    ).fetchall()
    cutoff = rows[len(rows) // 2][0]
    s = platform_session("klaviyo")
    items = _walk(
        s,
        f"{emulator.base_url('klaviyo')}/api/events",
        {"filter": f"greater-or-equal(datetime,{cutoff})", "sort": "datetime", "page[size]": 9},
    )
    expected = world_ids(world, "klaviyo", "events", where="created_at >= ?", params=(cutoff,))
    assert sorted(i["id"] for i in items) == expected
    body = s.get(
        f"{emulator.base_url('klaviyo')}/api/events",
        params={"include": "profile,metric", "page[size]": 5},
    ).json()
    included = {(r["type"], r["id"]) for r in body["included"]}
    for event in body["data"]:
        rel = event["relationships"]
        assert ("profile", rel["profile"]["data"]["id"]) in included
        assert ("metric", rel["metric"]["data"]["id"]) in included


def test_lists_pages_of_ten_and_metrics(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("klaviyo")
    lists = _walk(s, f"{emulator.base_url('klaviyo')}/api/lists", {})
    assert sorted(i["id"] for i in lists) == world_ids(world, "klaviyo", "lists")
    metrics = _walk(s, f"{emulator.base_url('klaviyo')}/api/metrics", {})
    assert sorted(i["id"] for i in metrics) == world_ids(world, "klaviyo", "metrics")


def test_bad_key_and_missing_revision(emulator: EmulatorServer):
    url = f"{emulator.base_url('klaviyo')}/api/profiles"
    resp = requests.get(
        url, headers={"Authorization": "Klaviyo-API-Key pk_wrong", "revision": "2024-10-15"}
    )
    assert resp.status_code == 401
    err = resp.json()["errors"][0]
    assert err["status"] == 401 and err["code"] == "authentication_failed"
    s = platform_session("klaviyo")
    del s.headers["revision"]
    resp = s.get(url)
    assert resp.status_code == 400 and resp.json()["errors"][0]["source"] == {
        "parameter": "revision"
    }


def test_throttling_returns_429_with_rate_limit_headers(emulator: EmulatorServer):
    set_knobs(emulator, rate_limits={"klaviyo": {"capacity": 2, "per_second": 0.01}})
    s = platform_session("klaviyo")
    url = f"{emulator.base_url('klaviyo')}/api/lists"
    assert [s.get(url).status_code for _ in range(2)] == [200, 200]
    resp = s.get(url)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["RateLimit-Limit"] == "2"
    assert resp.headers["RateLimit-Remaining"] == "0"
    assert resp.json()["errors"][0]["code"] == "throttled"


def test_list_membership_writes(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("klaviyo")
    base = emulator.base_url("klaviyo")
    list_id = world_ids(world, "klaviyo", "lists")[0]
    profiles = world_ids(world, "klaviyo", "profiles")[:3]
    body = {"data": [{"type": "profile", "id": p} for p in profiles]}
    url = f"{base}/api/lists/{list_id}/relationships/profiles"
    assert s.post(url, json=body).status_code == 204
    assert s.post(url, json=body).status_code == 204  # duplicate: idempotent, still logged
    members = s.get(url, params={"page[size]": 2})
    first = members.json()
    got = [m["id"] for m in first["data"]]
    got += [m["id"] for m in s.get(first["links"]["next"]).json()["data"]]
    assert sorted(got) == sorted(profiles)
    remove = {"data": [{"type": "profile", "id": profiles[0]}]}
    assert s.delete(url, json=remove).status_code == 204
    got = [m["id"] for m in s.get(url).json()["data"]]
    assert sorted(got) == sorted(profiles[1:])
    log = writes(emulator, "klaviyo")
    assert [(w["method"], w["target"], w["status"]) for w in log] == [
        ("POST", list_id, 204),
        ("POST", list_id, 204),
        ("DELETE", list_id, 204),
    ]
    bad = s.post(url, json={"data": [{"type": "profile", "id": "NOPE"}]})
    assert bad.status_code == 400
    assert writes(emulator, "klaviyo")[-1]["status"] == 400


def test_suppression_changes_profile_and_is_incremental(
    emulator: EmulatorServer, world: WorldStore
):
    s = platform_session("klaviyo")
    base = emulator.base_url("klaviyo")
    pid = world_ids(world, "klaviyo", "profiles")[0]
    email = world.get_record("klaviyo", "profiles", pid).payload["attributes"]["email"]
    now = world.now()
    job = {
        "data": {
            "type": "profile-suppression-bulk-create-job",
            "attributes": {
                "profiles": {
                    "data": [
                        {"type": "profile", "attributes": {"email": email}},
                        {"type": "profile", "attributes": {"email": "new.person@example.com"}},
                    ]
                }
            },
        }
    }
    resp = s.post(f"{base}/api/profile-suppression-bulk-create-jobs", json=job)
    assert resp.status_code == 202, resp.text
    job_url = resp.json()["data"]["links"]["self"]
    assert (
        s.get(job_url.replace("https://a.klaviyo.com", base)).json()["data"]["attributes"]["status"]
        == "complete"
    )
    changed = s.get(
        f"{base}/api/profiles",
        params={
            "filter": f"greater-than(updated,{_before(now)})",
            "additional-fields[profile]": "subscriptions",
        },
    ).json()["data"]
    by_email = {p["attributes"]["email"]: p for p in changed}
    assert set(by_email) == {email, "new.person@example.com"}
    marketing = by_email[email]["attributes"]["subscriptions"]["email"]["marketing"]
    assert marketing["can_receive_email_marketing"] is False
    assert marketing["suppression"][0]["reason"] == "USER_SUPPRESSED"
    too_many = {
        "data": {
            **job["data"],
            "attributes": {
                "profiles": {
                    "data": [
                        {"type": "profile", "attributes": {"email": f"x{i}@example.com"}}
                        for i in range(101)
                    ]
                }
            },
        }
    }
    assert (
        s.post(f"{base}/api/profile-suppression-bulk-create-jobs", json=too_many).status_code == 400
    )


def test_profile_import_creates_then_updates(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("klaviyo")
    url = f"{emulator.base_url('klaviyo')}/api/profile-import"
    new = {
        "data": {"type": "profile", "attributes": {"email": "imp@example.com", "first_name": "A"}}
    }
    first = s.post(url, json=new)
    assert first.status_code == 201
    pid = first.json()["data"]["id"]
    again = {
        "data": {"type": "profile", "attributes": {"email": "imp@example.com", "last_name": "B"}}
    }
    second = s.post(url, json=again)
    assert second.status_code == 200 and second.json()["data"]["id"] == pid
    stored = world.get_record("klaviyo", "profiles", pid).payload["attributes"]
    assert (stored["first_name"], stored["last_name"]) == ("A", "B")
    assert len(writes(emulator, "klaviyo")) == 2


def test_bulk_import_job_applies_profiles_reports_errors_and_pages(
    emulator: EmulatorServer, world: WorldStore
):
    s = platform_session("klaviyo")
    base = f"{emulator.base_url('klaviyo')}/api/profile-bulk-import-jobs"
    [existing_id] = world.conn.execute(
        "select id from records where platform = 'klaviyo' and stream = 'profiles'"
        " and deleted = 0 order by id limit 1"
    ).fetchone()
    profiles = [
        {"type": "profile", "attributes": {"email": f"bulk{i}@example.com", "properties": {"n": i}}}
        for i in range(25)
    ]
    profiles.append({"type": "profile", "id": existing_id, "attributes": {"last_name": "Bulk"}})
    profiles.append({"type": "profile", "id": "01NOPE", "attributes": {"first_name": "A"}})
    body = {
        "data": {"type": "profile-bulk-import-job", "attributes": {"profiles": {"data": profiles}}}
    }
    created = s.post(base, json=body)
    assert created.status_code == 202
    job = created.json()["data"]
    assert job["attributes"]["status"] == "queued"
    done = s.get(f"{base}/{job['id']}").json()["data"]["attributes"]
    assert (done["status"], done["completed_count"], done["failed_count"]) == ("complete", 26, 1)

    errors = _walk(s, f"{base}/{job['id']}/import-errors", {"page[size]": 100})
    [error] = errors
    assert error["attributes"]["original_payload"]["id"] == "01NOPE"
    assert error["attributes"]["source"]["pointer"] == "/data/attributes/profiles/data/26"
    imported = _walk(
        s, f"{base}/{job['id']}/profiles", {"page[size]": 10, "fields[profile]": "email"}
    )
    assert len(imported) == 26 and len({p["id"] for p in imported}) == 26
    by_email = {p["attributes"].get("email"): p["id"] for p in imported}
    stored = world.get_record("klaviyo", "profiles", by_email["bulk7@example.com"])
    assert stored.payload["attributes"]["properties"] == {"n": 7}
    assert (
        world.get_record("klaviyo", "profiles", existing_id).payload["attributes"]["last_name"]
        == "Bulk"
    )

    # a second job of the same profiles updates them: no profile is created twice
    again = s.post(base, json=body).json()["data"]["id"]
    assert s.get(f"{base}/{again}").json()["data"]["attributes"]["completed_count"] == 26
    second = _walk(s, f"{base}/{again}/profiles", {"page[size]": 100})
    assert sorted(p["id"] for p in second) == sorted(p["id"] for p in imported)

    wrong = {"data": {"type": "profile-import-job", "attributes": {"profiles": {"data": []}}}}
    assert s.post(base, json=wrong).status_code == 400
    assert s.get(f"{base}/nope").status_code == 404


def _before(ts: str) -> str:
    """One second before a records-table timestamp (filters are strict greater-than)."""
    from datetime import timedelta

    from sandbox.store import format_ts, parse_ts

    return format_ts(parse_ts(ts) - timedelta(seconds=1))


def test_create_list_and_profile_import_refuses_what_it_cannot_set(
    emulator: EmulatorServer, world: WorldStore
):
    s = platform_session("klaviyo")
    base = emulator.base_url("klaviyo")
    created = s.post(
        f"{base}/api/lists", json={"data": {"type": "list", "attributes": {"name": "omnihub-x"}}}
    )
    assert created.status_code == 201
    list_id = created.json()["data"]["id"]
    found = s.get(f"{base}/api/lists", params={"filter": 'equals(name,"omnihub-x")'}).json()
    assert [d["id"] for d in found["data"]] == [list_id]
    subscribing = {
        "data": {
            "type": "profile",
            "attributes": {
                "email": "x@y.io",
                "subscriptions": {"email": {"marketing": {"consent": "SUBSCRIBED"}}},
            },
        }
    }
    assert s.post(f"{base}/api/profile-import", json=subscribing).status_code == 400
    missing = {"data": {"type": "profile", "id": "01NOPE", "attributes": {"first_name": "A"}}}
    assert s.post(f"{base}/api/profile-import", json=missing).status_code == 404
