"""Shopify REST Admin objects: customers, orders, abandoned checkouts, products.

Shapes follow the REST Admin reference (Customer, Order, Abandoned checkout,
Product resources, API version 2025-01): numeric ids, `admin_graphql_api_id`,
money as decimal strings, times in the shop's zone with an offset.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.store import OrderTruth, Record, format_ts
from sandbox.world import addresses
from sandbox.world.context import Product, WorldContext, opaque_id, record, shopify_ts
from sandbox.world.mess import phone_variant, platform_email
from sandbox.world.people import Person, person_rng
from sandbox.world.platforms import square

PLATFORM = "shopify"
CATEGORIES = ("Footwear", "Outerwear", "Bags", "Accessories", "Home", "Beauty")
_ORDER_WEIGHTS = (0.22, 0.36, 0.18, 0.1, 0.07, 0.04, 0.03)

Truth = tuple[str, str, str, int]
SALT_ADDRESS = 307
ADDRESS_WITH_ORDERS = 0.97
"""Customers who ordered have the shipping address they gave at checkout."""
ADDRESS_WITHOUT_ORDERS = 0.3
"""Customers who never ordered have one only if they added it to their account."""
ADDRESS_PHONE = 0.45
"""Checkouts that ask a phone for delivery updates: the address carries it as typed."""


def customer_id(person_id: int) -> int:
    return 6_000_000_000_000 + person_id


def order_id(person_id: int, k: int) -> int:
    return 5_000_000_000_000 + person_id * 64 + k


def catalog(seed: int) -> tuple[Product, ...]:
    rng = random.Random(seed * 31 + 5)
    styles = ("Trail", "City", "Classic", "Studio", "Coast")
    products = []
    for i in range(36):
        category = CATEGORIES[i % len(CATEGORIES)]
        products.append(
            Product(
                id=8_000_000_000_000 + i,
                variant_id=9_000_000_000_000 + i,
                title=f"{rng.choice(styles)} {category} {i}",
                category=category,
                price_cents=rng.randrange(1500, 25000, 100) - 1,
                sku=f"SKU-{category[:3].upper()}-{i:03d}",
                in_stock=rng.random() > 0.15,
            )
        )
    return tuple(products)


def product_records(ctx: WorldContext) -> list[Record]:
    out = []
    for p in ctx.products:
        payload = {
            "id": p.id,
            "title": p.title,
            "product_type": p.category,
            "vendor": "Omnihub Outfitters",
            "status": "active",
            "handle": p.title.lower().replace(" ", "-"),
            "tags": "",
            "created_at": shopify_ts(ctx.start),
            "updated_at": shopify_ts(ctx.start),
            "variants": [
                {
                    "id": p.variant_id,
                    "product_id": p.id,
                    "title": "Default Title",
                    "price": f"{p.price_cents / 100:.2f}",
                    "sku": p.sku,
                    "inventory_quantity": 0 if not p.in_stock else 5 + p.id % 40,
                }
            ],
            "admin_graphql_api_id": f"gid://shopify/Product/{p.id}",
        }
        out.append(record(PLATFORM, "products", p.id, ctx.start, ctx.start, payload))
    return out


def _line_items(rng: random.Random, ctx: WorldContext, owner: int) -> list[dict]:
    items = []
    for j, p in enumerate(rng.sample(ctx.products, rng.choice((1, 1, 1, 2, 2, 3)))):
        items.append(
            {
                "id": owner * 10 + j,
                "product_id": p.id,
                "variant_id": p.variant_id,
                "title": p.title,
                "sku": p.sku,
                "quantity": rng.choice((1, 1, 1, 2)),
                "price": f"{p.price_cents / 100:.2f}",
            }
        )
    return items


def _total(items: list[dict]) -> float:
    return round(sum(float(i["price"]) * i["quantity"] for i in items), 2)


# How a web session reached the shop, as Shopify records it on orders and
# checkouts (landing_site with its query string, referring_site, source_name).
# Meta exposes no per-person clicks: a paid-social UTM or Meta's click id
# (fbclid) on the landing page is how an ad click is seen for one person.
ARRIVALS = (
    ("facebook_paid", 0.16),
    ("facebook_click_id", 0.06),
    ("email", 0.12),
    ("organic_search", 0.16),
    ("direct", 0.50),
)
AD_CAMPAIGNS = ("spring-footwear-prospecting", "loyalty-retargeting", "outerwear-launch")
PARTIAL_REFUND_RATE = 0.08
STORE_RETURN_RATE = 0.07
CART_RECOVERY_RATE = 0.35
"""An abandoned checkout followed by a purchase within the 7 days the journey counts."""
LATE_PURCHASE_RATE = 0.06
"""An abandoned checkout followed by a purchase only after those 7 days."""


@dataclass
class BuiltOrder:
    records: list[Record]
    """The Shopify order, and a Square return order if it was returned in a store."""
    spent: float
    """What the order adds to the customer's total_spent (net of refunds and returns)."""
    truth: list[Truth | OrderTruth]


def arrival(rng: random.Random, ctx: WorldContext, owner: int) -> tuple[str, dict]:
    """How one web session arrived, and the Shopify fields that say so."""
    kind = rng.choices([a for a, _ in ARRIVALS], [w for _, w in ARRIVALS])[0]
    product = rng.choice(ctx.products)
    path = f"/products/{product.title.lower().replace(' ', '-')}"
    click_id = f"IwAR{opaque_id('fbclid', ctx.seed, owner, length=30)}"
    if kind == "facebook_paid":
        query = f"utm_source=facebook&utm_medium=paid&utm_campaign={rng.choice(AD_CAMPAIGNS)}"
        if rng.random() < 0.5:
            query += f"&fbclid={click_id}"
        referrer = rng.choice(("https://l.facebook.com/", "https://l.instagram.com/"))
        fields = {"landing_site": f"{path}?{query}", "referring_site": referrer}
    elif kind == "facebook_click_id":
        fields = {
            "landing_site": f"{path}?fbclid={click_id}",
            "referring_site": "https://m.facebook.com/",
        }
    elif kind == "email":
        query = f"utm_source=klaviyo&utm_medium=email&utm_campaign=weekly-{rng.randrange(10)}"
        fields = {"landing_site": f"{path}?{query}", "referring_site": None}
    elif kind == "organic_search":
        fields = {"landing_site": path, "referring_site": "https://www.google.com/"}
    else:
        fields = {"landing_site": "/", "referring_site": None}
    return kind, {**fields, "landing_site_ref": None, "source_name": "web"}


def _refund(oid: int, n: int, at: datetime, lines: list[tuple[dict, int]], failed: bool) -> dict:
    """A REST Admin Refund: the units refunded per line and the money moved
    (transactions of kind refund; a declined attempt moves none)."""
    amount = round(sum(float(item["price"]) * qty for item, qty in lines), 2)
    transactions = []
    if failed:
        transactions.append(
            {
                "id": oid * 10 + n * 4 + 1,
                "order_id": oid,
                "kind": "refund",
                "status": "failure",
                "amount": f"{amount:.2f}",
                "currency": "USD",
                "gateway": "shopify_payments",
                "created_at": shopify_ts(at),
            }
        )
    transactions.append(
        {
            "id": oid * 10 + n * 4 + 2,
            "order_id": oid,
            "kind": "refund",
            "status": "success",
            "amount": f"{amount:.2f}",
            "currency": "USD",
            "gateway": "shopify_payments",
            "created_at": shopify_ts(at),
        }
    )
    return {
        "id": oid + 1 + n,
        "order_id": oid,
        "created_at": shopify_ts(at),
        "processed_at": shopify_ts(at),
        "note": None,
        "restock": True,
        "refund_line_items": [
            {
                "id": oid * 10 + n * 4 + 3 + j,
                "line_item_id": item["id"],
                "quantity": qty,
                "restock_type": "return",
                "subtotal": round(float(item["price"]) * qty, 2),
                "total_tax": 0.0,
                "line_item": item,
            }
            for j, (item, qty) in enumerate(lines)
        ],
        "transactions": transactions,
    }


def order_name(oid: int) -> str:
    """The shop's order number, unique per shop as Shopify's are."""
    return f"#{1001 + oid - order_id(0, 0)}"


def build_order(
    rng: random.Random, ctx: WorldContext, person: Person, email: str | None, k: int, at: datetime
) -> BuiltOrder:
    """One order: fully refunded (5%), partly refunded, or returned in a store."""
    oid = order_id(person.person_id, k)
    items = _line_items(rng, ctx, oid)
    total = _total(items)
    refunded = rng.random() < 0.05
    closed = at + timedelta(days=rng.randrange(1, 6))
    updated = min(closed, ctx.now - timedelta(seconds=1)) if closed < ctx.now else at
    # Draws beyond the original ones come from the order's own generator, so
    # adding them left every other field of the world as it was.
    extra = random.Random(ctx.seed * 1_000_003 + oid)
    came_by, arrived = arrival(extra, ctx, oid)
    refunds: list[dict] = []
    refunded_amount = 0.0
    returned: list[Record] = []
    returned_cents = 0
    if refunded:
        refunds = [_refund(oid, 0, updated, [(i, i["quantity"]) for i in items], False)]
        refunded_amount = total
    elif closed < ctx.now:
        units = [i for i in items for _ in range(i["quantity"])]
        roll = extra.random()
        later = closed + timedelta(days=extra.randrange(0, 15), seconds=extra.randrange(86400))
        if roll < PARTIAL_REFUND_RATE and len(units) > 1 and later < ctx.now:
            item = extra.choice(units)
            refunds = [_refund(oid, 0, later, [(item, 1)], extra.random() < 0.2)]
            refunded_amount = float(item["price"])
            updated = later
        elif roll < PARTIAL_REFUND_RATE + STORE_RETURN_RATE and later < ctx.now:
            item = extra.choice(units)
            reference = order_name(oid) if extra.random() < 0.7 else str(oid)
            record_ = square.online_order_return(extra, ctx, person, oid, reference, item, later)
            returned = [record_]
            returned_cents = record_.payload["return_amounts"]["total_money"]["amount"]
    if refunded:
        status = "refunded"
    elif refunds:
        status = "partially_refunded"
    else:
        status = "paid"
    payload = {
        "id": oid,
        "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
        "name": order_name(oid),
        "email": email,
        "created_at": shopify_ts(at),
        "processed_at": shopify_ts(at),
        "updated_at": shopify_ts(updated),
        "closed_at": shopify_ts(closed) if closed < ctx.now else None,
        "cancelled_at": None,
        "financial_status": status,
        "fulfillment_status": "fulfilled" if closed < ctx.now else None,
        "currency": "USD",
        "total_price": f"{total:.2f}",
        "subtotal_price": f"{total:.2f}",
        **arrived,
        "customer": {"id": customer_id(person.person_id), "email": email},
        "line_items": items,
        "refunds": refunds,
        "tags": "",
    }
    net_cents = round((total - refunded_amount) * 100) - returned_cents
    truth: list[Truth | OrderTruth] = [(PLATFORM, "orders", str(oid), person.person_id)]
    truth.append(
        OrderTruth(PLATFORM, str(oid), person.person_id, "web", format_ts(at), net_cents, came_by)
    )
    truth += [("square", "orders", r.id, person.person_id) for r in returned]
    return BuiltOrder(
        records=[record(PLATFORM, "orders", oid, at, updated, payload), *returned],
        spent=round(total - refunded_amount, 2),
        truth=truth,
    )


def customer_address(person: Person, cid: int, ordered: bool, ctx: WorldContext) -> dict | None:
    """The customer's default address (REST Admin CustomerAddress): the one given
    at checkout, with the checkout's phone as typed; none for some who never
    ordered. A person known on Shopify by email only (a bridge) gave no phone.
    Drawn from the customer's own generator, so no other draw of the world moves."""
    rng = person_rng(ctx.seed, person.person_id, SALT_ADDRESS)
    if rng.random() >= (ADDRESS_WITH_ORDERS if ordered else ADDRESS_WITHOUT_ORDERS):
        return None
    home = addresses.on_record(person.home, person.previous_home, rng)
    if home is None:
        return None
    typed = addresses.written(home, rng, ctx.noise)
    phone = None
    if not person.bridge and rng.random() < ADDRESS_PHONE:
        phone = phone_variant(person.phone_e164, person.country, rng)
    first = person.first_name
    return {
        "id": 7_000_000_000_000 + person.person_id,
        "customer_id": cid,
        "first_name": first,
        "last_name": person.last_name,
        "company": None,
        "address1": typed["line1"],
        "address2": typed["line2"],
        "city": typed["city"],
        "province": addresses.STATE_NAMES.get(typed["region"] or ""),
        "country": addresses.COUNTRY_NAMES[home.country],
        "zip": typed["postal_code"],
        "phone": phone,
        "name": f"{first} {person.last_name}",
        "province_code": typed["region"],
        "country_code": home.country,
        "country_name": addresses.COUNTRY_NAMES[home.country],
        "default": True,
    }


def render(
    person: Person, email: str, ctx: WorldContext, rng: random.Random
) -> tuple[list[Record], list[Truth | OrderTruth]]:
    if not person.online:
        return [], []
    pid = person.person_id
    cid = customer_id(pid)
    the_email = platform_email(person, email, rng, ctx.noise, unique=True)
    phone = None if person.bridge or rng.random() < 0.55 else person.phone_e164
    if the_email is None and phone is None:
        # Shopify asks every checkout and every account for a contact, an email
        # or a mobile number: one who gave no email gave their phone (a bridge,
        # known here by email only, gave the address after all)
        if person.bridge:
            the_email = email
        else:
            phone = person.phone_e164
    created = person.first_seen
    out: list[Record] = []
    truth: list[Truth | OrderTruth] = []

    n_orders = rng.choices(range(len(_ORDER_WEIGHTS)), _ORDER_WEIGHTS)[0]
    spent = 0.0
    last = created

    def add(order: BuiltOrder, at: datetime) -> None:
        nonlocal spent, last
        out.extend(order.records)
        truth.extend(order.truth)
        spent += order.spent
        last = max(last, at)

    for k in range(n_orders):
        at = ctx.moment(rng, created + timedelta(minutes=5 * (k + 1)))
        add(build_order(rng, ctx, person, the_email, k, at), at)

    if rng.random() < 0.25:
        at = ctx.moment(rng, created)
        chk_id = 4_000_000_000_000 + pid * 8
        items = _line_items(rng, ctx, chk_id)
        journey = person_rng(ctx.seed, pid, salt=101)
        _, arrived = arrival(journey, ctx, chk_id)
        roll = journey.random()
        if roll < CART_RECOVERY_RATE + LATE_PURCHASE_RATE:
            # The cart is bought after all: within the journey's 7 days, or later.
            delay = journey.randrange(900, 7 * 86400 + 1)
            if roll >= CART_RECOVERY_RATE:
                delay = 7 * 86400 + journey.randrange(3600, 5 * 86400)
            bought = at + timedelta(seconds=delay)
            if bought < ctx.now - timedelta(seconds=1):
                add(build_order(journey, ctx, person, the_email, n_orders, bought), bought)
                n_orders += 1
        out.append(
            record(
                PLATFORM,
                "checkouts",
                chk_id,
                at,
                at,
                {
                    "id": chk_id,
                    "token": f"chk{pid:x}{ctx.seed:x}",
                    "email": the_email,
                    "created_at": shopify_ts(at),
                    "updated_at": shopify_ts(at),
                    "completed_at": None,
                    "closed_at": None,
                    "cancelled_at": None,
                    "currency": "USD",
                    "total_price": f"{_total(items):.2f}",
                    "abandoned_checkout_url": f"https://shop.example/checkouts/{chk_id}/recover",
                    **arrived,
                    "customer": {"id": cid, "email": the_email},
                    "line_items": items,
                },
            )
        )
        truth.append((PLATFORM, "checkouts", str(chk_id), pid))

    consent = rng.choices(("subscribed", "not_subscribed", "unsubscribed"), (0.55, 0.35, 0.1))[0]
    updated = ctx.moment(rng, last) if rng.random() < 0.3 else last
    address = customer_address(person, cid, n_orders > 0, ctx)
    payload = {
        "id": cid,
        "email": the_email,
        "first_name": person.first_name if rng.random() > 0.05 else None,
        "last_name": person.last_name,
        "phone": phone,
        "state": "enabled",
        "verified_email": the_email is not None,
        "tags": rng.choice(("", "", "", "wholesale", "newsletter, wholesale")),
        "currency": "USD",
        "orders_count": n_orders,
        "total_spent": f"{spent:.2f}",
        "note": None,
        "email_marketing_consent": {
            "state": consent,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": shopify_ts(created),
        },
        "sms_marketing_consent": None,
        "created_at": shopify_ts(created),
        "updated_at": shopify_ts(updated),
        "addresses": [address] if address else [],
        "admin_graphql_api_id": f"gid://shopify/Customer/{cid}",
    }
    if address:
        # a customer with no addresses has no default address
        payload["default_address"] = address
    out.append(record(PLATFORM, "customers", cid, created, updated, payload))
    truth.append((PLATFORM, "customers", str(cid), pid))
    return out, truth
