"""The Meta Graph emulator: insights, campaigns, leads, Graph errors, custom audiences."""

from __future__ import annotations

import hashlib
import json

import requests

from sandbox.server import SANDBOX_CREDENTIALS, EmulatorServer
from sandbox.store import WorldStore, parse_ts
from tests.integration.helpers import platform_session, set_knobs, writes

ACCOUNT = SANDBOX_CREDENTIALS["META_AD_ACCOUNT_ID"]


def _walk(session: requests.Session, url: str, params: dict) -> list[dict]:
    items = []
    resp = session.get(url, params=params)
    for _ in range(1000):
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["data"]
        nxt = body.get("paging", {}).get("next")
        if not nxt:
            return items
        resp = session.get(nxt)
    raise AssertionError("pagination did not end")


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def test_insights_walk_every_campaign_day_once(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("meta")
    rows = _walk(
        s,
        f"{emulator.base_url('meta')}/v21.0/act_{ACCOUNT}/insights",
        {
            "level": "campaign",
            "time_increment": 1,
            "date_preset": "maximum",
            "fields": "campaign_id,impressions,spend",
            "limit": 7,
        },
    )
    got = [(r["campaign_id"], r["date_start"]) for r in rows]
    expected = sorted(
        (r.payload["campaign_id"], r.payload["date_start"]) for r in _records(world, "insights")
    )
    assert len(got) == len(set(got)) and sorted(got) == expected
    assert set(rows[0]) == {"campaign_id", "impressions", "spend", "date_start", "date_stop"}


def test_insights_time_range_is_a_day_filter(emulator: EmulatorServer, world: WorldStore):
    days = sorted({r.payload["date_start"] for r in _records(world, "insights")})
    since, until = days[1], days[3]
    rows = _walk(
        platform_session("meta"),
        f"{emulator.base_url('meta')}/v21.0/act_{ACCOUNT}/insights",
        {
            "level": "campaign",
            "time_increment": 1,
            "time_range": json.dumps({"since": since, "until": until}),
            "fields": "campaign_id,spend",
        },
    )
    expected = [r for r in _records(world, "insights") if since <= r.payload["date_start"] <= until]
    assert len(rows) == len(expected) > 0
    assert {r["date_start"] for r in rows} == {since, days[2], until}


def test_campaigns_return_only_requested_fields(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("meta")
    url = f"{emulator.base_url('meta')}/v21.0/act_{ACCOUNT}/campaigns"
    bare = _walk(s, url, {"limit": 2})
    assert all(set(c) == {"id"} for c in bare)
    assert sorted(c["id"] for c in bare) == sorted(r.id for r in _records(world, "campaigns"))
    named = s.get(url, params={"fields": "name,status"}).json()["data"]
    assert set(named[0]) == {"id", "name", "status"}


def test_leads_by_form_and_time_created_filter(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("meta")
    base = emulator.base_url("meta")
    page_id = SANDBOX_CREDENTIALS["META_PAGE_ID"]
    forms = [f["id"] for f in s.get(f"{base}/v21.0/{page_id}/leadgen_forms").json()["data"]]
    leads = _records(world, "leads")
    assert sorted(forms) == sorted({str(r.payload["form_id"]) for r in leads})
    everything = []
    for form in forms:
        everything += _walk(s, f"{base}/v21.0/{form}/leads", {"limit": 4})
    assert sorted(lead["id"] for lead in everything) == sorted(r.id for r in leads)
    assert "field_data" in everything[0]
    # incremental: only leads created after the cutoff
    cutoff = sorted(r.created_at for r in leads)[len(leads) // 2]
    ts = int(parse_ts(cutoff).timestamp())
    filtering = json.dumps([{"field": "time_created", "operator": "GREATER_THAN", "value": ts}])
    newer = []
    for form in forms:
        newer += _walk(s, f"{base}/v21.0/{form}/leads", {"filtering": filtering})
    assert sorted(lead["id"] for lead in newer) == sorted(
        r.id for r in leads if r.created_at > cutoff
    )


def test_bad_token_is_graph_oauth_error_190(emulator: EmulatorServer):
    url = f"{emulator.base_url('meta')}/v21.0/act_{ACCOUNT}/campaigns"
    resp = requests.get(url, params={"access_token": "nope"})
    # Graph answers token errors with HTTP 400 and code 190, not 401.
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == 190 and err["type"] == "OAuthException" and err["fbtrace_id"]
    assert "invalid_token" in resp.headers["WWW-Authenticate"]
    assert requests.get(url).json()["error"]["code"] == 104  # no token at all
    wrong_account = platform_session("meta").get(
        f"{emulator.base_url('meta')}/v21.0/act_999/campaigns"
    )
    assert wrong_account.json()["error"]["code"] == 100


def test_throttling_is_code_17_with_business_use_case_usage(emulator: EmulatorServer):
    set_knobs(emulator, rate_limits={"meta": {"capacity": 2, "per_second": 0.001}})
    s = platform_session("meta")
    url = f"{emulator.base_url('meta')}/v21.0/act_{ACCOUNT}/campaigns"
    ok = s.get(url)
    usage = json.loads(ok.headers["X-Business-Use-Case-Usage"])[ACCOUNT][0]
    assert usage["call_count"] == 50 and usage["estimated_time_to_regain_access"] == 0
    s.get(url)
    resp = s.get(url)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == 17 and resp.json()["error"]["is_transient"]
    usage = json.loads(resp.headers["X-Business-Use-Case-Usage"])[ACCOUNT][0]
    assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] >= 1


def test_custom_audience_create_add_remove(emulator: EmulatorServer, world: WorldStore):
    s = platform_session("meta")
    base = emulator.base_url("meta")
    created = s.post(
        f"{base}/v21.0/act_{ACCOUNT}/customaudiences",
        data={
            "name": "omnihub: lapsed vips",
            "subtype": "CUSTOM",
            "customer_file_source": "USER_PROVIDED_ONLY",
        },
    )
    assert created.status_code == 200, created.text
    aid = created.json()["id"]
    emails = [_sha(f"user{i}@example.com") for i in range(5)]
    payload = {"schema": ["EMAIL_SHA256", "PHONE_SHA256"], "data": [[e, ""] for e in emails]}
    payload["data"].append(["not-a-hash", ""])
    resp = s.post(f"{base}/v21.0/{aid}/users", data={"payload": json.dumps(payload)})
    body = resp.json()
    assert resp.status_code == 200, body
    assert (body["audience_id"], body["num_received"], body["num_invalid_entries"]) == (aid, 6, 1)
    assert "not-a-hash" in body["invalid_entry_samples"]
    assert sorted(k for _, k in world.members("meta_ads", aid)) == sorted(emails)
    removal = {"schema": ["EMAIL_SHA256"], "data": [[emails[0]], [emails[1]]]}
    assert s.delete(f"{base}/v21.0/{aid}/users", data={"payload": json.dumps(removal)}).ok
    node = s.get(f"{base}/v21.0/{aid}", params={"fields": "approximate_count_lower_bound"}).json()
    assert node["approximate_count_lower_bound"] == 3
    listed = _walk(s, f"{base}/v21.0/act_{ACCOUNT}/customaudiences", {"fields": "id,name"})
    assert [a["name"] for a in listed if a["id"] == aid] == ["omnihub: lapsed vips"]
    log = writes(emulator, "meta")
    assert [(w["method"], w["target"]) for w in log] == [
        ("POST", ACCOUNT),
        ("POST", aid),
        ("DELETE", aid),
    ]


def test_restricted_audience_and_oversized_batch_are_refused(emulator: EmulatorServer, world):
    s = platform_session("meta")
    base = emulator.base_url("meta")
    aid = s.post(
        f"{base}/v21.0/act_{ACCOUNT}/customaudiences",
        data={"name": "x", "customer_file_source": "USER_PROVIDED_ONLY"},
    ).json()["id"]
    too_many = {"schema": ["EMAIL_SHA256"], "data": [[_sha(str(i))] for i in range(10001)]}
    resp = s.post(f"{base}/v21.0/{aid}/users", data={"payload": json.dumps(too_many)})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == 100
    audience = world.get_audience("meta_ads", aid)
    payload = {**audience["payload"], "operation_status": {"code": 471, "description": "Flagged"}}
    world.put_audience("meta_ads", aid, name=audience["name"], payload=payload, account_id=ACCOUNT)
    ok_batch = {"schema": ["EMAIL_SHA256"], "data": [[_sha("a")]]}
    resp = s.post(f"{base}/v21.0/{aid}/users", data={"payload": json.dumps(ok_batch)})
    error = resp.json()["error"]  # as the Custom Audience Users reference documents
    assert resp.status_code == 400 and (error["code"], error["error_subcode"]) == (100, 1713230)
    assert world.members("meta_ads", aid) == []
    assert [w["status"] for w in writes(emulator, "meta_ads")] == [200, 400, 400]


def _records(world: WorldStore, stream: str):
    ids = [
        r[0]
        for r in world.conn.execute(
            "select id from records where platform = 'meta_ads' and stream = ? and deleted = 0",
            (stream,),
        )
    ]
    return [world.get_record("meta_ads", stream, i) for i in ids]


def test_usersreplace_session_swaps_membership_on_its_last_batch(
    emulator: EmulatorServer, world: WorldStore
):
    s = platform_session("meta")
    base = emulator.base_url("meta")
    aid = s.post(
        f"{base}/v21.0/act_{ACCOUNT}/customaudiences",
        data={"name": "r", "subtype": "CUSTOM", "customer_file_source": "USER_PROVIDED_ONLY"},
    ).json()["id"]
    old = {"schema": ["EMAIL", "FN"], "data": [[_sha("old@x.io"), _sha("ann")]]}
    assert s.post(f"{base}/v21.0/{aid}/users", data={"payload": json.dumps(old)}).ok
    assert world.members("meta_ads", aid) == [("EMAIL", _sha("old@x.io"))]  # one person

    def batch(seq: int, last: bool, emails: list[str]) -> requests.Response:
        session = {
            "session_id": 777,
            "batch_seq": seq,
            "last_batch_flag": last,
            "estimated_num_total": 3,
        }
        payload = {"schema": ["EMAIL"], "data": [[_sha(e)] for e in emails]}
        return s.post(
            f"{base}/v21.0/{aid}/usersreplace",
            data={"payload": json.dumps(payload), "session": json.dumps(session)},
        )

    skipped = batch(2, False, ["a@x.io"])
    assert skipped.status_code == 400 and skipped.json()["error"]["error_subcode"] == 1870147
    first = batch(1, False, ["a@x.io", "b@x.io"]).json()
    assert (first["account_id"], first["session_id"], first["num_received"]) == (ACCOUNT, "777", 2)
    assert world.members("meta_ads", aid) == [("EMAIL", _sha("old@x.io"))]  # not yet
    assert batch(2, True, ["c@x.io"]).ok
    assert sorted(k for _, k in world.members("meta_ads", aid)) == sorted(
        _sha(e) for e in ("a@x.io", "b@x.io", "c@x.io")
    )
    assert batch(3, True, ["d@x.io"]).status_code == 400  # the session has ended
