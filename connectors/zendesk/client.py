"""Zendesk Support API access (https://developer.zendesk.com/api-reference/).

API-token auth is HTTP Basic with `{email}/token` as the user and the token as
the password. Limits: the account's plan-wide budget (e.g. 700 requests/min on
Enterprise) and, separately, 10 requests/minute for incremental exports (30
with the High Volume add-on); a 429 carries `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.errors import NotConfigured
from connectors.http import HttpClient

EXPORT_PER_MIN = 10
API_PER_MIN = 700
_REQUIRED = ("ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN")


@dataclass(frozen=True)
class ZendeskSettings:
    base_url: str
    email: str
    api_token: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ZendeskSettings:
        missing = [k for k in _REQUIRED if not env.get(k)]
        if missing:
            raise NotConfigured("Zendesk", missing)
        return cls(
            env["ZENDESK_BASE_URL"].rstrip("/"), env["ZENDESK_EMAIL"], env["ZENDESK_API_TOKEN"]
        )

    def __repr__(self) -> str:  # never print the token
        return f"ZendeskSettings(base_url={self.base_url!r}, email={self.email!r})"


def make_client(settings: ZendeskSettings, *, per_minute: int = API_PER_MIN) -> HttpClient:
    return HttpClient(
        platform="zendesk",
        base_url=settings.base_url,
        auth=(f"{settings.email}/token", settings.api_token),
        headers={"Accept": "application/json"},
        auth_env=("ZENDESK_EMAIL", "ZENDESK_API_TOKEN"),
        rate_per_s=per_minute / 60,
        burst=per_minute,
    )
