"""Meta custom audiences: find-or-create, hashed multi-key batches of 10,000,
match-rate report, 471 refusal, usersreplace sessions (HTTP mocked with responses)."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs

import pytest
import responses

from connectors.errors import ConnectorError, NotConfigured
from connectors.meta_ads.destination import check_hashed, make_destination
from connectors.sync.destination import DestinationRefused, Member
from connectors.sync.engine import SyncSpec

GRAPH = "https://graph.facebook.com/v23.0"
ACCOUNT = "1234"
ENV = {"META_ACCESS_TOKEN": "EAAtest", "META_AD_ACCOUNT_ID": f"act_{ACCOUNT}"}
FIELDS = ("email", "phone_e164", "first_name", "last_name")
SPEC = SyncSpec(
    "m__meta_ads__custom_audience__x",
    "meta_ads",
    "custom_audience",
    "aud",
    "mirror",
    "customer_id",
    FIELDS,
)
AUDIENCES = f"{GRAPH}/act_{ACCOUNT}/customaudiences"
AID = "23850000000000001"
NORMAL = {"code": 200, "description": "Normal"}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _form(call) -> dict:
    form = {k: v[0] for k, v in parse_qs(call.request.body).items()}
    return {k: json.loads(v) if k in ("payload", "session") else v for k, v in form.items()}


def _found(status: dict = NORMAL) -> None:
    responses.get(
        AUDIENCES, json={"data": [{"id": AID, "name": "aud", "operation_status": status}]}
    )


def _ok(received: int, invalid: int = 0, samples: dict | None = None) -> dict:
    return {
        "audience_id": AID,
        "session_id": "99",
        "num_received": received,
        "num_invalid_entries": invalid,
        "invalid_entry_samples": samples or {},
    }


def _row(i: int) -> dict:
    return {
        "customer_id": f"c{i}",
        "email": f" User{i}@Example.com",
        "phone_e164": None,
        "first_name": "Ann",
        "last_name": None,
    }


@responses.activate
def test_10001_rows_are_two_calls_of_hashed_multi_key_rows() -> None:
    _found()
    responses.post(f"{GRAPH}/{AID}/users", json=_ok(10_000))
    responses.post(f"{GRAPH}/{AID}/users", json=_ok(1))
    dest = make_destination(SPEC, ENV)
    rows = [_row(i) for i in range(10_001)]
    outcomes = dest.add(rows)
    assert all(o.confirmed for o in outcomes) and len(outcomes) == 10_001
    posts = [c for c in responses.calls if c.request.method == "POST"]
    assert len(posts) == 2 and dest.api_calls == 3  # one find, two uploads
    first = _form(posts[0])["payload"]
    assert first["schema"] == ["EMAIL", "PHONE", "FN", "LN"]
    assert len(first["data"]) == 10_000 and len(_form(posts[1])["payload"]["data"]) == 1
    assert first["data"][0] == [_sha("user0@example.com"), "", _sha("ann"), ""]
    body = "".join(c.request.body for c in posts)
    assert "example.com" not in body.lower() and "Ann" not in body  # no plaintext left
    assert json.loads(outcomes[0].ref) == {"EMAIL": _sha("user0@example.com"), "FN": _sha("ann")}
    assert dest.report() == {
        "meta_rows_sent": 10_001,
        "meta_num_received": 10_001,
        "meta_num_invalid_entries": 0,
        "meta_match_rate": 1.0,
    }


@responses.activate
def test_pre_hashed_values_are_sent_as_they_are() -> None:
    _found()
    responses.post(f"{GRAPH}/{AID}/users", json=_ok(1))
    digest = _sha("joe@eg.com")
    [outcome] = make_destination(SPEC, ENV).add([{"customer_id": "c1", "email": digest.upper()}])
    assert outcome.confirmed
    assert _form(responses.calls[1])["payload"]["data"] == [[digest, "", "", ""]]


def test_the_last_check_refuses_anything_but_digests() -> None:
    check_hashed([[_sha("a"), ""]])
    with pytest.raises(AssertionError, match="un-hashed") as caught:
        check_hashed([[_sha("a"), "joe@eg.com"]])
    assert "joe@eg.com" not in str(caught.value)  # the message never carries the value


@responses.activate
def test_plaintext_never_leaves_even_if_hashing_were_bypassed() -> None:
    _found()
    dest = make_destination(SPEC, ENV)
    dest.hashes = lambda row: {"EMAIL": row["email"]}  # a bug that skipped hashing
    with pytest.raises(AssertionError):
        dest.add([{"customer_id": "c1", "email": "joe@eg.com"}])
    assert len(responses.calls) == 0  # checked before any call: nothing was sent at all


@responses.activate
def test_created_once_then_found_by_name() -> None:
    responses.get(AUDIENCES, json={"data": [{"id": "1", "name": "other"}]})
    responses.post(AUDIENCES, json={"id": AID})
    responses.post(f"{GRAPH}/{AID}/users", json=_ok(1))
    dest = make_destination(SPEC, ENV)
    dest.add([_row(1)])
    dest.add([_row(2)])
    creates = [
        c for c in responses.calls if c.request.url == AUDIENCES and c.request.method == "POST"
    ]
    assert len(creates) == 1
    created = parse_qs(creates[0].request.body)
    assert created["subtype"] == ["CUSTOM"]
    assert created["customer_file_source"] == ["USER_PROVIDED_ONLY"]
    assert created["name"] == ["aud"]

    responses.replace(responses.GET, AUDIENCES, json={"data": [{"id": AID, "name": "aud"}]})
    again = make_destination(SPEC, ENV)
    assert again.audience_id() == AID and again.api_calls == 1  # found: no create


@responses.activate
def test_audiences_are_paged_until_the_name_is_found() -> None:
    responses.get(
        AUDIENCES,
        json={"data": [{"id": "1", "name": "x"}], "paging": {"next": f"{AUDIENCES}?after=abc"}},
        match=[
            responses.matchers.query_param_matcher(
                {"fields": "id,name,operation_status,is_value_based", "limit": "100"}
            )
        ],
    )
    responses.get(f"{AUDIENCES}?after=abc", json={"data": [{"id": AID, "name": "aud"}]})
    assert make_destination(SPEC, ENV).audience_id() == AID


@responses.activate
def test_a_restricted_audience_is_refused_before_anything_is_sent() -> None:
    _found({"code": 471, "description": "Flagged"})
    dest = make_destination(SPEC, ENV)
    with pytest.raises(DestinationRefused, match=r"restricted.*Appeal"):
        dest.add([_row(1)])
    assert len(responses.calls) == 1


@responses.activate
def test_upload_blocked_error_is_a_refusal_never_retried() -> None:
    _found()
    blocked = {
        "error": {
            "message": "Invalid parameter",
            "type": "OAuthException",
            "code": 100,
            "error_subcode": 1713230,
            "error_user_title": "Audience Upload Blocked",
        }
    }
    responses.post(f"{GRAPH}/{AID}/users", json=blocked, status=400)
    dest = make_destination(SPEC, ENV)
    with pytest.raises(DestinationRefused):
        dest.add([_row(1)])
    assert len(responses.calls) == 2  # find + one attempt


@responses.activate
def test_throttle_code_17_is_waited_out_by_the_http_layer() -> None:
    _found()
    throttled = {"error": {"message": "(#17) User request limit reached", "code": 17}}
    usage = {ACCOUNT: [{"estimated_time_to_regain_access": 1}]}
    responses.post(
        f"{GRAPH}/{AID}/users",
        json=throttled,
        status=400,
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    responses.post(f"{GRAPH}/{AID}/users", json=_ok(1))
    dest = make_destination(SPEC, ENV)
    slept: list[float] = []
    dest.client.sleep = slept.append
    [outcome] = dest.add([_row(1)])
    assert outcome.confirmed and slept == [60.0]
    assert dest.client.stats.rate_limit_waits == 1 and dest.api_calls == 2


@responses.activate
def test_invalid_entries_reject_their_rows_and_skips_have_no_identifier() -> None:
    _found()
    bad = _sha("user2@example.com")
    responses.post(f"{GRAPH}/{AID}/users", json=_ok(2, 1, {bad: "Invalid format"}))
    rows = [_row(1), _row(2), {"customer_id": "c3", "email": "nope"}]
    ok, rejected, skipped = make_destination(SPEC, ENV).add(rows)
    assert ok.confirmed
    assert not rejected.confirmed and not rejected.skipped and "Invalid format" in rejected.reason
    assert skipped.skipped and not skipped.confirmed
    assert len(_form(responses.calls[1])["payload"]["data"]) == 2


@responses.activate
def test_a_refused_batch_rejects_its_rows_with_metas_reason() -> None:
    _found()
    refusal = {"error": {"message": "(#100) Invalid payload", "code": 100}}
    responses.post(f"{GRAPH}/{AID}/users", json=refusal, status=400)
    outcomes = make_destination(SPEC, ENV).add([_row(1), _row(2)])
    assert [o.confirmed for o in outcomes] == [False, False]
    assert all("Invalid payload" in o.reason for o in outcomes)


@responses.activate
def test_remove_sends_exactly_the_recorded_hashes() -> None:
    _found()
    responses.delete(f"{GRAPH}/{AID}/users", json=_ok(2))
    old = json.dumps({"EMAIL": _sha("old@eg.com")})
    untracked = json.dumps({"EMAIL": _sha("x@eg.com"), "PHONE": _sha("15551234567")})
    outcomes = make_destination(SPEC, ENV).remove(
        [Member("c1", "sum", old), Member("untracked:x", "", untracked), Member("c3", "s", None)]
    )
    assert [o.confirmed for o in outcomes] == [True, True, False]
    payload = _form(responses.calls[1])["payload"]
    assert payload["schema"] == ["EMAIL", "PHONE", "FN", "LN"]
    assert payload["data"] == [
        [_sha("old@eg.com"), "", "", ""],
        [_sha("x@eg.com"), _sha("15551234567"), "", ""],
    ]


@responses.activate
def test_replace_is_one_session_in_batches_with_the_last_one_flagged() -> None:
    _found()
    for _ in range(2):
        responses.post(f"{GRAPH}/{AID}/usersreplace", json={**_ok(1), "account_id": ACCOUNT})
    dest = make_destination(SPEC, ENV)
    rows = [_row(i) for i in range(10_001)] + [{"customer_id": "none"}]
    outcomes = dest.replace(rows)
    assert sum(o.confirmed for o in outcomes) == 10_001 and outcomes[-1].skipped
    sessions = [_form(c)["session"] for c in responses.calls[1:]]
    assert [s["batch_seq"] for s in sessions] == [1, 2]
    assert [s["last_batch_flag"] for s in sessions] == [False, True]
    assert {s["session_id"] for s in sessions} == {sessions[0]["session_id"]}
    assert all(s["estimated_num_total"] == 10_001 for s in sessions)
    assert dest.members() is None  # Meta cannot list: reconciliation replaces


def test_unsupported_object_field_or_missing_env() -> None:
    with pytest.raises(ConnectorError, match="custom_audience"):
        make_destination(SyncSpec("s", "meta_ads", "list", "t", "mirror", "k"), ENV)
    with pytest.raises(ConnectorError, match="lifetime_value"):
        make_destination(
            SyncSpec(
                "s", "meta_ads", "custom_audience", "t", "mirror", "k", ("email", "lifetime_value")
            ),
            ENV,
        )
    with pytest.raises(NotConfigured, match="META_ACCESS_TOKEN"):
        make_destination(SPEC, {})


def test_lookalike_value_is_the_only_unhashed_column_and_never_negative() -> None:
    schema = ["EMAIL", "LOOKALIKE_VALUE"]
    check_hashed([[_sha("a"), 12.5], [_sha("b"), 0]], schema)
    with pytest.raises(AssertionError, match="LOOKALIKE_VALUE"):
        check_hashed([[_sha("a"), -1]], schema)
    with pytest.raises(AssertionError, match="LOOKALIKE_VALUE"):
        check_hashed([[_sha("a"), "12.5"]], schema)
    with pytest.raises(AssertionError, match="un-hashed"):
        check_hashed([[12.5, _sha("a")]], schema)  # a number where a hash belongs
