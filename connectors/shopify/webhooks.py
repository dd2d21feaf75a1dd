"""Shopify customer deletions, which only arrive as webhooks.

The REST list simply stops returning a deleted or redacted customer, so
polling cannot see deletions. Shopify pushes them instead: the `customers/delete`
topic, and the mandatory GDPR compliance topic `customers/redact`
(https://shopify.dev/docs/apps/build/privacy-law-compliance). Each delivery is
a POST signed with the app's client secret: `X-Shopify-Hmac-Sha256` is the
base64 HMAC-SHA256 of the raw body
(https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook).

Two halves, so the receiver never touches the warehouse (DuckDB has one
writer, and a webhook must be answered within Shopify's 5 s):
- `receiver_app` verifies the signature and appends the delivery to a spool
  file under a lock, fsynced before answering 200. Anything else gets a non-2xx
  and Shopify retries (up to 8 times over 4 hours).
- `SpoolDrain` turns spooled deliveries into deletion records for
  `raw.shopify__customers`; the customers stream lands them after its pages,
  and the spool segment is removed only once that landing committed. A crash
  in between re-lands the same deletion markers, which staging collapses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock

from connectors.ingest import Page, split_valid
from connectors.timestamps import parse_ts

TOPICS = ("customers/delete", "customers/redact")
SPOOL_NAME = "shopify_webhooks.jsonl"
SECRET_ENV = "SHOPIFY_CLIENT_SECRET"


def spool_dir(env: Mapping[str, str]) -> Path:
    """Where deliveries wait for the next ingest: `OMNIHUB_DATA_DIR/spool`."""
    from warehouse.connection import data_dir

    return data_dir(env) / "spool"


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, signature: str | None, secret: str) -> bool:
    return bool(signature) and hmac.compare_digest(sign(body, secret), signature or "")


def customer_id_of(topic: str, payload: Mapping[str, Any]) -> Any:
    """`customers/redact` nests the customer; `customers/delete` is the customer."""
    if topic == "customers/redact":
        return (payload.get("customer") or {}).get("id")
    return payload.get("id")


class Spool:
    """An append-only JSON-lines file guarded by a lock shared with the drain."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / SPOOL_NAME
        self._lock = FileLock(str(self.path) + ".lock")

    def append(self, topic: str, headers: Mapping[str, str], body: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        line = orjson.dumps(
            {
                "topic": topic,
                "webhook_id": headers.get("X-Shopify-Webhook-Id"),
                "triggered_at": headers.get("X-Shopify-Triggered-At"),
                "received_at": datetime.now(UTC).isoformat(),
                "payload": orjson.loads(body),
            }
        )
        with self._lock, open(self.path, "ab") as fh:
            fh.write(line + b"\n")
            fh.flush()
            os.fsync(fh.fileno())

    def seal(self) -> list[Path]:
        """Move what has arrived aside for draining; new deliveries start a new file.
        Segments sealed by an earlier, interrupted drain are returned too."""
        if not self.directory.exists():
            return []
        with self._lock:
            if self.path.exists() and self.path.stat().st_size:
                self.path.rename(self.directory / f"{SPOOL_NAME}.{uuid.uuid4().hex}.sealed")
        return sorted(self.directory.glob(f"{SPOOL_NAME}.*.sealed"))


@dataclass
class SpoolDrain:
    """Pages of deletion records from sealed spool segments, one page per segment."""

    spool: Spool

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        for segment in self.spool.seal():
            deliveries = [orjson.loads(line) for line in segment.read_bytes().splitlines() if line]
            records, quarantined = split_valid(
                list(_deletion_markers(deliveries)),
                id_of=lambda r: r.get("id"),
                updated_at_of=lambda r: parse_ts(r.get("updated_at")),
                deleted_of=lambda r: True,
            )
            yield Page(records, quarantined, cursor or {}, on_landed=_remover(segment))


def _remover(segment: Path) -> Callable[[], None]:
    return lambda: segment.unlink(missing_ok=True)


def _deletion_markers(deliveries: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for delivery in deliveries:
        topic = delivery.get("topic")
        payload = delivery.get("payload") or {}
        yield {
            "id": customer_id_of(str(topic), payload),
            # When Shopify triggered it: later than the customer's last update,
            # so the marker is the newest version of that id.
            "updated_at": delivery.get("triggered_at") or delivery.get("received_at"),
            "deleted_via": topic,
            "webhook_id": delivery.get("webhook_id"),
            "webhook": payload,
        }


def receiver_app(spool: Spool, secret: str) -> Callable[..., Iterable[bytes]]:
    """A WSGI app for Shopify's webhook deliveries (any path)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def answer(status: str, text: str) -> list[bytes]:
            start_response(status, [("Content-Type", "text/plain")])
            return [text.encode()]

        if environ.get("REQUEST_METHOD") != "POST":
            return answer("405 Method Not Allowed", "POST webhooks here")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        if not verify(body, environ.get("HTTP_X_SHOPIFY_HMAC_SHA256"), secret):
            return answer("401 Unauthorized", "invalid HMAC signature")
        topic = environ.get("HTTP_X_SHOPIFY_TOPIC", "")
        if topic not in TOPICS:
            return answer("200 OK", f"topic {topic!r} ignored")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return answer("400 Bad Request", "body is not JSON")
        if customer_id_of(topic, payload) in (None, ""):
            return answer("400 Bad Request", "no customer id in the payload")
        headers = {
            "X-Shopify-Webhook-Id": environ.get("HTTP_X_SHOPIFY_WEBHOOK_ID", ""),
            "X-Shopify-Triggered-At": environ.get("HTTP_X_SHOPIFY_TRIGGERED_AT", ""),
        }
        spool.append(topic, headers, body)
        return answer("200 OK", "spooled")

    return app


def serve(env: Mapping[str, str], host: str = "127.0.0.1", port: int = 8787) -> None:
    """Run the receiver (behind a TLS-terminating proxy in production)."""
    from wsgiref.simple_server import make_server

    secret = env.get(SECRET_ENV)
    if not secret:
        raise SystemExit(
            f"Set {SECRET_ENV} to the Shopify app's client secret: it signs every webhook."
        )
    directory = spool_dir(env)
    with make_server(host, port, receiver_app(Spool(directory), secret)) as server:
        print(f"Shopify webhook receiver on http://{host}:{port}, spooling to {directory}")
        server.serve_forever()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Receive Shopify customer deletion webhooks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    args = parser.parse_args()
    serve(os.environ, args.host, args.port)
