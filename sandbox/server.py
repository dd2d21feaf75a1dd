"""One local HTTP server emulating the five vendor APIs over a sandbox world.

Connectors are pointed at `{server}/{klaviyo|meta|square|shopify|zendesk}` exactly
as they would be at the vendor's host, with the same credentials variables, so a
connector that works here works against the vendor. Every request goes through
the same gate — auth, injected faults, rate limit — before the vendor module's
handler; every write is logged to the world's `writes` table, refused or not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.api import PLATFORMS
from sandbox.api.base import ApiError, BucketState, Ctx, Platform, Request, Response
from sandbox.knobs import Knobs, Runtime, canonical_platform
from sandbox.store import WorldStore

log = logging.getLogger(__name__)

# What a user would export for the real vendors, set to what the sandbox accepts.
SANDBOX_CREDENTIALS: dict[str, str] = {
    "KLAVIYO_API_KEY": "pk_sandbox_0mn1hub0000000000000000000",
    "META_ACCESS_TOKEN": "EAAsandboxOmnihubAccessToken",
    "META_AD_ACCOUNT_ID": "1000000000000001",  # numeric, without the act_ prefix
    "META_PAGE_ID": "2000000000000001",  # the Page whose lead forms are read
    "SQUARE_ACCESS_TOKEN": "EAAAsandboxOmnihubSquareToken",
    "SHOPIFY_ACCESS_TOKEN": "shpat_sandbox0mn1hub00000000000000",
    "SHOPIFY_CLIENT_SECRET": "shpss_sandbox0mn1hub00000000000000",  # signs webhooks
    "ZENDESK_EMAIL": "omnihub@sandbox.example",
    "ZENDESK_API_TOKEN": "sandboxOmnihubZendeskToken",
}

_BASE_URL_VARS = {
    "klaviyo": "KLAVIYO_BASE_URL",
    "meta_ads": "META_BASE_URL",
    "square": "SQUARE_BASE_URL",
    "shopify": "SHOPIFY_SHOP_URL",
    "zendesk": "ZENDESK_BASE_URL",
}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: EmulatorServer


class _Handler(BaseHTTPRequestHandler):
    """One instance per connection (= per thread), so each holds its own sqlite connection."""

    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: a response goes out as headers then body, two writes; with
    # Nagle on, the body waits for the client's delayed ACK of the headers, 40 ms
    # on Linux, so every call on a kept-alive connection cost 40 ms however
    # little it did (about 25 calls a second for any client, at any world size).
    disable_nagle_algorithm = True
    server: _HTTPServer
    _store: WorldStore | None = None

    def setup(self) -> None:
        super().setup()
        self._store = None

    def finish(self) -> None:
        try:
            super().finish()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client is gone (killed mid-request): nothing left to flush to
        finally:
            if self._store is not None:
                self._store.close()

    @property
    def store(self) -> WorldStore:
        if self._store is None:
            self._store = WorldStore(self.server.emulator.world_dir)
        return self._store

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        try:
            self._handle()
        except (BrokenPipeError, ConnectionResetError):
            # The client went away mid-request (a sync killed while its call was in
            # flight): what the handler applied stays applied and logged, as at a
            # vendor; there is no one to answer, so close instead of failing loudly.
            self.close_connection = True

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # -- dispatch ----------------------------------------------------------
    def _handle(self) -> None:
        emulator = self.server.emulator
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = parts.path
        if path.startswith("/_sandbox/"):
            self._send(self._control(path, parse_qs(parts.query), body))
            return
        prefix, _, rest = path.lstrip("/").partition("/")
        platform = PLATFORMS.get(prefix)
        if platform is None:
            self._send(Response(404, {"error": f"no emulated platform at /{prefix}"}))
            return
        host = self.headers.get("Host") or f"{emulator.host}:{emulator.port}"
        req = Request(
            method=self.command,
            path="/" + rest,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://{host}/{prefix}",
        )
        ctx = Ctx(self.store, emulator.runtime, req, platform.name)
        matched = platform.match(req.method, req.path)
        route, groups = matched if matched is not None else (None, {})
        with emulator.serving(write=route is not None and route.write):
            resp = self._dispatch(platform, ctx, route, groups)
        if route is not None and route.write:
            target = next((v for k, v in groups.items() if v and k != "version"), None)
            self.store.log_write(
                platform.name,
                req.method,
                parts.path if not parts.query else f"{parts.path}?{parts.query}",
                target,
                body.decode("utf-8", "replace") if body else None,
                resp.status,
                resp.refused,
            )
        self._send(self._maybe_malformed(platform, resp))

    def _dispatch(
        self, platform: Platform, ctx: Ctx, route: Any, groups: dict[str, str]
    ) -> Response:
        """Latency, then the gate and the handler (404 where no route matched)."""
        latency = self.server.emulator.runtime.knobs.latency_ms
        if latency:
            time.sleep(latency / 1000)
        if route is None:
            return platform.not_found(ctx.request)
        return self._gate(platform, route, groups, ctx)

    def _gate(self, platform: Platform, route: Any, groups: dict[str, str], ctx: Ctx) -> Response:
        runtime = ctx.runtime
        if platform.name in runtime.knobs.bad_credentials or not platform.authenticate(ctx.request):
            return platform.unauthorized(ctx.request)
        refused = platform.precheck(ctx.request)
        if refused is not None:
            return refused
        bucket = platform.default_bucket if route.bucket == "" else route.bucket
        failure = runtime.take_failure(platform.name)
        if failure is not None:
            if failure.status == 429:
                retry = failure.retry_after if failure.retry_after is not None else 1.0
                state = BucketState(1.0, 0.0, 1.0, retry)
                return platform.throttled_request(
                    ctx.request, bucket or platform.default_bucket, state
                )
            return platform.server_error(failure.status, failure.retry_after)
        if runtime.random_throttle():
            retry = runtime.knobs.throttle_retry_after
            state = BucketState(1.0, 0.0, 1.0, retry)
            return platform.throttled_request(ctx.request, bucket or platform.default_bucket, state)
        if runtime.random_failure():
            return platform.server_error(500, None)
        extra: dict[str, str] = {}
        if bucket:
            allowed, state = runtime.take(bucket)
            if not allowed:
                return platform.throttled(bucket, state)
            extra = platform.rate_headers(bucket, state)
        try:
            resp = route.handler(ctx, **groups)
        except ApiError as err:
            resp = platform.error(err)
        except Exception:
            log.exception("emulator handler failed: %s %s", ctx.request.method, ctx.request.path)
            resp = platform.server_error(500, None)
        for key, value in extra.items():
            resp.headers.setdefault(key, value)
        return resp

    def _maybe_malformed(self, platform: Platform, resp: Response) -> Response:
        """Apply a pending `malformed` knob to the first non-empty page of its stream."""
        runtime = self.server.emulator.runtime
        if resp.stream is None or resp.status != 200 or not isinstance(resp.body, dict):
            return resp
        items = resp.body.get(resp.items_key or "")
        if not items or not runtime.has_malformed(platform.name, resp.stream):
            return resp
        mode = runtime.take_malformed(platform.name, resp.stream)
        if mode == "not_json":
            text = json.dumps(resp.body)
            resp.body = text[: len(text) // 2]  # a truncated body, as from a cut connection
        elif mode == "missing_id":
            items[0].pop("id", None)
        return resp

    def _send(self, resp: Response) -> None:
        if resp.body is None:
            payload = b""
        elif isinstance(resp.body, bytes):
            payload = resp.body
        elif isinstance(resp.body, str):
            payload = resp.body.encode()
        else:
            payload = json.dumps(resp.body, separators=(",", ":")).encode()
        self.send_response(resp.status)
        if payload:
            self.send_header("Content-Type", resp.content_type)
        for key, value in resp.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    # -- control endpoints -------------------------------------------------
    def _control(self, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        emulator = self.server.emulator
        method = self.command
        try:
            if path == "/_sandbox/health" and method == "GET":
                return Response(
                    200,
                    {
                        "status": "ok",
                        "world": str(emulator.world_dir),
                        "now": self.store.get_meta("now"),
                        "platforms": {p: emulator.base_url(p) for p in _BASE_URL_VARS},
                    },
                )
            if path == "/_sandbox/knobs" and method == "GET":
                return Response(200, emulator.knobs.to_dict())
            if path == "/_sandbox/knobs" and method == "POST":
                emulator.knobs.update(json.loads(body or b"{}"))
                return Response(200, emulator.knobs.to_dict())
            if path == "/_sandbox/writes" and method == "GET":
                platform = (query.get("platform") or [None])[-1]
                platform = canonical_platform(platform) if platform else None
                return Response(200, {"writes": self.store.writes(platform)})
            if path == "/_sandbox/reset-writes" and method == "POST":
                self.store.reset_writes()
                return Response(200, {"status": "ok"})
            if path == "/_sandbox/advance" and method == "POST":
                return self._advance(json.loads(body or b"{}"))
            if path == "/_sandbox/shopify/deliver-webhooks" and method == "POST":
                address = json.loads(body or b"{}")["address"]
                return Response(200, deliver_shopify_webhooks(self.store, address))
        except (ValueError, TypeError, KeyError) as exc:
            return Response(400, {"error": str(exc)})
        return Response(404, {"error": f"no control endpoint {method} {path}"})

    def _advance(self, data: dict[str, Any]) -> Response:
        try:
            from sandbox.world import advance
        except ImportError:
            return Response(501, {"error": "sandbox.world.advance is not available"})
        info = advance(self.server.emulator.world_dir, days=int(data.get("days", 1)))
        return Response(200, {"status": "ok", "info": repr(info), "now": self.store.now()})


class EmulatorServer:
    """The emulator over one world directory; binds at construction, serves after start()."""

    def __init__(
        self,
        world_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        knobs: Knobs | None = None,
    ) -> None:
        self.world_dir = Path(world_dir)
        WorldStore(self.world_dir).close()  # fails early on a missing world; adds new tables
        self.runtime = Runtime(knobs or Knobs())
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.emulator = self
        self.host, self.port = self._httpd.server_address[:2]
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self._writes_in_flight = 0
        self._in_flight_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Vendor requests received and not yet answered (in their latency, or
        being applied): a test kills a client exactly while its write is here."""
        return self._in_flight

    @property
    def writes_in_flight(self) -> int:
        """Of those, the requests to write routes (a status poll is not one)."""
        return self._writes_in_flight

    @contextmanager
    def serving(self, write: bool = False) -> Iterator[None]:
        with self._in_flight_lock:
            self._in_flight += 1
            self._writes_in_flight += write
        try:
            yield
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1
                self._writes_in_flight -= write

    @property
    def knobs(self) -> Knobs:
        return self.runtime.knobs

    @knobs.setter
    def knobs(self, value: Knobs) -> None:
        self.runtime.knobs = value

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, platform: str) -> str:
        name = canonical_platform(platform)
        for prefix, api in PLATFORMS.items():
            if api.name == name:
                return f"{self.url}/{prefix}"
        raise KeyError(f"unknown platform {platform!r}")

    def env(self) -> dict[str, str]:
        """The environment a connector run needs to talk to this server instead of the vendors."""
        env = dict(SANDBOX_CREDENTIALS)
        for platform, var in _BASE_URL_VARS.items():
            env[var] = self.base_url(platform)
        return env

    def start(self) -> EmulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # stop() returns promptly
                name="sandbox-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(world_dir: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
    """CLI entry (`python -m sandbox serve`): serve until Ctrl-C, printing where."""
    server = EmulatorServer(world_dir, host=host, port=port)
    print(f"sandbox emulator serving {server.world_dir} at {server.url}", flush=True)
    for key, value in server.env().items():
        print(f"  export {key}={value}", flush=True)
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


def deliver_shopify_webhooks(store: WorldStore, address: str) -> dict[str, Any]:
    """POST a `customers/redact` webhook for every customer deleted since the last
    delivery, signed as Shopify signs them. Undelivered ones stay pending."""
    secret = SANDBOX_CREDENTIALS["SHOPIFY_CLIENT_SECRET"]
    since = int(store.get_meta("shopify_webhooks_seq") or 0)
    rows = store.conn.execute(
        "select id, updated_at, seq, payload from records where platform = 'shopify' "
        "and stream = 'customers' and deleted = 1 and seq > ? order by seq",
        (since,),
    ).fetchall()
    delivered, failed = 0, 0
    for customer_id, updated_at, seq, payload in rows:
        customer = json.loads(payload)
        body = json.dumps(
            {
                "shop_id": 1,
                "shop_domain": "omnihub-sandbox.myshopify.com",
                "customer": {
                    "id": int(customer_id),
                    "email": customer.get("email"),
                    "phone": customer.get("phone"),
                },
                "orders_to_redact": [],
            }
        ).encode()
        request = urllib.request.Request(
            address,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": "customers/redact",
                # Computed here, independently of the connector under test.
                "X-Shopify-Hmac-Sha256": base64.b64encode(
                    hmac.new(secret.encode(), body, hashlib.sha256).digest()
                ).decode(),
                "X-Shopify-Shop-Domain": "omnihub-sandbox.myshopify.com",
                "X-Shopify-Webhook-Id": f"sandbox-redact-{seq}",
                "X-Shopify-Triggered-At": updated_at,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                ok = 200 <= response.status < 300
        except OSError:
            ok = False
        if not ok:
            failed += 1
            break  # in order: the next call retries from here
        delivered += 1
        store.set_meta("shopify_webhooks_seq", seq)
    return {"delivered": delivered, "failed": failed, "pending": len(rows) - delivered}
