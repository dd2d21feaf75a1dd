"""Generate a world and advance it day by day.

People are rendered in chunks and written as they are made, so memory stays
flat whatever the number of people; every person and every day draws from its
own seeded RNG, so the same seed and the same advances give the same world.
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sandbox.store import Record, TruthStore, WorldStore, format_ts, parse_ts
from sandbox.world.config import NoiseConfig
from sandbox.world.context import WorldContext, iso_offset, shopify_ts
from sandbox.world.people import Person, make_person, person_rng, shared_email
from sandbox.world.platforms import klaviyo, meta_ads, shopify, square, zendesk

RENDERERS = (shopify, square, klaviyo, meta_ads, zendesk)
CHUNK = 5_000
_PEOPLE_SCHEMA = """
create table if not exists people (
    person_id integer primary key, email text, phone text, first_name text, last_name text,
    channels text, household_of integer, bridge integer, first_seen text
);
"""


# Bumped whenever the same (seed, people) would produce a different world, so
# cached worlds (benchmarks keep them under data/bench/) are not reused stale.
# v9: Zendesk tickets cite order numbers, every Shopify customer has a contact;
# v8: homes (Shopify default addresses, Square customer addresses); v7: Klaviyo
# stores addresses trimmed; v6: one account per address
GENERATOR_VERSION = 9


@dataclass
class WorldInfo:
    world_dir: Path
    people: int
    seed: int
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def total_records(self) -> int:
        return sum(self.counts.values())


@dataclass
class AdvanceInfo:
    day: int
    now: str
    new_people: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0


def _context(
    seed: int, start: datetime, days: int, now: datetime, noise: NoiseConfig
) -> WorldContext:
    return WorldContext(
        seed=seed, start=start, now=now, days=days, noise=noise, products=shopify.catalog(seed)
    )


def _render_person(person: Person, ctx: WorldContext) -> tuple[list[Record], list[tuple]]:
    records: list[Record] = []
    truth: list[tuple] = []
    for salt, module in enumerate(RENDERERS, start=1):
        platform = module.__name__.rsplit(".", 1)[-1]
        email = shared_email(person, ctx.seed, ctx.start, ctx.days, ctx.noise, platform)
        recs, t = module.render(person, email, ctx, person_rng(ctx.seed, person.person_id, salt))
        records.extend(recs)
        truth.extend(t)
    zendesk.cite_orders(person, records, ctx)
    return records, truth


def _people_row(p: Person) -> tuple:
    return (
        p.person_id,
        p.email,
        p.phone_e164,
        p.first_name,
        p.last_name,
        ",".join(p.channels),
        p.household_of,
        int(p.bridge),
        format_ts(p.first_seen),
    )


def _write_truth(truth: TruthStore, rows: list[tuple], people: list[Person]) -> None:
    truth.conn.execute("begin")
    truth.put(rows)
    truth.conn.executemany(
        "insert or replace into people values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_people_row(p) for p in people],
    )
    truth.conn.execute("commit")


def _write(
    world: WorldStore,
    truth: TruthStore,
    records: list[Record],
    rows: list[tuple],
    people: list[Person],
    seq: int,
    counts: dict[tuple[str, str], int],
) -> int:
    with world.transaction():
        seq = world.put_records(records, start_seq=seq)
    _write_truth(truth, rows, people)
    for r in records:
        counts[(r.platform, r.stream)] = counts.get((r.platform, r.stream), 0) + 1
    return seq


def generate(
    world_dir: str | Path,
    people: int = 1000,
    seed: int = 7,
    start_date: date = date(2026, 5, 1),
    days: int = 180,
    noise: NoiseConfig | None = None,
) -> WorldInfo:
    """Write a fresh world of `people` people into `world_dir` (replacing any there)."""
    started = time.perf_counter()
    noise = noise or NoiseConfig()
    world_dir = Path(world_dir)
    if world_dir.exists():
        shutil.rmtree(world_dir)
    start = datetime(start_date.year, start_date.month, start_date.day, tzinfo=UTC)
    now = start + timedelta(days=days)
    ctx = _context(seed, start, days, now, noise)
    info = WorldInfo(world_dir=world_dir, people=people, seed=seed)

    with WorldStore(world_dir, create=True) as world, TruthStore(world_dir, create=True) as truth:
        world.conn.execute("pragma synchronous=off")
        truth.conn.execute("pragma synchronous=off")
        # Bulk load first, index after: maintaining the secondary indexes row by
        # row is what makes large worlds slow (random B-tree inserts).
        indexes = world.conn.execute(
            "select name, sql from sqlite_master where type = 'index' "
            "and tbl_name = 'records' and sql is not null"
        ).fetchall()
        for name, _ in indexes:
            world.conn.execute(f"drop index {name}")
        truth.conn.executescript(_PEOPLE_SCHEMA)
        with world.transaction():
            for key, value in {
                "seed": seed,
                "people": people,
                "start_date": start_date.isoformat(),
                "days": days,
                "day": days,
                "now": format_ts(now),
                "next_person_id": people,
                "noise": json.dumps(dataclasses.asdict(noise)),
                "generator_version": GENERATOR_VERSION,
            }.items():
                world.set_meta(key, value)
        catalog = (
            shopify.product_records(ctx)
            + klaviyo.catalog_records(ctx)
            + square.location_records(ctx)
            + meta_ads.catalog_records(ctx)
        )
        seq = _write(world, truth, catalog, [], [], 1, info.counts)
        for first in range(0, people, CHUNK):
            records: list[Record] = []
            rows: list[tuple] = []
            chunk = [
                make_person(seed, pid, start, days, noise)
                for pid in range(first, min(people, first + CHUNK))
            ]
            for person in chunk:
                recs, t = _render_person(person, ctx)
                records.extend(recs)
                rows.extend(t)
            seq = _write(world, truth, records, rows, chunk, seq, info.counts)
        for _, sql in indexes:
            world.conn.execute(sql)
    info.elapsed_s = time.perf_counter() - started
    return info


# -- advancing the clock ---------------------------------------------------------


def _noise(world: WorldStore) -> NoiseConfig:
    raw = world.get_meta("noise")
    return NoiseConfig(**json.loads(raw)) if raw else NoiseConfig()


def _new_order(
    world: WorldStore, ctx: WorldContext, person: Person, rng: random.Random, at: datetime
) -> tuple[list[Record], list[tuple]]:
    """A returning customer orders again: the order, and the customer's counters move."""
    cid = str(shopify.customer_id(person.person_id))
    current = world.get_record("shopify", "customers", cid)
    if current is None or current.deleted:
        return [], []
    customer = dict(current.payload)
    k = int(customer.get("orders_count") or 0)
    if k >= 63:
        return [], []
    order = shopify.build_order(rng, ctx, person, customer.get("email"), k, at)
    customer["orders_count"] = k + 1
    customer["total_spent"] = f"{float(customer.get('total_spent') or 0) + order.spent:.2f}"
    customer["updated_at"] = shopify_ts(at)
    updated = Record("shopify", "customers", cid, current.created_at, format_ts(at), customer)
    return [*order.records, updated], order.truth


def advance(world_dir: str | Path, days: int = 1) -> AdvanceInfo:
    """Move the world's clock forward, creating, updating and deleting records in the new days."""
    info: AdvanceInfo | None = None
    for _ in range(days):
        info = _advance_one_day(Path(world_dir))
    assert info is not None
    return info


def _advance_one_day(world_dir: Path) -> AdvanceInfo:
    with WorldStore(world_dir) as world, TruthStore(world_dir) as truth:
        truth.conn.executescript(_PEOPLE_SCHEMA)
        seed = int(world.get_meta("seed") or 0)
        start_d = date.fromisoformat(world.get_meta("start_date") or "2026-05-01")
        start = datetime(start_d.year, start_d.month, start_d.day, tzinfo=UTC)
        span = int(world.get_meta("days") or 180)
        day = int(world.get_meta("day") or span)
        people = int(world.get_meta("people") or 0)
        next_pid = int(world.get_meta("next_person_id") or people)
        noise = _noise(world)
        day_start = parse_ts(world.now())
        day_end = day_start + timedelta(days=1)
        ctx = _context(seed, start, span, day_end, noise)
        rng = random.Random(seed * 104_729 + day)
        info = AdvanceInfo(day=day + 1, now=format_ts(day_end))

        records: list[Record] = []
        rows: list[tuple] = []
        newcomers: list[Person] = []
        for pid in range(next_pid, next_pid + max(1, people // 250)):
            person = make_person(seed, pid, start, span, noise)
            person = dataclasses.replace(
                person, first_seen=ctx.moment(rng, day_start, day_end - timedelta(hours=2))
            )
            newcomers.append(person)
            recs, t = _render_person(person, ctx)
            records.extend(recs)
            rows.extend(t)
        info.new_people = len(newcomers)
        info.created += len(records)

        for pid in rng.sample(range(next_pid), min(next_pid, max(1, next_pid // 80))):
            person = make_person(seed, pid, start, span, noise)
            if person.online:
                order, truth_rows = _new_order(
                    world, ctx, person, rng, ctx.moment(rng, day_start, day_end)
                )
                if order:
                    records.extend(order)
                    rows.extend(truth_rows)
                    info.created += 1
                    info.updated += 1

        # Tickets get worked on: some open ones are solved today.
        for tid, payload in world.conn.execute(
            "select id, payload from records where platform = 'zendesk' and stream = 'tickets' "
            "and deleted = 0 and json_extract(payload, '$.status') in ('new', 'open', 'pending') "
            "order by id limit ?",
            (max(1, people // 400),),
        ).fetchall():
            at = ctx.moment(rng, day_start, day_end)
            ticket = json.loads(payload)
            ticket.update(status="solved", updated_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
            current = world.get_record("zendesk", "tickets", tid)
            assert current is not None
            ticket["metric_set"] = zendesk.metric_set(
                ticket, zendesk.parse_z(ticket["created_at"]), at, seed
            )
            records.append(
                Record("zendesk", "tickets", tid, current.created_at, format_ts(at), ticket)
            )
            info.updated += 1

        # Some subscribers unsubscribe (consent changes on the profile).
        for kid, payload, created in world.conn.execute(
            "select id, payload, created_at from records where platform = 'klaviyo' "
            "and stream = 'profiles' and deleted = 0 and json_extract(payload, "
            "'$.attributes.subscriptions.email.marketing.consent') = 'SUBSCRIBED' "
            "order by seq desc limit ?",
            (max(1, people // 500),),
        ).fetchall():
            at = ctx.moment(rng, day_start, day_end)
            profile = json.loads(payload)
            marketing = profile["attributes"]["subscriptions"]["email"]["marketing"]
            marketing.update(
                consent="UNSUBSCRIBED",
                can_receive_email_marketing=False,
                consent_timestamp=iso_offset(at),
            )
            profile["attributes"]["updated"] = iso_offset(at)
            records.append(Record("klaviyo", "profiles", kid, created, format_ts(at), profile))
            info.updated += 1

        # Deletions: a Zendesk user deleted, a Shopify customer redacted.
        for platform, stream in (("zendesk", "users"), ("shopify", "customers")):
            row = world.conn.execute(
                "select id, created_at, payload from records where platform = ? and stream = ? "
                "and deleted = 0 order by seq limit 1 offset ?",
                (platform, stream, rng.randrange(max(1, people // 10))),
            ).fetchone()
            if row:
                at = ctx.moment(rng, day_start, day_end)
                records.append(
                    Record(
                        platform, stream, row[0], row[1], format_ts(at), json.loads(row[2]), True
                    )
                )
                info.deleted += 1

        records.extend(meta_ads.insights_for_days(ctx, rng, day, day + 1))
        with world.transaction():
            world.put_records(records)
            world.set_meta("now", format_ts(day_end))
            world.set_meta("day", day + 1)
            world.set_meta("next_person_id", next_pid + len(newcomers))
        _write_truth(truth, rows, newcomers)
        return info
