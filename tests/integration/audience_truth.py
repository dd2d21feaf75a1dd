"""What each audience should hold, computed from the sandbox world itself.

An independent reading of the rules in `dbt_project/models/marts/audiences` and
`marts/suppressions`, in Python over the world's records and its ground truth
(which record is which person), never over anything dbt produced. Tests compare
it with dbt's audiences on the people identity resolution got exactly right
(all their records in one customer, nobody else's there): for them, a
difference can only be a wrong rule.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
PERSON_ENTITIES = {
    ("shopify", "customers"): "shopify:customer",
    ("klaviyo", "profiles"): "klaviyo:profile",
    ("square", "customers"): "square:customer",
    ("zendesk", "users"): "zendesk:user",
    ("meta_ads", "leads"): "meta_ads:lead",
}
ENGAGING_KLAVIYO_METRICS = {"OpnEml", "ClkEml", "VwdPrd"}  # opened, clicked, viewed product
OPEN_TICKET = {"new", "open", "pending", "hold"}


def ts(text: str | None) -> datetime | None:
    """A vendor timestamp as naive UTC (how the warehouse stores every time)."""
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed
    return parsed.astimezone(UTC).replace(tzinfo=None)


@dataclass
class Person:
    records: set[str] = field(default_factory=set)
    purchases: list[tuple[datetime, list[str]]] = field(default_factory=list)
    abandoned: list[tuple[datetime, list[str]]] = field(default_factory=list)
    engaged: list[datetime] = field(default_factory=list)
    open_tickets: list[datetime] = field(default_factory=list)
    ratings: list[tuple[datetime, int, str]] = field(default_factory=list)
    lost_a_record: bool = False
    """A person-bearing record of theirs was deleted: their history at that
    platform left the warehouse with it, so the rules cannot see it."""


@dataclass
class World:
    as_of: datetime
    people: dict[int, Person]
    available_skus: set[str]
    vars: dict

    def var(self, name: str):
        return self.vars[name]


def load(world_dir: Path) -> World:
    world = sqlite3.connect(world_dir / "world.sqlite")
    truth = sqlite3.connect(world_dir / "truth.sqlite")
    owner = {
        (platform, stream, rid): person
        for platform, stream, rid, person in truth.execute(
            "select platform, stream, id, person_id from record_person"
        )
    }
    as_of = ts(world.execute("select value from meta where key = 'now'").fetchone()[0])
    people: dict[int, Person] = defaultdict(Person)
    available: set[str] = set()
    rows = world.execute("select platform, stream, id, deleted, payload from records")
    for platform, stream, rid, deleted, text in rows:
        payload = json.loads(text)
        if (platform, stream) == ("shopify", "products"):
            for variant in payload.get("variants") or []:
                if payload.get("status", "active") == "active" and (
                    int(variant.get("inventory_quantity") or 0) > 0
                    or variant.get("inventory_policy") == "continue"
                ):
                    available.add(variant["sku"])
            continue
        person_id = owner.get((platform, stream, rid))
        if person_id is None:
            continue
        person = people[person_id]
        entity = PERSON_ENTITIES.get((platform, stream))
        if entity:
            if deleted:
                person.lost_a_record = True
            else:
                person.records.add(f"{entity}:{rid}")
        if deleted:
            continue
        _facts(person, platform, stream, payload)
    return World(as_of, dict(people), available, _dbt_vars())


def _facts(person: Person, platform: str, stream: str, payload: dict) -> None:
    if (platform, stream) == ("shopify", "orders"):
        at = ts(payload["created_at"])
        person.engaged.append(at)
        if payload.get("cancelled_at") is None and payload.get("financial_status") != "voided":
            person.purchases.append((at, [li["sku"] for li in payload["line_items"]]))
    elif (platform, stream) == ("shopify", "checkouts"):
        person.engaged.append(ts(payload["created_at"]))
        if payload.get("completed_at") is None:
            at = ts(payload.get("updated_at") or payload["created_at"])
            person.abandoned.append((at, [li["sku"] for li in payload["line_items"]]))
    elif (platform, stream) == ("square", "orders"):
        # an order that only takes goods back (a store return) is not a purchase
        return_only = not payload.get("line_items") and bool(payload.get("returns"))
        if payload.get("state") == "COMPLETED" and not return_only:
            at = ts(payload["created_at"])
            person.engaged.append(at)
            person.purchases.append((at, [li.get("note") for li in payload["line_items"]]))
    elif (platform, stream) == ("square", "loyalty_accounts"):
        person.engaged.append(ts(payload["enrolled_at"]))
    elif (platform, stream) == ("klaviyo", "events"):
        metric = payload["relationships"]["metric"]["data"]["id"]
        if metric in ENGAGING_KLAVIYO_METRICS:
            person.engaged.append(ts(payload["attributes"]["datetime"]))
    elif (platform, stream) == ("meta_ads", "leads"):
        person.engaged.append(ts(payload["created_time"]))
    elif (platform, stream) == ("zendesk", "tickets"):
        created = ts(payload["created_at"])
        person.engaged.append(created)
        if payload.get("status") in OPEN_TICKET:
            person.open_tickets.append(created)
    elif (platform, stream) == ("zendesk", "satisfaction_ratings") and payload.get("score") in (
        "good",
        "bad",
    ):
        at = ts(payload["created_at"])
        person.engaged.append(at)
        person.ratings.append((at, int(payload["id"]), payload["score"]))


def _dbt_vars() -> dict:
    return yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]


def _pairs() -> list[dict]:
    with (PROJECT / "seeds" / "product_pairs.csv").open() as f:
        return sorted(csv.DictReader(f), key=lambda r: (int(r["priority"]), r["product_b_sku"]))


# -- the rules, person by person -------------------------------------------------


def _since(world: World, days: float) -> datetime:
    return world.as_of - timedelta(days=days)


def _carts(world: World, p: Person, newest: datetime, oldest: datetime) -> list[datetime]:
    """Abandoned carts in (oldest, newest] with something still for sale and no purchase since."""
    return [
        at
        for at, skus in p.abandoned
        if oldest < at <= newest
        and any(s in world.available_skus for s in skus)
        and not any(at < bought <= world.as_of for bought, _ in p.purchases)
    ]


def expected(world: World) -> dict[str, set[int]]:
    """person ids per audience and suppression list, before the promo hold and erasure."""
    v = world.var
    out: dict[str, set[int]] = defaultdict(set)
    for pid, p in world.people.items():
        purchases = [(at, skus) for at, skus in p.purchases if at <= world.as_of]
        first = min((at for at, _ in purchases), default=None)
        last = max((at for at, _ in purchases), default=None)
        engaged = [at for at in p.engaged if at <= world.as_of]
        if p.open_tickets:
            out["suppress_open_ticket_promo_hold"].add(pid)
        if last and last > _since(world, v("recent_purchaser_days")):
            out["suppress_recent_purchasers"].add(pid)
        if first and first > _since(world, v("new_customer_days")):
            out["new_customers"].add(pid)
        if len(purchases) >= v("returning_min_orders"):
            out["returning_customers"].add(pid)
        if any(at > _since(world, v("recent_buyer_days")) for at, _ in purchases):
            out["recent_product_buyers"].add(pid)
        if engaged and max(engaged) <= _since(world, v("lapsed_inactive_days")):
            out["lapsed_customers"].add(pid)
        last_rating = max(p.ratings, default=None)
        long_open = [
            at for at in p.open_tickets if at < _since(world, v("unhappy_ticket_open_days"))
        ]
        if (last_rating and last_rating[2] in v("unhappy_csat_scores")) or long_open:
            out["unhappy_customers"].add(pid)
        hours = v("cart_abandoned_hours")
        if _carts(world, p, world.as_of, world.as_of - timedelta(hours=hours)):
            out["cart_abandoners"].add(pid)
        after, window = v("cart_followup_after_days"), v("cart_followup_window_days")
        for at in _carts(world, p, _since(world, after), _since(world, after + window)):
            if not any(at < e <= world.as_of for e in engaged):
                out["cart_abandoners_followup"].add(pid)
        bought = {sku for _, skus in purchases for sku in skus if sku}
        for pair in _pairs():
            if (
                pair["product_a_sku"] in bought
                and pair["product_b_sku"] not in bought
                and pair["product_b_sku"] in world.available_skus
            ):
                out["cross_sell"].add(pid)
        lookback = _since(world, v("product_buyer_lookback_days"))
        for sku in v("advertised_skus"):
            if any(sku in skus and at > lookback for at, skus in purchases):
                out[f"suppress_product_buyers:{sku}"].add(pid)
    held = out["suppress_open_ticket_promo_hold"]
    for name in (
        "new_customers",
        "cart_abandoners",
        "cart_abandoners_followup",
        "lapsed_customers",
        "cross_sell",
    ):
        out[name] -= held
    return dict(out)
