"""The one HTTP client every connector uses: auth, timeouts, retries, pacing.

Connectors never sleep and never retry on their own. This module decides, with
small pure functions (`classify`, `backoff_seconds`, `parse_retry_after`) that
tests exercise with jitter stubbed:

- 429 (or a vendor's own throttle signal) -> wait, honouring the server's hint
  (Retry-After, limit headers), on its own budget: waiting out a rate limit is
  not an error and does not use up error retries;
- 5xx, connection errors, timeouts -> exponential backoff with jitter, up to
  `max_retries`;
- 401/403 -> AuthError at once, naming the environment variables to fix;
- other 4xx -> ClientError with the vendor's error body.

Asynchronous vendor jobs (Zendesk job statuses, Klaviyo bulk jobs) are waited
for with `poll`, on the same injectable sleep and clock, so no connector ever
sleeps on its own.

Proactive pacing: a token bucket at the vendor's published rate, plus an
optional per-vendor hook that reads limit headers (e.g. Shopify's
X-Shopify-Shop-Api-Call-Limit) and slows down before the 429 comes.
Logs name the method and the path without its query string; headers and
query parameters (which can carry tokens) never reach a log or an exception.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson
import requests

from connectors.errors import (
    AuthError,
    ClientError,
    RateLimitExhausted,
    ServerError,
)

log = logging.getLogger("omnihub.http")

DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read (seconds)
T = TypeVar("T")
_MAX_BODY_IN_MESSAGE = 500


class Verdict(Enum):
    OK = "ok"
    RATE_LIMITED = "rate_limited"
    RETRY = "retry"
    AUTH = "auth"
    FAIL = "fail"


def classify(status: int | None, error: BaseException | None = None) -> Verdict:
    """What to do with a response status (or a transport error, status None)."""
    if error is not None:
        if isinstance(error, requests.ConnectionError | requests.Timeout):
            return Verdict.RETRY
        return Verdict.FAIL
    assert status is not None
    if status == 429:
        return Verdict.RATE_LIMITED
    if status in (401, 403):
        return Verdict.AUTH
    if status >= 500 or status == 408:
        return Verdict.RETRY
    if status >= 400:
        return Verdict.FAIL
    return Verdict.OK


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(
    attempt: int,
    *,
    retry_after: float | None = None,
    base: float = 0.5,
    cap: float = 60.0,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number `attempt` (1-based). A server hint wins;
    otherwise exponential backoff with "equal jitter" (half fixed, half random)."""
    if retry_after is not None:
        return min(retry_after, cap * 10)
    delay = min(cap, base * (2 ** (attempt - 1)))
    return delay / 2 + delay / 2 * jitter()


@dataclass
class RetryPolicy:
    max_retries: int = 5
    """Retries of 5xx / connection errors / timeouts for one request."""
    max_rate_limit_waits: int = 30
    """How many times one request may wait out a rate limit before giving up."""
    base_delay: float = 0.5
    max_delay: float = 60.0


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    slept_s: float = 0.0


class TokenBucket:
    """Paces requests to a published rate (tokens/second, with a burst capacity)."""

    def __init__(self, rate_per_s: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate_per_s
        self.capacity = capacity
        self.tokens = capacity
        self.clock = clock
        self.updated = clock()

    def wait_time(self) -> float:
        """Take a token; return how long to sleep first (0 if one was available)."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


# A vendor's own reading of a response, for vendors whose status codes do not say
# it all (Meta answers 400 for expired tokens and for throttling; Shopify GraphQL
# throttles with 200): (verdict, seconds to wait or None), or None for the default.
ResponseClassifier = Callable[[requests.Response], tuple[Verdict, float | None] | None]
# A pacing hook reads limit headers and returns seconds to wait before the next call.
PacingHook = Callable[[requests.Response], float]


@dataclass
class HttpClient:
    platform: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: Any = None
    auth_env: tuple[str, ...] = ()
    rate_per_s: float | None = None
    burst: float | None = None
    pacing_hook: PacingHook | None = None
    classifier: ResponseClassifier | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random
    session: requests.Session = field(default_factory=requests.Session)
    stats: HttpStats = field(default_factory=HttpStats)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session.headers.update(self.headers)
        if self.auth is not None:
            self.session.auth = self.auth
        self._bucket = (
            TokenBucket(self.rate_per_s, self.burst or self.rate_per_s, self.clock)
            if self.rate_per_s
            else None
        )
        self._hold_until = 0.0

    # -- helpers ---------------------------------------------------------------
    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def _nap(self, seconds: float) -> None:
        if seconds > 0:
            self.stats.slept_s += seconds
            self.sleep(seconds)

    def _pace(self) -> None:
        wait = max(0.0, self._hold_until - self.clock())
        if self._bucket is not None:
            wait = max(wait, self._bucket.wait_time())
        self._nap(wait)

    def _describe(self, method: str, url: str) -> str:
        return f"{self.platform} {method} {urlsplit(url).path}"

    def _body_excerpt(self, response: requests.Response) -> str:
        text = response.text or ""
        return text[:_MAX_BODY_IN_MESSAGE]

    # -- the request loop --------------------------------------------------------
    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = self.url(path_or_url)
        what = self._describe(method, url)
        retries = waits = 0
        while True:
            self._pace()
            self.stats.requests += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                if classify(None, exc) is not Verdict.RETRY:
                    raise ServerError(f"{what} failed: {type(exc).__name__}") from None
                retries += 1
                if retries > self.policy.max_retries:
                    raise ServerError(
                        f"{what} failed {retries} times ({type(exc).__name__}); the vendor "
                        "is unreachable. Rerun later: progress up to the last page is kept."
                    ) from None
                delay = self._backoff(retries, None)
                log.warning("%s: %s, retry %d in %.1fs", what, type(exc).__name__, retries, delay)
                self.stats.retries += 1
                self._nap(delay)
                continue

            if self.pacing_hook is not None:
                hold = self.pacing_hook(response)
                if hold > 0:
                    self._hold_until = max(self._hold_until, self.clock() + hold)

            verdict, vendor_hint = classify(response.status_code), None
            if self.classifier is not None:
                verdict, vendor_hint = self.classifier(response) or (verdict, None)
            if verdict is Verdict.OK:
                return response
            if verdict is Verdict.RATE_LIMITED:
                waits += 1
                if waits > self.policy.max_rate_limit_waits:
                    raise RateLimitExhausted(
                        f"{what} was throttled {waits} times in a row; the vendor's rate limit "
                        "is shared with other apps or set very low. Rerun later."
                    )
                hint = parse_retry_after(response.headers.get("Retry-After"))
                if hint is None:
                    hint = vendor_hint
                delay = self._backoff(min(waits, 6), hint)
                log.info("%s: rate limited, waiting %.1fs (wait %d)", what, delay, waits)
                self.stats.rate_limit_waits += 1
                self._nap(delay)
                continue
            if verdict is Verdict.AUTH:
                fix = ", ".join(self.auth_env) or "the platform's credentials"
                raise AuthError(
                    f"{what} was refused ({response.status_code}): check {fix}. "
                    f"The vendor said: {self._body_excerpt(response)}"
                )
            if verdict is Verdict.RETRY:
                retries += 1
                if retries > self.policy.max_retries:
                    raise ServerError(
                        f"{what} kept failing with {response.status_code} after {retries - 1} "
                        f"retries: {self._body_excerpt(response)}. Rerun later: progress up to "
                        "the last committed page is kept."
                    )
                delay = self._backoff(
                    retries, parse_retry_after(response.headers.get("Retry-After"))
                )
                log.warning("%s: %d, retry %d in %.1fs", what, response.status_code, retries, delay)
                self.stats.retries += 1
                self._nap(delay)
                continue
            raise ClientError(
                f"{what} -> {response.status_code}: {self._body_excerpt(response)}",
                response.status_code,
                response.text or "",
            )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return backoff_seconds(
            attempt,
            retry_after=retry_after,
            base=self.policy.base_delay,
            cap=self.policy.max_delay,
            jitter=self.jitter,
        )

    def poll(
        self,
        check: Callable[[], T | None],
        *,
        what: str,
        first_wait: float = 1.0,
        max_wait: float = 15.0,
        timeout: float = 900.0,
    ) -> T:
        """Call `check` (one status request) until it returns something other
        than None, waiting `first_wait` seconds, doubling up to `max_wait`,
        between calls. After `timeout` seconds of waiting: ServerError (the job
        may still finish at the vendor; the message says so)."""
        waited, delay = 0.0, first_wait
        while True:
            result = check()
            if result is not None:
                return result
            if waited >= timeout:
                raise ServerError(
                    f"{self.platform} {what} was still not done after {waited:.0f}s; it may yet "
                    "finish at the vendor. Rerun later: what it confirmed is kept."
                )
            self._nap(delay)
            waited += delay
            delay = min(max_wait, delay * 2)

    def get(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path_or_url, **kwargs)

    def post(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path_or_url, **kwargs)


def json_of(response: requests.Response) -> Any:
    """The response body decoded with orjson: several times faster than the
    stdlib decoder `response.json()` uses, which matters on 1,000-record pages.
    Raises ValueError (orjson.JSONDecodeError) on a malformed body, as `.json()` does."""
    return orjson.loads(response.content)
