"""Klaviyo, Square, Zendesk and Meta streams against vendor-shaped payloads (responses):
pagination to the end, cursor advance, vendor error semantics, quarantine, drift."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import sqlalchemy as sa

from connectors.errors import AuthError, ConnectorError
from connectors.ingest import run_stream
from connectors.klaviyo.source import stream as klaviyo_stream
from connectors.meta_ads.source import stream as meta_stream
from connectors.square.source import stream as square_stream
from connectors.zendesk.source import stream as zendesk_stream
from warehouse import Landing, Warehouse

KLAVIYO = "https://a.klaviyo.com"
SQUARE = "https://connect.squareup.com"
ZENDESK = "https://acme.zendesk.com"
GRAPH = "https://graph.facebook.com/v23.0"
ENV = {
    "KLAVIYO_API_KEY": "pk_test",
    "SQUARE_ACCESS_TOKEN": "sq_test",
    "ZENDESK_BASE_URL": ZENDESK,
    "ZENDESK_EMAIL": "ops@acme.example",
    "ZENDESK_API_TOKEN": "zd_test",
    "META_ACCESS_TOKEN": "EAA_test",
    "META_AD_ACCOUNT_ID": "act_42",
    "META_PAGE_ID": "77",
}


def _no_sleep(stream: object) -> object:
    stream.client.sleep = lambda s: None  # type: ignore[attr-defined]
    return stream


def _query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def _count(wh: Warehouse, table: str) -> int:
    with wh.transaction() as conn:
        return int(conn.execute(sa.text(f"select count(*) from {table}")).scalar_one())


# -- Klaviyo -----------------------------------------------------------------------------
def _profile(pid: str, updated: str, **extra: object) -> dict:
    return {
        "type": "profile",
        "id": pid,
        "attributes": {"email": f"{pid}@x.com", "updated": updated, **extra},
    }


@responses.activate
def test_klaviyo_profiles_follow_links_and_cursor_is_newest_minus_lookback(
    duckdb_warehouse: Warehouse,
) -> None:
    url = f"{KLAVIYO}/api/profiles"
    nxt = f"{url}?page%5Bcursor%5D=abc"
    responses.get(
        url, json={"data": [_profile("A", "2026-05-01T10:00:00+00:00")], "links": {"next": nxt}}
    )
    responses.get(
        nxt,
        json={
            "data": [
                _profile("B", "2026-05-02T10:00:00+00:00", beta={"x": 1}),
                {"type": "profile", "attributes": {}},
            ],
            "links": {"next": None},
        },
    )
    landing = Landing(duckdb_warehouse)
    result = run_stream(klaviyo_stream("profiles", ENV), landing)
    assert (result.rows_landed, result.pages, result.quarantined) == (2, 2, 1)
    first = _query(responses.calls[0])
    assert first["sort"] == ["updated"] and "filter" not in first
    assert first["additional-fields[profile]"] == ["subscriptions"]
    assert responses.calls[0].request.headers["revision"] == "2026-01-15"
    assert responses.calls[0].request.headers["Authorization"] == "Klaviyo-API-Key pk_test"
    assert result.cursor_after == {"since": "2026-05-02T09:55:00Z"}

    responses.reset()
    responses.get(url, json={"data": [], "links": {"next": None}})
    again = run_stream(klaviyo_stream("profiles", ENV), landing)
    assert _query(responses.calls[0])["filter"] == ["greater-than(updated,2026-05-02T09:55:00Z)"]
    assert again.cursor_after == {"since": "2026-05-02T09:55:00Z"}  # never moves back


@responses.activate
def test_klaviyo_429_retry_after_is_waited(duckdb_warehouse: Warehouse) -> None:
    url = f"{KLAVIYO}/api/lists"
    responses.get(url, status=429, headers={"Retry-After": "2"}, json={"errors": [{"status": 429}]})
    responses.get(url, json={"data": [{"type": "list", "id": "L1", "attributes": {}}], "links": {}})
    s = _no_sleep(klaviyo_stream("lists", ENV))
    result = run_stream(s, Landing(duckdb_warehouse))
    assert result.rows_landed == 1 and result.rate_limit_waits == 1


@responses.activate
def test_klaviyo_401_names_the_key(duckdb_warehouse: Warehouse) -> None:
    responses.get(
        f"{KLAVIYO}/api/metrics", status=401, json={"errors": [{"code": "not_authenticated"}]}
    )
    with pytest.raises(AuthError, match="KLAVIYO_API_KEY"):
        run_stream(klaviyo_stream("metrics", ENV), Landing(duckdb_warehouse))


# -- Square ------------------------------------------------------------------------------
@responses.activate
def test_square_orders_search_per_location_batch_with_body_cursor(
    duckdb_warehouse: Warehouse,
) -> None:
    responses.get(
        f"{SQUARE}/v2/locations", json={"locations": [{"id": f"L{i:02d}"} for i in range(12)]}
    )
    search = f"{SQUARE}/v2/orders/search"

    def order(i):
        return {
            "id": f"O{i}",
            "updated_at": f"2026-05-0{i}T10:00:00.000Z",
            "location_id": "L00",
        }

    responses.post(search, json={"orders": [order(1)], "cursor": "c2"})
    responses.post(search, json={"orders": [order(2)]})
    responses.post(search, json={})  # second batch of locations: nothing
    result = run_stream(square_stream("orders", ENV), Landing(duckdb_warehouse))
    bodies = [json.loads(c.request.body) for c in responses.calls if c.request.method == "POST"]
    assert [len(b["location_ids"]) for b in bodies] == [10, 10, 2]
    assert "cursor" not in bodies[0] and bodies[1]["cursor"] == "c2"
    assert bodies[0]["query"]["sort"] == {"sort_field": "UPDATED_AT", "sort_order": "ASC"}
    assert responses.calls[1].request.headers["Square-Version"]
    assert result.rows_landed == 2 and result.cursor_after["since"] <= "2026-05-02T10:00:00Z"


@responses.activate
def test_square_429_without_retry_after_backs_off(duckdb_warehouse: Warehouse) -> None:
    url = f"{SQUARE}/v2/customers/search"
    responses.post(
        url, status=429, json={"errors": [{"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED"}]}
    )
    responses.post(url, json={"customers": [{"id": "C1", "updated_at": "2026-05-01T00:00:00Z"}]})
    result = run_stream(_no_sleep(square_stream("customers", ENV)), Landing(duckdb_warehouse))
    assert result.rows_landed == 1 and result.rate_limit_waits == 1


# -- Zendesk -----------------------------------------------------------------------------
@responses.activate
def test_zendesk_export_first_start_time_then_cursor_and_deletions(
    duckdb_warehouse: Warehouse,
) -> None:
    url = f"{ZENDESK}/api/v2/incremental/tickets/cursor.json"
    t = lambda i, status="open": {"id": i, "status": status, "updated_at": "2026-05-01T00:00:00Z"}  # noqa: E731
    responses.get(
        url, json={"tickets": [t(1), t(2, "deleted")], "after_cursor": "k1", "end_of_stream": False}
    )
    responses.get(url, json={"tickets": [t(3)], "after_cursor": "k2", "end_of_stream": True})
    landing = Landing(duckdb_warehouse)
    result = run_stream(zendesk_stream("tickets", ENV), landing)
    q1, q2 = (_query(c) for c in responses.calls)
    assert q1["start_time"] == ["0"] and "cursor" not in q1
    assert q2["cursor"] == ["k1"] and "start_time" not in q2
    assert (result.rows_landed, result.deleted) == (3, 1)
    assert landing.get_cursor("zendesk", "tickets") == {"after_cursor": "k2"}
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_zendesk_export_that_stops_moving_fails_instead_of_looping(
    duckdb_warehouse: Warehouse,
) -> None:
    url = f"{ZENDESK}/api/v2/incremental/users/cursor.json"
    responses.get(url, json={"users": [], "after_cursor": "same", "end_of_stream": False})
    responses.get(url, json={"users": [], "after_cursor": "same", "end_of_stream": False})
    with pytest.raises(ConnectorError, match="without reaching end_of_stream"):
        run_stream(zendesk_stream("users", ENV), Landing(duckdb_warehouse))
    assert len(responses.calls) == 2


# -- Meta --------------------------------------------------------------------------------
@responses.activate
def test_meta_expired_token_is_an_auth_error_not_a_retry(duckdb_warehouse: Warehouse) -> None:
    responses.get(
        f"{GRAPH}/act_42/campaigns",
        status=400,
        json={
            "error": {
                "message": "Error validating access token",
                "type": "OAuthException",
                "code": 190,
            }
        },
    )
    with pytest.raises(AuthError, match="META_ACCESS_TOKEN"):
        run_stream(meta_stream("campaigns", ENV), Landing(duckdb_warehouse))
    assert len(responses.calls) == 1


@responses.activate
def test_meta_throttle_code_17_waits_as_told(duckdb_warehouse: Warehouse) -> None:
    usage = json.dumps({"42": [{"type": "ads_insights", "estimated_time_to_regain_access": 2}]})
    responses.get(
        f"{GRAPH}/act_42/insights",
        status=400,
        headers={"X-Business-Use-Case-Usage": usage},
        json={"error": {"message": "(#17) User request limit reached", "code": 17}},
    )
    row = {
        "campaign_id": "9",
        "date_start": "2026-05-01",
        "date_stop": "2026-05-01",
        "spend": "3.10",
    }
    responses.get(f"{GRAPH}/act_42/insights", json={"data": [row, {"spend": "1"}]})
    s = meta_stream("insights", ENV)
    s.today = date(2026, 5, 3)
    slept: list[float] = []
    s.client.sleep = slept.append
    result = run_stream(s, Landing(duckdb_warehouse))
    assert slept == [120.0]
    assert (result.rows_landed, result.quarantined) == (1, 1)
    assert result.cursor_after == {"last_date": "2026-05-01"}
    params = _query(responses.calls[1])
    assert params["level"] == ["campaign"] and params["time_increment"] == ["1"]
    assert json.loads(params["time_range"][0])["until"] == "2026-05-03"
    assert _count(duckdb_warehouse, "raw.meta_ads__insights") == 1


@responses.activate
def test_meta_leads_per_form_with_time_created_filter(duckdb_warehouse: Warehouse) -> None:
    responses.get(f"{GRAPH}/77/leadgen_forms", json={"data": [{"id": "F1"}]})
    lead = {
        "id": "L1",
        "created_time": "2026-05-01T10:00:00+0000",
        "form_id": "F1",
        "field_data": [],
    }
    responses.get(f"{GRAPH}/F1/leads", json={"data": [lead]})
    landing = Landing(duckdb_warehouse)
    first = run_stream(meta_stream("leads", ENV), landing)
    assert first.rows_landed == 1
    responses.get(f"{GRAPH}/77/leadgen_forms", json={"data": [{"id": "F1"}]})
    responses.get(f"{GRAPH}/F1/leads", json={"data": []})
    run_stream(meta_stream("leads", ENV), landing)
    flt = json.loads(_query(responses.calls[-1])["filtering"][0])
    assert flt == [
        {
            "field": "time_created",
            "operator": "GREATER_THAN",
            "value": first.cursor_after["forms"]["F1"],
        }
    ]


def test_meta_leads_need_the_page_id() -> None:
    from connectors.errors import NotConfigured

    with pytest.raises(NotConfigured, match="META_PAGE_ID"):
        meta_stream("leads", {k: v for k, v in ENV.items() if k != "META_PAGE_ID"})
