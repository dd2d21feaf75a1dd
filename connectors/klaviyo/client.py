"""Klaviyo API access (https://developers.klaviyo.com/en/reference/api_overview).

Every request names an API `revision` (date-versioned) and authenticates with
`Authorization: Klaviyo-API-Key <private key>`. Limits are per endpoint, a
burst window (per second) and a steady one (per minute), e.g. profiles 75/s
and 700/min; responses carry `RateLimit-Limit/Remaining/Reset` and a 429 carries
`Retry-After`. We pace to the steady rate of the strictest endpoint we read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests

from connectors.errors import NotConfigured
from connectors.http import HttpClient

DEFAULT_BASE_URL = "https://a.klaviyo.com"
REVISION = "2026-01-15"  # the first revision where GET /api/events takes page[size] (max 1000)
STEADY_PER_S = 700 / 60  # profiles: 700/min steady
BURST = 75


@dataclass(frozen=True)
class KlaviyoSettings:
    api_key: str
    base_url: str = DEFAULT_BASE_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KlaviyoSettings:
        if not env.get("KLAVIYO_API_KEY"):
            raise NotConfigured("Klaviyo", ["KLAVIYO_API_KEY"])
        return cls(env["KLAVIYO_API_KEY"], env.get("KLAVIYO_BASE_URL") or DEFAULT_BASE_URL)

    def __repr__(self) -> str:  # never print the key
        return f"KlaviyoSettings(base_url={self.base_url!r})"


def remaining_pacing(response: requests.Response) -> float:
    """When the window is nearly spent, wait for its reset instead of earning a 429."""
    try:
        remaining = int(response.headers["RateLimit-Remaining"])
        reset = float(response.headers["RateLimit-Reset"])
    except (KeyError, ValueError):
        return 0.0
    return reset if remaining <= 1 else 0.0


def make_client(settings: KlaviyoSettings) -> HttpClient:
    return HttpClient(
        platform="klaviyo",
        base_url=settings.base_url,
        headers={
            "Authorization": f"Klaviyo-API-Key {settings.api_key}",
            "revision": REVISION,
            "Accept": "application/vnd.api+json",
        },
        auth_env=("KLAVIYO_API_KEY",),
        rate_per_s=STEADY_PER_S,
        burst=BURST,
        pacing_hook=remaining_pacing,
    )
