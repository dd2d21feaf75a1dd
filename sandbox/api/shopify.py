"""Shopify Admin subset: REST lists, customer update, GraphQL tagsAdd/tagsRemove and
the `customers(first, after, query: "tag:...")` connection.

REST (https://shopify.dev/docs/api/usage/pagination-rest): `limit` ≤ 250 (default
50), cursor pagination through `Link: <…page_info=…>; rel="next"` (and
rel="previous"); a request carrying `page_info` may add only `limit` and
`fields` — anything else is a 400 naming the parameter. Results are ordered by
id ascending unless `order` ("updated_at asc" etc.) is given; the cursor keeps
that order. Every REST response carries `X-Shopify-Shop-Api-Call-Limit: n/40`
(leaky bucket); a 429 carries `Retry-After`. GraphQL is metered separately in
cost points and throttles with HTTP 200 + `errors[].extensions.code = THROTTLED`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sandbox.api import graphql
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

P = "shopify"
VERSION = r"/admin/api/(?P<version>\d{4}-\d{2}|unstable)"
_PAGINATION_DOC = "https://shopify.dev/api/usage/pagination-rest"


class ShopifyApi(Platform):
    name = P
    prefix = "shopify"
    default_bucket = "shopify"

    def authenticate(self, req: Request) -> bool:
        from sandbox.server import SANDBOX_CREDENTIALS

        return req.header("x-shopify-access-token") == SANDBOX_CREDENTIALS["SHOPIFY_ACCESS_TOKEN"]

    def unauthorized(self, req: Request) -> Response:
        msg = "[API] Invalid API key or access token (unrecognized login or wrong password)"
        return Response(401, {"errors": msg})

    def error(self, err: ApiError) -> Response:
        if err.status == 404:
            return Response(404, {"errors": "Not Found"})
        if err.field:
            return Response(err.status, {"errors": {err.field: err.message}})
        return Response(err.status, {"errors": err.message})

    def throttled(self, bucket: str, state: BucketState) -> Response:
        wait = max(1.0, math.ceil(state.retry_after))
        return Response(
            429,
            {
                "errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
                "resume uninterrupted service."
            },
            headers={"Retry-After": f"{wait:.1f}", **self.rate_headers(bucket, state)},
        )

    def throttled_request(self, req: Request, bucket: str, state: BucketState) -> Response:
        """GraphQL is throttled in band (200, THROTTLED, the cost bucket's
        state), REST with 429 + Retry-After."""
        if req.path.endswith("/graphql.json"):
            graphql_state = BucketState(1000.0, 0.0, 100.0, state.retry_after)
            return _throttled_graphql(_MUTATION_COST, graphql_state)
        return self.throttled(bucket, state)

    def server_error(self, status: int, retry_after: float | None) -> Response:
        headers = {"Retry-After": f"{retry_after:.1f}"} if retry_after else {}
        msg = "Internal Server Error" if status == 500 else "Service Unavailable"
        return Response(status, {"errors": msg}, headers=headers)

    def rate_headers(self, bucket: str, state: BucketState) -> dict[str, str]:
        if bucket != "shopify":
            return {}
        used = min(int(state.capacity), math.ceil(state.capacity - state.remaining))
        return {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{int(state.capacity)}"}


API = ShopifyApi()

# REST list endpoints: resource -> (stream, extra filters that are accepted)
_STATUS = {
    # orders.json status: open (default) | closed | cancelled | any
    "orders": {
        "open": "json_extract(payload, '$.closed_at') is null "
        "and json_extract(payload, '$.cancelled_at') is null",
        "closed": "json_extract(payload, '$.closed_at') is not null",
        "cancelled": "json_extract(payload, '$.cancelled_at') is not null",
        "any": None,
    },
    # checkouts.json status: open (default) | closed
    "checkouts": {
        "open": "json_extract(payload, '$.closed_at') is null",
        "closed": "json_extract(payload, '$.closed_at') is not null",
        "any": None,
    },
}
_FILTERS = ("ids", "since_id", "created_at_min", "created_at_max", "updated_at_min")
_FILTERS += ("updated_at_max", "status", "order")
_ORDERS = {"id": "cast(id as integer)", "created_at": "created_at", "updated_at": "updated_at"}


def _where(resource: str, filters: dict[str, str]) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if filters.get("ids"):
        ids = [i.strip() for i in filters["ids"].split(",") if i.strip()]
        where.append(f"id in ({','.join('?' * len(ids))})")
        params += ids
    if filters.get("since_id"):
        where.append("cast(id as integer) > ?")
        params.append(parse_int(filters["since_id"], 0, name="since_id"))
    for name, column, op in (
        ("created_at_min", "created_at", ">="),
        ("created_at_max", "created_at", "<="),
        ("updated_at_min", "updated_at", ">="),
        ("updated_at_max", "updated_at", "<="),
    ):
        if filters.get(name):
            try:
                where.append(f"{column} {op} ?")
                params.append(parse_time(filters[name]))
            except ApiError as exc:
                raise ApiError(400, "invalid", "Invalid datetime", field=name) from exc
    statuses = _STATUS.get(resource)
    if statuses is not None:
        status = filters.get("status", "open")
        if status not in statuses:
            raise ApiError(400, "invalid", f"Invalid status {status}", field="status")
        if statuses[status]:
            where.append(statuses[status])
    return where, params


def _order(filters: dict[str, str]) -> list[tuple[str, str]]:
    text = filters.get("order", "id asc").strip()
    column, _, direction = text.partition(" ")
    direction = (direction or "asc").strip().lower()
    if column not in _ORDERS or direction not in ("asc", "desc"):
        raise ApiError(400, "invalid", f"Invalid order {text}", field="order")
    order = [(_ORDERS[column], direction)]
    if column != "id":
        order.append(("cast(id as integer)", direction))
    return order


def _list(ctx: Ctx, resource: str) -> Response:
    req = ctx.request
    args = {k: v[-1] for k, v in req.query.items()}
    limit = ctx.page_limit(min(250, max(1, parse_int(args.get("limit"), 50, name="limit"))))
    fields = [f for f in split_top_level(args.get("fields", "")) if f]
    token = args.get("page_info")
    if token:
        for extra in sorted(set(args) - {"page_info", "limit", "fields"}):
            raise ApiError(
                400,
                "invalid",
                f"{extra} cannot be passed when page_info is present. See {_PAGINATION_DOC} "
                "for more information.",
                field=extra,
            )
        try:
            state = decode_cursor(token)
            filters, key, direction = state["f"], state["k"], state["d"]
            assert state["r"] == resource and direction in ("next", "prev")
        except (ApiError, KeyError, TypeError, AssertionError) as exc:
            raise ApiError(400, "invalid", "Invalid value.", field="page_info") from exc
    else:
        filters = {k: v for k, v in args.items() if k in _FILTERS}
        key, direction = None, "next"
    where, params = _where(resource, filters)
    order = _order(filters)
    if direction == "prev":
        flipped = [(e, "desc" if d == "asc" else "asc") for e, d in order]
        rows, more = keyset_page(
            ctx.store,
            P,
            resource,
            order=flipped,
            limit=limit,
            after=key,
            where=where,
            params=params,
        )
        rows.reverse()
        has_prev, has_next = more, True
    else:
        rows, more = keyset_page(
            ctx.store,
            P,
            resource,
            order=order,
            limit=limit,
            after=key,
            where=where,
            params=params,
        )
        has_prev, has_next = key is not None, more
    links = []
    url = req.base_url + req.path
    keep = [(k, args[k]) for k in ("limit", "fields") if k in args]
    if rows and has_prev:
        info = encode_cursor({"r": resource, "f": filters, "k": rows[0].key, "d": "prev"})
        links.append(f'<{with_query(url, [*keep, ("page_info", info)])}>; rel="previous"')
    if rows and has_next:
        info = encode_cursor({"r": resource, "f": filters, "k": rows[-1].key, "d": "next"})
        links.append(f'<{with_query(url, [*keep, ("page_info", info)])}>; rel="next"')
    items = [
        {k: v for k, v in r.payload.items() if k in fields} if fields else r.payload for r in rows
    ]
    headers = {"Link": ", ".join(links)} if links else {}
    return Response(200, {resource: items}, headers=headers, stream=resource, items_key=resource)


@API.route("GET", VERSION + r"/(?P<resource>customers|orders|checkouts|products)\.json")
def list_resource(ctx: Ctx, version: str, resource: str) -> Response:
    return _list(ctx, resource)


_SINGULAR = {"customers": "customer", "orders": "order", "products": "product"}


@API.route("GET", VERSION + r"/(?P<resource>customers|orders|products)/(?P<id>\d+)\.json")
def get_one(ctx: Ctx, version: str, resource: str, id: str) -> Response:
    record = ctx.store.get_record(P, resource, id)
    if record is None or record.deleted:
        raise ApiError(404, "not_found", "Not Found")
    return Response(200, {_SINGULAR[resource]: record.payload})


def _iso(ts: str) -> str:
    return ts.replace("Z", "+00:00")


def _tags(text: str | list[str] | None) -> list[str]:
    items = text if isinstance(text, list) else (text or "").split(",")
    out: list[str] = []
    for tag in (t.strip() for t in items):
        if tag and tag.lower() not in (o.lower() for o in out):
            out.append(tag)
    return out


@API.route("PUT", VERSION + r"/customers/(?P<id>\d+)\.json", write=True)
def update_customer(ctx: Ctx, version: str, id: str) -> Response:
    body = ctx.request.json()
    change = body.get("customer") if isinstance(body, dict) else None
    if not isinstance(change, dict):
        raise ApiError(400, "invalid", "Required parameter missing or invalid", field="customer")
    store = ctx.store
    with store.transaction():
        record = store.get_record(P, "customers", id)
        if record is None or record.deleted:
            raise ApiError(404, "not_found", "Not Found")
        payload = record.payload
        for key, value in change.items():
            if key in ("id", "created_at", "updated_at", "admin_graphql_api_id"):
                continue
            payload[key] = ", ".join(_tags(value)) if key == "tags" else value
        payload["updated_at"] = _iso(store.now())
        save_record(store, P, "customers", id, payload)
    return Response(200, {"customer": payload})


# -- GraphQL -------------------------------------------------------------------
_GID_STREAM = {"Customer": "customers", "Order": "orders", "Product": "products"}
_MUTATION_COST = 10


def _gql_error(message: str, code: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message}
    if code:
        err["extensions"] = {"code": code}
    return err


def _cost(requested: int, actual: int | None, state: BucketState) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": float(state.capacity),
                "currentlyAvailable": int(state.remaining),
                "restoreRate": float(state.per_second),
            },
        }
    }


def _throttled_graphql(requested: int, state: BucketState) -> Response:
    """Shopify's GraphQL throttle: HTTP 200 with a THROTTLED error and the cost
    bucket's state, from which a client computes its wait."""
    return Response(
        200,
        {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": _cost(requested, None, state),
        },
        refused="THROTTLED",
    )


def _apply_tags(store: WorldStore, gid: str, tags: Any, *, add: bool) -> dict[str, Any]:
    prefix = "gid://shopify/"
    kind, _, rid = gid[len(prefix) :].partition("/") if gid.startswith(prefix) else ("", "", "")
    stream = _GID_STREAM.get(kind)
    if stream is None or not rid.isdigit():
        return {"node": None, "userErrors": [{"field": ["id"], "message": "Invalid global id"}]}
    wanted = _tags(tags)
    if not wanted:
        return {"node": None, "userErrors": [{"field": ["tags"], "message": "Tags can't be blank"}]}
    record = store.get_record(P, stream, rid)
    if record is None or record.deleted:
        return {
            "node": None,
            "userErrors": [{"field": ["id"], "message": f"{kind} does not exist"}],
        }
    payload = record.payload
    current = _tags(payload.get("tags"))
    if add:
        merged = _tags(current + wanted)
    else:
        drop = {t.lower() for t in wanted}
        merged = [t for t in current if t.lower() not in drop]
    if merged != current:
        payload["tags"] = ", ".join(merged)
        payload["updated_at"] = _iso(store.now())
        save_record(store, P, stream, rid, payload)
    return {"node": {"id": gid, "__typename": kind}, "userErrors": []}


@API.route("POST", VERSION + r"/graphql\.json", write=True, bucket=None)
def graphql_endpoint(ctx: Ctx, version: str) -> Response:
    req = ctx.request
    ctype = req.header("content-type") or ""
    if "application/graphql" in ctype:
        query, variables = req.body.decode(), {}
    else:
        body = req.json()
        query, variables = body.get("query") or "", body.get("variables") or {}
    try:
        op = graphql.parse(query)
    except graphql.GraphQLError as exc:
        return Response(200, {"errors": [_gql_error(str(exc))]})
    allowed = {
        "mutation": {"tagsAdd", "tagsRemove"},
        "query": {"customer", "order", "product", "customers"},
    }
    unknown = [f.name for f in op.fields if f.name not in allowed[op.kind]]
    if unknown:
        root = "Mutation" if op.kind == "mutation" else "QueryRoot"
        msg = f"Field '{unknown[0]}' doesn't exist on type '{root}'"
        return Response(200, {"errors": [_gql_error(msg, "undefinedField")]})
    try:
        requested = sum(_field_cost(op.kind, f, variables) for f in op.fields)
    except graphql.GraphQLError as exc:
        return Response(200, {"errors": [_gql_error(str(exc))]})
    allowed_now, state = ctx.runtime.take("shopify_graphql", requested)
    if not allowed_now:
        return _throttled_graphql(requested, state)
    data: dict[str, Any] = {}
    store = ctx.store
    try:
        for f in op.fields:
            args = graphql.resolve(f.args, variables)
            if op.kind == "mutation":
                with store.transaction():
                    result = _apply_tags(
                        store, str(args.get("id", "")), args.get("tags"), add=f.name == "tagsAdd"
                    )
            elif f.name == "customers":
                result = _customers(ctx, args)
            else:
                result = _lookup(store, f.name, str(args.get("id", "")))
            data[f.alias] = graphql.select(result, f.selections)
    except graphql.GraphQLError as exc:
        return Response(200, {"errors": [_gql_error(str(exc))]})
    return Response(200, {"data": data, "extensions": _cost(requested, requested, state)})


def _field_cost(kind: str, f: graphql.Field, variables: dict[str, Any]) -> int:
    """Requested cost as Shopify computes it: a mutation 10, an object 1, a
    connection 2 + the number of nodes asked for (`first`)."""
    if kind == "mutation":
        return _MUTATION_COST
    if f.name == "customers":
        first = graphql.resolve(f.args, variables).get("first")
        return 2 + (first if isinstance(first, int) else 0)
    return 1


_TAG_TERM = re.compile(
    r"""\s*(?:AND\s+)?tag:(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+))\s*"""
)
_TAGS_SQL = (
    "instr(',' || lower(replace(coalesce(json_extract(payload, '$.tags'), ''), ', ', ',')) "
    "|| ',', ?) > 0"
)
_MAX_PAGE = 250


def _tag_terms(query: str) -> list[str]:
    """The tags a search query asks for (`tag:x`, `tag:'x y'`, joined by spaces or
    AND). Shopify's search syntax has much more; the sandbox refuses the rest
    rather than answering a query it did not understand."""
    tags, pos = [], 0
    while pos < len(query):
        m = _TAG_TERM.match(query, pos)
        if not m or m.end() == pos:
            raise graphql.GraphQLError(
                f"The sandbox's customers query understands tag:<value> terms only, not {query!r}"
            )
        raw = next(g for g in m.groups() if g is not None)
        tags.append(re.sub(r"\\(.)", r"\1", raw))
        pos = m.end()
    return tags


def _customers(ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    """`customers(first, after, query)`: a connection in id order with opaque cursors."""
    first = args.get("first")
    if not isinstance(first, int) or not 1 <= first <= _MAX_PAGE:
        raise graphql.GraphQLError(f"first must be between 1 and {_MAX_PAGE}")
    where, params = [], []
    for tag in _tag_terms(str(args.get("query") or "")):
        where.append(_TAGS_SQL)
        params.append(f",{tag.lower()},")
    after = decode_cursor(args["after"]) if args.get("after") else None
    rows, more = keyset_page(
        ctx.store,
        P,
        "customers",
        order=[("cast(id as integer)", "asc")],
        limit=ctx.page_limit(first),
        after=after,
        where=where,
        params=params,
    )
    nodes = [_node("Customer", r.id, r.payload) for r in rows]
    cursors = [encode_cursor(r.key) for r in rows]
    return {
        "nodes": nodes,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": more,
            "hasPreviousPage": after is not None,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _node(kind: str, rid: str, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/{kind}/{rid}",
        "tags": _tags(p.get("tags")),
        "email": p.get("email"),
        "updatedAt": p.get("updated_at"),
        "createdAt": p.get("created_at"),
    }


def _lookup(store: WorldStore, name: str, gid: str) -> dict[str, Any] | None:
    rid = gid.rsplit("/", 1)[-1]
    record = store.get_record(P, f"{name}s", rid)
    if record is None or record.deleted:
        return None
    return {**_node(name.capitalize(), rid, record.payload), "id": gid}
