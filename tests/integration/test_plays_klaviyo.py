"""The Klaviyo-side cross-channel plays on a real build of a sandbox world, synced
by the real engine to the emulator over HTTP, read back from what the emulator
holds and compared with the world's own records and ground truth:

- play 1: every consenting lead is in the "new leads" list and subscribed (by
  the address the form captured), no lead whose form said no is subscribed, and
  after the world moves on a day, one run of the hourly lead path brings the
  day's new leads in too;
- play 2: the welcome properties are the world's last ad touch before subscribing;
- play 5: the in-store follow-up list is the world's consenting store buyers;
- play 9: what the profiles hold is the content-interest model;
- an immediate rerun of every play makes no write call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.sync.engine import SyncResult, SyncSpec, run_sync
from orchestration.defs.activation.declarations import SyncDeclaration, load_declarations
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from sandbox.world import advance, generate
from tests.integration import audience_truth, play_truth
from tests.integration.pipeline import PROJECT, STREAMS, ingest_world, run_dbt, world_env
from warehouse import Landing, Warehouse

PEOPLE = 300
PLAYS = (
    "new_social_leads",
    "social_lead_subscriptions",
    "ad_informed_welcome",
    "store_purchase_followup",
    "content_interest",
)
LEAD_PLAYS = ("new_social_leads", "social_lead_subscriptions")
NEW_LEADS_LIST = "omnihub-new-leads"
FOLLOWUP_LIST = "omnihub-store-followup"


@dataclass
class Played:
    warehouse: Warehouse
    server: EmulatorServer
    env: dict[str, str]
    world_dir: Path
    first: dict[str, SyncResult]
    rerun: dict[str, SyncResult]
    writes_after_first: int
    writes_after_rerun: int


def _declarations(models: tuple[str, ...]) -> list[SyncDeclaration]:
    found = load_declarations(PROJECT / "target" / "manifest.json")
    return [d for d in found if d.model in models]


def _sync(warehouse: Warehouse, env: dict[str, str], models: tuple[str, ...]) -> dict:
    """Each play's sync as its Dagster asset runs it: the model's rows, the real
    engine and gate, the platform's real adapter (pacing off: a small world)."""
    from connectors.klaviyo.destination import make_destination

    results = {}
    for d in _declarations(models):
        with warehouse.transaction() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(sa.text(f"select {', '.join(d.columns)} from {d.relation}"))
            ]
        spec = SyncSpec(
            d.sync_name, d.destination, d.object, d.name, d.mode, d.key, d.fields, d.suppressions
        )  # type: ignore[arg-type]
        destination = make_destination(spec, env)
        destination.client._bucket = None
        results[d.model] = run_sync(spec, rows, destination, warehouse)
    return results


def _write_count(server: EmulatorServer) -> int:
    with WorldStore(server.world_dir) as world:
        return len(world.writes("klaviyo"))


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    base = tmp_path_factory.mktemp("plays")
    world_dir = base / "world"
    generate(world_dir, people=PEOPLE, seed=13)
    warehouse = Warehouse.duckdb(base / "warehouse.duckdb")
    with EmulatorServer(world_dir) as server:
        env = {**world_env(server), "OMNIHUB_DATA_DIR": str(base)}
        ingest_world(env, warehouse)
        run_dbt(warehouse, env, "build")
        first = _sync(warehouse, env, PLAYS)
        writes_after_first = _write_count(server)
        rerun = _sync(warehouse, env, PLAYS)
        yield Played(
            warehouse,
            server,
            env,
            world_dir,
            first,
            rerun,
            writes_after_first,
            _write_count(server),
        )
    warehouse.dispose()


def _held_back(played: Played) -> set[int]:
    """People Klaviyo cannot be sent: their email is another customer's profile
    (suppress_klaviyo_address_taken, applied by the gate to every Klaviyo sync)."""
    whole = _exactly_resolved(played)
    with played.warehouse.transaction() as conn:
        taken = set(
            conn.execute(
                sa.text("select customer_id from suppressions.suppress_klaviyo_address_taken")
            ).scalars()
        )
    return {person for customer, person in whole.items() if customer in taken}


def _exactly_resolved(played: Played) -> dict[str, int]:
    """customer_id -> person for customers that are exactly one whole person."""
    world = audience_truth.load(played.world_dir)
    with played.warehouse.transaction() as conn:
        customer_of = dict(
            conn.execute(
                sa.text(
                    "select record_key, customer_id from intermediate.int_identity__assignments "
                    "where is_current"
                )
            ).all()
        )
    records_of: dict[str, set[str]] = defaultdict(set)
    for record, customer in customer_of.items():
        records_of[customer].add(record)
    whole: dict[str, int] = {}
    for person_id, person in world.people.items():
        customers = {customer_of.get(r) for r in person.records}
        if person.lost_a_record or len(customers) != 1 or None in customers:
            continue
        (customer,) = customers
        if records_of[customer] == person.records:
            whole[customer] = person_id
    return whole


def _profiles(played: Played) -> dict[str, dict]:
    with WorldStore(played.world_dir) as world:
        return {
            r[0]: __import__("json").loads(r[1])
            for r in world.conn.execute(
                "select id, payload from records where platform = 'klaviyo' "
                "and stream = 'profiles' and deleted = 0"
            )
        }


def _list_profiles(played: Played, name: str) -> set[str]:
    with WorldStore(played.world_dir) as world:
        [record] = world.named("klaviyo", "lists", name)
        return {key for _, key in world.members("klaviyo", record.id, "profile")}


def _person_of_profile(played: Played) -> dict[str, int]:
    """Klaviyo profile -> person: the world's own profiles by ground truth, the
    ones our syncs created by the lead address they were created with."""
    world = play_truth.load(played.world_dir)
    import sqlite3

    truth = sqlite3.connect(played.world_dir / "truth.sqlite")
    owner = dict(
        truth.execute(
            "select id, person_id from record_person where platform = 'klaviyo' "
            "and stream = 'profiles'"
        ).fetchall()
    )
    # a profile our syncs created carries the customer's best address: the
    # warehouse names the customer, ground truth the person (exactly resolved only)
    whole = _exactly_resolved(played)
    with played.warehouse.transaction() as conn:
        customer_of_email = dict(
            conn.execute(
                sa.text(
                    "select lower(trim(email)), min(customer_id) from customers.customers "
                    "where email is not null group by 1 having count(*) = 1"
                )
            ).all()
        )
    for pid, payload in _profiles(played).items():
        email = (payload["attributes"].get("email") or "").strip().lower()
        if pid in owner:
            continue
        if email in world.lead_person:
            owner[pid] = world.lead_person[email]
        elif customer_of_email.get(email) in whole:
            owner[pid] = whole[customer_of_email[email]]
    return owner


def _subscribed_by_us(played: Played) -> dict[str, str]:
    """Lowercased address -> consented_at, from every Bulk Subscribe call made."""
    return {email: at for email, (at, _) in _subscriptions_sent(played).items()}


def _subscriptions_sent(played: Played) -> dict[str, tuple[str, str | None]]:
    """Lowercased address -> (consented_at, the profile id sent with it, if any:
    the person's profile at that address, canonically, e.g. gmail's dots)."""
    import json

    out: dict[str, tuple[str, str | None]] = {}
    with WorldStore(played.world_dir) as world:
        for write in world.writes("klaviyo"):
            if "profile-subscription-bulk-create-jobs" not in write["path"]:
                continue
            body = write["body"] if isinstance(write["body"], dict) else json.loads(write["body"])
            for profile in body["data"]["attributes"]["profiles"]["data"]:
                marketing = profile["attributes"]["subscriptions"]["email"]["marketing"]
                out[profile["attributes"]["email"].strip().lower()] = (
                    marketing.get("consented_at", ""),
                    profile.get("id"),
                )
    return out


def _naive(text: str) -> datetime:
    return audience_truth.ts(text)  # type: ignore[return-value]


# -- play 1 ------------------------------------------------------------------------


def test_every_consenting_lead_is_a_new_leads_member(played: Played) -> None:
    whole = _exactly_resolved(played)
    people_whole = set(whole.values())
    world = play_truth.load(played.world_dir)
    want = play_truth.new_leads(world) & people_whole
    owner = _person_of_profile(played)
    got = {owner.get(p) for p in _list_profiles(played, NEW_LEADS_LIST)} & people_whole
    print(f"new leads: {len(got)} of the exactly-resolved people, the world says {len(want)}")
    assert want, "no consenting lead in the window: the test would prove nothing"
    assert got == want, (sorted(got - want)[:5], sorted(want - got)[:5])
    # the form, campaign and ad are on each member's profile
    profiles = _profiles(played)
    for profile_id in _list_profiles(played, NEW_LEADS_LIST):
        properties = profiles[profile_id]["attributes"]["properties"]
        assert properties["lead_form_id"] and properties["lead_campaign_id"]
        assert properties["lead_ad_id"]


def test_consenting_leads_are_subscribed_by_the_address_they_gave(played: Played) -> None:
    whole = _exactly_resolved(played)
    people_whole = set(whole.values())
    world = play_truth.load(played.world_dir)
    want = {
        pid: email
        for pid, (email, _) in play_truth.subscribed_leads(world).items()
        if pid in people_whole and pid not in _held_back(played)
    }
    sent = _subscribed_by_us(played)
    got = {world.lead_person[e]: e for e in sent if world.lead_person.get(e) in people_whole}
    print(f"subscribed: {len(got)} exactly-resolved leads, the world says {len(want)}")
    assert want and got == want
    # and Klaviyo now holds them subscribed, since the time the form said so
    truth_times = {e: at for e, at in play_truth.subscribed_leads(world).values()}
    profiles = _profiles(played)
    by_email: dict[str, list[dict]] = defaultdict(list)
    for profile in profiles.values():
        by_email[(profile["attributes"].get("email") or "").strip().lower()].append(profile)
    ids = {email: pid for email, (_, pid) in _subscriptions_sent(played).items() if pid}
    for email in want.values():
        # one inbox may have several profiles (a household's): ours is among them;
        # or we subscribed the person's own profile at that address by its id
        candidates = by_email[email] + ([profiles[ids[email]]] if email in ids else [])
        stamps = [
            _naive(m["consent_timestamp"])
            for m in (p["attributes"]["subscriptions"]["email"]["marketing"] for p in candidates)
            if m["consent"] == "SUBSCRIBED" and m.get("method") == "API"
        ]
        assert truth_times[email] in stamps, email


def test_no_lead_whose_form_said_no_is_subscribed(played: Played) -> None:
    world = play_truth.load(played.world_dir)
    sent = _subscribed_by_us(played)
    assert sent
    yes_addresses = {
        (lead.email or "").strip().lower()
        for p in world.people.values()
        for lead in p.leads
        if lead.consent
    }
    assert set(sent) <= yes_addresses
    refused = [
        pid
        for pid, p in world.people.items()
        if p.leads and not any(lead.consent for lead in p.leads)
    ]
    assert refused, "every lead consented: the test would prove nothing"
    for pid in refused:
        for lead in world.people[pid].leads:
            assert (lead.email or "").strip().lower() not in sent, pid
    # nobody who ever unsubscribed is subscribed again by a sync
    for pid, p in world.people.items():
        if p.ever_unsubscribed():
            assert not any((lead.email or "").strip().lower() in sent for lead in p.leads), pid


# -- play 2 ------------------------------------------------------------------------


def test_welcome_properties_are_the_last_ad_touch_before_subscribing(played: Played) -> None:
    whole = _exactly_resolved(played)
    world = play_truth.load(played.world_dir)
    want = play_truth.last_ad_touch(world)
    owner = _person_of_profile(played)
    checked = 0
    got_people = set()
    for profile_id, payload in _profiles(played).items():
        person = owner.get(profile_id)
        properties = payload["attributes"].get("properties") or {}
        if person not in set(whole.values()) or "welcome_touch_type" not in properties:
            continue
        got_people.add(person)
        expected = want[person]
        for key, value in expected.items():
            if key == "welcome_touched_at":
                assert _naive(properties[key]) == value, (person, key)
            else:
                assert properties.get(key) == value, (person, key, properties.get(key), value)
        checked += 1
    held = _held_back(played)
    with_profile = {
        pid
        for pid in want
        if pid in set(whole.values()) and pid in set(owner.values()) and pid not in held
    }
    assert checked and got_people == with_profile, (
        sorted(with_profile - got_people)[:5],
        sorted(got_people - with_profile)[:5],
    )


# -- play 5 ------------------------------------------------------------------------


def test_store_followup_list_is_the_consenting_store_buyers(played: Played) -> None:
    whole = _exactly_resolved(played)
    people_whole = set(whole.values())
    world = play_truth.load(played.world_dir)
    held = {
        pid for pid, p in audience_truth.load(played.world_dir).people.items() if p.open_tickets
    }
    want = play_truth.store_followup(world, held) & people_whole
    owner = _person_of_profile(played)
    got = {owner.get(p) for p in _list_profiles(played, FOLLOWUP_LIST)} & people_whole
    print(f"store follow-up: {len(got)}, the world says {len(want)}")
    assert want and got == want, (sorted(got - want)[:5], sorted(want - got)[:5])
    profiles = _profiles(played)
    for profile_id in _list_profiles(played, FOLLOWUP_LIST):
        assert profiles[profile_id]["attributes"]["properties"]["store_products"]


# -- play 9 ------------------------------------------------------------------------


def test_profiles_hold_the_content_interest(played: Played) -> None:
    # (a profile written for two customers - one by its id, one found by the
    # address they share - holds the last write: those are left out)
    with played.warehouse.transaction() as conn:
        rows = conn.execute(
            sa.text(
                "select i.klaviyo_profile_id, i.content_topic, i.content_topics "
                "from audiences.content_interest as i "
                "inner join customers.customers as c on c.customer_id = i.customer_id "
                "where c.email_marketing_consent and i.klaviyo_profile_id is not null "
                "and lower(trim(i.email)) not in (select lower(trim(email)) "
                "from audiences.content_interest where klaviyo_profile_id is null "
                "and email is not null)"
            )
        ).all()
    profiles = _profiles(played)
    assert rows
    for profile_id, topic, topics in rows:
        properties = profiles[profile_id]["attributes"]["properties"]
        assert properties["content_topic"] == topic and properties["content_topics"] == topics
    topics_seen = {topic for _, topic, _ in rows}
    assert topics_seen - {"Footwear", "Outerwear", "Bags", "Accessories", "Home", "Beauty"} or (
        any("Sustainability" in t or "Product care" in t or "Loyalty" in t for *_, t in rows)
    ), "no email-link topic reached a profile: the clicks were not read"


# -- every play ------------------------------------------------------------------


def test_every_play_sent_something_and_a_rerun_writes_nothing(played: Played) -> None:
    for model in PLAYS:
        assert played.first[model].confirmed > 0, model
        again = played.rerun[model]
        # rows no profile can be found for (no email, phone or id) are planned and
        # skipped again, without a call
        assert (again.planned_updates, again.confirmed, again.api_calls) == (0, 0, 0), model
    assert played.writes_after_rerun == played.writes_after_first


def test_the_gate_held_back_leads_without_email_consent(played: Played) -> None:
    gated = played.first["new_social_leads"].gated
    assert gated.get("suppress_email_unconsented", 0) > 0


# -- the hourly path (last: it moves the world on a day) ---------------------------


def test_one_hourly_run_brings_the_new_days_leads(played: Played) -> None:
    from orchestration.jobs import LEAD_MODELS, LEAD_STREAMS

    before = set(_list_profiles(played, NEW_LEADS_LIST))
    advance(played.world_dir, days=1)
    env = {**played.env, **world_env(played.server)}
    landing = Landing(played.warehouse)
    from connectors.ingest import run_stream

    for platform, name in LEAD_STREAMS:
        assert name in STREAMS[platform]
        module = __import__(f"connectors.{platform}.source", fromlist=["stream"])
        stream = module.stream(name, env)
        stream.client._bucket = None
        run_stream(stream, landing)
    run_dbt(played.warehouse, env, "build", "--select", LEAD_MODELS)
    _sync(played.warehouse, env, LEAD_PLAYS)

    world = play_truth.load(played.world_dir)
    day_start = world.as_of - timedelta(days=1)
    fresh = {
        pid
        for pid, p in world.people.items()
        if p.consents() and any(lead.at > day_start for lead in p.leads)
    }
    assert fresh, "no consenting lead arrived today: the test would prove nothing"
    owner = _person_of_profile(played)
    members = {owner.get(p) for p in _list_profiles(played, NEW_LEADS_LIST)}
    assert fresh <= members, sorted(fresh - members)
    assert set(_list_profiles(played, NEW_LEADS_LIST)) - before
    subscribed = {world.lead_person.get(e) for e in _subscribed_by_us(played)}
    want = {pid for pid in play_truth.subscribed_leads(world) if pid in fresh}
    assert want and want <= subscribed
