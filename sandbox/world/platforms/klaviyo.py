"""Klaviyo JSON:API resources: profiles (with subscriptions), events, metrics, lists.

Shapes per Klaviyo's API (revision 2024-10-15; klaviyo/openapi stable.json):
profile attributes email / phone_number (E.164) / subscriptions.email.marketing,
events with attributes.datetime + timestamp and profile/metric relationships.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sandbox.store import Record
from sandbox.world.context import WorldContext, iso_offset, opaque_id, record
from sandbox.world.mess import platform_email
from sandbox.world.people import Person

PLATFORM = "klaviyo"
METRICS = {
    "Received Email": "RcvEml",
    "Opened Email": "OpnEml",
    "Clicked Email": "ClkEml",
    "Unsubscribed": "UnsEml",
    "Bounced Email": "BncEml",
    "Viewed Product": "VwdPrd",
}
LISTS = {"Newsletter": "NwsLtr", "VIP": "VipLst"}
# The links of the weekly emails ("Clicked Email" carries the clicked `URL`, as
# Klaviyo's metric properties do): collections, stories and pages, each about one
# topic (dbt's seed `url_topics` reads them back into topics).
CLICK_URLS = (
    "https://shop.example/collections/footwear?utm_source=klaviyo",
    "https://shop.example/blogs/care-guide?utm_source=klaviyo",
    "https://shop.example/collections/outerwear?utm_source=klaviyo",
    "https://shop.example/pages/loyalty?utm_source=klaviyo",
    "https://shop.example/blogs/stories/sustainable-materials?utm_source=klaviyo",
    "https://shop.example/collections/bags?utm_source=klaviyo",
)
SHOP_URL = "https://shop.example"

Truth = tuple[str, str, str, int]


def profile_id(person_id: int) -> str:
    return "01" + opaque_id("kp", person_id, length=24)


def catalog_records(ctx: WorldContext) -> list[Record]:
    out = []
    for name, mid in METRICS.items():
        payload = {
            "type": "metric",
            "id": mid,
            "attributes": {
                "name": name,
                "created": iso_offset(ctx.start),
                "updated": iso_offset(ctx.start),
                "integration": {"name": "Klaviyo", "category": "Internal"},
            },
            "links": {"self": f"https://a.klaviyo.com/api/metrics/{mid}/"},
        }
        out.append(record(PLATFORM, "metrics", mid, ctx.start, ctx.start, payload))
    for name, lid in LISTS.items():
        payload = {
            "type": "list",
            "id": lid,
            "attributes": {
                "name": name,
                "created": iso_offset(ctx.start),
                "updated": iso_offset(ctx.start),
                "opt_in_process": "single_opt_in",
            },
            "links": {"self": f"https://a.klaviyo.com/api/lists/{lid}/"},
        }
        out.append(record(PLATFORM, "lists", lid, ctx.start, ctx.start, payload))
    return out


def event(
    person_id: int, n: int, metric: str, at: datetime, properties: dict
) -> tuple[Record, Truth]:
    eid = "4" + opaque_id("ke", person_id, n, length=25)
    payload = {
        "type": "event",
        "id": eid,
        "attributes": {
            "timestamp": int(at.timestamp()),
            "datetime": iso_offset(at),
            "uuid": opaque_id("ku", person_id, n, length=32).lower(),
            "event_properties": properties,
        },
        "relationships": {
            "profile": {"data": {"type": "profile", "id": profile_id(person_id)}},
            "metric": {"data": {"type": "metric", "id": METRICS[metric]}},
        },
        "links": {"self": f"https://a.klaviyo.com/api/events/{eid}/"},
    }
    return record(PLATFORM, "events", eid, at, at, payload), (PLATFORM, "events", eid, person_id)


def subscriptions(consent: str, at: datetime, suppressed: bool) -> dict:
    return {
        "email": {
            "marketing": {
                "can_receive_email_marketing": consent == "SUBSCRIBED" and not suppressed,
                "consent": consent,
                "consent_timestamp": iso_offset(at),
                "method": "FORM",
                "suppression": (
                    [{"reason": "HARD_BOUNCE", "timestamp": iso_offset(at)}] if suppressed else []
                ),
                "list_suppressions": [],
            }
        }
    }


def render(
    person: Person, email: str, ctx: WorldContext, rng: random.Random
) -> tuple[list[Record], list[Truth]]:
    if not person.email_channel:
        return [], []
    pid = person.person_id
    kid = profile_id(pid)
    the_email = platform_email(person, email, rng, ctx.noise, unique=True)
    phone = person.phone_e164 if person.bridge or rng.random() < 0.4 else None
    if the_email is None and phone is None:
        the_email = email.lower()
    created = person.first_seen
    out: list[Record] = []
    truth: list[Truth] = []

    consent = rng.choices(("SUBSCRIBED", "NEVER_SUBSCRIBED"), (0.8, 0.2))[0]
    engagement = rng.random()
    sends = min(10, int((ctx.now - created).days / 14))
    unsubscribed_at = bounced_at = None
    n = 0
    last = created
    for s in range(sends):
        if consent != "SUBSCRIBED" or unsubscribed_at or bounced_at:
            break
        at = created + timedelta(days=14 * (s + 1), seconds=rng.randrange(3600))
        campaign = {
            "$message": f"CMP{s:03d}",
            "Subject": f"Week {s} picks",
            "Campaign Name": f"Weekly {s}",
        }
        for metric, chance in (
            ("Received Email", 1.0),
            ("Opened Email", engagement * 0.8),
            ("Clicked Email", engagement * 0.3),
            ("Unsubscribed", 0.01),
            ("Bounced Email", 0.004),
        ):
            if rng.random() >= chance:
                if metric in ("Opened Email",):
                    break
                continue
            at = at + timedelta(minutes=rng.randrange(1, 600))
            if at >= ctx.now:
                break
            props = dict(campaign)
            if metric == "Clicked Email":
                props["URL"] = rng.choice(CLICK_URLS)
            rec, t = event(pid, n, metric, at, props)
            out.append(rec)
            truth.append(t)
            n += 1
            last = max(last, at)
            if metric == "Unsubscribed":
                unsubscribed_at = at
                break
            if metric == "Bounced Email":
                bounced_at = at
                break
    for _ in range(rng.choice((0, 0, 1, 2))):
        at = ctx.moment(rng, created)
        product = rng.choice(ctx.products)
        # Viewed Product as Klaviyo's Shopify integration emits it (onsite tracking).
        props = {
            "ProductName": product.title,
            "ProductID": str(product.id),
            "SKU": product.sku,
            "Categories": [product.category],
            "URL": f"{SHOP_URL}/products/{product.title.lower().replace(' ', '-')}",
            "Price": product.price_cents / 100,
        }
        rec, t = event(pid, n, "Viewed Product", at, props)
        out.append(rec)
        truth.append(t)
        n += 1
        last = max(last, at)

    # Events do not touch the profile; a change of consent does.
    updated = unsubscribed_at or bounced_at or created
    if unsubscribed_at:
        consent, consent_at = "UNSUBSCRIBED", unsubscribed_at
    else:
        consent_at = created
    payload = {
        "type": "profile",
        "id": kid,
        "attributes": {
            # Klaviyo validates an address and stores it without surrounding spaces
            "email": the_email.strip() if the_email else the_email,
            "phone_number": phone,
            "external_id": None,
            "first_name": person.first_name,
            "last_name": person.last_name if rng.random() > 0.1 else None,
            "organization": None,
            "locale": "en-US",
            "created": iso_offset(created),
            "updated": iso_offset(updated),
            "last_event_date": iso_offset(last) if n else None,
            "location": {"country": person.country},
            "properties": {},
            "subscriptions": subscriptions(consent, consent_at, bounced_at is not None),
        },
        "relationships": {"lists": {"links": {}}, "segments": {"links": {}}},
        "links": {"self": f"https://a.klaviyo.com/api/profiles/{kid}/"},
    }
    out.append(record(PLATFORM, "profiles", kid, created, updated, payload))
    truth.append((PLATFORM, "profiles", kid, pid))
    return out, truth
