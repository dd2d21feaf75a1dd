"""Zendesk Support API subset (https://developer.zendesk.com/api-reference/).

Incremental cursor exports (`/api/v2/incremental/{users,tickets}/cursor.json`):
start with `start_time` (unix), continue with `cursor`; responses carry
`after_cursor`/`after_url` even on the last page (so a later run resumes from
there) and `end_of_stream` says when to stop. Ordered by (updated_at, id);
deleted tickets come back with status "deleted". These endpoints have their own
10 requests/minute budget. Satisfaction ratings use the generic cursor
pagination (`page[size]`, `page[after]`, `meta.has_more`, `links.next`).
Errors are `{"error": ..., "description": ...}`.

Users: tags follow the Tags reference exactly — `PUT /users/{id}/tags` *adds*
("Add Tags"), `POST` *replaces* every tag ("Set Tags"), `DELETE` removes the
listed ones ("Remove Tags"). Custom user field values are kept only for keys
that have a definition (`/api/v2/user_fields`, stored as the `user_fields`
stream): Zendesk ignores values for keys it does not know.
"""

from __future__ import annotations

import base64
import math
import re
import uuid
from typing import Any

from sandbox.api.base import (
    ApiError,
    BucketState,
    Ctx,
    Platform,
    Request,
    Response,
    decode_cursor,
    encode_cursor,
    keyset_page,
    next_ids,
    parse_int,
    parse_unix,
    save_record,
    with_query,
)
from sandbox.store import WorldStore

P = "zendesk"
_ERRORS = {
    400: "InvalidValue",
    403: "Forbidden",
    404: "RecordNotFound",
    422: "RecordInvalid",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


class ZendeskApi(Platform):
    name = P
    prefix = "zendesk"
    default_bucket = "zendesk"

    def authenticate(self, req: Request) -> bool:
        from sandbox.server import SANDBOX_CREDENTIALS

        auth = req.header("authorization") or ""
        if not auth.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(auth[6:]).decode()
        except ValueError:
            return False
        email, token = (
            SANDBOX_CREDENTIALS["ZENDESK_EMAIL"],
            SANDBOX_CREDENTIALS["ZENDESK_API_TOKEN"],
        )
        return decoded == f"{email}/token:{token}"

    def unauthorized(self, req: Request) -> Response:
        return Response(401, {"error": "Couldn't authenticate you"})

    def error(self, err: ApiError) -> Response:
        return Response(
            err.status,
            {"error": _ERRORS.get(err.status, err.code), "description": err.message},
        )

    def throttled(self, bucket: str, state: BucketState) -> Response:
        wait = max(1, math.ceil(state.retry_after))
        what = "incremental export " if bucket == "zendesk_incremental" else ""
        return Response(
            429,
            {
                "error": "APIRateLimitExceeded",
                "description": f"Number of allowed {what}API requests per minute exceeded",
            },
            headers={"Retry-After": str(wait), **self.rate_headers(bucket, state)},
        )

    def server_error(self, status: int, retry_after: float | None) -> Response:
        headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after else {}
        body = {"error": _ERRORS.get(status, "InternalServerError"), "description": "Try again"}
        return Response(status, body, headers=headers)

    def rate_headers(self, bucket: str, state: BucketState) -> dict[str, str]:
        limit, remaining = int(state.capacity), max(0, int(state.remaining))
        reset = str(math.ceil(state.reset_after))
        headers = {
            "X-Rate-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": reset,
        }
        if bucket == "zendesk_incremental":
            headers["Zendesk-RateLimit-incremental-exports"] = (
                f"total={limit}; remaining={remaining}; resets={reset}"
            )
        return headers


API = ZendeskApi()


# -- incremental exports ---------------------------------------------------------
def _incremental(ctx: Ctx, stream: str) -> Response:
    req = ctx.request
    per_page = parse_int(req.arg("per_page"), 1000, name="per_page")
    if not 1 <= per_page <= 1000:
        raise ApiError(400, "invalid", "per_page must be between 1 and 1000")
    limit = ctx.page_limit(per_page)
    where: list[str] = []
    params: list[Any] = []
    after = None
    if req.arg("cursor"):
        state = decode_cursor(req.arg("cursor") or "")
        if not isinstance(state, dict) or state.get("s") != stream:
            raise ApiError(400, "invalid", "Invalid cursor")
        after, start = state["k"], state["t"]
    elif req.arg("start_time") is not None:
        start = parse_unix(req.arg("start_time") or "")
    else:
        raise ApiError(400, "invalid", "start_time or cursor is required")
    where.append("updated_at >= ?")
    params.append(start)
    # Deleted tickets come back with status "deleted" (unless exclude_deleted);
    # deleted users come back with active: false, as the Users API marks them.
    include_deleted = stream == "users" or req.arg("exclude_deleted") != "true"
    rows, more = keyset_page(
        ctx.store,
        P,
        stream,
        order=[("updated_at", "asc"), ("id", "asc")],
        limit=limit,
        after=after,
        where=where,
        params=params,
        include_deleted=include_deleted,
    )
    items = []
    # Ticket Metrics ride along only when asked for (`include=metric_sets`).
    sideloads = set((req.arg("include") or "").split(","))
    for r in rows:
        item = r.payload
        if "metric_set" in item and "metric_sets" not in sideloads:
            item = {k: v for k, v in item.items() if k != "metric_set"}
        if r.deleted:
            item = {**item, "active": False} if stream == "users" else {**item, "status": "deleted"}
        items.append(item)
    # The resume point: after the last row, or where we were if this page is empty.
    key = rows[-1].key if rows else after
    cursor = encode_cursor({"s": stream, "k": key, "t": start}) if key else None
    if cursor is None:  # nothing at all since start_time: resume from start_time itself
        cursor = encode_cursor({"s": stream, "k": None, "t": start})
    query: list[tuple[str, Any]] = [("cursor", cursor)]
    if req.arg("per_page"):
        query.append(("per_page", req.arg("per_page")))
    if req.arg("include"):
        query.append(("include", req.arg("include")))
    url = f"{req.base_url}/api/v2/incremental/{stream}/cursor.json"
    body = {
        stream: items,
        "after_url": with_query(url, query),
        "after_cursor": cursor,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": not more,
    }
    return Response(200, body, stream=stream, items_key=stream)


@API.route("GET", r"/api/v2/incremental/users/cursor(\.json)?", bucket="zendesk_incremental")
def incremental_users(ctx: Ctx) -> Response:
    return _incremental(ctx, "users")


@API.route("GET", r"/api/v2/incremental/tickets/cursor(\.json)?", bucket="zendesk_incremental")
def incremental_tickets(ctx: Ctx) -> Response:
    return _incremental(ctx, "tickets")


@API.route("GET", r"/api/v2/satisfaction_ratings(\.json)?")
def satisfaction_ratings(ctx: Ctx) -> Response:
    req = ctx.request
    size = parse_int(req.arg("page[size]"), 100, name="page[size]")
    if not 1 <= size <= 100:
        raise ApiError(400, "invalid", "page[size] must be between 1 and 100")
    where: list[str] = []
    params: list[Any] = []
    if req.arg("start_time"):
        where.append("updated_at >= ?")
        params.append(parse_unix(req.arg("start_time") or ""))
    if req.arg("end_time"):
        where.append("updated_at < ?")
        params.append(parse_unix(req.arg("end_time") or ""))
    if req.arg("score"):
        where.append("json_extract(payload, '$.score') = ?")
        params.append(req.arg("score"))
    after = decode_cursor(req.arg("page[after]") or "") if req.arg("page[after]") else None
    rows, more = keyset_page(
        ctx.store,
        P,
        "satisfaction_ratings",
        order=[("updated_at", "asc"), ("id", "asc")],
        limit=ctx.page_limit(size),
        after=after,
        where=where,
        params=params,
    )
    after_cursor = encode_cursor(rows[-1].key) if rows else None
    before_cursor = encode_cursor(rows[0].key) if rows else None
    url = req.base_url + req.path
    keep = [(k, v[-1]) for k, v in req.query.items() if not k.startswith("page[")]
    next_url = None
    if more:
        next_url = with_query(url, [*keep, ("page[size]", size), ("page[after]", after_cursor)])
    body = {
        "satisfaction_ratings": [r.payload for r in rows],
        "meta": {"has_more": more, "after_cursor": after_cursor, "before_cursor": before_cursor},
        "links": {"prev": None, "next": next_url},
    }
    return Response(200, body, stream="satisfaction_ratings", items_key="satisfaction_ratings")


# -- users: reads and writes -----------------------------------------------------
def _user(store: WorldStore, user_id: str) -> dict[str, Any]:
    record = store.get_record(P, "users", user_id)
    if record is None or record.deleted:
        raise ApiError(404, "not_found", "Not found")
    return record.payload


def _field_keys(store: WorldStore) -> set[str]:
    rows = store.conn.execute(
        "select json_extract(payload, '$.key') from records "
        "where platform = ? and stream = 'user_fields' and deleted = 0",
        (P,),
    )
    return {r[0] for r in rows}


def _apply_user(store: WorldStore, user_id: str, change: dict[str, Any]) -> dict[str, Any]:
    payload = _user(store, user_id)
    for key, value in change.items():
        if key in ("id", "url", "created_at", "updated_at"):
            continue
        if key == "user_fields" and isinstance(value, dict):
            defined = _field_keys(store)
            known = {k: v for k, v in value.items() if k in defined}
            payload["user_fields"] = {**(payload.get("user_fields") or {}), **known}
        elif key == "tags":
            payload["tags"] = _norm_tags(value)
        else:
            payload[key] = value
    payload["updated_at"] = store.now()
    save_record(store, P, "users", user_id, payload)
    return payload


def _norm_tags(value: Any) -> list[str]:
    """Zendesk tags are lower-case, space-free, unique."""
    items = value.split() if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for tag in items:
        tag = str(tag).strip().lower().replace(" ", "_")
        if tag and tag not in out:
            out.append(tag)
    return out


@API.route("GET", r"/api/v2/users/(?P<user_id>\d+)(\.json)?")
def show_user(ctx: Ctx, user_id: str) -> Response:
    return Response(200, {"user": _user(ctx.store, user_id)})


@API.route("PUT", r"/api/v2/users/(?P<user_id>\d+)(\.json)?", write=True)
def update_user(ctx: Ctx, user_id: str) -> Response:
    change = ctx.request.json().get("user")
    if not isinstance(change, dict):
        raise ApiError(400, "invalid", "Parameter user is required")
    with ctx.store.transaction():
        payload = _apply_user(ctx.store, user_id, change)
    return Response(200, {"user": payload})


@API.route("PUT", r"/api/v2/users/update_many(\.json)?", write=True)
def update_many(ctx: Ctx) -> Response:
    body = ctx.request.json()
    ids_arg = ctx.request.arg("ids")
    if ids_arg and isinstance(body.get("user"), dict):
        changes = [(i.strip(), body["user"]) for i in ids_arg.split(",") if i.strip()]
    elif isinstance(body.get("users"), list):
        changes = [(str(u.get("id")), u) for u in body["users"] if isinstance(u, dict)]
    else:
        raise ApiError(400, "invalid", "Provide ids with a user object, or a users array")
    if not changes or len(changes) > 100:
        raise ApiError(400, "invalid", "Between 1 and 100 users per request")
    results = []
    store = ctx.store
    with store.transaction():
        for user_id, change in changes:
            try:
                _apply_user(store, user_id, change)
                results.append(
                    {"id": int(user_id), "action": "update", "success": True, "status": "Updated"}
                )
            except ApiError as err:
                results.append(
                    {
                        "id": int(user_id) if user_id.isdigit() else user_id,
                        "action": "update",
                        "success": False,
                        "status": "Failed",
                        "error": _ERRORS.get(err.status, err.code),
                        "details": err.message,
                    }
                )
    job_id = uuid.uuid4().hex
    url = f"{ctx.request.base_url}/api/v2/job_statuses/{job_id}.json"
    queued = {
        "id": job_id,
        "url": url,
        "total": len(changes),
        "progress": None,
        "status": "queued",
        "message": None,
        "results": None,
    }
    done = {
        **queued,
        "progress": len(changes),
        "status": "completed",
        "message": f"Completed at {store.now()}",
        "results": results,
    }
    with ctx.runtime.lock:
        ctx.runtime.jobs[f"zendesk:{job_id}"] = done
    return Response(200, {"job_status": queued})


@API.route("GET", r"/api/v2/job_statuses/(?P<job_id>[0-9a-f]+)(\.json)?")
def job_status(ctx: Ctx, job_id: str) -> Response:
    job = ctx.runtime.jobs.get(f"zendesk:{job_id}")
    if job is None:
        raise ApiError(404, "not_found", "Not found")
    return Response(200, {"job_status": job})


def _tag_request(ctx: Ctx) -> list[str]:
    body = ctx.request.json() if ctx.request.body else {}
    tags = body.get("tags") if isinstance(body, dict) else None
    if tags is None and ctx.request.arg("tags"):
        tags = (ctx.request.arg("tags") or "").split(",")
    if not tags:
        raise ApiError(400, "invalid", "tags is required")
    return _norm_tags(tags)


def _change_tags(ctx: Ctx, user_id: str, mode: str) -> list[str]:
    tags = _tag_request(ctx)
    store = ctx.store
    with store.transaction():
        payload = _user(store, user_id)
        current = _norm_tags(payload.get("tags"))
        if mode == "add":
            new = _norm_tags(current + tags)
        elif mode == "set":
            new = tags
        else:
            new = [t for t in current if t not in tags]
        if new != current:
            _apply_user(store, user_id, {"tags": new})
    return new


@API.route("PUT", r"/api/v2/users/(?P<user_id>\d+)/tags(\.json)?", write=True)
def add_tags(ctx: Ctx, user_id: str) -> Response:
    """Add Tags: the user keeps every tag it had."""
    return Response(200, {"tags": _change_tags(ctx, user_id, "add")})


@API.route("POST", r"/api/v2/users/(?P<user_id>\d+)/tags(\.json)?", write=True)
def set_tags(ctx: Ctx, user_id: str) -> Response:
    """Set Tags: replaces every tag the user had."""
    return Response(200, {"tags": _change_tags(ctx, user_id, "set")})


# -- user field definitions --------------------------------------------------------
_FIELD_TYPES = {
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "dropdown",
    "tagger",
    "multiselect",
    "lookup",
}
_FIELD_KEY = r"[A-Za-z0-9_]*[A-Za-z_][A-Za-z0-9_]*"


@API.route("GET", r"/api/v2/user_fields(\.json)?")
def list_user_fields(ctx: Ctx) -> Response:
    """List User Fields with cursor pagination (`page[size]` <= 100, `page[after]`)."""
    req = ctx.request
    size = parse_int(req.arg("page[size]"), 100, name="page[size]")
    if not 1 <= size <= 100:
        raise ApiError(400, "invalid", "page[size] must be between 1 and 100")
    after = decode_cursor(req.arg("page[after]") or "") if req.arg("page[after]") else None
    rows, more = keyset_page(
        ctx.store,
        P,
        "user_fields",
        order=[("cast(id as integer)", "asc")],
        limit=ctx.page_limit(size),
        after=after,
    )
    after_cursor = encode_cursor(rows[-1].key) if rows else None
    next_url = None
    if more:
        next_url = with_query(
            req.base_url + req.path, [("page[size]", size), ("page[after]", after_cursor)]
        )
    body = {
        "user_fields": [r.payload for r in rows],
        "meta": {"has_more": more, "after_cursor": after_cursor, "before_cursor": None},
        "links": {"prev": None, "next": next_url},
    }
    return Response(200, body)


@API.route("POST", r"/api/v2/user_fields(\.json)?", write=True)
def create_user_field(ctx: Ctx) -> Response:
    field = ctx.request.json().get("user_field")
    if not isinstance(field, dict):
        raise ApiError(400, "invalid", "Parameter user_field is required")
    key, kind, title = field.get("key"), field.get("type"), field.get("title")
    errors: dict[str, list[dict[str, str]]] = {}
    if not isinstance(key, str) or not re.fullmatch(_FIELD_KEY, key):
        errors["key"] = [{"description": "Key: is invalid"}]
    if kind not in _FIELD_TYPES:
        errors["type"] = [{"description": "Type: is invalid"}]
    if not title:
        errors["title"] = [{"description": "Title: cannot be blank"}]
    store = ctx.store
    with store.transaction():
        if not errors and key in _field_keys(store):
            errors["key"] = [{"description": "Key: has already been taken"}]
        if errors:
            return Response(
                422,
                {
                    "error": "RecordInvalid",
                    "description": "Record validation errors",
                    "details": errors,
                },
            )
        field_id = str(next_ids(store, P, "user_fields", 360000100000))
        now = store.now()
        payload = {
            "id": int(field_id),
            "url": f"{ctx.request.base_url}/api/v2/user_fields/{field_id}.json",
            "key": key,
            "type": kind,
            "title": title,
            "raw_title": title,
            "description": field.get("description", ""),
            "raw_description": field.get("description", ""),
            "position": 0,
            "active": True,
            "system": False,
            "regexp_for_validation": field.get("regexp_for_validation"),
            "created_at": now,
            "updated_at": now,
        }
        save_record(store, P, "user_fields", field_id, payload)
    return Response(201, {"user_field": payload})


@API.route("DELETE", r"/api/v2/users/(?P<user_id>\d+)/tags(\.json)?", write=True)
def remove_tags(ctx: Ctx, user_id: str) -> Response:
    _change_tags(ctx, user_id, "remove")
    return Response(204, None)
