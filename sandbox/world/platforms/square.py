"""Square objects: locations, customers, in-store orders, loyalty accounts.

Shapes per square/connect-api-specification api.json (Customer, Order,
LoyaltyAccount, Location): money in the smallest unit, RFC 3339 times.
Square loyalty has no tiers; omnihub derives them from lifetime points
(see LOYALTY_TIERS).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sandbox.store import OrderTruth, Record, format_ts
from sandbox.world import addresses
from sandbox.world.context import WorldContext, iso_ms, opaque_id, record
from sandbox.world.mess import platform_email, platform_phone
from sandbox.world.people import Person, person_rng

PLATFORM = "square"
LOCATIONS = (
    ("L1DOWNTOWN0000", "Downtown"),
    ("L2MALL00000000", "Riverside Mall"),
    ("L3AIRPORT00000", "Airport"),
)
PROGRAM_ID = "d619f755-2d17-41f3-990d-c04ecedd64dd"
# Tier thresholds on lifetime points (1 point per whole dollar spent in store).
LOYALTY_TIERS = (("Gold", 1000), ("Silver", 400), ("Bronze", 0))

Truth = tuple[str, str, str, int]
SALT_ADDRESS = 311
ADDRESS_SHARE = 0.4
"""Store customers whose address the clerk took (loyalty sign-up, a delivery, a
mailed receipt); the rest give a name and a phone or an email at most."""


def customer_id(person_id: int) -> str:
    return opaque_id("sqc", person_id)


def location_records(ctx: WorldContext) -> list[Record]:
    return [
        record(
            PLATFORM,
            "locations",
            lid,
            ctx.start,
            ctx.start,
            {
                "id": lid,
                "name": name,
                "status": "ACTIVE",
                "type": "PHYSICAL",
                "currency": "USD",
                "timezone": "America/New_York",
                "created_at": iso_ms(ctx.start),
            },
        )
        for lid, name in LOCATIONS
    ]


def online_order_return(
    rng: random.Random,
    ctx: WorldContext,
    person: Person,
    shop_order_id: int,
    reference: str,
    item: dict,
    at: datetime,
) -> Record:
    """An online order's unit brought back to a store: a Square order that carries
    only a return (OrderReturn with return_line_items). `source_order_id` is unset
    because the sale was not Square's; `reference_id` (Square's field for an id in
    another system) holds the Shopify order's name or id, as the clerk keyed it."""
    cents = round(float(item["price"]) * 100)
    money = {"amount": cents, "currency": "USD"}
    amounts = {"total_money": money, "tax_money": {"amount": 0, "currency": "USD"}}
    rid = opaque_id("sqr", shop_order_id)
    payload = {
        "id": rid,
        "location_id": rng.choice(LOCATIONS)[0],
        "reference_id": reference,
        "customer_id": customer_id(person.person_id) if person.store else None,
        "state": "COMPLETED",
        "source": {"name": "Square Point of Sale"},
        "returns": [
            {
                "uid": opaque_id("sqru", shop_order_id, length=22),
                "return_line_items": [
                    {
                        "uid": opaque_id("sqrl", shop_order_id, length=22),
                        "name": item["title"],
                        "quantity": "1",
                        "note": item["sku"],
                        "catalog_object_id": opaque_id("sqv", item["product_id"]),
                        "item_type": "ITEM",
                        "base_price_money": money,
                        "variation_total_price_money": money,
                        "gross_return_money": money,
                        "total_tax_money": {"amount": 0, "currency": "USD"},
                        "total_money": money,
                    }
                ],
                "return_amounts": amounts,
            }
        ],
        "return_amounts": amounts,
        "net_amounts": {"total_money": {"amount": -cents, "currency": "USD"}},
        "total_money": {"amount": 0, "currency": "USD"},
        "created_at": iso_ms(at),
        "updated_at": iso_ms(at),
        "closed_at": iso_ms(at),
        "version": 1,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    return record(PLATFORM, "orders", rid, at, at, payload)


def customer_address(person: Person, ctx: WorldContext) -> dict | None:
    """The Customer's `address` (Square Address: address_line_1/2, locality,
    administrative_district_level_1, postal_code, country), as the clerk typed it.
    A person known in store by phone only (a bridge) left none. Drawn from its own
    generator, so no other draw of the world moves."""
    rng = person_rng(ctx.seed, person.person_id, SALT_ADDRESS)
    if person.bridge or rng.random() >= ADDRESS_SHARE:
        return None
    home = addresses.on_record(person.home, person.previous_home, rng)
    if home is None:
        return None
    typed = addresses.written(home, rng, ctx.noise)
    address = {
        "address_line_1": typed["line1"],
        "address_line_2": typed["line2"],
        "locality": typed["city"],
        "administrative_district_level_1": typed["region"],
        "postal_code": typed["postal_code"] if rng.random() > 0.04 else None,
        "country": home.country,
    }
    return {key: value for key, value in address.items() if value is not None}


def render(
    person: Person, email: str, ctx: WorldContext, rng: random.Random
) -> tuple[list[Record], list[Truth | OrderTruth]]:
    if not person.store:
        return [], []
    pid = person.person_id
    cid = customer_id(pid)
    the_email = None if person.bridge else platform_email(person, email, rng, ctx.noise)
    phone = platform_phone(person, rng, ctx.noise)
    if person.bridge:
        phone = phone or person.phone_e164
    created = person.first_seen
    out: list[Record] = []
    truth: list[Truth | OrderTruth] = []

    lifetime_cents = 0
    last = created
    for k in range(rng.choice((1, 1, 2, 2, 3, 4))):
        at = ctx.moment(rng, created + timedelta(minutes=k + 1))
        oid = opaque_id("sqo", pid, k)
        items = []
        for j, product in enumerate(rng.sample(ctx.products, rng.choice((1, 1, 2)))):
            qty = rng.choice((1, 1, 2))
            items.append(
                {
                    "uid": opaque_id("sql", pid, k, j, length=22),
                    "name": product.title,
                    "quantity": str(qty),
                    "catalog_object_id": opaque_id("sqv", product.id),
                    "note": product.sku,
                    "base_price_money": {"amount": product.price_cents, "currency": "USD"},
                    "total_money": {"amount": product.price_cents * qty, "currency": "USD"},
                }
            )
        total = sum(i["total_money"]["amount"] for i in items)
        lifetime_cents += total
        payload = {
            "id": oid,
            "location_id": rng.choice(LOCATIONS)[0],
            "customer_id": cid,
            "state": "COMPLETED",
            "source": {"name": "Square Point of Sale"},
            "line_items": items,
            "total_money": {"amount": total, "currency": "USD"},
            "created_at": iso_ms(at),
            "updated_at": iso_ms(at),
            "closed_at": iso_ms(at),
            "version": 4,
        }
        out.append(record(PLATFORM, "orders", oid, at, at, payload))
        truth.append((PLATFORM, "orders", oid, pid))
        truth.append(OrderTruth(PLATFORM, oid, pid, "store", format_ts(at), total))
        last = max(last, at)

    payload = {
        "id": cid,
        "given_name": person.first_name,
        "family_name": person.last_name if rng.random() > 0.08 else None,
        "email_address": the_email,
        "phone_number": phone,
        "address": customer_address(person, ctx),
        "created_at": iso_ms(created),
        "updated_at": iso_ms(created),
        "preferences": {"email_unsubscribed": rng.random() < 0.12},
        "creation_source": "DIRECTORY",
        "version": 1,
    }
    # Square omits absent fields instead of sending null.
    payload = {key: value for key, value in payload.items() if value is not None}
    out.append(record(PLATFORM, "customers", cid, created, created, payload))
    truth.append((PLATFORM, "customers", cid, pid))

    if rng.random() < 0.6:
        points = lifetime_cents // 100
        aid = opaque_id("sqa", pid).lower()
        account = {
            "id": aid,
            "program_id": PROGRAM_ID,
            "balance": points - (points // 200) * 100,
            "lifetime_points": points,
            "customer_id": cid,
            "mapping": {
                "id": opaque_id("sqm", pid).lower(),
                "created_at": iso_ms(created),
                "phone_number": person.phone_e164,
            },
            "enrolled_at": iso_ms(created),
            "created_at": iso_ms(created),
            "updated_at": iso_ms(last),
        }
        out.append(record(PLATFORM, "loyalty_accounts", aid, created, last, account))
        truth.append((PLATFORM, "loyalty_accounts", aid, pid))
    return out, truth
