"""Helpers for emulator tests: authenticated sessions and what the world says should come back."""

from __future__ import annotations

import json
from typing import Any

import requests

from sandbox.server import SANDBOX_CREDENTIALS, EmulatorServer
from sandbox.store import WorldStore


def platform_session(platform: str) -> requests.Session:
    """A session carrying the credentials and headers that vendor requires."""
    c = SANDBOX_CREDENTIALS
    s = requests.Session()
    if platform == "klaviyo":
        s.headers.update(
            {"Authorization": f"Klaviyo-API-Key {c['KLAVIYO_API_KEY']}", "revision": "2024-10-15"}
        )
    elif platform == "meta":
        s.params = {"access_token": c["META_ACCESS_TOKEN"]}  # type: ignore[assignment]
    elif platform == "square":
        s.headers.update(
            {"Authorization": f"Bearer {c['SQUARE_ACCESS_TOKEN']}", "Square-Version": "2024-10-17"}
        )
    elif platform == "shopify":
        s.headers.update({"X-Shopify-Access-Token": c["SHOPIFY_ACCESS_TOKEN"]})
    elif platform == "zendesk":
        s.auth = (f"{c['ZENDESK_EMAIL']}/token", c["ZENDESK_API_TOKEN"])
    return s


def world_ids(
    store: WorldStore,
    platform: str,
    stream: str,
    *,
    where: str = "",
    params: tuple = (),
    include_deleted: bool = False,
) -> list[str]:
    sql = "select id from records where platform = ? and stream = ?"
    if not include_deleted:
        sql += " and deleted = 0"
    if where:
        sql += f" and {where}"
    return sorted(r[0] for r in store.conn.execute(sql, (platform, stream, *params)))


def median_updated(store: WorldStore, platform: str, stream: str) -> str:
    """A cutoff that splits the stream roughly in half (timestamps as in the records table)."""
    rows = [
        r[0]
        for r in store.conn.execute(
            "select updated_at from records where platform = ? and stream = ? and deleted = 0 "
            "order by updated_at",
            (platform, stream),
        )
    ]
    assert len(rows) >= 4, f"world has too few {platform}/{stream} records to test with"
    return rows[len(rows) // 2]


def writes(emulator: EmulatorServer, platform: str) -> list[dict[str, Any]]:
    resp = requests.get(f"{emulator.url}/_sandbox/writes", params={"platform": platform})
    resp.raise_for_status()
    return resp.json()["writes"]


def set_knobs(emulator: EmulatorServer, **knobs: Any) -> dict[str, Any]:
    resp = requests.post(f"{emulator.url}/_sandbox/knobs", data=json.dumps(knobs))
    resp.raise_for_status()
    return resp.json()
