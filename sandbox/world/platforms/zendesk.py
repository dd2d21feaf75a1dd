"""Zendesk Support objects: end users, tickets, satisfaction ratings.

Shapes per the Zendesk Support API reference (Users, Tickets, Satisfaction
Ratings; incremental exports return the same objects). Each ticket carries its
Ticket Metrics object as `metric_set`, the way the incremental ticket export
side-loads it with `include=metric_sets` (the emulator drops it otherwise).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sandbox.store import Record
from sandbox.world.context import WorldContext, iso_z, record
from sandbox.world.mess import platform_email, platform_phone
from sandbox.world.people import Person, person_rng

PLATFORM = "zendesk"
SUBJECTS = (
    ("Where is my order?", ["shipping"]),
    ("Return request", ["returns"]),
    ("Item arrived damaged", ["damaged", "returns"]),
    ("Loyalty points missing", ["loyalty"]),
    ("Sizing question", ["product_question"]),
    ("Unsubscribe me", ["email"]),
)

Truth = tuple[str, str, str, int]
ORDER_NUMBER_FIELD = 360_000_431_001
"""The account's custom ticket field "Order number" (a text field the web form
shows for order topics); tickets list it in `custom_fields` as {id, value}."""
ORDER_SUBJECTS = ("Where is my order?", "Return request", "Item arrived damaged")
ORDER_CITED = 0.6
"""Tickets about an order whose requester fills in its number (having ordered)."""
SALT_ORDERS = 401


def user_id(person_id: int) -> int:
    return 360_000_000_000 + person_id


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def metric_set(payload: dict, created: datetime, solved: datetime | None, seed: int) -> dict:
    """A Zendesk Ticket Metrics object for the ticket: the first agent reply
    (none while the ticket is new) and, once solved, the full resolution time in
    calendar minutes. Drawn from an RNG of its own (seeded by world seed and
    ticket id) so adding it moves no other random draw of the world."""
    tid = payload["id"]
    rng = random.Random(f"zendesk-metric-set:{seed}:{tid}")
    updated = parse_z(payload["updated_at"])
    # lognormal first reply around an hour and a half: minutes to a couple of days
    delay = timedelta(minutes=max(1, int(rng.lognormvariate(4.5, 1.2))))
    replied: datetime | None = None
    if payload["status"] != "new":
        replied = min(created + delay, solved or updated)
    elif solved is not None:
        replied = solved

    def calendar(minutes: int | None) -> dict:
        return {"calendar": minutes, "business": minutes}

    return {
        "id": 7_000_000 + tid,
        "url": f"https://omnihub.zendesk.com/api/v2/ticket_metrics/{7_000_000 + tid}.json",
        "ticket_id": tid,
        "created_at": iso_z(created),
        "updated_at": payload["updated_at"],
        "replies": 0 if replied is None else 1 + rng.randrange(3),
        "reopens": 0,
        "initially_assigned_at": iso_z(created),
        "solved_at": iso_z(solved) if solved else None,
        "reply_time_in_minutes": calendar(_minutes(created, replied) if replied else None),
        "first_resolution_time_in_minutes": calendar(_minutes(created, solved) if solved else None),
        "full_resolution_time_in_minutes": calendar(_minutes(created, solved) if solved else None),
    }


def parse_z(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def ticket(
    person: Person, k: int, ctx: WorldContext, rng: random.Random, at
) -> tuple[Record, dict]:
    tid = 1_000_000 + person.person_id * 8 + k
    subject, tags = rng.choice(SUBJECTS)
    status = rng.choices(
        ("new", "open", "pending", "solved", "closed"), (0.1, 0.15, 0.1, 0.4, 0.25)
    )[0]
    updated = ctx.moment(rng, at) if status != "new" else at
    payload = {
        "id": tid,
        "url": f"https://omnihub.zendesk.com/api/v2/tickets/{tid}.json",
        "requester_id": user_id(person.person_id),
        "submitter_id": user_id(person.person_id),
        "assignee_id": 361_000_000_001,
        "status": status,
        "subject": subject,
        "description": f"{subject} (order help)",
        "priority": rng.choice(("low", "normal", "normal", "high")),
        "type": "question",
        "tags": tags,
        "via": {"channel": rng.choice(("email", "web", "chat"))},
        "created_at": iso_z(at),
        "updated_at": iso_z(updated),
        "satisfaction_rating": None,
        "custom_fields": [{"id": ORDER_NUMBER_FIELD, "value": None}],
    }
    solved = updated if status in ("solved", "closed") else None
    payload["metric_set"] = metric_set(payload, at, solved, ctx.seed)
    # A few tickets are deleted (spam, duplicates): the export still lists them.
    deleted = rng.random() < 0.03
    return record(PLATFORM, "tickets", tid, at, updated, payload, deleted), payload


def render(
    person: Person, email: str, ctx: WorldContext, rng: random.Random
) -> tuple[list[Record], list[Truth]]:
    if not person.support:
        return [], []
    pid = person.person_id
    uid = user_id(pid)
    created = person.first_seen
    out: list[Record] = []
    truth: list[Truth] = []
    the_email = platform_email(person, email, rng, ctx.noise, unique=True)
    phone = platform_phone(person, rng, ctx.noise)
    if the_email is None and phone is None:
        the_email = email

    for k in range(rng.choice((1, 1, 1, 2, 3))):
        at = ctx.moment(rng, created + timedelta(minutes=k + 1))
        rec, payload = ticket(person, k, ctx, rng, at)
        out.append(rec)
        truth.append((PLATFORM, "tickets", rec.id, pid))
        if payload["status"] in ("solved", "closed") and rng.random() < 0.5:
            rated = ctx.moment(rng, at + timedelta(hours=1))
            rid = 5_000_000 + int(rec.id)
            score = rng.choices(("good", "bad"), (0.75, 0.25))[0]
            rating = {
                "id": rid,
                "url": f"https://omnihub.zendesk.com/api/v2/satisfaction_ratings/{rid}.json",
                "assignee_id": payload["assignee_id"],
                "requester_id": uid,
                "ticket_id": int(rec.id),
                "score": score,
                "comment": "Thanks!" if score == "good" else "Took too long",
                "created_at": iso_z(rated),
                "updated_at": iso_z(rated),
            }
            out.append(record(PLATFORM, "satisfaction_ratings", rid, rated, rated, rating))
            truth.append((PLATFORM, "satisfaction_ratings", str(rid), pid))

    payload = {
        "id": uid,
        "url": f"https://omnihub.zendesk.com/api/v2/users/{uid}.json",
        "name": f"{person.first_name} {person.last_name}",
        "email": the_email,
        "phone": phone,
        "role": "end-user",
        "active": True,
        "verified": the_email is not None,
        "locale": "en-US",
        "time_zone": "Eastern Time (US & Canada)",
        "tags": [],
        "user_fields": {},
        "created_at": iso_z(created),
        "updated_at": iso_z(created),
    }
    out.append(record(PLATFORM, "users", uid, created, created, payload))
    truth.append((PLATFORM, "users", str(uid), pid))
    return out, truth


def cite_orders(person: Person, records: list[Record], ctx: WorldContext) -> None:
    """Fill in "Order number" on this person's tickets about an order, as they
    typed it (#1042, 1042, Order 1042; sometimes a digit wrong): their latest
    Shopify order before the ticket, when they had one. Drawn from its own
    generator, so no other draw of the world moves."""
    orders = sorted(
        (r.created_at, r.payload["name"])
        for r in records
        if r.platform == "shopify" and r.stream == "orders"
    )
    if not orders:
        return
    rng = person_rng(ctx.seed, person.person_id, SALT_ORDERS)
    for r in records:
        if r.platform != PLATFORM or r.stream != "tickets":
            continue
        if r.payload["subject"] not in ORDER_SUBJECTS or rng.random() >= ORDER_CITED:
            continue
        before = [name for at, name in orders if at < r.created_at]
        if not before:
            continue
        number = before[-1].lstrip("#")
        if rng.random() < 0.03:
            i = rng.randrange(len(number))
            number = f"{number[:i]}{(int(number[i]) + rng.randrange(1, 10)) % 10}{number[i + 1 :]}"
        typed = rng.choices((f"#{number}", number, f"Order {number}"), (0.5, 0.35, 0.15))[0]
        r.payload["custom_fields"] = [{"id": ORDER_NUMBER_FIELD, "value": typed}]
