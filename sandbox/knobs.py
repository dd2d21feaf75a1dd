"""Fault and limit knobs for the emulator, and the runtime state they drive.

Connectors must survive what real vendors do to them — throttling, flaky 5xx,
slow responses, a malformed page, revoked credentials. Knobs make each of those
happen on demand (`fail_next`, `malformed` are one-shot and deterministic) so a
test can provoke it exactly once instead of hoping for it.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sandbox.api.base import BucketState

PLATFORM_ALIASES = {"meta": "meta_ads"}
PLATFORMS = ("klaviyo", "meta_ads", "square", "shopify", "zendesk")


def canonical_platform(name: str) -> str:
    return PLATFORM_ALIASES.get(name, name)


@dataclass
class RateLimit:
    """A token bucket: `capacity` requests (or cost points) at once, refilled at `per_second`."""

    capacity: float
    per_second: float


def default_rate_limits() -> dict[str, RateLimit]:
    # Shaped like each vendor's published limits, scaled so a demo or test run never waits:
    return {
        # Klaviyo profiles/events: burst 75/s, steady 700/min (L tier) -> burst x4.
        "klaviyo": RateLimit(300, 50),
        # Meta: score-based per ad account (ads_management/ads_insights BUC).
        "meta_ads": RateLimit(600, 20),
        # Square publishes no numbers; generous.
        "square": RateLimit(500, 50),
        # Shopify REST leaky bucket: 40 / 2 per s (Plus: 400 / 20) -> Plus.
        "shopify": RateLimit(400, 20),
        # Shopify GraphQL cost bucket: 1000 points restoring 100/s (Standard plan,
        # https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
        "shopify_graphql": RateLimit(1000, 100),
        # Zendesk: 700 requests/min (Enterprise).
        "zendesk": RateLimit(700, 700 / 60),
        # Zendesk incremental exports: 10/min (30 with High Volume) -> burst 100, then 10/min.
        "zendesk_incremental": RateLimit(100, 10 / 60),
    }


@dataclass
class FailNext:
    """The next `count` requests to a platform fail with `status` (429 carries Retry-After)."""

    count: int
    status: int = 503
    retry_after: float | None = None


@dataclass
class Knobs:
    rate_limits: dict[str, RateLimit] = field(default_factory=default_rate_limits)
    error_rate: float = 0.0  # probability of a 5xx on any vendor request
    # Probability of a rate-limit answer (each vendor's own shape: Klaviyo/Shopify/
    # Zendesk 429 + Retry-After, Square 429 RATE_LIMITED, Meta 400 code 17,
    # Shopify GraphQL 200 THROTTLED) on any vendor request: a storm that a client
    # must wait out without losing or repeating a write.
    throttle_rate: float = 0.0
    throttle_retry_after: float = 1.0  # seconds the injected throttle asks for
    seed: int = 0  # for error_rate's and throttle_rate's RNG
    fail_next: dict[str, FailNext] = field(default_factory=dict)
    latency_ms: int = 0
    # "platform/stream" -> "missing_id" | "not_json": the next non-empty page of that stream.
    malformed: dict[str, str] = field(default_factory=dict)
    bad_credentials: list[str] = field(default_factory=list)  # platforms: every request 401s
    page_size_cap: int | None = None  # clamp every page size (forces many pages)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, data: dict[str, Any]) -> None:
        """Merge a partial JSON document (as POSTed to /_sandbox/knobs) into these knobs."""
        known = {f.name for f in fields(self)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown knobs: {sorted(unknown)}")
        for key, value in data.items():
            if key == "rate_limits":
                for bucket, spec in value.items():
                    self.rate_limits[canonical_platform(bucket)] = RateLimit(
                        float(spec["capacity"]), float(spec["per_second"])
                    )
            elif key == "fail_next":
                for platform, spec in value.items():
                    name = canonical_platform(platform)
                    if not spec:
                        self.fail_next.pop(name, None)
                    elif isinstance(spec, int):
                        self.fail_next[name] = FailNext(spec)
                    else:
                        self.fail_next[name] = FailNext(**spec)
            elif key == "malformed":
                for target, mode in value.items():
                    platform, _, stream = target.partition("/")
                    name = f"{canonical_platform(platform)}/{stream}"
                    if mode:
                        if mode not in ("missing_id", "not_json"):
                            raise ValueError(f"malformed mode must be missing_id|not_json: {mode}")
                        self.malformed[name] = mode
                    else:
                        self.malformed.pop(name, None)
            elif key == "bad_credentials":
                self.bad_credentials = [canonical_platform(p) for p in value]
            else:
                setattr(self, key, value)


class Runtime:
    """Mutable state behind the knobs: buckets, RNG, one-shot faults. Thread-safe."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.lock = threading.Lock()
        self._buckets: dict[str, tuple[RateLimit, float, float]] = {}  # tokens, last refill
        self._rng = random.Random(knobs.seed)
        self._rng_seed = knobs.seed
        self.jobs: dict[str, dict[str, Any]] = {}  # async job results (Klaviyo, Zendesk)

    def take(self, bucket: str, cost: float = 1.0) -> tuple[bool, BucketState]:
        """Take `cost` tokens from a bucket; refused takes consume nothing."""
        limit = self.knobs.rate_limits.get(bucket)
        if limit is None:
            return True, BucketState(math.inf, math.inf, 0.0, 0.0)
        now = time.monotonic()
        with self.lock:
            spec, tokens, last = self._buckets.get(bucket, (limit, limit.capacity, now))
            if spec != limit:  # knob changed: start full under the new limit
                spec, tokens, last = limit, limit.capacity, now
            tokens = min(spec.capacity, tokens + (now - last) * spec.per_second)
            allowed = tokens >= cost
            if allowed:
                tokens -= cost
                retry = 0.0
            else:
                missing = cost - tokens
                retry = missing / spec.per_second if spec.per_second else 3600.0
            self._buckets[bucket] = (spec, tokens, now)
        return allowed, BucketState(spec.capacity, tokens, spec.per_second, retry)

    def peek(self, bucket: str) -> BucketState | None:
        limit = self.knobs.rate_limits.get(bucket)
        if limit is None:
            return None
        now = time.monotonic()
        with self.lock:
            spec, tokens, last = self._buckets.get(bucket, (limit, limit.capacity, now))
            if spec != limit:
                spec, tokens, last = limit, limit.capacity, now
            tokens = min(spec.capacity, tokens + (now - last) * spec.per_second)
        return BucketState(spec.capacity, tokens, spec.per_second, 0.0)

    def take_failure(self, platform: str) -> FailNext | None:
        with self.lock:
            pending = self.knobs.fail_next.get(platform)
            if pending is None or pending.count <= 0:
                return None
            pending.count -= 1
            if pending.count <= 0:
                del self.knobs.fail_next[platform]
            return pending

    def random_failure(self) -> bool:
        return self._draw(self.knobs.error_rate)

    def random_throttle(self) -> bool:
        return self._draw(self.knobs.throttle_rate)

    def _draw(self, rate: float) -> bool:
        """One draw of the seeded RNG against `rate` (none at all when rate is 0,
        so turning one knob on does not shift the other's sequence)."""
        with self.lock:
            if rate <= 0:
                return False
            if self._rng_seed != self.knobs.seed:
                self._rng = random.Random(self.knobs.seed)
                self._rng_seed = self.knobs.seed
            return self._rng.random() < rate

    def take_malformed(self, platform: str, stream: str) -> str | None:
        with self.lock:
            return self.knobs.malformed.pop(f"{platform}/{stream}", None)

    def has_malformed(self, platform: str, stream: str) -> bool:
        return f"{platform}/{stream}" in self.knobs.malformed
