"""The shared HTTP layer: retry decisions, backoff, Retry-After, auth fail-fast, pacing."""

from __future__ import annotations

import logging

import pytest
import requests
import responses

from connectors.errors import AuthError, ClientError, RateLimitExhausted, ServerError
from connectors.http import (
    HttpClient,
    RetryPolicy,
    Verdict,
    backoff_seconds,
    classify,
    parse_retry_after,
)
from connectors.shopify.client import call_limit_pacing

BASE = "https://shop.example/admin/api/2025-01"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(**kwargs: object) -> tuple[HttpClient, Sleeps]:
    sleeps = Sleeps()
    client = HttpClient(
        platform="shopify",
        base_url=BASE,
        headers={"X-Shopify-Access-Token": "shpat_SECRET"},
        auth_env=("SHOPIFY_ACCESS_TOKEN",),
        sleep=sleeps,
        jitter=lambda: 0.5,
        **kwargs,  # type: ignore[arg-type]
    )
    return client, sleeps


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.OK),
        (201, Verdict.OK),
        (429, Verdict.RATE_LIMITED),
        (401, Verdict.AUTH),
        (403, Verdict.AUTH),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (408, Verdict.RETRY),
        (400, Verdict.FAIL),
        (404, Verdict.FAIL),
    ],
)
def test_classify_statuses(status: int, verdict: Verdict) -> None:
    assert classify(status) is verdict


def test_classify_transport_errors() -> None:
    assert classify(None, requests.ConnectionError()) is Verdict.RETRY
    assert classify(None, requests.ReadTimeout()) is Verdict.RETRY
    assert classify(None, requests.TooManyRedirects()) is Verdict.FAIL


def test_backoff_grows_with_equal_jitter_and_server_hint_wins() -> None:
    fixed = [backoff_seconds(n, base=1, cap=60, jitter=lambda: 0.0) for n in (1, 2, 3, 4)]
    assert fixed == [0.5, 1.0, 2.0, 4.0]
    assert backoff_seconds(10, base=1, cap=8, jitter=lambda: 1.0) == 8.0
    assert backoff_seconds(3, retry_after=7.0, jitter=lambda: 1.0) == 7.0


def test_retry_after_seconds_and_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("Tue, 24 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("nonsense") is None
    assert parse_retry_after(None) is None


@responses.activate
def test_429_with_retry_after_then_success_uses_no_error_retry() -> None:
    url = f"{BASE}/customers.json"
    responses.get(url, status=429, headers={"Retry-After": "3.0"}, json={"errors": "slow"})
    responses.get(url, status=429, headers={"Retry-After": "1.0"}, json={"errors": "slow"})
    responses.get(url, json={"customers": []})
    client, sleeps = _client(policy=RetryPolicy(max_retries=0))
    assert client.get("customers.json").json() == {"customers": []}
    assert sleeps == [3.0, 1.0]
    assert client.stats.rate_limit_waits == 2 and client.stats.retries == 0


@responses.activate
def test_5xx_burst_then_success() -> None:
    url = f"{BASE}/customers.json"
    for status in (500, 502, 503):
        responses.get(url, status=status, body="oops")
    responses.get(url, json={"customers": [{"id": 1}]})
    client, sleeps = _client()
    assert client.get("customers.json").json()["customers"] == [{"id": 1}]
    assert client.stats.retries == 3
    assert sleeps == [0.375, 0.75, 1.5]  # base 0.5, equal jitter at 0.5


@responses.activate
def test_5xx_past_budget_says_what_to_do() -> None:
    url = f"{BASE}/customers.json"
    for _ in range(4):
        responses.get(url, status=503, body="down")
    client, _ = _client(policy=RetryPolicy(max_retries=3))
    with pytest.raises(ServerError, match="Rerun later"):
        client.get("customers.json")
    assert len(responses.calls) == 4


@responses.activate
def test_connection_error_is_retried() -> None:
    url = f"{BASE}/customers.json"
    responses.get(url, body=requests.ConnectionError("reset"))
    responses.get(url, json={"ok": True})
    client, sleeps = _client()
    assert client.get("customers.json").json() == {"ok": True}
    assert len(sleeps) == 1


@responses.activate
def test_endless_429_gives_up_with_rate_limit_error() -> None:
    url = f"{BASE}/customers.json"
    responses.get(url, status=429, headers={"Retry-After": "1"})
    client, _ = _client(policy=RetryPolicy(max_rate_limit_waits=4))
    with pytest.raises(RateLimitExhausted):
        client.get("customers.json")
    assert len(responses.calls) == 5


@responses.activate
def test_401_fails_at_once_naming_the_variable_and_hiding_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"{BASE}/customers.json"
    responses.get(url, status=401, json={"errors": "[API] Invalid API key or access token"})
    client, sleeps = _client()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as info:
        client.get("customers.json", params={"access_token": "qs-SECRET"})
    assert "SHOPIFY_ACCESS_TOKEN" in str(info.value)
    assert len(responses.calls) == 1 and sleeps == []
    for text in (str(info.value), caplog.text):
        assert "SECRET" not in text


@responses.activate
def test_other_4xx_carries_the_vendor_body() -> None:
    responses.get(f"{BASE}/customers.json", status=400, json={"errors": {"page_info": "bad"}})
    client, _ = _client()
    with pytest.raises(ClientError, match="page_info") as info:
        client.get("customers.json")
    assert info.value.status == 400


@responses.activate
def test_paces_from_shopify_call_limit_header_before_any_429() -> None:
    url = f"{BASE}/customers.json"
    responses.get(url, json={}, headers={"X-Shopify-Shop-Api-Call-Limit": "38/40"})
    responses.get(url, json={}, headers={"X-Shopify-Shop-Api-Call-Limit": "10/40"})
    clock = [0.0]
    client, sleeps = _client(pacing_hook=call_limit_pacing, clock=lambda: clock[0])
    client.get("customers.json")
    client.get("customers.json")
    # 38 used of 40, pacing above 30: (38 - 30) / 2 per s = 4 s before the next call
    assert sleeps == [4.0]


def test_call_limit_pacing_scales_with_plan() -> None:
    def response(header: str) -> requests.Response:
        r = requests.Response()
        r.headers["X-Shopify-Shop-Api-Call-Limit"] = header
        return r

    assert call_limit_pacing(response("5/40")) == 0.0
    assert call_limit_pacing(response("40/40")) == 5.0
    assert call_limit_pacing(response("400/400")) == 5.0  # Plus: bigger bucket, faster leak
