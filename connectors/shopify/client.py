"""Shopify Admin API access: settings from the environment and the HTTP client.

Rate limits (https://shopify.dev/docs/api/admin-rest/usage/rate-limits): REST
is a leaky bucket whose size depends on the plan (40 requests draining at 2/s
on Standard, 400 at 20/s on Plus: always 20 s worth), reported on every
response as `X-Shopify-Shop-Api-Call-Limit: used/size`. The client paces from
that header, so it uses what the shop's plan allows without hitting 429.
GraphQL is metered in cost points (see destination.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests

from connectors.errors import NotConfigured
from connectors.http import HttpClient

DEFAULT_API_VERSION = "2025-01"
# A REST bucket drains its whole size in this many seconds, whatever the plan.
REST_BUCKET_DRAIN_S = 20.0
# Start slowing down when the bucket is this full, so the 429 never comes.
_PACE_ABOVE = 0.75


@dataclass(frozen=True)
class ShopifySettings:
    shop_url: str
    access_token: str
    api_version: str = DEFAULT_API_VERSION

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ShopifySettings:
        missing = [k for k in ("SHOPIFY_SHOP_URL", "SHOPIFY_ACCESS_TOKEN") if not env.get(k)]
        if missing:
            raise NotConfigured("Shopify", missing)
        return cls(
            shop_url=env["SHOPIFY_SHOP_URL"].rstrip("/"),
            access_token=env["SHOPIFY_ACCESS_TOKEN"],
            api_version=env.get("SHOPIFY_API_VERSION") or DEFAULT_API_VERSION,
        )

    def __repr__(self) -> str:  # never print the token
        return f"ShopifySettings(shop_url={self.shop_url!r}, api_version={self.api_version!r})"

    @property
    def api_base(self) -> str:
        return f"{self.shop_url}/admin/api/{self.api_version}"


def call_limit_pacing(response: requests.Response) -> float:
    """Seconds to hold off so the leaky bucket drains below the pacing threshold."""
    header = response.headers.get("X-Shopify-Shop-Api-Call-Limit")
    if not header or "/" not in header:
        return 0.0
    try:
        used, size = (int(part) for part in header.split("/", 1))
    except ValueError:
        return 0.0
    excess = used - size * _PACE_ABOVE
    return max(0.0, excess / (size / REST_BUCKET_DRAIN_S)) if size else 0.0


def make_client(settings: ShopifySettings, **overrides: object) -> HttpClient:
    options: dict[str, object] = {"pacing_hook": call_limit_pacing}
    options.update(overrides)
    return HttpClient(
        platform="shopify",
        base_url=settings.api_base,
        headers={"X-Shopify-Access-Token": settings.access_token, "Accept": "application/json"},
        auth_env=("SHOPIFY_ACCESS_TOKEN", "SHOPIFY_SHOP_URL"),
        **options,  # type: ignore[arg-type]
    )
