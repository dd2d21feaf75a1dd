"""Meta Graph / Marketing API subset (https://developers.facebook.com/docs/graph-api).

Graph conventions: `/{version}/{node}/{edge}`, `access_token` as a param or Bearer
header, `fields=` selects what comes back (campaigns return only `id` unless asked),
`{"data", "paging": {"cursors": {before, after}, "next"}}`, and errors as
`{"error": {message, type, code, error_subcode, fbtrace_id}}` with HTTP 400 — Graph
uses 400, not 401/429, for bad tokens (code 190) and throttling (codes 4/17/613,
with `X-Business-Use-Case-Usage` telling when access returns). Custom audiences
(`/act_{id}/customaudiences`, `/{audience_id}/users`, `/{audience_id}/usersreplace`)
live in the world's `audiences` / `audience_members` tables; an audience flagged
restricted (`operation_status` 471) refuses membership changes with error 100 /
subcode 1713230, as the Custom Audience Users reference documents. A value-based
audience (created with `is_value_based=1`) takes the unhashed, non-negative number
LOOKALIKE_VALUE beside the hashed keys of every row added, and only such an audience
takes it ("Value-Based Lookalikes":
https://developers.facebook.com/docs/marketing-api/audiences/guides/value-based-lookalike-audiences/);
the values are kept in `audience_member_values`.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from datetime import timedelta
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
    parse_unix,
    split_top_level,
    to_unix,
    with_query,
)
from sandbox.store import WorldStore, parse_ts

P = "meta_ads"
V = r"/(?P<version>v\d+\.\d+)"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Customer-file schema keys (Custom Audience User reference); *_SHA256 and the plain
# PII keys are all expected hashed, which the emulator enforces as 64 lowercase hex.
_SCHEMA_KEYS = {
    "EMAIL",
    "EMAIL_SHA256",
    "PHONE",
    "PHONE_SHA256",
    "FN",
    "LN",
    "FI",
    "CT",
    "ST",
    "ZIP",
    "COUNTRY",
    "GEN",
    "DOBY",
    "DOBM",
    "DOBD",
    "EXTERN_ID",
    "MADID",
}
VALUE_KEY = "LOOKALIKE_VALUE"  # a number, never hashed; value-based audiences only


def _credentials() -> dict[str, str]:
    from sandbox.server import SANDBOX_CREDENTIALS

    return SANDBOX_CREDENTIALS


def _graph_error(
    message: str, code: int, *, type_: str = "OAuthException", subcode: int | None = None, **extra
) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    err.update(extra)
    err["fbtrace_id"] = "A" + secrets.token_hex(10)
    return {"error": err}


class MetaApi(Platform):
    name = P
    prefix = "meta"
    default_bucket = "meta_ads"

    def _token(self, req: Request) -> str | None:
        auth = req.header("authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        values = req.form().get("access_token")
        return values[-1] if values else None

    def authenticate(self, req: Request) -> bool:
        return self._token(req) == _credentials()["META_ACCESS_TOKEN"]

    def unauthorized(self, req: Request) -> Response:
        if self._token(req) is None:
            body = _graph_error("An access token is required to request this resource.", 104)
        else:
            body = _graph_error("Invalid OAuth access token - Cannot parse access token", 190)
        header = 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'
        return Response(400, body, headers={"WWW-Authenticate": header})

    def error(self, err: ApiError) -> Response:
        if err.status == 404:
            body = _graph_error(
                f"Unsupported request. {err.message}", 100, type_="GraphMethodException", subcode=33
            )
            return Response(400, body)
        code = err.extra.get("graph_code", 100)
        body = _graph_error(f"(#{code}) {err.message}", code, **err.extra.get("graph_extra", {}))
        return Response(err.status if err.status != 404 else 400, body)

    def not_found(self, req: Request) -> Response:
        body = _graph_error(f"Unknown path components: {req.path}", 2500)
        return Response(400, body)

    def throttled(self, bucket: str, state: BucketState) -> Response:
        minutes = max(1, math.ceil(state.retry_after / 60))
        body = _graph_error(
            "(#17) User request limit reached",
            17,
            subcode=2446079,
            is_transient=True,
            error_user_title="Ad Account Has Too Many API Calls",
            error_user_msg="There have been too many calls from this ad-account. Wait a bit and "
            "try again.",
        )
        return Response(400, body, headers=self._usage_headers(state, minutes))

    def server_error(self, status: int, retry_after: float | None) -> Response:
        if status == 503:
            body = _graph_error(
                "An unexpected error has occurred. Please retry your request later.",
                2,
                is_transient=True,
            )
        else:
            body = _graph_error("An unknown error has occurred.", 1, is_transient=True)
        return Response(status, body)

    def rate_headers(self, bucket: str, state: BucketState) -> dict[str, str]:
        return self._usage_headers(state, 0)

    @staticmethod
    def _usage_headers(state: BucketState, regain_minutes: int) -> dict[str, str]:
        used = 100 if regain_minutes else round(100 * (1 - state.remaining / state.capacity))
        account = _credentials()["META_AD_ACCOUNT_ID"]
        usage = {
            account: [
                {
                    "type": "ads_management",
                    "call_count": used,
                    "total_cputime": used,
                    "total_time": used,
                    "estimated_time_to_regain_access": regain_minutes,
                    "ads_api_access_tier": "standard_access",
                }
            ]
        }
        app = {"call_count": used, "total_cputime": used, "total_time": used}
        return {
            "X-Business-Use-Case-Usage": json.dumps(usage, separators=(",", ":")),
            "X-App-Usage": json.dumps(app, separators=(",", ":")),
        }


API = MetaApi()


# -- helpers -----------------------------------------------------------------
def _params(ctx: Ctx) -> dict[str, str]:
    return {k: v[-1] for k, v in ctx.request.form().items()}


def _check_account(account: str) -> None:
    if account != _credentials()["META_AD_ACCOUNT_ID"]:
        raise ApiError(
            404,
            "not_found",
            f"Object with ID 'act_{account}' does not exist, cannot be loaded due to missing "
            "permissions, or does not support this operation.",
        )


def _fields(params: dict[str, str]) -> list[str] | None:
    text = params.get("fields")
    if not text:
        return None
    return [re.split(r"[{.]", f, maxsplit=1)[0].strip() for f in split_top_level(text)]


def _select(obj: dict[str, Any], fields: list[str] | None, default: list[str]) -> dict[str, Any]:
    wanted = fields if fields is not None else default
    return {k: obj[k] for k in obj if k in wanted or k == "id"}


def _paged(
    ctx: Ctx,
    stream: str,
    *,
    order: list[tuple[str, str]],
    where: list[str],
    params: list[Any],
    shape: Any,
    default_limit: int = 25,
) -> Response:
    req_params = _params(ctx)
    limit = ctx.page_limit(parse_int(req_params.get("limit"), default_limit, name="limit"))
    after = decode_cursor(req_params["after"]) if req_params.get("after") else None
    rows, more = keyset_page(
        ctx.store, P, stream, order=order, limit=limit, after=after, where=where, params=params
    )
    body: dict[str, Any] = {"data": [shape(r.payload) for r in rows]}
    if rows:
        paging: dict[str, Any] = {
            "cursors": {"before": encode_cursor(rows[0].key), "after": encode_cursor(rows[-1].key)}
        }
        if more:
            query = {k: v for k, v in req_params.items() if k != "before"}
            query["after"] = paging["cursors"]["after"]
            paging["next"] = with_query(ctx.request.base_url + ctx.request.path, query)
        body["paging"] = paging
    return Response(200, body, stream=stream, items_key="data")


def _json_param(params: dict[str, str], name: str) -> Any:
    try:
        return json.loads(params[name])
    except (ValueError, KeyError) as exc:
        raise ApiError(400, "invalid", f"Invalid parameter {name}", field=name) from exc


# -- reads -------------------------------------------------------------------
@API.route("GET", V + r"/act_(?P<account>\d+)/campaigns")
def campaigns(ctx: Ctx, version: str, account: str) -> Response:
    _check_account(account)
    params = _params(ctx)
    fields = _fields(params)
    where: list[str] = []
    args: list[Any] = []
    if params.get("effective_status"):
        statuses = _json_param(params, "effective_status")
        where.append(
            f"json_extract(payload, '$.effective_status') in ({','.join('?' * len(statuses))})"
        )
        args += statuses
    return _paged(
        ctx,
        "campaigns",
        order=[("cast(id as integer)", "asc")],
        where=where,
        params=args,
        shape=lambda p: _select(p, fields, ["id"]),
    )


def _date_range(ctx: Ctx, params: dict[str, str]) -> tuple[str, str] | None:
    if params.get("time_range"):
        rng = _json_param(params, "time_range")
        if not isinstance(rng, dict) or not {"since", "until"} <= set(rng):
            raise ApiError(400, "invalid", "time_range must have since and until", "time_range")
        return str(rng["since"]), str(rng["until"])
    preset = params.get("date_preset", "last_30d")
    today = parse_ts(ctx.store.now()).date()
    if preset == "maximum":
        return None
    if preset == "today":
        return today.isoformat(), today.isoformat()
    if preset == "yesterday":
        day = (today - timedelta(days=1)).isoformat()
        return day, day
    m = re.fullmatch(r"last_(\d+)d", preset)
    if not m:
        raise ApiError(400, "invalid", f"Unsupported date_preset {preset}", "date_preset")
    days = int(m[1])
    return (today - timedelta(days=days)).isoformat(), (today - timedelta(days=1)).isoformat()


@API.route("GET", V + r"/act_(?P<account>\d+)/insights")
def insights(ctx: Ctx, version: str, account: str) -> Response:
    _check_account(account)
    params = _params(ctx)
    if params.get("level") != "campaign":
        raise ApiError(400, "invalid", "The sandbox serves level=campaign insights only", "level")
    if params.get("time_increment", "1") != "1":
        raise ApiError(400, "invalid", "The sandbox serves time_increment=1 only", "time_increment")
    fields = _fields(params)
    where: list[str] = []
    args: list[Any] = []
    rng = _date_range(ctx, params)
    if rng:
        where.append("json_extract(payload, '$.date_start') between ? and ?")
        args += list(rng)
    keep = ["date_start", "date_stop", *(fields or ["impressions", "spend"])]
    return _paged(
        ctx,
        "insights",
        order=[
            ("json_extract(payload, '$.date_start')", "asc"),
            ("json_extract(payload, '$.campaign_id')", "asc"),
            ("id", "asc"),
        ],
        where=where,
        params=args,
        shape=lambda p: {k: v for k, v in p.items() if k in keep},
    )


@API.route("GET", V + r"/(?P<page_id>\d+)/leadgen_forms")
def leadgen_forms(ctx: Ctx, version: str, page_id: str) -> Response:
    if page_id != _credentials()["META_PAGE_ID"]:
        raise ApiError(404, "not_found", f"Object with ID '{page_id}' does not exist.")
    rows = ctx.store.conn.execute(
        "select json_extract(payload, '$.form_id') as f, count(*) from records "
        "where platform = ? and stream = 'leads' and deleted = 0 and f is not null "
        "group by f order by f",
        (P,),
    ).fetchall()
    fields = _fields(_params(ctx))
    data = [
        _select(
            {"id": str(f), "name": f"Lead form {f}", "status": "ACTIVE", "leads_count": n},
            fields,
            ["id", "name", "status"],
        )
        for f, n in rows
    ]
    return Response(200, {"data": data})


_LEAD_OPS = {"GREATER_THAN": ">", "LESS_THAN": "<", "GREATER_THAN_OR_EQUAL": ">="} | {
    "LESS_THAN_OR_EQUAL": "<="
}


@API.route("GET", V + r"/(?P<form_id>\d+)/leads")
def leads(ctx: Ctx, version: str, form_id: str) -> Response:
    params = _params(ctx)
    fields = _fields(params)
    where = ["json_extract(payload, '$.form_id') = ?"]
    args: list[Any] = [form_id]
    if params.get("filtering"):
        for flt in _json_param(params, "filtering"):
            if flt.get("field") != "time_created" or flt.get("operator") not in _LEAD_OPS:
                raise ApiError(400, "invalid", f"Unsupported filtering {flt}", "filtering")
            where.append(f"created_at {_LEAD_OPS[flt['operator']]} ?")
            args.append(parse_unix(str(flt.get("value"))))
    return _paged(
        ctx,
        "leads",
        order=[("created_at", "asc"), ("id", "asc")],
        where=where,
        params=args,
        shape=lambda p: _select(p, fields, ["created_time", "id", "field_data"]),
    )


# -- custom audiences ----------------------------------------------------------
def _audience_view(store: WorldStore, audience: dict[str, Any]) -> dict[str, Any]:
    payload = dict(audience["payload"])
    counts = store.conn.execute(  # one member per person the uploads stood for
        "select count(*) from audience_members where platform = ? and audience_id = ?",
        (P, audience["id"]),
    ).fetchone()
    size = int(counts[0]) if counts else 0
    payload["approximate_count_lower_bound"] = size
    payload["approximate_count_upper_bound"] = size
    payload["time_updated"] = to_unix(audience["updated_at"])
    return payload


@API.route("GET", V + r"/act_(?P<account>\d+)/customaudiences")
def list_audiences(ctx: Ctx, version: str, account: str) -> Response:
    _check_account(account)
    params = _params(ctx)
    fields = _fields(params)
    limit = ctx.page_limit(parse_int(params.get("limit"), 25, name="limit"))
    after = decode_cursor(params["after"]) if params.get("after") else None
    rows = ctx.store.conn.execute(
        "select id from audiences where platform = ? and account_id = ? and "
        "cast(id as integer) > ? order by cast(id as integer) limit ?",
        (P, account, int(after or 0), limit + 1),
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    data = []
    for (aid,) in rows:
        audience = ctx.store.get_audience(P, aid)
        data.append(_select(_audience_view(ctx.store, audience), fields, ["id"]))  # type: ignore
    body: dict[str, Any] = {"data": data}
    if rows:
        body["paging"] = {
            "cursors": {"before": encode_cursor(rows[0][0]), "after": encode_cursor(rows[-1][0])}
        }
        if more:
            query = {**params, "after": encode_cursor(rows[-1][0])}
            body["paging"]["next"] = with_query(ctx.request.base_url + ctx.request.path, query)
    return Response(200, body)


@API.route("POST", V + r"/act_(?P<account>\d+)/customaudiences", write=True)
def create_audience(ctx: Ctx, version: str, account: str) -> Response:
    _check_account(account)
    params = _params(ctx)
    if not params.get("name"):
        raise ApiError(400, "invalid", "The parameter name is required", "name")
    subtype = params.get("subtype", "CUSTOM")
    if subtype != "CUSTOM":
        raise ApiError(400, "invalid", "The sandbox creates subtype=CUSTOM audiences", "subtype")
    source = params.get("customer_file_source")
    if source not in (
        "USER_PROVIDED_ONLY",
        "PARTNER_PROVIDED_ONLY",
        "BOTH_USER_AND_PARTNER_PROVIDED",
    ):
        raise ApiError(
            400, "invalid", "The parameter customer_file_source is required", "customer_file_source"
        )
    store = ctx.store
    with store.transaction():
        aid = str(23850000000000000 + store.count_audiences(P) + 1)
        now = store.now()
        payload = {
            "id": aid,
            "account_id": account,
            "name": params["name"],
            "description": params.get("description", ""),
            "subtype": subtype,
            "customer_file_source": source,
            "is_value_based": params.get("is_value_based", "").lower() in ("1", "true"),
            "operation_status": {"code": 200, "description": "Normal"},
            "delivery_status": {"code": 300, "description": "This audience is too small"},
            "time_created": to_unix(now),
        }
        store.put_audience(P, aid, name=params["name"], payload=payload, account_id=account)
    return Response(200, {"id": aid})


@API.route("GET", V + r"/(?P<node_id>\d+)")
def get_node(ctx: Ctx, version: str, node_id: str) -> Response:
    audience = ctx.store.get_audience(P, node_id)
    if audience is None:
        raise ApiError(404, "not_found", f"Object with ID '{node_id}' does not exist.")
    fields = _fields(_params(ctx))
    return Response(200, _select(_audience_view(ctx.store, audience), fields, ["id", "name"]))


@API.route("POST", V + r"/(?P<audience_id>\d+)/users", write=True)
def add_users(ctx: Ctx, version: str, audience_id: str) -> Response:
    return _change_users(ctx, audience_id, add=True)


@API.route("DELETE", V + r"/(?P<audience_id>\d+)/users", write=True)
def remove_users(ctx: Ctx, version: str, audience_id: str) -> Response:
    return _change_users(ctx, audience_id, add=False)


def _writable(store: WorldStore, audience_id: str) -> dict[str, Any]:
    """The audience, if its memberships may change: a restricted one (operation_status
    471) refuses with the error the Custom Audience Users reference documents."""
    audience = store.get_audience(P, audience_id)
    if audience is None:
        raise ApiError(404, "not_found", f"Object with ID '{audience_id}' does not exist.")
    status = (audience["payload"].get("operation_status") or {}).get("code")
    if status == 471:
        raise ApiError(
            400,
            "restricted",
            "Invalid parameter",
            graph_code=100,
            graph_extra={
                "error_subcode": 1713230,
                "error_user_title": "Audience Upload Blocked",
                "error_user_msg": "Before updating user memberships, you must resolve integrity "
                "restrictions on this Data File Custom Audience. Go to Audience Manager to "
                "appeal the restrictions or create a new audience with updated data",
            },
        )
    return audience


# Keys that identify a person alone, strongest first; the rest (names, places, dates
# of birth, gender) only narrow a match and never stand for a member on their own.
_STRONG = ("EMAIL_SHA256", "EMAIL", "PHONE_SHA256", "PHONE", "MADID", "EXTERN_ID")


def _number(value: Any) -> float | None:
    """A LOOKALIKE_VALUE as Meta takes it: a non-negative integer or float."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and math.isfinite(number) else None


def _rows_of(
    params: dict[str, str], audience: dict[str, Any], *, adding: bool
) -> tuple[list[list[tuple[str, str]]], list[float | None], int, dict[str, str], int]:
    """The `payload` parameter -> (per valid row, its (schema key, hash) pairs; the
    row's LOOKALIKE_VALUE, aligned; rows received; invalid samples; invalid rows).
    Every key but LOOKALIKE_VALUE is expected hashed: a value that is not 64
    lowercase hex makes its row invalid (and is sampled, as Graph does)."""
    payload = _json_param(params, "payload")
    schema = payload.get("schema") if isinstance(payload, dict) else None
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(schema, str):
        schema = [schema]
        data = [[v] if not isinstance(v, list) else v for v in (data or [])]
    if (
        not schema
        or not isinstance(data, list)
        or not set(schema) <= _SCHEMA_KEYS | {VALUE_KEY}
        or set(schema) == {VALUE_KEY}
    ):
        raise ApiError(400, "invalid", "Invalid payload: schema and data are required", "payload")
    value_based = bool(audience["payload"].get("is_value_based"))
    if VALUE_KEY in schema and not value_based:
        raise ApiError(
            400,
            "invalid",
            "LOOKALIKE_VALUE is only allowed in the schema of a value-based custom audience",
            "payload",
        )
    if value_based and adding and VALUE_KEY not in schema:
        raise ApiError(
            400,
            "invalid",
            "A value-based custom audience needs LOOKALIKE_VALUE in the schema",
            "payload",
        )
    if len(data) > 10000:
        raise ApiError(
            400, "invalid", "The number of users in the payload exceeds the limit of 10000"
        )
    rows: list[list[tuple[str, str]]] = []
    values: list[float | None] = []
    invalid: dict[str, str] = {}
    n_invalid = 0
    for row in data:
        if not isinstance(row, list) or len(row) != len(schema):
            n_invalid += 1
            continue
        cells = dict(zip(schema, row, strict=True))
        value = _number(cells.pop(VALUE_KEY)) if VALUE_KEY in cells else None
        pairs = [(k, str(v)) for k, v in cells.items() if v not in (None, "")]
        bad = [v for _, v in pairs if not _HEX64.fullmatch(v)]
        if bad or not pairs or (VALUE_KEY in schema and value is None):
            n_invalid += 1
            if bad and len(invalid) < 10:
                invalid[bad[0]] = "Invalid format: expected a SHA-256 hex digest"
            continue
        rows.append(pairs)
        values.append(value)
    return rows, values, len(data), invalid, n_invalid


def _member(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """The person a row stands for: its strongest identifier, or, for a row of weak
    keys only, the combination of them (e.g. FN+LN+ZIP)."""
    for key in _STRONG:
        for k, v in pairs:
            if k == key:
                return k, v
    ordered = sorted(pairs)
    return "+".join(k for k, _ in ordered), "+".join(v for _, v in ordered)


def _matches(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What a removal row takes away: the member keyed by any of its strong
    identifiers (Meta removes the person whichever key matched), or its combination."""
    strong = [(k, v) for k, v in pairs if k in _STRONG]
    return strong or [_member(pairs)]


def _touch(store: WorldStore, audience: dict[str, Any]) -> None:
    store.put_audience(
        P,
        audience["id"],
        name=audience["name"],
        payload=audience["payload"],
        account_id=audience["account_id"],
    )


def _keep_values(
    store: WorldStore,
    audience_id: str,
    members: list[tuple[str, str]],
    values: list[float | None],
) -> None:
    """Record each member's LOOKALIKE_VALUE (value-based audiences; a member
    uploaded again takes its new value)."""
    pairs = zip(members, values, strict=True)
    store.set_member_values(P, audience_id, [(t, k, v) for (t, k), v in pairs if v is not None])


def _change_users(ctx: Ctx, audience_id: str, *, add: bool) -> Response:
    store = ctx.store
    audience = _writable(store, audience_id)
    params = _params(ctx)
    rows, values, received, invalid, n_invalid = _rows_of(params, audience, adding=add)
    with store.transaction():
        if add:
            members = [_member(r) for r in rows]
            store.add_members(P, audience_id, members)
            _keep_values(store, audience_id, members, values)
        else:
            store.remove_members(P, audience_id, [m for r in rows for m in _matches(r)])
        _touch(store, audience)
    session = params.get("session")
    session_id = (
        str(json.loads(session).get("session_id")) if session else str(secrets.randbits(60))
    )
    return Response(
        200,
        {
            "audience_id": audience_id,
            "session_id": session_id,
            "num_received": received,
            "num_invalid_entries": n_invalid,
            "invalid_entry_samples": invalid,
        },
    )


@API.route("POST", V + r"/(?P<audience_id>\d+)/usersreplace", write=True)
def replace_users(ctx: Ctx, version: str, audience_id: str) -> Response:
    """Custom Audience Usersreplace: a session (session_id, batch_seq from 1,
    last_batch_flag, estimated_num_total) streams the new membership; when the last
    batch arrives the audience holds exactly what the session sent. Batches are
    staged in `audience_replace_staging` until then (see docs/internals.md)."""
    store = ctx.store
    audience = _writable(store, audience_id)
    params = _params(ctx)
    session = _json_param(params, "session")
    if not isinstance(session, dict):
        raise ApiError(400, "invalid", "The parameter session is required", "session")
    try:
        session_id = str(int(session["session_id"]))
        seq = int(session["batch_seq"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(
            400, "invalid", "session needs an integer session_id and batch_seq", "session"
        ) from exc
    last = bool(session.get("last_batch_flag"))
    rows, values, received, invalid, n_invalid = _rows_of(params, audience, adding=True)
    with store.transaction():
        expected = store.replace_session_next(P, audience_id, session_id)
        if expected is None:
            raise ApiError(
                400,
                "invalid",
                f"Replace session {session_id} has already ended; start a new session",
                graph_code=2650,
            )
        if seq != expected:
            raise ApiError(
                400,
                "invalid",
                f"Replace session {session_id}: batch_seq {seq} received, {expected} expected "
                "(the first batch of a session is 1)",
                graph_code=2650,
                graph_extra={"error_subcode": 1870147},
            )
        members = [_member(r) for r in rows]
        store.stage_replace(P, audience_id, session_id, seq, members)
        _keep_values(store, audience_id, members, values)
        if last:
            store.finish_replace(P, audience_id, session_id)
        _touch(store, audience)
    return Response(
        200,
        {
            "account_id": audience["account_id"],
            "session_id": session_id,
            "num_received": received,
            "num_invalid_entries": n_invalid,
            "invalid_entry_samples": invalid,
        },
    )
