"""Square API access (https://developer.squareup.com/reference/square).

Bearer token auth and a `Square-Version` header pinning the API version.
Square publishes no fixed request rate; it answers 429 `RATE_LIMITED` (without
Retry-After) when a seller's traffic is too high, so we pace conservatively and
let the shared backoff handle the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.errors import NotConfigured
from connectors.http import HttpClient

DEFAULT_BASE_URL = "https://connect.squareup.com"
SQUARE_VERSION = "2025-01-23"
PACE_PER_S = 10.0


@dataclass(frozen=True)
class SquareSettings:
    access_token: str
    base_url: str = DEFAULT_BASE_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SquareSettings:
        if not env.get("SQUARE_ACCESS_TOKEN"):
            raise NotConfigured("Square", ["SQUARE_ACCESS_TOKEN"])
        base = env.get("SQUARE_BASE_URL") or DEFAULT_BASE_URL
        return cls(env["SQUARE_ACCESS_TOKEN"], base.rstrip("/"))

    def __repr__(self) -> str:  # never print the token
        return f"SquareSettings(base_url={self.base_url!r})"


def make_client(settings: SquareSettings) -> HttpClient:
    return HttpClient(
        platform="square",
        base_url=settings.base_url,
        headers={
            "Authorization": f"Bearer {settings.access_token}",
            "Square-Version": SQUARE_VERSION,
            "Content-Type": "application/json",
        },
        auth_env=("SQUARE_ACCESS_TOKEN",),
        rate_per_s=PACE_PER_S,
        burst=PACE_PER_S,
    )
