"""Property: whatever rows a play's model holds, no play subscribes or pushes
anyone without the consent its channel needs. The real declarations (from the
dbt manifest), the real engine and gate on a real DuckDB; only the vendor is a
recorder, so every row that would have left is seen."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.sync.destination import Destination, Member, Outcome, Row
from connectors.sync.engine import SyncSpec, run_sync
from connectors.sync.gate import required_lists
from orchestration.defs.activation.declarations import load_declarations
from warehouse import Warehouse

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
PLAYS = (
    "new_social_leads",
    "social_lead_subscriptions",
    "ad_informed_welcome",
    "store_purchase_followup",
    "content_interest",
)
LISTS = (
    "suppress_erased",
    "suppress_email_unconsented",
    "suppress_ads_unconsented",
    "suppress_email_unsubscribed",
    "suppress_open_ticket_promo_hold",
    "suppress_klaviyo_address_taken",
)


class Recorder(Destination):
    """Confirms everything and remembers who was sent."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.batch_size = 7
        self.sent: list[str] = []

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        self.sent += [str(r["customer_id"]) for r in rows]
        return [Outcome(str(r[self.key]), True) for r in rows]

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        return self.add(rows)

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        return [Outcome(m.key, True) for m in members]


person = st.fixed_dictionaries(
    {
        "email_consent": st.booleans(),
        "erased": st.booleans(),
        "unsubscribed": st.booleans(),
        "on_hold": st.booleans(),
        "in_model": st.booleans(),
    }
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return Warehouse.duckdb(tmp_path_factory.mktemp("property") / "w.duckdb")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(person, min_size=1, max_size=25))
def test_no_play_sends_anyone_without_the_consent_its_channel_needs(
    warehouse: Warehouse, people: list[dict]
) -> None:
    ids = [f"c{i}" for i in range(len(people))]
    members = {
        "suppress_erased": [c for c, p in zip(ids, people, strict=True) if p["erased"]],
        "suppress_email_unconsented": [
            c for c, p in zip(ids, people, strict=True) if not p["email_consent"]
        ],
        "suppress_ads_unconsented": [
            c for c, p in zip(ids, people, strict=True) if not p["email_consent"]
        ],
        # an unsubscribe is a refusal of consent: it is in both lists
        "suppress_email_unsubscribed": [
            c for c, p in zip(ids, people, strict=True) if p["unsubscribed"]
        ],
        "suppress_open_ticket_promo_hold": [
            c for c, p in zip(ids, people, strict=True) if p["on_hold"]
        ],
        "suppress_klaviyo_address_taken": [],  # each person has an address of their own
    }
    with warehouse.transaction() as conn:
        for schema in ("suppressions", "customers"):
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        conn.execute(sa.text("create or replace table customers.customers (customer_id varchar)"))
        for c in ids:
            conn.execute(sa.text("insert into customers.customers values (:c)"), {"c": c})
        for name in LISTS:
            conn.execute(
                sa.text(f"create or replace table suppressions.{name} (customer_id varchar)")
            )
            for c in members[name]:
                conn.execute(sa.text(f"insert into suppressions.{name} values (:c)"), {"c": c})
    declarations = [
        d for d in load_declarations(PROJECT / "target" / "manifest.json") if d.model in PLAYS
    ]
    assert {d.model for d in declarations} == set(PLAYS)
    for d in declarations:
        # the model may hold anyone at all: the gate alone must keep them out
        rows = [
            {
                "customer_id": c,
                "email": f"{c}@example.com",
                **{f: "x" for f in d.fields if f != "email"},
            }
            for c, p in zip(ids, people, strict=True)
            if p["in_model"] or d.object == "subscription"
        ]
        spec = SyncSpec(
            f"{d.sync_name}:{uuid.uuid4().hex}",
            d.destination,
            d.object,
            d.name,
            d.mode,
            d.key,
            d.fields,
            d.suppressions,
        )  # type: ignore[arg-type]
        recorder = Recorder(d.key)
        run_sync(spec, rows, recorder, warehouse)
        blocked = set().union(
            *(members[n] for n in required_lists(d.destination, d.object, d.suppressions))
        )
        assert "suppress_email_unconsented" in required_lists(
            d.destination, d.object, d.suppressions
        )
        assert not set(recorder.sent) & blocked, (d.model, sorted(set(recorder.sent) & blocked))
        for c in recorder.sent:
            p = people[ids.index(c)]
            assert p["email_consent"] and not p["erased"], (d.model, c)
            if d.object == "subscription":
                assert not p["unsubscribed"], (d.model, c)
