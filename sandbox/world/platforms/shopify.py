"""Shopify REST Admin objects: customers, orders, abandoned checkouts, products.

Shapes follow the REST Admin reference (Customer, Order, Abandoned checkout,
Product resources, API version 2025-01): numeric ids, `admin_graphql_api_id`,
money as decimal strings, times in the shop's zone with an offset.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sandbox.store import Record
from sandbox.world.context import Product, WorldContext, record, shopify_ts
from sandbox.world.mess import platform_email
from sandbox.world.people import Person

PLATFORM = "shopify"
CATEGORIES = ("Footwear", "Outerwear", "Bags", "Accessories", "Home", "Beauty")
_ORDER_WEIGHTS = (0.22, 0.36, 0.18, 0.1, 0.07, 0.04, 0.03)

Truth = tuple[str, str, str, int]


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


def build_order(
    rng: random.Random, ctx: WorldContext, person: Person, email: str | None, k: int, at: datetime
) -> tuple[Record, float]:
    """One order and the amount it adds to the customer's total_spent."""
    oid = order_id(person.person_id, k)
    items = _line_items(rng, ctx, oid)
    total = _total(items)
    refunded = rng.random() < 0.05
    closed = at + timedelta(days=rng.randrange(1, 6))
    updated = min(closed, ctx.now - timedelta(seconds=1)) if closed < ctx.now else at
    refunds = []
    if refunded:
        refunds = [
            {
                "id": oid + 1,
                "order_id": oid,
                "created_at": shopify_ts(updated),
                "transactions": [{"kind": "refund", "amount": f"{total:.2f}"}],
            }
        ]
    payload = {
        "id": oid,
        "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
        "name": f"#{1000 + (oid % 1_000_000)}",
        "email": email,
        "created_at": shopify_ts(at),
        "processed_at": shopify_ts(at),
        "updated_at": shopify_ts(updated),
        "closed_at": shopify_ts(closed) if closed < ctx.now else None,
        "cancelled_at": None,
        "financial_status": "refunded" if refunded else "paid",
        "fulfillment_status": "fulfilled" if closed < ctx.now else None,
        "currency": "USD",
        "total_price": f"{total:.2f}",
        "subtotal_price": f"{total:.2f}",
        "customer": {"id": customer_id(person.person_id), "email": email},
        "line_items": items,
        "refunds": refunds,
        "tags": "",
    }
    rec = record(PLATFORM, "orders", oid, at, updated, payload)
    return rec, 0.0 if refunded else total


def render(
    person: Person, email: str, ctx: WorldContext, rng: random.Random
) -> tuple[list[Record], list[Truth]]:
    if not person.online:
        return [], []
    pid = person.person_id
    cid = customer_id(pid)
    the_email = platform_email(person, email, rng, ctx.noise)
    phone = None if person.bridge or rng.random() < 0.55 else person.phone_e164
    created = person.first_seen
    out: list[Record] = []
    truth: list[Truth] = []

    n_orders = rng.choices(range(len(_ORDER_WEIGHTS)), _ORDER_WEIGHTS)[0]
    spent = 0.0
    last = created
    for k in range(n_orders):
        at = ctx.moment(rng, created + timedelta(minutes=5 * (k + 1)))
        order, amount = build_order(rng, ctx, person, the_email, k, at)
        out.append(order)
        truth.append((PLATFORM, "orders", order.id, pid))
        spent += amount
        last = max(last, at)

    if rng.random() < 0.25:
        at = ctx.moment(rng, created)
        chk_id = 4_000_000_000_000 + pid * 8
        items = _line_items(rng, ctx, chk_id)
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
                    "customer": {"id": cid, "email": the_email},
                    "line_items": items,
                },
            )
        )
        truth.append((PLATFORM, "checkouts", str(chk_id), pid))

    consent = rng.choices(("subscribed", "not_subscribed", "unsubscribed"), (0.55, 0.35, 0.1))[0]
    updated = ctx.moment(rng, last) if rng.random() < 0.3 else last
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
        "default_address": {"country_code": person.country, "zip": f"{10000 + pid % 89999}"},
        "admin_graphql_api_id": f"gid://shopify/Customer/{cid}",
    }
    out.append(record(PLATFORM, "customers", cid, created, updated, payload))
    truth.append((PLATFORM, "customers", str(cid), pid))
    return out, truth
