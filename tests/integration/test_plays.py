"""The cross-channel plays (issue 10) end to end on a sandbox world.

A 300-person world is ingested from the emulator through the real connectors,
dbt runs once as of 45 days ago (so customer_health_history holds an earlier
day) and then builds everything as of the world's clock; every play's sync
declaration is run by the real engine against the emulator over HTTP, twice.
Then what the emulator holds is read back and compared with the models, and,
where the world knows the answer, with the world's ground truth (for the people
identity resolution got exactly right). A property-based test then drives the
plays' own declarations through the gate with arbitrary consent and checks no
person leaves without the consent their channel needs.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from math import floor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.sync.engine import SyncResult, run_sync
from connectors.sync.gate import ALL_LISTS, CONSENT_LIST, DESTINATION_LISTS
from orchestration.defs.activation.declarations import SyncDeclaration, load_declarations
from orchestration.defs.activation.factory import _rows, _spec
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from sandbox.world import generate
from tests.integration import audience_truth
from tests.integration.pipeline import PROJECT, ingest_world, run_dbt
from tests.integration.sync_world import gate_relations
from warehouse import Warehouse

PEOPLE = 300
PLAYS = {
    "email_active_subscribers": 3,
    "email_dormant_subscribers": 3,
    "email_unopened_retargeting": 3,
    "lookalike_seed_value": 4,
    "store_customer_context": 6,
    "support_customer_context": 7,
    "customer_health": 8,
    "at_risk_customers": 8,
}


# What the plays and the gate need, and nothing else (models being written
# elsewhere in the project cannot break this test); tests only on selected models.
SELECTED = [
    *(f"+{model}" for model in PLAYS),
    *(f"+{name}" for name in ALL_LISTS),
]


@dataclass
class Played:
    warehouse: Warehouse
    emulator: EmulatorServer
    world_dir: Path
    world: audience_truth.World
    whole: dict[str, int]
    """customer_id -> person, for customers that are exactly one whole person."""
    declarations: list[SyncDeclaration]
    first: dict[str, SyncResult]
    second: dict[str, SyncResult]


def _sql(warehouse: Warehouse, sql: str) -> list[dict[str, Any]]:
    with warehouse.transaction() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql))]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sync_all(declarations: list[SyncDeclaration], wh: Warehouse, env: dict[str, str]) -> dict:
    results = {}
    for declaration in declarations:
        module = __import__(
            f"connectors.{declaration.destination}.destination", fromlist=["make_destination"]
        )
        spec = _spec(declaration)
        destination = module.make_destination(spec, env)
        results[spec.name] = run_sync(spec, list(_rows(wh, declaration)), destination, wh)
    return results


def _whole_people(wh: Warehouse, world: audience_truth.World) -> dict[str, int]:
    customer_of = {
        r["record_key"]: r["customer_id"]
        for r in _sql(
            wh,
            "select record_key, customer_id from intermediate.int_identity__assignments "
            "where is_current",
        )
    }
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


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    base = tmp_path_factory.mktemp("plays")
    world_dir = base / "world"
    generate(world_dir, people=PEOPLE, seed=7)
    warehouse = Warehouse.duckdb(base / "warehouse.duckdb")
    with EmulatorServer(world_dir) as server:
        with WorldStore(world_dir) as store:
            now = store.now()
        env = {**server.env(), "OMNIHUB_AS_OF": now, "OMNIHUB_DATA_DIR": str(base)}
        ingest_world(env, warehouse)
        earlier = audience_truth.ts(now) - timedelta(days=45)  # type: ignore[operator]
        before = {**env, "OMNIHUB_AS_OF": earlier.strftime("%Y-%m-%dT%H:%M:%SZ")}
        run_dbt(warehouse, before, "seed")
        run_dbt(warehouse, before, "run", "--select", *SELECTED)
        run_dbt(warehouse, env, "build", "--select", *SELECTED, "--indirect-selection", "cautious")
        declarations = [
            d for d in load_declarations(PROJECT / "target" / "manifest.json") if d.model in PLAYS
        ]
        first = _sync_all(declarations, warehouse, server.env())
        second = _sync_all(declarations, warehouse, server.env())
        world = audience_truth.load(world_dir)
        yield Played(
            warehouse,
            server,
            world_dir,
            world,
            _whole_people(warehouse, world),
            declarations,
            first,
            second,
        )
    warehouse.dispose()


def _store(played: Played) -> WorldStore:
    return WorldStore(played.world_dir)


def _gated(played: Played, destination: str) -> set[str]:
    lists = [
        "suppress_erased",
        *([CONSENT_LIST[c]] if (c := _channel(destination)) else []),
        *DESTINATION_LISTS.get(destination, ()),
    ]
    return {
        r["customer_id"]
        for name in lists
        for r in _sql(played.warehouse, f"select customer_id from suppressions.{name}")
    }


def _channel(destination: str) -> str | None:
    return {"klaviyo": "email", "meta_ads": "ads"}.get(destination)


# -- every play ----------------------------------------------------------------


def test_every_play_is_declared_synced_and_silent_on_a_rerun(played: Played) -> None:
    assert {d.model for d in played.declarations} == set(PLAYS)
    for name, result in played.first.items():
        print(
            f"{name}: {result.confirmed} confirmed, {result.skipped} skipped, "
            f"{result.api_calls} calls"
        )
        assert result.rejected == 0, name
    for name, result in played.second.items():
        # rows skipped as unaddressable are planned again, but nothing is called or written
        assert result.api_calls == 0 and result.confirmed == 0, name
        assert result.planned_removes == result.planned_updates == 0, name
    assert sum(r.confirmed for r in played.first.values()) > 300


# -- play 3: email-informed Meta audiences ----------------------------------------


def _meta_members(played: Played, name: str) -> set[tuple[str, str]]:
    with _store(played) as world:
        [audience_id] = world.audiences_named("meta_ads", name)
        return set(world.members("meta_ads", audience_id))


def _strongest(row: dict[str, Any]) -> tuple[str, str] | None:
    """The member Meta keeps for a row: its email's hash, else its phone's
    (None: nothing Meta can match on, so the row is skipped)."""
    if row["email"] and "@" in row["email"]:
        return ("EMAIL", _sha(row["email"].strip().lower()))
    if row["phone_e164"]:
        return ("PHONE", _sha(row["phone_e164"].lstrip("+")))
    return None


@pytest.mark.parametrize(
    ("model", "audience"),
    [
        ("email_active_subscribers", "omnihub-email-active"),
        ("email_dormant_subscribers", "omnihub-email-dormant"),
        ("email_unopened_retargeting", "omnihub-email-unopened"),
        ("lookalike_seed_value", "omnihub-lookalike-seed-value"),
    ],
)
def test_meta_audience_holds_the_model_after_the_gate(
    played: Played, model: str, audience: str
) -> None:
    gated = _gated(played, "meta_ads")
    rows = _sql(played.warehouse, f"select * from audiences.{model}")
    passed = [_strongest(r) for r in rows if r["customer_id"] not in gated]
    wanted = {m for m in passed if m is not None}
    assert wanted, f"{model}: nobody passes the gate; the test would prove nothing"
    held = _meta_members(played, audience)
    assert {m for m in held if m[0] in ("EMAIL", "PHONE")} == wanted
    # rows with names only are matched on their combination (FN+LN): one member each
    assert len([m for m in held if m[0] not in ("EMAIL", "PHONE")]) == passed.count(None)


def _klaviyo_events(played: Played) -> dict[int, list[tuple[str, Any]]]:
    """person -> (metric id, time) of their Klaviyo email events, from the world."""
    world = sqlite3.connect(played.world_dir / "world.sqlite")
    truth = sqlite3.connect(played.world_dir / "truth.sqlite")
    owner = dict(
        ((r[0]), r[1])
        for r in truth.execute(
            "select id, person_id from record_person "
            "where platform = 'klaviyo' and stream = 'events'"
        )
    )
    events: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for rid, text in world.execute(
        "select id, payload from records where platform = 'klaviyo' and stream = 'events' "
        "and deleted = 0"
    ):
        if rid in owner:
            payload = json.loads(text)
            metric = payload["relationships"]["metric"]["data"]["id"]
            events[owner[rid]].append(
                (metric, audience_truth.ts(payload["attributes"]["datetime"]))
            )
    return events


def test_active_and_dormant_members_are_what_the_world_says(played: Played) -> None:
    """For people resolved exactly: an active subscriber opened or clicked in the
    last 30 days by the world's own events; a dormant one did neither for 90 days
    and was mailed before that. Nobody is both."""
    events = _klaviyo_events(played)
    as_of = played.world.as_of
    v = played.world.var
    checked = 0
    active = {
        r["customer_id"]
        for r in _sql(
            played.warehouse, "select customer_id from audiences.email_active_subscribers"
        )
    }
    dormant = {
        r["customer_id"]
        for r in _sql(
            played.warehouse, "select customer_id from audiences.email_dormant_subscribers"
        )
    }
    assert not active & dormant
    for customer in active | dormant:
        person = played.whole.get(customer)
        if person is None:
            continue
        engaged = [t for m, t in events[person] if m in ("OpnEml", "ClkEml") and t <= as_of]
        received = [t for m, t in events[person] if m == "RcvEml" and t <= as_of]
        if customer in active:
            assert max(engaged) > as_of - timedelta(days=v("email_active_days")), customer
        else:
            window = as_of - timedelta(days=v("email_dormant_days"))
            assert all(t <= window for t in engaged) and min(received) <= window, customer
        checked += 1
    assert checked >= 5


# -- play 4: the value-based lookalike seed --------------------------------------


def _truth_value_cents(played: Played) -> dict[int, dict[str, int]]:
    truth = sqlite3.connect(played.world_dir / "truth.sqlite")
    cents: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for person, channel, net in truth.execute("select person_id, channel, net_cents from orders"):
        cents[person][channel] += net
    return cents


def test_value_based_seed_carries_each_members_true_lifetime_value(played: Played) -> None:
    with _store(played) as world:
        [audience_id] = world.audiences_named("meta_ads", "omnihub-lookalike-seed-value")
        assert world.get_audience("meta_ads", audience_id)["payload"]["is_value_based"] is True  # type: ignore[index]
        values = world.member_values("meta_ads", audience_id)
    truth = _truth_value_cents(played)
    gated = _gated(played, "meta_ads")
    rows = [
        r
        for r in _sql(played.warehouse, "select * from audiences.lookalike_seed_value")
        if r["customer_id"] not in gated
    ]
    assert rows and len(values) == len(rows)  # every member carries a value
    rows = [r for r in rows if _strongest(r) is not None]
    checked = 0
    for row in rows:
        assert values[_strongest(row)] == pytest.approx(float(row["lookalike_value"]))
        person = played.whole.get(row["customer_id"])
        if person is not None:
            assert round(values[_strongest(row)] * 100) == sum(truth[person].values())
            checked += 1
    assert checked >= 3


# -- play 6: online context in the store -------------------------------------------


def _tier(points: int, world: audience_truth.World) -> str:
    for tier in world.var("loyalty_tiers"):
        if points >= tier["min_points"]:
            return tier["name"]
    return world.var("loyalty_base_tier")


def test_square_profiles_carry_the_true_tier_and_online_value(played: Played) -> None:
    truth = _truth_value_cents(played)
    world_db = sqlite3.connect(played.world_dir / "world.sqlite")
    truth_db = sqlite3.connect(played.world_dir / "truth.sqlite")
    owner = dict(
        truth_db.execute(
            "select id, person_id from record_person where platform = 'square' "
            "and stream = 'loyalty_accounts'"
        ).fetchall()
    )
    store_points: dict[int, int] = defaultdict(int)
    for rid, text in world_db.execute(
        "select id, payload from records "
        "where platform = 'square' and stream = 'loyalty_accounts' and deleted = 0"
    ):
        if rid in owner:
            store_points[owner[rid]] += int(json.loads(text).get("lifetime_points") or 0)
    attributes: dict[str, dict[str, Any]] = defaultdict(dict)
    for (text,) in world_db.execute(
        "select payload from records where platform = 'square' "
        "and stream = 'customer_custom_attributes' and deleted = 0"
    ):
        payload = json.loads(text)
        attributes[payload["customer_id"]][payload["key"]] = payload["value"]
    rows = _sql(played.warehouse, "select * from audiences.store_customer_context")
    assert rows
    checked = 0
    for row in rows:
        held = attributes[row["square_customer_id"]]
        assert held["loyalty_tier"] == row["loyalty_tier"]
        person = played.whole.get(row["customer_id"])
        if person is None:
            continue
        online = truth[person].get("web", 0)
        assert round(float(held["online_lifetime_value"]) * 100) == online
        points = store_points[person] + floor(
            online / 100 * played.world.var("online_points_per_currency_unit")
        )
        assert held["loyalty_tier"] == _tier(points, played.world), row["customer_id"]
        assert held.get("recent_cart_products") == row["recent_cart_products"]
        checked += 1
    assert checked >= 0.8 * len([r for r in rows if r["customer_id"] in played.whole]) > 20


# -- plays 7 and 8: Zendesk context, health everywhere, at risk ---------------------


def test_zendesk_users_carry_the_whole_customer(played: Played) -> None:
    truth = _truth_value_cents(played)
    rows = _sql(played.warehouse, "select * from audiences.support_customer_context")
    assert rows
    with _store(played) as world:
        for key in ("customer_since", "long_standing_customer", "lifetime_value", "health_score"):
            assert len(world.named("zendesk", "user_fields", key)) == 1, key
        checked = 0
        for row in rows:
            fields = world.get_record("zendesk", "users", row["zendesk_user_id"]).payload[
                "user_fields"
            ]  # type: ignore[union-attr]
            assert fields["health_score"] == row["health_score"]
            assert fields["health_band"] == row["health_band"]
            assert fields["loyalty_tier"] == row["loyalty_tier"]
            assert fields["long_standing_customer"] is bool(row["long_standing_customer"])
            assert fields["customer_since"] == row["customer_since"].date().isoformat()
            person = played.whole.get(row["customer_id"])
            if person is not None:
                assert round(float(fields["lifetime_value"]) * 100) == sum(truth[person].values())
                checked += 1
    assert checked >= 10


def test_health_reaches_klaviyo_profiles_with_email_consent_only(played: Played) -> None:
    gated = _gated(played, "klaviyo")
    rows = _sql(
        played.warehouse,
        "select * from audiences.customer_health where klaviyo_profile_id is not null",
    )
    # Klaviyo finds a profile by email: one that two customers share (identity kept
    # them apart) is written for the one who consented; only such a profile may
    # carry a gated customer's score.
    everyone = _sql(played.warehouse, "select customer_id, email from audiences.customer_health")
    sent_emails = {
        r["email"].strip().lower() for r in everyone if r["customer_id"] not in gated and r["email"]
    }
    with _store(played) as world:
        written = sent = 0
        for row in rows:
            profile = world.get_record("klaviyo", "profiles", row["klaviyo_profile_id"])
            properties = (profile.payload["attributes"].get("properties") or {}) if profile else {}
            if row["customer_id"] in gated:
                email = (profile.payload["attributes"].get("email") if profile else "") or ""
                if email.strip().lower() not in sent_emails:
                    assert "health_score" not in properties, row["customer_id"]
            else:
                sent += 1
                written += (
                    properties.get("health_score") == row["health_score"]
                    and properties.get("health_band") == row["health_band"]
                )
    assert sent and written == sent


def test_at_risk_is_the_valuable_whose_health_fell(played: Played) -> None:
    """An independent reading of the rule over the history table."""
    history = _sql(
        played.warehouse,
        "select customer_id, scored_on, health_score from customers.customer_health_history",
    )
    days = sorted({r["scored_on"] for r in history})
    assert len(days) == 2  # the run 45 days ago and today's build
    by_day = {(r["customer_id"], r["scored_on"]): r["health_score"] for r in history}
    value = {
        r["customer_id"]: r["lifetime_value"]
        for r in _sql(
            played.warehouse, "select customer_id, lifetime_value from customers.customers"
        )
    }
    v = played.world.var
    expected = {
        c
        for (c, day), score in by_day.items()
        if day == days[1]
        and (c, days[0]) in by_day
        and by_day[(c, days[0])] - score >= v("health_fall_points")
        and value[c] >= v("at_risk_min_value")
    }
    erased = {
        r["customer_id"]
        for r in _sql(played.warehouse, "select customer_id from suppressions.suppress_erased")
    }
    got = {
        r["customer_id"]
        for r in _sql(played.warehouse, "select customer_id from audiences.at_risk_customers")
    }
    assert got == expected - erased
    assert expected, "nobody's health fell in 45 days: the test would prove nothing"
    zendesk = {
        r["zendesk_user_id"]
        for r in _sql(
            played.warehouse,
            "select zendesk_user_id from audiences.at_risk_customers "
            "where zendesk_user_id is not null",
        )
    }
    with _store(played) as world:
        assert set(world.tagged("zendesk", "users", "omnihub_at_risk")) == zendesk


# -- property: consent, whatever it is ------------------------------------------------

PEOPLE_IN_EXAMPLE = 6


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    consent=st.lists(
        st.tuples(st.booleans(), st.booleans(), st.booleans()),
        min_size=PEOPLE_IN_EXAMPLE,
        max_size=PEOPLE_IN_EXAMPLE,
    ),
    which=st.sampled_from(
        ["email_active_subscribers", "lookalike_seed_value", "customer_health", "at_risk_customers"]
    ),
)
def test_no_play_pushes_anyone_without_their_channels_consent(
    played: Played, consent: list[tuple[bool, bool, bool]], which: str
) -> None:
    """Each person: (email consent, ads consent, erased). Through the play's own
    declaration (its real fields and destination), the real gate and engine and
    the emulator over HTTP: only people with their channel's consent, and never
    anyone erased, arrive."""
    [declaration] = [
        d
        for d in played.declarations
        if d.model == which and d.destination in ("klaviyo", "meta_ads")
    ]
    spec = _spec(declaration)
    salt = uuid.uuid4().hex  # fresh every example (a drawn one would repeat while shrinking)
    spec = type(spec)(
        **{**spec.__dict__, "name": f"{spec.name}:{salt}", "target": f"{spec.target}-{salt}"}
    )
    rows = [
        {
            "customer_id": f"p{i}",
            "email": f"Person.{i}.{salt}@example.com",
            "phone_e164": None,
            "first_name": "Ana",
            "last_name": "Lee",
            "klaviyo_profile_id": None,
            "lookalike_value": 10 * i,
            "health_score": 50 + i,
            "health_band": "watch",
            "previous_health_score": 90,
        }
        for i in range(PEOPLE_IN_EXAMPLE)
    ]
    allowed_list = CONSENT_LIST[_channel(declaration.destination) or "email"]
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse.duckdb(Path(tmp) / "wh.duckdb")
        gate_relations(wh, [r["customer_id"] for r in rows])
        with wh.transaction() as conn:
            for name in ("suppress_recent_purchasers", "suppress_open_ticket_promo_hold"):
                conn.execute(sa.text(f"create table suppressions.{name} (customer_id varchar)"))
            for i, (email_ok, ads_ok, erased) in enumerate(consent):
                refused = {
                    "suppress_email_unconsented": not email_ok,
                    "suppress_ads_unconsented": not ads_ok,
                    "suppress_erased": erased,
                }
                for name, on in refused.items():
                    if on:
                        conn.execute(
                            sa.text(f"insert into suppressions.{name} values (:c)"), {"c": f"p{i}"}
                        )
        module = __import__(f"connectors.{declaration.destination}.destination", fromlist=["x"])
        run_sync(spec, rows, module.make_destination(spec, played.emulator.env()), wh)
        wh.dispose()
    ok = {
        i
        for i, (email_ok, ads_ok, erased) in enumerate(consent)
        if not erased and (email_ok if allowed_list.startswith("suppress_email") else ads_ok)
    }
    emails = {i: rows[i]["email"].strip().lower() for i in range(PEOPLE_IN_EXAMPLE)}
    with _store(played) as world:
        if declaration.destination == "meta_ads":
            ids = world.audiences_named("meta_ads", spec.target)  # created on the first send
            members = set(world.members("meta_ads", ids[0])) if ids else set()
            arrived = {i for i, e in emails.items() if ("EMAIL", _sha(e)) in members}
        else:
            sent = " ".join(w["body"] or "" for w in world.writes("klaviyo")).lower()
            arrived = {i for i, e in emails.items() if e in sent}
    assert arrived == ok
