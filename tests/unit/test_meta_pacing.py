"""Meta pacing: slow down as the usage headers approach 100%, before the throttle
(whose regain time is counted in minutes) comes."""

from __future__ import annotations

import json

import requests

from connectors.meta_ads.client import MetaSettings, make_client, usage_pacing


def _response(buc: int, app: int = 0) -> requests.Response:
    r = requests.Response()
    r.status_code = 200
    usage = {
        "123": [{"type": "ads_management", "call_count": buc, "total_cputime": 1, "total_time": 2}]
    }
    r.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
    r.headers["X-App-Usage"] = json.dumps({"call_count": app, "total_cputime": 0, "total_time": 0})
    return r


def test_no_hold_below_three_quarters_then_growing_to_the_maximum() -> None:
    assert usage_pacing(_response(10)) == 0.0
    assert usage_pacing(_response(74)) == 0.0
    assert 0 < usage_pacing(_response(80)) < usage_pacing(_response(95)) < 10.0
    assert usage_pacing(_response(100)) == 10.0
    assert usage_pacing(_response(5, app=100)) == 10.0  # the app's own budget counts too


def test_missing_or_garbled_headers_hold_nothing() -> None:
    r = requests.Response()
    assert usage_pacing(r) == 0.0
    r.headers["X-Business-Use-Case-Usage"] = "not json"
    assert usage_pacing(r) == 0.0


def test_a_known_budget_paces_calls_to_it() -> None:
    env = {"META_ACCESS_TOKEN": "t", "META_AD_ACCOUNT_ID": "act_1", "META_MAX_CALLS_PER_S": "2"}
    client = make_client(MetaSettings.from_env(env))
    assert client.rate_per_s == 2.0 and client.pacing_hook is usage_pacing
    assert (
        make_client(MetaSettings.from_env({**env, "META_MAX_CALLS_PER_S": ""})).rate_per_s is None
    )
