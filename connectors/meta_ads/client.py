"""Meta Marketing API access (https://developers.facebook.com/docs/marketing-api).

Graph API conventions: `/{version}/{node}/{edge}`, the token as a Bearer header,
`{"data", "paging": {"cursors", "next"}}` pages. Errors are HTTP 400 with a
Graph error object whatever the cause, so the status code alone cannot tell an
expired token from a throttle: `classify_graph_error` reads the error code
(https://developers.facebook.com/docs/graph-api/guides/error-handling,
https://developers.facebook.com/docs/marketing-api/overview/rate-limiting).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import requests

from connectors.errors import NotConfigured
from connectors.http import HttpClient, Verdict, json_of

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
AUTH_CODES = {102, 104, 190}
# 4 app, 17 user, 32 page, 613 custom, 80000-80014 business-use-case throttles
THROTTLE_CODES = {4, 17, 32, 613, *range(80000, 80015)}
TRANSIENT_CODES = {1, 2}


@dataclass(frozen=True)
class MetaSettings:
    access_token: str
    ad_account_id: str
    page_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    max_calls_per_s: float | None = None
    """The ad account's call budget, when the operator knows it (Meta sets it per
    access tier and app); calls are paced to it. Unset: paced by the usage
    headers alone."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MetaSettings:
        missing = [k for k in ("META_ACCESS_TOKEN", "META_AD_ACCOUNT_ID") if not env.get(k)]
        if missing:
            raise NotConfigured("Meta", missing)
        return cls(
            access_token=env["META_ACCESS_TOKEN"],
            ad_account_id=env["META_AD_ACCOUNT_ID"].removeprefix("act_"),
            page_id=env.get("META_PAGE_ID") or None,
            base_url=(env.get("META_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            api_version=env.get("META_API_VERSION") or DEFAULT_API_VERSION,
            max_calls_per_s=float(env["META_MAX_CALLS_PER_S"])
            if env.get("META_MAX_CALLS_PER_S")
            else None,
        )

    def __repr__(self) -> str:  # never print the token
        return f"MetaSettings(ad_account_id={self.ad_account_id!r}, base_url={self.base_url!r})"


def _regain_seconds(response: requests.Response) -> float | None:
    """`estimated_time_to_regain_access` (minutes) from X-Business-Use-Case-Usage."""
    try:
        usage = json.loads(response.headers.get("X-Business-Use-Case-Usage") or "{}")
        minutes = max(
            entry.get("estimated_time_to_regain_access", 0)
            for entries in usage.values()
            for entry in entries
        )
    except (ValueError, TypeError, AttributeError):
        return None
    return float(minutes) * 60 if minutes else None


# Meta's guidance: slow down as a usage header approaches 100%. Below this share
# nothing is held; above it the hold grows to USAGE_MAX_HOLD_S at 100%.
USAGE_SLOW_DOWN_AT = 75
USAGE_MAX_HOLD_S = 10.0


def usage_pacing(response: requests.Response) -> float:
    """Seconds to hold before the next call, from the highest share Meta reports
    in X-Business-Use-Case-Usage or X-App-Usage (call count, CPU, time), so the
    throttle (and its regain time in minutes) never comes."""
    shares: list[float] = []
    try:
        for entries in json.loads(
            response.headers.get("X-Business-Use-Case-Usage") or "{}"
        ).values():
            for entry in entries:
                shares += [
                    float(entry.get(k) or 0) for k in ("call_count", "total_cputime", "total_time")
                ]
        app = json.loads(response.headers.get("X-App-Usage") or "{}")
        shares += [float(app.get(k) or 0) for k in ("call_count", "total_cputime", "total_time")]
    except (ValueError, TypeError, AttributeError):
        return 0.0
    used = max(shares, default=0.0)
    if used < USAGE_SLOW_DOWN_AT:
        return 0.0
    return USAGE_MAX_HOLD_S * min(1.0, (used - USAGE_SLOW_DOWN_AT) / (100 - USAGE_SLOW_DOWN_AT))


def classify_graph_error(response: requests.Response) -> tuple[Verdict, float | None] | None:
    if response.status_code < 400:
        return None
    try:
        error = json_of(response).get("error") or {}
    except ValueError:
        return None
    code = error.get("code")
    if code in AUTH_CODES:
        return Verdict.AUTH, None
    if code in THROTTLE_CODES:
        return Verdict.RATE_LIMITED, _regain_seconds(response)
    if code in TRANSIENT_CODES or error.get("is_transient"):
        return Verdict.RETRY, None
    return None


def make_client(settings: MetaSettings) -> HttpClient:
    return HttpClient(
        platform="meta",
        base_url=f"{settings.base_url}/{settings.api_version}",
        headers={"Authorization": f"Bearer {settings.access_token}"},
        auth_env=("META_ACCESS_TOKEN",),
        classifier=classify_graph_error,
        rate_per_s=settings.max_calls_per_s,
        burst=1.0 if settings.max_calls_per_s else None,
        pacing_hook=usage_pacing,
    )
