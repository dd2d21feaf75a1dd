"""A small deterministic world for emulator tests, written through WorldStore.

Used when `sandbox.world.generate` is not importable. Payloads are the vendor
objects as they appear in each vendor's list responses (trimmed to the fields
the emulator and connectors look at), with deliberate timestamp ties, deleted
tickets and orders in every Shopify status so edge cases are always present.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sandbox.store import Record, WorldStore, format_ts

NOW = datetime(2024, 10, 1, tzinfo=UTC)
START = NOW - timedelta(days=30)
META_ACCOUNT = "1000000000000001"
FORMS = ("3100000000000001", "3100000000000002")


def _ts(rng: random.Random, *, tie_every: int = 0, i: int = 0) -> datetime:
    if tie_every and i % tie_every == 1:  # some records share a second with the previous one
        return START + timedelta(days=i % 29, hours=5)
    return START + timedelta(seconds=rng.randrange(29 * 86400))


def _kid(prefix: str, i: int) -> str:
    return ("01" + hashlib.sha1(f"{prefix}{i}".encode()).hexdigest().upper())[:26]


def _iso(dt: datetime, style: str = "z") -> str:
    if style == "z":
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "ms":
        return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _rec(
    platform: str,
    stream: str,
    id: str,
    created: datetime,
    updated: datetime,
    payload: dict,
    deleted: bool = False,
) -> Record:
    return Record(platform, stream, id, format_ts(created), format_ts(updated), payload, deleted)


def klaviyo(rng: random.Random) -> list[Record]:
    out = []
    profiles = []
    for i in range(57):
        c = _ts(rng)
        u = max(c, _ts(rng, tie_every=5, i=i))
        pid = _kid("p", i)
        profiles.append(pid)
        out.append(
            _rec(
                "klaviyo",
                "profiles",
                pid,
                c,
                u,
                {
                    "type": "profile",
                    "id": pid,
                    "attributes": {
                        "email": f"person{i}@example.com",
                        "phone_number": f"+1555000{i:04d}",
                        "external_id": None,
                        "first_name": f"First{i}",
                        "last_name": f"Last{i}",
                        "created": _iso(c, "off"),
                        "updated": _iso(u, "off"),
                        "properties": {},
                        "subscriptions": {
                            "email": {
                                "marketing": {
                                    "can_receive_email_marketing": True,
                                    "consent": "SUBSCRIBED",
                                    "suppression": [],
                                    "list_suppressions": [],
                                }
                            }
                        },
                    },
                    "relationships": {},
                    "links": {"self": f"https://a.klaviyo.com/api/profiles/{pid}/"},
                },
            )
        )
    metrics = [_kid("m", i)[:6] for i in range(4)]
    for i, mid in enumerate(metrics):
        out.append(
            _rec(
                "klaviyo",
                "metrics",
                mid,
                START,
                START,
                {
                    "type": "metric",
                    "id": mid,
                    "attributes": {
                        "name": ["Opened Email", "Clicked Email", "Placed Order", "Received Email"][
                            i
                        ],
                        "created": _iso(START, "off"),
                        "updated": _iso(START, "off"),
                        "integration": {"name": "Klaviyo", "category": "Internal"},
                    },
                },
            )
        )
    for i in range(3):
        lid = f"L{i}xYz{i}"
        out.append(
            _rec(
                "klaviyo",
                "lists",
                lid,
                START,
                START,
                {
                    "type": "list",
                    "id": lid,
                    "attributes": {
                        "name": f"List {i}",
                        "created": _iso(START, "off"),
                        "updated": _iso(START, "off"),
                        "opt_in_process": "single_opt_in",
                    },
                },
            )
        )
    for i in range(130):
        at = _ts(rng, tie_every=7, i=i)
        eid = f"4{i:011d}"
        out.append(
            _rec(
                "klaviyo",
                "events",
                eid,
                at,
                at,
                {
                    "type": "event",
                    "id": eid,
                    "attributes": {
                        "timestamp": int(at.timestamp()),
                        "datetime": _iso(at, "off"),
                        "uuid": f"uuid-{i}",
                        "event_properties": {"value": i},
                    },
                    "relationships": {
                        "profile": {"data": {"type": "profile", "id": profiles[i % len(profiles)]}},
                        "metric": {"data": {"type": "metric", "id": metrics[i % len(metrics)]}},
                    },
                },
            )
        )
    return out


def meta(rng: random.Random) -> list[Record]:
    out = []
    campaigns = [str(120200000000000 + i) for i in range(5)]
    for cid in campaigns:
        out.append(
            _rec(
                "meta_ads",
                "campaigns",
                cid,
                START,
                START,
                {
                    "id": cid,
                    "name": f"Campaign {cid[-1]}",
                    "status": "ACTIVE",
                    "effective_status": "ACTIVE",
                    "objective": "OUTCOME_SALES",
                    "created_time": START.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                    "updated_time": START.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                },
            )
        )
    for d in range(12):
        day = (START + timedelta(days=d)).date().isoformat()
        stamp = START + timedelta(days=d + 1, hours=3)
        for cid in campaigns:
            out.append(
                _rec(
                    "meta_ads",
                    "insights",
                    f"{cid}:{day}",
                    stamp,
                    stamp,
                    {
                        "account_id": META_ACCOUNT,
                        "campaign_id": cid,
                        "campaign_name": f"Campaign {cid[-1]}",
                        "date_start": day,
                        "date_stop": day,
                        "impressions": str(rng.randrange(1000, 9000)),
                        "clicks": str(rng.randrange(10, 90)),
                        "spend": f"{rng.uniform(5, 90):.2f}",
                    },
                )
            )
    for i in range(33):
        at = _ts(rng, tie_every=6, i=i)
        lid = str(900000000000000 + i)
        out.append(
            _rec(
                "meta_ads",
                "leads",
                lid,
                at,
                at,
                {
                    "id": lid,
                    "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                    "form_id": FORMS[i % 2],
                    "ad_id": "238",
                    "campaign_id": campaigns[i % 5],
                    "field_data": [
                        {"name": "email", "values": [f"lead{i}@example.com"]},
                        {"name": "full_name", "values": [f"Lead {i}"]},
                    ],
                },
            )
        )
    return out


def square(rng: random.Random) -> list[Record]:
    out = []
    locations = ["L8SANDBOXA", "L8SANDBOXB"]
    for loc in locations:
        out.append(
            _rec(
                "square",
                "locations",
                loc,
                START,
                START,
                {
                    "id": loc,
                    "name": f"Store {loc[-1]}",
                    "status": "ACTIVE",
                    "timezone": "UTC",
                    "created_at": _iso(START, "ms"),
                },
            )
        )
    customers = []
    for i in range(45):
        c = _ts(rng)
        u = max(c, _ts(rng, tie_every=4, i=i))
        cid = hashlib.sha1(f"sqc{i}".encode()).hexdigest()[:26].upper()
        customers.append(cid)
        out.append(
            _rec(
                "square",
                "customers",
                cid,
                c,
                u,
                {
                    "id": cid,
                    "created_at": _iso(c, "ms"),
                    "updated_at": _iso(u, "ms"),
                    "given_name": ["Ann", "Bob", "Cy", "Di", "Ed"][i % 5],
                    "family_name": f"Fam{i % 9}",
                    "email_address": f"sq{i}@example.com",
                    "phone_number": f"+1555100{i:04d}",
                    "preferences": {"email_unsubscribed": False},
                    "creation_source": "THIRD_PARTY",
                    "version": 1,
                },
            )
        )
    for i in range(83):
        c = _ts(rng)
        u = max(c, _ts(rng, tie_every=5, i=i))
        oid = hashlib.sha1(f"sqo{i}".encode()).hexdigest()[:24].upper()
        state = "COMPLETED" if i % 4 else "OPEN"
        out.append(
            _rec(
                "square",
                "orders",
                oid,
                c,
                u,
                {
                    "id": oid,
                    "location_id": locations[i % 2],
                    "customer_id": customers[i % 45],
                    "state": state,
                    "created_at": _iso(c, "ms"),
                    "updated_at": _iso(u, "ms"),
                    "closed_at": _iso(u, "ms") if state == "COMPLETED" else None,
                    "version": 2,
                    "total_money": {"amount": 100 * (i + 1), "currency": "USD"},
                },
            )
        )
    for i in range(21):
        c = _ts(rng)
        aid = f"loyalty-{i:04d}"
        out.append(
            _rec(
                "square",
                "loyalty_accounts",
                aid,
                c,
                c,
                {
                    "id": aid,
                    "program_id": "prog-1",
                    "balance": i * 10,
                    "lifetime_points": i * 12,
                    "customer_id": customers[i],
                    "mapping": {"id": f"map-{i}", "phone_number": f"+1555100{i:04d}"},
                    "created_at": _iso(c, "ms"),
                    "updated_at": _iso(c, "ms"),
                },
            )
        )
    return out


def shopify(rng: random.Random) -> list[Record]:
    out = []
    for i in range(61):
        c = _ts(rng)
        u = max(c, _ts(rng, tie_every=5, i=i))
        cid = str(7000000000 + i * 3)
        out.append(
            _rec(
                "shopify",
                "customers",
                cid,
                c,
                u,
                {
                    "id": int(cid),
                    "email": f"shop{i}@example.com",
                    "first_name": f"S{i}",
                    "last_name": "Shopper",
                    "created_at": _iso(c, "off"),
                    "updated_at": _iso(u, "off"),
                    "tags": "vip, newsletter" if i % 3 == 0 else "",
                    "orders_count": i % 4,
                    "email_marketing_consent": {
                        "state": "subscribed",
                        "opt_in_level": "single_opt_in",
                    },
                    "admin_graphql_api_id": f"gid://shopify/Customer/{cid}",
                },
            )
        )
    for i in range(74):
        c = _ts(rng)
        u = max(c, _ts(rng, tie_every=5, i=i))
        oid = str(5000000000 + i)
        closed = _iso(u, "off") if i % 3 == 1 else None
        cancelled = _iso(u, "off") if i % 7 == 2 else None
        out.append(
            _rec(
                "shopify",
                "orders",
                oid,
                c,
                u,
                {
                    "id": int(oid),
                    "name": f"#{1000 + i}",
                    "email": f"shop{i % 61}@example.com",
                    "created_at": _iso(c, "off"),
                    "updated_at": _iso(u, "off"),
                    "closed_at": closed,
                    "cancelled_at": cancelled,
                    "total_price": f"{10 + i}.00",
                    "tags": "",
                    "customer": {"id": 7000000000 + (i % 61) * 3},
                },
            )
        )
    for i in range(16):
        c = _ts(rng)
        kid = str(3000000000 + i)
        out.append(
            _rec(
                "shopify",
                "checkouts",
                kid,
                c,
                c,
                {
                    "id": int(kid),
                    "token": f"tok{i}",
                    "email": f"shop{i}@example.com",
                    "created_at": _iso(c, "off"),
                    "updated_at": _iso(c, "off"),
                    "closed_at": _iso(c, "off") if i % 4 == 0 else None,
                    "completed_at": None,
                },
            )
        )
    for i in range(12):
        pid = str(8000000000 + i)
        out.append(
            _rec(
                "shopify",
                "products",
                pid,
                START,
                START,
                {
                    "id": int(pid),
                    "title": f"Product {i}",
                    "created_at": _iso(START, "off"),
                    "updated_at": _iso(START, "off"),
                    "tags": "",
                    "status": "active",
                },
            )
        )
    return out


def zendesk(rng: random.Random) -> list[Record]:
    out = []
    for i in range(43):
        c = _ts(rng)
        u = max(c, _ts(rng, tie_every=4, i=i))
        uid = str(360000000 + i)
        out.append(
            _rec(
                "zendesk",
                "users",
                uid,
                c,
                u,
                {
                    "id": int(uid),
                    "name": f"Requester {i}",
                    "email": f"zd{i}@example.com",
                    "role": "end-user",
                    "created_at": _iso(c),
                    "updated_at": _iso(u),
                    "tags": ["vip"] if i % 5 == 0 else [],
                    "user_fields": {"plan": "basic"},
                },
            )
        )
    for i in range(52):
        c = _ts(rng)
        u = max(c, _ts(rng, tie_every=5, i=i))
        tid = str(1000 + i)
        out.append(
            _rec(
                "zendesk",
                "tickets",
                tid,
                c,
                u,
                {
                    "id": int(tid),
                    "subject": f"Help {i}",
                    "status": "open" if i % 2 else "solved",
                    "requester_id": 360000000 + (i % 43),
                    "created_at": _iso(c),
                    "updated_at": _iso(u),
                    "tags": [],
                },
                deleted=i % 17 == 3,
            )
        )
    for i in range(26):
        c = _ts(rng)
        rid = str(55000 + i)
        out.append(
            _rec(
                "zendesk",
                "satisfaction_ratings",
                rid,
                c,
                c,
                {
                    "id": int(rid),
                    "score": "good" if i % 3 else "bad",
                    "ticket_id": 1000 + i,
                    "requester_id": 360000000 + i,
                    "created_at": _iso(c),
                    "updated_at": _iso(c),
                },
            )
        )
    return out


def build(world_dir: Path, seed: int = 7) -> Path:
    """Write the fixture world into `world_dir` and return it."""
    rng = random.Random(seed)
    with WorldStore(world_dir, create=True) as store, store.transaction():
        store.set_meta("seed", seed)
        store.set_meta("people", 60)
        store.set_meta("start_date", START.date().isoformat())
        store.set_meta("day", 30)
        store.set_meta("now", format_ts(NOW))
        for make in (klaviyo, meta, square, shopify, zendesk):
            store.put_records(make(rng))
    return world_dir
