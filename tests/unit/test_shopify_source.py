"""Shopify customers stream: Link pagination, cursor per page, resume, quarantine, drift."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import sqlalchemy as sa

from connectors.ingest import run_stream
from connectors.shopify.source import customers_stream
from warehouse import Landing, Warehouse

SHOP = "https://omnihub-test.myshopify.com"
URL = f"{SHOP}/admin/api/2025-01/customers.json"
ENV = {"SHOPIFY_SHOP_URL": SHOP, "SHOPIFY_ACCESS_TOKEN": "shpat_test"}
DATE = {"Date": "Tue, 24 Nov 2026 12:00:00 GMT"}


def _customer(i: int, updated: str = "2026-05-01T10:00:00-04:00", **extra: object) -> dict:
    return {"id": i, "email": f"c{i}@example.com", "updated_at": updated, **extra}


def _link(page_info: str) -> dict[str, str]:
    return {"Link": f'<{URL}?limit=250&page_info={page_info}>; rel="next"', **DATE}


def _query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def _ids(wh: Warehouse) -> list[str]:
    with wh.transaction() as conn:
        return sorted(r[0] for r in conn.execute(sa.text("select id from raw.shopify__customers")))


@responses.activate
def test_pages_to_the_end_with_page_info_only_on_follow_ups(duckdb_warehouse: Warehouse) -> None:
    responses.get(URL, json={"customers": [_customer(1), _customer(2)]}, headers=_link("p2"))
    responses.get(URL, json={"customers": [_customer(3)]}, headers=DATE)
    landing = Landing(duckdb_warehouse)
    result = run_stream(customers_stream(ENV), landing)
    assert (result.rows_landed, result.pages) == (3, 2)
    first, second = (_query(c) for c in responses.calls)
    assert first == {"limit": ["250"]}
    assert second == {"limit": ["250"], "page_info": ["p2"]}
    assert _ids(duckdb_warehouse) == ["1", "2", "3"]
    # traversal done: next run starts at the newest updated_at minus the lookback
    assert landing.get_cursor("shopify", "customers") == {"updated_at_min": "2026-05-01T13:55:00Z"}


@responses.activate
def test_incremental_run_asks_only_for_changes(duckdb_warehouse: Warehouse) -> None:
    landing = Landing(duckdb_warehouse)
    landing.land_page(
        "shopify", "customers", [], [], {"updated_at_min": "2026-05-01T13:55:00Z"}, "b0"
    )
    responses.get(URL, json={"customers": [_customer(4, "2026-05-03T09:00:00Z")]}, headers=DATE)
    result = run_stream(customers_stream(ENV), landing)
    assert _query(responses.calls[0])["updated_at_min"] == ["2026-05-01T13:55:00Z"]
    assert result.cursor_after == {"updated_at_min": "2026-05-03T08:55:00Z"}


@responses.activate
def test_crash_mid_traversal_resumes_from_the_committed_page(duckdb_warehouse: Warehouse) -> None:
    responses.get(URL, json={"customers": [_customer(1)]}, headers=_link("p2"))
    responses.get(URL, status=500, body="boom")
    landing = Landing(duckdb_warehouse)
    stream = customers_stream(ENV)
    stream.client.policy.max_retries = 0
    stream.client.sleep = lambda s: None
    with pytest.raises(Exception, match="kept failing"):
        run_stream(stream, landing)
    assert landing.get_cursor("shopify", "customers")["page_info"] == "p2"

    responses.reset()
    responses.get(URL, json={"customers": [_customer(2)]}, headers=DATE)
    run_stream(customers_stream(ENV), landing)
    assert _query(responses.calls[0]) == {"limit": ["250"], "page_info": ["p2"]}
    assert _ids(duckdb_warehouse) == ["1", "2"]  # nothing lost, nothing twice


@responses.activate
def test_stale_page_info_restarts_the_traversal(duckdb_warehouse: Warehouse) -> None:
    landing = Landing(duckdb_warehouse)
    landing.land_page(
        "shopify",
        "customers",
        [],
        [],
        {"updated_at_min": "2026-05-01T00:00:00Z", "page_info": "expired"},
        "b0",
    )
    responses.get(URL, status=400, json={"errors": {"page_info": "Invalid value."}})
    responses.get(URL, json={"customers": [_customer(5)]}, headers=DATE)
    run_stream(customers_stream(ENV), landing)
    assert _query(responses.calls[1]) == {
        "limit": ["250"],
        "updated_at_min": ["2026-05-01T00:00:00Z"],
    }


@responses.activate
def test_malformed_record_quarantined_and_unknown_field_kept(duckdb_warehouse: Warehouse) -> None:
    responses.get(
        URL,
        json={
            "customers": [
                _customer(1, loyalty_beta={"tier": "gold"}),
                {"email": "no-id@example.com", "updated_at": "2026-05-01T10:00:00Z"},
                _customer(3, updated="yesterday"),
            ]
        },
        headers=DATE,
    )
    result = run_stream(customers_stream(ENV), Landing(duckdb_warehouse))
    assert (result.rows_landed, result.quarantined) == (1, 2)
    with duckdb_warehouse.transaction() as conn:
        reasons = sorted(r[0] for r in conn.execute(sa.text("select reason from raw._quarantine")))
        tier = conn.execute(
            sa.text("select payload->'loyalty_beta'->>'tier' from raw.shopify__customers")
        ).scalar_one()
    assert reasons[0] == "missing id" and reasons[1].startswith("unparseable updated_at")
    assert tier == "gold"


def test_not_configured_names_the_variables() -> None:
    from connectors.errors import NotConfigured

    with pytest.raises(NotConfigured, match="SHOPIFY_SHOP_URL, SHOPIFY_ACCESS_TOKEN"):
        customers_stream({})
