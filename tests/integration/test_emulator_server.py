"""The emulator as a whole: environment, control endpoints and the fault knobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from sandbox.knobs import Knobs
from sandbox.server import SANDBOX_CREDENTIALS, EmulatorServer
from tests.integration.helpers import platform_session, set_knobs, world_ids, writes


def _profiles(emulator: EmulatorServer, **params) -> requests.Response:
    return platform_session("klaviyo").get(
        f"{emulator.base_url('klaviyo')}/api/profiles", params=params
    )


def test_env_points_every_platform_at_the_server(emulator: EmulatorServer):
    env = emulator.env()
    for var in ("KLAVIYO", "META", "SQUARE", "ZENDESK"):
        assert env[f"{var}_BASE_URL"].startswith(emulator.url)
    assert env["SHOPIFY_SHOP_URL"] == f"{emulator.url}/shopify"
    assert all(env[k] == v for k, v in SANDBOX_CREDENTIALS.items())
    health = requests.get(f"{emulator.url}/_sandbox/health").json()
    assert health["status"] == "ok" and health["now"]


def test_missing_world_fails_early(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        EmulatorServer(tmp_path / "nothing")


def test_knobs_round_trip_and_reject_unknown(emulator: EmulatorServer):
    knobs = set_knobs(emulator, latency_ms=0, page_size_cap=3)
    assert knobs["page_size_cap"] == 3 and emulator.knobs.page_size_cap == 3
    got = requests.get(f"{emulator.url}/_sandbox/knobs").json()
    assert got["rate_limits"]["zendesk_incremental"]["capacity"] > 0
    bad = requests.post(f"{emulator.url}/_sandbox/knobs", data=json.dumps({"nope": 1}))
    assert bad.status_code == 400


def test_page_size_cap_forces_small_pages(emulator: EmulatorServer):
    emulator.knobs.page_size_cap = 2
    assert len(_profiles(emulator, **{"page[size]": 50}).json()["data"]) == 2


def test_fail_next_then_recover(emulator: EmulatorServer):
    set_knobs(emulator, fail_next={"klaviyo": {"count": 2, "status": 503}})
    assert [_profiles(emulator).status_code for _ in range(3)] == [503, 503, 200]
    set_knobs(emulator, fail_next={"shopify": {"count": 1, "status": 429, "retry_after": 2}})
    s = platform_session("shopify")
    resp = s.get(f"{emulator.base_url('shopify')}/admin/api/2024-10/products.json")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "2.0"
    assert s.get(f"{emulator.base_url('shopify')}/admin/api/2024-10/products.json").ok


def test_error_rate_is_deterministic_for_a_seed(world_dir: Path):
    def statuses() -> list[int]:
        with EmulatorServer(world_dir, knobs=Knobs(error_rate=0.5, seed=3)) as server:
            return [_profiles(server).status_code for _ in range(12)]

    first = statuses()
    assert first == statuses()
    assert set(first) == {200, 500}


def test_malformed_page_is_served_once(emulator: EmulatorServer):
    set_knobs(emulator, malformed={"klaviyo/profiles": "missing_id"})
    broken = _profiles(emulator).json()["data"]
    assert "id" not in broken[0] and all("id" in p for p in broken[1:])
    assert all("id" in p for p in _profiles(emulator).json()["data"])
    set_knobs(emulator, malformed={"zendesk/users": "not_json"})
    resp = platform_session("zendesk").get(
        f"{emulator.base_url('zendesk')}/api/v2/incremental/users/cursor.json",
        params={"start_time": 0},
    )
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()


def test_bad_credentials_knob(emulator: EmulatorServer):
    set_knobs(emulator, bad_credentials=["meta"])
    resp = platform_session("meta").get(
        f"{emulator.base_url('meta')}/v21.0/act_{SANDBOX_CREDENTIALS['META_AD_ACCOUNT_ID']}/campaigns"
    )
    assert resp.json()["error"]["code"] == 190
    assert _profiles(emulator).status_code == 200


def test_refused_writes_are_logged_and_reset(emulator: EmulatorServer, world):
    set_knobs(emulator, fail_next={"zendesk": 1})
    s = platform_session("zendesk")
    uid = world_ids(world, "zendesk", "users")[0]
    url = f"{emulator.base_url('zendesk')}/api/v2/users/{uid}/tags.json"
    assert s.post(url, json={"tags": ["a"]}).status_code == 503
    assert s.post(url, json={"tags": ["a"]}).status_code == 200
    assert [w["status"] for w in writes(emulator, "zendesk")] == [503, 200]
    assert json.loads(writes(emulator, "zendesk")[0]["body"]) == {"tags": ["a"]}
    requests.post(f"{emulator.url}/_sandbox/reset-writes").raise_for_status()
    assert writes(emulator, "zendesk") == []
