"""What every emulated vendor API shares: the request/response model, routing, keyset paging.

Each vendor module only decides *shapes* (paths, params, envelopes, errors); the
mechanics that must be identical everywhere — reading records page by page in
SQL, opaque cursors, timestamp parsing — live here so one fix reaches all five.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from sandbox.store import Record, WorldStore, format_ts

if TYPE_CHECKING:
    from sandbox.knobs import Runtime


class ApiError(Exception):
    """Raised by handlers; the platform turns it into that vendor's error envelope."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, **extra: Any
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.extra = extra


@dataclass
class Request:
    method: str
    path: str  # below the platform prefix, e.g. /api/profiles
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str  # scheme://host:port/<prefix> as the client addressed us

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, "invalid_json", f"Request body is not valid JSON: {exc}") from exc

    def form(self) -> dict[str, list[str]]:
        """Graph-style params: form body merged over the query string."""
        merged = {k: list(v) for k, v in self.query.items()}
        ctype = self.header("content-type") or ""
        if self.body and "json" in ctype:
            data = self.json()
            if isinstance(data, dict):
                for k, v in data.items():
                    merged[k] = [v if isinstance(v, str) else json.dumps(v)]
        elif self.body:
            for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items():
                merged[k] = v
        return merged


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes sent as is; None -> empty body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    # For the `malformed` knob: which stream this page belongs to and where its items are.
    stream: str | None = None
    items_key: str | None = None
    # A vendor error code when the response refuses the request with a 2xx status
    # (Shopify GraphQL answers THROTTLED with 200): the write log records it, so a
    # test can tell a refused write from an applied one.
    refused: str | None = None


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., Response]
    write: bool = False
    bucket: str | None = ""  # "" = the platform's default bucket; None = handler meters itself


@dataclass
class Ctx:
    """What a handler may touch: the world, the knobs, and the request."""

    store: WorldStore
    runtime: Runtime
    request: Request
    platform: str

    def page_limit(self, requested: int) -> int:
        cap = self.runtime.knobs.page_size_cap
        return max(1, min(requested, cap)) if cap else requested


class Platform:
    """One vendor: its URL prefix, auth check, error envelope and routes."""

    name: str = ""  # world platform name (records.platform)
    prefix: str = ""  # URL prefix below the server root
    default_bucket: str = ""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self, method: str, pattern: str, *, write: bool = False, bucket: str | None = ""
    ) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        def register(fn: Callable[..., Response]) -> Callable[..., Response]:
            self.routes.append(Route(method, re.compile(pattern + r"\Z"), fn, write, bucket))
            return fn

        return register

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            m = route.pattern.match(path)
            if m and route.method == method:
                return route, m.groupdict()
        return None

    def path_exists(self, path: str) -> bool:
        return any(r.pattern.match(path) for r in self.routes)

    # -- vendor-specific, overridden ---------------------------------------
    def authenticate(self, req: Request) -> bool:
        raise NotImplementedError

    def unauthorized(self, req: Request) -> Response:
        raise NotImplementedError

    def error(self, err: ApiError) -> Response:
        raise NotImplementedError

    def throttled(self, bucket: str, state: BucketState) -> Response:
        raise NotImplementedError

    def server_error(self, status: int, retry_after: float | None) -> Response:
        raise NotImplementedError

    def throttled_request(self, req: Request, bucket: str, state: BucketState) -> Response:
        """The rate-limit answer to this request: `throttled`, unless the vendor
        answers one of its APIs differently (Shopify's GraphQL)."""
        return self.throttled(bucket, state)

    def rate_headers(self, bucket: str, state: BucketState) -> dict[str, str]:
        return {}

    def not_found(self, req: Request) -> Response:
        return self.error(ApiError(404, "not_found", f"No route for {req.method} {req.path}"))

    def precheck(self, req: Request) -> Response | None:
        """Vendor-required headers other than auth (e.g. Klaviyo's `revision`)."""
        return None


@dataclass(frozen=True)
class BucketState:
    """A token bucket's state after a take, in the units vendors report."""

    capacity: float
    remaining: float
    per_second: float
    retry_after: float  # seconds until the refused take would fit (0 when allowed)

    @property
    def reset_after(self) -> float:
        """Seconds until the bucket is full again."""
        return (self.capacity - self.remaining) / self.per_second if self.per_second else 0.0


# -- cursors ---------------------------------------------------------------
def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Any:
    """Opaque cursor -> value; raises ApiError(400) on anything not minted here."""
    try:
        padded = token + "=" * (-len(token) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "invalid_cursor", f"Invalid cursor {token!r}") from exc


# -- timestamps --------------------------------------------------------------
def parse_time(value: str) -> str:
    """Any ISO-8601 datetime or date the vendors accept -> the records table's format."""
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00+00:00"
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise ApiError(400, "invalid_time", f"Invalid datetime {value!r}") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return format_ts(dt)


def parse_unix(value: str) -> str:
    try:
        return format_ts(datetime.fromtimestamp(int(float(value)), tz=UTC))
    except (ValueError, OverflowError, OSError) as exc:
        raise ApiError(400, "invalid_time", f"Invalid unix timestamp {value!r}") from exc


def to_unix(ts: str) -> int:
    return int(datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def parse_int(value: str | None, default: int, *, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ApiError(400, "invalid_param", f"{name} must be an integer", field=name) from exc


# -- keyset paging -----------------------------------------------------------
@dataclass
class Row:
    id: str
    created_at: str
    updated_at: str
    seq: int
    deleted: bool
    payload: dict[str, Any]
    key: list[Any]  # the values of the ORDER BY expressions, for the next cursor


def keyset_page(
    store: WorldStore,
    platform: str,
    stream: str,
    *,
    order: Sequence[tuple[str, str]],
    limit: int,
    after: Sequence[Any] | None = None,
    where: Sequence[str] = (),
    params: Sequence[Any] = (),
    include_deleted: bool = False,
) -> tuple[list[Row], bool]:
    """One page of records in `order` strictly after key `after`; (rows, has_more).

    `order` is [(sql_expression, "asc"|"desc")], its last entry unique (the id), so
    the key of the last row identifies a position that survives concurrent writes:
    the page is read in SQL with LIMIT, never by loading the stream.
    """
    clauses = ["platform = ?", "stream = ?", *where]
    args: list[Any] = [platform, stream, *params]
    if not include_deleted:
        clauses.append("deleted = 0")
    if after is not None:
        if len(after) != len(order):
            raise ApiError(400, "invalid_cursor", "Cursor does not match this query")
        ors = []
        for i, (expr, direction) in enumerate(order):
            eqs = [f"{order[j][0]} = ?" for j in range(i)]
            cmp = ">" if direction == "asc" else "<"
            ors.append("(" + " and ".join([*eqs, f"{expr} {cmp} ?"]) + ")")
            args.extend(after[:i])
            args.append(after[i])
        clauses.append("(" + " or ".join(ors) + ")")
    exprs = ", ".join(f"{e} as k{i}" for i, (e, _) in enumerate(order))
    order_sql = ", ".join(f"k{i} {d}" for i, (_, d) in enumerate(order))
    sql = (
        f"select id, created_at, updated_at, seq, deleted, payload, {exprs} from records "
        f"where {' and '.join(clauses)} order by {order_sql} limit ?"
    )
    args.append(limit + 1)
    rows = [
        Row(r[0], r[1], r[2], r[3], bool(r[4]), json.loads(r[5]), list(r[6:]))
        for r in store.conn.execute(sql, args)
    ]
    return rows[:limit], len(rows) > limit


def with_query(base: str, params: dict[str, Any] | list[tuple[str, Any]]) -> str:
    items = params.items() if isinstance(params, dict) else params
    query = urlencode([(k, v) for k, v in items if v is not None], safe="[],:/")
    return f"{base}?{query}" if query else base


def project(obj: dict[str, Any], fields: Sequence[str], always: Sequence[str] = ()) -> dict:
    """Sparse fieldsets: keep only requested top-level keys (plus `always`), in object order."""
    wanted = set(fields) | set(always)
    return {k: v for k, v in obj.items() if k in wanted}


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside (), [], {} and quotes — for filter and field expressions."""
    parts, depth, quote, buf = [], 0, "", []
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    if "".join(buf).strip():
        parts.append("".join(buf).strip())
    return parts


def next_ids(store: WorldStore, platform: str, stream: str, start: int) -> int:
    """A fresh numeric id above every existing one (vendors with integer ids)."""
    row = store.conn.execute(
        "select max(cast(id as integer)) from records where platform = ? and stream = ?",
        (platform, stream),
    ).fetchone()
    return max(int(row[0] or 0), start) + 1


# -- writes ------------------------------------------------------------------
def save_record(
    store: WorldStore,
    platform: str,
    stream: str,
    id: str,
    payload: dict[str, Any],
    *,
    created_at: str | None = None,
) -> Record:
    """Insert or update one record stamped with the world clock (new seq, updated_at = now).

    Call inside `store.transaction()` so the seq taken is not raced by another thread.
    """
    now = store.now()
    existing = store.get_record(platform, stream, id)
    record = Record(
        platform,
        stream,
        id,
        existing.created_at if existing else (created_at or now),
        now,
        payload,
    )
    store.put_records([record])
    return record
