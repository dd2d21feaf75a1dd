"""The emulator when a client vanishes mid-request (a sync SIGKILLed while its
write was in flight): the write is applied and logged, as at a vendor, the
server answers into a closed socket without a traceback, and keeps serving."""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest
import requests

from sandbox.server import SANDBOX_CREDENTIALS, EmulatorServer
from sandbox.store import WorldStore
from tests.integration.helpers import set_knobs, world_ids
from tests.integration.sync_world import write_calls


def test_client_gone_mid_write(
    emulator: EmulatorServer, world: WorldStore, capfd: pytest.CaptureFixture[str]
) -> None:
    user = world_ids(world, "zendesk", "users")[0]
    body = json.dumps({"tags": ["vanished_client"]}).encode()
    token = (
        f"{SANDBOX_CREDENTIALS['ZENDESK_EMAIL']}/token:{SANDBOX_CREDENTIALS['ZENDESK_API_TOKEN']}"
    )
    set_knobs(emulator, latency_ms=300)
    with socket.create_connection((emulator.host, emulator.port)) as conn:
        # RST on close, as the kernel does for a killed process with unread data.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.sendall(
            f"PUT /zendesk/api/v2/users/{user}/tags.json HTTP/1.1\r\n"
            f"Host: {emulator.host}:{emulator.port}\r\n"
            f"Authorization: Basic {base64.b64encode(token.encode()).decode()}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        deadline = time.monotonic() + 5
        while emulator.writes_in_flight == 0:
            assert time.monotonic() < deadline
            time.sleep(0.005)
    deadline = time.monotonic() + 5
    while emulator.in_flight:
        assert time.monotonic() < deadline, "the emulator never finished the request"
        time.sleep(0.01)
    set_knobs(emulator, latency_ms=0)

    [write] = write_calls(emulator, "zendesk")
    assert write["status"] == 200
    assert world.tagged("zendesk", "users", "vanished_client") == [user]
    health = requests.get(f"{emulator.url}/_sandbox/health", timeout=5)
    assert health.status_code == 200  # still serving
    assert "Traceback" not in capfd.readouterr().err
