"""Klaviyo lists, suppressions and profile properties (HTTP mocked with responses)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
import responses

from connectors.errors import ConnectorError
from connectors.klaviyo.destination import NOT_RESUBSCRIBED, make_destination
from connectors.sync.destination import Member
from connectors.sync.engine import SyncSpec

API = "https://a.klaviyo.com/api"
ENV = {"KLAVIYO_API_KEY": "pk_test"}
LIST_FIELDS = ("email", "phone_e164", "klaviyo_profile_id", "first_name", "abandoned_products")
LIST = SyncSpec(
    "cart__klaviyo__list__x",
    "klaviyo",
    "list",
    "omnihub-cart",
    "mirror",
    "customer_id",
    LIST_FIELDS,
)
MEMBERS = f"{API}/lists/L1/relationships/profiles"
ERROR = {
    "errors": [
        {
            "status": 400,
            "code": "invalid",
            "title": "Invalid input.",
            "detail": "Invalid phone number format",
            "source": {"pointer": "/data/"},
        }
    ]
}


def _body(call) -> dict:
    return json.loads(call.request.body)


def _sent(url: str) -> list[dict]:
    return [_body(c) for c in responses.calls if c.request.url == url and c.request.body]


def _existing_list() -> None:
    responses.get(
        f"{API}/lists",
        json={
            "data": [{"type": "list", "id": "L1", "attributes": {"name": "omnihub-cart"}}],
            "links": {},
        },
    )


JOBS = f"{API}/profile-bulk-import-jobs"


def _import_job(
    job_id: str,
    *,
    profiles: list[dict] | None = None,
    errors: list[dict] | None = None,
    status: str = "complete",
) -> None:
    """A bulk import job as Klaviyo answers it: 202 queued, then `status` on the
    first poll, then its (one-page) errors and profiles."""
    job = {"type": "profile-bulk-import-job", "id": job_id}
    responses.post(JOBS, status=202, json={"data": {**job, "attributes": {"status": "queued"}}})
    attrs = {"status": status, "failed_count": len(errors or []), "total_count": 0}
    responses.get(f"{JOBS}/{job_id}", json={"data": {**job, "attributes": attrs}})
    responses.get(f"{JOBS}/{job_id}/import-errors", json={"data": errors or [], "links": {}})
    responses.get(f"{JOBS}/{job_id}/profiles", json={"data": profiles or [], "links": {}})


def _fast_polls(dest) -> None:
    dest.client._nap = lambda seconds: None


def _no_consent_calls() -> None:
    """List membership is not consent: no subscribe/unsubscribe endpoint, no
    subscriptions in any body."""
    for call in responses.calls:
        body = call.request.body or b""
        text = body.decode() if isinstance(body, bytes) else body
        assert "subscri" not in call.request.url and "subscriptions" not in text


@responses.activate
def test_list_found_or_created_once() -> None:
    responses.get(f"{API}/lists", json={"data": [], "links": {"next": None}})
    responses.post(
        f"{API}/lists",
        status=201,
        json={"data": {"type": "list", "id": "L1", "attributes": {"name": "omnihub-cart"}}},
    )
    dest = make_destination(SyncSpec("s", "klaviyo", "list", "omnihub-cart", "mirror", "k"), ENV)
    assert dest.list_id() == "L1" and dest.list_id() == "L1"
    assert [c.request.method for c in responses.calls] == ["GET", "POST"]
    assert 'filter=equals(name,"omnihub-cart")' in unquote(responses.calls[0].request.url)
    assert _body(responses.calls[1]) == {
        "data": {"type": "list", "attributes": {"name": "omnihub-cart"}}
    }


@responses.activate
def test_add_resolves_profiles_writes_properties_by_one_import_job_then_adds_in_one_call() -> None:
    _existing_list()
    # the row with an id has its properties written onto it; the row with only
    # an email gets a new profile, whose id the job's profiles give back
    _import_job(
        "J1", profiles=[{"type": "profile", "id": "P9", "attributes": {"email": "new@x.io"}}]
    )
    responses.post(MEMBERS, status=204)
    rows = [
        {
            "customer_id": "c1",
            "klaviyo_profile_id": "P1",
            "email": "a@x.io",
            "first_name": "Ann",
            "abandoned_products": ["Hat", "Scarf"],
        },
        {"customer_id": "c2", "email": " new@x.io ", "abandoned_products": []},
        {"customer_id": "c3", "first_name": "Nobody"},
    ]
    dest = make_destination(LIST, ENV)
    _fast_polls(dest)
    outcomes = dest.add(rows)
    assert [(o.key, o.confirmed, o.ref) for o in outcomes[:2]] == [
        ("c1", True, "P1"),
        ("c2", True, "P9"),
    ]
    assert outcomes[2].skipped and not outcomes[2].confirmed
    [job] = _sent(JOBS)
    by_id, by_email = job["data"]["attributes"]["profiles"]["data"]
    assert by_id == {
        "type": "profile",
        "id": "P1",
        "attributes": {"first_name": "Ann", "properties": {"abandoned_products": ["Hat", "Scarf"]}},
    }
    assert by_email["attributes"]["email"] == "new@x.io" and "id" not in by_email
    assert _sent(MEMBERS) == [
        {"data": [{"type": "profile", "id": "P1"}, {"type": "profile", "id": "P9"}]}
    ]
    assert not [c for c in responses.calls if c.request.url.endswith("/profile-import")]
    # job, its status, its profiles, the list, the one membership call
    assert dest.api_calls == 5
    _no_consent_calls()


@responses.activate
def test_rows_with_an_id_and_nothing_to_write_need_no_import_and_batch_at_1000() -> None:
    _existing_list()
    responses.post(MEMBERS, status=204)
    responses.post(MEMBERS, status=204)
    spec = SyncSpec(
        "s",
        "klaviyo",
        "list",
        "omnihub-cart",
        "mirror",
        "customer_id",
        ("email", "klaviyo_profile_id"),
    )
    rows = [{"customer_id": f"c{i}", "klaviyo_profile_id": f"P{i}"} for i in range(1001)]
    dest = make_destination(spec, ENV)
    assert all(o.confirmed for o in dest.add(rows))
    adds = [c for c in responses.calls if c.request.url == MEMBERS]
    assert [len(_body(c)["data"]) for c in adds] == [1000, 1]
    assert dest.batch_size == 1000 and dest.api_calls == 3


@responses.activate
def test_a_refused_profile_is_rejected_and_a_bad_id_is_isolated() -> None:
    _existing_list()
    refused = {
        "type": "import-error",
        "id": "e1",
        "attributes": {
            "code": "invalid",
            "title": "Invalid input.",
            "detail": "Invalid phone number format",
            "original_payload": {"type": "profile", "attributes": {"phone_number": "12"}},
        },
    }
    _import_job("J1", errors=[refused])
    # P2 is refused: the call with both fails, then each half alone
    responses.post(MEMBERS, status=400, json=ERROR)
    responses.post(MEMBERS, status=204)
    responses.post(MEMBERS, status=400, json=ERROR)
    spec = SyncSpec(
        "s",
        "klaviyo",
        "list",
        "omnihub-cart",
        "mirror",
        "customer_id",
        ("phone_e164", "klaviyo_profile_id"),
    )
    rows = [
        {"customer_id": "c0", "phone_e164": "12"},
        {"customer_id": "c1", "klaviyo_profile_id": "P1"},
        {"customer_id": "c2", "klaviyo_profile_id": "P2"},
    ]
    dest = make_destination(spec, ENV)
    _fast_polls(dest)
    bad_phone, ok, bad_id = dest.add(rows)
    assert not bad_phone.confirmed and "Invalid phone number format" in bad_phone.reason
    assert ok.confirmed
    assert not bad_id.confirmed and not bad_id.skipped and "invalid" in bad_id.reason
    sent = [
        [p["id"] for p in _body(c)["data"]] for c in responses.calls if c.request.url == MEMBERS
    ]
    assert sent == [["P1", "P2"], ["P1"], ["P2"]]


@responses.activate
def test_429_is_waited_out_through_the_http_layer() -> None:
    _existing_list()
    responses.post(
        MEMBERS, status=429, headers={"Retry-After": "3"}, json={"errors": [{"code": "throttled"}]}
    )
    responses.post(MEMBERS, status=204)
    spec = SyncSpec("s", "klaviyo", "list", "omnihub-cart", "mirror", "klaviyo_profile_id")
    dest = make_destination(spec, ENV)
    slept: list[float] = []
    dest.client.sleep = slept.append
    [outcome] = dest.add([{"klaviyo_profile_id": "P1"}])
    assert outcome.confirmed and slept == [3.0]
    assert dest.client.stats.rate_limit_waits == 1 and dest.api_calls == 2


@responses.activate
def test_remove_by_ref_and_members_pages() -> None:
    _existing_list()
    responses.delete(MEMBERS, status=204)
    responses.get(
        MEMBERS,
        json={
            "data": [{"type": "profile", "id": "P1"}],
            "links": {"next": f"{MEMBERS}?page%5Bcursor%5D=abc"},
        },
    )
    responses.get(
        f"{MEMBERS}?page%5Bcursor%5D=abc",
        json={"data": [{"type": "profile", "id": "P2"}], "links": {"next": None}},
    )
    dest = make_destination(LIST, ENV)
    gone, unknown = dest.remove([Member("c1", "s", "P1"), Member("c2", "s", None)])
    assert gone.confirmed and not unknown.confirmed
    assert _sent(MEMBERS) == [{"data": [{"type": "profile", "id": "P1"}]}]
    assert list(dest.members()) == ["P1", "P2"]
    assert "page[size]=100" in unquote(responses.calls[-2].request.url)


@responses.activate
def test_suppression_jobs_of_100_polled_to_completion() -> None:
    jobs = f"{API}/profile-suppression-bulk-create-jobs"
    for n in ("J1", "J2"):
        responses.post(
            jobs,
            status=202,
            json={
                "data": {
                    "type": "profile-suppression-bulk-create-job",
                    "id": n,
                    "attributes": {"status": "queued"},
                }
            },
        )
    responses.get(f"{jobs}/J1", json={"data": {"id": "J1", "attributes": {"status": "processing"}}})
    responses.get(f"{jobs}/J1", json={"data": {"id": "J1", "attributes": {"status": "complete"}}})
    responses.get(f"{jobs}/J2", json={"data": {"id": "J2", "attributes": {"status": "complete"}}})
    spec = SyncSpec("s", "klaviyo", "suppression", "x", "add_only", "customer_id", ("email",))
    dest = make_destination(spec, ENV)
    slept: list[float] = []
    dest.client.sleep = slept.append
    rows = [{"customer_id": f"c{i}", "email": f"U{i}@x.io "} for i in range(101)]
    rows.append({"customer_id": "none"})
    outcomes = dest.add(rows)
    assert sum(o.confirmed for o in outcomes) == 101 and outcomes[-1].skipped
    # the suppressed address is the member's ref: a second customer at it is not sent again
    assert outcomes[0].ref == dest.ref_of(rows[0]) == "u0@x.io"
    posted = [_body(c) for c in responses.calls if c.request.method == "POST"]
    emails = [p["attributes"]["email"] for p in posted[0]["data"]["attributes"]["profiles"]["data"]]
    assert len(emails) == 100 and emails[0] == "u0@x.io"
    assert len(posted[1]["data"]["attributes"]["profiles"]["data"]) == 1
    assert slept == [1.0] and dest.batch_size == 100


@responses.activate
def test_removing_a_suppression_never_unsuppresses() -> None:
    spec = SyncSpec("s", "klaviyo", "suppression", "x", "mirror", "customer_id", ("email",))
    [outcome] = make_destination(spec, ENV).remove([Member("c1", "s", None)])
    assert (outcome.confirmed, outcome.skipped, outcome.reason) == (False, True, NOT_RESUBSCRIBED)
    assert len(responses.calls) == 0  # not a single call, let alone a bulk-delete job


PROPERTIES = SyncSpec(
    "aff__klaviyo__profile_properties__a",
    "klaviyo",
    "profile_properties",
    "a",
    "upsert",
    "customer_id",
    ("email", "klaviyo_profile_id", "affinity_category"),
)


@responses.activate
def test_profile_properties_upsert_and_unset_by_bulk_import_jobs() -> None:
    _import_job("J1", profiles=[{"type": "profile", "id": "P1", "attributes": {"email": "A@x.io"}}])
    _import_job("J2")
    dest = make_destination(PROPERTIES, ENV)
    _fast_polls(dest)
    [added] = dest.add([{"customer_id": "c1", "email": "A@x.io", "affinity_category": "shoes"}])
    assert added.confirmed and added.ref == "P1"  # the id the job created, matched by email
    [job] = _sent(JOBS)[:1]
    assert job["data"]["type"] == "profile-bulk-import-job"
    assert job["data"]["attributes"]["profiles"]["data"] == [
        {
            "type": "profile",
            "attributes": {"email": "A@x.io", "properties": {"affinity_category": "shoes"}},
        }
    ]
    profiles_read = next(c for c in responses.calls if "/J1/profiles" in c.request.url)
    assert "page%5Bsize%5D=100" in profiles_read.request.url
    [removed] = dest.remove([Member("c1", "s", "P1")])
    assert removed.confirmed
    assert _sent(JOBS)[1]["data"]["attributes"]["profiles"]["data"] == [
        {
            "type": "profile",
            "id": "P1",
            "attributes": {},
            "meta": {"patch_properties": {"unset": ["affinity_category"]}},
        }
    ]
    # rows sent by id need no read of the job's profiles
    assert not [c for c in responses.calls if "/J2/profiles" in c.request.url]
    _no_consent_calls()


@responses.activate
def test_an_import_error_fails_its_row_only_and_a_cancelled_job_fails_all() -> None:
    bad = {"type": "profile", "id": "P2", "attributes": {"properties": {"affinity_category": "x"}}}
    _import_job(
        "J1",
        errors=[
            {
                "type": "import-error",
                "id": "e1",
                "attributes": {
                    "code": "invalid",
                    "title": "Invalid input.",
                    "detail": "A profile with id P2 does not exist.",
                    "source": {"pointer": "/data/attributes/profiles/data/1"},
                    "original_payload": bad,
                },
            }
        ],
    )
    dest = make_destination(PROPERTIES, ENV)
    _fast_polls(dest)
    rows = [
        {"customer_id": "c1", "klaviyo_profile_id": "P1", "affinity_category": "x"},
        {"customer_id": "c2", "klaviyo_profile_id": "P2", "affinity_category": "x"},
        {"customer_id": "c3", "affinity_category": "x"},  # nothing to find a profile by
    ]
    ok, refused, skipped = dest.add(rows)
    assert (ok.key, ok.confirmed, ok.ref) == ("c1", True, "P1")
    assert refused.key == "c2" and not refused.confirmed and not refused.skipped
    assert (
        refused.reason
        == "Klaviyo refused the profile: invalid: A profile with id P2 does not exist."
    )
    assert skipped.key == "c3" and skipped.skipped
    assert len(_sent(JOBS)[0]["data"]["attributes"]["profiles"]["data"]) == 2

    _import_job("J2", status="cancelled")
    outcomes = dest.update(rows[:2])
    assert [o.confirmed for o in outcomes] == [False, False]
    assert "cancelled profile import job J2" in outcomes[0].reason


@responses.activate
def test_a_job_refused_whole_is_split_until_the_bad_profile_is_alone() -> None:
    calls = []

    def answer(request):
        profiles = json.loads(request.body)["data"]["attributes"]["profiles"]["data"]
        calls.append(len(profiles))
        if any(p.get("id") == "P3" for p in profiles):
            return 400, {}, json.dumps(ERROR)
        job = {"type": "profile-bulk-import-job", "id": f"J{len(calls)}"}
        return 202, {}, json.dumps({"data": {**job, "attributes": {"status": "queued"}}})

    responses.add_callback(responses.POST, JOBS, callback=answer)
    for n in range(1, 8):
        job = {"type": "profile-bulk-import-job", "id": f"J{n}"}
        done = {"status": "complete", "failed_count": 0}
        responses.get(f"{JOBS}/J{n}", json={"data": {**job, "attributes": done}})
    dest = make_destination(PROPERTIES, ENV)
    _fast_polls(dest)
    rows = [
        {"customer_id": f"c{i}", "klaviyo_profile_id": f"P{i}", "affinity_category": "x"}
        for i in range(4)
    ]
    outcomes = dest.add(rows)
    assert [o.confirmed for o in outcomes] == [True, True, True, False]
    assert "Invalid phone number format" in outcomes[3].reason
    assert calls == [4, 2, 2, 1, 1]


def test_import_jobs_hold_a_thousand_profiles_and_stay_under_5_mb() -> None:
    from connectors.klaviyo import destination as module

    small = [(i, str(i), {"type": "profile", "id": str(i)}) for i in range(2500)]
    assert [len(job) for job in module._import_jobs(small)] == [1000, 1000, 500]
    big = {"type": "profile", "id": "x", "attributes": {"properties": {"p": "y" * 1_000_000}}}
    heavy = [(i, str(i), big) for i in range(9)]
    sizes = [len(job) for job in module._import_jobs(heavy)]
    assert sizes == [4, 4, 1] and sum(sizes) == 9


def test_unsupported_object() -> None:
    with pytest.raises(ConnectorError, match="'list'"):
        make_destination(
            SyncSpec("model__klaviyo__segment__x", "klaviyo", "segment", "x", "mirror", "k"), ENV
        )
