"""Square Connect v2 subset (api.json of github.com/square/connect-api-specification).

Search endpoints are POSTs with the cursor in the body and in the response;
empty results are `{}` (Square omits empty fields). SearchCustomers sorts by
DEFAULT (given_name, family_name) or CREATED_AT and filters on created_at /
updated_at / email / group_ids, limit 1..100; SearchOrders needs 1..10
location_ids, limit ≤ 1000 (default 500), sorts by CREATED_AT/UPDATED_AT/CLOSED_AT
(default CREATED_AT DESC) and requires the date_time_filter field to equal the
sort field. Errors: `{"errors": [{category, code, detail, field}]}`.
"""

from __future__ import annotations

import hashlib
import math
import re
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
    parse_time,
    save_record,
)
from sandbox.store import Record

P = "square"

_CATEGORY = {
    400: "INVALID_REQUEST_ERROR",
    401: "AUTHENTICATION_ERROR",
    403: "AUTHENTICATION_ERROR",
    404: "INVALID_REQUEST_ERROR",
    429: "RATE_LIMIT_ERROR",
    500: "API_ERROR",
    503: "API_ERROR",
}


def _errors(status: int, code: str, detail: str, field: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"category": _CATEGORY.get(status, "API_ERROR"), "code": code}
    err["detail"] = detail
    if field:
        err["field"] = field
    return {"errors": [err]}


class SquareApi(Platform):
    name = P
    prefix = "square"
    default_bucket = "square"

    def authenticate(self, req: Request) -> bool:
        from sandbox.server import SANDBOX_CREDENTIALS

        return req.header("authorization") == f"Bearer {SANDBOX_CREDENTIALS['SQUARE_ACCESS_TOKEN']}"

    def unauthorized(self, req: Request) -> Response:
        return Response(401, _errors(401, "UNAUTHORIZED", "This request could not be authorized."))

    def error(self, err: ApiError) -> Response:
        code = {404: "NOT_FOUND", 400: "INVALID_VALUE"}.get(err.status, err.code)
        if err.code.isupper():
            code = err.code
        return Response(err.status, _errors(err.status, code, err.message, err.field))

    def throttled(self, bucket: str, state: BucketState) -> Response:
        # Square documents no Retry-After; clients back off exponentially on RATE_LIMITED.
        return Response(429, _errors(429, "RATE_LIMITED", "Rate limit exceeded."))

    def server_error(self, status: int, retry_after: float | None) -> Response:
        code = "SERVICE_UNAVAILABLE" if status == 503 else "INTERNAL_SERVER_ERROR"
        headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after else {}
        return Response(status, _errors(status, code, "An internal error occurred."), headers)


API = SquareApi()


def _body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_REQUEST_ERROR", "Request body must be a JSON object")
    return body


def _limit(ctx: Ctx, body: dict[str, Any], default: int, maximum: int) -> int:
    limit = body.get("limit", default)
    if not isinstance(limit, int):
        raise ApiError(400, "EXPECTED_INTEGER", "Expected an integer", "limit")
    if limit < 1:
        raise ApiError(400, "VALUE_TOO_LOW", f"`limit` must be >= 1, got {limit}", "limit")
    if limit > maximum:
        raise ApiError(400, "VALUE_TOO_HIGH", f"`limit` must be <= {maximum}", "limit")
    return ctx.page_limit(limit)


def _cursor(body: dict[str, Any], query_key: Any) -> list[Any] | None:
    token = body.get("cursor")
    if not token:
        return None
    state = decode_cursor(token) if isinstance(token, str) else None
    if not isinstance(state, list) or len(state) != 2 or state[0] != query_key:
        raise ApiError(400, "INVALID_CURSOR", "The cursor is not valid for this query", "cursor")
    return state[1]


def _time_range(rng: Any, column: str, field: str) -> tuple[list[str], list[str]]:
    if not isinstance(rng, dict):
        raise ApiError(400, "INVALID_VALUE", "Expected a TimeRange object", field)
    where, params = [], []
    if rng.get("start_at"):
        where.append(f"{column} >= ?")
        params.append(parse_time(rng["start_at"]))
    if rng.get("end_at"):
        where.append(f"{column} < ?")
        params.append(parse_time(rng["end_at"]))
    return where, params


def _result(rows: list[Any], more: bool, key: str, query_key: Any, stream: str) -> Response:
    body: dict[str, Any] = {}
    if rows:
        body[key] = [r.payload for r in rows]
    if more:
        body["cursor"] = encode_cursor([query_key, rows[-1].key])
    return Response(200, body, stream=stream, items_key=key)


def _query_key(body: dict[str, Any], *drop: str) -> str:
    """Cursors are only valid for the query that minted them, as Square enforces."""
    import json

    stable = {k: v for k, v in body.items() if k not in ("cursor", "limit", *drop)}
    return hashlib.sha1(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:12]


# -- reads -------------------------------------------------------------------
@API.route("POST", r"/v2/customers/search")
def search_customers(ctx: Ctx) -> Response:
    body = _body(ctx)
    limit = _limit(ctx, body, 100, 100)
    query = body.get("query") or {}
    flt = query.get("filter") or {}
    where: list[str] = []
    params: list[Any] = []
    for name in ("created_at", "updated_at"):
        if name in flt:
            w, p = _time_range(flt[name], name, f"query.filter.{name}")
            where += w
            params += p
    email = flt.get("email_address")
    if email:
        if "exact" in email:
            where.append("lower(json_extract(payload, '$.email_address')) = lower(?)")
            params.append(email["exact"])
        elif "fuzzy" in email:
            where.append("lower(json_extract(payload, '$.email_address')) like lower(?)")
            params.append(f"%{email['fuzzy']}%")
    groups = flt.get("group_ids")
    if groups:
        member = "exists (select 1 from json_each(payload, '$.group_ids') where value = ?)"
        for gid in groups.get("all", []):
            where.append(member)
            params.append(gid)
        if groups.get("any"):
            where.append("(" + " or ".join([member] * len(groups["any"])) + ")")
            params += groups["any"]
        for gid in groups.get("none", []):
            where.append(f"not {member}")
            params.append(gid)
    sort = query.get("sort") or {}
    field = sort.get("field", "DEFAULT")
    direction = {"ASC": "asc", "DESC": "desc"}.get(sort.get("order", "ASC"))
    if direction is None or field not in ("DEFAULT", "CREATED_AT"):
        raise ApiError(400, "INVALID_ENUM_VALUE", "Invalid sort", "query.sort")
    if field == "CREATED_AT":
        order = [("created_at", direction), ("id", direction)]
    else:  # alphabetical by given_name, family_name
        order = [
            ("lower(coalesce(json_extract(payload, '$.given_name'), ''))", direction),
            ("lower(coalesce(json_extract(payload, '$.family_name'), ''))", direction),
            ("id", direction),
        ]
    qk = _query_key(body)
    rows, more = keyset_page(
        ctx.store,
        P,
        "customers",
        order=order,
        limit=limit,
        after=_cursor(body, qk),
        where=where,
        params=params,
    )
    return _result(rows, more, "customers", qk, "customers")


_ORDER_TIME = {
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "CLOSED_AT": "(substr(json_extract(payload, '$.closed_at'), 1, 19) || 'Z')",
}


@API.route("POST", r"/v2/orders/search")
def search_orders(ctx: Ctx) -> Response:
    body = _body(ctx)
    locations = body.get("location_ids")
    if not isinstance(locations, list) or not 1 <= len(locations) <= 10:
        raise ApiError(
            400, "INVALID_VALUE", "Between 1 and 10 location_ids are required", "location_ids"
        )
    limit = _limit(ctx, body, 500, 1000)
    query = body.get("query") or {}
    flt = query.get("filter") or {}
    sort = query.get("sort") or {}
    sort_field = sort.get("sort_field", "CREATED_AT")
    direction = {"ASC": "asc", "DESC": "desc"}.get(sort.get("sort_order", "DESC"))
    if sort_field not in _ORDER_TIME or direction is None:
        raise ApiError(400, "INVALID_ENUM_VALUE", "Invalid sort", "query.sort")
    where = [f"json_extract(payload, '$.location_id') in ({','.join('?' * len(locations))})"]
    params: list[Any] = list(locations)
    dtf = flt.get("date_time_filter") or {}
    for name, rng in dtf.items():
        if name.upper() != sort_field:
            raise ApiError(
                400,
                "INVALID_VALUE",
                f"date_time_filter.{name} requires sort_field {name.upper()}",
                "query.sort.sort_field",
            )
        w, p = _time_range(rng, _ORDER_TIME[sort_field], f"query.filter.date_time_filter.{name}")
        where += w
        params += p
    states = (flt.get("state_filter") or {}).get("states")
    if states:
        where.append(f"json_extract(payload, '$.state') in ({','.join('?' * len(states))})")
        params += states
    customers = (flt.get("customer_filter") or {}).get("customer_ids")
    if customers:
        where.append(
            f"json_extract(payload, '$.customer_id') in ({','.join('?' * len(customers))})"
        )
        params += customers
    if sort_field == "CLOSED_AT":
        where.append("json_extract(payload, '$.closed_at') is not null")
    qk = _query_key(body)
    rows, more = keyset_page(
        ctx.store,
        P,
        "orders",
        order=[(_ORDER_TIME[sort_field], direction), ("id", direction)],
        limit=limit,
        after=_cursor(body, qk),
        where=where,
        params=params,
    )
    if body.get("return_entries"):
        entries = [
            {
                "order_id": r.id,
                "version": r.payload.get("version"),
                "location_id": r.payload.get("location_id"),
            }
            for r in rows
        ]
        resp_body: dict[str, Any] = {"order_entries": entries} if entries else {}
        if more:
            resp_body["cursor"] = encode_cursor([qk, rows[-1].key])
        return Response(200, resp_body)
    return _result(rows, more, "orders", qk, "orders")


@API.route("POST", r"/v2/loyalty/accounts/search")
def search_loyalty(ctx: Ctx) -> Response:
    body = _body(ctx)
    limit = _limit(ctx, body, 30, 200)
    query = body.get("query") or {}
    where: list[str] = []
    params: list[Any] = []
    if query.get("customer_ids") and query.get("mappings"):
        raise ApiError(400, "INVALID_VALUE", "customer_ids cannot be combined with mappings")
    if query.get("customer_ids"):
        ids = query["customer_ids"]
        where.append(f"json_extract(payload, '$.customer_id') in ({','.join('?' * len(ids))})")
        params += ids
    if query.get("mappings"):
        phones = [m.get("phone_number") for m in query["mappings"]]
        where.append(
            f"json_extract(payload, '$.mapping.phone_number') in ({','.join('?' * len(phones))})"
        )
        params += phones
    qk = _query_key(body)
    rows, more = keyset_page(
        ctx.store,
        P,
        "loyalty_accounts",
        order=[("created_at", "asc"), ("id", "asc")],
        limit=limit,
        after=_cursor(body, qk),
        where=where,
        params=params,
    )
    return _result(rows, more, "loyalty_accounts", qk, "loyalty_accounts")


@API.route("GET", r"/v2/locations")
def list_locations(ctx: Ctx) -> Response:
    rows, _ = keyset_page(ctx.store, P, "locations", order=[("id", "asc")], limit=10000)
    body = {"locations": [r.payload for r in rows]} if rows else {}
    return Response(200, body)


# -- customer groups -----------------------------------------------------------
@API.route("GET", r"/v2/customers/groups")
def list_groups(ctx: Ctx) -> Response:
    req = ctx.request
    limit = int(req.arg("limit") or 50)
    if not 1 <= limit <= 50:
        raise ApiError(400, "VALUE_TOO_HIGH", "`limit` must be between 1 and 50", "limit")
    token = req.arg("cursor")
    after = _cursor({"cursor": token}, "groups") if token else None
    rows, more = keyset_page(
        ctx.store,
        P,
        "customer_groups",
        order=[("id", "asc")],
        limit=ctx.page_limit(limit),
        after=after,
    )
    return _result(rows, more, "groups", "groups", "customer_groups")


def _group_id(name: str, ordinal: int) -> str:
    return hashlib.sha1(f"square-group-{ordinal}-{name}".encode()).hexdigest()[:26].upper()


@API.route("POST", r"/v2/customers/groups", write=True)
def create_group(ctx: Ctx) -> Response:
    body = _body(ctx)
    group = body.get("group") or {}
    name = group.get("name")
    if not name:
        raise ApiError(400, "MISSING_REQUIRED_PARAMETER", "Missing group name", "group.name")
    key = body.get("idempotency_key")
    store = ctx.store
    with store.transaction():
        existing = ctx.runtime.jobs.get(f"square-idem:{key}") if key else None
        if existing is not None:
            return Response(
                200, {"group": store.get_record(P, "customer_groups", existing).payload}
            )  # type: ignore[union-attr]
        same_name = store.conn.execute(
            "select count(*) from records where platform = ? and stream = 'customer_groups' "
            "and json_extract(payload, '$.name') = ?",
            (P, name),
        ).fetchone()[0]
        gid = _group_id(name, same_name)  # the same id for the same creation, in any order
        now = _iso(store.now())
        payload = {"id": gid, "name": name, "created_at": now, "updated_at": now}
        save_record(store, P, "customer_groups", gid, payload)
        if key:
            ctx.runtime.jobs[f"square-idem:{key}"] = gid  # type: ignore[assignment]
    return Response(200, {"group": payload})


def _iso(ts: str) -> str:
    """Square timestamps carry milliseconds: 2024-10-15T12:00:00.000Z."""
    return ts[:-1] + ".000Z"


def _change_group(ctx: Ctx, customer_id: str, group_id: str, *, add: bool) -> Response:
    store = ctx.store
    with store.transaction():
        customer = store.get_record(P, "customers", customer_id)
        if customer is None or customer.deleted:
            raise ApiError(404, "NOT_FOUND", f"Customer with ID `{customer_id}` not found.")
        group = store.get_record(P, "customer_groups", group_id)
        if group is None or group.deleted:
            raise ApiError(404, "NOT_FOUND", f"Customer group with ID `{group_id}` not found.")
        payload = customer.payload
        groups = list(payload.get("group_ids") or [])
        if add and group_id not in groups:
            groups.append(group_id)
        elif not add and group_id in groups:
            groups.remove(group_id)
        else:
            return Response(200, {})  # already so: no new version
        if groups:
            payload["group_ids"] = groups
        else:
            payload.pop("group_ids", None)
        payload["updated_at"] = _iso(store.now())
        payload["version"] = int(payload.get("version") or 0) + 1
        save_record(store, P, "customers", customer_id, payload)
    return Response(200, {})


@API.route("PUT", r"/v2/customers/(?P<customer_id>[^/]+)/groups/(?P<group_id>[^/]+)", write=True)
def add_group(ctx: Ctx, customer_id: str, group_id: str) -> Response:
    return _change_group(ctx, customer_id, group_id, add=True)


@API.route("DELETE", r"/v2/customers/(?P<customer_id>[^/]+)/groups/(?P<group_id>[^/]+)", write=True)
def remove_group(ctx: Ctx, customer_id: str, group_id: str) -> Response:
    return _change_group(ctx, customer_id, group_id, add=False)


# -- customer custom attributes --------------------------------------------------
# CustomerCustomAttributes in api.json: definitions (ListCustomerCustomAttributeDefinitions
# `GET /v2/customers/custom-attribute-definitions`, limit 1..100 default 20, `cursor`;
# CreateCustomerCustomAttributeDefinition `POST` on the same path), values
# (BulkUpsertCustomerCustomAttributes `POST /v2/customers/custom-attributes/bulk-upsert`,
# a map of 1 to 25 upserts answered by a map with the same ids, each holding either
# `customer_id` + `custom_attribute` or `errors`; ListCustomerCustomAttributes
# `GET /v2/customers/{customer_id}/custom-attributes`; DeleteCustomerCustomAttribute
# `DELETE /v2/customers/{customer_id}/custom-attributes/{key}`). Definitions are stored
# as `customer_custom_attribute_definitions` records (id = key), values as
# `customer_custom_attributes` records (id = "<customer_id>:<key>").
DEFINITIONS = "customer_custom_attribute_definitions"
ATTRIBUTES = "customer_custom_attributes"
_SCHEMA_BASE = (
    "https://developer-production-s.squarecdn.com/schemas/v1/common.json#squareup.common."
)
_VALUE_TYPES = ("String", "Number", "Boolean")
_VISIBILITIES = ("VISIBILITY_HIDDEN", "VISIBILITY_READ_ONLY", "VISIBILITY_READ_WRITE_VALUES")
_ATTRIBUTE_KEY = re.compile(r"[a-zA-Z0-9._-]{1,60}")
_NUMBER = re.compile(r"-?\d+(\.\d{1,5})?")
BULK_UPSERT_MAX = 25


def _page_args(ctx: Ctx, default: int, maximum: int) -> tuple[int, str | None]:
    raw = ctx.request.arg("limit")
    try:
        limit = int(raw) if raw is not None else default
    except ValueError as exc:
        raise ApiError(400, "EXPECTED_INTEGER", "Expected an integer", "limit") from exc
    if not 1 <= limit <= maximum:
        raise ApiError(400, "INVALID_VALUE", f"`limit` must be between 1 and {maximum}", "limit")
    return ctx.page_limit(limit), ctx.request.arg("cursor")


@API.route("GET", r"/v2/customers/custom-attribute-definitions")
def list_attribute_definitions(ctx: Ctx) -> Response:
    limit, token = _page_args(ctx, 20, 100)
    after = _cursor({"cursor": token}, "definitions") if token else None
    rows, more = keyset_page(
        ctx.store, P, DEFINITIONS, order=[("id", "asc")], limit=limit, after=after
    )
    return _result(rows, more, "custom_attribute_definitions", "definitions", DEFINITIONS)


def _value_type(definition: dict[str, Any]) -> str | None:
    ref = (definition.get("schema") or {}).get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_BASE):
        kind = ref[len(_SCHEMA_BASE) :]
        return kind if kind in _VALUE_TYPES else None
    return None


@API.route("POST", r"/v2/customers/custom-attribute-definitions", write=True)
def create_attribute_definition(ctx: Ctx) -> Response:
    body = _body(ctx)
    definition = body.get("custom_attribute_definition")
    if not isinstance(definition, dict):
        raise ApiError(
            400,
            "MISSING_REQUIRED_PARAMETER",
            "Missing required parameter custom_attribute_definition",
            "custom_attribute_definition",
        )
    key = definition.get("key")
    if not isinstance(key, str) or not _ATTRIBUTE_KEY.fullmatch(key):
        raise ApiError(400, "INVALID_VALUE", "Invalid custom attribute key", "key")
    if _value_type(definition) is None:
        raise ApiError(400, "INVALID_VALUE", "The schema is not a supported data type", "schema")
    visibility = definition.get("visibility", "VISIBILITY_HIDDEN")
    if visibility not in _VISIBILITIES:
        raise ApiError(400, "INVALID_ENUM_VALUE", "Invalid visibility", "visibility")
    if visibility != "VISIBILITY_HIDDEN" and not (
        definition.get("name") and definition.get("description")
    ):
        raise ApiError(
            400,
            "MISSING_REQUIRED_PARAMETER",
            "name and description are required unless visibility is VISIBILITY_HIDDEN",
            "name",
        )
    store = ctx.store
    with store.transaction():
        existing = store.get_record(P, DEFINITIONS, key)
        if existing is not None and not existing.deleted:
            raise ApiError(
                409, "CONFLICT", f"A custom attribute definition with key `{key}` already exists"
            )
        name = definition.get("name")
        if name and store.named(P, DEFINITIONS, name):
            raise ApiError(409, "CONFLICT", f"A definition named `{name}` already exists", "name")
        now = store.now()  # 2022-04-26T15:27:30Z, as Square's examples
        payload = {
            "key": key,
            "schema": definition["schema"],
            **{k: definition[k] for k in ("name", "description") if definition.get(k)},
            "visibility": visibility,
            "version": 1,
            "updated_at": now,
            "created_at": now,
        }
        save_record(store, P, DEFINITIONS, key, payload)
    return Response(200, {"custom_attribute_definition": payload})


def _valid_value(kind: str, value: Any) -> bool:
    """Square's value data types: String a string, Number a string holding a
    number with at most 5 decimals, Boolean true/false."""
    if kind == "String":
        return isinstance(value, str) and len(value) <= 1000
    if kind == "Number":
        return isinstance(value, str) and bool(_NUMBER.fullmatch(value))
    return isinstance(value, bool)


def _attribute_view(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "customer_id"}


def _upsert_one(store: Any, request: Any) -> dict[str, Any]:
    """One upsert of a bulk request: the stored attribute, or its errors."""

    def failed(status: int, code: str, detail: str, field: str) -> dict[str, Any]:
        return _errors(status, code, detail, field)

    if not isinstance(request, dict) or not isinstance(request.get("custom_attribute"), dict):
        return failed(
            400, "MISSING_REQUIRED_PARAMETER", "custom_attribute is required", "custom_attribute"
        )
    customer_id = request.get("customer_id")
    attribute = request["custom_attribute"]
    customer = store.get_record(P, "customers", str(customer_id)) if customer_id else None
    if customer is None or customer.deleted:
        return failed(
            404, "NOT_FOUND", f"Customer with ID `{customer_id}` not found.", "customer_id"
        )
    key = attribute.get("key")
    definition = store.get_record(P, DEFINITIONS, str(key)) if key else None
    if definition is None or definition.deleted:
        return failed(
            404, "NOT_FOUND", f"Custom attribute definition with key `{key}` not found.", "key"
        )
    kind = _value_type(definition.payload) or "String"
    if not _valid_value(kind, attribute.get("value")):
        return failed(400, "INVALID_VALUE", f"The value does not match the {kind} schema", "value")
    record_id = f"{customer_id}:{key}"
    current = store.get_record(P, ATTRIBUTES, record_id)
    live = current is not None and not current.deleted
    version = int(current.payload.get("version") or 0) if live else 0
    if attribute.get("version") is not None and int(attribute["version"]) != version:
        return failed(409, "CONFLICT", "The version does not match the current version", "version")
    now = store.now()  # 2022-04-26T15:27:30Z, as Square's examples
    if live and current.payload.get("value") == attribute["value"]:
        payload = current.payload  # unchanged: no new version
    else:
        payload = {
            "customer_id": str(customer_id),
            "key": key,
            "value": attribute["value"],
            "version": version + 1,
            "visibility": definition.payload.get("visibility", "VISIBILITY_HIDDEN"),
            "updated_at": now,
            "created_at": current.payload.get("created_at", now) if live else now,
        }
        save_record(store, P, ATTRIBUTES, record_id, payload)
    return {"customer_id": str(customer_id), "custom_attribute": _attribute_view(payload)}


@API.route("POST", r"/v2/customers/custom-attributes/bulk-upsert", write=True)
def bulk_upsert_attributes(ctx: Ctx) -> Response:
    values = _body(ctx).get("values")
    if not isinstance(values, dict) or not values:
        raise ApiError(
            400, "MISSING_REQUIRED_PARAMETER", "Missing required parameter values", "values"
        )
    if len(values) > BULK_UPSERT_MAX:
        raise ApiError(
            400,
            "TOO_MANY_MAP_ENTRIES",
            f"values must contain between 1 and {BULK_UPSERT_MAX} entries",
            "values",
        )
    store = ctx.store
    with store.transaction():
        answered = {rid: _upsert_one(store, request) for rid, request in values.items()}
    return Response(200, {"values": answered})


@API.route("GET", r"/v2/customers/(?P<customer_id>[^/]+)/custom-attributes")
def list_customer_attributes(ctx: Ctx, customer_id: str) -> Response:
    customer = ctx.store.get_record(P, "customers", customer_id)
    if customer is None or customer.deleted:
        raise ApiError(404, "NOT_FOUND", f"Customer with ID `{customer_id}` not found.")
    limit, token = _page_args(ctx, 20, 100)
    qk = f"attributes:{customer_id}"
    rows, more = keyset_page(
        ctx.store,
        P,
        ATTRIBUTES,
        order=[("id", "asc")],
        limit=limit,
        after=_cursor({"cursor": token}, qk) if token else None,
        where=["json_extract(payload, '$.customer_id') = ?"],
        params=[customer_id],
    )
    body: dict[str, Any] = {}
    if rows:
        body["custom_attributes"] = [_attribute_view(r.payload) for r in rows]
    if more:
        body["cursor"] = encode_cursor([qk, rows[-1].key])
    return Response(200, body)


@API.route(
    "DELETE", r"/v2/customers/(?P<customer_id>[^/]+)/custom-attributes/(?P<key>[^/]+)", write=True
)
def delete_customer_attribute(ctx: Ctx, customer_id: str, key: str) -> Response:
    store = ctx.store
    with store.transaction():
        current = store.get_record(P, ATTRIBUTES, f"{customer_id}:{key}")
        if current is None or current.deleted:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Custom attribute with key `{key}` not found for `{customer_id}`.",
            )
        store.put_records([Record(**{**current.__dict__, "deleted": True})])
    return Response(200, {})
