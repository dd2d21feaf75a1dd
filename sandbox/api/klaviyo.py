"""Klaviyo's JSON:API subset (https://developers.klaviyo.com/en/reference/api_overview).

Shapes follow openapi/stable.json of github.com/klaviyo/openapi: `revision` header
required, `Authorization: Klaviyo-API-Key <key>`, `{"data", "links": {self, next,
prev}}` envelopes with `page[cursor]` in `links.next`, JSON:API error objects, and
the per-endpoint filter/sort allow-lists and page-size limits of that spec.
"""

from __future__ import annotations

import hashlib
import json
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
    parse_int,
    parse_time,
    save_record,
    split_top_level,
    with_query,
)
from sandbox.store import WorldStore

JSONAPI = "application/vnd.api+json"
P = "klaviyo"

_TITLES = {
    400: "Invalid input.",
    401: "Incorrect authentication credentials.",
    404: "Not found.",
    405: "Method not allowed.",
    429: "Request was throttled.",
    500: "A server error occurred.",
    503: "Service unavailable.",
}


def _error_body(status: int, code: str, detail: str, source: dict[str, str] | None = None) -> dict:
    return {
        "errors": [
            {
                "id": str(uuid.uuid4()),
                "status": status,
                "code": code,
                "title": _TITLES.get(status, "Error."),
                "detail": detail,
                "source": source or {"pointer": "/data/"},
                "links": {},
                "meta": {},
            }
        ]
    }


class KlaviyoApi(Platform):
    name = P
    prefix = "klaviyo"
    default_bucket = "klaviyo"

    def authenticate(self, req: Request) -> bool:
        from sandbox.server import SANDBOX_CREDENTIALS

        return req.header("authorization") == (
            f"Klaviyo-API-Key {SANDBOX_CREDENTIALS['KLAVIYO_API_KEY']}"
        )

    def unauthorized(self, req: Request) -> Response:
        if not req.header("authorization"):
            body = _error_body(
                401, "not_authenticated", "Authentication credentials were not provided."
            )
            body["errors"][0]["title"] = "Authentication credentials were not provided."
        else:
            body = _error_body(
                401, "authentication_failed", "Incorrect authentication credentials."
            )
        return Response(401, body, content_type=JSONAPI)

    def precheck(self, req: Request) -> Response | None:
        revision = req.header("revision")
        if not revision or not re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.\w+)?", revision):
            return self.error(
                ApiError(400, "invalid", "A valid `revision` header is required.", field="revision")
            )
        return None

    def error(self, err: ApiError) -> Response:
        source = {"parameter": err.field} if err.field else None
        code = "invalid" if err.status == 400 else err.code
        return Response(
            err.status, _error_body(err.status, code, err.message, source), content_type=JSONAPI
        )

    def throttled(self, bucket: str, state: BucketState) -> Response:
        wait = max(1, math.ceil(state.retry_after))
        body = _error_body(
            429, "throttled", f"Request was throttled. Expected available in {wait} second."
        )
        return Response(
            429,
            body,
            headers={"Retry-After": str(wait), **self._limit_headers(state)},
            content_type=JSONAPI,
        )

    def server_error(self, status: int, retry_after: float | None) -> Response:
        code = "error" if status == 500 else "service_unavailable"
        headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after else {}
        return Response(
            status,
            _error_body(status, code, "A server error occurred."),
            headers=headers,
            content_type=JSONAPI,
        )

    def rate_headers(self, bucket: str, state: BucketState) -> dict[str, str]:
        return self._limit_headers(state)

    @staticmethod
    def _limit_headers(state: BucketState) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(int(state.capacity)),
            "RateLimit-Remaining": str(max(0, int(state.remaining))),
            "RateLimit-Reset": str(math.ceil(state.reset_after)),
        }


API = KlaviyoApi()


# -- filtering and sorting ---------------------------------------------------
_OPS = {
    "equals": "=",
    "greater-than": ">",
    "less-than": "<",
    "greater-or-equal": ">=",
    "less-or-equal": "<=",
    "any": "in",
}
_CALL = re.compile(r"(?P<op>[a-z-]+)\((?P<field>[\w.]+),(?P<value>.*)\)", re.S)
_TIME_OPS = {"greater-than", "less-than", "greater-or-equal", "less-or-equal"}


def _attr(path: str) -> str:
    return f"json_extract(payload, '$.attributes.{path}')"


# field -> (SQL expression, is_time, allowed operators), per openapi/stable.json
_PROFILE_FILTERS = {
    "id": ("id", False, {"equals", "any"}),
    "email": (_attr("email"), False, {"equals", "any"}),
    "phone_number": (_attr("phone_number"), False, {"equals", "any"}),
    "external_id": (_attr("external_id"), False, {"equals", "any"}),
    "created": ("created_at", True, {"greater-than", "less-than"}),
    "updated": ("updated_at", True, {"greater-than", "less-than"}),
}
_EVENT_FILTERS = {
    "metric_id": ("json_extract(payload, '$.relationships.metric.data.id')", False, {"equals"}),
    "profile_id": ("json_extract(payload, '$.relationships.profile.data.id')", False, {"equals"}),
    "datetime": ("created_at", True, _TIME_OPS),
    "timestamp": ("created_at", True, _TIME_OPS),
}
_LIST_FILTERS = {
    "id": ("id", False, {"equals", "any"}),
    "name": (_attr("name"), False, {"equals", "any"}),
    "created": ("created_at", True, {"greater-than"}),
    "updated": ("updated_at", True, {"greater-than"}),
}
_METRIC_FILTERS = {
    "integration.name": (_attr("integration.name"), False, {"equals"}),
    "integration.category": (_attr("integration.category"), False, {"equals"}),
}
_PROFILE_SORTS = {"created": "created_at", "email": _attr("email"), "id": "id"} | {
    "updated": "updated_at"
}
_EVENT_SORTS = {"datetime": "created_at", "timestamp": "created_at"}
_LIST_SORTS = {"created": "created_at", "id": "id", "name": _attr("name"), "updated": "updated_at"}


def _value(text: str) -> Any:
    text = text.strip()
    if text.startswith("["):
        try:
            return json.loads(re.sub(r"'([^']*)'", r'"\1"', text))
        except ValueError as exc:
            raise ApiError(400, "invalid", f"Invalid list {text!r}", field="filter") from exc
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _calls(text: str) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for part in split_top_level(text):
        if part.startswith("and(") and part.endswith(")"):
            out += _calls(part[4:-1])
            continue
        m = _CALL.fullmatch(part)
        if not m or m["op"] not in _OPS:
            raise ApiError(400, "invalid", f"Invalid filter expression {part!r}", field="filter")
        out.append((m["op"], m["field"], _value(m["value"])))
    return out


def _filter_sql(req: Request, allowed: dict[str, tuple[str, bool, set[str]]]) -> tuple[list, list]:
    where: list[str] = []
    params: list[Any] = []
    text = req.arg("filter")
    if not text:
        return where, params
    for op, field, value in _calls(text):
        spec = allowed.get(field)
        if spec is None or op not in spec[2]:
            raise ApiError(
                400,
                "invalid",
                f"'{op}' is not a valid operator for '{field}' on this endpoint.",
                field="filter",
            )
        expr, is_time, _ = spec
        if op == "any":
            values = value if isinstance(value, list) else [value]
            where.append(f"{expr} in ({','.join('?' * len(values))})")
            params += [str(v) for v in values]
        else:
            where.append(f"{expr} {_OPS[op]} ?")
            params.append(parse_time(str(value)) if is_time else str(value))
    return where, params


def _order(req: Request, sorts: dict[str, str], default: str) -> tuple[str, list[tuple[str, str]]]:
    sort = req.arg("sort") or default
    name = sort.lstrip("-")
    if name not in sorts:
        raise ApiError(400, "invalid", f"'{sort}' is not a valid sort for this endpoint.", "sort")
    direction = "desc" if sort.startswith("-") else "asc"
    order = [(sorts[name], direction)]
    if sorts[name] != "id":
        order.append(("id", direction))
    return sort, order


def _page(req: Request, ctx: Ctx, *, default: int, maximum: int) -> int:
    size = parse_int(req.arg("page[size]"), default, name="page[size]")
    if not 1 <= size <= maximum:
        raise ApiError(400, "invalid", f"page[size] must be between 1 and {maximum}", "page[size]")
    return ctx.page_limit(size)


def _list(
    ctx: Ctx,
    stream: str,
    *,
    filters: dict[str, tuple[str, bool, set[str]]],
    sorts: dict[str, str],
    default_sort: str,
    default_size: int,
    max_size: int,
    shape: Any = None,
) -> Response:
    req = ctx.request
    where, params = _filter_sql(req, filters)
    sort, order = _order(req, sorts, default_sort)
    limit = _page(req, ctx, default=default_size, maximum=max_size)
    after = None
    token = req.arg("page[cursor]")
    if token:
        state = decode_cursor(token)
        if not isinstance(state, list) or len(state) != 2 or state[0] != sort:
            raise ApiError(400, "invalid", "Invalid page cursor for this query", "page[cursor]")
        after = state[1]
    rows, more = keyset_page(
        ctx.store, P, stream, order=order, limit=limit, after=after, where=where, params=params
    )
    data = [shape(r.payload) if shape else r.payload for r in rows]
    self_url = with_query(req.base_url + req.path, _flat(req.query))
    next_url = None
    if more:
        query = [(k, v) for k, v in _flat(req.query) if k != "page[cursor]"]
        query.append(("page[cursor]", encode_cursor([sort, rows[-1].key])))
        next_url = with_query(req.base_url + req.path, query)
    body: dict[str, Any] = {
        "data": data,
        "links": {"self": self_url, "next": next_url, "prev": None},
    }
    return Response(200, body, content_type=JSONAPI, stream=stream, items_key="data")


def _flat(query: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, values in query.items() for v in values]


def _profile_shape(req: Request) -> Any:
    """Subscriptions/predictive analytics only when `additional-fields[profile]` asks."""
    extra = set(split_top_level(req.arg("additional-fields[profile]") or ""))
    sparse = [f for f in split_top_level(req.arg("fields[profile]") or "") if f]

    def shape(payload: dict[str, Any]) -> dict[str, Any]:
        out = dict(payload)
        attrs = dict(out.get("attributes") or {})
        for optional in ("subscriptions", "predictive_analytics"):
            if optional not in extra:
                attrs.pop(optional, None)
        if sparse:
            attrs = {k: v for k, v in attrs.items() if k in sparse or k in extra}
        out["attributes"] = attrs
        return out

    return shape


# -- reads -------------------------------------------------------------------
@API.route("GET", r"/api/profiles/?")
def get_profiles(ctx: Ctx) -> Response:
    return _list(
        ctx,
        "profiles",
        filters=_PROFILE_FILTERS,
        sorts=_PROFILE_SORTS,
        default_sort="id",
        default_size=20,
        max_size=100,
        shape=_profile_shape(ctx.request),
    )


@API.route("GET", r"/api/events/?")
def get_events(ctx: Ctx) -> Response:
    resp = _list(
        ctx,
        "events",
        filters=_EVENT_FILTERS,
        sorts=_EVENT_SORTS,
        default_sort="datetime",
        default_size=200,
        max_size=1000,
    )
    includes = set(split_top_level(ctx.request.arg("include") or ""))
    if includes - {"profile", "metric", "attributions"}:
        raise ApiError(400, "invalid", f"Invalid include {sorted(includes)}", field="include")
    included: list[dict[str, Any]] = []
    strip = _profile_shape(Request("GET", "", {}, {}, b"", ""))
    for rel, stream in (("profile", "profiles"), ("metric", "metrics")):
        if rel not in includes:
            continue
        ids = sorted(
            {
                ((e.get("relationships") or {}).get(rel) or {}).get("data", {}).get("id")
                for e in resp.body["data"]
            }
            - {None}
        )
        for payload in _by_ids(ctx.store, stream, ids):
            included.append(strip(payload) if stream == "profiles" else payload)
    if includes:
        resp.body["included"] = included
    return resp


@API.route("GET", r"/api/lists/?")
def get_lists(ctx: Ctx) -> Response:
    return _list(
        ctx,
        "lists",
        filters=_LIST_FILTERS,
        sorts=_LIST_SORTS,
        default_sort="id",
        default_size=10,
        max_size=10,
    )


@API.route("GET", r"/api/metrics/?")
def get_metrics(ctx: Ctx) -> Response:
    # Metrics take no page[size] or sort; pages are fixed at 200.
    ctx.request.query.pop("page[size]", None)
    return _list(
        ctx,
        "metrics",
        filters=_METRIC_FILTERS,
        sorts={"id": "id"},
        default_sort="id",
        default_size=200,
        max_size=200,
    )


@API.route("GET", r"/api/lists/(?P<list_id>[^/]+)/relationships/profiles/?")
def get_list_members(ctx: Ctx, list_id: str) -> Response:
    req = ctx.request
    _require_list(ctx.store, list_id)
    limit = _page(req, ctx, default=20, maximum=100)
    args: list[Any] = [P, list_id]
    where = "platform = ? and audience_id = ? and member_type = 'profile'"
    token = req.arg("page[cursor]")
    if token:
        added_at, key = decode_cursor(token)
        where += " and (added_at > ? or (added_at = ? and member_key > ?))"
        args += [added_at, added_at, key]
    rows = ctx.store.conn.execute(
        f"select added_at, member_key from audience_members where {where} "
        "order by added_at, member_key limit ?",
        [*args, limit + 1],
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if more:
        query = [(k, v) for k, v in _flat(req.query) if k != "page[cursor]"]
        query.append(("page[cursor]", encode_cursor([rows[-1][0], rows[-1][1]])))
        next_url = with_query(req.base_url + req.path, query)
    body = {
        "data": [{"type": "profile", "id": r[1]} for r in rows],
        "links": {"self": req.base_url + req.path, "next": next_url, "prev": None},
    }
    return Response(200, body, content_type=JSONAPI)


def _by_ids(store: WorldStore, stream: str, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = store.conn.execute(
        f"select payload from records where platform = ? and stream = ? and deleted = 0 "
        f"and id in ({','.join('?' * len(ids))}) order by id",
        [P, stream, *ids],
    )
    return [json.loads(r[0]) for r in rows]


def _require_list(store: WorldStore, list_id: str) -> None:
    record = store.get_record(P, "lists", list_id)
    if record is None or record.deleted:
        raise ApiError(404, "not_found", f"A list with id {list_id} does not exist.")


# -- writes ------------------------------------------------------------------
def _iso(ts: str) -> str:
    return ts.replace("Z", "+00:00")


@API.route("POST", r"/api/lists/(?P<list_id>[^/]+)/relationships/profiles/?", write=True)
def add_to_list(ctx: Ctx, list_id: str) -> Response:
    return _change_list(ctx, list_id, add=True)


@API.route("DELETE", r"/api/lists/(?P<list_id>[^/]+)/relationships/profiles/?", write=True)
def remove_from_list(ctx: Ctx, list_id: str) -> Response:
    return _change_list(ctx, list_id, add=False)


def _change_list(ctx: Ctx, list_id: str, *, add: bool) -> Response:
    store = ctx.store
    _require_list(store, list_id)
    data = ctx.request.json().get("data")
    if not isinstance(data, list) or not data:
        raise ApiError(400, "invalid", "`data` must be a non-empty array of profiles", "data")
    if len(data) > 1000:
        raise ApiError(400, "invalid", "At most 1000 profiles per request", "data")
    ids = []
    for item in data:
        if not isinstance(item, dict) or item.get("type") != "profile" or not item.get("id"):
            raise ApiError(400, "invalid", "Each item must be {type: profile, id}", "data")
        ids.append(str(item["id"]))
    known = {p["id"] for p in _by_ids(store, "profiles", sorted(set(ids)))}
    missing = sorted(set(ids) - known)
    if missing:
        raise ApiError(400, "invalid", f"Invalid profile ids: {missing[:10]}", "data")
    with store.transaction():
        members = [("profile", i) for i in ids]
        if add:
            store.add_members(P, list_id, members)
        else:
            store.remove_members(P, list_id, members)
    return Response(204, None)


def _profile_id(seed: int | str) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    digest = int(hashlib.sha1(f"klaviyo-profile-{seed}".encode()).hexdigest(), 16)
    chars = []
    for _ in range(24):
        digest, rem = divmod(digest, 32)
        chars.append(alphabet[rem])
    return "01" + "".join(chars)


def _find_profile(store: WorldStore, attrs: dict[str, Any], profile_id: str | None) -> str | None:
    if profile_id and store.get_record(P, "profiles", profile_id):
        return profile_id
    for key in ("email", "phone_number", "external_id"):
        value = attrs.get(key)
        if not value:
            continue
        row = store.conn.execute(
            # the partial index on this expression (sandbox/store.py), named:
            # SQLite would rather walk the primary key in id order
            f"select id from records indexed by klaviyo_profiles_by_{key} "
            "where platform = 'klaviyo' and stream = 'profiles' "
            # Klaviyo matches an address case-insensitively and without the
            # spaces a form may have sent around it
            f"and deleted = 0 and lower(trim({_attr(key)})) = lower(trim(?)) order by id limit 1",
            (str(value),),
        ).fetchone()
        if row:
            return row[0]
    return None


def _new_profile(store: WorldStore, attrs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # minted from what identifies the profile (an email or phone is on one
    # profile only), so the same creations give the same ids whatever order a
    # rerun makes them in; the sequence only for a profile with neither
    key = next(
        (str(attrs[k]).strip().lower() for k in ("email", "phone_number") if attrs.get(k)), None
    )
    pid = _profile_id(f"id:{key}" if key else store.next_seq())
    if key and store.get_record(P, "profiles", pid) is not None:
        pid = _profile_id(store.next_seq())  # that identifier's profile was since renamed
    now = _iso(store.now())
    base = {
        "email": None,
        "phone_number": None,
        "external_id": None,
        "first_name": None,
        "last_name": None,
        "organization": None,
        "locale": None,
        "title": None,
        "image": None,
        "created": now,
        "updated": now,
        "last_event_date": None,
        "location": {},
        "properties": {},
    }
    payload = {
        "type": "profile",
        "id": pid,
        "attributes": {**base, **attrs},
        "relationships": {},
        "links": {"self": f"https://a.klaviyo.com/api/profiles/{pid}/"},
    }
    return pid, payload


def _list_id(seed: int | str) -> str:
    """Klaviyo list ids are six letters and digits (e.g. Y6nRLr)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    digest = int(hashlib.sha1(f"klaviyo-list-{seed}".encode()).hexdigest(), 16)
    chars = []
    for _ in range(6):
        digest, rem = divmod(digest, len(alphabet))
        chars.append(alphabet[rem])
    return "".join(chars)


@API.route("POST", r"/api/lists/?", write=True)
def create_list(ctx: Ctx) -> Response:
    """Create List: `{"data": {"type": "list", "attributes": {"name", opt_in_process?}}}`
    -> 201. Klaviyo does not enforce unique names; finding a list by name is the caller's."""
    data = ctx.request.json().get("data") or {}
    attrs = data.get("attributes") if isinstance(data, dict) else None
    if data.get("type") != "list" or not isinstance(attrs, dict) or not attrs.get("name"):
        raise ApiError(400, "invalid", "`data` must be a list resource with a name", "data")
    opt_in = attrs.get("opt_in_process") or "single_opt_in"
    if opt_in not in ("single_opt_in", "double_opt_in"):
        raise ApiError(400, "invalid", "opt_in_process is single_opt_in or double_opt_in", "data")
    store = ctx.store
    with store.transaction():
        # from the name and how many lists already carry it (Klaviyo allows
        # duplicates), so reruns mint the same id in any order
        same_name = store.conn.execute(
            "select count(*) from records where platform = ? and stream = 'lists' "
            f"and {_attr('name')} = ?",
            (P, attrs["name"]),
        ).fetchone()[0]
        list_id = _list_id(f"{attrs['name']}#{same_name}")
        now = _iso(store.now())
        payload = {
            "type": "list",
            "id": list_id,
            "attributes": {
                "name": str(attrs["name"]),
                "created": now,
                "updated": now,
                "opt_in_process": opt_in,
            },
            "links": {"self": f"https://a.klaviyo.com/api/lists/{list_id}/"},
        }
        save_record(store, P, "lists", list_id, payload)
    return Response(201, {"data": payload, "links": payload["links"]}, content_type=JSONAPI)


# ProfileUpsertQueryResourceObject's attributes (openapi/stable.json): anything else,
# subscriptions included, is not something profile-import can set.
_IMPORT_ATTRIBUTES = {
    "email",
    "phone_number",
    "external_id",
    "_kx",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
    "location",
    "properties",
}


def _upsert_profile(store: WorldStore, data: Any) -> tuple[dict[str, Any], int]:
    """One ProfileUpsertQueryResourceObject applied, as profile-import and each
    profile of a bulk import job apply it: the profile's payload and 201 when it
    was created, 200 when updated. Must run inside a store transaction."""
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "`data` must be a profile resource", "data")
    if data.get("type") != "profile" or not isinstance(data.get("attributes"), dict):
        raise ApiError(400, "invalid", "`data` must be a profile resource", "data")
    attrs = dict(data["attributes"])
    unknown = sorted(set(attrs) - _IMPORT_ATTRIBUTES)
    if unknown:
        raise ApiError(
            400, "invalid", f"'{unknown[0]}' is not a valid field for the resource 'profile'."
        )
    unset = ((data.get("meta") or {}).get("patch_properties") or {}).get("unset") or []
    unset = [unset] if isinstance(unset, str) else list(unset)
    if not any(attrs.get(k) for k in ("email", "phone_number", "external_id")) and not data.get(
        "id"
    ):
        raise ApiError(
            400, "invalid", "One of email, phone_number or external_id is required", "data"
        )
    if data.get("id"):
        known = store.get_record(P, "profiles", str(data["id"]))
        if known is None or known.deleted:
            raise ApiError(404, "not_found", f"A profile with id {data['id']} does not exist.")
    pid = _find_profile(store, attrs, data.get("id"))
    now = _iso(store.now())
    if pid is None:
        pid, payload = _new_profile(store, attrs)
        status = 201
    else:
        payload = store.get_record(P, "profiles", pid).payload  # type: ignore[union-attr]
        current = payload.setdefault("attributes", {})
        for key, value in attrs.items():
            if key in ("properties", "location") and isinstance(value, dict):
                current[key] = {**(current.get(key) or {}), **value}
            else:
                current[key] = value
        status = 200
    if unset:
        properties = payload["attributes"].setdefault("properties", {})
        for name in unset:
            properties.pop(name, None)
    payload["attributes"]["updated"] = now
    save_record(store, P, "profiles", pid, payload)
    return payload, status


@API.route("POST", r"/api/profile-import/?", write=True)
def profile_import(ctx: Ctx) -> Response:
    with ctx.store.transaction():
        payload, status = _upsert_profile(ctx.store, ctx.request.json().get("data") or {})
    shaped = _profile_shape(ctx.request)(payload)
    return Response(
        status,
        {"data": shaped, "links": {"self": shaped.get("links", {}).get("self")}},
        content_type=JSONAPI,
    )


# bulk_import_profiles (openapi/stable.json): 10,000 profiles, 5 MB a job
_IMPORT_JOB_PROFILES = 10_000
_IMPORT_JOB_BYTES = 5 * 1024 * 1024


@API.route("POST", r"/api/profile-bulk-import-jobs/?", write=True)
def bulk_import_profiles(ctx: Ctx) -> Response:
    """Create a bulk profile import job. The emulator applies it at once: the
    202 says `queued`, the job read back says `complete`; a profile that cannot
    be applied is an import error (with its original payload), not a refusal of
    the job, as at Klaviyo."""
    if len(ctx.request.body or b"") > _IMPORT_JOB_BYTES:
        raise ApiError(413, "invalid", "The maximum allowed payload size is 5MB.")
    data = ctx.request.json().get("data") or {}
    if data.get("type") != "profile-bulk-import-job":
        raise ApiError(400, "invalid", "type must be profile-bulk-import-job", "data")
    profiles = ((data.get("attributes") or {}).get("profiles") or {}).get("data")
    if not isinstance(profiles, list) or not profiles:
        raise ApiError(400, "invalid", "attributes.profiles.data must list profiles", "data")
    if len(profiles) > _IMPORT_JOB_PROFILES:
        raise ApiError(400, "invalid", "At most 10000 profiles per import job", "data")
    imported: list[str] = []
    errors: list[dict[str, Any]] = []
    store = ctx.store
    with store.transaction():
        now = _iso(store.now())
        for n, profile in enumerate(profiles):
            try:
                payload, _ = _upsert_profile(store, profile)
            except ApiError as exc:
                errors.append(
                    {
                        "type": "import-error",
                        "id": str(uuid.uuid4()),
                        "attributes": {
                            "code": exc.code,
                            "title": _TITLES.get(exc.status, "Invalid input."),
                            "detail": exc.message,
                            "source": {"pointer": f"/data/attributes/profiles/data/{n}"},
                            "original_payload": profile,
                        },
                    }
                )
                continue
            if payload["id"] not in imported:
                imported.append(payload["id"])
    job_id = str(uuid.uuid4())
    job = {
        "type": "profile-bulk-import-job",
        "id": job_id,
        "attributes": {
            "status": "queued",
            "created_at": now,
            "total_count": len(profiles),
            "completed_count": 0,
            "failed_count": 0,
            "completed_at": None,
            "expires_at": None,
            "started_at": None,
        },
        "links": {"self": f"{ctx.request.base_url}/api/profile-bulk-import-jobs/{job_id}/"},
    }
    done = json.loads(json.dumps(job))
    done["attributes"].update(
        status="complete",
        completed_count=len(profiles) - len(errors),
        failed_count=len(errors),
        completed_at=now,
        started_at=now,
    )
    with ctx.runtime.lock:
        ctx.runtime.jobs[f"klaviyo:{job_id}"] = done
        ctx.runtime.jobs[f"klaviyo:{job_id}:errors"] = errors
        ctx.runtime.jobs[f"klaviyo:{job_id}:profiles"] = imported
    return Response(202, {"data": job, "links": job["links"]}, content_type=JSONAPI)


def _import_job(ctx: Ctx, job_id: str, part: str = "") -> Any:
    """The import job (or its `:errors` / `:profiles` list); 404 for any other id."""
    job = ctx.runtime.jobs.get(f"klaviyo:{job_id}")
    if job is None or job.get("type") != "profile-bulk-import-job":
        raise ApiError(404, "not_found", f"Job {job_id} not found")
    return ctx.runtime.jobs[f"klaviyo:{job_id}{part}"] if part else job


@API.route("GET", r"/api/profile-bulk-import-jobs/(?P<job_id>[^/]+)/?")
def get_import_job(ctx: Ctx, job_id: str) -> Response:
    job = _import_job(ctx, job_id)
    return Response(200, {"data": job, "links": job["links"]}, content_type=JSONAPI)


def _offset_page(ctx: Ctx, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """A page of a job's list: page[size] (20, at most 100) and an opaque
    page[cursor] in links.next."""
    size = _page(ctx.request, ctx, default=20, maximum=100)
    token = ctx.request.arg("page[cursor]")
    try:
        start = int(decode_cursor(token)) if token else 0
    except (TypeError, ValueError):
        raise ApiError(
            400, "invalid", "Invalid page cursor for this query", "page[cursor]"
        ) from None
    page = items[start : start + size]
    self_url = with_query(ctx.request.base_url + ctx.request.path, _flat(ctx.request.query))
    links: dict[str, Any] = {"self": self_url, "next": None, "prev": None}
    if start + size < len(items):
        query = [(k, v) for k, v in _flat(ctx.request.query) if k != "page[cursor]"]
        query.append(("page[cursor]", encode_cursor(start + size)))
        links["next"] = with_query(ctx.request.base_url + ctx.request.path, query)
    return page, links


@API.route("GET", r"/api/profile-bulk-import-jobs/(?P<job_id>[^/]+)/import-errors/?")
def get_import_job_errors(ctx: Ctx, job_id: str) -> Response:
    page, links = _offset_page(ctx, _import_job(ctx, job_id, ":errors"))
    return Response(200, {"data": page, "links": links}, content_type=JSONAPI)


@API.route("GET", r"/api/profile-bulk-import-jobs/(?P<job_id>[^/]+)/profiles/?")
def get_import_job_profiles(ctx: Ctx, job_id: str) -> Response:
    ids, shape = _import_job(ctx, job_id, ":profiles"), _profile_shape(ctx.request)
    page, links = _offset_page(ctx, ids)
    profiles = []
    for pid in page:
        record = ctx.store.get_record(P, "profiles", pid)
        if record is not None and not record.deleted:
            profiles.append(shape(record.payload))
    return Response(200, {"data": profiles, "links": links}, content_type=JSONAPI)


def _suppression_job(ctx: Ctx, kind: str, now: str, total: int, skipped: int) -> Response:
    """The 202 a bulk suppression job answers (queued), and the completed job a
    later GET of it returns: the emulator applies the job at once."""
    job_id = str(uuid.uuid4())
    job = {
        "type": kind,
        "id": job_id,
        "attributes": {
            "status": "queued",
            "created_at": now,
            "total_count": total,
            "completed_count": 0,
            "completed_at": None,
            "skipped_count": 0,
        },
        "links": {"self": f"{ctx.request.base_url}/api/{kind}s/{job_id}/"},
    }
    done = json.loads(json.dumps(job))
    done["attributes"].update(
        status="complete", completed_count=total - skipped, completed_at=now, skipped_count=skipped
    )
    with ctx.runtime.lock:
        ctx.runtime.jobs[f"klaviyo:{job_id}"] = done
    return Response(202, {"data": job, "links": job["links"]}, content_type=JSONAPI)


@API.route("POST", r"/api/profile-suppression-bulk-create-jobs/?", write=True)
def bulk_suppress(ctx: Ctx) -> Response:
    store = ctx.store
    data = ctx.request.json().get("data") or {}
    if data.get("type") != "profile-suppression-bulk-create-job":
        raise ApiError(400, "invalid", "type must be profile-suppression-bulk-create-job", "data")
    profiles = ((data.get("attributes") or {}).get("profiles") or {}).get("data") or []
    emails = [((p.get("attributes") or {}).get("email") or "").strip() for p in profiles]
    if not emails or not all(emails):
        raise ApiError(400, "invalid", "Each profile needs an email", "data")
    if len(emails) > 100:
        raise ApiError(400, "invalid", "At most 100 profiles per suppression job", "data")
    with store.transaction():
        now = _iso(store.now())
        for email in emails:
            pid = _find_profile(store, {"email": email}, None)
            if pid is None:
                pid, payload = _new_profile(store, {"email": email})
            else:
                payload = store.get_record(P, "profiles", pid).payload  # type: ignore[union-attr]
            attrs = payload.setdefault("attributes", {})
            subs = attrs.setdefault("subscriptions", {})
            marketing = subs.setdefault("email", {}).setdefault("marketing", {})
            marketing.setdefault("consent", "NEVER_SUBSCRIBED")
            marketing["can_receive_email_marketing"] = False
            marketing["suppression"] = [{"reason": "USER_SUPPRESSED", "timestamp": now}]
            attrs["updated"] = now
            save_record(store, P, "profiles", pid, payload)
    return _suppression_job(ctx, "profile-suppression-bulk-create-job", now, len(emails), 0)


@API.route("GET", r"/api/profile-suppression-bulk-create-jobs/(?P<job_id>[^/]+)/?")
def get_suppress_job(ctx: Ctx, job_id: str) -> Response:
    job = ctx.runtime.jobs.get(f"klaviyo:{job_id}")
    if job is None:
        raise ApiError(404, "not_found", f"Job {job_id} not found")
    return Response(200, {"data": job, "links": job["links"]}, content_type=JSONAPI)


@API.route("POST", r"/api/profile-suppression-bulk-delete-jobs/?", write=True)
def bulk_unsuppress(ctx: Ctx) -> Response:
    """Bulk Unsuppress Profiles (operationId bulk_unsuppress_profiles): at most 100
    emails; lifts only USER_SUPPRESSED suppressions. Profiles suppressed for
    HARD_BOUNCE or INVALID_EMAIL, unsubscribed profiles (consent is not a
    suppression) and unknown emails are left as they are and counted as skipped."""
    store = ctx.store
    data = ctx.request.json().get("data") or {}
    if data.get("type") != "profile-suppression-bulk-delete-job":
        raise ApiError(400, "invalid", "type must be profile-suppression-bulk-delete-job", "data")
    profiles = ((data.get("attributes") or {}).get("profiles") or {}).get("data") or []
    if not all(isinstance(p, dict) and p.get("type") == "profile" for p in profiles):
        raise ApiError(400, "invalid", "Each item must be {type: profile, attributes}", "data")
    emails = [((p.get("attributes") or {}).get("email") or "").strip() for p in profiles]
    if not emails or not all(emails):
        raise ApiError(400, "invalid", "Each profile needs an email", "data")
    if len(emails) > 100:
        raise ApiError(400, "invalid", "At most 100 profiles per unsuppression job", "data")
    skipped = 0
    with store.transaction():
        now = _iso(store.now())
        for email in emails:
            pid = _find_profile(store, {"email": email}, None)
            if pid is None:
                skipped += 1
                continue
            payload = store.get_record(P, "profiles", pid).payload  # type: ignore[union-attr]
            attrs = payload.setdefault("attributes", {})
            marketing = ((attrs.get("subscriptions") or {}).get("email") or {}).get(
                "marketing"
            ) or {}
            held = marketing.get("suppression") or []
            kept = [s for s in held if s.get("reason") != "USER_SUPPRESSED"]
            if not held or kept:
                skipped += 1
                continue
            marketing["suppression"] = []
            marketing["can_receive_email_marketing"] = marketing.get("consent") == "SUBSCRIBED"
            attrs["updated"] = now
            save_record(store, P, "profiles", pid, payload)
    return _suppression_job(ctx, "profile-suppression-bulk-delete-job", now, len(emails), skipped)


@API.route("GET", r"/api/profile-suppression-bulk-delete-jobs/(?P<job_id>[^/]+)/?")
def get_unsuppress_job(ctx: Ctx, job_id: str) -> Response:
    job = ctx.runtime.jobs.get(f"klaviyo:{job_id}")
    if job is None or job.get("type") != "profile-suppression-bulk-delete-job":
        raise ApiError(404, "not_found", f"Job {job_id} not found")
    return Response(200, {"data": job, "links": job["links"]}, content_type=JSONAPI)


# -- consent -------------------------------------------------------------------
_SUBSCRIPTION_JOB = "profile-subscription-bulk-create-job"
_LIFTED_BY_SUBSCRIBING = {"UNSUBSCRIBE", "SPAM_REPORT", "USER_SUPPRESSED"}


@API.route("POST", r"/api/profile-subscription-bulk-create-jobs/?", write=True)
def bulk_subscribe(ctx: Ctx) -> Response:
    """Bulk Subscribe Profiles (operationId bulk_subscribe_profiles, schema
    SubscriptionCreateJobCreateQuery): at most 1,000 profiles, each found by id,
    email or phone (created when none matches) and given email marketing consent
    SUBSCRIBED; `consented_at` only with `historical_import: true`, and then
    required and in the past; an optional `relationships.list` adds them to that
    list. As Klaviyo documents, subscribing lifts UNSUBSCRIBE, SPAM_REPORT and
    USER_SUPPRESSED suppressions (a bounce stays). 202, no body: Klaviyo offers no
    read of this job."""
    store = ctx.store
    data = ctx.request.json().get("data") or {}
    if not isinstance(data, dict) or data.get("type") != _SUBSCRIPTION_JOB:
        raise ApiError(400, "invalid", f"type must be {_SUBSCRIPTION_JOB}", "data")
    attrs = data.get("attributes") or {}
    profiles = (attrs.get("profiles") or {}).get("data")
    if not isinstance(profiles, list) or not profiles:
        raise ApiError(400, "invalid", "`profiles.data` must be a non-empty array", "data")
    if len(profiles) > 1000:
        raise ApiError(400, "invalid", "At most 1000 profiles per subscription job", "data")
    historical = bool(attrs.get("historical_import"))
    now = _iso(store.now())
    wanted: list[tuple[str | None, dict[str, Any], str]] = []
    for item in profiles:
        if not isinstance(item, dict) or item.get("type") != "profile":
            raise ApiError(400, "invalid", "Each item must be {type: profile, attributes}", "data")
        item_attrs = item.get("attributes") or {}
        marketing = ((item_attrs.get("subscriptions") or {}).get("email") or {}).get("marketing")
        if not isinstance(marketing, dict) or marketing.get("consent") != "SUBSCRIBED":
            raise ApiError(
                400, "invalid", "subscriptions.email.marketing.consent must be SUBSCRIBED", "data"
            )
        consented_at = marketing.get("consented_at")
        if consented_at and not historical:
            raise ApiError(
                400, "invalid", "consented_at may only be given with historical_import", "data"
            )
        if historical and (not consented_at or parse_time(consented_at) > store.now()):
            raise ApiError(
                400, "invalid", "historical_import needs consented_at in the past", "data"
            )
        if not item_attrs.get("email") and not item.get("id"):
            raise ApiError(400, "invalid", "An email is required for an email subscription", "data")
        wanted.append((item.get("id"), item_attrs, _iso(consented_at) if consented_at else now))
    list_id = (((data.get("relationships") or {}).get("list") or {}).get("data") or {}).get("id")
    if list_id:
        _require_list(store, str(list_id))
    with store.transaction():
        subscribed = []
        for given_id, item_attrs, consented_at in wanted:
            identity = {k: item_attrs[k] for k in ("email", "phone_number") if item_attrs.get(k)}
            pid = _find_profile(store, identity, given_id)
            if pid is None:
                pid, payload = _new_profile(store, identity)
            else:
                payload = store.get_record(P, "profiles", pid).payload  # type: ignore[union-attr]
            profile = payload.setdefault("attributes", {})
            if item_attrs.get("email") and not profile.get("email"):
                profile["email"] = item_attrs["email"]
            marketing = (
                profile.setdefault("subscriptions", {})
                .setdefault("email", {})
                .setdefault("marketing", {})
            )
            kept = [
                s
                for s in marketing.get("suppression") or []
                if s.get("reason") not in _LIFTED_BY_SUBSCRIBING
            ]
            marketing.update(
                consent="SUBSCRIBED",
                consent_timestamp=consented_at,
                last_updated=now,
                method="API",
                custom_method_detail=attrs.get("custom_source"),
                double_optin=False,
                suppression=kept,
                can_receive_email_marketing=not kept,
            )
            profile["updated"] = now
            save_record(store, P, "profiles", pid, payload)
            subscribed.append(("profile", pid))
        if list_id:
            store.add_members(P, str(list_id), subscribed)
    return Response(202, None)
